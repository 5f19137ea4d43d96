// The operator's stricter identification threshold through the Service and the CLI on real
// models and a real SQLite store (REQ SC2; docs/identification.md "Operator threshold").
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "service/calibration.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class OperatorThresholdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("opthr");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    for (auto [name, scenario] : {std::pair{"site-entry", Scenario::kIdentification},
                                  std::pair{"office-entry", Scenario::kVerification}}) {
      notice_[name] = DeclareWithNotice(*svc_, name, scenario);
    }
    const char* people[] = {"Alan_Greenspan", "Ai_Sugiyama", "Ahmed_Chalabi"};
    for (int i = 0; i < 3; ++i) {
      service::Service::ConsentRequest r;
      r.subject = "P" + std::to_string(i);
      r.purpose = "site-entry";
      r.notice_id = notice_["site-entry"];
      r.option = ConsentOption::kAlways;
      ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
      auto e = svc_->Enrol(r.subject, "site-entry", Lfw(people[i], 1), "", "test");
      ASSERT_TRUE(e.ok()) << e.status().ToString();
    }
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  std::map<std::string, int64_t> notice_;
};

TEST_F(OperatorThresholdTest, SC2_OnlyAStricterThresholdWithAReasonIsAccepted) {
  auto shown = svc_->GetIdentifyThreshold("site-entry");
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_FALSE(shown->set);
  EXPECT_EQ(shown->scope_size, 3u);
  const float rule = shown->scope_rule_threshold;
  EXPECT_FLOAT_EQ(rule, service::ThresholdForScope(3, service::DefaultVerifyThreshold()).threshold);

  auto looser = svc_->SetIdentifyThreshold("site-entry", rule + 0.05f, "more matches please", "admin");
  ASSERT_FALSE(looser.ok());
  EXPECT_EQ(looser.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(looser.status().message().find("stricter"), std::string::npos) << looser.status().message();
  EXPECT_NE(looser.status().message().find("3 members"), std::string::npos) << looser.status().message();
  auto equal = svc_->SetIdentifyThreshold("site-entry", rule, "same", "admin");
  EXPECT_EQ(equal.status().kind(), ErrorKind::kInvalidInput);
  auto no_reason = svc_->SetIdentifyThreshold("site-entry", rule - 0.05f, "", "admin");
  EXPECT_EQ(no_reason.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(no_reason.status().message().find("--reason"), std::string::npos);
  auto verification = svc_->SetIdentifyThreshold("office-entry", 0.3f, "why", "admin");
  EXPECT_EQ(verification.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(verification.status().message().find("identification purposes"), std::string::npos);
  EXPECT_FALSE(svc_->GetIdentifyThreshold("site-entry")->set);
}

TEST_F(OperatorThresholdTest, SC2_OperatorThresholdIsStoredAuditedAndUsedByIdentify) {
  auto before = svc_->Identify("site-entry", Lfw("Ai_Sugiyama", 1), "test");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_FALSE(before->operator_threshold);
  const float strict = before->threshold - 0.06f;

  auto set = svc_->SetIdentifyThreshold("site-entry", strict, "two sites merged; fewer false accepts", "key:admin1");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->set);
  EXPECT_FLOAT_EQ(set->threshold, strict);
  EXPECT_EQ(set->actor, "key:admin1");
  // The expected stranger accept rate at the operator's threshold is shown, below the rule's.
  EXPECT_GT(set->stranger_accept_rate, 0.0);
  EXPECT_LT(set->stranger_accept_rate, before->stranger_accept_rate);
  EXPECT_GE(set->max_scope_size, 3u);  // it serves the scope as it is now

  // Audited with the actor and the reason.
  auto events = svc_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  bool audited = false;
  for (const AuditEvent& e : *events)
    if (e.action == "purpose.threshold" && e.outcome == "ok") {
      audited = true;
      EXPECT_EQ(e.actor, "key:admin1");
      EXPECT_EQ(e.purpose, "site-entry");
      auto d = nlohmann::json::parse(e.detail);
      EXPECT_EQ(d["reason"], "two sites merged; fewer false accepts");
      EXPECT_NEAR(d["threshold"].get<double>(), strict, 1e-6);
    }
  EXPECT_TRUE(audited);
  EXPECT_TRUE(svc_->VerifyAudit()->intact);

  // Identify uses it: the enrolled photo itself is still within, and the answer says whose threshold.
  auto after = svc_->Identify("site-entry", Lfw("Ai_Sugiyama", 1), "test");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->operator_threshold);
  EXPECT_FLOAT_EQ(after->threshold, strict);
  EXPECT_TRUE(after->identified);
  EXPECT_EQ(after->subject, "P1");
  EXPECT_LT(after->stranger_accept_rate, before->stranger_accept_rate);

  // The CLI shows it (another process on the same store) and refuses a looser one with why.
  auto show = RunCli(home_, "--json purpose threshold site-entry", false);
  ASSERT_EQ(show.exit_code, 0) << show.out;
  auto j = nlohmann::json::parse(show.out);
  EXPECT_TRUE(j["set"].get<bool>());
  EXPECT_EQ(j["reason"], "two sites merged; fewer false accepts");
  auto loose = RunCli(home_, "purpose threshold site-entry --identify 1.9 --reason test");
  EXPECT_EQ(loose.exit_code, 2) << loose.out;
  EXPECT_NE(loose.out.find("stricter"), std::string::npos) << loose.out;

  // Cleared: the scope rule applies again.
  auto cleared = svc_->ClearIdentifyThreshold("site-entry", "merge undone", "key:admin1");
  ASSERT_TRUE(cleared.ok()) << cleared.status().ToString();
  EXPECT_FALSE(cleared->set);
  auto rule_again = svc_->Identify("site-entry", Lfw("Ai_Sugiyama", 1), "test");
  ASSERT_TRUE(rule_again.ok());
  EXPECT_FALSE(rule_again->operator_threshold);
  EXPECT_FLOAT_EQ(rule_again->threshold, before->threshold);
}

}  // namespace
}  // namespace facegate
