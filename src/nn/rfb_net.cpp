// faceplugin's Ultra-Light RFB-320 face detector (model/fr_detect.onnx), loaded as it ships:
// OpenCV 4.6 DNN imports the graph directly. The graph ends in the prior-box decoding
// (centre + 0.1 * offset * prior size, size * exp(0.2 * offset), to corners) and a softmax, so
// its outputs are final boxes and scores; lib/fr_detect.js reads them the same way (its own
// prior decoding is computed and then unused).
#include <string>

#include "nn/nets.h"
#include "nn/onnx_graph.h"

namespace facegate::nn {

RfbNet::RfbNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
RfbNet::~RfbNet() = default;

Result<std::unique_ptr<RfbNet>> RfbNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(std::string bytes, files.Read(kFeatureNetPackage, "model/fr_detect.onnx"));
  FG_ASSIGN_OR_RETURN(auto runner, DnnRunner::Create(bytes, {"scores", "boxes"}));
  std::unique_ptr<RfbNet> net(new RfbNet(std::move(runner)));
  // One forward on a grey input, so OpenCV's lazy layer set-up is paid here, not by a caller.
  FG_RETURN_IF_ERROR(
      net->Run(cv::Mat(kInputHeight, kInputWidth, CV_32FC3, cv::Scalar::all(127))).status());
  return net;
}

Result<RfbNet::Output> RfbNet::Run(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_32FC3 || rgb.dims != 2 || rgb.cols != kInputWidth ||
      rgb.rows != kInputHeight) {
    return Status::InvalidInput(
        "RfbNet: expected a 320x240 (width x height) CV_32FC3 RGB image with values 0..255, got " +
        std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) + " of type " +
        cv::typeToString(rgb.type()) + "; resize the photo first (vision layer)");
  }
  // (x - 127) / 128 per channel (faceplugin's preprocessDetection).
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs,
                      runner_->Forward(ToBlobMeanRgb(rgb, {127.f, 127.f, 127.f}, 128.f)));
  if (outs.size() != 2 || outs[0].total() != size_t(kPriors) * 2 ||
      outs[1].total() != size_t(kPriors) * 4) {
    return Status::Internal("RfbNet: the detector returned outputs of unexpected sizes; expected " +
                            std::to_string(kPriors) + "x2 scores and " + std::to_string(kPriors) +
                            "x4 boxes; reinstall the models (scripts/install-models.sh)");
  }
  const float* sp = outs[0].ptr<float>();
  const float* bp = outs[1].ptr<float>();
  Output out;
  out.boxes.reserve(kPriors);
  out.scores.reserve(kPriors);
  for (int i = 0; i < kPriors; ++i) {
    const float x1 = bp[4 * i], y1 = bp[4 * i + 1], x2 = bp[4 * i + 2], y2 = bp[4 * i + 3];
    out.boxes.emplace_back(x1, y1, x2 - x1, y2 - y1);
    out.scores.push_back(sp[2 * i + 1]);
  }
  return out;
}

}  // namespace facegate::nn
