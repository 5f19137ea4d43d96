#include "vision/projection.h"

#include <cmath>

namespace facegate::vision {
namespace {

void Normalise(float* v, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += double(v[i]) * v[i];
  if (s <= 0) return;
  const double k = 1.0 / std::sqrt(s);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] * k);
}

}  // namespace

std::array<float, kTemplateDim> ProjectFeature(const std::array<float, nn::kFeatureDim>& feature) {
  std::array<float, nn::kFeatureDim> x = feature;
  Normalise(x.data(), nn::kFeatureDim);
  for (int i = 0; i < nn::kFeatureDim; ++i) x[i] -= projection_data::kMean[i];
  std::array<float, kTemplateDim> out{};
  for (int k = 0; k < kTemplateDim; ++k) {
    double s = 0;
    for (int i = 0; i < nn::kFeatureDim; ++i) s += double(projection_data::kAxes[k][i]) * x[i];
    out[k] = static_cast<float>(s);
  }
  Normalise(out.data(), kTemplateDim);
  return out;
}

}  // namespace facegate::vision
