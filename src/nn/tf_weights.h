// TF.js weights (manifest JSON + .bin shards) decoded to float32 tensors, as
// tfjs-core's io.decodeWeights does, so every face-api net reads them the same way.
#pragma once

#include <facegate/status.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/model_files.h"

namespace facegate::nn {

// A dense float tensor in the TF layout it was stored in (conv filters HWIO, NHWC...).
struct TfTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // int32 tensors are stored as their (exact) float values
};

// All tensors of one TF.js weights manifest, by name.
class TfWeights {
 public:
  // Decodes a manifest and the concatenated bytes of each of its groups (in manifest order).
  // Handles float32/int32 tensors, plain or quantized (uint8, uint16: q*scale+min computed in
  // double like tfjs; float16). kIntegrity if the bytes do not match the manifest.
  static Result<TfWeights> Decode(const std::string& manifest_json,
                                  const std::vector<std::string>& group_bytes);

  // Reads "<dir>/<name>-weights_manifest.json" of `package` and its shards via `files` (so every
  // byte is checksum-verified), then decodes them.
  static Result<TfWeights> Load(const ModelFiles& files, const std::string& package,
                                const std::string& manifest_path);

  // The tensor `name` with exactly `shape`; kIntegrity naming the tensor if absent or misshapen.
  Result<const TfTensor*> Get(const std::string& name, const std::vector<int64_t>& shape) const;

  bool Has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor `name` whatever its shape, or nullptr (graph models name their constants).
  const TfTensor* Find(const std::string& name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }
  size_t size() const { return tensors_.size(); }

 private:
  std::map<std::string, TfTensor> tensors_;
};

}  // namespace facegate::nn
