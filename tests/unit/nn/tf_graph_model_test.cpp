// The TF.js graph-model converter (nn/tf_graph_model): a hand-made graph computes what TF would,
// NHWC flatten order included; ops outside the supported set are refused by name; and the two
// pinned human-models graphs load with the shapes their wrappers expect.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_graph_model.h"

namespace facegate::nn {
namespace {

using nlohmann::json;

std::string F32Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}
std::string I32Bytes(const std::vector<int32_t>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int32_t));
}

json Node(const std::string& name, const std::string& op, std::vector<std::string> in,
          json attr = json::object()) {
  json n = {{"name", name}, {"op", op}, {"attr", attr}};
  if (!in.empty()) n["input"] = in;
  return n;
}

// "SAME"/"VALID"/"BiasAdd"... as TF.js stores strings: base64.
json B64(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : s) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(k[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(k[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

// A 2x2x2 NHWC input -> 1x1 conv (2 -> 2 channels, bias, Relu) -> per-channel Mul -> flatten
// (NHWC order) -> MatMul to 1 value with a bias -> Sigmoid.
struct TinyModel {
  std::string json_text;
  std::vector<std::string> groups;
};

TinyModel Tiny(const std::string& extra_op = "") {
  json nodes = json::array();
  nodes.push_back(Node("w", "Const", {}));
  nodes.push_back(Node("b", "Const", {}));
  nodes.push_back(Node("m", "Const", {}));
  nodes.push_back(Node("shape", "Const", {}));
  nodes.push_back(Node("fc", "Const", {}));
  nodes.push_back(Node("fcb", "Const", {}));
  nodes.push_back(Node("x", "Placeholder", {},
                       {{"shape", {{"shape", {{"dim", json::array({{{"size", "-1"}}, {{"size", "2"}},
                                                                   {{"size", "2"}}, {{"size", "2"}}})}}}}}}));
  json conv_attr = {{"strides", {{"list", {{"i", {"1", "1", "1", "1"}}}}}},
                    {"padding", {{"s", B64("VALID")}}},
                    {"data_format", {{"s", B64("NHWC")}}},
                    {"fused_ops", {{"list", {{"s", {B64("BiasAdd"), B64("Relu")}}}}}}};
  nodes.push_back(Node("conv", "_FusedConv2D", {"x", "w", "b"}, conv_attr));
  nodes.push_back(Node("scaled", "Mul", {"conv", "m"}));
  const std::string last = extra_op.empty() ? "scaled" : "extra";
  if (!extra_op.empty()) nodes.push_back(Node("extra", extra_op, {"scaled"}));
  nodes.push_back(Node("flat", "Reshape", {last, "shape"}));
  nodes.push_back(Node("dense", "_FusedMatMul", {"flat", "fc", "fcb"},
                       {{"fused_ops", {{"list", {{"s", {B64("BiasAdd")}}}}}}}));
  nodes.push_back(Node("prob", "Sigmoid", {"dense"}));
  nodes.push_back(Node("Identity", "Identity", {"prob"}));
  json weights = json::array({
      {{"name", "w"}, {"shape", {1, 1, 2, 2}}, {"dtype", "float32"}},
      {{"name", "b"}, {"shape", {2}}, {"dtype", "float32"}},
      {{"name", "m"}, {"shape", {2}}, {"dtype", "float32"}},
      {{"name", "shape"}, {"shape", {2}}, {"dtype", "int32"}},
      {{"name", "fc"}, {"shape", {8, 1}}, {"dtype", "float32"}},
      {{"name", "fcb"}, {"shape", {1}}, {"dtype", "float32"}},
  });
  json model = {{"format", "graph-model"},
                {"signature", {{"outputs", {{"out", {{"name", "Identity:0"}}}}}}},
                {"modelTopology", {{"node", nodes}}},
                {"weightsManifest", json::array({{{"paths", {"tiny.bin"}}, {"weights", weights}}})}};
  // HWIO 1x1x2x2: out0 = in0 + 2*in1, out1 = -in0 + in1
  const std::string bytes = F32Bytes({1, -1, 2, 1}) + F32Bytes({0.5f, -0.25f}) +
                            F32Bytes({2, 3}) + I32Bytes({-1, 8}) +
                            F32Bytes({0.1f, -0.2f, 0.3f, 0.05f, -0.1f, 0.2f, 0.15f, -0.3f}) +
                            F32Bytes({0.05f});
  return {model.dump(), {bytes}};
}

// What TF computes for Tiny() on an NHWC input x[h][w][c].
float TinyReference(const float x[2][2][2]) {
  const float fc[8] = {0.1f, -0.2f, 0.3f, 0.05f, -0.1f, 0.2f, 0.15f, -0.3f};
  float acc = 0.05f;
  int k = 0;
  for (int h = 0; h < 2; ++h)
    for (int w = 0; w < 2; ++w) {
      const float o0 = std::max(0.f, x[h][w][0] * 1 + x[h][w][1] * 2 + 0.5f) * 2;
      const float o1 = std::max(0.f, x[h][w][0] * -1 + x[h][w][1] * 1 - 0.25f) * 3;
      acc += o0 * fc[k++];
      acc += o1 * fc[k++];
    }
  return 1.f / (1.f + std::exp(-acc));
}

TEST(TfGraphModel, TinyGraphComputesWhatTfComputesInNhwcFlattenOrder) {
  TinyModel m = Tiny();
  auto model = ConvertTfGraphModel(m.json_text, m.groups, "tiny");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->input_height, 2);
  EXPECT_EQ(model->input_channels, 2);
  EXPECT_EQ(model->output_size, 1);
  auto runner = DnnRunner::Create(*model->graph);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  const float x[2][2][2] = {{{0.2f, 0.9f}, {-0.4f, 0.1f}}, {{0.7f, -0.3f}, {1.5f, 0.6f}}};
  cv::Mat blob(std::vector<int>{1, 2, 2, 2}, CV_32F);
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w) blob.ptr<float>()[(c * 2 + h) * 2 + w] = x[h][w][c];
  auto out = (*runner)->Forward(blob);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NEAR((*out)[0].ptr<float>()[0], TinyReference(x), 1e-6f);
}

// The ops of MediaPipe's nets (the iris net's): a 1x1x2 NHWC input -> 1x1 depthwise conv ->
// 1x1 conv with bias and a fused Prelu -> residual AddV2 with the input -> Pad of one zero
// channel -> Prelu -> ConcatV2 with the input on channels -> 1x1 MaxPool -> [1, 1, 1, 5]; on
// inputs that drive each Prelu below zero and above.
TEST(TfGraphModel, MediaPipeOpsComputeWhatTfComputes) {
  json nodes = json::array();
  for (const char* c : {"dw", "w", "b", "a2", "pads", "a3", "axis"}) nodes.push_back(Node(c, "Const", {}));
  nodes.push_back(Node("x", "Placeholder", {},
                       {{"shape", {{"shape", {{"dim", json::array({{{"size", "-1"}}, {{"size", "1"}},
                                                                   {{"size", "1"}}, {{"size", "2"}}})}}}}}}));
  const json strides1 = {{"list", {{"i", {"1", "1", "1", "1"}}}}};
  nodes.push_back(Node("depth", "DepthwiseConv2dNative", {"x", "dw"},
                       {{"strides", strides1}, {"padding", {{"s", B64("VALID")}}}}));
  nodes.push_back(Node("conv", "_FusedConv2D", {"depth", "w", "b", "a2"},
                       {{"strides", strides1}, {"padding", {{"s", B64("SAME")}}},
                        {"fused_ops", {{"list", {{"s", {B64("BiasAdd"), B64("Prelu")}}}}}}}));
  nodes.push_back(Node("res", "AddV2", {"conv", "x"}));
  nodes.push_back(Node("padded", "Pad", {"res", "pads"}));
  nodes.push_back(Node("pr", "Prelu", {"padded", "a3"}));
  nodes.push_back(Node("cat", "ConcatV2", {"pr", "x", "axis"}));
  nodes.push_back(Node("pool", "MaxPool", {"cat"},
                       {{"strides", strides1},
                        {"ksize", {{"list", {{"i", {"1", "1", "1", "1"}}}}}},
                        {"padding", {{"s", B64("VALID")}}}}));
  nodes.push_back(Node("Identity", "Identity", {"pool"}));
  json weights = json::array({
      {{"name", "dw"}, {"shape", {1, 1, 2, 1}}, {"dtype", "float32"}},
      {{"name", "w"}, {"shape", {1, 1, 2, 2}}, {"dtype", "float32"}},
      {{"name", "b"}, {"shape", {2}}, {"dtype", "float32"}},
      {{"name", "a2"}, {"shape", {2}}, {"dtype", "float32"}},
      {{"name", "pads"}, {"shape", {4, 2}}, {"dtype", "int32"}},
      {{"name", "a3"}, {"shape", {3}}, {"dtype", "float32"}},
      {{"name", "axis"}, {"shape", json::array()}, {"dtype", "int32"}},
  });
  // No top-level signature: older converters keep it under userDefinedMetadata.
  json model = {{"format", "graph-model"},
                {"userDefinedMetadata", {{"signature", {{"outputs", {{"out", {{"name", "Identity:0"}}}}}}}}},
                {"modelTopology", {{"node", nodes}}},
                {"weightsManifest", json::array({{{"paths", {"mp.bin"}}, {"weights", weights}}})}};
  const std::string bytes = F32Bytes({2, -1}) + F32Bytes({1, -1, 2, 1}) + F32Bytes({0.5f, -0.25f}) +
                            F32Bytes({0.1f, 0.3f}) + I32Bytes({0, 0, 0, 0, 0, 0, 0, 1}) +
                            F32Bytes({0.5f, 0.2f, 0.7f}) + I32Bytes({3});
  auto converted = ConvertTfGraphModel(model.dump(), {bytes}, "mediapipe-ops");
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  EXPECT_EQ(converted->output_size, 5);
  auto runner = DnnRunner::Create(*converted->graph);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  auto prelu = [](float v, float a) { return v >= 0 ? v : a * v; };
  for (const auto& x : {std::array<float, 2>{0.2f, 0.9f}, std::array<float, 2>{-0.4f, 0.1f},
                        std::array<float, 2>{1.5f, -0.6f}, std::array<float, 2>{-1.f, -1.f}}) {
    cv::Mat blob(std::vector<int>{1, 2, 1, 1}, CV_32F);
    blob.ptr<float>()[0] = x[0];
    blob.ptr<float>()[1] = x[1];
    auto out = (*runner)->Forward(blob);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ((*out)[0].total(), 5u);
    // TF's arithmetic.
    const float d0 = x[0] * 2, d1 = x[1] * -1;
    const float c0 = prelu(d0 * 1 + d1 * 2 + 0.5f, 0.1f), c1 = prelu(d0 * -1 + d1 * 1 - 0.25f, 0.3f);
    const float want[5] = {prelu(c0 + x[0], 0.5f), prelu(c1 + x[1], 0.2f), 0.f, x[0], x[1]};
    for (int k = 0; k < 5; ++k) EXPECT_NEAR((*out)[0].ptr<float>()[k], want[k], 1e-6f) << "channel " << k;
  }
}

TEST(TfGraphModel, RefusesAnUnknownOpNamingIt) {
  TinyModel m = Tiny("LeakyRelu");
  auto model = ConvertTfGraphModel(m.json_text, m.groups, "tiny");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(model.status().message().find("extra (LeakyRelu)"), std::string::npos)
      << model.status().message();
}

TEST(TfGraphModel, RefusesWeightsThatDoNotMatchTheManifest) {
  TinyModel m = Tiny();
  m.groups[0].resize(m.groups[0].size() - 4);
  auto model = ConvertTfGraphModel(m.json_text, m.groups, "tiny");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().kind(), ErrorKind::kIntegrity);
}

TEST(TfGraphModel, PinnedLivenessModelsLoadWithTheirShapes) {
  auto files = ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto antispoof = LoadTfGraphModel(*files, kHumanModelsPackage, "models/antispoof.json");
  ASSERT_TRUE(antispoof.ok()) << antispoof.status().ToString();
  EXPECT_EQ(antispoof->input_height, 128);
  EXPECT_EQ(antispoof->output_size, 1);
  auto liveness = LoadTfGraphModel(*files, kHumanModelsPackage, "models/liveness.json");
  ASSERT_TRUE(liveness.ok()) << liveness.status().ToString();
  EXPECT_EQ(liveness->input_height, 32);
  EXPECT_EQ(liveness->output_size, 2);
  auto iris = LoadTfGraphModel(*files, kHumanModelsPackage, "models/iris.json");
  ASSERT_TRUE(iris.ok()) << iris.status().ToString();
  EXPECT_EQ(iris->input_height, 64);
  EXPECT_EQ(iris->output_size, 228);  // 76 points, x y z
  // Inputs outside what the nets take are refused with a message, not run.
  auto net = AntiSpoofNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ((*net)->Run(cv::Mat(64, 64, CV_32FC3)).status().kind(), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace facegate::nn
