// The non-face path end to end through the Service on a real SQLite store
// (REQ A2, C6, C7, D7): a chosen alternative is a face-free transaction, its
// outcome is recorded like a face outcome, and a refusal starts a quiet period.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

const std::string kA1 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg";

class AlternativesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("alt");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_; };
    c.consent_quiet_seconds = 3600;
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 365;
    p.alternatives = {"staff-card", "pin"};
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
    auto n = svc_->PublishNotice("office-entry", kNoticeText, "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ApproveAssessment(*svc_, "office-entry");  // REQ F1
    notice_id_ = n->id;
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  Result<ConsentRecord> Consent(bool prompted, const std::string& subject = "S1") {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "office-entry";
    r.notice_id = notice_id_;
    r.option = ConsentOption::kAlways;
    r.prompted = prompted;
    return svc_->GiveConsent(r, "test");
  }
  // The audit events with this action, oldest first.
  std::vector<AuditEvent> Events(const std::string& action) {
    std::vector<AuditEvent> out;
    auto all = svc_->ListAudit(0, 10000);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    if (!all.ok()) return out;
    for (const AuditEvent& e : *all)
      if (e.action == action) out.push_back(e);
    return out;
  }
  static void ExpectRefused(const Status& s, const std::string& req) {
    EXPECT_EQ(s.kind(), ErrorKind::kRefused) << s.ToString();
    EXPECT_EQ(s.requirement(), req) << s.ToString();
  }

  UnixTime now_ = 1'800'000'000;
  int64_t notice_id_ = 0;
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(AlternativesTest, A2_EnrolAndVerifyUnderAnOpenAlternativeAreRefusedBeforeAnyDecode) {
  ASSERT_TRUE(Consent(false).ok());
  auto id = svc_->ChooseAlternative("S1", "office-entry", "staff-card", "kiosk-7", "test");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  const std::string photo = ReadAll(Facedata(kA1));
  auto e = svc_->Enrol("S1", "office-entry", photo, "kiosk-7", "test");
  REQUIREMENT("A2");
  ASSERT_FALSE(e.ok());
  ExpectRefused(e.status(), "A2");
  auto v = svc_->Verify("S1", "office-entry", photo, "kiosk-7", "test");
  ASSERT_FALSE(v.ok());
  ExpectRefused(v.status(), "A2");
  // Bytes that are no image at all: a decode would fail with kInvalidInput; the
  // A2 refusal shows that nothing of the image was looked at.
  auto junk = svc_->Verify("S1", "office-entry", "not an image", "kiosk-7", "test");
  ASSERT_FALSE(junk.ok());
  ExpectRefused(junk.status(), "A2");
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 0);
  // The refusals are logged without any face data.
  for (const std::string action : {"enrol", "verify"}) {
    auto ev = Events(action);
    ASSERT_FALSE(ev.empty());
    for (const AuditEvent& a : ev) {
      EXPECT_EQ(a.outcome, "refused:A2");
      json d = json::parse(a.detail);
      EXPECT_FALSE(d.contains("face_score"));
      EXPECT_FALSE(d.contains("distance"));
    }
  }
}

TEST_F(AlternativesTest, A2_OnlyADeclaredAlternativeCanBeChosen) {
  auto r = svc_->ChooseAlternative("S1", "office-entry", "retina-scan", "", "test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(r.status().message().find("'staff-card', 'pin'"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(svc_->ChooseAlternative("S1", "no-such-purpose", "pin", "", "test").status().kind(),
            ErrorKind::kNotFound);
  ASSERT_EQ(Events("alternative.choose").size(), 2u);
  EXPECT_EQ(Events("alternative.choose")[0].outcome, "error:invalid_input");
}

TEST_F(AlternativesTest, C6_AlternativeOutcomeIsRecordedAndAuditedLikeAFaceOutcome) {
  // A person who gave no consent at all is served by the alternative.
  auto id = svc_->ChooseAlternative("S9", "office-entry", "pin", "kiosk-7", "test");
  REQUIREMENT("C6");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(svc_->CompleteAlternative(*id, "perhaps", "test").kind(), ErrorKind::kInvalidInput);
  ASSERT_TRUE(svc_->CompleteAlternative(*id, "granted", "test").ok());
  EXPECT_EQ(svc_->CompleteAlternative(*id, "denied", "test").kind(), ErrorKind::kConflict);
  EXPECT_EQ(svc_->CompleteAlternative(*id + 100, "granted", "test").kind(), ErrorKind::kNotFound);

  auto rec = svc_->store().GetAlternative(*id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->outcome, "granted");
  EXPECT_EQ(*rec->closed_at, now_);

  auto chosen = Events("alternative.choose");
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].subject, "S9");
  EXPECT_EQ(json::parse(chosen[0].detail)["method"], "pin");
  auto done = Events("alternative.complete");
  ASSERT_EQ(done.size(), 4u);
  EXPECT_EQ(done[1].outcome, "ok");
  json d = json::parse(done[1].detail);
  EXPECT_EQ(d["outcome"], "granted");
  EXPECT_EQ(d["match"], true);  // the field a verify event carries
  EXPECT_EQ(d["transaction"], *id);
  EXPECT_EQ(done[2].outcome, "error:conflict");
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
  // Nothing of a face was ever made for S9.
  EXPECT_EQ(*svc_->store().CountTemplates("S9"), 0);
  EXPECT_TRUE(svc_->ListConsents("S9", "office-entry")->empty());
}

TEST_F(AlternativesTest, C6_CompletedAlternativeLeavesFaceAvailableForTheNextTransaction) {
  ASSERT_TRUE(Consent(false).ok());
  auto id = svc_->ChooseAlternative("S1", "office-entry", "staff-card", "kiosk-7", "test");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(svc_->CompleteAlternative(*id, "denied", "test").ok());
  ++now_;
  auto e = svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "kiosk-7", "test");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
}

TEST_F(AlternativesTest, C7_PromptedConsentIsRefusedWithinTheQuietPeriod) {
  EXPECT_TRUE(svc_->MayAskConsent("S1", "office-entry").ok());
  ASSERT_TRUE(svc_->RefuseConsent("S1", "office-entry", "test").ok());
  now_ += 3599;
  Status may = svc_->MayAskConsent("S1", "office-entry");
  REQUIREMENT("C7");
  ExpectRefused(may, "C7");
  EXPECT_NE(may.message().find("own initiative"), std::string::npos) << may.message();
  EXPECT_NE(may.message().find("staff-card"), std::string::npos) << may.message();
  auto prompted = Consent(true);
  ASSERT_FALSE(prompted.ok());
  ExpectRefused(prompted.status(), "C7");
  EXPECT_TRUE(svc_->ListConsents("S1", "office-entry")->empty());
  // Another person may be asked.
  EXPECT_TRUE(svc_->MayAskConsent("S2", "office-entry").ok());
  ASSERT_EQ(Events("consent.refuse").size(), 1u);
  EXPECT_EQ(Events("consent.give").back().outcome, "refused:C7");
}

TEST_F(AlternativesTest, C7_QuietPeriodEndsAndANewRefusalRestartsIt) {
  ASSERT_TRUE(svc_->RefuseConsent("S1", "office-entry", "test").ok());
  now_ += 3600;
  REQUIREMENT("C7");
  EXPECT_TRUE(svc_->MayAskConsent("S1", "office-entry").ok());
  ASSERT_TRUE(svc_->RefuseConsent("S1", "office-entry", "test").ok());
  now_ += 10;
  ExpectRefused(svc_->MayAskConsent("S1", "office-entry"), "C7");
  now_ += 3590;
  auto c = Consent(true);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST_F(AlternativesTest, C7_ThePersonMayStillConsentOnTheirOwnInitiative) {
  ASSERT_TRUE(svc_->RefuseConsent("S1", "office-entry", "test").ok());
  now_ += 60;
  auto c = Consent(/*prompted=*/false);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(json::parse(Events("consent.give").back().detail)["prompted"], false);
  EXPECT_EQ(svc_->RefuseConsent("S1", "no-such-purpose", "test").kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace facegate
