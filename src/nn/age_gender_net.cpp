// face-api AgeGenderNet (src/ageGenderNet, src/xception) as an ONNX graph: TinyXception with two
// middle blocks on the 112x112 face, a 7x7 average pool, then two dense heads (age regression,
// gender logits). The gender softmax is computed here in float, as tf.softmax does.
#include <algorithm>
#include <cmath>

#include "nn/face_feature_extractor.h"  // kFaceFeatureInput, kFaceApiMeanRgb
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

constexpr int kMainBlocks = 2;  // new TinyXception(2) in AgeGenderNet's constructor

// tf.separableConv2d(x, depthwise, pointwise, [1,1], 'same') + bias.
Result<OnnxValue> SeparableConv(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                                const std::string& prefix, int64_t in, int64_t out) {
  FG_ASSIGN_OR_RETURN(const TfTensor* depthwise,
                      w.Get(prefix + "/depthwise_filter", {3, 3, in, 1}));
  FG_ASSIGN_OR_RETURN(const TfTensor* pointwise,
                      w.Get(prefix + "/pointwise_filter", {1, 1, in, out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get(prefix + "/bias", {out}));
  return TfSeparableConv2D(g, x, *depthwise, *pointwise, 1, TfPadding::kSame, bias->values);
}

// tf.conv2d(x, filters, stride, 'same') + bias.
Result<OnnxValue> Conv(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                       const std::string& prefix, int64_t in, int64_t out, int kernel, int stride) {
  FG_ASSIGN_OR_RETURN(const TfTensor* filters,
                      w.Get(prefix + "/filters", {kernel, kernel, in, out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get(prefix + "/bias", {out}));
  return TfConv2D(g, x, *filters, stride, TfPadding::kSame, bias->values);
}

// reductionBlock: sep(relu?(x)) -> sep(relu) -> maxPool 3x3/2 SAME, plus a 1x1/2 conv of x.
Result<OnnxValue> ReductionBlock(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                                 const std::string& prefix, int64_t in, int64_t out,
                                 bool relu_first) {
  OnnxValue r = relu_first ? g.Relu(x) : x;
  FG_ASSIGN_OR_RETURN(r, SeparableConv(g, w, r, prefix + "/separable_conv0", in, out));
  FG_ASSIGN_OR_RETURN(r, SeparableConv(g, w, g.Relu(r), prefix + "/separable_conv1", out, out));
  // TF's SAME max pool pads bottom/right; padded cells never win.
  r = g.MaxPool(r, 3, 2, TfPads(TfPadding::kSame, r.shape[2], r.shape[3], 3, 2));
  FG_ASSIGN_OR_RETURN(OnnxValue expansion, Conv(g, w, x, prefix + "/expansion_conv", in, out, 1, 2));
  return g.Add(r, expansion);
}

// mainBlock: three relu + separable convs, plus the identity.
Result<OnnxValue> MainBlock(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                            const std::string& prefix, int64_t c) {
  FG_ASSIGN_OR_RETURN(OnnxValue e, SeparableConv(g, w, g.Relu(x), prefix + "/separable_conv0", c, c));
  FG_ASSIGN_OR_RETURN(e, SeparableConv(g, w, g.Relu(e), prefix + "/separable_conv1", c, c));
  FG_ASSIGN_OR_RETURN(e, SeparableConv(g, w, g.Relu(e), prefix + "/separable_conv2", c, c));
  return g.Add(e, x);
}

Result<std::unique_ptr<DnnRunner>> BuildAgeGenderNet(const TfWeights& w) {
  OnnxGraph g;
  OnnxValue x = g.Input("input", {1, 3, kFaceFeatureInput, kFaceFeatureInput});
  FG_ASSIGN_OR_RETURN(x, Conv(g, w, x, "entry_flow/conv_in", 3, 32, 3, 2));
  x = g.Relu(x);
  FG_ASSIGN_OR_RETURN(x, ReductionBlock(g, w, x, "entry_flow/reduction_block_0", 32, 64, false));
  FG_ASSIGN_OR_RETURN(x, ReductionBlock(g, w, x, "entry_flow/reduction_block_1", 64, 128, true));
  for (int i = 0; i < kMainBlocks; ++i) {
    FG_ASSIGN_OR_RETURN(x, MainBlock(g, w, x, "middle_flow/main_block_" + std::to_string(i), 128));
  }
  FG_ASSIGN_OR_RETURN(x, ReductionBlock(g, w, x, "exit_flow/reduction_block", 128, 256, true));
  FG_ASSIGN_OR_RETURN(x, SeparableConv(g, w, x, "exit_flow/separable_conv", 256, 512));
  x = g.Relu(x);
  if (x.shape != std::vector<int64_t>{1, 512, 7, 7}) {
    return Status::Internal("TinyXception did not end in [1,512,7,7]");
  }
  // 7x7 -> 1x1, so flattening NCHW equals face-api's NHWC as2D.
  x = g.Flatten(g.AveragePool(x, 7, 2));
  FG_ASSIGN_OR_RETURN(const TfTensor* age_w, w.Get("fc/age/weights", {512, 1}));
  FG_ASSIGN_OR_RETURN(const TfTensor* age_b, w.Get("fc/age/bias", {1}));
  FG_ASSIGN_OR_RETURN(const TfTensor* gender_w, w.Get("fc/gender/weights", {512, 2}));
  FG_ASSIGN_OR_RETURN(const TfTensor* gender_b, w.Get("fc/gender/bias", {2}));
  g.Output(TfFullyConnected(g, x, *age_w, age_b->values));
  g.Output(TfFullyConnected(g, x, *gender_w, gender_b->values));
  return DnnRunner::Create(g);
}

}  // namespace

AgeGenderNet::AgeGenderNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
AgeGenderNet::~AgeGenderNet() = default;

Result<std::unique_ptr<AgeGenderNet>> AgeGenderNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(
      TfWeights weights,
      TfWeights::Load(files, kFaceApiPackage, "model/age_gender_model-weights_manifest.json"));
  FG_ASSIGN_OR_RETURN(auto runner, BuildAgeGenderNet(weights));
  return std::unique_ptr<AgeGenderNet>(new AgeGenderNet(std::move(runner)));
}

Result<AgeGenderNet::Output> AgeGenderNet::Run(const cv::Mat& rgb112) {
  FG_RETURN_IF_ERROR(CheckInputImage(rgb112, kFaceFeatureInput, "AgeGenderNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs,
                      runner_->Forward(ToBlobMeanRgb(rgb112, kFaceApiMeanRgb)));
  if (outs.size() != 2 || outs[0].total() != 1 || outs[1].total() != 2) {
    return Status::Internal("age/gender net returned wrong-size outputs");
  }
  Output o;
  o.age = outs[0].ptr<float>()[0];
  const std::array<float, 2> p = SoftmaxOf<2>(outs[1].ptr<float>());  // tf.softmax
  o.p_male = p[0];
  o.p_female = p[1];
  return o;
}

}  // namespace facegate::nn
