#include "nn/onnx_graph.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>
#include <mutex>
#include <new>
#include <opencv2/dnn.hpp>

namespace facegate::nn {
namespace {

void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void SetInt(onnx::NodeProto* node, const std::string& name, int64_t v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void SetFloat(onnx::NodeProto* node, const std::string& name, float v) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void DeclareValue(onnx::ValueInfoProto* info, const OnnxValue& v) {
  info->set_name(v.name);
  auto* t = info->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : v.shape) t->mutable_shape()->add_dim()->set_dim_value(d);
}

int64_t PooledSize(int64_t in, int kernel, int stride, int pad_before, int pad_after) {
  return (in + pad_before + pad_after - kernel) / stride + 1;
}

}  // namespace

Pads TfPads(TfPadding padding, int64_t in_h, int64_t in_w, int kernel, int stride) {
  if (padding == TfPadding::kValid) return {};
  auto same = [&](int64_t in, int& before, int& after) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
    before = static_cast<int>(total / 2);
    after = static_cast<int>(total - total / 2);
  };
  Pads p;
  same(in_h, p.top, p.bottom);
  same(in_w, p.left, p.right);
  return p;
}

OnnxGraph::OnnxGraph() : model_(std::make_unique<onnx::ModelProto>()) {
  model_->set_ir_version(7);
  model_->set_producer_name("facegate-nn");
  auto* opset = model_->add_opset_import();
  opset->set_domain("");
  opset->set_version(11);
  model_->mutable_graph()->set_name("facegate");
}

OnnxGraph::~OnnxGraph() = default;

std::string OnnxGraph::Fresh(const std::string& op) {
  return op + "_" + std::to_string(counter_++);
}

std::string OnnxGraph::AddInitializer(const std::string& hint, const std::vector<int64_t>& shape,
                                      std::vector<float> values) {
  const std::string name = Fresh(hint);
  auto* t = model_->mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) t->add_dims(d);
  t->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return name;
}

OnnxValue OnnxGraph::Input(const std::string& name, std::vector<int64_t> shape) {
  OnnxValue v{name, std::move(shape)};
  if (input_shape_.empty()) input_shape_ = v.shape;
  DeclareValue(model_->mutable_graph()->add_input(), v);
  return v;
}

std::string OnnxGraph::Output(const OnnxValue& v) {
  DeclareValue(model_->mutable_graph()->add_output(), v);
  outputs_.push_back(v.name);
  return v.name;
}

OnnxValue OnnxGraph::Conv(const OnnxValue& x, std::vector<float> weights_oihw, int64_t out_channels,
                          int kernel, int stride, Pads pads, int group, std::vector<float> bias) {
  const int64_t in_per_group = x.shape[1] / group;
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Conv");
  node->add_input(x.name);
  node->add_input(
      AddInitializer("W", {out_channels, in_per_group, kernel, kernel}, std::move(weights_oihw)));
  if (!bias.empty()) node->add_input(AddInitializer("B", {out_channels}, std::move(bias)));
  OnnxValue y{
      Fresh("conv"),
      {x.shape[0], out_channels, PooledSize(x.shape[2], kernel, stride, pads.top, pads.bottom),
       PooledSize(x.shape[3], kernel, stride, pads.left, pads.right)}};
  node->add_output(y.name);
  SetInts(node, "kernel_shape", {kernel, kernel});
  SetInts(node, "strides", {stride, stride});
  SetInts(node, "pads", {pads.top, pads.left, pads.bottom, pads.right});
  SetInts(node, "dilations", {1, 1});
  SetInt(node, "group", group);
  return y;
}

OnnxValue OnnxGraph::Relu(const OnnxValue& x) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Relu");
  node->add_input(x.name);
  OnnxValue y{Fresh("relu"), x.shape};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Clip(const OnnxValue& x, float lo, float hi) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Clip");
  node->add_input(x.name);
  SetFloat(node, "min", lo);
  SetFloat(node, "max", hi);
  OnnxValue y{Fresh("clip"), x.shape};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Add(const OnnxValue& a, const OnnxValue& b) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Add");
  node->add_input(a.name);
  node->add_input(b.name);
  OnnxValue y{Fresh("add"), a.shape};
  node->add_output(y.name);
  return y;
}

static OnnxValue Pool(onnx::GraphProto* graph, const std::string& op, const std::string& name,
                      const OnnxValue& x, int kernel, int stride, Pads pads = {}) {
  auto* node = graph->add_node();
  node->set_op_type(op);
  node->add_input(x.name);
  OnnxValue y{name,
              {x.shape[0], x.shape[1], PooledSize(x.shape[2], kernel, stride, pads.top, pads.bottom),
               PooledSize(x.shape[3], kernel, stride, pads.left, pads.right)}};
  node->add_output(y.name);
  SetInts(node, "kernel_shape", {kernel, kernel});
  SetInts(node, "strides", {stride, stride});
  SetInts(node, "pads", {pads.top, pads.left, pads.bottom, pads.right});
  return y;
}

OnnxValue OnnxGraph::MaxPool(const OnnxValue& x, int kernel, int stride) {
  return Pool(model_->mutable_graph(), "MaxPool", Fresh("maxpool"), x, kernel, stride);
}

OnnxValue OnnxGraph::MaxPool(const OnnxValue& x, int kernel, int stride, Pads pads) {
  return Pool(model_->mutable_graph(), "MaxPool", Fresh("maxpool"), x, kernel, stride, pads);
}

OnnxValue OnnxGraph::AveragePool(const OnnxValue& x, int kernel, int stride) {
  return Pool(model_->mutable_graph(), "AveragePool", Fresh("avgpool"), x, kernel, stride);
}

OnnxValue OnnxGraph::ZeroPad(const OnnxValue& x, std::array<int64_t, 4> begin,
                             std::array<int64_t, 4> end) {
  auto* graph = model_->mutable_graph();
  const std::string pads_name = Fresh("pads");
  auto* t = graph->add_initializer();
  t->set_name(pads_name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(8);
  for (int64_t v : begin) t->add_int64_data(v);
  for (int64_t v : end) t->add_int64_data(v);
  auto* node = graph->add_node();
  node->set_op_type("Pad");
  node->add_input(x.name);
  node->add_input(pads_name);
  OnnxValue y{Fresh("pad"), x.shape};
  for (int i = 0; i < 4; ++i) y.shape[i] += begin[i] + end[i];
  node->add_output(y.name);
  auto* mode = node->add_attribute();
  mode->set_name("mode");
  mode->set_type(onnx::AttributeProto::STRING);
  mode->set_s("constant");
  return y;
}

OnnxValue OnnxGraph::GlobalAveragePool(const OnnxValue& x) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("GlobalAveragePool");
  node->add_input(x.name);
  OnnxValue y{Fresh("gap"), {x.shape[0], x.shape[1], 1, 1}};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Flatten(const OnnxValue& x) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Flatten");
  node->add_input(x.name);
  SetInt(node, "axis", 1);
  int64_t inner = 1;
  for (size_t i = 1; i < x.shape.size(); ++i) inner *= x.shape[i];
  OnnxValue y{Fresh("flat"), {x.shape[0], inner}};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Gemm(const OnnxValue& x, std::vector<float> weights_out_in, int64_t out,
                          std::vector<float> bias) {
  const int64_t in = x.shape[1];
  if (bias.empty()) bias.assign(out, 0.f);
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Gemm");
  node->add_input(x.name);
  node->add_input(AddInitializer("W", {out, in}, std::move(weights_out_in)));
  node->add_input(AddInitializer("B", {out}, std::move(bias)));
  SetInt(node, "transB", 1);
  OnnxValue y{Fresh("gemm"), {x.shape[0], out}};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::PRelu(const OnnxValue& x, std::vector<float> slopes) {
  const auto channels = static_cast<int64_t>(slopes.size());
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("PRelu");
  node->add_input(x.name);
  node->add_input(AddInitializer("slope", {channels, 1, 1}, std::move(slopes)));
  OnnxValue y{Fresh("prelu"), x.shape};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Concat(const std::vector<OnnxValue>& xs, int64_t axis) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Concat");
  OnnxValue y{Fresh("concat"), xs.front().shape};
  y.shape[axis] = 0;
  for (const OnnxValue& x : xs) {
    node->add_input(x.name);
    y.shape[axis] += x.shape[axis];
  }
  node->add_output(y.name);
  SetInt(node, "axis", axis);
  return y;
}

OnnxValue OnnxGraph::Sigmoid(const OnnxValue& x) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Sigmoid");
  node->add_input(x.name);
  OnnxValue y{Fresh("sigmoid"), x.shape};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Softmax(const OnnxValue& x) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Softmax");
  node->add_input(x.name);
  SetInt(node, "axis", static_cast<int64_t>(x.shape.size()) - 1);
  OnnxValue y{Fresh("softmax"), x.shape};
  node->add_output(y.name);
  return y;
}

OnnxValue OnnxGraph::Transpose(const OnnxValue& x, const std::vector<int64_t>& perm) {
  auto* node = model_->mutable_graph()->add_node();
  node->set_op_type("Transpose");
  node->add_input(x.name);
  SetInts(node, "perm", perm);
  OnnxValue y{Fresh("transpose"), {}};
  for (int64_t axis : perm) y.shape.push_back(x.shape[axis]);
  node->add_output(y.name);
  return y;
}

Result<std::string> OnnxGraph::Serialize() const {
  std::string bytes;
  if (!model_->SerializeToString(&bytes)) {
    return Status::Internal("could not serialise the ONNX model built from the weights");
  }
  return bytes;
}

std::vector<float> HwioToOihw(const TfTensor& hwio) {
  const int64_t kh = hwio.shape[0], kw = hwio.shape[1], ci = hwio.shape[2], co = hwio.shape[3];
  std::vector<float> out(hwio.values.size());
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < ci; ++i)
        for (int64_t o = 0; o < co; ++o)
          out[((o * ci + i) * kh + h) * kw + w] = hwio.values[((h * kw + w) * ci + i) * co + o];
  return out;
}

std::vector<float> DepthwiseToOihw(const TfTensor& depthwise) {
  const int64_t kh = depthwise.shape[0], kw = depthwise.shape[1], c = depthwise.shape[2];
  std::vector<float> out(depthwise.values.size());
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < c; ++i)
        out[(i * kh + h) * kw + w] = depthwise.values[(h * kw + w) * c + i];
  return out;
}

OnnxValue TfConv2D(OnnxGraph& g, const OnnxValue& x, const TfTensor& hwio, int stride,
                   TfPadding padding, std::vector<float> bias) {
  const int kernel = static_cast<int>(hwio.shape[0]);
  return g.Conv(x, HwioToOihw(hwio), hwio.shape[3], kernel, stride,
                TfPads(padding, x.shape[2], x.shape[3], kernel, stride), 1, std::move(bias));
}

OnnxValue TfDepthwiseConv2D(OnnxGraph& g, const OnnxValue& x, const TfTensor& filters, int stride,
                            TfPadding padding, std::vector<float> bias) {
  const int kernel = static_cast<int>(filters.shape[0]);
  const int64_t channels = filters.shape[2];
  return g.Conv(x, DepthwiseToOihw(filters), channels, kernel, stride,
                TfPads(padding, x.shape[2], x.shape[3], kernel, stride), static_cast<int>(channels),
                std::move(bias));
}

OnnxValue TfSeparableConv2D(OnnxGraph& g, const OnnxValue& x, const TfTensor& depthwise,
                            const TfTensor& pointwise, int stride, TfPadding padding,
                            std::vector<float> bias) {
  OnnxValue y = TfDepthwiseConv2D(g, x, depthwise, stride, padding);
  return TfConv2D(g, y, pointwise, 1, TfPadding::kSame, std::move(bias));
}

OnnxValue TfFullyConnected(OnnxGraph& g, const OnnxValue& x, const TfTensor& in_out,
                           std::vector<float> bias) {
  const int64_t in = in_out.shape[0], out = in_out.shape[1];
  std::vector<float> out_in(in_out.values.size());
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o) out_in[o * in + i] = in_out.values[i * out + o];
  return g.Gemm(x, std::move(out_in), out, std::move(bias));
}

// One cv::dnn::Net is not safe for concurrent forwards, and a single shared
// instance behind a mutex makes every concurrent request wait for the one
// before it (a 2-core server then verifies no faster than one thread). So a
// runner keeps a small pool: an idle instance is taken for a forward and put
// back after; when none is idle and the pool is below its size, another is
// built from the same ONNX bytes (same weights, same outputs).
struct DnnRunner::Impl {
  std::string onnx;
  std::vector<std::string> outputs;
  std::vector<int> warmup_shape;  // empty: no warm-up forward for new instances
  std::mutex mu;
  std::condition_variable idle_cv;
  std::vector<std::unique_ptr<cv::dnn::Net>> idle;
  int instances = 0;
  int max_instances = 1;
};

namespace {

std::atomic<int> g_max_net_instances{0};  // 0: the machine's hardware threads

int MaxNetInstances() {
  const int set = g_max_net_instances.load();
  if (set > 0) return set;
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw == 0 ? 1u : hw, 1u, 8u));
}

Result<std::unique_ptr<cv::dnn::Net>> BuildNet(const std::string& onnx) {
  auto net = std::make_unique<cv::dnn::Net>();
  try {
    *net = cv::dnn::readNetFromONNX(onnx.data(), onnx.size());
    net->setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net->setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("OpenCV DNN rejected the generated ONNX graph: ") +
                            e.what());
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while building a network instance; free memory or lower "
                            "the number of concurrent requests");
  }
  if (net->empty()) {
    return Status::Internal("OpenCV DNN produced an empty network from the generated ONNX graph");
  }
  return net;
}

Result<std::vector<cv::Mat>> ForwardOn(cv::dnn::Net& net, const cv::Mat& blob,
                                       const std::vector<std::string>& names) {
  std::vector<cv::Mat> outs;
  try {
    net.setInput(blob);
    net.forward(outs, names);
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("OpenCV DNN forward failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while running a network; free memory or lower the number "
                            "of concurrent requests");
  }
  if (outs.size() != names.size()) {
    return Status::Internal("OpenCV DNN returned " + std::to_string(outs.size()) +
                            " outputs, expected " + std::to_string(names.size()));
  }
  // The net reuses its buffers on the next forward; hand out owned copies.
  try {
    for (auto& m : outs) m = m.clone();
  } catch (const std::exception&) {
    return Status::Internal("out of memory while copying a network's outputs; free memory or lower "
                            "the number of concurrent requests");
  }
  return outs;
}

// Pays OpenCV's lazy layer set-up on a new instance, so no request does.
Status WarmUp(cv::dnn::Net& net, const std::vector<int>& shape,
              const std::vector<std::string>& names) {
  if (shape.empty()) return Status::Ok();
  cv::Mat zeros(shape, CV_32F, cv::Scalar(0));
  return ForwardOn(net, zeros, names).status();
}

}  // namespace

void SetMaxNetInstances(int n) { g_max_net_instances.store(std::max(0, n)); }

DnnRunner::DnnRunner() : impl_(std::make_unique<Impl>()) {}
DnnRunner::~DnnRunner() = default;

Result<std::unique_ptr<DnnRunner>> DnnRunner::Create(const std::string& onnx_bytes,
                                                     std::vector<std::string> output_names) {
  std::unique_ptr<DnnRunner> runner(new DnnRunner());
  FG_ASSIGN_OR_RETURN(auto net, BuildNet(onnx_bytes));
  Impl& I = *runner->impl_;
  I.onnx = onnx_bytes;
  I.outputs = std::move(output_names);
  I.max_instances = MaxNetInstances();
  I.idle.push_back(std::move(net));
  I.instances = 1;
  return runner;
}

Result<std::unique_ptr<DnnRunner>> DnnRunner::Create(const OnnxGraph& graph) {
  FG_ASSIGN_OR_RETURN(std::string bytes, graph.Serialize());
  FG_ASSIGN_OR_RETURN(auto runner, Create(bytes, graph.outputs()));
  const auto& shape = graph.input_shape();
  runner->impl_->warmup_shape.assign(shape.begin(), shape.end());
  FG_RETURN_IF_ERROR(
      WarmUp(*runner->impl_->idle.front(), runner->impl_->warmup_shape, runner->impl_->outputs));
  return runner;
}

int DnnRunner::instances() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->instances;
}

Result<std::vector<cv::Mat>> DnnRunner::Forward(const cv::Mat& blob) {
  Impl& I = *impl_;
  std::unique_ptr<cv::dnn::Net> net;
  bool build = false;
  {
    std::unique_lock<std::mutex> lock(I.mu);
    if (I.idle.empty() && I.instances < I.max_instances) {
      ++I.instances;  // reserve the slot; built outside the lock
      build = true;
    } else {
      I.idle_cv.wait(lock, [&] { return !I.idle.empty(); });
      net = std::move(I.idle.back());
      I.idle.pop_back();
    }
  }
  // Whatever happens from here (an error, an exception), the instance goes back to the pool,
  // or its reserved slot is given up: a lost instance would shrink the pool for good, and
  // with every instance lost the next forward would wait forever.
  struct Return {
    Impl& pool;
    std::unique_ptr<cv::dnn::Net>& net;
    ~Return() {
      {
        std::lock_guard<std::mutex> lock(pool.mu);
        if (net)
          pool.idle.push_back(std::move(net));
        else
          --pool.instances;
      }
      pool.idle_cv.notify_one();
    }
  } give_back{I, net};
  if (build) {
    auto built = BuildNet(I.onnx);
    Status warm = built.ok() ? WarmUp(**built, I.warmup_shape, I.outputs) : built.status();
    if (!warm.ok()) return warm;
    net = std::move(*built);
  }
  return ForwardOn(*net, blob, I.outputs);
}

Status CheckInputImage(const cv::Mat& image, int size, const char* what) {
  if (image.empty()) {
    return Status::InvalidInput(std::string(what) + ": the input image is empty; pass a " +
                                std::to_string(size) + "x" + std::to_string(size) +
                                " CV_32FC3 RGB image with values 0..255");
  }
  if (image.type() != CV_32FC3 || image.rows != size || image.cols != size || image.dims != 2) {
    return Status::InvalidInput(
        std::string(what) + ": expected a " + std::to_string(size) + "x" + std::to_string(size) +
        " CV_32FC3 RGB image with values 0..255, got " + std::to_string(image.cols) + "x" +
        std::to_string(image.rows) + " of type " + cv::typeToString(image.type()) +
        "; crop and resize first (vision layer)");
  }
  return Status::Ok();
}

cv::Mat ToBlobMeanRgb(const cv::Mat& rgb, const std::array<float, 3>& mean, float divisor) {
  const int h = rgb.rows, w = rgb.cols;
  cv::Mat blob(std::vector<int>{1, 3, h, w}, CV_32F);
  float* r = blob.ptr<float>();
  float* g = r + h * w;
  float* b = g + h * w;
  for (int y = 0; y < h; ++y) {
    const float* p = rgb.ptr<float>(y);
    for (int x = 0; x < w; ++x, p += 3) {
      const int i = y * w + x;
      r[i] = (p[0] - mean[0]) / divisor;
      g[i] = (p[1] - mean[1]) / divisor;
      b[i] = (p[2] - mean[2]) / divisor;
    }
  }
  return blob;
}

cv::Mat ToBlobSymmetric(const cv::Mat& rgb) {
  const int h = rgb.rows, w = rgb.cols;
  cv::Mat blob(std::vector<int>{1, 3, h, w}, CV_32F);
  float* out = blob.ptr<float>();
  for (int y = 0; y < h; ++y) {
    const float* p = rgb.ptr<float>(y);
    for (int x = 0; x < w; ++x, p += 3) {
      for (int c = 0; c < 3; ++c) out[c * h * w + y * w + x] = p[c] / 127.5f - 1.f;
    }
  }
  return blob;
}

}  // namespace facegate::nn
