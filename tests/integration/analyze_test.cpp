// Analysis: counts only, small groups suppressed, nothing per face kept (REQ SC3, AN1, AN2, AN4).
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class AnalyzeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("analyze");
    service::Config config = TestConfig(home_);
    config.clock = [this] { return now_; };
    auto s = service::Service::Open(config);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    PurposeRecord p;
    p.name = "shop-count";
    p.scenario = Scenario::kAnalysis;
    p.retention_days = 30;
    p.legal_basis = kAnalysisBasis;  // REQ AN4
    p.basis_justification = kAnalysisJustification;
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  std::vector<std::string> Photos() {
    std::vector<std::string> out;
    for (const char* f : {"lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg", "lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg",
                          "lfw/Ai_Sugiyama/Ai_Sugiyama_0003.jpg", "lfw/Abdoulaye_Wade/Abdoulaye_Wade_0001.jpg",
                          "lfw/Abdoulaye_Wade/Abdoulaye_Wade_0002.jpg", "lfw/Abdoulaye_Wade/Abdoulaye_Wade_0003.jpg"})
      out.push_back(ReadAll(Facedata(f)));
    return out;
  }
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  // 2026-12-07 16:01 CST, a minute into an hour's window.
  static constexpr UnixTime kHour = 1796630400;
  UnixTime now_ = kHour + 60;
};

TEST_F(AnalyzeTest, AN4_NeedsAPublishedNotice) {
  auto r = svc_->Analyze("shop-count", Photos(), 2, "test");
  REQUIREMENT("AN4");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().requirement(), "AN4");
}

// REQ AN2: no answer carries counts; a window's groups of at least k faces are released once,
// after it ends; a picture counted once is not counted again, in its window or a later one within
// the repeat horizon, so neither two answers nor two windows can be subtracted to single out the
// one face added. Fails on 64d82b9: every answer carried counts, so S and S + one person sent one
// after the other gave that person's groups by difference.
TEST_F(AnalyzeTest, AN2_CountsAreReleasedOncePerWindowAfterItEndsAndResentPicturesAddNothing) {
  ASSERT_TRUE(svc_->PublishNotice("shop-count", AnalysisNoticeKeptFor(30), "test").ok());
  ApproveAssessment(*svc_, "shop-count");  // REQ F1
  auto six = svc_->Analyze("shop-count", Photos(), 2, "test");
  ASSERT_TRUE(six.ok()) << six.status().ToString();
  EXPECT_EQ(six->images, 6);
  EXPECT_GE(six->faces, 5);  // six photos of one face each; the detector may miss one
  EXPECT_EQ(six->repeated_faces, 0);
  EXPECT_EQ(six->window_start, kHour);
  EXPECT_EQ(six->window_end, kHour + 3600);

  // The open window shows its size, never its counts.
  REQUIREMENT("AN2");
  auto open = svc_->AnalysisStatistics("shop-count", kHour - 86400, kHour + 86400, "test");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_FALSE((*open)[0].released_at.has_value());
  EXPECT_TRUE((*open)[0].counts.empty());
  EXPECT_EQ((*open)[0].faces, -1);

  // The same six again (k = 3 now): every face is a repeat, nothing is added.
  auto again = svc_->Analyze("shop-count", Photos(), 3, "test");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->repeated_faces, six->faces);
  EXPECT_EQ(again->faces, 0);
  // The six and one more person: only the seventh is taken in, and no answer says its groups.
  std::vector<std::string> seven = Photos();
  seven.push_back(ReadAll(Facedata("lfw/Alan_Greenspan/Alan_Greenspan_0001.jpg")));
  auto plus = svc_->Analyze("shop-count", seven, 2, "test");
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(plus->repeated_faces, six->faces);
  EXPECT_EQ(plus->faces, 0) << "one face taken in is fewer than k: not even its total is shown";
  // The next window: the same seven add nothing, so the two windows cannot be subtracted either.
  now_ = kHour + 3600 + 60;
  auto later = svc_->Analyze("shop-count", seven, 2, "test");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->window_start, kHour + 3600);
  EXPECT_EQ(later->repeated_faces, six->faces + 1);

  // Both ended: each released once, its groups under the window's k (the largest asked, 3) withheld.
  now_ = kHour + 2 * 3600 + 5;
  auto done = svc_->AnalysisStatistics("shop-count", kHour - 86400, kHour + 86400, "test");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_EQ(done->size(), 2u);
  const AnalysisWindowRecord& first = (*done)[0];
  ASSERT_TRUE(first.released_at.has_value());
  EXPECT_EQ(first.k, 3);
  EXPECT_EQ(first.requests, 3);
  EXPECT_EQ(first.images, 19);
  EXPECT_EQ(first.faces, six->faces + 1);
  int64_t by_gender = 0;
  for (const auto& [name, n] : first.counts) {
    EXPECT_GE(n, 3) << name;
    if (name.rfind("gender:", 0) == 0) by_gender += n;
  }
  EXPECT_GT(by_gender, 0);
  EXPECT_FALSE(first.suppressed.empty()) << "seven faces make some group of fewer than 3";
  const AnalysisWindowRecord& second = (*done)[1];
  EXPECT_TRUE(second.released_at.has_value());
  EXPECT_EQ(second.faces, -1);
  EXPECT_TRUE(second.counts.empty());
  // The raw tallies went with the release; a second look releases nothing again.
  auto tallies = svc_->store().AnalysisTallies("shop-count", kHour);
  ASSERT_TRUE(tallies.ok());
  EXPECT_TRUE(tallies->empty());
  ASSERT_TRUE(svc_->AnalysisStatistics("shop-count", kHour - 86400, kHour + 86400, "test").ok());
  // Past the repeat horizon the pictures' hashes are gone too.
  EXPECT_FALSE(svc_->store().AnalysisSeen("shop-count", 0)->empty());
  now_ = kHour + 3 * 86400;
  ASSERT_TRUE(svc_->AnalysisStatistics("shop-count", kHour - 86400, kHour + 86400, "test").ok());
  EXPECT_TRUE(svc_->store().AnalysisSeen("shop-count", 0)->empty());
  EXPECT_EQ(svc_->Analyze("shop-count", Photos(), 1, "test").status().kind(), ErrorKind::kInvalidInput);

  // AN1: the audit holds each request's totals and each window's released groups, never a
  // per-face value or a template; each window is released (audited) once.
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  int analyses = 0, releases = 0;
  for (const AuditEvent& e : *events) {
    auto d = nlohmann::json::parse(e.detail);
    EXPECT_FALSE(d.contains("age"));
    if (e.action == "analyze" && e.outcome == "ok") {
      ++analyses;
      EXPECT_FALSE(d.contains("counts")) << e.detail;
      EXPECT_TRUE(e.subject.empty());
    }
    if (e.action == "analyze.window") {
      ++releases;
      for (const auto& [name, n] : d["counts"].items()) EXPECT_GE(n.get<int64_t>(), 3) << name;
    }
  }
  EXPECT_EQ(analyses, 4);
  EXPECT_EQ(releases, 2);
}

// The window length is checked when the service opens: it must divide a day (REQ AN2).
TEST_F(AnalyzeTest, AN2_AWindowThatDoesNotDivideADayIsRefusedAtStart) {
  service::Config config = TestConfig(home_);
  config.analysis_window_seconds = 7 * 60 + 1;
  auto s = service::Service::Open(config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("divide a day"), std::string::npos) << s.status().ToString();
}

TEST_F(AnalyzeTest, SC3_VerificationPurposeCannotBeAnalysed) {
  PurposeRecord p;
  p.name = "office-entry";
  p.retention_days = 30;
  p.alternatives = {"staff-card"};
  ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
  ASSERT_TRUE(svc_->PublishNotice("office-entry", NoticeKeptFor(30), "test").ok());
  ApproveAssessment(*svc_, "office-entry");  // REQ F1
  EXPECT_EQ(svc_->Analyze("office-entry", Photos(), 5, "test").status().requirement(), "SC3");
}

TEST_F(AnalyzeTest, SC3_AN1_AnAnalysisLeavesNoIdentityTemplateOrImageAnywhere) {
  ASSERT_TRUE(svc_->PublishNotice("shop-count", AnalysisNoticeKeptFor(30), "test").ok());
  ApproveAssessment(*svc_, "shop-count");  // REQ F1
  auto photos = Photos();
  auto r = svc_->Analyze("shop-count", photos, 2, "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->faces, 5);
  REQUIREMENT("SC3");
  REQUIREMENT("AN1");
  // The window's released counts are by group only: no name, no per-face value, nothing to link.
  now_ += 3600;
  auto windows = svc_->AnalysisStatistics("shop-count", kHour - 86400, kHour + 86400, "test");
  ASSERT_TRUE(windows.ok() && windows->size() == 1u);
  for (auto& [name, n] : windows->front().counts) {
    EXPECT_TRUE(name.rfind("age:", 0) == 0 || name.rfind("gender:", 0) == 0 ||
                name.rfind("expression:", 0) == 0)
        << name;
  }
  // No subject, no template, in the store.
  auto subjects = svc_->store().ListSubjects();
  ASSERT_TRUE(subjects.ok());
  EXPECT_TRUE(subjects->empty());
  auto templates = svc_->store().ListTemplatesForPurpose("shop-count");
  ASSERT_TRUE(templates.ok());
  EXPECT_TRUE(templates->empty());
  // No image: no file but the database's own appeared in the home, and no run of a
  // photo's bytes (its first 256 past the JPEG header) is in any file there.
  svc_.reset();  // closes the database (checkpoints the WAL into the file)
  for (const auto& entry : std::filesystem::recursive_directory_iterator(home_)) {
    if (!entry.is_regular_file()) continue;
    std::string bytes = ReadAll(entry.path().string());
    for (const std::string& photo : photos) {
      ASSERT_GT(photo.size(), 1024u);
      EXPECT_EQ(bytes.find(photo.substr(512, 256)), std::string::npos) << entry.path();
    }
  }
}

}  // namespace
}  // namespace facegate
