// The liveness nets and their crop against the JavaScript reference (make-golden.js runs
// human-models' antispoof and liveness graph models on tfjs-backend-wasm, on human's face crop
// placed by face-api's detection box). Nets: within 1e-4 on the reference's own input tensors.
// Crop: our HumanFaceBox + HumanFaceCrop + resize from jpeg-js pixels equal the reference's
// tensors, and the scores they give equal the reference's (docs/liveness.md).
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/image_ops.h"
#include "vision/liveness.h"

namespace facegate::golden {
namespace {

constexpr float kNetTolerance = 1e-4f;

Result<nn::ModelFiles> Files() { return nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK); }

TEST(GoldenAntiSpoofNet, EqualsHumanWithin1e4OnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::AntiSpoofNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  const auto cases = NetCases("antispoof");
  ASSERT_FALSE(cases.empty()) << "regenerate the goldens: node tools/reference/make-golden.js "
                              << Dir() << " --force";
  float worst = 0, lo = 1, hi = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    cv::Mat input = ReadTensorImage(c.at("input"), 128, 128);
    std::vector<float> want = ReadF32(c.at("output"), 1);
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_LE(std::fabs(*got - want[0]), kNetTolerance) << "ours " << *got << ", reference " << want[0];
    worst = std::max(worst, std::fabs(*got - want[0]));
    lo = std::min(lo, want[0]);
    hi = std::max(hi, want[0]);
  }
  // The cases must exercise the net, not one saturated corner of it.
  EXPECT_GT(hi - lo, 0.2f) << "reference scores span only " << lo << ".." << hi;
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("antispoof: %zu faces, max abs diff %.3g (scores %.3f..%.3f)\n", cases.size(), worst,
              lo, hi);
}

TEST(GoldenLivenessNet, EqualsHumanWithin1e4OnEveryFace) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::LivenessNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  const auto cases = NetCases("liveness");
  ASSERT_FALSE(cases.empty()) << "regenerate the goldens: node tools/reference/make-golden.js "
                              << Dir() << " --force";
  float worst = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("image").get<std::string>() + " face " + std::to_string(c.at("face").get<int>()));
    cv::Mat input = ReadTensorImage(c.at("input"), 32, 32);
    std::vector<float> want = ReadF32(c.at("output"), 2);
    ASSERT_FALSE(input.empty() || want.empty());
    auto got = (*net)->Run(input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float diff = MaxAbsDiff(got->data(), want.data(), 2);
    EXPECT_LE(diff, kNetTolerance);
    EXPECT_NEAR((*got)[0] + (*got)[1], 1.f, 1e-5f) << "a softmax sums to 1";
    worst = std::max(worst, diff);
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("liveness: %zu faces, max abs diff %.3g\n", cases.size(), worst);
}

// From jpeg-js's pixels and face-api's box, our crop steps reproduce the reference's tensors and
// so its scores: the box exactly, the 0..1 tensors and scores within 1e-4.
TEST(GoldenLivenessCrop, HumanCropFromFaceApiBoxEqualsReference) {
  auto files = Files();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto antispoof = nn::AntiSpoofNet::Load(*files);
  auto liveness = nn::LivenessNet::Load(*files);
  ASSERT_TRUE(antispoof.ok() && liveness.ok());
  const auto& index = Index();
  ASSERT_TRUE(index.is_object());
  int faces = 0;
  float worst_pixel = 0, worst_score = 0;
  for (const auto& im : index.at("images")) {
    const cv::Mat rgb = ReadRgb(im.at("rgb"), im.at("width"), im.at("height"));
    ASSERT_FALSE(rgb.empty());
    const cv::Mat rgbf = vision::ToFloatRgb(rgb);
    for (size_t i = 0; i < im.at("faces").size(); ++i) {
      const auto& f = im.at("faces")[i];
      SCOPED_TRACE(im.at("name").get<std::string>() + " face " + std::to_string(i));
      const auto b = f.at("box");
      const cv::Rect2f box(b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>());
      const cv::Vec4f hb = vision::HumanFaceBox(box);
      for (int k = 0; k < 4; ++k) EXPECT_EQ(hb[k], f.at("human_box")[k].get<float>()) << "corner " << k;
      const cv::Mat crop = vision::HumanFaceCrop(rgbf, hb);
      const cv::Mat in128 = vision::ResizeBilinearTf(crop, 128, 128);
      const cv::Mat in32 = vision::ResizeBilinearTf(crop, 32, 32);
      const std::string stem = im.at("name").get<std::string>() + ".face" + std::to_string(i);
      const cv::Mat want128 = ReadTensorImage(stem + ".antispoof.input.f32", 128, 128);
      const cv::Mat want32 = ReadTensorImage(stem + ".liveness.input.f32", 32, 32);
      ASSERT_FALSE(want128.empty() || want32.empty());
      const float d128 = static_cast<float>(cv::norm(in128, want128, cv::NORM_INF));
      const float d32 = static_cast<float>(cv::norm(in32, want32, cv::NORM_INF));
      EXPECT_LE(d128, 1e-4f);
      EXPECT_LE(d32, 1e-4f);
      auto s = (*antispoof)->Run(in128);
      auto l = (*liveness)->Run(in32);
      ASSERT_TRUE(s.ok() && l.ok());
      const float ds = std::max(std::fabs(*s - f.at("antispoof").get<float>()),
                                std::fabs((*l)[0] - f.at("liveness").get<float>()));
      EXPECT_LE(ds, kNetTolerance);
      worst_pixel = std::max({worst_pixel, d128, d32});
      worst_score = std::max(worst_score, ds);
      ++faces;
    }
  }
  EXPECT_GE(faces, 20);
  RecordProperty("max_pixel_diff", std::to_string(worst_pixel));
  RecordProperty("max_score_diff", std::to_string(worst_score));
  std::printf("liveness crop: %d faces, max tensor diff %.3g, max score diff %.3g\n", faces,
              worst_pixel, worst_score);
}

}  // namespace
}  // namespace facegate::golden
