// face-api FaceExpressionNet (src/faceExpressionNet) as an ONNX graph: the shared face feature
// extractor and a dense layer to 7 logits; the softmax is computed here in float.
#include <algorithm>
#include <cmath>

#include "nn/face_feature_extractor.h"
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

Result<std::unique_ptr<DnnRunner>> BuildExpressionNet(const TfWeights& w) {
  OnnxGraph g;
  OnnxValue x = g.Input("input", {1, 3, kFaceFeatureInput, kFaceFeatureInput});
  FG_ASSIGN_OR_RETURN(x, AddFaceFeatureExtractor(g, w, x));
  FG_ASSIGN_OR_RETURN(const TfTensor* fc, w.Get("fc/weights", {256, ExpressionNet::kClasses}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get("fc/bias", {ExpressionNet::kClasses}));
  g.Output(TfFullyConnected(g, x, *fc, bias->values));
  return DnnRunner::Create(g);
}

}  // namespace

ExpressionNet::ExpressionNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
ExpressionNet::~ExpressionNet() = default;

Result<std::unique_ptr<ExpressionNet>> ExpressionNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(TfWeights weights,
                      TfWeights::Load(files, kFaceApiPackage,
                                      "model/face_expression_model-weights_manifest.json"));
  FG_ASSIGN_OR_RETURN(auto runner, BuildExpressionNet(weights));
  return std::unique_ptr<ExpressionNet>(new ExpressionNet(std::move(runner)));
}

Result<std::array<float, ExpressionNet::kClasses>> ExpressionNet::Run(const cv::Mat& rgb112) {
  FG_RETURN_IF_ERROR(CheckInputImage(rgb112, kFaceFeatureInput, "ExpressionNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs,
                      runner_->Forward(ToBlobMeanRgb(rgb112, kFaceApiMeanRgb)));
  if (outs[0].total() != kClasses) {
    return Status::Internal("expression net returned a wrong-size output");
  }
  return SoftmaxOf<kClasses>(outs[0].ptr<float>());
}

}  // namespace facegate::nn
