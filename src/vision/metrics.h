// Verification metrics on scored pairs: accuracy at a threshold, the best
// threshold, k-fold cross-validated accuracy (LFW protocol) and TAR at a FAR.
// A pair is accepted as "same person" when its distance is <= the threshold.
#pragma once

#include <vector>

namespace facegate::vision {

struct ScoredPair {
  double distance = 0;  // Euclidean distance of the two templates
  bool same = false;    // ground truth: both photos show the same person
  int fold = 0;         // cross-validation fold
  bool failed = false;  // no face found in a photo: counts as an error at any threshold
};

// Share of pairs decided right at `threshold` (failed pairs are always wrong).
double AccuracyAt(const std::vector<ScoredPair>& pairs, double threshold);

// The threshold with the highest accuracy on `pairs`. Candidates are the
// midpoints between consecutive distinct distances (and just outside the
// range); when a run of neighbouring candidates ties, the middle of the first
// best run is returned (a threshold away from the nearest pairs).
double BestThreshold(const std::vector<ScoredPair>& pairs);

struct CrossValidation {
  double mean_accuracy = 0;
  double stddev_accuracy = 0;
  double mean_threshold = 0;
  std::vector<double> fold_accuracy;   // accuracy on each test fold
  std::vector<double> fold_threshold;  // threshold chosen on the other folds
};

// For each fold f in [0, folds): choose BestThreshold on the pairs of the other
// folds, measure AccuracyAt on fold f.
CrossValidation CrossValidate(const std::vector<ScoredPair>& pairs, int folds);

struct TarAtFar {
  double tar = 0;        // share of same-person pairs accepted
  double far = 0;        // share of different-person pairs accepted (<= the target)
  double threshold = 0;  // accept when distance <= threshold
};

// The highest threshold whose false accept rate is at most `target_far`, and
// the TAR there. Failed pairs count as rejected (no face, no match).
TarAtFar TarAtFarTarget(const std::vector<ScoredPair>& pairs, double target_far);

}  // namespace facegate::vision
