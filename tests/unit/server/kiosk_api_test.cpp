// What a consent kiosk's device key may do with consents over REST, and no more (docs/ui.md
// "Kiosk", docs/api.md "Roles"): record the person's own consent to processing by click for
// its own purposes, withdraw it in one step and read its receipt (REQ C1, C2, C4); written,
// guardian and disclosure consents and other purposes' consents and receipts answer 403.
// And the "enrol" capture it opens only where an admin allowed it (REQ C1, D1).
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "../../support/assessment.h"
#include "../../support/requirement.h"
#include "api_suite.h"

namespace facegate::server {
namespace {

using json = nlohmann::json;
using testing::Auth;

const char* kNotice =
    "Processor: Example Co.\nContact: dpo@example.com\nPurpose: office entry\nMethod: 1:1 at the kiosk\n"
    "Data kinds: face template\nStorage period: 365 days, then deleted\nWhy face: faster entry; impact: "
    "sensitive data\nRights: withdraw any time\n";

class KioskApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig sc;
    sc.threads = 4;
    sc.rate_per_second = 0;
    sc.log = [](const std::string&) {};
    suite_.Open("kiosk-api", sc);
    ASSERT_NE(suite_.server, nullptr);
    admin_ = suite_.Key(Role::kAdmin);
    for (const char* name : {"office-entry", "canteen"}) {
      PurposeRecord p;
      p.name = name;
      p.retention_days = 365;
      p.alternatives = {"staff-card"};
      ASSERT_TRUE(suite_.svc->AddPurpose(p, "test").ok());
      auto n = suite_.svc->PublishNotice(name, kNotice, "test");
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      notices_[name] = n->id;
      ASSERT_TRUE(::facegate::testing::ApproveAssessmentInStore(suite_.svc->store(), name).ok());  // REQ F1
    }
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", suite_.server->port());
    auto r = Post(admin_, "/v1/devices", {{"id", "kiosk-1"}, {"purposes", {"office-entry"}}, {"location_type", "lobby"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    r = Post(admin_, "/v1/devices/kiosk-1/live", json::object());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    kiosk_ = suite_.Key(Role::kDevice, "kiosk-1", {"office-entry"});
  }
  void TearDown() override {
    cli_.reset();
    suite_.Close();
  }
  httplib::Result Post(const CreatedKey& k, const std::string& path, const json& body) {
    return cli_->Post(path, Auth(k), body.dump(), "application/json");
  }
  json Consent(const std::string& subject, const std::string& purpose, const std::string& method = "click") {
    json c = {{"subject", subject}, {"purpose", purpose}, {"notice_id", notices_[purpose]},
              {"option", "always"},  {"method", method}};
    if (method == "written") c["evidence"] = "form 17, signed";
    return c;
  }

  testing::ApiSuite suite_;
  CreatedKey admin_, kiosk_;
  std::map<std::string, int64_t> notices_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_F(KioskApi, C1_AKioskRecordsOnlyThePersonsOwnClickConsentForItsOwnPurposes) {
  REQUIREMENT("C1");
  auto given = Post(kiosk_, "/v1/consents", Consent("S1", "office-entry"));
  ASSERT_TRUE(given);
  EXPECT_EQ(given->status, 201) << given->body;
  EXPECT_EQ(json::parse(given->body)["consent"]["method"], "click");
  // Another purpose: not this kiosk's.
  auto other = Post(kiosk_, "/v1/consents", Consent("S1", "canteen"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403) << other->body;
  // A written consent needs staff to check the paper; a guardian's needs the guardian checked.
  auto written = Post(kiosk_, "/v1/consents", Consent("S2", "office-entry", "written"));
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 403) << written->body;
  json guardian = Consent("S3", "office-entry", "guardian");
  guardian["guardian"] = "G1";
  guardian["guardian_relation"] = "parent";
  auto g = Post(kiosk_, "/v1/consents", guardian);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 403) << g->body;
  json disclosure = Consent("S4", "office-entry");
  disclosure["kind"] = "disclosure";
  disclosure["recipient"] = "Example Partner Ltd.";
  auto d = Post(kiosk_, "/v1/consents", disclosure);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 403) << d->body;
  // Nothing of the refused ones was recorded.
  for (const char* s : {"S2", "S3", "S4"}) EXPECT_TRUE(suite_.svc->ListConsents(s, "office-entry")->empty()) << s;
  EXPECT_TRUE(suite_.svc->ListConsents("S1", "canteen")->empty());
}

TEST_F(KioskApi, C4_AKioskWithdrawsInOneStepAndShowsTheReceiptOfItsOwnPurposesOnly) {
  REQUIREMENT("C4");
  auto given = Post(kiosk_, "/v1/consents", Consent("S1", "office-entry"));
  ASSERT_TRUE(given);
  ASSERT_EQ(given->status, 201) << given->body;
  const int64_t id = json::parse(given->body)["consent"]["id"];
  auto elsewhere = Post(admin_, "/v1/consents", Consent("S1", "canteen"));
  ASSERT_TRUE(elsewhere);
  ASSERT_EQ(elsewhere->status, 201) << elsewhere->body;
  const int64_t other_id = json::parse(elsewhere->body)["consent"]["id"];
  // Another purpose's consent: neither withdrawn nor shown by this kiosk.
  auto w_other = Post(kiosk_, "/v1/subjects/S1/consents/canteen/withdraw", json::object());
  ASSERT_TRUE(w_other);
  EXPECT_EQ(w_other->status, 403) << w_other->body;
  auto r_other = cli_->Get("/v1/consents/" + std::to_string(other_id) + "/receipt", Auth(kiosk_));
  ASSERT_TRUE(r_other);
  EXPECT_EQ(r_other->status, 403) << r_other->body;
  EXPECT_FALSE(suite_.svc->ListConsents("S1", "canteen")->front().withdrawn_at.has_value());
  // Its own: one step, and the answer names the consents for their receipts (REQ C2).
  auto w = Post(kiosk_, "/v1/subjects/S1/consents/office-entry/withdraw", json::object());
  ASSERT_TRUE(w);
  ASSERT_EQ(w->status, 200) << w->body;
  const json wj = json::parse(w->body);
  EXPECT_EQ(wj["consents_withdrawn"], 1);
  EXPECT_EQ(wj["consent_ids"], json::array({id}));
  auto receipt = cli_->Get("/v1/consents/" + std::to_string(id) + "/receipt", Auth(kiosk_));
  ASSERT_TRUE(receipt);
  ASSERT_EQ(receipt->status, 200) << receipt->body;
  EXPECT_FALSE(json::parse(receipt->body)["receipt"]["authorization"]["withdrawn_at"].is_null()) << receipt->body;
}

TEST_F(KioskApi, D1_AnEnrollingCaptureOpensOnlyWhereAnAdminAllowedDeviceEnrolment) {
  REQUIREMENT("D1");
  const json body = {{"purpose", "office-entry"}, {"subject", "S1"}, {"opened_by", "tap"}, {"action", "enrol"}};
  auto r = Post(kiosk_, "/v1/devices/kiosk-1/sessions", body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  ASSERT_TRUE(suite_.svc->SetDeviceEnrolment("office-entry", true, "test").ok());
  json bad = body;
  bad["action"] = "copy";
  r = Post(kiosk_, "/v1/devices/kiosk-1/sessions", bad);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  json presence = body;
  presence["opened_by"] = "presence";
  r = Post(kiosk_, "/v1/devices/kiosk-1/sessions", presence);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["requirement"], "D1") << r->body;
  r = Post(kiosk_, "/v1/devices/kiosk-1/sessions", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body)["session"]["action"], "enrol");
}

}  // namespace
}  // namespace facegate::server
