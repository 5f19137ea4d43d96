// A face template (biometric feature vector): sensitive personal information.
// Only the engine (from a face, under a Grant) and the store's vault (when
// opening a sealed template, under a Grant) can make one.
#pragma once

#include <array>
#include <string>

namespace facegate {

namespace vision {
class Engine;
}  // namespace vision
namespace store {
class Vault;
}  // namespace store

// Template dimension: the feature net's 512 values projected to 128 (vision/projection.h);
// face-api's descriptor, the other recognizer, has 128 values too.
inline constexpr int kTemplateDim = 128;

class Template {
 public:
  const std::array<float, kTemplateDim>& values() const { return v_; }
  // Model that produced it, e.g. "faceplugin-face-recognition-js@0.0.1/fr_feature+five-point+
  // pca128-utkface391"; templates of different models are never compared.
  const std::string& model() const { return model_; }
  // Overwrite the values in memory (probes are wiped after use; REQ S2, D3).
  void Wipe();
  ~Template() { Wipe(); }
  Template(const Template&) = default;
  Template& operator=(const Template&) = default;
  Template(Template&&) = default;
  Template& operator=(Template&&) = default;

  // Euclidean distance between two templates (unit vectors for the default recognizer: 0..2).
  float DistanceTo(const Template& other) const;

 private:
  friend class vision::Engine;
  friend class store::Vault;
  Template(const std::array<float, kTemplateDim>& v, std::string model) : v_(v), model_(std::move(model)) {}

  std::array<float, kTemplateDim> v_{};
  std::string model_;
};

}  // namespace facegate
