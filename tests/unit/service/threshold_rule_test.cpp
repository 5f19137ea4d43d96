// The operator's identification threshold against the scope rule (REQ SC2,
// docs/identification.md "Operator threshold"), on the shipped calibration data.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include "service/calibration.h"
#include "service/threshold_rule.h"

namespace facegate::service {
namespace {

const float kVerify = DefaultVerifyThreshold();

// A scope size past what the model serves at 1% stranger false accepts.
uint64_t PastTheLimit() { return 2 * ThresholdForScope(1, kVerify).max_supported + 1; }

IdentifyThresholdRecord Op(float t) {
  IdentifyThresholdRecord r;
  r.purpose = "site-entry";
  r.threshold = t;
  r.reason = "test";
  return r;
}

TEST(ThresholdRule, SC2_WithoutOperatorThresholdTheScopeRuleDecides) {
  for (uint64_t n : {uint64_t{10}, uint64_t{100}, PastTheLimit()}) {
    const ScopeThreshold rule = ThresholdForScope(n, kVerify);
    const EffectiveThreshold e = ApplyOperatorThreshold(rule, std::nullopt, n);
    EXPECT_FALSE(e.from_operator);
    EXPECT_EQ(e.threshold, rule.threshold);
    EXPECT_EQ(e.allowed, rule.supported) << n;
  }
  EXPECT_TRUE(ThresholdForScope(100, kVerify).supported);
  EXPECT_FALSE(ThresholdForScope(PastTheLimit(), kVerify).supported);  // past max_scope_size
}

TEST(ThresholdRule, SC2_StricterOperatorThresholdServesAScopePastTheModelLimit) {
  const uint64_t n = PastTheLimit();
  const ScopeThreshold rule = ThresholdForScope(n, kVerify);
  ASSERT_FALSE(rule.supported);
  const float t = rule.threshold - 0.02f;
  const EffectiveThreshold e = ApplyOperatorThreshold(rule, Op(t), n);
  EXPECT_TRUE(e.from_operator);
  EXPECT_TRUE(e.allowed);
  EXPECT_FLOAT_EQ(e.threshold, t);
  EXPECT_LE(e.stranger_far, kDefaultStrangerFar);
  EXPECT_LT(e.stranger_far, rule.stranger_far);      // stricter: fewer strangers than the rule's 1%
  EXPECT_LT(e.genuine_accept, rule.genuine_accept);  // and fewer members recognised
}

TEST(ThresholdRule, SC2_TheStricterOfOperatorAndScopeRuleApplies) {
  // Set for 10 members, looser than the rule at 100: the rule is stricter there and applies.
  const ScopeThreshold small = ThresholdForScope(10, kVerify);
  const float t = small.threshold - 0.01f;
  const ScopeThreshold rule = ThresholdForScope(100, kVerify);
  ASSERT_LT(rule.threshold, t);
  const EffectiveThreshold e = ApplyOperatorThreshold(rule, Op(t), 100);
  EXPECT_FALSE(e.from_operator);
  EXPECT_TRUE(e.allowed);
  EXPECT_EQ(e.threshold, rule.threshold);
}

TEST(ThresholdRule, SC2_AScopeThatOutgrewTheOperatorThresholdIsRefused) {
  const ScopeThreshold at_1000 = ThresholdForScope(1000, kVerify);
  const float t = at_1000.threshold - 0.005f;  // fine for 1,000 members
  const uint64_t grown = PastTheLimit();
  const ScopeThreshold rule = ThresholdForScope(grown, kVerify);
  ASSERT_FALSE(rule.supported);
  ASSERT_GT(t, rule.threshold);
  const EffectiveThreshold e = ApplyOperatorThreshold(rule, Op(t), grown);
  EXPECT_FALSE(e.allowed);
  EXPECT_TRUE(e.operator_too_loose);
}

}  // namespace
}  // namespace facegate::service
