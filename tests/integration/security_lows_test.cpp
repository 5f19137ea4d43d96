// The low-severity holes of the security read of 64d82b9 (docs/security.md), each through the
// real Service on real models and a real SQLite store, with an injected clock.
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
namespace fs = std::filesystem;

constexpr UnixTime kStart = 1772366400;  // 2026-03-01T12:00:00Z

class SecurityLowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("lows");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_; };
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    PurposeRecord p;
    p.name = "door";
    p.retention_days = 2;
    p.alternatives = {"staff-card"};
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
    auto n = svc_->PublishNotice("door", NoticeKeptFor(2), "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ApproveAssessment(*svc_, "door");  // REQ F1
    notice_ = n->id;
  }
  void TearDown() override {
    svc_.reset();
    fs::remove_all(home_);
  }
  Result<ConsentRecord> Consent(const std::string& subject, ConsentOption option, int64_t valid_seconds = 0) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "door";
    r.notice_id = notice_;
    r.option = option;
    r.valid_seconds = valid_seconds;
    return svc_->GiveConsent(r, "test");
  }

  UnixTime now_ = kStart;
  fs::path home_;
  std::unique_ptr<service::Service> svc_;
  int64_t notice_ = 0;
};

TEST_F(SecurityLowsTest, S5_AnExpiredTemplateIsNeverMatchedEvenBeforeTheSweep) {
  ASSERT_TRUE(Consent("S1", ConsentOption::kAlways, 30 * 86400).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "door", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  ASSERT_TRUE(svc_->Verify("S1", "door", Lfw("Ai_Sugiyama", 2), "", "test")->match);
  now_ += 3 * 86400;  // past the 2-day retention; no sweep has run
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 1) << "the sweep ran by itself";
  REQUIREMENT("S5");
  auto v = svc_->Verify("S1", "door", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_FALSE(v.ok()) << "an expired template was matched";
  EXPECT_EQ(v.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(v.status().message().find("expired"), std::string::npos) << v.status().message();
}

TEST_F(SecurityLowsTest, C5_APhotoWithoutAFaceDoesNotUseUpAnOnlyThisTimeConsent) {
  ASSERT_TRUE(Consent("S2", ConsentOption::kOnce).ok());
  ASSERT_TRUE(svc_->Enrol("S2", "door", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  std::vector<uchar> blank;
  ASSERT_TRUE(cv::imencode(".jpg", cv::Mat(240, 320, CV_8UC3, cv::Scalar(128, 128, 128)), blank));
  auto none = svc_->Verify("S2", "door", std::string(blank.begin(), blank.end()), "", "test");
  REQUIREMENT("C5");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().kind(), ErrorKind::kInvalidInput) << none.status().ToString();
  EXPECT_EQ(*svc_->store().CountTemplates("S2"), 1) << "a blank photo deleted the template";
  // The one use is still there, and is then spent.
  auto v = svc_->Verify("S2", "door", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->match);
  EXPECT_EQ(*svc_->store().CountTemplates("S2"), 0);
  auto again = svc_->Verify("S2", "door", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_FALSE(again.ok());
}

TEST_F(SecurityLowsTest, S5_RetentionAndConsentValidityAreBounded) {
  PurposeRecord p;
  p.name = "forever";
  p.retention_days = 100000;
  p.alternatives = {"staff-card"};
  REQUIREMENT("S5");
  EXPECT_EQ(svc_->AddPurpose(p, "test").kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(Consent("S3", ConsentOption::kOnce, 30 * 86400).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(Consent("S3", ConsentOption::kAlways, -5).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(Consent("S3", ConsentOption::kAlways, int64_t{1} << 62).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(Consent("S3", ConsentOption::kAlways, 365 * 86400).ok());
}

TEST_F(SecurityLowsTest, S4_BackupsAndExportsAreReadableByTheirOwnerOnly) {
  ASSERT_TRUE(Consent("S4", ConsentOption::kAlways).ok());
  ASSERT_TRUE(svc_->Enrol("S4", "door", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  const mode_t old = ::umask(022);
  const fs::path backup = home_ / "backup.db";
  Status b = svc_->Backup(backup.string(), "test");
  ::umask(old);
  ASSERT_TRUE(b.ok()) << b.ToString();
  auto others = fs::perms::group_all | fs::perms::others_all;
  EXPECT_EQ(fs::status(backup).permissions() & others, fs::perms::none) << "a backup readable by others";
  svc_.reset();
  const fs::path out = home_ / "S4-export.json";
  auto r = RunCli(home_, "rights export S4 --format json --out '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(fs::status(out).permissions() & others, fs::perms::none) << "an export readable by others";
}

}  // namespace
}  // namespace facegate
