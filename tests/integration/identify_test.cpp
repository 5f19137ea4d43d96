// Identification (1:N) within a scope through the Service on real models and
// a real SQLite store (REQ SC2, D3, C4, S7), and the scope-size rule.
#include <facegate/service.h>
#include <facegate/vision.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "../support/requirement.h"
#include "../unit/store/test_grants.h"
#include "policy/gate.h"
#include "service/calibration.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

const char* kPeople[] = {"Alan_Greenspan", "Ai_Sugiyama", "Ahmed_Chalabi", "Allyson_Felix"};

class IdentifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("ident");
    Open();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Open() {
    svc_.reset();
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  void Declare(const std::string& name, Scenario scenario) {
    notice_[name] = DeclareWithNotice(*svc_, name, scenario);
  }
  // Consent + enrolment of photos 1 and 2 of LFW person `who` as subject `subject`.
  void Member(const std::string& subject, const std::string& who, const std::string& purpose,
              ConsentOption option = ConsentOption::kAlways) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = purpose;
    r.notice_id = notice_[purpose];
    r.option = option;
    auto c = svc_->GiveConsent(r, "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    for (int i : {1, 2}) {
      auto e = svc_->Enrol(subject, purpose, Lfw(who, i), "", "test");
      ASSERT_TRUE(e.ok()) << e.status().ToString();
    }
  }
  void Staff() {
    Declare("site-entry", Scenario::kIdentification);
    for (int i = 0; i < 3; ++i) Member("P" + std::to_string(i), kPeople[i], "site-entry");
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  std::map<std::string, int64_t> notice_;
};

TEST_F(IdentifyTest, SC2_MemberIsIdentifiedAndStrangerIsUnknown) {
  Staff();
  auto r = svc_->Identify("site-entry", Lfw(kPeople[1], 4), "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  REQUIREMENT("SC2");
  EXPECT_TRUE(r->identified);
  EXPECT_EQ(r->subject, "P1");
  EXPECT_GT(r->consent_id, 0);
  EXPECT_LE(r->distance, r->threshold);
  EXPECT_EQ(r->scope_size, 3u);
  EXPECT_EQ(r->scope_templates, 6u);
  EXPECT_LE(r->threshold, service::DefaultVerifyThreshold());
  EXPECT_LE(r->stranger_accept_rate, service::kDefaultStrangerFar + 1e-9);
  EXPECT_EQ(r->alternatives, std::vector<std::string>{"staff-card"});

  // Somebody not enrolled: "unknown", nobody named (REQ D3).
  auto s = svc_->Identify("site-entry", Lfw(kPeople[3], 1), "test");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->identified);
  EXPECT_TRUE(s->subject.empty());
  EXPECT_EQ(s->consent_id, 0);
  EXPECT_GT(s->distance, s->threshold);

  // The audit names the match only, and never holds a template.
  auto events = svc_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  int identifies = 0;
  for (const AuditEvent& e : *events) {
    if (e.action != "identify") continue;
    ++identifies;
    auto d = nlohmann::json::parse(e.detail);
    EXPECT_EQ(e.subject, d["identified"].get<bool>() ? "P1" : "");
    EXPECT_FALSE(d.contains("template"));
  }
  EXPECT_EQ(identifies, 2);
}

TEST_F(IdentifyTest, SC2_OnlyADeclaredIdentificationPurposeIsAScope) {
  Declare("office-verify", Scenario::kVerification);
  auto v = svc_->Identify("office-verify", Lfw(kPeople[0], 1), "test");
  REQUIREMENT("SC2");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().kind(), ErrorKind::kRefused);
  EXPECT_EQ(v.status().requirement(), "SC2");
  auto u = svc_->Identify("everyone", Lfw(kPeople[0], 1), "test");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().requirement(), "SC2");
}

TEST_F(IdentifyTest, ScopeIsRebuiltFromTheSealedStoreAndKeptCurrentOnEnrol) {
  Staff();
  Open();  // a new process: the scope is loaded from the store on first use
  auto r = svc_->Identify("site-entry", Lfw(kPeople[0], 3), "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->identified);
  EXPECT_EQ(r->subject, "P0");
  // Loaded now; a new member is searchable at once.
  auto before = svc_->Identify("site-entry", Lfw(kPeople[3], 3), "test");
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->identified);
  Member("P3", kPeople[3], "site-entry");
  auto after = svc_->Identify("site-entry", Lfw(kPeople[3], 3), "test");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->identified);
  EXPECT_EQ(after->subject, "P3");
  EXPECT_EQ(after->scope_size, 4u);
}

// REQ C4, S7: once WithdrawConsent returns, no identification names the
// person, even with searches running on other threads during the withdrawal.
TEST_F(IdentifyTest, C4_WithdrawnPersonIsNeverReturnedEvenByConcurrentSearches) {
  Staff();
  const std::string probe = Lfw(kPeople[2], 3);
  auto warm = svc_->Identify("site-entry", probe, "test");  // loads the scope
  ASSERT_TRUE(warm.ok()) << warm.status().ToString();
  ASSERT_EQ(warm->subject, "P2");

  std::atomic<bool> withdrawn{false}, stop{false};
  std::atomic<int> named_before{0}, named_after{0}, after{0}, errors{0};
  auto search = [&] {
    while (!stop) {
      const bool started_after = withdrawn.load();
      auto r = svc_->Identify("site-entry", probe, "test");
      if (!r.ok()) {
        ++errors;
        continue;
      }
      if (started_after) {
        ++after;
        if (r->subject == "P2") ++named_after;
      } else if (r->subject == "P2") {
        ++named_before;
      }
    }
  };
  std::thread t1(search), t2(search);
  // Withdraw while both searchers are running and have named P2 (however slow
  // the machine); a bound keeps a broken search from hanging the test.
  for (int i = 0; i < 1200 && named_before < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto w = svc_->WithdrawConsent("P2", "site-entry", "test");
  withdrawn = true;
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  while (after < 4) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  t1.join();
  t2.join();
  REQUIREMENT("C4");
  EXPECT_EQ(errors, 0);
  EXPECT_GT(named_before, 0);  // the searches did find P2 before (the test can fail)
  EXPECT_EQ(named_after, 0);
  auto r = svc_->Identify("site-entry", probe, "test");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->identified);
  EXPECT_EQ(r->scope_size, 2u);
}

TEST_F(IdentifyTest, C5_OnceConsentIsSpentByTheIdentificationThatNamesThePerson) {
  Declare("site-entry", Scenario::kIdentification);
  Member("P0", kPeople[0], "site-entry", ConsentOption::kOnce);
  auto r = svc_->Identify("site-entry", Lfw(kPeople[0], 3), "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->subject, "P0");
  REQUIREMENT("C5");
  EXPECT_EQ(*svc_->store().CountTemplates("P0"), 0);  // gone with the spent consent
  auto again = svc_->Identify("site-entry", Lfw(kPeople[0], 3), "test");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->identified);
}

// A template of another recognition model in the scope is never searched: planted with the
// probe's own values under an older model's id, it would be at distance 0 if it were. The
// answer names the real member and counts the left-out template in its warning.
TEST_F(IdentifyTest, TemplatesOfAnotherModelAreLeftOutOfTheScopeAndCounted) {
  Declare("site-entry", Scenario::kIdentification);
  Member("P0", kPeople[0], "site-entry");
  service::Service::ConsentRequest r;
  r.subject = "P9";
  r.purpose = "site-entry";
  r.notice_id = notice_["site-entry"];
  r.option = ConsentOption::kAlways;
  ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  // The probe's own template, made the lawful way (research grant), planted for P9.
  auto eng = svc_->engine();
  ASSERT_TRUE(eng.ok()) << eng.status().ToString();
  const std::string probe = Lfw(kPeople[0], 3);
  auto rgb = vision::DecodeImage(probe);
  ASSERT_TRUE(rgb.ok());
  const Grant grant = policy::Gate::AuthorizeResearch("test: another model's template");
  auto faces = (*eng)->Detect(grant, *rgb);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto t = (*eng)->Extract(grant, *rgb, faces->front());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto planted = store::testing::PlantTemplate((home_ / "master.key").string(), svc_->store(), "P9",
                                               "site-entry", "old-model@1/face_recognition_model",
                                               t->values());
  ASSERT_TRUE(planted.ok()) << planted.status().ToString();

  auto res = svc_->Identify("site-entry", probe, "test");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_TRUE(res->identified);
  EXPECT_EQ(res->subject, "P0");
  EXPECT_EQ(res->scope_size, 1u);
  EXPECT_NE(res->warning.find("1 template(s) of this scope were made by another model"), std::string::npos)
      << res->warning;
  EXPECT_NE(res->warning.find("enrol those people again"), std::string::npos);
}

TEST(ScopeThreshold, ShrinksWithScopeSizeAndIsRefusedPastWhatTheModelServes) {
  const float verify = service::DefaultVerifyThreshold();
  float last = 10;
  for (uint64_t n : {1ull, 10ull, 100ull, 1000ull, 10000ull}) {
    auto r = service::ThresholdForScope(n, verify);
    EXPECT_LE(r.threshold, verify);
    EXPECT_LT(r.threshold, last) << n;
    EXPECT_LE(r.stranger_far, service::kDefaultStrangerFar + 1e-9) << n;
    last = r.threshold;
  }
  auto small = service::ThresholdForScope(10, verify);
  EXPECT_TRUE(small.supported);
  EXPECT_TRUE(small.warning.empty());
  auto big = service::ThresholdForScope(100'000'000, verify);
  EXPECT_FALSE(big.supported);
  EXPECT_LT(big.genuine_accept, service::kMinGenuineAccept);
  // The limits are consistent with the rule.
  EXPECT_TRUE(service::ThresholdForScope(big.max_supported, verify).supported);
  EXPECT_FALSE(service::ThresholdForScope(big.max_supported * 2 + 2, verify).supported);
  EXPECT_LT(big.max_comfortable, big.max_supported);
  EXPECT_FALSE(service::ThresholdForScope(big.max_comfortable + 1, verify).warning.empty());
  // The calibration data is the full impostor sample.
  EXPECT_EQ(service::Impostors().samples(), service::calibration_data::kImpostorCount);
}

}  // namespace
}  // namespace facegate
