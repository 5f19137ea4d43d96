// faceplugin's eye-state net (model/fr_eye.onnx), loaded as it ships: OpenCV 4.6 DNN imports the
// graph directly; the softmax over its two outputs is taken here, as lib/fr_eye.js does.
#include <cmath>
#include <string>

#include "nn/nets.h"
#include "nn/onnx_graph.h"

namespace facegate::nn {

EyeNet::EyeNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
EyeNet::~EyeNet() = default;

Result<std::unique_ptr<EyeNet>> EyeNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(std::string bytes, files.Read(kFeatureNetPackage, "model/fr_eye.onnx"));
  FG_ASSIGN_OR_RETURN(auto runner, DnnRunner::Create(bytes, {"output"}));
  std::unique_ptr<EyeNet> net(new EyeNet(std::move(runner)));
  FG_RETURN_IF_ERROR(net->Run(cv::Mat(kInputSize, kInputSize, CV_32FC1, cv::Scalar(0.5))).status());
  return net;
}

Result<std::array<float, 2>> EyeNet::Run(const cv::Mat& grey) {
  if (grey.empty() || grey.type() != CV_32FC1 || grey.cols != kInputSize || grey.rows != kInputSize)
    return Status::InvalidInput("EyeNet: expected a 24x24 CV_32FC1 grey eye crop with values 0..1, got " +
                                std::to_string(grey.cols) + "x" + std::to_string(grey.rows) + " of type " +
                                cv::typeToString(grey.type()) + "; crop and resize the eye first (vision layer)");
  const int shape[] = {1, 1, kInputSize, kInputSize};
  cv::Mat blob(4, shape, CV_32F);
  grey.copyTo(cv::Mat(kInputSize, kInputSize, CV_32F, blob.ptr<float>()));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(blob));
  if (outs.size() != 1 || outs[0].total() != 2)
    return Status::Internal("EyeNet: the eye net returned an output of unexpected size; expected 2 values; "
                            "reinstall the models (scripts/install-models.sh)");
  return SoftmaxOf<2>(outs[0].ptr<float>());
}

}  // namespace facegate::nn
