#include "nn/tf_graph_model.h"

#include <sodium.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "nn/tf_weights.h"

namespace facegate::nn {
namespace {

using nlohmann::json;

// A value while converting: a constant (weights) or a tensor of the ONNX graph. 4-D tensors are
// NHWC in TF and NCHW in the ONNX graph; 2-D tensors are [N, K] in both.
struct Value {
  const TfTensor* constant = nullptr;
  OnnxValue tensor;
};

std::string Base64Text(const std::string& b64) {
  std::string out(b64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.c_str(),
                        b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "?";
  }
  out.resize(len);
  return out;
}

// The node's attribute `name`, or nullptr.
const json* Attr(const json& node, const char* name) {
  if (!node.contains("attr") || !node["attr"].contains(name)) return nullptr;
  return &node["attr"][name];
}

std::string AttrString(const json& node, const char* name) {
  const json* a = Attr(node, name);
  if (!a || !a->contains("s")) return "";
  return Base64Text((*a)["s"].get<std::string>());
}

std::vector<int64_t> AttrInts(const json& node, const char* name) {
  std::vector<int64_t> out;
  const json* a = Attr(node, name);
  if (!a || !a->contains("list") || !(*a)["list"].contains("i")) return out;
  for (const auto& v : (*a)["list"]["i"]) {
    out.push_back(v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>());
  }
  return out;
}

std::vector<std::string> AttrStrings(const json& node, const char* name) {
  std::vector<std::string> out;
  const json* a = Attr(node, name);
  if (!a || !a->contains("list") || !(*a)["list"].contains("s")) return out;
  for (const auto& v : (*a)["list"]["s"]) out.push_back(Base64Text(v.get<std::string>()));
  return out;
}

bool AttrBool(const json& node, const char* name) {
  const json* a = Attr(node, name);
  return a && a->contains("b") && (*a)["b"].get<bool>();
}

// "name:0" -> "name"; control inputs ("^name") are dropped by the caller.
std::string TensorName(const std::string& input) {
  const auto colon = input.find(':');
  return colon == std::string::npos ? input : input.substr(0, colon);
}

class Converter {
 public:
  Converter(const TfWeights& weights, std::string what) : w_(weights), what_(std::move(what)) {}

  Result<TfGraphModel> Run(const json& topology, const std::string& output_node) {
    TfGraphModel model;
    model.graph = std::make_unique<OnnxGraph>();
    g_ = model.graph.get();
    std::vector<const json*> pending;
    for (const auto& node : topology.at("node")) pending.push_back(&node);
    // Nodes need not be in topological order: convert those whose inputs are known, repeat.
    while (!pending.empty()) {
      std::vector<const json*> later;
      for (const json* node : pending) {
        bool ready = true;
        for (const std::string& in : Inputs(*node)) ready = ready && values_.count(in);
        if (!ready) {
          later.push_back(node);
          continue;
        }
        FG_RETURN_IF_ERROR(Convert(*node, model));
      }
      if (later.size() == pending.size()) {
        return Bad(*later.front(), "has an input no node produces");
      }
      pending = std::move(later);
    }
    auto it = values_.find(output_node);
    if (it == values_.end() || it->second.constant) {
      return Status::Integrity(what_ + ": the signature's output " + output_node +
                               " is not a computed tensor of the graph");
    }
    OnnxValue out = it->second.tensor;
    if (out.shape.size() == 4 && out.shape[0] == 1 && out.shape[2] == 1 && out.shape[3] == 1) {
      out = g_->Flatten(out);  // a 1x1 map of K channels, as TF's [1, 1, 1, K]
    }
    if (out.shape.size() != 2 || out.shape[0] != 1) {
      return Status::Integrity(what_ + ": the output " + output_node + " is not a [1, K] tensor");
    }
    model.output_size = out.shape[1];
    g_->Output(out);
    if (model.input_height == 0) return Status::Integrity(what_ + ": the graph has no input");
    return model;
  }

 private:
  static std::vector<std::string> Inputs(const json& node) {
    std::vector<std::string> out;
    if (!node.contains("input")) return out;
    for (const auto& in : node["input"]) {
      const std::string s = in.get<std::string>();
      if (!s.empty() && s[0] != '^') out.push_back(TensorName(s));
    }
    return out;
  }

  Status Bad(const json& node, const std::string& problem) const {
    return Status::Integrity(what_ + ": node " + node.value("name", std::string("?")) + " (" +
                             node.value("op", std::string("?")) + ") " + problem +
                             "; this converter knows only the ops of the pinned model files");
  }

  Result<const TfTensor*> Constant(const json& node, const std::string& name) const {
    const Value& v = values_.at(name);
    if (!v.constant) return Bad(node, "needs " + name + " to be a constant");
    return v.constant;
  }

  Result<OnnxValue> Tensor(const json& node, const std::string& name) const {
    const Value& v = values_.at(name);
    if (v.constant) return Bad(node, "reads the constant " + name + " as data");
    return v.tensor;
  }

  // Stride and padding of a conv or pool, checked to be the NHWC forms the converter supports.
  Result<std::pair<int, TfPadding>> StrideAndPadding(const json& node) const {
    const std::string format = AttrString(node, "data_format");
    if (!format.empty() && format != "NHWC") return Bad(node, "uses data_format " + format);
    const auto strides = AttrInts(node, "strides");
    if (strides.size() != 4 || strides[1] != strides[2]) return Bad(node, "has unequal strides");
    for (int64_t d : AttrInts(node, "dilations")) {
      if (d != 1) return Bad(node, "is dilated");
    }
    const std::string padding = AttrString(node, "padding");
    if (padding != "SAME" && padding != "VALID") return Bad(node, "uses padding " + padding);
    return std::make_pair(static_cast<int>(strides[1]),
                          padding == "SAME" ? TfPadding::kSame : TfPadding::kValid);
  }

  enum class Activation { kNone, kRelu, kPrelu };

  // BiasAdd with an optional Relu or Prelu (whose slopes are the node's fourth input).
  Result<Activation> FusedActivation(const json& node) const {
    const auto ops = AttrStrings(node, "fused_ops");
    if (ops.empty() || ops[0] != "BiasAdd" || ops.size() > 2 ||
        (ops.size() == 2 && ops[1] != "Relu" && ops[1] != "Prelu")) {
      std::string list;
      for (const auto& s : ops) list += (list.empty() ? "" : ",") + s;
      return Bad(node, "fuses [" + list + "]; only BiasAdd, BiasAdd,Relu and BiasAdd,Prelu are supported");
    }
    if (ops.size() == 1) return Activation::kNone;
    return ops[1] == "Relu" ? Activation::kRelu : Activation::kPrelu;
  }

  // x >= 0 ? x : alpha[c] * x, with `alpha` a constant of one slope per channel (tfjs's prelu).
  Result<OnnxValue> Prelu(const json& node, const OnnxValue& x, const std::string& alpha) {
    FG_ASSIGN_OR_RETURN(const TfTensor* a, Constant(node, alpha));
    if (x.shape.size() != 4 || static_cast<int64_t>(a->values.size()) != x.shape[1])
      return Bad(node, "has a Prelu whose slopes are not one per channel");
    return g_->PRelu(x, a->values);
  }

  // x (op) c with c a constant of one value per channel (or a scalar).
  Result<OnnxValue> ChannelAffine(const json& node, const OnnxValue& x, const TfTensor& c,
                                  bool multiply, float sign) {
    const int64_t channels = x.shape[1];
    if (c.values.size() != 1 && static_cast<int64_t>(c.values.size()) != channels) {
      return Bad(node, "broadcasts a constant of " + std::to_string(c.values.size()) +
                           " values over " + std::to_string(channels) + " channels");
    }
    std::vector<float> scale(channels, 1.f), shift(channels, 0.f);
    for (int64_t i = 0; i < channels; ++i) {
      const float v = c.values.size() == 1 ? c.values[0] : c.values[i];
      (multiply ? scale[i] : shift[i]) = multiply ? v : sign * v;
    }
    if (x.shape.size() == 4) {  // a 1x1 depthwise conv: y[c] = x[c] * scale[c] + shift[c]
      return g_->Conv(x, std::move(scale), channels, 1, 1, Pads{}, static_cast<int>(channels),
                      std::move(shift));
    }
    if (x.shape.size() == 2) {  // a diagonal Gemm, exact: every other product is x * 0
      std::vector<float> diag(channels * channels, 0.f);
      for (int64_t i = 0; i < channels; ++i) diag[i * channels + i] = scale[i];
      return g_->Gemm(x, std::move(diag), channels, std::move(shift));
    }
    return Bad(node, "applies to a tensor of rank " + std::to_string(x.shape.size()));
  }

  Status Convert(const json& node, TfGraphModel& model) {
    const std::string name = node.at("name").get<std::string>();
    const std::string op = node.at("op").get<std::string>();
    const auto in = Inputs(node);
    auto need = [&](size_t n) -> Status {
      if (in.size() < n) return Bad(node, "has " + std::to_string(in.size()) + " inputs");
      return Status::Ok();
    };
    Value out;
    if (op == "Const") {
      out.constant = w_.Find(name);
      if (!out.constant) return Bad(node, "is a constant missing from the weights");
    } else if (op == "Placeholder") {
      const json* shape = Attr(node, "shape");
      std::vector<int64_t> dims;
      if (shape && shape->contains("shape") && (*shape)["shape"].contains("dim")) {
        for (const auto& d : (*shape)["shape"]["dim"]) {
          dims.push_back(std::stoll(d.value("size", std::string("-1"))));
        }
      }
      if (dims.size() != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0 ||
          model.input_height != 0) {
        return Bad(node, "is not the one static NHWC image input");
      }
      model.input_height = static_cast<int>(dims[1]);
      model.input_width = static_cast<int>(dims[2]);
      model.input_channels = static_cast<int>(dims[3]);
      out.tensor = g_->Input("input", {1, dims[3], dims[1], dims[2]});
    } else if (op == "Identity") {
      FG_RETURN_IF_ERROR(need(1));
      out = values_.at(in[0]);
    } else if (op == "_FusedConv2D" || op == "Conv2D") {
      FG_RETURN_IF_ERROR(need(op == "Conv2D" ? 2 : 3));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      FG_ASSIGN_OR_RETURN(const TfTensor* filter, Constant(node, in[1]));
      if (filter->shape.size() != 4 || filter->shape[0] != filter->shape[1] ||
          filter->shape[2] != x.shape[1]) {
        return Bad(node, "has a filter that is not a square HWIO kernel over its input channels");
      }
      FG_ASSIGN_OR_RETURN(auto sp, StrideAndPadding(node));
      Activation act = Activation::kNone;
      std::vector<float> bias;
      if (op == "_FusedConv2D") {
        FG_ASSIGN_OR_RETURN(act, FusedActivation(node));
        FG_ASSIGN_OR_RETURN(const TfTensor* b, Constant(node, in[2]));
        if (static_cast<int64_t>(b->values.size()) != filter->shape[3]) {
          return Bad(node, "has a bias of the wrong size");
        }
        bias = b->values;
      }
      out.tensor = TfConv2D(*g_, x, *filter, sp.first, sp.second, std::move(bias));
      if (act == Activation::kRelu) out.tensor = g_->Relu(out.tensor);
      if (act == Activation::kPrelu) {
        FG_RETURN_IF_ERROR(need(4));
        FG_ASSIGN_OR_RETURN(out.tensor, Prelu(node, out.tensor, in[3]));
      }
    } else if (op == "DepthwiseConv2dNative") {
      FG_RETURN_IF_ERROR(need(2));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      FG_ASSIGN_OR_RETURN(const TfTensor* filter, Constant(node, in[1]));
      if (filter->shape.size() != 4 || filter->shape[0] != filter->shape[1] ||
          filter->shape[2] != x.shape[1] || filter->shape[3] != 1) {
        return Bad(node, "has a filter that is not a square [k, k, C, 1] depthwise kernel");
      }
      FG_ASSIGN_OR_RETURN(auto sp, StrideAndPadding(node));
      out.tensor = TfDepthwiseConv2D(*g_, x, *filter, sp.first, sp.second);
    } else if (op == "Prelu") {
      FG_RETURN_IF_ERROR(need(2));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      FG_ASSIGN_OR_RETURN(out.tensor, Prelu(node, x, in[1]));
    } else if (op == "Pad") {
      FG_RETURN_IF_ERROR(need(2));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      FG_ASSIGN_OR_RETURN(const TfTensor* pads, Constant(node, in[1]));
      if (x.shape.size() != 4 || pads->values.size() != 8) return Bad(node, "is not a pad of an NHWC tensor");
      // TF paddings [[N0,N1],[H0,H1],[W0,W1],[C0,C1]] -> ONNX begin/end in NCHW.
      const auto& v = pads->values;
      auto i = [&](int k) { return static_cast<int64_t>(v[k]); };
      out.tensor = g_->ZeroPad(x, {i(0), i(6), i(2), i(4)}, {i(1), i(7), i(3), i(5)});
    } else if (op == "ConcatV2") {
      FG_RETURN_IF_ERROR(need(3));
      FG_ASSIGN_OR_RETURN(const TfTensor* axis, Constant(node, in.back()));
      std::vector<OnnxValue> xs;
      for (size_t k = 0; k + 1 < in.size(); ++k) {
        FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[k]));
        xs.push_back(std::move(x));
      }
      const int64_t rank = static_cast<int64_t>(xs[0].shape.size());
      const int64_t a = axis->values.size() == 1 ? static_cast<int64_t>(axis->values[0]) : -99;
      if (rank != 4 || (a != 3 && a != -1)) return Bad(node, "joins along an axis other than the channels");
      for (const OnnxValue& x : xs) {
        if (x.shape[0] != xs[0].shape[0] || x.shape[2] != xs[0].shape[2] || x.shape[3] != xs[0].shape[3])
          return Bad(node, "joins tensors of different spatial sizes");
      }
      out.tensor = g_->Concat(xs, 1);
    } else if (op == "MaxPool") {
      FG_RETURN_IF_ERROR(need(1));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      const auto k = AttrInts(node, "ksize");
      if (k.size() != 4 || k[1] != k[2] || k[0] != 1 || k[3] != 1) {
        return Bad(node, "has a non-square or non-spatial window");
      }
      FG_ASSIGN_OR_RETURN(auto sp, StrideAndPadding(node));
      const int kernel = static_cast<int>(k[1]);
      out.tensor = g_->MaxPool(x, kernel, sp.first,
                               TfPads(sp.second, x.shape[2], x.shape[3], kernel, sp.first));
    } else if (op == "Relu" || op == "Sigmoid" || op == "Softmax") {
      FG_RETURN_IF_ERROR(need(1));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      if (op == "Softmax" && x.shape.size() != 2) return Bad(node, "is not over a [N, K] tensor");
      out.tensor = op == "Relu" ? g_->Relu(x) : op == "Sigmoid" ? g_->Sigmoid(x) : g_->Softmax(x);
    } else if (op == "Reshape") {
      FG_RETURN_IF_ERROR(need(2));
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      FG_ASSIGN_OR_RETURN(const TfTensor* shape, Constant(node, in[1]));
      int64_t total = 1;
      for (size_t i = 1; i < x.shape.size(); ++i) total *= x.shape[i];
      const auto& s = shape->values;
      if (s.size() != 2 || (s[0] != -1 && s[0] != 1) || (s[1] != -1 && s[1] != total)) {
        return Bad(node, "is not a flatten to [N, K]");
      }
      // TF flattens NHWC: bring the channels last before flattening the NCHW tensor.
      out.tensor = x.shape.size() == 4 ? g_->Flatten(g_->Transpose(x, {0, 2, 3, 1})) : x;
    } else if (op == "_FusedMatMul" || op == "MatMul") {
      FG_RETURN_IF_ERROR(need(op == "MatMul" ? 2 : 3));
      if (AttrBool(node, "transpose_a") || AttrBool(node, "transpose_b")) {
        return Bad(node, "transposes an operand");
      }
      FG_ASSIGN_OR_RETURN(OnnxValue x, Tensor(node, in[0]));
      FG_ASSIGN_OR_RETURN(const TfTensor* weights, Constant(node, in[1]));
      if (x.shape.size() != 2 || weights->shape.size() != 2 || weights->shape[0] != x.shape[1]) {
        return Bad(node, "multiplies mismatched shapes");
      }
      Activation act = Activation::kNone;
      std::vector<float> bias;
      if (op == "_FusedMatMul") {
        FG_ASSIGN_OR_RETURN(act, FusedActivation(node));
        if (act == Activation::kPrelu) return Bad(node, "fuses a Prelu into a matrix product");
        FG_ASSIGN_OR_RETURN(const TfTensor* b, Constant(node, in[2]));
        if (static_cast<int64_t>(b->values.size()) != weights->shape[1]) {
          return Bad(node, "has a bias of the wrong size");
        }
        bias = b->values;
      }
      out.tensor = TfFullyConnected(*g_, x, *weights, std::move(bias));
      if (act == Activation::kRelu) out.tensor = g_->Relu(out.tensor);
    } else if (op == "Mul" || op == "Add" || op == "AddV2" || op == "Sub") {
      FG_RETURN_IF_ERROR(need(2));
      const Value& a = values_.at(in[0]);
      const Value& b = values_.at(in[1]);
      const bool commutes = op != "Sub";
      if (!a.constant && b.constant) {
        FG_ASSIGN_OR_RETURN(out.tensor, ChannelAffine(node, a.tensor, *b.constant, op == "Mul",
                                                      op == "Sub" ? -1.f : 1.f));
      } else if (a.constant && !b.constant && commutes) {
        FG_ASSIGN_OR_RETURN(out.tensor,
                            ChannelAffine(node, b.tensor, *a.constant, op == "Mul", 1.f));
      } else if (!a.constant && !b.constant && op != "Mul" && op != "Sub" && a.tensor.shape == b.tensor.shape) {
        out.tensor = g_->Add(a.tensor, b.tensor);  // a residual connection
      } else {
        return Bad(node, "combines two constants, or two computed tensors other than by adding equal shapes");
      }
    } else {
      return Bad(node, "is an op the converter does not support");
    }
    values_[name] = std::move(out);
    return Status::Ok();
  }

  const TfWeights& w_;
  std::string what_;
  OnnxGraph* g_ = nullptr;
  std::map<std::string, Value> values_;
};

}  // namespace

Result<TfGraphModel> ConvertTfGraphModel(const std::string& model_json,
                                         const std::vector<std::string>& group_bytes,
                                         const std::string& what) {
  json model = json::parse(model_json, nullptr, false);
  if (model.is_discarded() || !model.is_object()) {
    return Status::Integrity(what + " is not a JSON object");
  }
  try {
    if (model.value("format", std::string()) != "graph-model") {
      return Status::Integrity(what + " is not a TF.js graph model (format != graph-model)");
    }
    FG_ASSIGN_OR_RETURN(TfWeights weights,
                        TfWeights::Decode(model.at("weightsManifest").dump(), group_bytes));
    // The signature is top-level in newer converters' files, under userDefinedMetadata in older.
    const json& signature = model.contains("signature") ? model.at("signature")
                                                        : model.at("userDefinedMetadata").at("signature");
    const auto& outputs = signature.at("outputs");
    if (outputs.size() != 1) return Status::Integrity(what + " must have exactly one output");
    const std::string output = TensorName(outputs.begin().value().at("name").get<std::string>());
    Converter converter(weights, what);
    return converter.Run(model.at("modelTopology"), output);
  } catch (const json::exception& e) {
    return Status::Integrity(what + " is malformed: " + e.what());
  } catch (const std::exception& e) {  // std::stoll on a malformed number
    return Status::Integrity(what + " is malformed: " + e.what());
  }
}

Result<TfGraphModel> LoadTfGraphModel(const ModelFiles& files, const std::string& package,
                                      const std::string& model_json_path) {
  FG_ASSIGN_OR_RETURN(std::string text, files.Read(package, model_json_path));
  const auto slash = model_json_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : model_json_path.substr(0, slash + 1);
  json model = json::parse(text, nullptr, false);
  if (model.is_discarded() || !model.contains("weightsManifest") ||
      !model["weightsManifest"].is_array()) {
    return Status::Integrity(model_json_path + " has no weightsManifest array");
  }
  std::vector<std::string> groups;
  for (const auto& group : model["weightsManifest"]) {
    std::string bytes;
    if (!group.contains("paths") || !group["paths"].is_array()) {
      return Status::Integrity(model_json_path + " has a weight group without 'paths'");
    }
    for (const auto& shard : group["paths"]) {
      if (!shard.is_string()) return Status::Integrity(model_json_path + " has a non-string path");
      FG_ASSIGN_OR_RETURN(std::string part, files.Read(package, dir + shard.get<std::string>()));
      bytes += part;
    }
    groups.push_back(std::move(bytes));
  }
  return ConvertTfGraphModel(text, groups, package + " " + model_json_path);
}

}  // namespace facegate::nn
