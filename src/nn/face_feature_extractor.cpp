#include "nn/face_feature_extractor.h"

namespace facegate::nn {
namespace {

// tf.separableConv2d (SAME) + bias (depthwiseSeparableConv.ts).
Result<OnnxValue> SeparableConv(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                                const std::string& prefix, int64_t in, int64_t out, int stride) {
  FG_ASSIGN_OR_RETURN(const TfTensor* depthwise,
                      w.Get(prefix + "/depthwise_filter", {3, 3, in, 1}));
  FG_ASSIGN_OR_RETURN(const TfTensor* pointwise,
                      w.Get(prefix + "/pointwise_filter", {1, 1, in, out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get(prefix + "/bias", {out}));
  return TfSeparableConv2D(g, x, *depthwise, *pointwise, stride, TfPadding::kSame, bias->values);
}

// denseBlock4 (denseBlock.ts): four convs, each fed the relu of the sum of the previous ones;
// the sums keep face-api's association order.
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

}  // namespace

Result<OnnxValue> AddFaceFeatureExtractor(OnnxGraph& g, const TfWeights& w,
                                          const OnnxValue& input) {
  if (input.shape != std::vector<int64_t>{1, 3, kFaceFeatureInput, kFaceFeatureInput}) {
    return Status::Internal("the face feature extractor needs a [1,3,112,112] input");
  }
  FG_ASSIGN_OR_RETURN(OnnxValue x, DenseBlock4(g, w, input, "dense0", 3, 32, true));
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense1", 32, 64, false));
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense2", 64, 128, false));
  FG_ASSIGN_OR_RETURN(x, DenseBlock4(g, w, x, "dense3", 128, 256, false));
  // 7x7 -> 1x1, so flattening NCHW equals face-api's NHWC flatten.
  return g.Flatten(g.AveragePool(x, 7, 2));
}

}  // namespace facegate::nn
