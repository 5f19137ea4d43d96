// Face quality (vision/quality.h): the head pose from landmarks of a known pose, the grading
// and its advice, and the measures on real LFW photos and degraded copies made in memory
// (blurred, darkened, brightened, downscaled, rotated, eyes covered) (docs/quality.md).
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "policy/gate.h"
#include "vision/detection.h"
#include "vision/quality.h"
#include "engine_suite.h"

namespace facegate::vision {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Landmarks of the generic head turned by yaw/pitch/roll (degrees, FaceQuality's signs),
// seen by the camera EstimateHeadPose assumes for a 640x480 image.
Landmarks68 Posed(double yaw, double pitch, double roll) {
  const double y = -yaw * kPi / 180, p = -pitch * kPi / 180, r = roll * kPi / 180;
  const cv::Matx33d rx(1, 0, 0, 0, std::cos(p), -std::sin(p), 0, std::sin(p), std::cos(p));
  const cv::Matx33d ry(std::cos(y), 0, std::sin(y), 0, 1, 0, -std::sin(y), 0, std::cos(y));
  const cv::Matx33d rz(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
  const cv::Matx33d rot = rz * ry * rx;
  const double f = 640, z = 3000;
  Landmarks68 lm{};
  const int index[6] = {30, 8, 36, 45, 48, 54};
  for (int k = 0; k < 6; ++k) {
    const cv::Vec3d q = rot * cv::Vec3d(HeadModelPoints()[k].x, HeadModelPoints()[k].y, HeadModelPoints()[k].z);
    const cv::Point2f px(float(f * q[0] / (q[2] + z) + 320), float(f * q[1] / (q[2] + z) + 240));
    lm[index[k]] = px;
  }
  // Eye centres (for roll and the inter-ocular distance): the eye corners stand in.
  for (int i = 36; i < 42; ++i) lm[i] = lm[36];
  for (int i = 42; i < 48; ++i) lm[i] = lm[45];
  return lm;
}

TEST(HeadPose, RecoversAKnownYawPitchAndRoll) {
  const HeadPose frontal = EstimateHeadPose(Posed(0, 0, 0), {640, 480});
  EXPECT_NEAR(frontal.yaw, 0, 1.5);
  EXPECT_NEAR(frontal.pitch, 0, 1.5);
  EXPECT_NEAR(frontal.roll, 0, 1.5);
  const HeadPose right = EstimateHeadPose(Posed(30, 0, 0), {640, 480});
  EXPECT_NEAR(right.yaw, 30, 3);  // + = nose towards the image's right
  EXPECT_NEAR(right.pitch, 0, 3);
  const HeadPose left = EstimateHeadPose(Posed(-20, 0, 0), {640, 480});
  EXPECT_NEAR(left.yaw, -20, 3);
  const HeadPose up = EstimateHeadPose(Posed(0, 20, 0), {640, 480});
  EXPECT_NEAR(up.pitch, 20, 3);  // + = chin up
  EXPECT_NEAR(up.yaw, 0, 3);
  const HeadPose tilted = EstimateHeadPose(Posed(0, 0, 25), {640, 480});
  EXPECT_NEAR(tilted.roll, 25, 3);  // + = clockwise in the image
}

TEST(QualityGrade, LevelsScoresAndAdviceFollowTheLimits) {
  ChipMeasures good;
  good.sharpness = 0.5f;
  good.brightness = 120;
  good.contrast = 40;
  const FaceQuality ok = GradeQuality(60, good, {});
  EXPECT_EQ(ok.overall, QualityLevel::kGood);
  EXPECT_TRUE(ok.advice.empty());
  EXPECT_FLOAT_EQ(ok.size.score, 1.f);

  const QualityLimits L;
  const FaceQuality small = GradeQuality(L.size_poor_px - 5, good, {});
  EXPECT_EQ(small.size.level, QualityLevel::kPoor);
  EXPECT_LT(small.size.score, 0.5f);
  EXPECT_EQ(small.overall, QualityLevel::kPoor);
  ASSERT_EQ(small.advice.size(), 1u);
  EXPECT_NE(small.advice[0].find(std::to_string(int(L.size_poor_px - 5)) + " px between the eyes"), std::string::npos)
      << small.advice[0];
  EXPECT_NE(small.advice[0].find("move closer"), std::string::npos);

  const FaceQuality middling = GradeQuality(0.5f * (L.size_good_px + L.size_poor_px), good, {});
  EXPECT_EQ(middling.size.level, QualityLevel::kAcceptable);
  EXPECT_EQ(middling.overall, QualityLevel::kAcceptable);
  EXPECT_GT(middling.size.score, 0.5f);
  EXPECT_LT(middling.size.score, 1.f);

  HeadPose turned;
  turned.yaw = -(L.yaw_poor_deg + 13);
  const FaceQuality side = GradeQuality(60, good, turned);
  EXPECT_EQ(side.yaw.level, QualityLevel::kPoor);
  EXPECT_FLOAT_EQ(side.yaw.value, turned.yaw);  // the signed angle is kept
  ASSERT_FALSE(side.advice.empty());
  EXPECT_NE(side.advice[0].find("turn to face the camera: yaw " + std::to_string(int(L.yaw_poor_deg + 13)) +
                                " deg > " + std::to_string(int(L.yaw_poor_deg))),
            std::string::npos)
      << side.advice[0];

  ChipMeasures dark = good;
  dark.brightness = L.dark_poor - 10;
  EXPECT_NE(GradeQuality(60, dark, {}).advice.at(0).find("too dark"), std::string::npos);
  ChipMeasures bright = good;
  bright.brightness = L.bright_poor + 10;
  EXPECT_NE(GradeQuality(60, bright, {}).advice.at(0).find("overexposed"), std::string::npos);
  ChipMeasures covered = good;
  covered.eye_darkness = 0.95f;
  const FaceQuality glasses = GradeQuality(60, covered, {});
  EXPECT_EQ(glasses.occlusion.level, QualityLevel::kPoor);
  EXPECT_NE(glasses.advice.at(0).find("sunglasses"), std::string::npos);

  // Poor advice comes before acceptable advice.
  ChipMeasures both = good;
  both.sharpness = L.sharpness_poor * 0.5f;
  const FaceQuality two = GradeQuality(0.5f * (L.size_good_px + L.size_poor_px), both, {});
  ASSERT_EQ(two.advice.size(), 2u);
  EXPECT_NE(two.advice[0].find("blurred"), std::string::npos);
  EXPECT_NE(two.advice[1].find("between the eyes"), std::string::npos);
}

class QualityOnPhotos : public EngineSuite {
 protected:
  static cv::Mat Photo(const std::string& rel) {
    auto img = ReadImageFile(std::string(FACEGATE_FACEDATA) + "/lfw/" + rel);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return img.ok() ? *img : cv::Mat();
  }
  // Quality of the centre face; `face` receives it.
  static FaceQuality Quality(const cv::Mat& rgb, Face* face = nullptr) {
    const Grant grant = policy::Gate::AuthorizeResearch("quality-unit-test");
    auto faces = engine_->Detect(grant, rgb);
    EXPECT_TRUE(faces.ok() && !faces->empty());
    if (!faces.ok() || faces->empty()) return {};
    const Face& f = (*faces)[NearestToCentre(*faces, rgb.size())];
    if (face) *face = f;
    auto q = engine_->Quality(grant, rgb, f);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? *q : FaceQuality{};
  }
};

const char* kPhoto = "Ai_Sugiyama/Ai_Sugiyama_0001.jpg";

TEST_F(QualityOnPhotos, AnLfwPhotoIsNotPoor) {
  const FaceQuality q = Quality(Photo(kPhoto));
  std::string advice;
  for (const auto& a : q.advice) advice += a + "\n";
  EXPECT_NE(q.overall, QualityLevel::kPoor) << advice;
  EXPECT_GT(q.size.value, 30);  // LFW: about 40-45 px between the eyes in 250x250
  EXPECT_LT(std::fabs(q.yaw.value), QualityLimits{}.yaw_poor_deg);
  EXPECT_LT(std::fabs(q.roll.value), 15);
}

TEST_F(QualityOnPhotos, BlurDarknessOverexposureAndSizeAreEachFound) {
  const cv::Mat rgb = Photo(kPhoto);
  const FaceQuality base = Quality(rgb);

  cv::Mat blurred;
  cv::GaussianBlur(rgb, blurred, cv::Size(), 4.0);
  const FaceQuality b = Quality(blurred);
  EXPECT_EQ(b.sharpness.level, QualityLevel::kPoor) << b.sharpness.value;
  EXPECT_LT(b.sharpness.value, 0.5f * base.sharpness.value);

  // Exposure: the measure follows the light, and the level follows the limits.
  const QualityLimits L;
  auto level = [](float v, float good, float poor) {
    return v >= good ? QualityLevel::kGood : v >= poor ? QualityLevel::kAcceptable : QualityLevel::kPoor;
  };
  cv::Mat dark;
  rgb.convertTo(dark, CV_8UC3, 0.3);
  const FaceQuality d = Quality(dark);
  EXPECT_NEAR(d.brightness.value, 0.3f * base.brightness.value, 0.1f * base.brightness.value);
  EXPECT_EQ(d.brightness.level, level(d.brightness.value, L.dark_good, L.dark_poor));
  EXPECT_NE(d.brightness.level, QualityLevel::kGood);
  EXPECT_LT(d.contrast.value, 0.4f * base.contrast.value);
  EXPECT_NE(d.overall, QualityLevel::kGood);

  cv::Mat bright;
  rgb.convertTo(bright, CV_8UC3, 1.6);
  const FaceQuality o = Quality(bright);
  EXPECT_GT(o.brightness.value, 1.3f * base.brightness.value);
  if (o.brightness.value > L.bright_poor) EXPECT_EQ(o.brightness.level, QualityLevel::kPoor);

  cv::Mat small;
  cv::resize(rgb, small, cv::Size(), 0.2, 0.2, cv::INTER_AREA);
  const FaceQuality s = Quality(small);
  EXPECT_EQ(s.size.level, QualityLevel::kPoor) << s.size.value;
  EXPECT_NEAR(s.size.value, 0.2f * base.size.value, 0.06f * base.size.value);
}

TEST_F(QualityOnPhotos, RotationIsMeasuredAsRoll) {
  const cv::Mat rgb = Photo(kPhoto);
  const FaceQuality base = Quality(rgb);
  cv::Mat turned;
  // cv::getRotationMatrix2D turns counter-clockwise for a positive angle: roll goes down by it.
  const cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(rgb.cols / 2.f, rgb.rows / 2.f), 40, 1.0);
  cv::warpAffine(rgb, turned, r, rgb.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const FaceQuality t = Quality(turned);
  EXPECT_NEAR(t.roll.value, base.roll.value - 40, 6);  // LFW photos are nearly upright: |roll| > 35
  EXPECT_EQ(t.roll.level, QualityLevel::kPoor);
  EXPECT_NE(t.overall, QualityLevel::kGood);
}

TEST_F(QualityOnPhotos, CoveredEyesAreFound) {
  cv::Mat rgb = Photo(kPhoto);
  Face f;
  const FaceQuality base = Quality(rgb, &f);
  EXPECT_NE(base.occlusion.level, QualityLevel::kPoor);
  for (int first : {36, 42}) {
    cv::Point2f c(0, 0);
    for (int i = first; i < first + 6; ++i) c += f.landmarks[i];
    c *= 1.f / 6;
    const float w = float(cv::norm(f.landmarks[first] - f.landmarks[first + 3]));
    cv::ellipse(rgb, cv::Point(cvRound(c.x), cvRound(c.y)), cv::Size(cvRound(w * 0.95), cvRound(w * 0.7)), 0, 0,
                360, cv::Scalar(25, 25, 30), cv::FILLED, cv::LINE_AA);
  }
  const FaceQuality g = Quality(rgb);
  EXPECT_EQ(g.occlusion.level, QualityLevel::kPoor) << g.occlusion.value;
}

TEST_F(QualityOnPhotos, NeedsAFaceGrant) {
  // An analysis grant is a different type; a refused operation cannot reach here either: the
  // call takes a Grant, which only the Gate makes (REQ C1). Invalid landmarks are refused.
  const Grant grant = policy::Gate::AuthorizeResearch("quality-unit-test");
  Face bogus;
  bogus.landmarks[0].x = std::numeric_limits<float>::quiet_NaN();
  auto q = engine_->Quality(grant, Photo(kPhoto), bogus);
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(q.status().kind(), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace facegate::vision
