#include "service/calibration.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace facegate::service {

namespace cd = calibration_data;

namespace {

gallery::ImpostorDistances Build() {
  std::vector<float> v(cd::kImpostorCount);
  const size_t lowest = std::min<size_t>(cd::kImpostorLowestCount, v.size());
  std::copy(cd::kImpostorLowest, cd::kImpostorLowest + lowest, v.begin());
  for (size_t k = 0; k + 1 < cd::kImpostorRankCount; ++k) {
    const uint64_t ra = cd::kImpostorRanks[k], rb = cd::kImpostorRanks[k + 1];
    const float xa = cd::kImpostorRankValues[k], xb = cd::kImpostorRankValues[k + 1];
    for (uint64_t r = std::max<uint64_t>(ra, lowest); r <= rb && r < v.size(); ++r)
      v[r] = xa + (xb - xa) * float(double(r - ra) / double(rb - ra));
  }
  auto m = gallery::ImpostorDistances::FromSample(std::move(v));
  if (!m.ok()) {  // the generated data is checked by tests; this cannot happen with it
    std::fprintf(stderr, "facegate: calibration data unusable: %s\n", m.status().ToString().c_str());
    std::abort();
  }
  return std::move(m).value();
}

}  // namespace

const gallery::ImpostorDistances& Impostors() {
  static const gallery::ImpostorDistances model = Build();
  return model;
}

double GenuineAcceptRate(float t) {
  const float* p = cd::kGenuinePercentiles;
  if (t < p[0]) return 0;
  if (t >= p[100]) return 1;
  const int i = int(std::upper_bound(p, p + 101, t) - p) - 1;  // p[i] <= t < p[i+1]
  const double span = double(p[i + 1]) - double(p[i]);
  const double frac = span > 0 ? (double(t) - double(p[i])) / span : 0;
  return (double(i) + frac) / 100;
}

namespace {
// The distance at which the share of genuine comparisons accepted is `accept`.
float GenuineQuantile(double accept) {
  float lo = 0, hi = 2;
  for (int i = 0; i < 60; ++i) {
    const float mid = 0.5f * (lo + hi);
    (GenuineAcceptRate(mid) < accept ? lo : hi) = mid;
  }
  return hi;
}
}  // namespace

ScopeThreshold ThresholdForScope(uint64_t comparisons, float verify_threshold, double target_far) {
  const gallery::ImpostorDistances& m = Impostors();
  ScopeThreshold r;
  r.comparisons = comparisons;
  const gallery::ThresholdChoice c = m.ThresholdFor(target_far, std::max<uint64_t>(comparisons, 1));
  r.threshold = std::min(verify_threshold, c.threshold);
  r.stranger_far = m.StrangerAcceptRate(r.threshold, comparisons);
  r.extrapolated = m.Extrapolated(r.threshold);
  r.genuine_accept = GenuineAcceptRate(r.threshold);
  r.max_supported = m.MaxScopeSize(GenuineQuantile(kMinGenuineAccept), target_far);
  r.max_comfortable = m.MaxScopeSize(GenuineQuantile(kWarnGenuineAccept), target_far);
  r.supported = r.genuine_accept >= kMinGenuineAccept;
  if (r.supported && r.genuine_accept < kWarnGenuineAccept) {
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "the scope has %llu members, more than the %llu this model serves well: to keep "
                  "strangers' false accepts at %.0f%% its threshold is %.3f, where only about %.0f%% "
                  "of same-person comparisons match; 1:N is refused past %llu members",
                  (unsigned long long)comparisons, (unsigned long long)r.max_comfortable,
                  100 * target_far, r.threshold, 100 * r.genuine_accept,
                  (unsigned long long)r.max_supported);
    r.warning = buf;
  }
  return r;
}

}  // namespace facegate::service
