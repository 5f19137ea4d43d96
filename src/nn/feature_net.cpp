// faceplugin's 512-D face feature net (model/fr_feature.onnx), loaded as it ships: the file is
// a plain ONNX graph (opset 9: Conv, PRelu, Add, Reshape) that OpenCV DNN imports directly.
#include "nn/nets.h"
#include "nn/onnx_graph.h"

namespace facegate::nn {

FeatureNet::FeatureNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
FeatureNet::~FeatureNet() = default;

Result<std::unique_ptr<FeatureNet>> FeatureNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(std::string bytes, files.Read(kFeatureNetPackage, "model/fr_feature.onnx"));
  FG_ASSIGN_OR_RETURN(auto runner, DnnRunner::Create(bytes, {"output"}));
  std::unique_ptr<FeatureNet> net(new FeatureNet(std::move(runner)));
  // One forward on a grey chip, so OpenCV's lazy layer set-up is paid here, not by a caller.
  FG_RETURN_IF_ERROR(net->Run(cv::Mat(kInputSize, kInputSize, CV_32FC3, cv::Scalar::all(127)))
                         .status());
  return net;
}

Result<std::array<float, kFeatureDim>> FeatureNet::Run(const cv::Mat& rgb112) {
  FG_RETURN_IF_ERROR(CheckInputImage(rgb112, kInputSize, "FeatureNet"));
  // (x - 127) / 128 per channel (faceplugin's preprocessFeature).
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs,
                      runner_->Forward(ToBlobMeanRgb(rgb112, {127.f, 127.f, 127.f}, 128.f)));
  if (outs[0].total() != kFeatureDim)
    return Status::Internal("feature net returned " + std::to_string(outs[0].total()) +
                            " values, expected " + std::to_string(kFeatureDim));
  std::array<float, kFeatureDim> v;
  std::copy_n(outs[0].ptr<float>(), kFeatureDim, v.begin());
  return v;
}

}  // namespace facegate::nn
