#include <facegate/records.h>
#include <facegate/status.h>
#include <gtest/gtest.h>

namespace facegate {

TEST(Status, RefusalCarriesRequirementId) {
  Status s = Status::Refused("C1", "no active consent for purpose office-entry");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kRefused);
  EXPECT_EQ(s.requirement(), "C1");
  EXPECT_EQ(s.ToString(), "refused [REQ C1]: no active consent for purpose office-entry");
}

TEST(Status, ResultHoldsValueOrError) {
  Result<int> a = 3;
  Result<int> b = Status::NotFound("subject S9 does not exist");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 3);
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(b.status().kind(), ErrorKind::kNotFound);
}

TEST(Records, OptionNamesRoundTrip) {
  for (auto o : {ConsentOption::kOnce, ConsentOption::kWhileInUse, ConsentOption::kAlways})
    EXPECT_EQ(ParseConsentOption(ToString(o)), o);
  EXPECT_FALSE(ParseConsentOption("forever").has_value());
}

}  // namespace facegate
