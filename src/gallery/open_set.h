// Open-set decision maths (REQ D3: a non-match is "unknown"): how likely a
// stranger is to fall within the threshold of somebody in a scope of N people,
// from calibration impostor distances, and the threshold for a target rate.
#pragma once

#include <facegate/status.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace facegate::gallery {

// FAR_N = 1 - (1 - p)^N: chance that at least one of N independent
// comparisons is a false match when each is one with probability p.
double StrangerAcceptRate(double per_comparison_rate, uint64_t scope_size);

// Inverse of the above in p: the per-comparison rate that gives FAR_N = target.
double PerComparisonRateFor(double target_far, uint64_t scope_size);

// A threshold chosen for a target stranger false-accept rate.
struct ThresholdChoice {
  float threshold = 0;               // accept when distance <= threshold
  double per_comparison_rate = 0;    // p(threshold) as estimated
  double stranger_accept_rate = 0;   // FAR_N(threshold) as estimated
  bool extrapolated = false;         // p below what the sample resolves: tail model used
};

// The false-match rate p(t) = P(impostor distance <= t), estimated from a
// sample of different-person distances. Where the sample has at least
// kMinTailCount distances at or below t, p(t) is the empirical share; below
// that (small t, the region large scopes need) it uses a normal model of the
// squared distance fitted to the lower tail (the kMinTailCount-th smallest
// value and the 10% quantile), since squared distances are sums over 128
// dimensions. Immutable, thread-safe.
class ImpostorDistances {
 public:
  static constexpr std::size_t kMinTailCount = 10;
  static constexpr std::size_t kMinSamples = 200;

  // InvalidInput for fewer than kMinSamples values or a non-finite/negative one.
  static Result<ImpostorDistances> FromSample(std::vector<float> distances);

  double FalseMatchRate(float threshold) const;
  // True when FalseMatchRate(threshold) comes from the tail model.
  bool Extrapolated(float threshold) const;
  double StrangerAcceptRate(float threshold, uint64_t scope_size) const;
  // The largest threshold whose estimated FAR_N is at most target_far (0 < target < 1).
  ThresholdChoice ThresholdFor(double target_far, uint64_t scope_size) const;
  // The largest scope whose estimated FAR_N at `threshold` is at most target_far
  // (UINT64_MAX when p(threshold) is 0).
  uint64_t MaxScopeSize(float threshold, double target_far) const;

  std::size_t samples() const { return sorted_.size(); }
  // The fitted normal tail model of the squared distance.
  double tail_mean_sq() const { return mu_; }
  double tail_sd_sq() const { return sigma_; }

 private:
  ImpostorDistances() = default;
  double Model(double threshold) const;
  std::vector<float> sorted_;
  double mu_ = 0, sigma_ = 1;
};

// Standard normal CDF and its inverse (used by the tail model; exposed for tests).
double NormalCdf(double z);
double NormalQuantile(double p);

}  // namespace facegate::gallery
