// face-api FaceRecognitionNet (src/faceRecognitionNet/*.ts) as an ONNX graph.
#include <cmath>

#include "nn/face_feature_extractor.h"  // kFaceApiMeanRgb
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

constexpr int kInput = 150;

// conv + bias, then the per-channel scale layer (x * weights + biases), folded into one conv:
// W' = W * s, b' = b * s + t (computed in double).
Result<OnnxValue> ConvLayer(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                            const std::string& prefix, int64_t in, int64_t out, int kernel,
                            int stride, TfPadding padding, bool relu) {
  FG_ASSIGN_OR_RETURN(const TfTensor* filters,
                      w.Get(prefix + "/conv/filters", {kernel, kernel, in, out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get(prefix + "/conv/bias", {out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* scale, w.Get(prefix + "/scale/weights", {out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* shift, w.Get(prefix + "/scale/biases", {out}));
  TfTensor folded = *filters;
  for (size_t i = 0; i < folded.values.size(); ++i) {
    folded.values[i] = static_cast<float>(double(filters->values[i]) * scale->values[i % out]);
  }
  std::vector<float> b(out);
  for (int64_t o = 0; o < out; ++o) {
    b[o] = static_cast<float>(double(bias->values[o]) * scale->values[o] + shift->values[o]);
  }
  OnnxValue y = TfConv2D(g, x, folded, stride, padding, std::move(b));
  return relu ? g.Relu(y) : y;
}

// relu(conv2(relu(conv1(x))) + x)
Result<OnnxValue> Residual(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                           const std::string& prefix, int64_t c) {
  FG_ASSIGN_OR_RETURN(OnnxValue a,
                      ConvLayer(g, w, x, prefix + "/conv1", c, c, 3, 1, TfPadding::kSame, true));
  FG_ASSIGN_OR_RETURN(OnnxValue b,
                      ConvLayer(g, w, a, prefix + "/conv2", c, c, 3, 1, TfPadding::kSame, false));
  return g.Relu(g.Add(b, x));
}

// Down block: 3x3/2 VALID conv then 3x3 SAME; shortcut = 2x2/2 average pool with channels
// zero-padded; a zero row/column is appended bottom/right of the conv branch where the two
// branches' sizes differ (residualLayer.ts).
Result<OnnxValue> ResidualDown(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                               const std::string& prefix, int64_t in, int64_t out) {
  FG_ASSIGN_OR_RETURN(
      OnnxValue a, ConvLayer(g, w, x, prefix + "/conv1", in, out, 3, 2, TfPadding::kValid, true));
  FG_ASSIGN_OR_RETURN(
      OnnxValue b, ConvLayer(g, w, a, prefix + "/conv2", out, out, 3, 1, TfPadding::kSame, false));
  OnnxValue pooled = g.AveragePool(x, 2, 2);
  if (pooled.shape[2] != b.shape[2] || pooled.shape[3] != b.shape[3]) {
    b = g.ZeroPad(b, {0, 0, 0, 0},
                  {0, 0, pooled.shape[2] - b.shape[2], pooled.shape[3] - b.shape[3]});
  }
  if (pooled.shape[1] != out) pooled = g.ZeroPad(pooled, {0, 0, 0, 0}, {0, out - in, 0, 0});
  return g.Relu(g.Add(pooled, b));
}

Result<std::unique_ptr<DnnRunner>> BuildRecognitionNet(const TfWeights& w) {
  OnnxGraph g;
  OnnxValue x = g.Input("input", {1, 3, kInput, kInput});
  FG_ASSIGN_OR_RETURN(x, ConvLayer(g, w, x, "conv32_down", 3, 32, 7, 2, TfPadding::kValid, true));
  x = g.MaxPool(x, 3, 2);
  for (const char* block : {"conv32_1", "conv32_2", "conv32_3"}) {
    FG_ASSIGN_OR_RETURN(x, Residual(g, w, x, block, 32));
  }
  FG_ASSIGN_OR_RETURN(x, ResidualDown(g, w, x, "conv64_down", 32, 64));
  for (const char* block : {"conv64_1", "conv64_2", "conv64_3"}) {
    FG_ASSIGN_OR_RETURN(x, Residual(g, w, x, block, 64));
  }
  FG_ASSIGN_OR_RETURN(x, ResidualDown(g, w, x, "conv128_down", 64, 128));
  for (const char* block : {"conv128_1", "conv128_2"}) {
    FG_ASSIGN_OR_RETURN(x, Residual(g, w, x, block, 128));
  }
  FG_ASSIGN_OR_RETURN(x, ResidualDown(g, w, x, "conv256_down", 128, 256));
  for (const char* block : {"conv256_1", "conv256_2"}) {
    FG_ASSIGN_OR_RETURN(x, Residual(g, w, x, block, 256));
  }
  FG_ASSIGN_OR_RETURN(x, ResidualDown(g, w, x, "conv256_down_out", 256, 256));
  x = g.Flatten(g.GlobalAveragePool(x));
  FG_ASSIGN_OR_RETURN(const TfTensor* fc, w.Get("fc", {256, 128}));
  x = TfFullyConnected(g, x, *fc);  // no bias
  g.Output(x);
  return DnnRunner::Create(g);
}

}  // namespace

RecognitionNet::RecognitionNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
RecognitionNet::~RecognitionNet() = default;

Result<std::unique_ptr<RecognitionNet>> RecognitionNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(TfWeights weights,
                      TfWeights::Load(files, kFaceApiPackage,
                                      "model/face_recognition_model-weights_manifest.json"));
  FG_ASSIGN_OR_RETURN(auto runner, BuildRecognitionNet(weights));
  return std::unique_ptr<RecognitionNet>(new RecognitionNet(std::move(runner)));
}

Result<std::array<float, 128>> RecognitionNet::Run(const cv::Mat& rgb150) {
  FG_RETURN_IF_ERROR(CheckInputImage(rgb150, kInput, "RecognitionNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs,
                      runner_->Forward(ToBlobMeanRgb(rgb150, kFaceApiMeanRgb)));
  if (outs[0].total() != 128)
    return Status::Internal("recognition net returned a wrong-size output");
  std::array<float, 128> descriptor;
  std::copy_n(outs[0].ptr<float>(), 128, descriptor.begin());
  return descriptor;
}

}  // namespace facegate::nn
