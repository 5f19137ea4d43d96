// faceplugin's presentation-attack net (model/fr_liveness.onnx), loaded as it ships: OpenCV 4.6
// DNN imports the graph directly; the softmax over its three outputs is taken here, as
// lib/fr_liveness.js does.
#include <algorithm>
#include <cmath>
#include <string>

#include "nn/nets.h"
#include "nn/onnx_graph.h"

namespace facegate::nn {

FrLivenessNet::FrLivenessNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
FrLivenessNet::~FrLivenessNet() = default;

Result<std::unique_ptr<FrLivenessNet>> FrLivenessNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(std::string bytes, files.Read(kFeatureNetPackage, "model/fr_liveness.onnx"));
  FG_ASSIGN_OR_RETURN(auto runner, DnnRunner::Create(bytes, {"output"}));
  std::unique_ptr<FrLivenessNet> net(new FrLivenessNet(std::move(runner)));
  FG_RETURN_IF_ERROR(net->Run(cv::Mat(kInputSize, kInputSize, CV_32FC3, cv::Scalar::all(128))).status());
  return net;
}

Result<std::array<float, FrLivenessNet::kClasses>> FrLivenessNet::Run(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_32FC3 || rgb.cols != kInputSize || rgb.rows != kInputSize)
    return Status::InvalidInput("FrLivenessNet: expected a 128x128 CV_32FC3 BGR face crop with values 0..255, got " +
                                std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + " of type " +
                                cv::typeToString(rgb.type()) + "; crop with vision::FrLivenessInput first");
  // NCHW, as lib/fr_liveness.js lays its canvas out: one plane per colour.
  const int shape[] = {1, 3, kInputSize, kInputSize};
  cv::Mat blob(4, shape, CV_32F);
  std::vector<cv::Mat> planes;
  for (int c = 0; c < 3; ++c)
    planes.emplace_back(kInputSize, kInputSize, CV_32F, blob.ptr<float>() + c * kInputSize * kInputSize);
  cv::split(rgb, planes);
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(blob));
  if (outs.size() != 1 || outs[0].total() != kClasses)
    return Status::Internal("FrLivenessNet: the liveness net returned an output of unexpected size; expected 3 "
                            "values; reinstall the models (scripts/install-models.sh)");
  return SoftmaxOf<kClasses>(outs[0].ptr<float>());
}

}  // namespace facegate::nn
