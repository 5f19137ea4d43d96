// Each of our nets, fed the exact tensor face-api fed its net, gives face-api's output within
// 1e-4 (docs/golden.md); faceplugin's feature net, fed the reference's five-point chip, gives
// ONNX Runtime's output. The inputs and outputs come from tools/reference/make-golden.js.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/align.h"
#include "vision/image_ops.h"

namespace facegate::golden {
namespace {

constexpr float kNetTolerance = 1e-4f;

// The pinned model cache (scripts/install-models.sh fills it).
Result<nn::ModelFiles> Files() { return nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK); }

TEST(GoldenRecognitionNet, EqualsFaceApiWithin1e4OnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::RecognitionNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst = 0;
  const auto cases = NetCases("face_recognition");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    cv::Mat input = ReadTensorImage(c.at("input"), 150, 150);
    std::vector<float> want = ReadF32(c.at("output"), 128);
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float diff = MaxAbsDiff(got->data(), want.data(), 128);
    EXPECT_LE(diff, kNetTolerance);
    worst = std::max(worst, diff);
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("recognition: %zu faces, max abs diff %.3g\n", cases.size(), worst);
}

TEST(GoldenLandmarkNet, EqualsFaceApiWithin1e4OnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::LandmarkNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst = 0;
  const auto cases = NetCases("face_landmark_68");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    cv::Mat input = ReadTensorImage(c.at("input"), 112, 112);
    std::vector<float> want = ReadF32(c.at("output"), 136);
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float diff = MaxAbsDiff(got->data(), want.data(), 136);
    EXPECT_LE(diff, kNetTolerance);
    worst = std::max(worst, diff);
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("landmarks: %zu faces, max abs diff %.3g\n", cases.size(), worst);
}

// Boxes compared as face-api stores them: [ymin, xmin, ymax, xmax] normalised to the 512 input,
// for all 5118 anchors before NMS.
TEST(GoldenSsdNet, ScoresAndBoxesOfAllAnchorsEqualFaceApiWithin1e4) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::SsdNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst_score = 0, worst_box = 0;
  const auto cases = NetCases("ssd_mobilenetv1");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>());
    const int n = c.at("scores_shape")[0];
    ASSERT_EQ(n, nn::SsdNet::kAnchors);
    cv::Mat input = ReadTensorImage(c.at("input"), 512, 512);
    std::vector<float> want_boxes = ReadF32(c.at("boxes"), n * 4);
    std::vector<float> want_scores = ReadF32(c.at("scores"), n);
    ASSERT_FALSE(input.empty() || want_boxes.empty() || want_scores.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->scores.size(), static_cast<size_t>(n));
    ASSERT_EQ(got->boxes.size(), static_cast<size_t>(n));
    const float score_diff = MaxAbsDiff(got->scores.data(), want_scores.data(), n);
    std::vector<float> ours(n * 4);
    for (int i = 0; i < n; ++i) {
      const cv::Rect2f& b = got->boxes[i];
      ours[4 * i + 0] = b.y;
      ours[4 * i + 1] = b.x;
      ours[4 * i + 2] = b.y + b.height;
      ours[4 * i + 3] = b.x + b.width;
    }
    const float box_diff = MaxAbsDiff(ours.data(), want_boxes.data(), n * 4);
    EXPECT_LE(score_diff, kNetTolerance);
    EXPECT_LE(box_diff, kNetTolerance);
    worst_score = std::max(worst_score, score_diff);
    worst_box = std::max(worst_box, box_diff);
  }
  RecordProperty("max_abs_diff_scores", std::to_string(worst_score));
  RecordProperty("max_abs_diff_boxes", std::to_string(worst_box));
  std::printf("ssd: %zu images, max abs diff scores %.3g boxes %.3g\n", cases.size(), worst_score,
              worst_box);
}

// faceplugin's fr_feature.onnx through OpenCV DNN against ONNX Runtime 1.30 (CPU, one thread) on
// the reference's 112x112 chip of each of the 22 demo faces. Raw outputs (norm ~3, entries up to
// ~0.6). Measured: max abs diff 7.0e-7, 1 - cosine 1.1e-12; the bounds are about 4x that
// (docs/golden.md). Real faults are far outside: BGR instead of RGB gives 0.31 and 0.18,
// (x - 127.5) / 128 instead of (x - 127) / 128 gives 1.8e-3 and 6.8e-6.
constexpr float kFeatureTolerance = 3e-6f;         // max abs diff over the 512 raw values
constexpr double kFeatureMaxOneMinusCos = 5e-12;  // 1 - cosine of ours and ORT's, per face
constexpr double kOurChipMinCosine = 0.97;  // our chip and net vs the reference chip and ORT (measured 0.985)
constexpr size_t kGoldenFaces = 22;               // faces face-api finds on the six demo images

TEST(GoldenFeatureNet, EqualsOnnxRuntimeOnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::FeatureNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  constexpr int n = nn::kFeatureDim;
  constexpr int size = nn::FeatureNet::kInputSize;
  float worst = 0;
  double worst_cos_gap = 0;
  const auto cases = NetCases("feature");
  ASSERT_EQ(cases.size(), kGoldenFaces) << "one feature case per golden face";
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    ASSERT_EQ(c.at("input_shape"), nlohmann::json({size, size, 3}));
    ASSERT_EQ(c.at("output_shape"), nlohmann::json({n}));
    cv::Mat input = ReadTensorImage(c.at("input"), size, size);
    std::vector<float> want = ReadF32(c.at("output"), n);
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float diff = MaxAbsDiff(got->data(), want.data(), n);
    const double cos_gap = 1 - Cosine(got->data(), want.data(), n);
    EXPECT_LE(diff, kFeatureTolerance);
    EXPECT_LE(cos_gap, kFeatureMaxOneMinusCos);
    worst = std::max(worst, diff);
    worst_cos_gap = std::max(worst_cos_gap, cos_gap);
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  RecordProperty("max_one_minus_cosine", std::to_string(worst_cos_gap));
  std::printf("feature: %zu faces, max abs diff %.3g, max 1 - cosine %.3g\n", cases.size(), worst,
              worst_cos_gap);
}

// Our own chip (vision::FivePointChip) from the same 68 landmarks, through our net, against
// ONNX Runtime's output on the reference chip: the whole template path but detection. Where
// the chip shrinks the photo at most 2x both chips sample the same pixels and must agree to
// float rounding; beyond that ours samples a half-size pyramid level (anti-aliasing, as the dlib
// chip does) and only the features are compared.
TEST(GoldenFeatureNet, OurChipFromTheSameLandmarksGivesTheReferenceFeature) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::FeatureNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  constexpr int n = nn::kFeatureDim;
  const auto cases = NetCases("feature");
  ASSERT_EQ(cases.size(), kGoldenFaces);
  std::map<std::string, nlohmann::json> images;
  for (const auto& im : Index().at("images")) images[im.at("name").get<std::string>()] = im;
  int same_pixels = 0;
  float worst_chip = 0;
  double worst_cos = 1;
  for (const auto& c : cases) {
    const std::string name = c.at("image");
    const int face = c.at("face");
    SCOPED_TRACE(name + " face " + std::to_string(face));
    const auto& im = images.at(name);
    const cv::Mat rgb = ReadRgb(im.at("rgb"), im.at("width"), im.at("height"));
    ASSERT_FALSE(rgb.empty());
    vision::Landmarks68 lm;
    const auto& pts = im.at("faces").at(face).at("landmarks");
    ASSERT_EQ(pts.size(), 68u);
    for (int k = 0; k < 68; ++k) lm[k] = cv::Point2f(pts[k][0].get<float>(), pts[k][1].get<float>());
    const cv::Mat ours = vision::FivePointChip(vision::ToFloatRgb(rgb), lm);
    const cv::Mat ref = ReadTensorImage(c.at("input"), vision::kFeatureChipSize, vision::kFeatureChipSize);
    const cv::Mat m = vision::FivePointChipToImage(lm);
    if (std::hypot(m.at<double>(0, 0), m.at<double>(1, 0)) <= 2.0) {
      ++same_pixels;
      const float d = MaxAbsDiff(ours.ptr<float>(), ref.ptr<float>(), ours.total() * 3);
      EXPECT_LE(d, 0.01f) << "chip pixels differ";
      worst_chip = std::max(worst_chip, d);
    }
    auto got = (*net)->Run(ours);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const std::vector<float> want = ReadF32(c.at("output"), n);
    const double cosine = Cosine(got->data(), want.data(), n);
    EXPECT_GE(cosine, kOurChipMinCosine);
    worst_cos = std::min(worst_cos, cosine);
  }
  std::printf("feature from our chip: %zu faces (%d at <= 2x, chip max abs diff %.3g), min cosine %.5f\n",
              cases.size(), same_pixels, worst_chip, worst_cos);
}

}  // namespace
}  // namespace facegate::golden
