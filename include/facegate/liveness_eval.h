// `facegate eval liveness` (docs/liveness.md): presentation-attack detection measured the
// ISO/IEC 30107-3 way on labelled images (lines path TAB live|print|replay|<attack kind> TAB
// subject=ID): APCER per attack kind, BPCER, ACER and ROC AUC, at given thresholds and, after
// calibrating the thresholds on some subjects, on the subjects held out. Pure arithmetic on
// scores here; Service::EvalLiveness runs the nets under a research grant (REQ P3).
#pragma once

#include <facegate/status.h>
#include <facegate/vision.h>

#include <string>
#include <vector>

namespace facegate::vision {

// One labelled image: its path (relative to the root), label ("live" or an attack kind) and
// subject (the third column's value after "subject=", or "" when the line has none).
struct LivenessSample {
  std::string path, label, subject;
};

// Reads the list ('#' comments and blank lines skipped). kNotFound if the file is missing;
// kInvalidInput naming the line for a line without a path and a label.
Result<std::vector<LivenessSample>> ReadLivenessSamples(const std::string& file);

// What one image gave: no face found, or the score of its largest face (higher is more live).
struct LivenessOutcome {
  bool found = false;
  float score = 0;
};

// The figures of one label.
struct LivenessKindFigures {
  std::string kind;  // "live" or the attack kind
  int images = 0, no_face = 0, real = 0, spoof = 0, unsure = 0;
  // live: BPCER, live faces not judged REAL; an attack kind: APCER, attacks judged REAL. Of the
  // images where a face was found (no face is a failure to acquire, reported apart).
  double error_rate = 0;
  double auc = 0;  // attack kinds: the chance a live face scores above this kind (ties half)
};

// The figures of a set of images at one pair of thresholds.
struct LivenessFigures {
  std::vector<LivenessKindFigures> kinds;  // "live" first, then the attack kinds by name
  double bpcer = 0;
  double worst_apcer = 0;  // the largest APCER of any attack kind
  double acer = 0;         // (worst_apcer + bpcer) / 2
};

// Tallies the samples whose index is in `which` (all when empty) at `t`.
LivenessFigures MeasureLiveness(const std::vector<LivenessSample>& samples,
                                const std::vector<LivenessOutcome>& outcomes, const std::vector<size_t>& which,
                                const LivenessThresholds& t);

// Thresholds from the live faces among `which`: real_from is the lowest score that leaves at
// most `target_bpcer` of them below it; spoof_below the same for `spoof_share` (never above
// real_from). kInvalidInput when `which` holds no live face with a face found.
Result<LivenessThresholds> CalibrateLiveness(const std::vector<LivenessSample>& samples,
                                             const std::vector<LivenessOutcome>& outcomes,
                                             const std::vector<size_t>& which, double target_bpcer,
                                             double spoof_share = 0.01);

// The default calibration subjects: the first half (rounded down) of the distinct subjects in
// sorted order, so the rest are held out.
std::vector<std::string> DefaultCalibrationSubjects(const std::vector<LivenessSample>& samples);

}  // namespace facegate::vision
