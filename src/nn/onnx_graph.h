// A small builder for ONNX graphs assembled in memory from decoded weights, and
// a runner that loads them into OpenCV DNN. It emits only the op forms that
// OpenCV 4.6's importer handles (see /work/shared/MODELS.md: explicit pads,
// Clip with attributes, Gemm with transB=1, shapes declared on outputs).
#pragma once

#include <facegate/status.h>

#include <array>
#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "nn/tf_weights.h"

namespace onnx {
class ModelProto;
}

namespace facegate::nn {

// A tensor of the graph: its name and static NCHW shape.
struct OnnxValue {
  std::string name;
  std::vector<int64_t> shape;
};

// Explicit spatial padding of a convolution or pool.
struct Pads {
  int top = 0, left = 0, bottom = 0, right = 0;
};

// TF's padding modes, translated to explicit Pads (MODELS.md: "SAME" is asymmetric).
enum class TfPadding { kSame, kValid };
Pads TfPads(TfPadding padding, int64_t in_h, int64_t in_w, int kernel, int stride);

// Builds one ONNX model (opset 11, float32, batch 1, static shapes tracked per value).
class OnnxGraph {
 public:
  OnnxGraph();
  ~OnnxGraph();
  OnnxGraph(const OnnxGraph&) = delete;
  OnnxGraph& operator=(const OnnxGraph&) = delete;

  OnnxValue Input(const std::string& name, std::vector<int64_t> shape);
  // Marks `v` as a graph output (with its declared shape); returns its name.
  std::string Output(const OnnxValue& v);

  // Convolution with OIHW weights [O, C/group, kh, kw] and an optional bias (empty = none).
  OnnxValue Conv(const OnnxValue& x, std::vector<float> weights_oihw, int64_t out_channels,
                 int kernel, int stride, Pads pads, int group, std::vector<float> bias);
  OnnxValue Relu(const OnnxValue& x);
  OnnxValue Clip(const OnnxValue& x, float lo, float hi);
  OnnxValue Add(const OnnxValue& a, const OnnxValue& b);
  OnnxValue MaxPool(const OnnxValue& x, int kernel, int stride);      // VALID
  // Max pool with explicit pads; padded cells never win (ONNX MaxPool ignores them), which
  // is TF's SAME max pool when `pads` = TfPads(kSame, ...).
  OnnxValue MaxPool(const OnnxValue& x, int kernel, int stride, Pads pads);
  OnnxValue AveragePool(const OnnxValue& x, int kernel, int stride);  // VALID
  // Zero padding: `begin` and `end` per axis (N, C, H, W).
  OnnxValue ZeroPad(const OnnxValue& x, std::array<int64_t, 4> begin, std::array<int64_t, 4> end);
  OnnxValue GlobalAveragePool(const OnnxValue& x);
  OnnxValue Flatten(const OnnxValue& x);
  // y = x * W^T + bias with W given as [out, in] (transB=1); empty bias = zeros.
  OnnxValue Gemm(const OnnxValue& x, std::vector<float> weights_out_in, int64_t out,
                 std::vector<float> bias);
  // Parametric ReLU with one slope per channel of an NCHW value: x >= 0 ? x : slope[c] * x.
  OnnxValue PRelu(const OnnxValue& x, std::vector<float> slopes);
  // Joins values of equal shape but for `axis` along it (TF ConcatV2 on NHWC channels: axis 1).
  OnnxValue Concat(const std::vector<OnnxValue>& xs, int64_t axis);
  // Element-wise logistic function (TF Sigmoid).
  OnnxValue Sigmoid(const OnnxValue& x);
  // Softmax over the last axis of an [N, C] value (TF Softmax on a 2-D tensor).
  OnnxValue Softmax(const OnnxValue& x);
  // Axis permutation, e.g. {0, 2, 3, 1} for NCHW -> NHWC before a TF-order flatten.
  OnnxValue Transpose(const OnnxValue& x, const std::vector<int64_t>& perm);

  // The serialized ModelProto.
  Result<std::string> Serialize() const;
  // Names of the outputs, in the order Output() was called.
  const std::vector<std::string>& outputs() const { return outputs_; }
  // Shape of the first input (for warm-up).
  const std::vector<int64_t>& input_shape() const { return input_shape_; }

 private:
  std::string Fresh(const std::string& op);
  std::string AddInitializer(const std::string& hint, const std::vector<int64_t>& shape,
                             std::vector<float> values);
  std::unique_ptr<onnx::ModelProto> model_;
  std::vector<std::string> outputs_;
  std::vector<int64_t> input_shape_;
  int counter_ = 0;
};

// TF-layout helpers: conv filters HWIO -> OIHW and depthwise [kh,kw,C,1] -> [C,1,kh,kw].
std::vector<float> HwioToOihw(const TfTensor& hwio);
std::vector<float> DepthwiseToOihw(const TfTensor& depthwise);

// TF conv2d (HWIO filters) with optional bias, translated to an ONNX Conv.
OnnxValue TfConv2D(OnnxGraph& g, const OnnxValue& x, const TfTensor& hwio, int stride,
                   TfPadding padding, std::vector<float> bias = {});
// TF depthwiseConv2d ([kh,kw,C,1] filters, multiplier 1) as a grouped ONNX Conv.
OnnxValue TfDepthwiseConv2D(OnnxGraph& g, const OnnxValue& x, const TfTensor& filters, int stride,
                            TfPadding padding, std::vector<float> bias = {});

// TF separableConv2d (depthwise then 1x1 pointwise, bias after) as two ONNX Convs.
OnnxValue TfSeparableConv2D(OnnxGraph& g, const OnnxValue& x, const TfTensor& depthwise,
                            const TfTensor& pointwise, int stride, TfPadding padding,
                            std::vector<float> bias);
// TF matMul(x, W) + bias with W stored [in, out], as a Gemm (transB=1); x must be [N, in].
OnnxValue TfFullyConnected(OnnxGraph& g, const OnnxValue& x, const TfTensor& in_out,
                           std::vector<float> bias = {});

// How many instances of one net may run forwards at once (0: the machine's hardware
// threads, at most 8). Read when a runner is created; a test or a small device sets 1.
void SetMaxNetInstances(int n);

// An OpenCV DNN network loaded from an in-memory ONNX model. Forward is safe from
// many threads: cv::dnn::Net is not, so each forward takes an idle instance from a
// pool that grows on demand up to SetMaxNetInstances (same bytes, same outputs).
class DnnRunner {
 public:
  // kInternal with OpenCV's message if the importer rejects the model.
  static Result<std::unique_ptr<DnnRunner>> Create(const std::string& onnx_bytes,
                                                   std::vector<std::string> output_names);
  // Serialises `graph` and loads it; outputs are the graph's, in order. Runs one forward on
  // zeros so OpenCV's lazy layer set-up is paid here, not by the first caller.
  static Result<std::unique_ptr<DnnRunner>> Create(const OnnxGraph& graph);
  ~DnnRunner();
  // Runs the net on an NCHW float blob; returns one Mat per output name, in order.
  Result<std::vector<cv::Mat>> Forward(const cv::Mat& blob);
  // Instances built so far (1 after Create; grows under concurrent forwards).
  int instances() const;

 private:
  DnnRunner();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Validates an HxW CV_32FC3 image; kInvalidInput naming `what` and the expectation otherwise.
Status CheckInputImage(const cv::Mat& image, int size, const char* what);
// HWC RGB float image -> NCHW blob, normalised in float32 as face-api does it:
// y = (x - mean[c]) / divisor (face-api's nets: divisor 255; the feature net: 127 and 128).
cv::Mat ToBlobMeanRgb(const cv::Mat& rgb, const std::array<float, 3>& mean, float divisor = 255.f);
// y = x / 127.5 - 1 (SSD-MobileNetV1).
cv::Mat ToBlobSymmetric(const cv::Mat& rgb);

}  // namespace facegate::nn
