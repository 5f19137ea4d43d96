// ISO/IEC 30107-3 figures and threshold calibration for `facegate eval liveness`
// (include/facegate/liveness_eval.h, docs/liveness.md).
#include <facegate/liveness_eval.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/tsv.h"
#include "vision/liveness.h"

namespace facegate::vision {

Result<std::vector<LivenessSample>> ReadLivenessSamples(const std::string& file) {
  std::vector<LivenessSample> out;
  FG_RETURN_IF_ERROR(ForEachTsvRow(file, "liveness list", [&](const std::string& where, const std::vector<std::string>& cols) {
    if (cols.size() < 2 || cols[0].empty() || cols[1].empty())
      return Status::InvalidInput(where + ": expected path<TAB>live|print|replay|<attack kind>[<TAB>subject=ID]");
    LivenessSample s{cols[0], cols[1], ""};
    if (cols.size() >= 3) s.subject = cols[2].rfind("subject=", 0) == 0 ? cols[2].substr(8) : cols[2];
    out.push_back(std::move(s));
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidInput(file + " holds no labelled images");
  return out;
}

namespace {

double Auc(const std::vector<float>& live, const std::vector<float>& attack) {
  if (live.empty() || attack.empty()) return 0;
  double above = 0;
  for (float l : live)
    for (float a : attack) above += l > a ? 1 : (l == a ? 0.5 : 0);
  return above / (static_cast<double>(live.size()) * static_cast<double>(attack.size()));
}

std::vector<size_t> AllOr(const std::vector<size_t>& which, size_t n) {
  if (!which.empty()) return which;
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

}  // namespace

LivenessFigures MeasureLiveness(const std::vector<LivenessSample>& samples,
                                const std::vector<LivenessOutcome>& outcomes, const std::vector<size_t>& which,
                                const LivenessThresholds& t) {
  std::map<std::string, LivenessKindFigures> kinds;
  std::map<std::string, std::vector<float>> scores;
  for (size_t i : AllOr(which, samples.size())) {
    LivenessKindFigures& k = kinds[samples[i].label];
    k.kind = samples[i].label;
    ++k.images;
    if (!outcomes[i].found) {
      ++k.no_face;
      continue;
    }
    scores[k.kind].push_back(outcomes[i].score);
    switch (JudgeLiveness(outcomes[i].score, t)) {
      case LivenessVerdict::kReal: ++k.real; break;
      case LivenessVerdict::kSpoof: ++k.spoof; break;
      case LivenessVerdict::kUnsure: ++k.unsure; break;
    }
  }
  LivenessFigures f;
  for (auto& [name, k] : kinds) {
    const int seen = k.images - k.no_face;
    if (name == "live") {
      k.error_rate = seen ? static_cast<double>(seen - k.real) / seen : 0;
      f.bpcer = k.error_rate;
      f.kinds.insert(f.kinds.begin(), k);
      continue;
    }
    k.error_rate = seen ? static_cast<double>(k.real) / seen : 0;
    k.auc = Auc(scores["live"], scores[name]);
    f.worst_apcer = std::max(f.worst_apcer, k.error_rate);
    f.kinds.push_back(k);
  }
  f.acer = (f.worst_apcer + f.bpcer) / 2;
  return f;
}

Result<LivenessThresholds> CalibrateLiveness(const std::vector<LivenessSample>& samples,
                                             const std::vector<LivenessOutcome>& outcomes,
                                             const std::vector<size_t>& which, double target_bpcer,
                                             double spoof_share) {
  if (!(target_bpcer >= 0 && target_bpcer < 1) || !(spoof_share >= 0 && spoof_share < 1))
    return Status::InvalidInput("the calibration's target BPCER must be in [0, 1), e.g. 0.05 for 5%");
  std::vector<float> live;
  for (size_t i : AllOr(which, samples.size()))
    if (samples[i].label == "live" && outcomes[i].found) live.push_back(outcomes[i].score);
  if (live.empty())
    return Status::InvalidInput("the calibration subjects hold no live face where a face was found; name "
                                "subjects with live images in --calibrate");
  std::sort(live.begin(), live.end());
  // The k-th lowest score: k scores lie below it, k <= share * n.
  auto at = [&](double share) {
    return live[std::min(live.size() - 1, static_cast<size_t>(std::floor(share * live.size())))];
  };
  LivenessThresholds t;
  t.real_from = at(target_bpcer);
  t.spoof_below = std::min(at(spoof_share), t.real_from);
  return t;
}

std::vector<std::string> DefaultCalibrationSubjects(const std::vector<LivenessSample>& samples) {
  std::set<std::string> all;
  for (const auto& s : samples) all.insert(s.subject);
  std::vector<std::string> sorted(all.begin(), all.end());
  sorted.resize(sorted.size() / 2);
  return sorted;
}

}  // namespace facegate::vision
