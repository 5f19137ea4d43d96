// Open-set threshold maths (REQ D3): the stranger false-accept rate grows with
// the scope size, and the threshold for a target rate shrinks with it.
#include "gallery/open_set.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "gallery/distance.h"
#include "gallery/synthetic.h"

namespace facegate::gallery {
namespace {

TEST(OpenSet, StrangerAcceptRateFollowsOneMinusOneMinusPToTheN) {
  EXPECT_DOUBLE_EQ(StrangerAcceptRate(0.0, 1'000'000), 0.0);
  EXPECT_DOUBLE_EQ(StrangerAcceptRate(0.5, 1), 0.5);
  EXPECT_NEAR(StrangerAcceptRate(0.1, 2), 0.19, 1e-12);
  EXPECT_NEAR(StrangerAcceptRate(1e-6, 1'000'000), 1 - std::exp(-1.0), 1e-6);
  // Tiny p must not vanish in cancellation: 1e-12 * 1000 = 1e-9.
  EXPECT_NEAR(StrangerAcceptRate(1e-12, 1000) / 1e-9, 1.0, 1e-6);
  for (double target : {0.001, 0.01, 0.2})
    for (uint64_t n : {1ull, 100ull, 10'000'000ull})
      EXPECT_NEAR(StrangerAcceptRate(PerComparisonRateFor(target, n), n), target, 1e-9 * target + 1e-15);
}

std::vector<float> UniformGrid(int n) {  // distances 0.001, 0.002, ... n/1000
  std::vector<float> d;
  for (int i = 1; i <= n; ++i) d.push_back(float(i) / 1000.0f);
  return d;
}

TEST(OpenSet, FalseMatchRateIsTheEmpiricalShareWhereTheSampleResolvesIt) {
  auto m = ImpostorDistances::FromSample(UniformGrid(1000));
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->FalseMatchRate(0.5f), 0.5);
  EXPECT_DOUBLE_EQ(m->FalseMatchRate(0.0505f), 0.050);
  EXPECT_DOUBLE_EQ(m->FalseMatchRate(2.0f), 1.0);
  EXPECT_FALSE(m->Extrapolated(0.05f));
  EXPECT_TRUE(m->Extrapolated(0.005f));  // fewer than 10 impostors at or below
  EXPECT_LT(m->FalseMatchRate(0.005f), 0.010);
}

TEST(OpenSet, ThresholdIsTheLargestMeetingTheTarget) {
  auto m = ImpostorDistances::FromSample(UniformGrid(1000));
  ASSERT_TRUE(m.ok());
  // N = 1: p <= 0.05 allows 50 impostors: threshold just below the 51st value.
  ThresholdChoice c = m->ThresholdFor(0.05, 1);
  EXPECT_FALSE(c.extrapolated);
  EXPECT_LE(c.stranger_accept_rate, 0.05);
  EXPECT_LT(c.threshold, 0.051f);
  EXPECT_GT(c.threshold, 0.0505f);
  EXPECT_GT(m->StrangerAcceptRate(0.051f, 1), 0.05);  // one step larger fails
}

TEST(OpenSet, ThresholdShrinksAsTheScopeGrows) {
  SyntheticFaces faces(11);
  std::vector<Values> people(800);
  for (auto& p : people) p = faces.Capture(faces.Identity());
  std::vector<float> impostor;
  for (std::size_t i = 0; i < people.size(); ++i)
    for (std::size_t j = i + 1; j < people.size(); ++j)
      impostor.push_back(std::sqrt(SquaredDistance(people[i].data(), people[j].data())));
  auto m = ImpostorDistances::FromSample(impostor);
  ASSERT_TRUE(m.ok());
  float previous = 10;
  for (uint64_t n : {1ull, 100ull, 10'000ull, 1'000'000ull, 10'000'000ull}) {
    ThresholdChoice c = m->ThresholdFor(0.01, n);
    EXPECT_LT(c.threshold, previous) << "N=" << n;
    EXPECT_LE(c.stranger_accept_rate, 0.01 * (1 + 1e-6)) << "N=" << n;
    EXPECT_GE(m->MaxScopeSize(c.threshold, 0.01), n) << "N=" << n;
    previous = c.threshold;
  }
  // A threshold fine for one comparison (1% false accepts) accepts most strangers among a million.
  const float one = m->ThresholdFor(0.01, 1).threshold;
  EXPECT_LE(m->StrangerAcceptRate(one, 1), 0.01 * (1 + 1e-6));
  EXPECT_GT(m->StrangerAcceptRate(one, 1'000'000), 0.5);
}

TEST(OpenSet, TailModelExtrapolatesBeyondTheSample) {
  // Squared distances exactly normal: the model must recover rates far below 1/n.
  std::mt19937_64 rng(12);
  std::normal_distribution<double> sq(0.5, 0.06);
  std::vector<float> d;
  while (d.size() < 20000) {
    double x = sq(rng);
    if (x > 0) d.push_back(float(std::sqrt(x)));
  }
  auto m = ImpostorDistances::FromSample(d);
  ASSERT_TRUE(m.ok());
  for (double z : {-4.5, -5.5, -6.5}) {
    const float t = float(std::sqrt(0.5 + z * 0.06));
    const double truth = NormalCdf(z);
    ASSERT_TRUE(m->Extrapolated(t));
    EXPECT_GT(m->FalseMatchRate(t), truth / 3) << z;
    EXPECT_LT(m->FalseMatchRate(t), truth * 3) << z;
  }
  ThresholdChoice c = m->ThresholdFor(0.01, 10'000'000);
  EXPECT_TRUE(c.extrapolated);
  EXPECT_LE(c.stranger_accept_rate, 0.01 * (1 + 1e-6));
  EXPECT_GT(c.stranger_accept_rate, 0.005);  // the largest such threshold, not a tiny one
}

TEST(OpenSet, RefusesTooSmallOrInvalidSamples) {
  EXPECT_EQ(ImpostorDistances::FromSample(UniformGrid(100)).status().kind(),
            ErrorKind::kInvalidInput);
  auto bad = UniformGrid(500);
  bad[3] = -1;
  EXPECT_EQ(ImpostorDistances::FromSample(bad).status().kind(), ErrorKind::kInvalidInput);
}

TEST(OpenSet, NormalQuantileInvertsTheCdf) {
  for (double p : {1e-12, 1e-6, 0.01, 0.5, 0.9})
    EXPECT_NEAR(NormalCdf(NormalQuantile(p)) / p, 1.0, 1e-6);
}

}  // namespace
}  // namespace facegate::gallery
