// A member's one template in a scope: the mean direction of its templates, scaled to their
// mean length (unit for the default recognizer). Against the plain mean, which shrinks as a
// person's photos differ, it keeps members comparable with one threshold: measured on the
// open-set protocol, strangers rejected 97.5% against 96.2% at the best balance
// (docs/identification.md).
#pragma once

#include <array>
#include <vector>

#include "gallery/distance.h"

namespace facegate::gallery {

// Running sum of a member's templates; the sum is overwritten when it goes (REQ S2).
struct MeanAccumulator {
  ~MeanAccumulator() { sum.fill(0); }
  std::array<double, kDim> sum{};
  double length_sum = 0;
  int count = 0;
  void Add(const float* v);
  // The mean template; zeros if nothing was added.
  std::array<float, kDim> Mean() const;
};

}  // namespace facegate::gallery
