#include "nn/tf_weights.h"

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

namespace facegate::nn {
namespace {

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace

Result<TfWeights> TfWeights::Decode(const std::string& manifest_json,
                                    const std::vector<std::string>& group_bytes) {
  nlohmann::json manifest = nlohmann::json::parse(manifest_json, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_array()) {
    return Status::Integrity("weights manifest is not a JSON array of groups");
  }
  if (manifest.size() != group_bytes.size()) {
    return Status::Internal("weights manifest has " + std::to_string(manifest.size()) +
                            " groups but " + std::to_string(group_bytes.size()) + " were given");
  }
  TfWeights weights;
  try {
    for (size_t g = 0; g < manifest.size(); ++g) {
      const std::string& bytes = group_bytes[g];
      size_t offset = 0;
      for (const auto& w : manifest[g].at("weights")) {
        const std::string name = w.at("name").get<std::string>();
        const std::string dtype = w.at("dtype").get<std::string>();
        TfTensor t;
        t.shape = w.at("shape").get<std::vector<int64_t>>();
        int64_t count = 1;
        for (int64_t d : t.shape) count *= d;
        if (dtype != "float32" && dtype != "int32") {
          return Status::Integrity("weight " + name + " has unsupported dtype " + dtype);
        }
        const bool is_int = dtype == "int32";
        std::string qtype;
        double scale = 1, min = 0;
        if (w.contains("quantization")) {
          const auto& q = w.at("quantization");
          qtype = q.at("dtype").get<std::string>();
          if (qtype == "uint8" || qtype == "uint16") {
            scale = q.at("scale").get<double>();
            min = q.at("min").get<double>();
          } else if (qtype != "float16") {
            return Status::Integrity("weight " + name + " has unsupported quantization " + qtype);
          }
        }
        const size_t item = qtype == "uint8"                            ? 1
                            : (qtype == "uint16" || qtype == "float16") ? 2
                                                                        : 4;
        const size_t nbytes = item * static_cast<size_t>(count);
        if (offset + nbytes > bytes.size()) {
          return Status::Integrity("weights file too short for tensor " + name);
        }
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
        t.values.resize(count);
        for (int64_t i = 0; i < count; ++i) {
          double v;
          if (qtype == "uint8") {
            v = p[i] * scale + min;
          } else if (qtype == "uint16") {
            uint16_t q;
            std::memcpy(&q, p + 2 * i, 2);
            v = q * scale + min;
          } else if (qtype == "float16") {
            uint16_t q;
            std::memcpy(&q, p + 2 * i, 2);
            v = HalfToFloat(q);
          } else if (is_int) {
            int32_t q;
            std::memcpy(&q, p + 4 * i, 4);
            v = q;
          } else {
            float f;
            std::memcpy(&f, p + 4 * i, 4);
            v = f;
          }
          // tfjs rounds dequantized int32 tensors; floats are stored as float32.
          t.values[i] = static_cast<float>(is_int && !qtype.empty() ? std::round(v) : v);
        }
        offset += nbytes;
        weights.tensors_[name] = std::move(t);
      }
      if (offset != bytes.size()) {
        return Status::Integrity("weights group " + std::to_string(g) + " has " +
                                 std::to_string(bytes.size() - offset) +
                                 " bytes the manifest does not describe");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Integrity(std::string("weights manifest is malformed: ") + e.what());
  }
  return weights;
}

Result<TfWeights> TfWeights::Load(const ModelFiles& files, const std::string& package,
                                  const std::string& manifest_path) {
  FG_ASSIGN_OR_RETURN(std::string manifest, files.Read(package, manifest_path));
  const auto slash = manifest_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : manifest_path.substr(0, slash + 1);
  nlohmann::json parsed = nlohmann::json::parse(manifest, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return Status::Integrity(manifest_path + " is not a JSON array of weight groups");
  }
  std::vector<std::string> groups;
  for (const auto& group : parsed) {
    std::string bytes;
    if (!group.contains("paths") || !group["paths"].is_array()) {
      return Status::Integrity(manifest_path + " has a weight group without 'paths'");
    }
    for (const auto& shard : group["paths"]) {
      if (!shard.is_string()) return Status::Integrity(manifest_path + " has a non-string path");
      FG_ASSIGN_OR_RETURN(std::string part, files.Read(package, dir + shard.get<std::string>()));
      bytes += part;
    }
    groups.push_back(std::move(bytes));
  }
  auto decoded = Decode(manifest, groups);
  if (!decoded.ok()) {
    return Status(decoded.status().kind(), manifest_path + ": " + decoded.status().message());
  }
  return decoded;
}

Result<const TfTensor*> TfWeights::Get(const std::string& name,
                                       const std::vector<int64_t>& shape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return Status::Integrity("weights lack tensor " + name +
                             "; the model file is not the one "
                             "this code was written for");
  }
  if (it->second.shape != shape) {
    return Status::Integrity("weight tensor " + name + " has shape " +
                             ShapeString(it->second.shape) + ", expected " + ShapeString(shape));
  }
  return &it->second;
}

}  // namespace facegate::nn
