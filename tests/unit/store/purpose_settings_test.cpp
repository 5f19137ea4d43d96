// The operator's identification threshold per purpose (REQ SC2; migration 7), on every backend
// (SQLite in test_store, PostgreSQL in test_store_pg).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include "store_backends.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using PurposeSettingsTest = BackendTest;

IdentifyThresholdRecord Threshold(const std::string& purpose, float t, const std::string& reason) {
  IdentifyThresholdRecord r;
  r.purpose = purpose;
  r.threshold = t;
  r.reason = reason;
  r.actor = "key:admin1";
  r.set_at = kNow;
  return r;
}

TEST_P(PurposeSettingsTest, SC2_OperatorThresholdRoundTripsReplacesAndClears) {
  MustAddPurpose(*store_, "site-entry", Scenario::kIdentification);
  auto none = store_->GetIdentifyThreshold("site-entry");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store_->SetIdentifyThreshold(Threshold("site-entry", 0.42f, "site A grew")).ok());
  auto got = store_->GetIdentifyThreshold("site-entry");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_FLOAT_EQ((*got)->threshold, 0.42f);
  EXPECT_EQ((*got)->reason, "site A grew");
  EXPECT_EQ((*got)->actor, "key:admin1");
  EXPECT_EQ((*got)->set_at, kNow);

  // A second Set replaces the first (one threshold per purpose), also seen by another connection.
  ASSERT_TRUE(store_->SetIdentifyThreshold(Threshold("site-entry", 0.38f, "stricter after review")).ok());
  auto other = db_->MustOpen();
  ASSERT_TRUE(other);
  auto again = other->GetIdentifyThreshold("site-entry");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_FLOAT_EQ((*again)->threshold, 0.38f);
  EXPECT_EQ((*again)->reason, "stricter after review");

  auto cleared = store_->ClearIdentifyThreshold("site-entry");
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(*cleared);
  EXPECT_FALSE(store_->GetIdentifyThreshold("site-entry")->has_value());
  auto twice = store_->ClearIdentifyThreshold("site-entry");
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(*twice);
}

TEST_P(PurposeSettingsTest, SC2_OperatorThresholdNeedsAPurposeAReasonAndAPositiveValue) {
  auto unknown = store_->SetIdentifyThreshold(Threshold("nowhere", 0.4f, "why"));
  EXPECT_EQ(unknown.kind(), ErrorKind::kNotFound) << unknown.ToString();
  EXPECT_NE(unknown.message().find("nowhere"), std::string::npos);
  MustAddPurpose(*store_, "site-entry", Scenario::kIdentification);
  auto no_reason = store_->SetIdentifyThreshold(Threshold("site-entry", 0.4f, ""));
  EXPECT_EQ(no_reason.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(no_reason.message().find("reason"), std::string::npos);
  auto zero = store_->SetIdentifyThreshold(Threshold("site-entry", 0.f, "why"));
  EXPECT_EQ(zero.kind(), ErrorKind::kInvalidInput);
  EXPECT_FALSE(store_->GetIdentifyThreshold("site-entry")->has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, PurposeSettingsTest, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
