// face-api FaceLandmark68Net (src/faceLandmarkNet, src/faceFeatureExtractor) as an ONNX graph.
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

constexpr std::array<float, 3> kMeanRgb = {122.782f, 117.001f, 104.298f};
constexpr int kInput = 112;

// tf.separableConv2d (SAME) + bias: depthwise 3x3 then pointwise 1x1.
Result<OnnxValue> SeparableConv(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                                const std::string& prefix, int64_t in, int64_t out, int stride) {
  FG_ASSIGN_OR_RETURN(const TfTensor* depthwise,
                      w.Get(prefix + "/depthwise_filter", {3, 3, in, 1}));
  FG_ASSIGN_OR_RETURN(const TfTensor* pointwise,
                      w.Get(prefix + "/pointwise_filter", {1, 1, in, out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get(prefix + "/bias", {out}));
  OnnxValue y = TfDepthwiseConv2D(g, x, *depthwise, stride, TfPadding::kSame);
  return TfConv2D(g, y, *pointwise, 1, TfPadding::kSame, bias->values);
}

// denseBlock4 (denseBlock.ts): four convs, each fed the relu of the sum of the previous ones.
Result<OnnxValue> DenseBlock4(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                              const std::string& prefix, int64_t in, int64_t out, bool first) {
  OnnxValue out1;
  if (first) {
    FG_ASSIGN_OR_RETURN(const TfTensor* filters, w.Get(prefix + "/conv0/filters", {3, 3, in, out}));
    FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get(prefix + "/conv0/bias", {out}));
    out1 = TfConv2D(g, x, *filters, 2, TfPadding::kSame, bias->values);
  } else {
    FG_ASSIGN_OR_RETURN(out1, SeparableConv(g, w, x, prefix + "/conv0", in, out, 2));
  }
  out1 = g.Relu(out1);
  FG_ASSIGN_OR_RETURN(OnnxValue out2, SeparableConv(g, w, out1, prefix + "/conv1", out, out, 1));
  OnnxValue in3 = g.Relu(g.Add(out1, out2));
  FG_ASSIGN_OR_RETURN(OnnxValue out3, SeparableConv(g, w, in3, prefix + "/conv2", out, out, 1));
  OnnxValue in4 = g.Relu(g.Add(out1, g.Add(out2, out3)));
  FG_ASSIGN_OR_RETURN(OnnxValue out4, SeparableConv(g, w, in4, prefix + "/conv3", out, out, 1));
  return g.Relu(g.Add(out1, g.Add(out2, g.Add(out3, out4))));
}

Result<std::unique_ptr<DnnRunner>> BuildLandmarkNet(const TfWeights& w) {
  OnnxGraph g;
  OnnxValue x = g.Input("input", {1, 3, kInput, kInput});
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense0", 3, 32, true));
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense1", 32, 64, false));
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense2", 64, 128, false));
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense3", 128, 256, false));
  x = g.Flatten(g.AveragePool(x, 7, 2));  // 7x7 -> 1x1, so NCHW and NHWC flatten agree
  FG_ASSIGN_OR_RETURN(const TfTensor* fc, w.Get("fc/weights", {256, 136}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get("fc/bias", {136}));
  std::vector<float> fc_out_in(fc->values.size());  // [in, out] -> [out, in]
  for (int i = 0; i < 256; ++i)
    for (int o = 0; o < 136; ++o) fc_out_in[o * 256 + i] = fc->values[i * 136 + o];
  g.Output(g.Gemm(x, std::move(fc_out_in), 136, bias->values));
  return DnnRunner::Create(g);
}

}  // namespace

LandmarkNet::LandmarkNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
LandmarkNet::~LandmarkNet() = default;

Result<std::unique_ptr<LandmarkNet>> LandmarkNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(TfWeights weights,
                      TfWeights::Load(files, kFaceApiPackage,
                                      "model/face_landmark_68_model-weights_manifest.json"));
  FG_ASSIGN_OR_RETURN(auto runner, BuildLandmarkNet(weights));
  return std::unique_ptr<LandmarkNet>(new LandmarkNet(std::move(runner)));
}

Result<std::array<float, 136>> LandmarkNet::Run(const cv::Mat& rgb112) {
  FG_RETURN_IF_ERROR(CheckInputImage(rgb112, kInput, "LandmarkNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(ToBlobMeanRgb(rgb112, kMeanRgb)));
  if (outs[0].total() != 136) return Status::Internal("landmark net returned a wrong-size output");
  std::array<float, 136> points;
  std::copy_n(outs[0].ptr<float>(), 136, points.begin());
  return points;
}

}  // namespace facegate::nn
