// human's anti-spoof, liveness and iris nets: TF.js graph models converted by nn/tf_graph_model and
// run by OpenCV DNN on a face or eye crop in 0..1 (vision/liveness.cpp, vision/eyes.cpp).
#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_graph_model.h"

namespace facegate::nn {
namespace {

// Loads a graph model and checks it has the input and output the wrapper expects.
Result<std::unique_ptr<DnnRunner>> LoadGraph(const ModelFiles& files, const std::string& path,
                                             int size, int64_t outputs) {
  FG_ASSIGN_OR_RETURN(TfGraphModel model, LoadTfGraphModel(files, kHumanModelsPackage, path));
  if (model.input_height != size || model.input_width != size || model.input_channels != 3 ||
      model.output_size != outputs) {
    return Status::Integrity(std::string(kHumanModelsPackage) + " " + path + " takes " +
                             std::to_string(model.input_width) + "x" +
                             std::to_string(model.input_height) + "x" +
                             std::to_string(model.input_channels) + " and gives " +
                             std::to_string(model.output_size) + " values, expected " +
                             std::to_string(size) + "x" + std::to_string(size) + "x3 and " +
                             std::to_string(outputs) + "; models.lock pins another file");
  }
  return DnnRunner::Create(*model.graph);
}

Status CheckInput01(const cv::Mat& image, int size, const char* what) {
  if (image.type() != CV_32FC3 || image.rows != size || image.cols != size || image.dims != 2) {
    return Status::InvalidInput(std::string(what) + ": expected a " + std::to_string(size) + "x" +
                                std::to_string(size) +
                                " CV_32FC3 RGB image with values 0..1, got " +
                                std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                " of type " + cv::typeToString(image.type()) +
                                "; use the vision layer's crop");
  }
  return Status::Ok();
}

// HWC RGB float -> NCHW blob, values unchanged.
cv::Mat ToBlob(const cv::Mat& rgb) {
  const int h = rgb.rows, w = rgb.cols;
  cv::Mat blob(std::vector<int>{1, 3, h, w}, CV_32F);
  float* out = blob.ptr<float>();
  for (int y = 0; y < h; ++y) {
    const float* p = rgb.ptr<float>(y);
    for (int x = 0; x < w; ++x, p += 3) {
      for (int c = 0; c < 3; ++c) out[c * h * w + y * w + x] = p[c];
    }
  }
  return blob;
}

}  // namespace

AntiSpoofNet::AntiSpoofNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
AntiSpoofNet::~AntiSpoofNet() = default;

Result<std::unique_ptr<AntiSpoofNet>> AntiSpoofNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(auto runner, LoadGraph(files, "models/antispoof.json", kInputSize, 1));
  return std::unique_ptr<AntiSpoofNet>(new AntiSpoofNet(std::move(runner)));
}

Result<float> AntiSpoofNet::Run(const cv::Mat& rgb01) {
  FG_RETURN_IF_ERROR(CheckInput01(rgb01, kInputSize, "AntiSpoofNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(ToBlob(rgb01)));
  if (outs[0].total() != 1) return Status::Internal("anti-spoof net returned a wrong-size output");
  return outs[0].ptr<float>()[0];
}

LivenessNet::LivenessNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
LivenessNet::~LivenessNet() = default;

Result<std::unique_ptr<LivenessNet>> LivenessNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(auto runner, LoadGraph(files, "models/liveness.json", kInputSize, 2));
  return std::unique_ptr<LivenessNet>(new LivenessNet(std::move(runner)));
}

Result<std::array<float, 2>> LivenessNet::Run(const cv::Mat& rgb01) {
  FG_RETURN_IF_ERROR(CheckInput01(rgb01, kInputSize, "LivenessNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(ToBlob(rgb01)));
  if (outs[0].total() != 2) return Status::Internal("liveness net returned a wrong-size output");
  const float* p = outs[0].ptr<float>();
  return std::array<float, 2>{p[0], p[1]};
}

IrisNet::IrisNet(std::unique_ptr<DnnRunner> runner) : runner_(std::move(runner)) {}
IrisNet::~IrisNet() = default;

Result<std::unique_ptr<IrisNet>> IrisNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(auto runner, LoadGraph(files, "models/iris.json", kInputSize, kPoints * 3));
  return std::unique_ptr<IrisNet>(new IrisNet(std::move(runner)));
}

Result<std::array<cv::Point2f, IrisNet::kPoints>> IrisNet::Run(const cv::Mat& rgb01) {
  FG_RETURN_IF_ERROR(CheckInput01(rgb01, kInputSize, "IrisNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(ToBlob(rgb01)));
  if (outs[0].total() != kPoints * 3) return Status::Internal("iris net returned a wrong-size output");
  const float* v = outs[0].ptr<float>();
  std::array<cv::Point2f, kPoints> points;
  for (int i = 0; i < kPoints; ++i) points[i] = {v[3 * i], v[3 * i + 1]};
  return points;
}

}  // namespace facegate::nn
