// face-api FaceLandmark68Net (src/faceLandmarkNet) as an ONNX graph: the shared face feature
// extractor and a dense layer to 136 values. For a square input face-api's postProcess is the
// identity, so the raw outputs are the coordinates relative to the input.
#include "nn/face_feature_extractor.h"
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

Result<std::unique_ptr<DnnRunner>> BuildLandmarkNet(const TfWeights& w) {
  OnnxGraph g;
  OnnxValue x = g.Input("input", {1, 3, kFaceFeatureInput, kFaceFeatureInput});
  FG_ASSIGN_OR_RETURN(x, AddFaceFeatureExtractor(g, w, x));
  FG_ASSIGN_OR_RETURN(const TfTensor* fc, w.Get("fc/weights", {256, 136}));
  FG_ASSIGN_OR_RETURN(const TfTensor* bias, w.Get("fc/bias", {136}));
  g.Output(TfFullyConnected(g, x, *fc, bias->values));
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
  FG_RETURN_IF_ERROR(CheckInputImage(rgb112, kFaceFeatureInput, "LandmarkNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs,
                      runner_->Forward(ToBlobMeanRgb(rgb112, kFaceApiMeanRgb)));
  if (outs[0].total() != 136) return Status::Internal("landmark net returned a wrong-size output");
  std::array<float, 136> points;
  std::copy_n(outs[0].ptr<float>(), 136, points.begin());
  return points;
}

}  // namespace facegate::nn
