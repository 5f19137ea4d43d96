// Ages from declared birth dates (REQ M1): whole years on the UTC date.
#include <gtest/gtest.h>

#include "policy/minors.h"

namespace facegate::policy {
namespace {

constexpr UnixTime kDay = 86400;
constexpr UnixTime k20260301 = 1772323200;  // 2026-03-01T00:00:00Z

TEST(MinorAge, M1_AgeCountsWholeYearsOnTheUtcDate) {
  EXPECT_EQ(AgeAt("2012-03-01", k20260301), 14);
  EXPECT_EQ(AgeAt("2012-03-01", k20260301 - 1), 13);  // 23:59:59 the day before
  EXPECT_EQ(AgeAt("2012-03-02", k20260301), 13);
  EXPECT_FALSE(IsChildAt("2012-03-01", k20260301));
  EXPECT_TRUE(IsChildAt("2012-03-01", k20260301 - 1));
  EXPECT_FALSE(IsChildAt("", k20260301));  // no birth date declared: not treated as a child
  EXPECT_EQ(AgeAt("", k20260301), -1);
  // born on 29 February: 14 on 1 March in a common year
  EXPECT_EQ(AgeAt("2012-02-29", k20260301 - kDay), 13);
  EXPECT_EQ(AgeAt("2012-02-29", k20260301), 14);
  EXPECT_EQ(AgeOfConsentAt("2012-02-29"), k20260301);
  EXPECT_EQ(AgeOfConsentAt("2012-03-01"), k20260301);
}

TEST(MinorAge, M1_BirthDateMustBeARealPastDate) {
  EXPECT_TRUE(ValidateBirthDate("2012-02-29", k20260301).ok());
  EXPECT_TRUE(ValidateBirthDate("2026-03-01", k20260301).ok());  // born today
  for (const char* bad : {"2013-02-29", "2012-13-01", "2012-00-10", "2012-1-1", "12-01-2012", "", "1850-01-01",
                          "2026-03-02"})
    EXPECT_EQ(ValidateBirthDate(bad, k20260301).kind(), ErrorKind::kInvalidInput) << bad;
}

}  // namespace
}  // namespace facegate::policy
