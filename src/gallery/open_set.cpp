#include "gallery/open_set.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace facegate::gallery {

double StrangerAcceptRate(double p, uint64_t n) {
  if (p <= 0) return 0;
  if (p >= 1) return n == 0 ? 0 : 1;
  // 1 - (1-p)^N without cancellation for tiny p.
  return -std::expm1(double(n) * std::log1p(-p));
}

double PerComparisonRateFor(double target, uint64_t n) {
  if (n == 0 || target >= 1) return 1;
  if (target <= 0) return 0;
  return -std::expm1(std::log1p(-target) / double(n));
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Result<ImpostorDistances> ImpostorDistances::FromSample(std::vector<float> d) {
  if (d.size() < kMinSamples)
    return Status::InvalidInput("need at least " + std::to_string(kMinSamples) +
                                " impostor distances to calibrate, got " +
                                std::to_string(d.size()) + "; add different-person pairs");
  for (float x : d)
    if (!std::isfinite(x) || x < 0)
      return Status::InvalidInput("impostor distances must be finite and non-negative");
  std::sort(d.begin(), d.end());
  ImpostorDistances m;
  m.sorted_ = std::move(d);
  const double n = double(m.sorted_.size());
  // Lower-tail fit on squared distances: match the kMinTailCount-th smallest
  // value (level kMinTailCount/n) and the 10% quantile.
  const double pl = double(kMinTailCount) / n, ph = 0.10;
  const double ql = std::pow(double(m.sorted_[kMinTailCount - 1]), 2);
  const double qh = std::pow(double(m.sorted_[std::size_t(std::ceil(ph * n)) - 1]), 2);
  const double zl = NormalQuantile(pl), zh = NormalQuantile(ph);
  m.sigma_ = std::max((qh - ql) / (zh - zl), 1e-12);
  m.mu_ = qh - m.sigma_ * zh;
  return m;
}

double ImpostorDistances::Model(double t) const {
  return NormalCdf((t * t - mu_) / sigma_);
}

bool ImpostorDistances::Extrapolated(float t) const {
  return t < sorted_[kMinTailCount - 1];
}

double ImpostorDistances::FalseMatchRate(float t) const {
  const double n = double(sorted_.size());
  if (!Extrapolated(t)) {
    const auto count = std::upper_bound(sorted_.begin(), sorted_.end(), t) - sorted_.begin();
    return double(count) / n;
  }
  if (t < 0) return 0;
  // Below the sample's resolution the empirical share is < kMinTailCount / n.
  return std::min(Model(t), double(kMinTailCount - 1) / n);
}

double ImpostorDistances::StrangerAcceptRate(float t, uint64_t n) const {
  return gallery::StrangerAcceptRate(FalseMatchRate(t), n);
}

ThresholdChoice ImpostorDistances::ThresholdFor(double target, uint64_t scope) const {
  ThresholdChoice c;
  const double p = PerComparisonRateFor(target, scope);
  const double n = double(sorted_.size());
  const double allowed = std::floor(p * n + 1e-9);  // impostors allowed at or below t
  if (allowed >= double(kMinTailCount)) {
    const std::size_t m = std::size_t(allowed);
    c.threshold = m >= sorted_.size()
                      ? sorted_.back()
                      : std::nextafter(sorted_[m], -std::numeric_limits<float>::infinity());
  } else {
    // Invert the tail model, then step down until the estimate meets the target.
    const double t2 = mu_ + sigma_ * NormalQuantile(p);
    float t = t2 > 0 ? float(std::sqrt(t2)) : 0.0f;
    t = std::min(t, std::nextafter(sorted_[kMinTailCount - 1], 0.0f));
    while (t > 0 && FalseMatchRate(t) > p) t = std::nextafter(t, 0.0f);
    c.threshold = t;
  }
  c.extrapolated = Extrapolated(c.threshold);
  c.per_comparison_rate = FalseMatchRate(c.threshold);
  c.stranger_accept_rate = gallery::StrangerAcceptRate(c.per_comparison_rate, scope);
  return c;
}

uint64_t ImpostorDistances::MaxScopeSize(float t, double target) const {
  const double p = FalseMatchRate(t);
  if (p <= 0) return std::numeric_limits<uint64_t>::max();
  if (p >= 1) return 0;
  const double n = std::floor(std::log1p(-target) / std::log1p(-p) + 1e-9);
  if (n >= 1.8e19) return std::numeric_limits<uint64_t>::max();
  return uint64_t(n);
}

}  // namespace facegate::gallery
