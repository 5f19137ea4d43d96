// Face-like synthetic templates for tests and benchmarks: no real person's
// data, but the statistics of the engine's real templates, so that search
// structures meet the same geometry as in production.
#pragma once

#include <array>
#include <cstdint>
#include <random>

#include "gallery/distance.h"

namespace facegate::gallery {

using Values = std::array<float, kDim>;

// Identity centres are drawn per dimension from N(mean_i, sb_i^2) and each
// capture adds N(0, sw^2) noise. mean_i and the total spread sd_i come from the
// engine's templates of 391 UTKFace crops (bench/template_stats); sw is set so
// the expected same-person distance is `same_person_distance` (sqrt(2*128)*sw;
// the default 0.80 is the median same-person photo pair of LFW, 0.82), and
// sb_i^2 = sd_i^2 - sw^2 (at least 1e-6), so different-person distances keep
// about the real ~1.42 typical value.
class SyntheticFaces {
 public:
  explicit SyntheticFaces(uint64_t seed, float same_person_distance = 0.80f);
  Values Identity();                     // a new person's centre
  Values Capture(const Values& identity);  // one template of that person
 private:
  std::mt19937_64 rng_;
  std::normal_distribution<float> unit_{0.0f, 1.0f};
  float within_;
  std::array<float, kDim> between_;
};

}  // namespace facegate::gallery
