// faceplugin's presentation-attack net (fr_liveness.onnx), the engine's liveness check, against
// ONNX Runtime: the softmax of our OpenCV DNN run equals the reference's, all three classes, on
// the same 128x128 inputs (docs/golden.md). Data: tools/reference/make-golden-liveness.js.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"

namespace facegate::golden {
namespace {

TEST(GoldenFrLivenessNet, SoftmaxEqualsOnnxRuntimeWithin1e4OnEveryInput) {
  const std::string bytes = ReadBytes("liveness-fr.json");
  ASSERT_FALSE(bytes.empty()) << "run the golden.generate test (tools/reference/make-golden-liveness.js)";
  const nlohmann::json index = nlohmann::json::parse(bytes);
  const size_t n = index.at("count").get<size_t>();
  ASSERT_GE(n, 20u);
  constexpr int kSide = nn::FrLivenessNet::kInputSize, kPlane = kSide * kSide;
  const std::vector<float> inputs = ReadF32(index.at("inputs").get<std::string>(), n * 3 * kPlane);
  constexpr int kC = nn::FrLivenessNet::kClasses;
  const std::vector<float> outputs = ReadF32(index.at("outputs").get<std::string>(), n * kC);
  ASSERT_FALSE(inputs.empty() || outputs.empty());
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::FrLivenessNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst = 0, lo = 1, hi = 0;
  for (size_t k = 0; k < n; ++k) {
    // The reference's planar input back to the interleaved RGB image the net takes.
    std::vector<cv::Mat> planes;
    for (int c = 0; c < 3; ++c)
      planes.emplace_back(kSide, kSide, CV_32F, const_cast<float*>(inputs.data() + (k * 3 + c) * kPlane));
    cv::Mat rgb;
    cv::merge(planes, rgb);
    auto got = (*net)->Run(rgb);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float* o = outputs.data() + kC * k;
    const float m = std::max({o[0], o[1], o[2]});
    float sum = 0;
    for (int c = 0; c < kC; ++c) sum += std::exp(o[c] - m);
    for (int c = 0; c < kC; ++c) worst = std::max(worst, std::fabs((*got)[c] - std::exp(o[c] - m) / sum));
    const float live = std::exp(o[nn::FrLivenessNet::kLiveClass] - m) / sum;
    lo = std::min(lo, live);
    hi = std::max(hi, live);
  }
  std::printf("fr_liveness net: %zu inputs, live scores %.3g..%.3g, max abs diff of the softmax %.3g\n", n, lo, hi,
              worst);
  EXPECT_LT(worst, 1e-4f);
  EXPECT_GT(hi - lo, 0.1f) << "every input scored alike: the inputs test nothing";
}

}  // namespace
}  // namespace facegate::golden
