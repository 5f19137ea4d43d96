// The TF.js graph-model converter (nn/tf_graph_model): a hand-made graph computes what TF would,
// NHWC flatten order included; ops outside the supported set are refused by name; and the two
// pinned human-models graphs load with the shapes their wrappers expect.
#include <gtest/gtest.h>

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
  // Inputs outside what the nets take are refused with a message, not run.
  auto net = AntiSpoofNet::Load(*files);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ((*net)->Run(cv::Mat(64, 64, CV_32FC3)).status().kind(), ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace facegate::nn
