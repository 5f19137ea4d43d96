// MediaPipe's iris landmark net (human-models models/iris.json, converted by nn/tf_graph_model)
// against tfjs: our OpenCV DNN run gives the reference's points on the same 64x64 inputs, real
// eye crops among them (docs/golden.md). Data: tools/reference/make-golden-iris.js.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/eyes.h"

namespace facegate::golden {
namespace {

TEST(GoldenIrisNet, PointsEqualTfjsWithin1e3PixelsOnEveryInput) {
  const std::string bytes = ReadBytes("iris.json");
  ASSERT_FALSE(bytes.empty()) << "run the golden.generate test (tools/reference/make-golden-iris.js)";
  const nlohmann::json index = nlohmann::json::parse(bytes);
  const size_t n = index.at("count").get<size_t>();
  const size_t eyes = index.at("eyes").get<size_t>();
  ASSERT_GE(eyes, 20u);
  ASSERT_GT(n, 2 * eyes);
  constexpr int kSide = nn::IrisNet::kInputSize;
  constexpr int kValues = nn::IrisNet::kPoints * 3;
  const std::vector<float> inputs = ReadF32(index.at("inputs").get<std::string>(), n * kSide * kSide * 3);
  const std::vector<float> outputs = ReadF32(index.at("outputs").get<std::string>(), n * kValues);
  ASSERT_FALSE(inputs.empty() || outputs.empty());
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::IrisNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst = 0, least_open = 1, most_open = 0;
  for (size_t k = 0; k < n; ++k) {
    cv::Mat in(kSide, kSide, CV_32FC3, const_cast<float*>(inputs.data() + k * kSide * kSide * 3));
    auto got = (*net)->Run(in);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float* want = outputs.data() + k * kValues;
    std::array<cv::Point2f, nn::IrisNet::kPoints> ref;
    for (int i = 0; i < nn::IrisNet::kPoints; ++i) {
      ref[i] = {want[3 * i], want[3 * i + 1]};
      worst = std::max({worst, std::fabs((*got)[i].x - ref[i].x), std::fabs((*got)[i].y - ref[i].y)});
    }
    if (k < 2 * eyes) {
      least_open = std::min(least_open, vision::LidOpening(ref));
      most_open = std::max(most_open, vision::LidOpening(ref));
    }
  }
  std::printf("iris net: %zu inputs (%zu eye crops), max abs diff %.3g px; lid openings of the eyes %.3f..%.3f\n",
              n, 2 * eyes, worst, least_open, most_open);
  EXPECT_LT(worst, 1e-3f);
  // Real eyes, open and (some) half shut: the contours the net gives them are eye-shaped.
  EXPECT_GT(least_open, 0.02f);
  EXPECT_LT(most_open, 0.6f);
  EXPECT_GT(most_open - least_open, 0.1f) << "every eye alike: the inputs test nothing";
}

}  // namespace
}  // namespace facegate::golden
