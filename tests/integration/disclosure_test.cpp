// Third-party disclosure (REQ C8, P2) and imported public or profile pictures
// (REQ P1) through the Service on real models and a real SQLite store.
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cmath>
#include <cstring>

#include "../support/requirement.h"
#include "policy/gate.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class DisclosureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    home_ = TempHome("disclose");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
    auto n = svc_->PublishNotice("office-entry", kNoticeText, "test");
    ASSERT_TRUE(n.ok());
    ApproveAssessment(*svc_, "office-entry");  // REQ F1
    notice_ = n->id;
    crypto_box_keypair(pk_, sk_);
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  Result<ConsentRecord> Consent(const std::string& subject, ConsentKind kind = ConsentKind::kProcessing,
                                const std::string& recipient = "", const std::string& source = "") {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "office-entry";
    r.notice_id = notice_;
    r.option = ConsentOption::kAlways;
    r.kind = kind;
    r.recipient = recipient;
    r.source = source;
    return svc_->GiveConsent(r, "test");
  }
  Result<service::DisclosureResult> Disclose(const std::string& subject, const std::string& to) {
    return svc_->Disclose(subject, "office-entry", to, std::string(reinterpret_cast<char*>(pk_), sizeof pk_),
                          "test");
  }
  std::string Photo(int n) {
    return ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_000" + std::to_string(n) + ".jpg"));
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  int64_t notice_ = 0;
  unsigned char pk_[crypto_box_PUBLICKEYBYTES], sk_[crypto_box_SECRETKEYBYTES];
};

TEST_F(DisclosureTest, C8_DisclosureNeedsAConsentNamingTheRecipientAndNeverThePublic) {
  ASSERT_TRUE(Consent("S1").ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Photo(1), "", "test").ok());
  auto none = Disclose("S1", "partner-co");
  REQUIREMENT("C8");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().requirement(), "C8");
  EXPECT_NE(none.status().message().find("--kind disclosure --to"), std::string::npos);

  // a consent naming the public, or nobody, is refused; public disclosure is off
  EXPECT_EQ(Consent("S1", ConsentKind::kDisclosure, "public").status().requirement(), "C8");
  EXPECT_EQ(Consent("S1", ConsentKind::kDisclosure, "").status().requirement(), "C8");
  auto named = Consent("S1", ConsentKind::kDisclosure, "partner-co");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->recipient, "partner-co");
  EXPECT_EQ(Disclose("S1", "other-co").status().requirement(), "C8");   // another recipient
  EXPECT_EQ(Disclose("S1", "Everyone").status().requirement(), "C8");   // never the public
  EXPECT_EQ(svc_->Disclose("S1", "office-entry", "partner-co", "short", "test").status().kind(),
            ErrorKind::kInvalidInput);

  auto d = Disclose("S1", "partner-co");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->consent_id, named->id);
  EXPECT_EQ(d->templates, 1);
  // only the recipient's secret key opens the package: 128 floats of a unit-length template
  auto pkg = nlohmann::json::parse(d->package);
  EXPECT_EQ(pkg["recipient"], "partner-co");
  std::string b64 = pkg["templates"][0];
  std::vector<unsigned char> box(b64.size());
  size_t len = 0;
  ASSERT_EQ(sodium_base642bin(box.data(), box.size(), b64.data(), b64.size(), nullptr, &len, nullptr,
                              sodium_base64_VARIANT_ORIGINAL),
            0);
  std::vector<unsigned char> plain(len - crypto_box_SEALBYTES);
  ASSERT_EQ(crypto_box_seal_open(plain.data(), box.data(), len, pk_, sk_), 0);
  ASSERT_EQ(plain.size(), kTemplateDim * sizeof(float));
  float v[kTemplateDim];
  std::memcpy(v, plain.data(), plain.size());
  double norm = 0;
  for (float x : v) norm += x * x;
  EXPECT_GT(norm, 0.1);
  unsigned char other_pk[crypto_box_PUBLICKEYBYTES], other_sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(other_pk, other_sk);
  EXPECT_NE(crypto_box_seal_open(plain.data(), box.data(), len, other_pk, other_sk), 0);

  // withdrawing ends every consent of the purpose, disclosure included
  ASSERT_TRUE(svc_->WithdrawConsent("S1", "office-entry", "test").ok());
  EXPECT_EQ(Disclose("S1", "partner-co").status().kind(), ErrorKind::kRefused);
  int disclosed = 0, refused = 0;
  auto events = svc_->ListAudit(0, 1000);  // named: a range-for over *temporary would dangle
  ASSERT_TRUE(events.ok());
  for (const AuditEvent& e : *events) {
    if (e.action != "disclose") continue;
    if (e.outcome == "ok") ++disclosed;
    else ++refused;
  }
  EXPECT_EQ(disclosed, 1);
  EXPECT_EQ(refused, 5);
}

TEST_F(DisclosureTest, P2_AMatchedFaceIsNotHandedToAThirdPartyWithoutConsent) {
  ASSERT_TRUE(Consent("S1").ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Photo(1), "", "test").ok());
  auto v = svc_->Verify("S1", "office-entry", Photo(2), "", "test");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->match);
  // the matched person's face goes to no third party without their consent naming it
  auto d = Disclose("S1", "security-firm");
  REQUIREMENT("P2");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().requirement(), "C8");
  auto events = svc_->ListAudit(0, 1000);
  EXPECT_EQ(events->back().action, "disclose");
  EXPECT_EQ(events->back().outcome, "refused:C8");
  // and a disclosure consent alone authorizes no face processing
  ASSERT_TRUE(Consent("S2", ConsentKind::kDisclosure, "security-firm").ok());
  auto e = svc_->Enrol("S2", "office-entry", Photo(1), "", "test");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().requirement(), "C1");
  EXPECT_EQ(Disclose("S2", "security-firm").status().requirement(), "C1");
}

TEST_F(DisclosureTest, P1_PublicOrProfilePictureNeedsASeparateConsentNamingItsSource) {
  ASSERT_TRUE(Consent("S1").ok());
  auto bare = svc_->EnrolImported("S1", "office-entry", Photo(1), "public-photo", "", "test");
  REQUIREMENT("P1");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.status().requirement(), "P1");
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 0);
  ASSERT_TRUE(Consent("S1", ConsentKind::kImport, "", "profile-picture").ok());
  EXPECT_EQ(svc_->EnrolImported("S1", "office-entry", Photo(1), "public-photo", "", "test").status().requirement(),
            "P1");  // the consent names another source
  EXPECT_EQ(Consent("S1", ConsentKind::kImport, "", "web-scrape").status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->EnrolImported("S1", "office-entry", Photo(1), "crawler", "", "test").status().kind(),
            ErrorKind::kInvalidInput);
  auto ok = svc_->EnrolImported("S1", "office-entry", Photo(1), "profile-picture", "", "test");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 1);
  auto events = svc_->ListAudit(0, 1000);
  EXPECT_EQ(events->back().action, "enrol.import");
  EXPECT_NE(events->back().detail.find("\"source\":\"profile-picture\""), std::string::npos);
  // an import consent alone is not a consent to face processing
  ASSERT_TRUE(Consent("S3", ConsentKind::kImport, "", "public-photo").ok());
  EXPECT_EQ(svc_->EnrolImported("S3", "office-entry", Photo(1), "public-photo", "", "test").status().requirement(),
            "C1");
  EXPECT_EQ(*svc_->store().CountTemplates("S3"), 0);
}

// REQ S8 (PIPL 38, 39): nothing crosses the border by default. A disclosure to a recipient abroad
// needs its PIPL 38 mechanism recorded and, per person, a separate consent naming the recipient,
// where it is, its contact and the person's rights; a backup sent abroad needs that of everyone.
TEST_F(DisclosureTest, S8_ATransferAbroadNeedsItsMechanismAndAConsentNamingCountryContactAndRights) {
  REQUIREMENT("S8");
  ASSERT_TRUE(Consent("S1").ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Photo(1), "", "test").ok());
  ASSERT_TRUE(Consent("S1", ConsentKind::kDisclosure, "acme-sg").ok());
  ASSERT_TRUE(Disclose("S1", "acme-sg").ok());  // a recipient in mainland China: as before (C8)

  // The mechanism, checked: never for CN, a known mechanism, its reference and the contact.
  TransferBasisRecord t;
  t.recipient = "acme-sg";
  t.country = "CN";
  t.mechanism = "standard_contract";
  t.reference = "SC-2026-0042";
  t.contact = "dpo@acme.example.sg";
  EXPECT_EQ(svc_->RecordTransferBasis(t, "test").kind(), ErrorKind::kInvalidInput);
  t.country = "SG";
  t.mechanism = "handshake";
  EXPECT_EQ(svc_->RecordTransferBasis(t, "test").kind(), ErrorKind::kInvalidInput);
  t.mechanism = "standard_contract";
  ASSERT_TRUE(svc_->RecordTransferBasis(t, "test").ok());

  // Now acme-sg is abroad: the earlier consent did not tell the person so.
  auto untold = Disclose("S1", "acme-sg");
  ASSERT_FALSE(untold.ok());
  EXPECT_EQ(untold.status().requirement(), "S8") << untold.status().ToString();
  // A consent naming it abroad without its contact and the rights is refused when given.
  service::Service::ConsentRequest r;
  r.subject = "S1";
  r.purpose = "office-entry";
  r.notice_id = notice_;
  r.option = ConsentOption::kAlways;
  r.kind = ConsentKind::kDisclosure;
  r.recipient = "acme-sg";
  r.recipient_country = "SG";
  EXPECT_EQ(svc_->GiveConsent(r, "test").status().requirement(), "S8");
  r.recipient_contact = t.contact;
  r.recipient_rights = "write to dpo@acme.example.sg to access, correct or delete; or to our contact";
  auto told = svc_->GiveConsent(r, "test");
  ASSERT_TRUE(told.ok()) << told.status().ToString();
  EXPECT_EQ(told->recipient_country, "SG");
  ASSERT_TRUE(Disclose("S1", "acme-sg").ok());

  // A consent that says the recipient is abroad, with no mechanism recorded for it: refused.
  r.recipient = "beta-us";
  r.recipient_country = "US";
  ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  auto unbased = Disclose("S1", "beta-us");
  ASSERT_FALSE(unbased.ok());
  EXPECT_EQ(unbased.status().requirement(), "S8");
  EXPECT_NE(unbased.status().message().find("transfer record"), std::string::npos) << unbased.status().message();

  // A backup for acme-sg carries everyone's data: S2 never consented to it.
  ASSERT_TRUE(Consent("S2").ok());
  ASSERT_TRUE(svc_->Enrol("S2", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  const std::string abroad = (home_ / "for-acme.db").string();
  Status b = svc_->Backup(abroad, "acme-sg", "test");
  EXPECT_EQ(b.requirement(), "S8") << b.ToString();
  EXPECT_NE(b.message().find("1 person"), std::string::npos) << b.message();
  EXPECT_FALSE(std::filesystem::exists(abroad));
  EXPECT_TRUE(svc_->Backup((home_ / "here.db").string(), "", "test").ok());  // kept here: no transfer
  r.subject = "S2";
  r.recipient = "acme-sg";
  r.recipient_country = "SG";
  ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  EXPECT_TRUE(svc_->Backup(abroad, "acme-sg", "test").ok());
}

}  // namespace
}  // namespace facegate
