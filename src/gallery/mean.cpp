#include "gallery/mean.h"

#include <cmath>

namespace facegate::gallery {

void MeanAccumulator::Add(const float* v) {
  double len = 0;
  for (int d = 0; d < kDim; ++d) {
    sum[d] += v[d];
    len += double(v[d]) * v[d];
  }
  length_sum += std::sqrt(len);
  ++count;
}

std::array<float, kDim> MeanAccumulator::Mean() const {
  std::array<float, kDim> out{};
  double len = 0;
  for (int d = 0; d < kDim; ++d) len += sum[d] * sum[d];
  if (count == 0 || len <= 0) return out;
  const double k = (length_sum / count) / std::sqrt(len);
  for (int d = 0; d < kDim; ++d) out[d] = float(sum[d] * k);
  return out;
}

}  // namespace facegate::gallery
