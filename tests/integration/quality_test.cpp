// Face quality in enrolment and verification through the Service and the CLI, on real models
// and a real SQLite store: a poor photo is refused at enrolment with what to fix and nothing
// is stored; verification reports the probe's quality and still decides (docs/quality.md).
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

const std::string kA1 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg";
const std::string kA2 = "lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg";

std::string Jpeg(const cv::Mat& bgr) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, 95});
  return std::string(buf.begin(), buf.end());
}

class QualityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("quality");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    const int64_t notice = DeclareWithNotice(*svc_, "office-entry");
    service::Service::ConsentRequest r;
    r.subject = "S1";
    r.purpose = "office-entry";
    r.notice_id = notice;
    r.option = ConsentOption::kAlways;
    ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(QualityTest, EnrolmentRefusesATooSmallFaceWithWhatToFixAndStoresNothing) {
  cv::Mat small;
  cv::resize(cv::imread(Facedata(kA1)), small, cv::Size(), 0.2, 0.2, cv::INTER_AREA);
  auto e = svc_->Enrol("S1", "office-entry", Jpeg(small), "", "test");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().kind(), ErrorKind::kInvalidInput);
  const std::string& m = e.status().message();
  EXPECT_NE(m.find("not good enough to enrol"), std::string::npos) << m;
  EXPECT_NE(m.find("px between the eyes; move closer"), std::string::npos) << m;
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 0);
  // The refusal is audited with the measured quality (numbers only, no image).
  auto events = svc_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  const AuditEvent& last = events->back();
  EXPECT_EQ(last.action, "enrol");
  EXPECT_EQ(last.outcome, "error:invalid_input");
  auto d = nlohmann::json::parse(last.detail);
  EXPECT_EQ(d["quality"]["size"]["level"], "poor");

  // The CLI says the same and exits 2 (bad input).
  const auto path = home_ / "small.jpg";
  WriteAll(path.string(), Jpeg(small));
  auto cli = RunCli(home_, "enrol S1 office-entry '" + path.string() + "'");
  EXPECT_EQ(cli.exit_code, 2) << cli.out;
  EXPECT_NE(cli.out.find("move closer"), std::string::npos) << cli.out;
}

TEST_F(QualityTest, EnrolmentRefusesABlurredPhotoAndReportsTheQualityOfAGoodOne) {
  cv::Mat blurred;
  cv::GaussianBlur(cv::imread(Facedata(kA1)), blurred, cv::Size(), 4.0);
  auto bad = svc_->Enrol("S1", "office-entry", Jpeg(blurred), "", "test");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(bad.status().message().find("blurred"), std::string::npos) << bad.status().message();

  auto good = svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_NE(good->quality.overall, vision::QualityLevel::kPoor);
  EXPECT_GT(good->quality.size.value, 30);
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 1);

  // --json carries the quality of the enrolled face.
  auto cli = RunCli(home_, "--json enrol S1 office-entry '" + Facedata(kA2) + "'", false);
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  auto j = nlohmann::json::parse(cli.out);
  ASSERT_TRUE(j.contains("quality"));
  EXPECT_TRUE(j["quality"]["overall"] == "good" || j["quality"]["overall"] == "acceptable") << j.dump();
  EXPECT_TRUE(j["quality"]["sharpness"].contains("score"));
}

TEST_F(QualityTest, VerificationReportsAPoorProbeButStillDecides) {
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", ReadAll(Facedata(kA1)), "", "test").ok());
  // A blurred probe (poor at enrolment, see above) is verified, and its quality reported.
  cv::Mat blurred;
  cv::GaussianBlur(cv::imread(Facedata(kA2)), blurred, cv::Size(), 4.0);
  auto v = svc_->Verify("S1", "office-entry", Jpeg(blurred), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();  // not refused
  EXPECT_EQ(v->quality.sharpness.level, vision::QualityLevel::kPoor);
  EXPECT_EQ(v->quality.overall, vision::QualityLevel::kPoor);
  ASSERT_FALSE(v->quality.advice.empty());
  EXPECT_NE(v->quality.advice[0].find("blurred"), std::string::npos) << v->quality.advice[0];
  EXPECT_GT(v->distance, 0);
}

}  // namespace
}  // namespace facegate
