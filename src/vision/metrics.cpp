#include "vision/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace facegate::vision {

double AccuracyAt(const std::vector<ScoredPair>& pairs, double threshold) {
  if (pairs.empty()) return 0;
  size_t right = 0;
  for (const auto& p : pairs) {
    if (p.failed) continue;
    if ((p.distance <= threshold) == p.same) ++right;
  }
  return static_cast<double>(right) / pairs.size();
}

double BestThreshold(const std::vector<ScoredPair>& pairs) {
  std::vector<std::pair<double, bool>> d;
  for (const auto& p : pairs) {
    if (!p.failed) d.emplace_back(p.distance, p.same);
  }
  if (d.empty()) return 0;
  std::sort(d.begin(), d.end());
  // Sweep: accepting everything up to candidate i. right = same accepted + different rejected.
  long total_diff = 0;
  for (const auto& [dist, same] : d) total_diff += same ? 0 : 1;
  std::vector<double> cand;
  std::vector<long> right;
  cand.push_back(d.front().first - 1e-6);
  right.push_back(total_diff);
  long same_acc = 0, diff_acc = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    (d[i].second ? same_acc : diff_acc) += 1;
    if (i + 1 < d.size() && d[i + 1].first == d[i].first) continue;  // not a boundary
    cand.push_back(i + 1 < d.size() ? (d[i].first + d[i + 1].first) / 2 : d[i].first + 1e-6);
    right.push_back(same_acc + (total_diff - diff_acc));
  }
  const long best = *std::max_element(right.begin(), right.end());
  size_t first = 0;
  while (right[first] != best) ++first;
  size_t last = first;
  while (last + 1 < right.size() && right[last + 1] == best) ++last;
  return (cand[first] + cand[last]) / 2;
}

CrossValidation CrossValidate(const std::vector<ScoredPair>& pairs, int folds) {
  CrossValidation cv;
  for (int f = 0; f < folds; ++f) {
    std::vector<ScoredPair> train, test;
    for (const auto& p : pairs) (p.fold == f ? test : train).push_back(p);
    const double t = BestThreshold(train);
    cv.fold_threshold.push_back(t);
    cv.fold_accuracy.push_back(AccuracyAt(test, t));
  }
  if (folds <= 0) return cv;
  for (int f = 0; f < folds; ++f) {
    cv.mean_accuracy += cv.fold_accuracy[f] / folds;
    cv.mean_threshold += cv.fold_threshold[f] / folds;
  }
  double var = 0;
  for (double a : cv.fold_accuracy) var += (a - cv.mean_accuracy) * (a - cv.mean_accuracy);
  cv.stddev_accuracy = std::sqrt(var / folds);
  return cv;
}

TarAtFar TarAtFarTarget(const std::vector<ScoredPair>& pairs, double target_far) {
  std::vector<double> impostor;
  size_t n_same = 0, n_diff = 0;
  for (const auto& p : pairs) {
    (p.same ? n_same : n_diff) += 1;
    if (!p.same && !p.failed) impostor.push_back(p.distance);
  }
  std::sort(impostor.begin(), impostor.end());
  const size_t allowed = static_cast<size_t>(std::floor(target_far * n_diff + 1e-9));
  TarAtFar r;
  // Accept strictly below the (allowed+1)-th smallest impostor distance.
  r.threshold = allowed < impostor.size()
                    ? std::nextafter(impostor[allowed], -std::numeric_limits<double>::infinity())
                    : std::numeric_limits<double>::infinity();
  size_t tp = 0, fp = 0;
  for (const auto& p : pairs) {
    if (p.failed || p.distance > r.threshold) continue;
    (p.same ? tp : fp) += 1;
  }
  r.tar = n_same ? static_cast<double>(tp) / n_same : 0;
  r.far = n_diff ? static_cast<double>(fp) / n_diff : 0;
  return r;
}

}  // namespace facegate::vision
