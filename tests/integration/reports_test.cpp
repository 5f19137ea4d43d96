// Impact assessments, the filing line and the compliance report through the real Service,
// models and SQLite store (REQ F1-F3; docs/reports.md), and each report printed to PDF from
// demo-like data and checked page by page as PNG (pdftoppm, pdftotext from poppler-utils).
#include <facegate/reports.h>
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <map>
#include <sstream>

#include "../support/requirement.h"
#include "service/workdays.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

// 2026-09-28 10:00 China Standard Time, a Monday three days before the National Day holiday.
constexpr int64_t kMonday = 1790560800;

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("reports");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_.load(); };
    // REQ F2: marks set low so that two people cross them.
    c.filing_line = 2;
    c.filing_warn_marks = {1};
    c.holidays_file = std::string(FACEGATE_SOURCE_DIR) + "/data/holidays-cn.tsv";
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  // A purpose with its notice and no assessment.
  int64_t Unassessed(const std::string& name) {
    PurposeRecord p;
    p.name = name;
    p.scenario = Scenario::kVerification;
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    EXPECT_TRUE(svc_->AddPurpose(p, "test").ok());
    auto n = svc_->PublishNotice(name, kNoticeText, "test");
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? n->id : 0;
  }
  std::filesystem::path home_;
  std::atomic<int64_t> now_{kMonday};
  std::unique_ptr<service::Service> svc_;
};

TEST_F(ReportsTest, F1_APurposeWithoutAnApprovedAssessmentRefusesEnrolment) {
  const int64_t notice = Unassessed("office-entry");
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "office-entry", notice).ok());
  auto e = svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test");
  ASSERT_FALSE(e.ok());
  REQUIREMENT("F1");
  EXPECT_EQ(e.status().requirement(), "F1") << e.status().ToString();
  EXPECT_NE(e.status().message().find("assessment create"), std::string::npos) << e.status().ToString();
  // A draft is not enough, and its author cannot approve it.
  service::AssessmentInput in;
  in.target = "office-entry";
  in.lawfulness = "consent of each person (PIPL 13, 29)";
  in.impact = "sensitive data; risks: leak, misidentification";
  in.scope_size = 100;
  in.author = "wang";
  auto draft = svc_->CreateAssessment(in, "test");
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  EXPECT_EQ(draft->status, "draft");
  EXPECT_EQ(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test").status().requirement(), "F1");
  auto self = svc_->ApproveAssessment(draft->id, "wang", "test");
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.status().requirement(), "F1") << self.status().ToString();
  // The measures come from the configuration, not from the author.
  const json m = json::parse(draft->measures);
  EXPECT_EQ(m["retention_days"], 365);
  EXPECT_EQ(m["alternatives"], json::array({"staff-card"}));
  auto ok = svc_->ApproveAssessment(draft->id, "li", "test");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, "approved");
  EXPECT_EQ(ok->document_sha256.size(), 64u);
  EXPECT_EQ(ok->notice_version, 1);
  EXPECT_GE(ok->keep_until, kMonday + 3 * 365 * 86400);  // kept three years at least (PIPL 56)
  auto enrolled = svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test");
  EXPECT_TRUE(enrolled.ok()) << enrolled.status().ToString();
}

TEST_F(ReportsTest, F1_ANewNoticeVersionMarksTheAssessmentDue) {
  const int64_t v1 = DeclareWithNotice(*svc_, "office-entry");
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "office-entry", v1).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  auto v2 = svc_->PublishNotice("office-entry", std::string(kNoticeText) + "Cameras: lobby and garage.\n", "test");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  auto all = svc_->ListAssessments("purpose", "office-entry");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  REQUIREMENT("F1");
  EXPECT_EQ(all->front().status, "due");
  EXPECT_NE(all->front().due_reason.find("notice version 2"), std::string::npos) << all->front().due_reason;
  auto v = svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().requirement(), "F1") << v.status().ToString();
  EXPECT_NE(v.status().message().find("due again"), std::string::npos) << v.status().ToString();
  // Assessed again for the new notice: processing goes on.
  ApproveAssessment(*svc_, "office-entry");
  auto again = svc_->GetAssessment(all->front().id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, "approved");
  EXPECT_EQ(again->notice_version, 2);
  ASSERT_TRUE(ConsentAlways(*svc_, "S2", "office-entry", v2->id).ok());
  auto e = svc_->Enrol("S2", "office-entry", Lfw("Alan_Greenspan", 1), "", "test");
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  // A breach is a material change too (REQ S9).
  service::BreachInput b;
  b.description = "a laptop with an export was stolen";
  b.cause = "theft";
  b.harm = "templates sealed, keys not on the laptop";
  b.measures = "keys rotated";
  b.individual_advice = "withdraw your consent or ask for deletion";
  b.contact = "dpo@example.com";
  b.window_from = kMonday - 86400;
  b.window_to = kMonday;
  b.kinds = {"template"};
  b.purposes = {"office-entry"};
  auto opened = svc_->OpenBreach(b, "key:dpo");
  if (opened.ok()) {
    auto after = svc_->GetAssessment(all->front().id);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->status, "due");
    EXPECT_NE(after->due_reason.find("breach"), std::string::npos) << after->due_reason;
  } else {
    ADD_FAILURE() << "opening the breach: " << opened.status().ToString();
  }
}

TEST_F(ReportsTest, F1_AScopeGrownPastWhatWasAssessedMakesItDue) {
  const int64_t notice = Unassessed("office-entry");
  service::AssessmentInput in;
  in.target = "office-entry";
  in.lawfulness = "consent of each person (PIPL 13, 29)";
  in.impact = "sensitive data; risks: leak, misidentification";
  in.scope_size = 1;  // one person assessed
  in.author = "wang";
  auto a = svc_->CreateAssessment(in, "test");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(svc_->ApproveAssessment(a->id, "li", "test").ok());
  for (const char* s : {"S1", "S2"}) ASSERT_TRUE(ConsentAlways(*svc_, s, "office-entry", notice).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  EXPECT_EQ(svc_->GetAssessment(a->id)->status, "approved");
  ASSERT_TRUE(svc_->Enrol("S2", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  auto after = svc_->GetAssessment(a->id);
  ASSERT_TRUE(after.ok());
  REQUIREMENT("F1");
  EXPECT_EQ(after->status, "due");
  EXPECT_NE(after->due_reason.find("2 people"), std::string::npos) << after->due_reason;
  EXPECT_EQ(svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test").status().requirement(), "F1");
}

TEST_F(ReportsTest, F1_AnAutomaticDeviceGoesLiveOnlyWithItsOwnApprovedAssessment) {
  DeclareWithNotice(*svc_, "site-entry", Scenario::kIdentification);
  DeviceRecord d;
  d.id = "gate-1";
  d.mode = DeviceMode::kAutomatic;
  d.purposes = {"site-entry"};
  d.location_type = "lobby";
  d.capture_timeout_s = 20;
  ASSERT_TRUE(svc_->RegisterDevice(d, "test").ok());
  DeviceSignage s;
  s.voice_prompt = "Face recognition at the turnstiles; press the card button to use your card instead";
  s.warning_line = "yellow line 2 m before the turnstiles";
  s.notice_version = 1;
  s.notice_location = "A1 poster left of the main door";
  s.consent_method = "written form at reception";
  s.confirmed_by = "facilities:wang";
  ASSERT_TRUE(svc_->ConfirmSignage("gate-1", s, "test").ok());
  auto live = svc_->SetDeviceLive("gate-1", "test");
  ASSERT_FALSE(live.ok());
  REQUIREMENT("F1");
  EXPECT_EQ(live.status().requirement(), "F1") << live.status().ToString();
  EXPECT_NE(live.status().message().find("device 'gate-1'"), std::string::npos) << live.status().ToString();
  ApproveAssessment(*svc_, "gate-1", "device");
  auto a = svc_->ListAssessments("device", "gate-1");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ(json::parse(a->front().measures)["signage"]["confirmed_by"], "facilities:wang");
  live = svc_->SetDeviceLive("gate-1", "test");
  EXPECT_TRUE(live.ok()) << live.status().ToString();
}

TEST_F(ReportsTest, F2_CrossingAMarkRecordsTheDateAndTheDueDateCountsWorkingDaysOverAHoliday) {
  const int64_t notice = DeclareWithNotice(*svc_, "office-entry");
  for (const char* s : {"S1", "S2"}) ASSERT_TRUE(ConsentAlways(*svc_, s, "office-entry", notice).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  // A second template of the same person is not a second person.
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test").ok());
  auto f = svc_->CheckFilingLine("test");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->people, 1);
  ASSERT_EQ(f->crossed.size(), 1u);
  EXPECT_EQ(f->crossed[0].mark, 1);
  EXPECT_EQ(f->crossed[0].crossed_date, "2026-09-28");
  EXPECT_EQ(f->crossed[0].due_date, "");
  EXPECT_NE(f->warning.find("warning mark"), std::string::npos) << f->warning;
  now_ += 3600;
  ASSERT_TRUE(svc_->Enrol("S2", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  f = svc_->CheckFilingLine("test");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  REQUIREMENT("F2");
  EXPECT_EQ(f->people, 2);
  ASSERT_EQ(f->crossed.size(), 2u);
  EXPECT_EQ(f->crossed[1].mark, 2);
  EXPECT_EQ(f->crossed[1].people, 2);
  EXPECT_EQ(f->crossed[1].crossed_date, "2026-09-28");
  // 30 working days from Monday 2026-09-28: the National Day holiday (1-7 October) does not
  // count and Saturday 10 October, an adjusted working day, does: Friday 13 November, where
  // weekends alone would give Monday 9 November.
  EXPECT_EQ(f->crossed[1].due_date, "2026-11-13");
  EXPECT_EQ(f->due_date, "2026-11-13");
  EXPECT_NE(f->warning.find("2026-11-13"), std::string::npos) << f->warning;
  // The counters of REQ F3 are among the marks; the crossing is audited once.
  EXPECT_NE(std::find(f->marks.begin(), f->marks.end(), 1'000'000), f->marks.end());
  EXPECT_NE(std::find(f->marks.begin(), f->marks.end(), 10'000'000), f->marks.end());
  EXPECT_TRUE(f->newly_crossed.empty()) << "recorded when the enrolment crossed it";
  auto audit = svc_->store().ListAudit(0, 1000);
  ASSERT_TRUE(audit.ok());
  int lines = 0;
  for (const AuditEvent& e : *audit)
    if (e.action == "filing.line") {
      ++lines;
      EXPECT_EQ(json::parse(e.detail)["due_date"], "2026-11-13") << e.detail;
    }
  EXPECT_EQ(lines, 1);
  // The pack for the provincial office carries the numbers and the assessments.
  auto pack = svc_->FilingPack("test");
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  const json p = json::parse(*pack);
  EXPECT_EQ(p["people_with_face_data"], 2);
  EXPECT_EQ(p["due_date"], "2026-11-13");
  EXPECT_EQ(p["purposes"][0]["assessments"][0]["status"], "approved");
}

TEST(Workdays, F2_TheCalendarNamesTheLineThatIsWrong) {
  auto bad = service::WorkdayCalendar::Parse("2026-10-01\tholiday\tNational Day\n2026-13-01\tholiday\tx\n", "h.tsv");
  ASSERT_FALSE(bad.ok());
  REQUIREMENT("F2");
  EXPECT_NE(bad.status().message().find("h.tsv"), std::string::npos) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("2"), std::string::npos) << bad.status().ToString();
  auto cal = service::WorkdayCalendar::Parse("2026-10-01\tholiday\tNational Day\n", "h.tsv");
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  int64_t wed = 0, thu = 0;
  ASSERT_TRUE(service::ParseCivilDate("2026-09-30", &wed));
  ASSERT_TRUE(service::ParseCivilDate("2026-10-01", &thu));
  EXPECT_FALSE(cal->IsWorkday(thu));
  EXPECT_EQ(service::CivilFromDays(cal->AddWorkdays(wed, 1)), "2026-10-02");
}

TEST_F(ReportsTest, F3_TheComplianceReportOfAPeriodHoldsTheNumbersTheStoreHolds) {
  const int64_t from = kMonday - 3600, to = kMonday + 86400;
  const int64_t notice = DeclareWithNotice(*svc_, "office-entry");
  for (const char* s : {"S1", "S2"}) ASSERT_TRUE(ConsentAlways(*svc_, s, "office-entry", notice).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  ASSERT_TRUE(svc_->Enrol("S2", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  ASSERT_TRUE(svc_->WithdrawConsent("S2", "office-entry", "test").ok());
  EXPECT_EQ(svc_->Enrol("S3", "office-entry", Lfw("Ahmed_Chalabi", 1), "", "test").status().requirement(), "C1");
  // After the period: counted in no line of it.
  now_ = to + 3600;
  ASSERT_TRUE(ConsentAlways(*svc_, "S4", "office-entry", notice).ok());
  auto r = svc_->MakeComplianceReport(from, to, "", "auditor");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // What the store holds, read apart from the report's queries.
  auto audit = svc_->store().ListAudit(0, 100000);
  ASSERT_TRUE(audit.ok());
  int64_t in_period = 0;
  std::map<std::string, int64_t> refused;
  for (const AuditEvent& e : *audit) {
    if (e.at < from || e.at >= to) continue;
    ++in_period;
    if (e.outcome.rfind("refused:", 0) == 0) ++refused[e.outcome.substr(8)];
  }
  int64_t given = 0, withdrawn = 0;
  for (const char* s : {"S1", "S2", "S3", "S4"}) {
    auto cs = svc_->store().ListConsents(s, "office-entry");
    ASSERT_TRUE(cs.ok());
    for (const ConsentRecord& c : *cs) {
      if (c.given_at >= from && c.given_at < to) ++given;
      if (c.withdrawn_at && *c.withdrawn_at >= from && *c.withdrawn_at < to) ++withdrawn;
    }
  }
  REQUIREMENT("F3");
  EXPECT_TRUE(r->audit.intact);
  EXPECT_EQ(r->counts.consents_given, given);
  EXPECT_EQ(given, 2);
  EXPECT_EQ(r->counts.consents_withdrawn, withdrawn);
  EXPECT_EQ(withdrawn, 1);
  EXPECT_EQ(r->counts.audit_events, in_period);
  std::map<std::string, int64_t> reported(r->counts.refusals.begin(), r->counts.refusals.end());
  EXPECT_EQ(reported, refused);
  EXPECT_EQ(reported["C1"], 1);
  ASSERT_EQ(r->assessments.size(), 1u);
  EXPECT_EQ(r->assessments[0].status, "approved");
  EXPECT_EQ(r->filing.people, 1) << "S2 withdrew: their templates are gone";
  // The document says the same numbers.
  const std::string html = reports::ComplianceHtml(*r);
  EXPECT_NE(html.find("Compliance report"), std::string::npos);
  const json j = json::parse(reports::ComplianceJson(*r));
  EXPECT_EQ(j["period"]["consents_given"], given);
  EXPECT_EQ(j["period"]["consents_withdrawn"], withdrawn);
  EXPECT_EQ(j["period"]["audit_events"], in_period);
}

// The three reports as `facegate report ... --out FILE.pdf` makes them from demo-like data:
// each page converted to PNG must show something, and its text must be the report's. The
// pages are kept in $FACEGATE_REPORT_SHOTS, else <build>/report-shots (docs/reports.md).
TEST(ReportsCli, F3_EachReportPrintsToAPdfWhosePagesShowTheReport) {
  if (RunShell("command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null").exit_code != 0)
    GTEST_SKIP() << "pdftoppm and pdftotext are missing: scripts/setup.sh installs poppler-utils";
  auto home = TempHome("reports-cli");
  auto run = [&](const std::string& args) { return RunCli(home, args); };
  auto photo = [](const std::string& name, int n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
    return Facedata("lfw/" + name + "/" + name + buf);
  };
  const std::string notice = std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-office-entry.md";
  ASSERT_EQ(run("purpose add office-entry --scenario verification --retention 365d --alternative staff-card").exit_code,
            0);
  ASSERT_EQ(run("notice publish office-entry " + notice).exit_code, 0);
  EXPECT_EQ(run("enrol S9 office-entry " + photo("Ai_Sugiyama", 1)).exit_code, 3);  // refused F1
  ASSERT_TRUE(CliAssess(home, "office-entry"));
  ASSERT_EQ(run("consent give S1 office-entry --notice 1 --option always --method click").exit_code, 0);
  ASSERT_EQ(run("enrol S1 office-entry " + photo("Ai_Sugiyama", 1)).exit_code, 0);
  EXPECT_EQ(run("verify S1 office-entry " + photo("Ai_Sugiyama", 2)).exit_code, 0);
  EXPECT_EQ(run("verify S1 office-entry " + photo("Alan_Greenspan", 1)).exit_code, 10);
  EXPECT_EQ(run("enrol S2 office-entry " + photo("Alan_Greenspan", 1)).exit_code, 3);  // refused C1
  // Accuracy on a few labelled pairs, for the ROC and DET charts.
  std::istringstream all(ReadAll(Facedata("lfw-pairs.tsv")));
  std::string line, subset;
  for (int i = 0; std::getline(all, line); ++i)
    if (i % 60 == 0) subset += line + "\n";
  const std::string pairs = (home / "pairs.tsv").string(), eval = (home / "eval.json").string();
  WriteAll(pairs, subset);
  auto ev = RunCli(home, "--json eval verify " + pairs + " --root " + Facedata("") + " > " + eval, false);
  ASSERT_EQ(ev.exit_code, 0) << ev.out;
  const int64_t now = std::time(nullptr);
  const std::string from = service::ChinaDate(now - 86400), to = service::ChinaDate(now + 86400);
  const std::filesystem::path shots =
      std::getenv("FACEGATE_REPORT_SHOTS") ? std::filesystem::path(std::getenv("FACEGATE_REPORT_SHOTS"))
                                           : std::filesystem::path(FACEGATE_CLI).parent_path() / "report-shots";
  std::filesystem::create_directories(shots);
  struct Case {
    const char* name;
    std::string args;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases = {
      {"pia", "report pia", {"impact assessment", "office-entry", "test-dpo"}},
      {"filing", "report filing", {"Filing pack", "office-entry"}},
      {"compliance", "report compliance --from " + from + " --to " + to + " --eval " + eval,
       {"Compliance report", "Audit chain", "intact", "C1", "F1", "ROC"}},
  };
  REQUIREMENT("F3");
  for (const Case& c : cases) {
    const std::string pdf = (home / (std::string(c.name) + ".pdf")).string();
    auto made = run(c.args + " --out " + pdf);
    ASSERT_EQ(made.exit_code, 0) << c.name << ": " << made.out;
    const std::string prefix = (shots / c.name).string();
    RunShell("rm -f '" + prefix + "'-*.png");
    auto png = RunShell("pdftoppm -png -r 60 '" + pdf + "' '" + prefix + "' 2>&1");
    ASSERT_EQ(png.exit_code, 0) << c.name << ": " << png.out;
    int pages = 0;
    for (int page = 1; page < 20; ++page) {
      const std::string file = prefix + "-" + std::to_string(page) + ".png";
      if (!std::filesystem::exists(file)) break;
      ++pages;
      cv::Mat img = cv::imread(file, cv::IMREAD_GRAYSCALE);
      ASSERT_FALSE(img.empty()) << file;
      EXPECT_GT(img.cols, 400) << file;
      // Text and tables: a page of a report is not blank.
      int ink = 0;
      for (int y = 0; y < img.rows; ++y)
        for (int x = 0; x < img.cols; ++x) ink += img.at<uchar>(y, x) < 160;
      EXPECT_GT(ink, 500) << file << ": a blank page";
    }
    EXPECT_GE(pages, 1) << c.name << ": no page";
    auto text = RunShell("pdftotext -layout '" + pdf + "' -");
    ASSERT_EQ(text.exit_code, 0);
    for (const std::string& w : c.words) EXPECT_NE(text.out.find(w), std::string::npos) << c.name << ": no " << w;
  }
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace facegate
