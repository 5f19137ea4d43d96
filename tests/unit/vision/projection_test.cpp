// The 512 -> 128 projection of the feature net's output (vision/projection.h).
#include "vision/projection.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace facegate::vision {
namespace {

std::array<float, nn::kFeatureDim> RandomFeature(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  std::array<float, nn::kFeatureDim> v;
  for (float& x : v) x = n(rng);
  return v;
}

TEST(ProjectFeature, GivesAUnitTemplateWhateverTheFeaturesLength) {
  auto f = RandomFeature(1);
  const auto t = ProjectFeature(f);
  double s = 0;
  for (float x : t) s += double(x) * x;
  EXPECT_NEAR(s, 1.0, 1e-5);
  for (float& x : f) x *= 37.f;  // the net's raw output is not normalised
  const auto t2 = ProjectFeature(f);
  for (int i = 0; i < kTemplateDim; ++i) EXPECT_NEAR(t2[i], t[i], 1e-5) << i;
}

TEST(ProjectFeature, DifferentFeaturesGiveDifferentTemplates) {
  const auto a = ProjectFeature(RandomFeature(1)), b = ProjectFeature(RandomFeature(2));
  double d = 0;
  for (int i = 0; i < kTemplateDim; ++i) d += double(a[i] - b[i]) * (a[i] - b[i]);
  EXPECT_GT(std::sqrt(d), 0.5);
}

TEST(ProjectFeature, AZeroFeatureGivesAFiniteTemplate) {
  const auto t = ProjectFeature({});
  for (float x : t) ASSERT_TRUE(std::isfinite(x));
}

// The generated axes are what PCA gives: orthonormal rows.
TEST(ProjectionData, AxesAreOrthonormal) {
  double worst = 0;
  for (int a = 0; a < kTemplateDim; ++a)
    for (int b = a; b < kTemplateDim; ++b) {
      double dot = 0;
      for (int i = 0; i < nn::kFeatureDim; ++i)
        dot += double(projection_data::kAxes[a][i]) * projection_data::kAxes[b][i];
      worst = std::max(worst, std::abs(dot - (a == b ? 1.0 : 0.0)));
    }
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
}  // namespace facegate::vision
