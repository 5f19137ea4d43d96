// Face-like synthetic templates for tests and benchmarks: no real person's
// data, but the statistics of real face-api descriptors, so that search
// structures meet the same geometry as in production.
#pragma once

#include <array>
#include <cstdint>
#include <random>

#include "gallery/distance.h"

namespace facegate::gallery {

using Values = std::array<float, kDim>;

// Identity centres are drawn per dimension from N(mean_i, sb_i^2) and each
// capture adds N(0, sw^2) noise. mean_i and the total spread sd_i come from 22
// real face-api 1.7.15 descriptors (the golden test faces); sw is set so the
// expected same-person distance is `same_person_distance` (sqrt(2*128)*sw),
// and sb_i^2 = sd_i^2 - sw^2, so different-person distances keep the real
// ~0.71 typical value.
class SyntheticFaces {
 public:
  explicit SyntheticFaces(uint64_t seed, float same_person_distance = 0.35f);
  Values Identity();                     // a new person's centre
  Values Capture(const Values& identity);  // one template of that person
 private:
  std::mt19937_64 rng_;
  std::normal_distribution<float> unit_{0.0f, 1.0f};
  float within_;
  std::array<float, kDim> between_;
};

}  // namespace facegate::gallery
