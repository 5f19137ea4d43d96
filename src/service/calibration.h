// Scope size against model strength (issue 4 part 3): the threshold of a 1:N
// scope from calibration data, so that a stranger is accepted with at most the
// target probability however many people the scope holds, and the refusal when
// no usable threshold remains (REQ SC2, D3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gallery/open_set.h"

namespace facegate::service {

// Measured on ../shared/facedata by bench/ident_calibrate --emit, which writes
// data/calibration.json and data/calibration_*.f32; scripts/embed-data.py generates these
// definitions from them at build time (data/README.md).
namespace calibration_data {
extern const uint64_t kImpostorCount;     // different-person pairs measured
extern const uint64_t kGenuineCount;      // same-person pairs measured
extern const size_t kImpostorLowestCount;
extern const float kImpostorLowest[];     // the smallest impostor distances, ascending
extern const size_t kImpostorRankCount;
extern const uint64_t kImpostorRanks[];   // sparse ranks (0-based) of the rest ...
extern const float kImpostorRankValues[]; // ... and their distances
extern const float kGenuinePercentiles[101];
}  // namespace calibration_data

// Default target: at most 1% of strangers accepted as somebody, at any scope size.
inline constexpr double kDefaultStrangerFar = 0.01;
// Below this share of genuine (same-person) comparisons accepted, a threshold
// is no longer usable: most enrolled people would be turned away, so 1:N is
// refused (REQ SC2). Below kWarnGenuineAccept the scope is warned about.
// Chosen by measurement (docs/identification.md).
inline constexpr double kMinGenuineAccept = 0.50;
inline constexpr double kWarnGenuineAccept = 0.80;

// The impostor model of the current face model, rebuilt once from the
// calibration data (the full sorted sample: exact lowest values, the rest
// interpolated between the stored ranks).
const gallery::ImpostorDistances& Impostors();

// Share of same-person comparisons at or below distance t (from the percentiles).
double GenuineAcceptRate(float t);

// The open-set decision rule of one scope.
struct ScopeThreshold {
  float threshold = 0;            // accept the nearest member when distance <= threshold
  uint64_t comparisons = 0;       // members in the scope (each a chance for a stranger)
  double stranger_far = 0;        // expected share of strangers accepted as somebody
  double genuine_accept = 0;      // expected share of same-person comparisons within it
  bool extrapolated = false;      // rates from the tail model (beyond the calibration data)
  uint64_t max_supported = 0;     // largest scope with genuine_accept >= kMinGenuineAccept
  uint64_t max_comfortable = 0;   // largest scope with genuine_accept >= kWarnGenuineAccept
  bool supported = true;          // false: the model cannot serve this scope size (refuse)
  std::string warning;            // non-empty past max_comfortable
};

// threshold = min(verify_threshold, ThresholdFor(target_far, comparisons)).
// `supported` is false when that threshold would accept fewer than
// kMinGenuineAccept of genuine comparisons.
ScopeThreshold ThresholdForScope(uint64_t comparisons, float verify_threshold,
                                 double target_far = kDefaultStrangerFar);

}  // namespace facegate::service
