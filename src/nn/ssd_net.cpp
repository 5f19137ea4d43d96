// face-api SsdMobilenetv1 (src/ssdMobilenetv1/*.ts) as an ONNX graph; the box heads'
// outputs are decoded against the anchors in C++ (outputLayer.ts), NMS is left to vision.
#include <cmath>

#include "nn/nets.h"
#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

constexpr double kBatchNormEpsilon = 0.0010000000474974513;  // mobileNetV1.ts

struct Head {
  int64_t size;     // feature map is size x size
  int64_t anchors;  // anchors per cell
};
// Box predictors 0..5: on conv11 (32x32), the backbone output (16x16) and prediction
// layers conv1, conv3, conv5, conv7; 32*32*3 + (256+64+16+4+1)*6 = 5118 anchors.
constexpr std::array<Head, 6> kHeads = {{{32, 3}, {16, 6}, {8, 6}, {4, 6}, {2, 6}, {1, 6}}};

// conv2d (SAME) + batch-norm offset, then ReLU6 (pointwiseConvLayer.ts).
Result<OnnxValue> PointwiseConv(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                                const std::string& prefix, int kernel, int64_t in, int64_t out,
                                int stride) {
  FG_ASSIGN_OR_RETURN(const TfTensor* filters,
                      w.Get(prefix + "/weights", {kernel, kernel, in, out}));
  FG_ASSIGN_OR_RETURN(const TfTensor* offset, w.Get(prefix + "/convolution_bn_offset", {out}));
  return g.Clip(TfConv2D(g, x, *filters, stride, TfPadding::kSame, offset->values), 0.f, 6.f);
}

// depthwiseConv2d (SAME) + batch norm (folded into the filters), then ReLU6.
Result<OnnxValue> DepthwiseConv(OnnxGraph& g, const TfWeights& w, const OnnxValue& x,
                                const std::string& prefix, int64_t c, int stride) {
  FG_ASSIGN_OR_RETURN(const TfTensor* filters, w.Get(prefix + "/depthwise_weights", {3, 3, c, 1}));
  FG_ASSIGN_OR_RETURN(const TfTensor* gamma, w.Get(prefix + "/BatchNorm/gamma", {c}));
  FG_ASSIGN_OR_RETURN(const TfTensor* beta, w.Get(prefix + "/BatchNorm/beta", {c}));
  FG_ASSIGN_OR_RETURN(const TfTensor* mean, w.Get(prefix + "/BatchNorm/moving_mean", {c}));
  FG_ASSIGN_OR_RETURN(const TfTensor* var, w.Get(prefix + "/BatchNorm/moving_variance", {c}));
  std::vector<double> scale(c);
  std::vector<float> bias(c);
  for (int64_t i = 0; i < c; ++i) {
    scale[i] = gamma->values[i] / std::sqrt(double(var->values[i]) + kBatchNormEpsilon);
    bias[i] = static_cast<float>(beta->values[i] - mean->values[i] * scale[i]);
  }
  TfTensor folded = *filters;
  for (size_t i = 0; i < folded.values.size(); ++i) {
    folded.values[i] = static_cast<float>(filters->values[i] * scale[i % c]);
  }
  return g.Clip(TfDepthwiseConv2D(g, x, folded, stride, TfPadding::kSame, std::move(bias)), 0.f,
                6.f);
}

// One head: the box-encoding (anchors*4 channels) and class (anchors*3 channels) 1x1 convs,
// run as a single conv whose output channels are [box | class].
Status BoxPredictor(OnnxGraph& g, const TfWeights& w, const OnnxValue& x, int index,
                    int64_t anchors) {
  const std::string prefix = "Prediction/BoxPredictor_" + std::to_string(index);
  const int64_t c = x.shape[1];
  FG_ASSIGN_OR_RETURN(const TfTensor* box_w,
                      w.Get(prefix + "/BoxEncodingPredictor/weights", {1, 1, c, anchors * 4}));
  FG_ASSIGN_OR_RETURN(const TfTensor* box_b,
                      w.Get(prefix + "/BoxEncodingPredictor/biases", {anchors * 4}));
  FG_ASSIGN_OR_RETURN(const TfTensor* cls_w,
                      w.Get(prefix + "/ClassPredictor/weights", {1, 1, c, anchors * 3}));
  FG_ASSIGN_OR_RETURN(const TfTensor* cls_b,
                      w.Get(prefix + "/ClassPredictor/biases", {anchors * 3}));
  const int64_t nb = anchors * 4, nc = anchors * 3;
  TfTensor both{{1, 1, c, nb + nc}, std::vector<float>(c * (nb + nc))};
  for (int64_t i = 0; i < c; ++i) {
    std::copy_n(&box_w->values[i * nb], nb, &both.values[i * (nb + nc)]);
    std::copy_n(&cls_w->values[i * nc], nc, &both.values[i * (nb + nc) + nb]);
  }
  std::vector<float> bias = box_b->values;
  bias.insert(bias.end(), cls_b->values.begin(), cls_b->values.end());
  g.Output(TfConv2D(g, x, both, 1, TfPadding::kSame, std::move(bias)));
  return Status::Ok();
}

Result<std::unique_ptr<DnnRunner>> BuildSsdNet(const TfWeights& w) {
  OnnxGraph g;
  OnnxValue x = g.Input("input", {1, 3, SsdNet::kInputSize, SsdNet::kInputSize});
  FG_ASSIGN_OR_RETURN(x, PointwiseConv(g, w, x, "MobilenetV1/Conv2d_0_pointwise", 3, 3, 32, 2));
  static constexpr int64_t kOut[14] = {32,  64,  128, 128, 256, 256,  512,
                                       512, 512, 512, 512, 512, 1024, 1024};
  OnnxValue conv11;
  for (int layer = 1; layer <= 13; ++layer) {
    const int stride = (layer == 2 || layer == 4 || layer == 6 || layer == 12) ? 2 : 1;
    const std::string n = "MobilenetV1/Conv2d_" + std::to_string(layer);
    FG_ASSIGN_OR_RETURN(x, DepthwiseConv(g, w, x, n + "_depthwise", kOut[layer - 1], stride));
    FG_ASSIGN_OR_RETURN(
        x, PointwiseConv(g, w, x, n + "_pointwise", 1, kOut[layer - 1], kOut[layer], 1));
    if (layer == 11) conv11 = x;
  }
  // predictionLayer.ts: alternating 1x1 and 3x3/2 convs below the backbone.
  static constexpr int64_t kPred[9] = {1024, 256, 512, 128, 256, 128, 256, 64, 128};
  std::vector<OnnxValue> pred;
  OnnxValue p = x;
  for (int i = 0; i < 8; ++i) {
    const bool down = i % 2 == 1;
    FG_ASSIGN_OR_RETURN(
        p, PointwiseConv(g, w, p, "Prediction/Conv2d_" + std::to_string(i) + "_pointwise",
                         down ? 3 : 1, kPred[i], kPred[i + 1], down ? 2 : 1));
    pred.push_back(p);
  }
  const OnnxValue head_inputs[6] = {conv11, x, pred[1], pred[3], pred[5], pred[7]};
  for (int i = 0; i < 6; ++i) {
    if (head_inputs[i].shape[2] != kHeads[i].size) {
      return Status::Internal("SSD head " + std::to_string(i) + " has an unexpected size");
    }
    FG_RETURN_IF_ERROR(BoxPredictor(g, w, head_inputs[i], i, kHeads[i].anchors));
  }
  return DnnRunner::Create(g);
}

}  // namespace

SsdNet::SsdNet(std::unique_ptr<DnnRunner> runner, std::vector<float> anchors)
    : runner_(std::move(runner)), anchors_(std::move(anchors)) {}
SsdNet::~SsdNet() = default;

Result<std::unique_ptr<SsdNet>> SsdNet::Load(const ModelFiles& files) {
  FG_ASSIGN_OR_RETURN(
      TfWeights weights,
      TfWeights::Load(files, kFaceApiPackage, "model/ssd_mobilenetv1_model-weights_manifest.json"));
  FG_ASSIGN_OR_RETURN(const TfTensor* anchors, weights.Get("Output/extra_dim", {1, kAnchors, 4}));
  FG_ASSIGN_OR_RETURN(auto runner, BuildSsdNet(weights));
  return std::unique_ptr<SsdNet>(new SsdNet(std::move(runner), anchors->values));
}

Result<SsdNet::Output> SsdNet::Run(const cv::Mat& rgb512) {
  FG_RETURN_IF_ERROR(CheckInputImage(rgb512, kInputSize, "SsdNet"));
  FG_ASSIGN_OR_RETURN(std::vector<cv::Mat> outs, runner_->Forward(ToBlobSymmetric(rgb512)));
  Output result;
  result.boxes.reserve(kAnchors);
  result.scores.reserve(kAnchors);
  int anchor = 0;
  for (size_t h = 0; h < kHeads.size(); ++h) {
    const int64_t cells = kHeads[h].size * kHeads[h].size, per_cell = kHeads[h].anchors;
    const cv::Mat& head = outs[h];
    if (int64_t(head.total()) != cells * per_cell * 7) {
      return Status::Internal("SSD head " + std::to_string(h) + " returned a wrong-size output");
    }
    const float* bp = head.ptr<float>();          // channels a*4+k: box encodings
    const float* cp = bp + per_cell * 4 * cells;  // then a*3+c: class logits
    // NCHW head outputs, read in face-api's NHWC order: anchor = (cell, a).
    for (int64_t cell = 0; cell < cells; ++cell) {
      for (int64_t a = 0; a < per_cell; ++a, ++anchor) {
        const float* an = &anchors_[4 * anchor];  // ymin, xmin, ymax, xmax
        const float v0 = bp[(a * 4 + 0) * cells + cell], v1 = bp[(a * 4 + 1) * cells + cell];
        const float v2 = bp[(a * 4 + 2) * cells + cell], v3 = bp[(a * 4 + 3) * cells + cell];
        // decodeBoxesLayer (outputLayer.ts), same float32 operation order; scales 10,10,5,5.
        const float size_y = an[2] - an[0], size_x = an[3] - an[1];
        const float centre_y = an[0] + size_y / 2.f, centre_x = an[1] + size_x / 2.f;
        const float half_h = std::exp(v2 / 5.f) * size_y / 2.f;
        const float mid_y = v0 / 10.f * size_y + centre_y;
        const float half_w = std::exp(v3 / 5.f) * size_x / 2.f;
        const float mid_x = v1 / 10.f * size_x + centre_x;
        const float ymin = mid_y - half_h, xmin = mid_x - half_w;
        const float ymax = mid_y + half_h, xmax = mid_x + half_w;
        result.boxes.emplace_back(xmin, ymin, xmax - xmin, ymax - ymin);
        const float logit = cp[(a * 3 + 1) * cells + cell];
        result.scores.push_back(1.f / (1.f + std::exp(-logit)));
      }
    }
  }
  return result;
}

}  // namespace facegate::nn
