// A purpose can require a live face at enrolment and/or verification (docs/liveness.md).
// The wiring is tested with thresholds that force each verdict, so these tests prove what the
// service does with a verdict, not how good the models are (docs/liveness.md has those figures).
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

const std::string kA1 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg";
const std::string kA2 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg";

// Every score is at least 0: with these, every face is REAL.
vision::LivenessThresholds AllReal() {
  vision::LivenessThresholds t;
  t.spoof_below = 0;
  t.real_from = 0;
  return t;
}
// Every score is below 1 (sigmoid and softmax outputs of a real face never reach it): SPOOF.
vision::LivenessThresholds AllSpoof() {
  vision::LivenessThresholds t;
  t.spoof_below = 1;
  t.real_from = 1;
  return t;
}
// Nothing is SPOOF and nothing reaches REAL: UNSURE.
vision::LivenessThresholds AllUnsure() {
  vision::LivenessThresholds t;
  t.spoof_below = 0;
  t.real_from = 1;
  return t;
}

class LivenessServiceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Open(const vision::LivenessThresholds& t) {
    home_ = TempHome("live");
    service::Config c = TestConfig(home_);
    c.liveness_thresholds = t;
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  void Ready(LivenessRequirement live) {
    PurposeRecord p;
    p.name = "gate";
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    p.liveness = live;
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
    auto n = svc_->PublishNotice("gate", kNoticeText, "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ApproveAssessment(*svc_, "gate");  // REQ F1
    service::Service::ConsentRequest r;
    r.subject = "S1";
    r.purpose = "gate";
    r.notice_id = n->id;
    r.option = ConsentOption::kAlways;
    ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  }
  // The detail of the newest audit event of `action`.
  nlohmann::json LastAudit(const std::string& action, std::string* outcome = nullptr) {
    auto events = svc_->ListAudit(0, 1000);
    EXPECT_TRUE(events.ok());
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
      if (it->action != action) continue;
      if (outcome) *outcome = it->outcome;
      return nlohmann::json::parse(it->detail);
    }
    ADD_FAILURE() << "no audit event " << action;
    return {};
  }
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(LivenessServiceTest, S6_RealVerdictPassesAndIsReportedAndAudited) {
  Open(AllReal());
  Ready(LivenessRequirement::kBoth);
  auto e = svc_->Enrol("S1", "gate", ReadAll(Facedata(kA1)), "", "test");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_TRUE(e->liveness.has_value());
  EXPECT_EQ(e->liveness->verdict, vision::LivenessVerdict::kReal);
  EXPECT_GE(e->liveness->score, 0.f);
  EXPECT_LE(e->liveness->score, 1.f);
  nlohmann::json d = LastAudit("enrol");
  ASSERT_TRUE(d.contains("liveness")) << d.dump();
  EXPECT_EQ(d["liveness"]["verdict"], "real");
  auto v = svc_->Verify("S1", "gate", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->liveness.has_value());
  EXPECT_EQ(v->liveness->verdict, vision::LivenessVerdict::kReal);
  EXPECT_TRUE(v->match);
  EXPECT_EQ(LastAudit("verify")["liveness"]["verdict"], "real");
}

TEST_F(LivenessServiceTest, A1_SpoofIsRefusedBeforeAnyTemplateNamingWhatToDoAndTheAlternative) {
  Open(AllSpoof());
  Ready(LivenessRequirement::kEnrol);
  auto e = svc_->Enrol("S1", "gate", ReadAll(Facedata(kA1)), "", "test");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().kind(), ErrorKind::kInvalidInput);
  const std::string& m = e.status().message();
  EXPECT_NE(m.find("live face"), std::string::npos) << m;
  EXPECT_NE(m.find("spoof"), std::string::npos) << m;
  EXPECT_NE(m.find("present your own face"), std::string::npos) << m;
  REQUIREMENT("A1");
  EXPECT_NE(m.find("staff-card"), std::string::npos) << m;
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 0) << "no template from a spoof";
  std::string outcome;
  nlohmann::json d = LastAudit("enrol", &outcome);
  EXPECT_EQ(outcome, "error:invalid_input");
  EXPECT_EQ(d["liveness"]["verdict"], "spoof") << d.dump();
}

TEST_F(LivenessServiceTest, A1_UnsureIsRefusedAtVerificationAskingForARetake) {
  Open(AllUnsure());
  Ready(LivenessRequirement::kVerify);
  // Enrolment is not covered by a "verify" requirement: no check, no verdict.
  auto e = svc_->Enrol("S1", "gate", ReadAll(Facedata(kA1)), "", "test");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->liveness.has_value());
  auto v = svc_->Verify("S1", "gate", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(v.status().message().find("unsure"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("retake"), std::string::npos) << v.status().message();
  REQUIREMENT("A1");
  EXPECT_NE(v.status().message().find("staff-card"), std::string::npos) << v.status().message();
  EXPECT_EQ(LastAudit("verify")["liveness"]["verdict"], "unsure");
}

// Security item 8 (docs/security.md): 1:N ran no liveness check, so a photo held up to a gate
// was searched. Identification now runs the purpose's verification rule.
TEST_F(LivenessServiceTest, IdentifyRunsThePurposesLivenessRuleLikeVerify) {
  Open(AllSpoof());
  PurposeRecord p;
  p.name = "site";
  p.scenario = Scenario::kIdentification;
  p.retention_days = 365;
  p.alternatives = {"staff-card"};
  p.liveness = LivenessRequirement::kVerify;  // enrolment unchecked, every search checked
  ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
  auto n = svc_->PublishNotice("site", kNoticeText, "test");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ApproveAssessment(*svc_, "site");  // REQ F1
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "site", n->id).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "site", ReadAll(Facedata(kA1)), "", "test").ok());
  auto id = svc_->Identify("site", ReadAll(Facedata(kA2)), "test");
  ASSERT_FALSE(id.ok()) << "a face the liveness check calls a spoof was searched";
  EXPECT_EQ(id.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(id.status().message().find("identification"), std::string::npos) << id.status().message();
  EXPECT_NE(id.status().message().find("staff-card"), std::string::npos) << id.status().message();
  EXPECT_EQ(LastAudit("identify")["liveness"]["verdict"], "spoof");
  // The same photo with a live verdict is identified, and the verdict is reported.
  svc_.reset();
  service::Config c = TestConfig(home_);
  c.liveness_thresholds = AllReal();
  auto reopened = service::Service::Open(c);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  svc_ = std::move(reopened).value();
  auto live = svc_->Identify("site", ReadAll(Facedata(kA2)), "test");
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_TRUE(live->identified);
  ASSERT_TRUE(live->liveness.has_value());
  EXPECT_EQ(live->liveness->verdict, vision::LivenessVerdict::kReal);
}

// Security item 2: a correction stored a new face with no quality or liveness check. It now
// runs the purpose's enrolment rule like an enrolment.
TEST_F(LivenessServiceTest, R1_CorrectionRunsTheEnrolmentLivenessRule) {
  Open(AllReal());
  Ready(LivenessRequirement::kEnrol);
  ASSERT_TRUE(svc_->Enrol("S1", "gate", ReadAll(Facedata(kA1)), "", "test").ok());
  svc_.reset();
  service::Config c = TestConfig(home_);
  c.liveness_thresholds = AllSpoof();
  auto reopened = service::Service::Open(c);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  svc_ = std::move(reopened).value();
  auto req = svc_->OpenRightsRequest({"S1", "correction", "gate", "new photo", 0}, "test");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_TRUE(svc_->ApproveCorrection(req->id, "ID card checked", "dpo").ok());
  auto before = svc_->store().GetTemplates("S1", "gate");
  ASSERT_TRUE(before.ok());
  auto corr = svc_->CorrectEnrolment("S1", "gate", ReadAll(Facedata(kA2)), "", req->id, "test");
  ASSERT_FALSE(corr.ok()) << "a correction took a face the liveness check calls a spoof";
  EXPECT_NE(corr.status().message().find("spoof"), std::string::npos) << corr.status().message();
  auto after = svc_->store().GetTemplates("S1", "gate");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  EXPECT_EQ(after->front().id, before->front().id) << "the enrolled template was replaced";
  EXPECT_EQ(LastAudit("rights.correct")["liveness"]["verdict"], "spoof");
  EXPECT_EQ(svc_->GetRightsRequest(req->id)->status, "open");
}

TEST_F(LivenessServiceTest, OffRunsNoLivenessCheck) {
  Open(AllSpoof());
  Ready(LivenessRequirement::kOff);
  auto e = svc_->Enrol("S1", "gate", ReadAll(Facedata(kA1)), "", "test");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->liveness.has_value());
  auto v = svc_->Verify("S1", "gate", ReadAll(Facedata(kA2)), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->liveness.has_value());
  EXPECT_FALSE(LastAudit("verify").contains("liveness"));
}

TEST_F(LivenessServiceTest, CliPurposeAddTakesLivenessAndRefusesAnUnknownValue) {
  home_ = TempHome("live-cli");
  auto ok = RunCli(home_, "--json purpose add gate --retention 30d --alternative staff-card --liveness both");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("\"liveness\": \"both\""), std::string::npos) << ok.out;
  auto list = RunCli(home_, "--json purpose list");
  EXPECT_NE(list.out.find("\"liveness\": \"both\""), std::string::npos) << list.out;
  auto bad = RunCli(home_, "purpose add gate2 --retention 30d --alternative staff-card --liveness sometimes");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("off, enrol, verify, both"), std::string::npos) << bad.out;
}

// `facegate eval liveness` (REQ P3): real webcam frames of two NUAA subjects from facedata, one
// calibrating and one held out, and an image with no face; figures per kind, audited, the CLI too.
TEST_F(LivenessServiceTest, P3_EvalLivenessReportsApcerPerKindOnHeldOutSubjectsAndIsAudited) {
  Open(vision::LivenessThresholds{});
  const std::filesystem::path work = home_ / "eval";
  std::filesystem::create_directories(work);
  std::filesystem::create_symlink(Facedata("liveness"), work / "liveness");
  std::string lines = "# path<TAB>label<TAB>subject\n";
  for (const char* l : {"0751", "0756", "0761"}) lines += std::string("liveness/nuaa-") + l + ".jpg\tlive\tsubject=0001\n";
  for (const char* l : {"0911", "0916", "0921"}) lines += std::string("liveness/nuaa-") + l + ".jpg\tprint\tsubject=0001\n";
  for (const char* l : {"0871", "0876", "0881"}) lines += std::string("liveness/nuaa-") + l + ".jpg\tlive\tsubject=0007\n";
  for (const char* l : {"1031", "1036", "1041"}) lines += std::string("liveness/nuaa-") + l + ".jpg\tprint\tsubject=0007\n";
  cv::imwrite((work / "empty.png").string(), cv::Mat(120, 160, CV_8UC3, cv::Scalar(90, 120, 150)));
  lines += "empty.png\treplay\tsubject=0007\n";
  const std::string file = (work / "list.tsv").string();
  WriteAll(file, lines);

  auto r = svc_->EvalLiveness(file, work.string(), "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->net, "fr_liveness");
  EXPECT_EQ(r->images, 13);
  EXPECT_EQ(r->calibration_subjects, std::vector<std::string>({"0001"}));
  EXPECT_EQ(r->held_out_subjects, std::vector<std::string>({"0007"}));
  ASSERT_EQ(r->held_out.kinds.size(), 3u);  // live, print, replay
  EXPECT_EQ(r->held_out.kinds[0].kind, "live");
  EXPECT_EQ(r->held_out.kinds[0].images, 3);
  EXPECT_EQ(r->held_out.kinds[1].kind, "print");
  EXPECT_EQ(r->held_out.kinds[1].real, 0);  // no printed photo passes
  EXPECT_EQ(r->held_out.kinds[2].kind, "replay");
  EXPECT_EQ(r->held_out.kinds[2].no_face, 1);  // apart, not an error of either kind
  EXPECT_EQ(r->no_face_paths, std::vector<std::string>({"empty.png"}));
  // At the shipped thresholds every live frame here is REAL and no print is.
  EXPECT_EQ(r->at_thresholds.kinds[0].real, 6);
  EXPECT_EQ(r->at_thresholds.kinds[1].real, 0);
  EXPECT_GT(r->at_thresholds.kinds[1].auc, 0.9);
  EXPECT_LE(r->calibrated.spoof_below, r->calibrated.real_from);

  service::EvalLivenessOptions human;
  human.net = "human";
  human.calibration_subjects = {"0007"};
  auto h = svc_->EvalLiveness(file, work.string(), "test", human);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->held_out_subjects, std::vector<std::string>({"0001"}));
  service::EvalLivenessOptions unknown;
  unknown.calibration_subjects = {"0099"};
  auto u = svc_->EvalLiveness(file, work.string(), "test", unknown);
  EXPECT_EQ(u.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(u.status().message().find("0099"), std::string::npos) << u.status().message();

  auto cli = RunCli(home_, "--json eval liveness '" + file + "' --root '" + work.string() + "'", false);
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["held_out"]["kinds"][1]["apcer"], 0.0);
  auto text = RunCli(home_, "eval liveness '" + file + "' --root '" + work.string() + "' --net human");
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("APCER"), std::string::npos) << text.out;
  EXPECT_EQ(RunCli(home_, "eval liveness '" + file + "' --net other").exit_code, 2);

  REQUIREMENT("P3");
  int n = 0;
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  for (const AuditEvent& e : *events)
    if (e.action == "eval.liveness") {
      ++n;
      EXPECT_EQ(e.purpose.rfind("research:", 0), 0u) << e.purpose;
      EXPECT_EQ(e.detail.find("nuaa"), std::string::npos) << "no path in the audit: " << e.detail;
    }
  EXPECT_EQ(n, 4);  // the two service calls that ran and the two CLI runs
}

}  // namespace
}  // namespace facegate
