// End to end through the Service on real models and a real SQLite store.
#include <facegate/service.h>
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "../support/requirement.h"
#include "../unit/store/test_grants.h"
#include "policy/gate.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

const std::string kA1 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg";
const std::string kA2 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg";
const std::string kB1 = "lfw/Abdoulaye_Wade/Abdoulaye_Wade_0001.jpg";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("svc");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  // Purpose + notice + consent of the given option for S1.
  void Ready(ConsentOption option = ConsentOption::kAlways) {
    const int64_t notice = DeclareWithNotice(*svc_, "office-entry");
    service::Service::ConsentRequest r;
    r.subject = "S1";
    r.purpose = "office-entry";
    r.notice_id = notice;
    r.option = option;
    auto c = svc_->GiveConsent(r, "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  int64_t Templates() { return *svc_->store().CountTemplates("S1"); }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(ServiceTest, EnrolVerifyWithdrawEndToEnd) {
  Ready();
  auto e = svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_GT(e->template_id, 0);
  EXPECT_EQ(Templates(), 1);

  auto same = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->match) << "distance " << same->distance;
  EXPECT_EQ(same->threshold, svc_->config().verify_threshold);
  EXPECT_FALSE(same->model.empty());
  EXPECT_EQ(same->alternatives, std::vector<std::string>{"staff-card"});

  auto other = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kB1)), "", "test");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->match) << "distance " << other->distance;
  EXPECT_GT(other->distance, same->distance);

  // REQ C4, S7: one step deletes the templates and destroys the key
  auto w = svc_->WithdrawConsent("S1", "office-entry", "test");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->templates_deleted, 1);
  EXPECT_TRUE(w->key_destroyed);
  EXPECT_EQ(Templates(), 0);
  EXPECT_EQ(svc_->store().GetWrappedSubjectKey("S1").status().kind(), ErrorKind::kNotFound);
  auto after = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().requirement(), "C4");

  auto chain = svc_->VerifyAudit();
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->intact) << chain->reason;
}

// REQ SC1: 1:1 compares the probe with the claimed person's template only. With A
// enrolled as S1 and B as S2, A's photo verifies as S1 and not as S2, and the distance
// reported for S2 is the distance to B's template (the same as B's own photo gives
// against S1 from the other side), not to the nearest enrolled face.
TEST_F(ServiceTest, SC1_VerificationComparesWithTheClaimedPersonsTemplateOnly) {
  Ready();
  service::Service::ConsentRequest r;
  r.subject = "S2";
  r.purpose = "office-entry";
  r.notice_id = 1;
  r.option = ConsentOption::kAlways;
  ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test").ok());
  ASSERT_TRUE(svc_->Enrol("S2", "office-entry", ReadAll(Facedata(kB1)), "", "test").ok());

  auto as_s1 = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  auto as_s2 = svc_->Verify("S2", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  REQUIREMENT("SC1");
  ASSERT_TRUE(as_s1.ok() && as_s2.ok());
  EXPECT_TRUE(as_s1->match) << "distance " << as_s1->distance;
  EXPECT_FALSE(as_s2->match) << "A's photo claimed as S2 (B) matched at " << as_s2->distance;
  EXPECT_GT(as_s2->distance, as_s1->distance);

  // The decision for S2 rests on S2's template: B's own enrolment photo is at ~0.
  auto b_as_s2 = svc_->Verify("S2", "office-entry", ReadAll(Facedata(kB1)), "", "test");
  ASSERT_TRUE(b_as_s2.ok());
  EXPECT_TRUE(b_as_s2->match);
  EXPECT_LT(b_as_s2->distance, 0.05);
}

// A template another model made (an earlier engine's, stored before an upgrade) is never
// compared with this engine's probe: the distance would mean nothing. Verification says to
// enrol again; after a new enrolment the person verifies on the new template alone.
TEST_F(ServiceTest, TemplatesOfAnotherModelAreNeverComparedAndTheErrorSaysToEnrolAgain) {
  Ready();
  const std::string old_model = "@vladmandic/face-api@1.7.15/face_recognition_model+similarity";
  auto planted = store::testing::PlantTemplate((home_ / "master.key").string(), svc_->store(), "S1",
                                               "office-entry", old_model, store::testing::KnownValues());
  ASSERT_TRUE(planted.ok()) << planted.status().ToString();

  auto v = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().kind(), ErrorKind::kConflict);
  EXPECT_NE(v.status().message().find(old_model), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("enrol the subject again"), std::string::npos);

  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test").ok());
  auto again = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->match) << "distance " << again->distance;
  EXPECT_NE(again->model, old_model);
}

TEST_F(ServiceTest, C5_OnceConsentIsSpentAndItsTemplateDeleted) {
  Ready(ConsentOption::kOnce);
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test").ok());
  auto v = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  REQUIREMENT("C5");
  EXPECT_TRUE(v->match);
  EXPECT_EQ(Templates(), 0);
  auto again = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().requirement(), "C5");
}

TEST_F(ServiceTest, A1_PurposeWithoutAlternativeIsRefused) {
  PurposeRecord p;
  p.name = "face-only";
  p.retention_days = 30;
  Status st = svc_->AddPurpose(p, "test");
  REQUIREMENT("A1");
  EXPECT_EQ(st.requirement(), "A1");
  p.legal_mandate = "Public Security Administration Law art. X (recorded mandate)";
  EXPECT_TRUE(svc_->AddPurpose(p, "test").ok());
}

TEST_F(ServiceTest, S6_EveryReadOfPersonalDataByTheServiceOrTheCliIsAnAuditEvent) {
  Ready();
  ASSERT_TRUE(svc_->DeclareSubject("S1", "1990-01-01", "test").ok());
  ASSERT_TRUE(svc_->ListConsents("S1", "office-entry", "reader-1").ok());
  ASSERT_TRUE(svc_->ShowSubject("S1", "reader-2").ok());
  ASSERT_TRUE(svc_->ListAudit(0, 0, "reader-3").ok());
  // The CLI, another process on the same data: its reads are on the record as well.
  for (const char* read : {"consent list S1 office-entry", "subject show S1", "audit list --limit 5"})
    ASSERT_EQ(RunCli(home_, std::string("--actor cli-reader ") + read).exit_code, 0) << read;
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  std::map<std::string, std::vector<std::string>> reads;  // actor -> actions
  for (const AuditEvent& e : *events) {
    if (e.action != "consent.read" && e.action != "subject.read" && e.action != "audit.read") continue;
    reads[e.actor].push_back(e.action);
    if (e.action != "audit.read") EXPECT_EQ(e.subject, "S1") << e.action;
  }
  REQUIREMENT("S6");
  EXPECT_EQ(reads["reader-1"], std::vector<std::string>{"consent.read"});
  EXPECT_EQ(reads["reader-2"], std::vector<std::string>{"subject.read"});
  EXPECT_EQ(reads["reader-3"], std::vector<std::string>{"audit.read"});
  EXPECT_EQ(reads["cli-reader"], (std::vector<std::string>{"consent.read", "subject.read", "audit.read"}));
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
}

TEST_F(ServiceTest, N1_TheNoticeMustStateThePurposesRetentionAsItsStoragePeriod) {
  PurposeRecord p;
  p.name = "office-entry";
  p.retention_days = 30;
  p.alternatives = {"staff-card"};
  ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
  // kNoticeText says 365 days: not what this purpose keeps.
  auto wrong = svc_->PublishNotice("office-entry", kNoticeText, "test");
  ASSERT_FALSE(wrong.ok());
  REQUIREMENT("N1");
  EXPECT_EQ(wrong.status().requirement(), "N1");
  EXPECT_NE(wrong.status().message().find("30 days"), std::string::npos) << wrong.status().ToString();
  // No period at all is refused too, saying what to write.
  std::string vague = NoticeKeptFor(30);
  vague.replace(vague.find("30 days, then deleted"), 21, "as long as needed");
  auto none = svc_->PublishNotice("office-entry", vague, "test");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().requirement(), "N1");
  EXPECT_EQ(svc_->LatestNotice("office-entry").status().kind(), ErrorKind::kNotFound) << "nothing was published";
  // The real period, in days or in the months it amounts to, is published.
  EXPECT_TRUE(svc_->PublishNotice("office-entry", NoticeKeptFor(30), "test").ok());
  std::string month = NoticeKeptFor(30);
  month.replace(month.find("30 days"), 7, "1 month");
  EXPECT_TRUE(svc_->PublishNotice("office-entry", month, "test").ok());
}

TEST_F(ServiceTest, N1_ConsentMustAcknowledgeTheNoticeInForce) {
  Ready();
  auto n2 = svc_->PublishNotice("office-entry", std::string(kNoticeText) + "Contact: new dpo\n", "test");
  ASSERT_TRUE(n2.ok());
  service::Service::ConsentRequest r;
  r.subject = "S2";
  r.purpose = "office-entry";
  r.notice_id = n2->id - 1;  // the old one
  auto c = svc_->GiveConsent(r, "test");
  REQUIREMENT("N1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().requirement(), "N1");
}

// REQ S4: the database holds sealed templates only. The same photo's template
// is recomputed under a research grant and its bytes searched in the files.
TEST_F(ServiceTest, S4_DatabaseFileHoldsNoPlaintextTemplate) {
  Ready();
  std::string photo = ReadAll(Facedata(kA1));
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", photo, "", "test").ok());
  auto eng = svc_->engine();
  ASSERT_TRUE(eng.ok());
  Grant g = policy::Gate::AuthorizeResearch("s4-test");
  auto rgb = vision::DecodeImage(photo);
  ASSERT_TRUE(rgb.ok());
  auto faces = (*eng)->Detect(g, *rgb);
  ASSERT_TRUE(faces.ok() && faces->size() == 1);
  auto t = (*eng)->Extract(g, *rgb, faces->front());
  ASSERT_TRUE(t.ok());
  const char* raw = reinterpret_cast<const char*>(t->values().data());
  std::string files;
  for (const char* f : {"facegate.db", "facegate.db-wal"})
    if (std::filesystem::exists(home_ / f)) files += ReadAll((home_ / f).string());
  REQUIREMENT("S4");
  ASSERT_GT(files.size(), 4096u);
  EXPECT_EQ(files.find(std::string(raw, kTemplateDim * sizeof(float))), std::string::npos);
  // no 16-byte window (4 consecutive floats) of it either
  for (int i = 0; i + 4 <= kTemplateDim; ++i)
    ASSERT_EQ(files.find(std::string(raw + i * 4, 16)), std::string::npos) << "window at float " << i;
  // and the search can find what is there: the subject id is stored in clear
  EXPECT_NE(files.find("office-entry"), std::string::npos);
}

TEST_F(ServiceTest, S6_AuditVerifyNamesAnEditedRow) {
  Ready();
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test").ok());
  auto before = svc_->VerifyAudit();
  ASSERT_TRUE(before.ok() && before->intact);
  ASSERT_GE(before->events, 4);
  svc_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((home_ / "facegate.db").c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  REQUIREMENT("S6");
  // the program refuses to edit the log; someone with raw file access drops the guard first
  EXPECT_NE(sqlite3_exec(db, "UPDATE audit_events SET outcome='refused:C1' WHERE seq=2", nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_events_no_update;"
                         "UPDATE audit_events SET outcome='refused:C1' WHERE seq=2",
                         nullptr, nullptr, &err),
            SQLITE_OK)
      << (err ? err : "");
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  auto s = service::Service::Open(TestConfig(home_));
  ASSERT_TRUE(s.ok());
  svc_ = std::move(s).value();
  auto after = svc_->VerifyAudit();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->intact);
  EXPECT_EQ(after->first_broken_seq, 2);
  EXPECT_FALSE(after->reason.empty());
}

// Bad input gets a clear error and changes nothing.
class BadInputTest : public ServiceTest {
 protected:
  void ExpectRejected(const std::string& bytes, ErrorKind kind, const std::string& words) {
    int64_t before = Templates();
    auto e = svc_->Enrol("S1", "office-entry", bytes, "", "test");
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().kind(), kind) << e.status().ToString();
    EXPECT_NE(e.status().message().find(words), std::string::npos) << e.status().message();
    EXPECT_EQ(Templates(), before);
  }
};

uint32_t Crc32(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}
std::string Be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

TEST_F(BadInputTest, NoFaceIsRefusedClearly) {
  Ready();
  cv::Mat blank(300, 300, CV_8UC3, cv::Scalar(90, 140, 200));
  std::vector<uchar> png;
  cv::imencode(".png", blank, png);
  ExpectRejected(std::string(png.begin(), png.end()), ErrorKind::kInvalidInput, "no face");
}

TEST_F(BadInputTest, SeveralFacesAreNotGuessed) {
  Ready();
  cv::Mat a = cv::imread(Facedata(kA1)), b = cv::imread(Facedata(kB1)), both;
  cv::hconcat(a, b, both);
  std::vector<uchar> jpg;
  cv::imencode(".jpg", both, jpg);
  ExpectRejected(std::string(jpg.begin(), jpg.end()), ErrorKind::kInvalidInput, "faces found");
}

TEST_F(BadInputTest, CorruptTruncatedEmptyAndHugeFilesAreRejected) {
  Ready();
  std::string jpg = ReadAll(Facedata(kA1));
  ExpectRejected("", ErrorKind::kInvalidInput, "empty");
  ExpectRejected(jpg.substr(0, jpg.size() / 3), ErrorKind::kInvalidInput, "truncated");
  ExpectRejected(std::string(5000, 'x'), ErrorKind::kInvalidInput, "not a JPEG, PNG, WebP or BMP");
  std::string ihdr = "IHDR" + Be32(20000) + Be32(20000) + std::string("\x08\x02\x00\x00\x00", 5);
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + Be32(13) + ihdr + Be32(Crc32(ihdr));
  ExpectRejected(png, ErrorKind::kInvalidInput, "20000x20000");
}

TEST_F(BadInputTest, UnknownSubjectIsRefusedWithRequirement) {
  Ready();
  auto v = svc_->Verify("S404", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().kind(), ErrorKind::kRefused);
  EXPECT_EQ(v.status().requirement(), "C1");
}

TEST_F(BadInputTest, VerifyWithoutEnrolmentSaysEnrolFirst) {
  Ready();
  auto v = svc_->Verify("S1", "office-entry", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(v.status().message().find("enrol"), std::string::npos);
}

// REQ C2: the receipt carries the consent record's fields and the notice it acknowledged.
TEST_F(ServiceTest, C2_ConsentReceiptCarriesTheRecord) {
  Ready();
  auto r = svc_->ConsentReceipt(1, "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto j = nlohmann::json::parse(*r);
  REQUIREMENT("C2");
  EXPECT_EQ(j["piiPrincipalId"], "S1");
  EXPECT_EQ(j["piiControllers"][0]["piiController"], "Example Co.");
  EXPECT_EQ(j["services"][0]["purposes"][0]["purpose"], "office-entry");
  EXPECT_EQ(j["sensitive"], true);
  EXPECT_EQ(j["collectionMethod"], "click");
  EXPECT_EQ(j["authorization"]["option"], "always");
  EXPECT_EQ(j["notice"]["version"], 1);
  EXPECT_EQ(j["notice"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(svc_->ConsentReceipt(99, "test").status().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace facegate

namespace facegate {
namespace {

using namespace facegate::testing;

// REQ S5, S7: a clock is advanced past the retention period; the sweep removes
// every copy (store row, subject key) and the person can no longer be verified.
TEST(Retention, S5_SweepDeletesExpiredTemplatesAndShredsKeys) {
  auto home = TempHome("retention");
  UnixTime now = 1'900'000'000;
  service::Config cfg = TestConfig(home);
  cfg.clock = [&now] { return now; };
  auto s = service::Service::Open(cfg);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto& svc = **s;
  PurposeRecord p;
  p.name = "office-entry";
  p.retention_days = 2;
  p.alternatives = {"staff-card"};
  ASSERT_TRUE(svc.AddPurpose(p, "test").ok());
  auto n = svc.PublishNotice("office-entry", NoticeKeptFor(2), "test");
  ASSERT_TRUE(n.ok());
  ApproveAssessment(svc, "office-entry");  // REQ F1
  for (const char* subject : {"S1", "S2"}) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "office-entry";
    r.notice_id = n->id;
    r.option = ConsentOption::kAlways;
    r.valid_seconds = 30 * 86400;  // consent outlives the retention period
    ASSERT_TRUE(svc.GiveConsent(r, "test").ok());
  }
  const std::string photo = ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg"));
  auto e1 = svc.Enrol("S1", "office-entry", photo, "", "test");
  ASSERT_TRUE(e1.ok()) << e1.status().ToString();
  REQUIREMENT("S5");
  EXPECT_EQ(e1->expires_at, now + 2 * 86400);
  now += 86400;  // S2 enrols a day later
  ASSERT_TRUE(svc.Enrol("S2", "office-entry", photo, "", "test").ok());

  auto idle = svc.SweepRetention("sweeper");
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->templates_deleted, 0);

  now += 86400;  // S1's template is due, S2's not yet
  auto r1 = svc.SweepRetention("sweeper");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->templates_deleted, 1);
  EXPECT_EQ(r1->keys_destroyed, 1);
  EXPECT_EQ(*svc.store().CountTemplates("S1"), 0);
  EXPECT_EQ(svc.store().GetWrappedSubjectKey("S1").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(*svc.store().CountTemplates("S2"), 1);
  auto v = svc.Verify("S1", "office-entry", photo, "", "test");
  EXPECT_EQ(v.status().kind(), ErrorKind::kNotFound) << v.status().ToString();  // enrol again to use face

  now += 86400;
  auto r2 = svc.SweepRetention("sweeper");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->templates_deleted, 1);
  EXPECT_EQ(*svc.store().CountTemplates("S2"), 0);
  auto chain = svc.VerifyAudit();
  ASSERT_TRUE(chain.ok() && chain->intact);
  s->reset();
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace facegate
