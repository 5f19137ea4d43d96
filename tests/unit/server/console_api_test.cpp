// The operator console's routes against a real server on 127.0.0.1 and a real Service: the
// dashboard's counts (REQ F2, R1, C6, C7) from the store, every version of a notice (REQ N3),
// and API keys made and revoked by admins only, audited without their secrets (REQ S6).
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../../support/assessment.h"
#include "../../support/requirement.h"
#include "api_suite.h"

namespace facegate::server {
namespace {

using json = nlohmann::json;
using testing::Auth;
using testing::Body;

constexpr const char* kNotice =
    "Processor: Example Co.\nContact: dpo@example.com\nPurpose: office entry\nMethod: 1:1 at the door\n"
    "Data kinds: face template\nStorage period: 365 days, then deleted\nWhy face: faster entry; impact: "
    "sensitive data\nRights: withdraw any time\n";

class ConsoleApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig sc;
    sc.threads = 4;
    sc.rate_per_second = 0;
    sc.log = [](const std::string&) {};
    suite_.Open("console-api", sc);
    ASSERT_NE(suite_.server, nullptr);
    admin_ = suite_.Key(Role::kAdmin);
    operator_ = suite_.Key(Role::kOperator);
    auditor_ = suite_.Key(Role::kAuditor);
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", suite_.server->port());
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    ASSERT_TRUE(suite_.svc->AddPurpose(p, "test").ok());
    auto n = suite_.svc->PublishNotice("office-entry", kNotice, "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    notice_id_ = n->id;
    // Face processing needs an approved impact assessment of the purpose (REQ F1).
    ASSERT_TRUE(::facegate::testing::ApproveAssessmentInStore(suite_.svc->store(), "office-entry").ok());
  }
  void TearDown() override {
    cli_.reset();
    suite_.Close();
  }
  httplib::Result Get(const CreatedKey& k, const std::string& path) { return cli_->Get(path, Auth(k)); }
  httplib::Result Post(const CreatedKey& k, const std::string& path, const json& body) {
    return cli_->Post(path, Auth(k), body.dump(), "application/json");
  }
  void Consent(const std::string& subject) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "office-entry";
    r.notice_id = notice_id_;
    r.option = ConsentOption::kAlways;
    auto c = suite_.svc->GiveConsent(r, "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  // Every audit event as one text (to look for what must never be in it).
  std::string AuditText() {
    auto events = suite_.svc->ListAudit(0, 100000);
    EXPECT_TRUE(events.ok());
    std::string all;
    for (const AuditEvent& e : *events) all += e.action + " " + e.outcome + " " + e.detail + "\n";
    return all;
  }

  testing::ApiSuite suite_;
  CreatedKey admin_, operator_, auditor_;
  int64_t notice_id_ = 0;
  std::unique_ptr<httplib::Client> cli_;
};

std::string Photo(const std::string& name, int n) {
  char file[256];
  std::snprintf(file, sizeof file, "%s/lfw/%s/%s_%04d.jpg", FACEGATE_FACEDATA, name.c_str(), name.c_str(), n);
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(ConsoleApi, F2_TheDashboardCountsPeopleNotTemplatesAndShowsRefusalsAlternativesAndRightsDue) {
  auto empty = Get(auditor_, "/v1/dashboard");
  ASSERT_TRUE(empty);
  ASSERT_EQ(empty->status, 200) << empty->body;
  EXPECT_EQ(Body(empty)["people_with_face_data"], 0);
  EXPECT_EQ(Body(empty)["filing_line"], 100000);
  EXPECT_FALSE(Body(empty)["filing_line_reached"].get<bool>());

  // One person with two templates, and a second purpose for the same person: still one person.
  Consent("S1");
  auto e1 = suite_.svc->Enrol("S1", "office-entry", Photo("Ai_Sugiyama", 1), "", "test");
  ASSERT_TRUE(e1.ok()) << e1.status().ToString();
  ASSERT_TRUE(suite_.svc->Enrol("S1", "office-entry", Photo("Ai_Sugiyama", 2), "", "test").ok());
  ASSERT_EQ(*suite_.svc->store().CountTemplates("S1"), 2);
  // A refusal by the compliance core (C1: no consent), a refusal of consent (C7), alternatives.
  EXPECT_EQ(suite_.svc->Enrol("S2", "office-entry", Photo("Ai_Sugiyama", 3), "", "test").status().requirement(), "C1");
  ASSERT_TRUE(suite_.svc->RefuseConsent("S3", "office-entry", "test").ok());
  auto alt = suite_.svc->ChooseAlternative("S3", "office-entry", "staff-card", "kiosk-1", "test");
  ASSERT_TRUE(alt.ok()) << alt.status().ToString();
  ASSERT_TRUE(suite_.svc->CompleteAlternative(*alt, "granted", "test").ok());
  ASSERT_TRUE(suite_.svc->ChooseAlternative("S4", "office-entry", "staff-card", "kiosk-1", "test").ok());
  service::RightsRequestInput in;
  in.subject = "S1";
  in.kind = "access";
  ASSERT_TRUE(suite_.svc->OpenRightsRequest(in, "test").ok());

  REQUIREMENT("F2");
  auto d = suite_.svc->Dashboard();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->people_with_face_data, 1);
  auto r = Get(operator_, "/v1/dashboard");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Body(r);
  EXPECT_EQ(j["people_with_face_data"], 1);
  bool c1 = false;
  for (const json& x : j["refusals"])
    if (x["requirement"] == "C1") c1 = x["count"].get<int>() >= 1 && !x["rule"].get<std::string>().empty();
  EXPECT_TRUE(c1) << j.dump();
  EXPECT_EQ(j["consent_refusals"], 1);
  ASSERT_EQ(j["alternatives"].size(), 1u) << j.dump();
  EXPECT_EQ(j["alternatives"][0]["method"], "staff-card");
  EXPECT_EQ(j["alternatives"][0]["granted"], 1);
  EXPECT_EQ(j["alternatives"][0]["open"], 1);
  EXPECT_EQ(j["alternatives"][0]["total"], 2);
  EXPECT_EQ(j["rights"]["open"], 1);
  EXPECT_EQ(j["rights"]["overdue"], 0);
  ASSERT_EQ(j["rights"]["due"].size(), 1u);
  EXPECT_EQ(j["rights"]["due"][0]["subject"], "S1");
  // A device has no dashboard.
  const CreatedKey device = suite_.Key(Role::kDevice, "gate-1", {"office-entry"});
  auto forbidden = Get(device, "/v1/dashboard");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status, 403);
}

TEST_F(ConsoleApi, R1_TheDashboardCountsOverdueRequestsAtTheServiceClock) {
  service::RightsRequestInput in;
  in.subject = "S9";
  in.kind = "deletion";
  auto req = suite_.svc->OpenRightsRequest(in, "test");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  // Another service on the same data, its clock past the deadline.
  service::Config cfg = suite_.svc->config();
  const UnixTime later = req->due_at + 1;
  cfg.clock = [later] { return later; };
  auto svc = service::Service::Open(cfg);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  REQUIREMENT("R1");
  auto d = (*svc)->Dashboard();
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->rights_open, 1);
  EXPECT_EQ(d->rights_overdue, 1);
  ASSERT_EQ(d->rights_due.size(), 1u);
  EXPECT_EQ(d->rights_due[0].id, req->id);
}

TEST_F(ConsoleApi, N3_EveryNoticeVersionIsListedWithItsTextAndTheNewestInForce) {
  std::string second = kNotice;
  second += "Alternatives: staff card at the front desk\n";
  ASSERT_TRUE(suite_.svc->PublishNotice("office-entry", second, "test").ok());
  REQUIREMENT("N3");
  auto r = Get(operator_, "/v1/purposes/office-entry/notices");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Body(r);
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["version"], 1);
  EXPECT_EQ(j["items"][0]["text"], kNotice);
  EXPECT_FALSE(j["items"][0]["in_force"].get<bool>());
  EXPECT_EQ(j["items"][1]["version"], 2);
  EXPECT_EQ(j["items"][1]["text"], second);
  EXPECT_TRUE(j["items"][1]["in_force"].get<bool>());
  auto unknown = Get(admin_, "/v1/purposes/nothing/notices");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  auto auditor = Get(auditor_, "/v1/purposes/office-entry/notices");
  ASSERT_TRUE(auditor);
  EXPECT_EQ(auditor->status, 403);
}

TEST_F(ConsoleApi, S6_AdminsMakeListAndRevokeKeysAndTheSecretIsNeverStoredOrAudited) {
  auto made = Post(admin_, "/v1/apikeys", {{"role", "operator"}});
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string secret = Body(made)["secret"], id = Body(made)["key"]["id"];
  ASSERT_EQ(secret.rfind("fgk_", 0), 0u);
  EXPECT_EQ(Body(made)["key"]["role"], "operator");
  // The new key works.
  auto me = cli_->Get("/v1/me", httplib::Headers{{"Authorization", "Bearer " + secret}});
  ASSERT_TRUE(me);
  ASSERT_EQ(me->status, 200);
  EXPECT_EQ(Body(me)["id"], id);
  // Listed without its secret.
  auto list = Get(admin_, "/v1/apikeys");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_EQ(list->body.find(secret), std::string::npos);
  bool found = false, caller = false;
  const json listed = Body(list);  // kept: a range-for over Body(list)["items"] would dangle
  for (const json& k : listed["items"]) {
    if (k["id"] == id) found = k["active"].get<bool>();
    if (k["id"] == admin_.key.id) caller = k["is_caller"].get<bool>();
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(caller);
  // Revoked: it stops working at its next request.
  auto revoked = Post(admin_, "/v1/apikeys/" + id + "/revoke", json::object());
  ASSERT_TRUE(revoked);
  ASSERT_EQ(revoked->status, 200) << revoked->body;
  auto after = cli_->Get("/v1/me", httplib::Headers{{"Authorization", "Bearer " + secret}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
  auto again = Post(admin_, "/v1/apikeys/" + id + "/revoke", json::object());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404) << again->body;
  REQUIREMENT("S6");
  const std::string audit = AuditText();
  EXPECT_NE(audit.find("apikey.create ok"), std::string::npos) << audit;
  EXPECT_NE(audit.find("apikey.revoke ok"), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"key\":\"" + id + "\""), std::string::npos) << audit;
  EXPECT_EQ(audit.find(secret), std::string::npos) << "the secret reached the audit log";
  EXPECT_EQ(audit.find(secret.substr(4, 16)), std::string::npos);
  // Only admins.
  for (const CreatedKey* k : {&operator_, &auditor_}) {
    auto r = Post(*k, "/v1/apikeys", {{"role", "admin"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
    auto l = Get(*k, "/v1/apikeys");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->status, 403);
  }
}

TEST_F(ConsoleApi, S6_ADeviceKeyNeedsItsDeviceAndDeclaredPurposesAndOtherRolesTakeNeither) {
  auto bare = Post(admin_, "/v1/apikeys", {{"role", "device"}});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 400) << bare->body;
  EXPECT_NE(bare->body.find("device"), std::string::npos);
  auto unknown = Post(admin_, "/v1/apikeys", {{"role", "device"}, {"device", "gate-1"}, {"purposes", {"nothing"}}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400) << unknown->body;
  auto op = Post(admin_, "/v1/apikeys", {{"role", "operator"}, {"device", "gate-1"}});
  ASSERT_TRUE(op);
  EXPECT_EQ(op->status, 400) << op->body;
  auto role = Post(admin_, "/v1/apikeys", {{"role", "root"}});
  ASSERT_TRUE(role);
  EXPECT_EQ(role->status, 400) << role->body;
  REQUIREMENT("S6");
  auto ok = Post(admin_, "/v1/apikeys", {{"role", "device"}, {"device", "gate-1"}, {"purposes", {"office-entry"}}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 201) << ok->body;
  EXPECT_EQ(Body(ok)["key"]["device"], "gate-1");
  EXPECT_EQ(Body(ok)["key"]["purposes"], json({"office-entry"}));
}

TEST_F(ConsoleApi, S6_TheLastActiveAdminKeyCannotBeRevokedNotEvenByItself) {
  REQUIREMENT("S6");
  auto self = Post(admin_, "/v1/apikeys/" + admin_.key.id + "/revoke", json::object());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->status, 409) << self->body;
  EXPECT_NE(Body(self)["message"].get<std::string>().find("last active admin key"), std::string::npos) << self->body;
  auto still = Get(admin_, "/v1/me");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
  // With a second admin key, either may go.
  auto second = Post(admin_, "/v1/apikeys", {{"role", "admin"}});
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 201);
  auto now = Post(admin_, "/v1/apikeys/" + admin_.key.id + "/revoke", json::object());
  ASSERT_TRUE(now);
  EXPECT_EQ(now->status, 200) << now->body;
  EXPECT_TRUE(Body(now)["was_caller"].get<bool>());
}

}  // namespace
}  // namespace facegate::server
