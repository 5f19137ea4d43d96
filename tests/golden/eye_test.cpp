// faceplugin's eye-state net (fr_eye.onnx) against ONNX Runtime: the softmax of our OpenCV DNN
// run equals the reference's on the same 24x24 inputs (docs/golden.md). Data:
// tools/reference/make-golden-eye.js.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "golden_data.h"
#include "nn/model_files.h"
#include "nn/nets.h"

namespace facegate::golden {
namespace {

TEST(GoldenEyeNet, SoftmaxEqualsOnnxRuntimeWithin1e4OnEveryInput) {
  const std::string bytes = ReadBytes("eye.json");
  ASSERT_FALSE(bytes.empty()) << "run the golden.generate test (tools/reference/make-golden-eye.js)";
  const nlohmann::json index = nlohmann::json::parse(bytes);
  const size_t n = index.at("count").get<size_t>();
  ASSERT_GE(n, 40u);
  constexpr int kSide = nn::EyeNet::kInputSize;
  const std::vector<float> inputs = ReadF32(index.at("inputs").get<std::string>(), n * kSide * kSide);
  const std::vector<float> outputs = ReadF32(index.at("outputs").get<std::string>(), n * 2);
  ASSERT_FALSE(inputs.empty() || outputs.empty());
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto net = nn::EyeNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  float worst = 0;
  int class0 = 0;
  for (size_t k = 0; k < n; ++k) {
    cv::Mat in(kSide, kSide, CV_32FC1, const_cast<float*>(inputs.data() + k * kSide * kSide));
    auto got = (*net)->Run(in);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    const float a = outputs[2 * k], b = outputs[2 * k + 1], m = std::max(a, b);
    const float p0 = std::exp(a - m) / (std::exp(a - m) + std::exp(b - m));
    worst = std::max({worst, std::fabs((*got)[0] - p0), std::fabs((*got)[1] - (1 - p0))});
    class0 += p0 > 0.5f;
  }
  std::printf("eye net: %zu inputs (%d of class 0), max abs diff of the softmax %.3g\n", n, class0, worst);
  EXPECT_LT(worst, 1e-4f);
  EXPECT_GT(class0, 0);
  EXPECT_LT(class0, static_cast<int>(n)) << "every input in one class: the inputs test nothing";
}

}  // namespace
}  // namespace facegate::golden
