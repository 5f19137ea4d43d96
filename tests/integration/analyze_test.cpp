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
    auto s = service::Service::Open(TestConfig(home_));
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
};

TEST_F(AnalyzeTest, AN4_NeedsAPublishedNotice) {
  auto r = svc_->Analyze("shop-count", Photos(), 2, "test");
  REQUIREMENT("AN4");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().requirement(), "AN4");
}

TEST_F(AnalyzeTest, AN2_GroupsUnderKAreSuppressedAndOnlyAggregatesAreLogged) {
  ASSERT_TRUE(svc_->PublishNotice("shop-count", AnalysisNoticeKeptFor(30), "test").ok());
  ApproveAssessment(*svc_, "shop-count");  // REQ F1
  auto r2 = svc_->Analyze("shop-count", Photos(), 2, "test");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->images, 6);
  EXPECT_GE(r2->faces, 5);  // six photos of one face each; the detector may miss one
  REQUIREMENT("AN2");
  int64_t by_gender = 0;
  for (auto& [name, n] : r2->counts) {
    EXPECT_GE(n, 2) << name;
    if (name.rfind("gender:", 0) == 0) by_gender += n;
  }
  // With k = 10 every group of six photos' faces is withheld, the total too.
  auto r10 = svc_->Analyze("shop-count", Photos(), 10, "test");
  ASSERT_TRUE(r10.ok());
  EXPECT_TRUE(r10->counts.empty());
  EXPECT_FALSE(r10->suppressed.empty());
  EXPECT_EQ(r10->faces, 0);
  EXPECT_EQ(svc_->Analyze("shop-count", Photos(), 1, "test").status().kind(), ErrorKind::kInvalidInput);

  // AN1: the audit holds the aggregate, never a per-face value or a template.
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  int analyses = 0;
  for (const AuditEvent& e : *events) {
    if (e.action != "analyze" || e.outcome != "ok") continue;
    ++analyses;
    auto d = nlohmann::json::parse(e.detail);
    EXPECT_TRUE(d.contains("counts"));
    EXPECT_FALSE(d.contains("age"));
    EXPECT_TRUE(e.subject.empty());
  }
  EXPECT_EQ(analyses, 2);
  EXPECT_GT(by_gender, 0);
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
  // The report holds counts by group only: no name, no per-face value, nothing to link.
  for (auto& [name, n] : r->counts) {
    EXPECT_TRUE(name.rfind("age:", 0) == 0 || name.rfind("gender:", 0) == 0 ||
                name.rfind("expression:", 0) == 0 || name == "faces")
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
