// Cutting the recognition chip: face-api's square crop and dlib's similarity
// chip put the eyes where their templates say.
#include "vision/align.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace facegate::vision {
namespace {

// Landmarks at the template's own chip positions, moved by a known similarity.
Landmarks68 TransformedTemplate(ChipTemplate kind, double angle_deg, double scale, cv::Point2d t) {
  Landmarks68 lm{};
  const double a = scale * std::cos(angle_deg * CV_PI / 180),
               b = scale * std::sin(angle_deg * CV_PI / 180);
  for (const auto& [i, p] : ChipTemplatePoints(kind, kChipSize, kChipPadding)) {
    lm[i] = cv::Point2f(static_cast<float>(a * p.x - b * p.y + t.x),
                        static_cast<float>(b * p.x + a * p.y + t.y));
  }
  return lm;
}

cv::Point2d Apply(const cv::Mat& m, cv::Point2d p) {
  return {m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2),
          m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2)};
}

TEST(FitSimilarity, RecoversAKnownTransform) {
  std::vector<cv::Point2d> from = {{0, 0}, {10, 0}, {3, 7}, {-4, 2}};
  std::vector<cv::Point2d> to;
  const double a = 1.7 * std::cos(0.3), b = 1.7 * std::sin(0.3);
  for (auto p : from) to.emplace_back(a * p.x - b * p.y + 5, b * p.x + a * p.y - 2);
  cv::Mat m = FitSimilarity(from, to);
  EXPECT_NEAR(m.at<double>(0, 0), a, 1e-9);
  EXPECT_NEAR(m.at<double>(1, 0), b, 1e-9);
  EXPECT_NEAR(m.at<double>(0, 2), 5, 1e-9);
  EXPECT_NEAR(m.at<double>(1, 2), -2, 1e-9);
}

TEST(ChipTemplatePoints, FollowDlibsPaddedTemplates) {
  auto five = ChipTemplatePoints(ChipTemplate::kFivePoint, 150, 0.25);
  ASSERT_EQ(five.size(), 5u);
  EXPECT_EQ(five[0].first, 45);
  EXPECT_NEAR(five[0].second.x, (0.25 + 0.8595674595992) / 1.5 * 150, 1e-9);
  EXPECT_EQ(five[4].first, 33);
  auto mean = ChipTemplatePoints(ChipTemplate::kMeanFace68, 150, 0.25);
  EXPECT_EQ(mean.size(), 33u);  // 27..54 and 60..64
  EXPECT_EQ(mean.front().first, 27);
  EXPECT_EQ(mean.back().first, 64);
}

class SimilarityChipTest : public ::testing::TestWithParam<ChipTemplate> {};

TEST_P(SimilarityChipTest, MapsTheEyesToTheTemplatePositions) {
  const ChipTemplate kind = GetParam();
  const Landmarks68 lm = TransformedTemplate(kind, 25, 1.6, {40, 70});
  const cv::Mat chip_to_image = SimilarityChipToImage(lm, kind, kChipSize, kChipPadding);
  cv::Mat image_to_chip;
  cv::invertAffineTransform(chip_to_image, image_to_chip);
  for (const auto& [i, p] : ChipTemplatePoints(kind, kChipSize, kChipPadding)) {
    if (i < 36 || i > 47) continue;  // eye points
    const cv::Point2d in_chip = Apply(image_to_chip, cv::Point2d(lm[i].x, lm[i].y));
    // dlib maps the corner pixel centres (0 and 149) to the rect corners: a
    // sub-pixel stretch against the least-squares fit.
    EXPECT_NEAR(in_chip.x, p.x, 0.6) << "landmark " << i;
    EXPECT_NEAR(in_chip.y, p.y, 0.6) << "landmark " << i;
  }
}

TEST_P(SimilarityChipTest, SamplesTheRotatedFaceUpright) {
  const ChipTemplate kind = GetParam();
  // A bright dot at the image-left eye's outer corner (landmark 36) of a face
  // turned by 30 degrees.
  const Landmarks68 lm = TransformedTemplate(kind, 30, 1.2, {60, 20});
  cv::Mat img(300, 300, CV_32FC3, cv::Scalar::all(0));
  const cv::Point eye(cvRound(lm[36].x), cvRound(lm[36].y));
  img(cv::Rect(eye.x - 2, eye.y - 2, 5, 5)).setTo(cv::Scalar::all(255));
  const cv::Mat chip = SimilarityChip(img, lm, kind);
  ASSERT_EQ(chip.size(), cv::Size(kChipSize, kChipSize));
  cv::Point max_at;
  cv::Mat grey;
  cv::extractChannel(chip, grey, 0);
  cv::minMaxLoc(grey, nullptr, nullptr, nullptr, &max_at);
  // The chip's template position of landmark 36.
  cv::Point2d want;
  for (const auto& [i, p] : ChipTemplatePoints(kind, kChipSize, kChipPadding)) {
    if (i == 36) want = p;
  }
  EXPECT_NEAR(max_at.x, want.x, 2.5);
  EXPECT_NEAR(max_at.y, want.y, 2.5);
}

INSTANTIATE_TEST_SUITE_P(Templates, SimilarityChipTest,
                         ::testing::Values(ChipTemplate::kFivePoint, ChipTemplate::kMeanFace68));

Landmarks68 EyesAndMouth(cv::Point2f left, cv::Point2f right, cv::Point2f mouth) {
  Landmarks68 lm{};
  for (int i = 36; i < 42; ++i) lm[i] = left;
  for (int i = 42; i < 48; ++i) lm[i] = right;
  for (int i = 48; i < 68; ++i) lm[i] = mouth;
  return lm;
}

TEST(FaceApiAlignBox, SquareAroundEyesAndMouth) {
  const Landmarks68 lm = EyesAndMouth({40, 50}, {80, 50}, {60, 95});
  const cv::Rect2f box = FaceApiAlignBox(lm);
  // d = hypot(20, 45) = 49.24; size = floor(d / 0.45) = 109; ref = (60, 65).
  EXPECT_EQ(box.width, 109);
  EXPECT_EQ(box.height, 109);
  EXPECT_EQ(box.x, 5);   // floor(60 - 54.5)
  EXPECT_EQ(box.y, 18);  // floor(65 - 46.87)
}

TEST(FaceApiAlignBox, ClampsTheOriginAtZero) {
  const cv::Rect2f box = FaceApiAlignBox(EyesAndMouth({5, 10}, {45, 10}, {25, 55}));
  EXPECT_EQ(box.x, 0);
  EXPECT_EQ(box.y, 0);
}

TEST(FaceApiChip, IsAPaddedSquareResizedTo150) {
  cv::Mat img(100, 100, CV_32FC3, cv::Scalar::all(200));
  // Box 5,18,109,109 clipped to 95x82: padded at the bottom and top with zeros.
  const cv::Mat chip = FaceApiChip(img, EyesAndMouth({40, 50}, {80, 50}, {60, 95}));
  ASSERT_EQ(chip.size(), cv::Size(150, 150));
  EXPECT_EQ(chip.at<cv::Vec3f>(75, 75)[0], 200);
  EXPECT_EQ(chip.at<cv::Vec3f>(0, 75)[0], 0);
  EXPECT_EQ(chip.at<cv::Vec3f>(149, 75)[0], 0);
}

TEST(LandmarksToImage, UndoesCentredPaddingAndAddsTheCropOrigin) {
  std::array<float, 136> out{};
  out[0] = 0.5f;   // x of point 0
  out[1] = 0.25f;  // y of point 0
  // A 40 wide, 80 tall crop at (10, 20): square side 80, 20 px of padding left.
  const Landmarks68 lm = LandmarksToImage(out, cv::Rect(10, 20, 40, 80));
  EXPECT_FLOAT_EQ(lm[0].x, 0.5f * 80 - 20 + 10);
  EXPECT_FLOAT_EQ(lm[0].y, 0.25f * 80 + 20);
}

// The feature net's chip: with the five points placed by a known similarity, the chip's map
// sends each ArcFace reference point exactly onto its landmark, and a bright dot at the nose
// tip lands at the reference nose position in the chip.
TEST(FivePointChip, PutsTheFivePointsOnTheArcFaceReference) {
  const double a = 2.1 * std::cos(0.3), b = 2.1 * std::sin(0.3);
  const cv::Point2d t(160, 90);
  auto place = [&](int k) {
    const double x = kFivePointReference[k][0], y = kFivePointReference[k][1];
    return cv::Point2f(static_cast<float>(a * x - b * y + t.x), static_cast<float>(b * x + a * y + t.y));
  };
  Landmarks68 lm{};
  for (int i = 36; i < 42; ++i) lm[i] = place(0);  // both eyes: all six points at the centre
  for (int i = 42; i < 48; ++i) lm[i] = place(1);
  lm[30] = place(2);
  lm[48] = place(3);
  lm[54] = place(4);
  const cv::Mat m = FivePointChipToImage(lm);
  for (int k = 0; k < 5; ++k) {
    const cv::Point2d got = Apply(m, {kFivePointReference[k][0], kFivePointReference[k][1]});
    EXPECT_NEAR(got.x, place(k).x, 1e-3) << "point " << k;
    EXPECT_NEAR(got.y, place(k).y, 1e-3) << "point " << k;
  }
  cv::Mat img(400, 400, CV_32FC3, cv::Scalar::all(0));
  cv::circle(img, cv::Point(cvRound(place(2).x), cvRound(place(2).y)), 4, cv::Scalar::all(255), -1);
  const cv::Mat chip = FivePointChip(img, lm);
  ASSERT_EQ(chip.size(), cv::Size(kFeatureChipSize, kFeatureChipSize));
  cv::Mat grey;
  cv::cvtColor(chip, grey, cv::COLOR_RGB2GRAY);
  cv::Point peak;
  cv::minMaxLoc(grey, nullptr, nullptr, nullptr, &peak);
  EXPECT_NEAR(peak.x, kFivePointReference[2][0], 2.0);
  EXPECT_NEAR(peak.y, kFivePointReference[2][1], 2.0);
}

}  // namespace
}  // namespace facegate::vision
