// A member's one template in a scope: the mean direction at the members' mean length.
#include "gallery/mean.h"

#include <gtest/gtest.h>

#include <cmath>

namespace facegate::gallery {
namespace {

double Norm(const std::array<float, kDim>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s);
}

TEST(MeanAccumulator, OneTemplateIsItsOwnMean) {
  std::array<float, kDim> v{};
  for (int d = 0; d < kDim; ++d) v[d] = 0.01f * float(d % 7) - 0.02f;
  MeanAccumulator acc;
  acc.Add(v.data());
  const auto m = acc.Mean();
  for (int d = 0; d < kDim; ++d) EXPECT_NEAR(m[d], v[d], 1e-6) << d;
}

TEST(MeanAccumulator, TwoOrthogonalUnitTemplatesGiveTheUnitBisector) {
  std::array<float, kDim> a{}, b{};
  a[0] = 1;
  b[1] = 1;
  MeanAccumulator acc;
  acc.Add(a.data());
  acc.Add(b.data());
  const auto m = acc.Mean();
  // The plain mean would have length 0.71: a stranger's distance to it would shrink.
  EXPECT_NEAR(Norm(m), 1.0, 1e-6);
  EXPECT_NEAR(m[0], std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(m[1], std::sqrt(0.5), 1e-6);
}

TEST(MeanAccumulator, KeepsTheMembersMeanLength) {
  std::array<float, kDim> a{}, b{};
  a[0] = 2;
  b[0] = 1;
  b[1] = 1;  // length sqrt(2)
  MeanAccumulator acc;
  acc.Add(a.data());
  acc.Add(b.data());
  EXPECT_NEAR(Norm(acc.Mean()), (2 + std::sqrt(2.0)) / 2, 1e-5);
}

TEST(MeanAccumulator, NothingAddedIsZeros) {
  const auto m = MeanAccumulator().Mean();
  EXPECT_EQ(Norm(m), 0.0);
}

}  // namespace
}  // namespace facegate::gallery
