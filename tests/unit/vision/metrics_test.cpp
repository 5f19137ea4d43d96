// Verification metrics on synthetic scores whose answers are worked out by hand.
#include "vision/metrics.h"

#include <gtest/gtest.h>

namespace facegate::vision {
namespace {

// Same: 0.2, 0.3, 0.5. Different: 0.4, 0.7, 0.8.
std::vector<ScoredPair> SixPairs() {
  return {{0.2, true, 0},  {0.3, true, 1},  {0.5, true, 0},
          {0.4, false, 1}, {0.7, false, 0}, {0.8, false, 1}};
}

TEST(Metrics, AccuracyCountsAcceptedSameAndRejectedDifferent) {
  EXPECT_DOUBLE_EQ(AccuracyAt(SixPairs(), 0.35), 5.0 / 6);
  EXPECT_DOUBLE_EQ(AccuracyAt(SixPairs(), 0.6), 5.0 / 6);
  EXPECT_DOUBLE_EQ(AccuracyAt(SixPairs(), 0.1), 3.0 / 6);
  EXPECT_DOUBLE_EQ(AccuracyAt(SixPairs(), 0.5), 5.0 / 6);  // distance == threshold accepts
}

TEST(Metrics, FailedPairIsAnErrorAtAnyThreshold) {
  auto pairs = SixPairs();
  pairs.push_back({0.0, false, 0, /*failed=*/true});
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, 0.35), 5.0 / 7);
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, 10), 3.0 / 7);
}

TEST(Metrics, BestThresholdIsAMidpointWithTheHighestAccuracy) {
  // Candidates 0.35 and 0.6 both reach 5/6 but are not neighbours: the first wins.
  EXPECT_DOUBLE_EQ(BestThreshold(SixPairs()), 0.35);
}

TEST(Metrics, BestThresholdTakesTheMiddleOfATiedRun) {
  // Separable: the one perfect candidate is the midpoint of the gap.
  std::vector<ScoredPair> pairs = {{0.1, true}, {0.2, true}, {0.9, false}, {1.0, false}};
  EXPECT_DOUBLE_EQ(BestThreshold(pairs), 0.55);
  EXPECT_DOUBLE_EQ(AccuracyAt(pairs, BestThreshold(pairs)), 1.0);
}

TEST(Metrics, CrossValidationChoosesOnOtherFolds) {
  // Fold 0: same 0.2, 0.5; diff 0.7. Fold 1: same 0.3; diff 0.4, 0.8.
  const CrossValidation cv = CrossValidate(SixPairs(), 2);
  ASSERT_EQ(cv.fold_threshold.size(), 2u);
  // Trained on fold 1 (0.3 s, 0.4 d, 0.8 d): best 0.35, tested on fold 0: 0.2 ok, 0.5 wrong, 0.7
  // ok.
  EXPECT_DOUBLE_EQ(cv.fold_threshold[0], 0.35);
  EXPECT_DOUBLE_EQ(cv.fold_accuracy[0], 2.0 / 3);
  // Trained on fold 0 (0.2 s, 0.5 s, 0.7 d): best 0.6, tested on fold 1: 0.3 ok, 0.4 wrong, 0.8 ok.
  EXPECT_DOUBLE_EQ(cv.fold_threshold[1], 0.6);
  EXPECT_DOUBLE_EQ(cv.fold_accuracy[1], 2.0 / 3);
  EXPECT_DOUBLE_EQ(cv.mean_accuracy, 2.0 / 3);
  EXPECT_DOUBLE_EQ(cv.mean_threshold, 0.475);
  EXPECT_DOUBLE_EQ(cv.stddev_accuracy, 0);
}

TEST(Metrics, TarAtFarStopsBelowTheFirstDisallowedImpostor) {
  // FAR 0.1 of 3 impostors allows 0 of them: accept below 0.4 -> 2 of 3 same.
  TarAtFar r = TarAtFarTarget(SixPairs(), 0.1);
  EXPECT_DOUBLE_EQ(r.tar, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.far, 0);
  EXPECT_LT(r.threshold, 0.4);
  EXPECT_GE(r.threshold, 0.3);
  // FAR 0.34 allows 1 impostor: accept below 0.7 -> all same, 1 impostor.
  r = TarAtFarTarget(SixPairs(), 0.34);
  EXPECT_DOUBLE_EQ(r.tar, 1.0);
  EXPECT_DOUBLE_EQ(r.far, 1.0 / 3);
}

TEST(Metrics, TarAtFarCountsFailedSamePairsAsRejected) {
  auto pairs = SixPairs();
  pairs.push_back({0.0, true, 0, /*failed=*/true});
  EXPECT_DOUBLE_EQ(TarAtFarTarget(pairs, 0.1).tar, 2.0 / 4);
}

}  // namespace
}  // namespace facegate::vision
