// The REST endpoints for analysis, alternatives, refusal and may-ask, consent
// receipts, retention, accessible notices and rules, against a real server on
// 127.0.0.1 (ephemeral port), a real Service on a temporary data directory, the
// pinned models and photos from the face data.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server/server.h"
#include "api_suite.h"
#include "../../support/assessment.h"
#include "../../support/requirement.h"

namespace facegate::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ToBase64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

const std::string kLfw = std::string(FACEGATE_FACEDATA) + "/lfw/";

// One Service (with a clock the tests can move forward) and key store for the suite.
class RestApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerConfig sc;
    sc.threads = 4;
    sc.rate_per_second = 0;
    sc.log = [](const std::string&) {};
    suite_.Open("rest-test", sc, [] { return static_cast<UnixTime>(std::time(nullptr)) + skew_.load(); });
    ASSERT_NE(suite_.server, nullptr);
    dir_ = suite_.dir;
    svc_ = suite_.svc;
    keys_ = suite_.keys;
    server_ = suite_.server;
    admin_ = suite_.Key(Role::kAdmin);
    operator_ = suite_.Key(Role::kOperator);
    auditor_ = suite_.Key(Role::kAuditor);
    kiosk_ = suite_.Key(Role::kDevice, "kiosk-1", {"lobby"});
  }
  static void TearDownTestSuite() { suite_.Close(); }

  static httplib::Headers Auth(const CreatedKey& k) {
    return {{"Authorization", "Bearer " + k.secret}};
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    return c;
  }
  static json Body(const httplib::Result& r) {
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  static httplib::Result PostJson(httplib::Client& c, const std::string& path, const CreatedKey& k,
                                  const json& body) {
    return c.Post(path, Auth(k), body.dump(), "application/json");
  }

  // A purpose with a published notice; returns the notice id.
  int64_t Purpose(httplib::Client& c, const std::string& name,
                  const std::string& scenario = "verification") {
    json body = {{"name", name},
                 {"scenario", scenario},
                 {"retention_days", 365},
                 {"alternatives", {"staff-card", "pin"}}};
    if (scenario == "analysis") {  // REQ AN4: the basis examples/notice-shop-count.md states
      body["legal_basis"] = "other_law";
      body["basis_justification"] =
          "Fire Protection Law of the PRC, art. 28: the venue keeps crowd numbers within its certified capacity";
    }
    auto r = PostJson(c, "/v1/purposes", operator_, body);
    EXPECT_TRUE(r && (r->status == 201 || r->status == 409)) << (r ? r->body : "no response");
    std::string text = ReadFileBytes(std::string(FACEGATE_SOURCE_DIR) +
                                     (scenario == "analysis" ? "/examples/notice-shop-count.md"
                                                             : "/examples/notice-office-entry.md"));
    auto n = PostJson(c, "/v1/purposes/" + name + "/notices", operator_, {{"text", text}});
    EXPECT_EQ(n->status, 201) << n->body;
    EXPECT_TRUE(::facegate::testing::ApproveAssessmentInStore(svc_->store(), name).ok());  // REQ F1
    return Body(n)["notice_id"];
  }

  // The audit events with this action by this key.
  static int Audited(const std::string& action, const CreatedKey& k) {
    auto events = svc_->ListAudit(0, 1'000'000);
    EXPECT_TRUE(events.ok());
    int n = 0;
    for (const AuditEvent& e : *events)
      if (e.action == action && e.actor == "key:" + k.key.id) ++n;
    return n;
  }

  static inline testing::ApiSuite suite_;
  static inline fs::path dir_;
  static inline std::atomic<int64_t> skew_{0};
  static inline service::Service* svc_ = nullptr;
  static inline ApiKeyStore* keys_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline CreatedKey admin_, operator_, auditor_, kiosk_;
};

TEST(RoleGroups, GateIsAdminOperatorAndDeviceAdministrationIsAdminOnly) {
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kDevice})
    EXPECT_TRUE(RoleAllows(r, Access::kGate)) << ToString(r);
  EXPECT_FALSE(RoleAllows(Role::kAuditor, Access::kGate));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Access::kAdmin));
  for (Role r : {Role::kOperator, Role::kAuditor, Role::kDevice})
    EXPECT_FALSE(RoleAllows(r, Access::kAdmin)) << ToString(r);
  // Every new route is in its group (docs/api.md, role matrix).
  std::map<std::string, Access> want = {
      {"GET /v1/purposes/{name}/notice", Access::kGate},
      {"POST /v1/alternatives", Access::kGate},
      // Completing by hand is staff's decision, never a device's (docs/security.md).
      {"POST /v1/alternatives/{id}/complete", Access::kConsents},
      {"POST /v1/subjects/{id}/consents/{purpose}/refuse", Access::kGate},
      {"GET /v1/subjects/{id}/consents/{purpose}/may-ask", Access::kGate},
      // A kiosk's device key shows the person their receipt, for its own purposes only.
      {"GET /v1/consents/{id}/receipt", Access::kKiosk},
      {"POST /v1/analyze", Access::kFace},
      {"POST /v1/retention/sweep", Access::kAdmin},
      {"GET /v1/rules", Access::kPublic},
      {"GET /v1/rules/{id}", Access::kPublic}};
  for (const RouteInfo& r : Routes()) {
    auto it = want.find(r.method + " " + r.path);
    if (it == want.end()) continue;
    EXPECT_EQ(r.access, it->second) << it->first;
    want.erase(it);
  }
  EXPECT_TRUE(want.empty()) << want.size() << " route(s) not served";
}

TEST_F(RestApi, C7_RefusalStartsTheQuietPeriodMayAskSaysNoAndAPromptedConsentIsRefused) {
  auto c = Client();
  const int64_t nid = Purpose(c, "canteen");
  auto yes = c.Get("/v1/subjects/R1/consents/canteen/may-ask", Auth(operator_));
  ASSERT_EQ(yes->status, 200) << yes->body;
  EXPECT_EQ(Body(yes)["may_ask"], true);

  auto refuse = c.Post("/v1/subjects/R1/consents/canteen/refuse", Auth(operator_), "", "");
  ASSERT_EQ(refuse->status, 201) << refuse->body;
  EXPECT_GT(Body(refuse)["quiet_seconds"].get<int64_t>(), 0);

  auto no = c.Get("/v1/subjects/R1/consents/canteen/may-ask", Auth(operator_));
  ASSERT_EQ(no->status, 200) << no->body;
  json j = Body(no);
  REQUIREMENT("C7");
  EXPECT_EQ(j["may_ask"], false);
  EXPECT_EQ(j["requirement"], "C7");
  EXPECT_FALSE(j["citation"].get<std::string>().empty());
  EXPECT_EQ(j["alternatives"], json({"staff-card", "pin"}));
  // Another person, or the same person for another purpose, may still be asked.
  EXPECT_EQ(Body(c.Get("/v1/subjects/R2/consents/canteen/may-ask", Auth(operator_)))["may_ask"],
            true);

  // A consent the operator asked for is refused in the quiet period (422, C7) ...
  json give = {{"subject", "R1"}, {"purpose", "canteen"}, {"notice_id", nid}, {"prompted", true}};
  auto prompted = PostJson(c, "/v1/consents", operator_, give);
  ASSERT_EQ(prompted->status, 422) << prompted->body;
  EXPECT_EQ(Body(prompted)["requirement"], "C7");
  // ... one the person came forward with is not.
  give["prompted"] = false;
  EXPECT_EQ(PostJson(c, "/v1/consents", operator_, give)->status, 201);
  give["prompted"] = "yes";
  auto typo = PostJson(c, "/v1/consents", operator_, give);
  EXPECT_EQ(typo->status, 400);
  EXPECT_NE(Body(typo)["message"].get<std::string>().find("prompted"), std::string::npos);

  // An unknown purpose is 404, not a refusal recorded against nothing.
  EXPECT_EQ(c.Post("/v1/subjects/R1/consents/nope/refuse", Auth(operator_), "", "")->status, 404);
  EXPECT_EQ(c.Get("/v1/subjects/R1/consents/nope/may-ask", Auth(operator_))->status, 404);
  // Both calls are audited under the key's id (the Service audits the refusal, the server may-ask).
  EXPECT_GE(Audited("consent.refuse", operator_), 1);
  EXPECT_GE(Audited("consent.may_ask", operator_), 3);
}

TEST_F(RestApi, A2_C6_AnAlternativeRefusesFaceInItsSessionUntilCompletedAndItsOutcomeIsAudited) {
  auto c = Client();
  const int64_t nid = Purpose(c, "office");
  ASSERT_EQ(
      PostJson(c, "/v1/consents", operator_,
               {{"subject", "T1"}, {"purpose", "office"}, {"notice_id", nid}, {"option", "always"}})
          ->status,
      201);
  auto wrong = PostJson(c, "/v1/alternatives", operator_,
                        {{"subject", "T1"}, {"purpose", "office"}, {"method", "retina"}});
  ASSERT_EQ(wrong->status, 400) << wrong->body;
  EXPECT_NE(Body(wrong)["message"].get<std::string>().find("staff-card"), std::string::npos);

  auto open = PostJson(
      c, "/v1/alternatives", operator_,
      {{"subject", "T1"}, {"purpose", "office"}, {"method", "staff-card"}, {"session", "desk-3"}});
  ASSERT_EQ(open->status, 201) << open->body;
  const int64_t id = Body(open)["transaction"];
  ASSERT_GT(id, 0);

  // Face is refused in that session (REQ A2), before any photo is looked at.
  json enrol = {
      {"subject", "T1"},
      {"purpose", "office"},
      {"session", "desk-3"},
      {"image_base64", ToBase64(ReadFileBytes(kLfw + "Ai_Sugiyama/Ai_Sugiyama_0001.jpg"))}};
  auto refused = PostJson(c, "/v1/enrol", operator_, enrol);
  REQUIREMENT("A2");
  ASSERT_EQ(refused->status, 422) << refused->body;
  EXPECT_EQ(Body(refused)["requirement"], "A2");

  const std::string path = "/v1/alternatives/" + std::to_string(id) + "/complete";
  EXPECT_EQ(PostJson(c, path, operator_, {{"outcome", "maybe"}})->status, 400);
  auto done = PostJson(c, path, operator_, {{"outcome", "granted"}});
  REQUIREMENT("C6");
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_EQ(Body(done)["outcome"], "granted");
  EXPECT_EQ(PostJson(c, path, operator_, {{"outcome", "granted"}})->status, 409);
  EXPECT_EQ(
      PostJson(c, "/v1/alternatives/999999/complete", operator_, {{"outcome", "denied"}})->status,
      404);
  EXPECT_EQ(
      PostJson(c, "/v1/alternatives/abc/complete", operator_, {{"outcome", "denied"}})->status,
      400);

  // REQ C6: the outcome is in the audit log like a face outcome, under the key's id.
  auto events = svc_->ListAudit(0, 1'000'000);
  ASSERT_TRUE(events.ok());
  bool found = false;
  for (const AuditEvent& e : *events) {
    if (e.action != "alternative.complete" || e.outcome != "ok") continue;
    auto d = json::parse(e.detail);
    if (d["transaction"] != id) continue;
    found = true;
    EXPECT_EQ(e.actor, "key:" + operator_.key.id);
    EXPECT_EQ(d["match"], true);
  }
  EXPECT_TRUE(found);
}

TEST_F(RestApi, C2_TheConsentReceiptIsServedForAConsentId) {
  auto c = Client();
  const int64_t nid = Purpose(c, "gym");
  auto g =
      PostJson(c, "/v1/consents", operator_,
               {{"subject", "U1"}, {"purpose", "gym"}, {"notice_id", nid}, {"option", "always"}});
  ASSERT_EQ(g->status, 201) << g->body;
  const int64_t cid = Body(g)["consent"]["id"];
  auto r = c.Get("/v1/consents/" + std::to_string(cid) + "/receipt", Auth(operator_));
  ASSERT_EQ(r->status, 200) << r->body;
  json receipt = Body(r)["receipt"];
  ASSERT_TRUE(receipt.is_object()) << r->body;
  EXPECT_NE(receipt.dump().find("gym"), std::string::npos) << receipt.dump();
  EXPECT_NE(receipt.dump().find(Body(g)["consent"]["notice_sha256"].get<std::string>()),
            std::string::npos)
      << "the receipt names the notice it rests on";
  EXPECT_EQ(c.Get("/v1/consents/999999/receipt", Auth(operator_))->status, 404);
  EXPECT_EQ(c.Get("/v1/consents/x1/receipt", Auth(operator_))->status, 400);
  EXPECT_EQ(c.Get("/v1/consents/1/receipt", Auth(auditor_))->status, 403);
  EXPECT_GE(Audited("consent.receipt", operator_), 1);
}

TEST_F(RestApi, S5_RetentionSweepOverHttpDeletesExpiredTemplatesIsAdminOnlyAndAudited) {
  auto c = Client();
  const int64_t nid = Purpose(c, "short-stay");
  ASSERT_EQ(PostJson(c, "/v1/consents", operator_,
                     {{"subject", "V1"},
                      {"purpose", "short-stay"},
                      {"notice_id", nid},
                      {"option", "always"},
                      {"valid_seconds", 60}})
                ->status,
            201);
  auto e = PostJson(
      c, "/v1/enrol", operator_,
      {{"subject", "V1"},
       {"purpose", "short-stay"},
       {"image_base64", ToBase64(ReadFileBytes(kLfw + "Ai_Sugiyama/Ai_Sugiyama_0001.jpg"))}});
  ASSERT_EQ(e->status, 201) << e->body;
  EXPECT_EQ(c.Post("/v1/retention/sweep", Auth(operator_), "", "")->status, 403);
  EXPECT_EQ(c.Post("/v1/retention/sweep", Auth(kiosk_), "", "")->status, 403);
  const int before = Audited("retention.sweep", admin_);
  auto idle = c.Post("/v1/retention/sweep", Auth(admin_), "", "");
  ASSERT_EQ(idle->status, 200) << idle->body;
  EXPECT_EQ(Audited("retention.sweep", admin_), before + 1) << "an idle sweep is audited too";

  skew_ += 120;  // the consent, and with it the template, expired a minute ago
  auto swept = c.Post("/v1/retention/sweep", Auth(admin_), "", "");
  skew_ -= 120;
  REQUIREMENT("S5");
  ASSERT_EQ(swept->status, 200) << swept->body;
  json j = Body(swept);
  EXPECT_GE(j["templates_deleted"].get<int64_t>(), 1);
  EXPECT_NE(j["subjects"].dump().find("V1"), std::string::npos);
  auto left = svc_->store().CountTemplates("V1");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
  EXPECT_EQ(Audited("retention.sweep", admin_), before + 2);
}

TEST_F(RestApi, N2_TheNoticeIsServedForVoiceAndLargePrint) {
  auto c = Client();
  Purpose(c, "library");
  auto text = c.Get("/v1/purposes/library/notice", Auth(operator_));
  ASSERT_EQ(text->status, 200);
  EXPECT_EQ(Body(text)["format"], "text");
  auto voice = c.Get("/v1/purposes/library/notice?format=voice", Auth(operator_));
  REQUIREMENT("N2");
  ASSERT_EQ(voice->status, 200) << voice->body;
  EXPECT_EQ(Body(voice)["format"], "voice");
  EXPECT_NE(Body(voice)["text"], Body(text)["text"]);
  auto large = c.Get("/v1/purposes/library/notice?format=large-print", Auth(operator_));
  ASSERT_EQ(large->status, 200);
  const std::string html = Body(large)["text"];
  EXPECT_NE(html.find("<html"), std::string::npos) << html.substr(0, 200);
  auto bad = c.Get("/v1/purposes/library/notice?format=braille", Auth(operator_));
  ASSERT_EQ(bad->status, 400);
  EXPECT_NE(Body(bad)["message"].get<std::string>().find("large-print"), std::string::npos);
}

TEST_F(RestApi, A3_EveryFormOfTheServedNoticeNamesTheAlternativesWithNoFeeAndNoWait) {
  auto c = Client();
  Purpose(c, "reading-room");
  REQUIREMENT("A3");
  for (const std::string format : {"text", "voice", "large-print"}) {
    auto r = c.Get("/v1/purposes/reading-room/notice?format=" + format, Auth(operator_));
    ASSERT_EQ(r->status, 200) << r->body;
    json b = Body(r);
    EXPECT_EQ(b["alternatives"], json({"staff-card", "pin"})) << format;
    const std::string st = b["alternatives_statement"];
    EXPECT_NE(st.find("Other ways: staff-card, pin."), std::string::npos) << st;
    EXPECT_NE(st.find("no extra fee and no extra wait"), std::string::npos) << st;
    if (format != "text") {
      const std::string text = b["text"];
      EXPECT_NE(text.find("Other ways"), std::string::npos) << format << ": " << text;
      EXPECT_NE(text.find("staff-card, pin"), std::string::npos) << format << ": " << text;
    }
  }
}

TEST_F(RestApi, A4_APinAlternativeIsBoundRegisteredAndDecidedOverHttp) {
  auto c = Client();
  Purpose(c, "depot");
  // Binding is admin-only; the operator may list.
  auto denied = PostJson(c, "/v1/purposes/depot/connectors", operator_, {{"method", "pin"}, {"kind", "pin"}});
  EXPECT_EQ(denied->status, 403) << denied->body;
  auto bound = PostJson(c, "/v1/purposes/depot/connectors", admin_, {{"method", "pin"}, {"kind", "pin"}});
  REQUIREMENT("A4");
  ASSERT_EQ(bound->status, 200) << bound->body;
  auto bad = PostJson(c, "/v1/purposes/depot/connectors", admin_,
                      {{"method", "pin"}, {"kind", "http"}, {"config", {{"url", "gopher://x"}}}});
  EXPECT_EQ(bad->status, 400) << bad->body;
  auto listed = c.Get("/v1/purposes/depot/connectors", Auth(operator_));
  ASSERT_EQ(listed->status, 200) << listed->body;
  json l = Body(listed)["connectors"];
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0]["method"], "staff-card");
  EXPECT_EQ(l[0]["kind"], "staff");
  EXPECT_EQ(l[1]["method"], "pin");
  EXPECT_EQ(l[1]["kind"], "pin");

  auto reg = PostJson(c, "/v1/alternatives/credentials", operator_,
                      {{"subject", "D1"}, {"purpose", "depot"}, {"method", "pin"}, {"secret", "735194"}});
  ASSERT_EQ(reg->status, 200) << reg->body;
  auto open = PostJson(c, "/v1/alternatives", operator_,
                       {{"subject", "D1"}, {"purpose", "depot"}, {"method", "pin"}, {"session", "door-2"}});
  ASSERT_EQ(open->status, 201) << open->body;
  const int64_t id = Body(open)["transaction"];
  const std::string path = "/v1/alternatives/" + std::to_string(id) + "/present";
  auto wrong = PostJson(c, path, operator_, {{"credential", "000000"}});
  ASSERT_EQ(wrong->status, 200) << wrong->body;
  EXPECT_EQ(Body(wrong)["outcome"], "retry");
  EXPECT_EQ(Body(wrong)["attempts_left"], 2);
  auto right = PostJson(c, path, operator_, {{"credential", "735194"}});
  ASSERT_EQ(right->status, 200) << right->body;
  EXPECT_EQ(Body(right)["outcome"], "granted");
  EXPECT_EQ(PostJson(c, path, operator_, {{"credential", "735194"}})->status, 409);
  auto missing = PostJson(c, path, operator_, json::object());
  EXPECT_EQ(missing->status, 400);
  // The PIN is in no audit event.
  auto events = svc_->ListAudit(0, 1'000'000);
  ASSERT_TRUE(events.ok());
  for (const AuditEvent& e : *events) EXPECT_EQ(e.detail.find("735194"), std::string::npos) << e.detail;
}

TEST_F(RestApi, M3_AChildsConsentsAreReadOnlyByAKeyAnAdminApproved) {
  auto c = Client();
  Purpose(c, "kindergarten");
  auto k = PostJson(c, "/v1/subjects", operator_, {{"id", "KG1"}, {"birth_date", "2021-04-01"}});
  ASSERT_EQ(k->status, 201) << k->body;
  auto refused = c.Get("/v1/subjects/KG1/consents", Auth(operator_));
  REQUIREMENT("M3");
  ASSERT_EQ(refused->status, 422) << refused->body;
  EXPECT_EQ(Body(refused)["requirement"], "M3");
  const std::string reader = "key:" + operator_.key.id;
  // Approving is for admins, and never for oneself.
  EXPECT_EQ(PostJson(c, "/v1/subjects/KG1/approvals", operator_, {{"reader", reader}, {"reason", "r"}})->status, 403);
  auto self = PostJson(c, "/v1/subjects/KG1/approvals", admin_,
                       {{"reader", "key:" + admin_.key.id}, {"reason", "curious"}});
  EXPECT_EQ(self->status, 400) << self->body;
  auto ok = PostJson(c, "/v1/subjects/KG1/approvals", admin_,
                     {{"reader", reader}, {"reason", "the father asked what is held"}, {"valid_seconds", 600}});
  ASSERT_EQ(ok->status, 201) << ok->body;
  EXPECT_EQ(Body(ok)["reader"], reader);
  auto read = c.Get("/v1/subjects/KG1/consents", Auth(operator_));
  EXPECT_EQ(read->status, 200) << read->body;
  // Another key is still refused.
  EXPECT_EQ(c.Get("/v1/subjects/KG1/consents", Auth(auditor_))->status == 200, false);
}

TEST_F(RestApi, AKioskDeviceKeyReadsTheNoticeAndRecordsRefusalsForItsOwnPurposesOnly) {
  auto c = Client();
  Purpose(c, "lobby");
  const int64_t vault_notice = Purpose(c, "vault");
  auto own = c.Get("/v1/purposes/lobby/notice?format=large-print", Auth(kiosk_));
  ASSERT_EQ(own->status, 200) << own->body;
  auto other = c.Get("/v1/purposes/vault/notice", Auth(kiosk_));
  ASSERT_EQ(other->status, 403) << other->body;
  EXPECT_NE(Body(other)["message"].get<std::string>().find("lobby"), std::string::npos);
  EXPECT_EQ(c.Get("/v1/subjects/K1/consents/lobby/may-ask", Auth(kiosk_))->status, 200);
  EXPECT_EQ(c.Get("/v1/subjects/K1/consents/vault/may-ask", Auth(kiosk_))->status, 403);
  EXPECT_EQ(c.Post("/v1/subjects/K1/consents/vault/refuse", Auth(kiosk_), "", "")->status, 403);
  EXPECT_EQ(c.Post("/v1/subjects/K1/consents/lobby/refuse", Auth(kiosk_), "", "")->status, 201);
  EXPECT_EQ(PostJson(c, "/v1/alternatives", kiosk_,
                     {{"subject", "K1"}, {"purpose", "vault"}, {"method", "pin"}})
                ->status,
            403);
  EXPECT_EQ(
      PostJson(c, "/v1/alternatives", kiosk_,
               {{"subject", "K1"}, {"purpose", "lobby"}, {"method", "pin"}, {"device", "kiosk-2"}})
          ->status,
      403);
  // A transaction opened for another purpose cannot be completed by the kiosk.
  auto vault_alt = PostJson(c, "/v1/alternatives", operator_,
                            {{"subject", "K1"}, {"purpose", "vault"}, {"method", "pin"}});
  ASSERT_EQ(vault_alt->status, 201);
  EXPECT_EQ(
      PostJson(c,
               "/v1/alternatives/" + std::to_string(Body(vault_alt)["transaction"].get<int64_t>()) +
                   "/complete",
               kiosk_, {{"outcome", "granted"}})
          ->status,
      403);
  // Listing stays with operators (role matrix, docs/api.md); a kiosk reads the receipts of its
  // own purposes' consents only (KioskApi.C4_*): another purpose's is refused, an unknown id is
  // not found.
  EXPECT_EQ(c.Get("/v1/subjects/K1/consents", Auth(kiosk_))->status, 403);
  auto vault_consent = PostJson(
      c, "/v1/consents", operator_,
      {{"subject", "K2"}, {"purpose", "vault"}, {"notice_id", vault_notice}, {"option", "always"}});
  ASSERT_EQ(vault_consent->status, 201) << vault_consent->body;
  const int64_t vault_cid = Body(vault_consent)["consent"]["id"];
  EXPECT_EQ(c.Get("/v1/consents/" + std::to_string(vault_cid) + "/receipt", Auth(kiosk_))->status,
            403);
  EXPECT_EQ(c.Get("/v1/consents/987654321/receipt", Auth(kiosk_))->status, 404);
  EXPECT_EQ(c.Get("/v1/purposes", Auth(kiosk_))->status, 403);
  EXPECT_GE(Audited("notice.get", kiosk_), 2) << "reads and denials are audited with the key id";
}

std::vector<std::string> AnalyzePhotos() {
  std::vector<std::string> out;
  for (const char* f :
       {"Ai_Sugiyama/Ai_Sugiyama_0001.jpg", "Ai_Sugiyama/Ai_Sugiyama_0002.jpg",
        "Ai_Sugiyama/Ai_Sugiyama_0003.jpg", "Abdoulaye_Wade/Abdoulaye_Wade_0001.jpg",
        "Abdoulaye_Wade/Abdoulaye_Wade_0002.jpg", "Abdoulaye_Wade/Abdoulaye_Wade_0003.jpg"})
    out.push_back(ReadFileBytes(kLfw + f));
  return out;
}

TEST_F(RestApi, AN2_AnalyzeOverHttpTakesPhotosIntoAWindowAndItsStatisticsShowNoCountWhileItIsOpen) {
  auto c = Client();
  Purpose(c, "footfall", "analysis");
  httplib::MultipartFormDataItems items = {{"purpose", "footfall", "", ""}, {"k", "2", "", ""}};
  for (const std::string& p : AnalyzePhotos()) items.push_back({"image", p, "p.jpg", "image/jpeg"});
  auto r = c.Post("/v1/analyze", Auth(operator_), items);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = Body(r);
  EXPECT_EQ(j["images"], 6);
  const int64_t faces = j["faces"].get<int64_t>();
  EXPECT_GE(faces, 5);
  REQUIREMENT("AN2");
  EXPECT_FALSE(j.contains("counts")) << r->body;
  EXPECT_FALSE(j.contains("subject"));
  ASSERT_TRUE(j["window"].is_object()) << r->body;
  EXPECT_LT(j["window"]["start"].get<std::string>(), j["window"]["end"].get<std::string>());

  // The same photos as base64 JSON with k = 10: all repeats, nothing taken in.
  json photos = json::array();
  for (const std::string& p : AnalyzePhotos()) photos.push_back(ToBase64(p));
  auto r10 = PostJson(c, "/v1/analyze", operator_,
                      {{"purpose", "footfall"}, {"k", 10}, {"images_base64", photos}});
  ASSERT_EQ(r10->status, 200) << r10->body;
  EXPECT_TRUE(Body(r10)["faces"].is_null());
  EXPECT_EQ(Body(r10)["repeated_faces"], faces);

  // The statistics: the open window, its size only; auditors read them, kiosks do not.
  auto stats = c.Get("/v1/purposes/footfall/statistics", Auth(auditor_));
  ASSERT_EQ(stats->status, 200) << stats->body;
  const json w = Body(stats)["windows"][0];
  EXPECT_EQ(w["released"], false);
  EXPECT_TRUE(w["counts"].empty());
  EXPECT_TRUE(w["faces"].is_null());
  EXPECT_EQ(w["k"], 10);
  EXPECT_EQ(w["images"], 12);
  EXPECT_EQ(c.Get("/v1/purposes/footfall/statistics", Auth(kiosk_))->status, 403);
  auto bad = c.Get("/v1/purposes/footfall/statistics?from=yesterday", Auth(operator_));
  ASSERT_EQ(bad->status, 400);
  EXPECT_NE(Body(bad)["message"].get<std::string>().find("YYYY-MM-DD"), std::string::npos);

  auto k1 = PostJson(c, "/v1/analyze", operator_,
                     {{"purpose", "footfall"}, {"k", 1}, {"images_base64", photos}});
  ASSERT_EQ(k1->status, 400);
  EXPECT_NE(Body(k1)["message"].get<std::string>().find("AN2"), std::string::npos);
  EXPECT_EQ(PostJson(c, "/v1/analyze", operator_, {{"purpose", "footfall"}})->status, 400);
  // A verification purpose may not be analysed (REQ SC3), nor has statistics.
  Purpose(c, "door");
  auto sc3 =
      PostJson(c, "/v1/analyze", operator_, {{"purpose", "door"}, {"images_base64", photos}});
  ASSERT_EQ(sc3->status, 422) << sc3->body;
  EXPECT_EQ(Body(sc3)["requirement"], "SC3");
  EXPECT_EQ(c.Get("/v1/purposes/door/statistics", Auth(operator_))->status, 400);
  EXPECT_EQ(Audited("analyze", operator_), 5);
}

TEST_F(RestApi, RulesAreServedWithoutAKeyWithTheirCitations) {
  auto c = Client();
  auto all = c.Get("/v1/rules?size=500");
  ASSERT_EQ(all->status, 200) << all->body;
  json j = Body(all);
  EXPECT_GT(j["total"].get<int64_t>(), 10);
  bool c7 = false;
  for (const json& r : j["items"]) c7 = c7 || r["id"] == "C7";
  EXPECT_TRUE(c7);
  auto one = c.Get("/v1/rules/C7");
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Body(one)["rule"]["id"], "C7");
  EXPECT_FALSE(Body(one)["rule"]["citation"].get<std::string>().empty());
  auto none = c.Get("/v1/rules/Q99");
  ASSERT_EQ(none->status, 404);
  EXPECT_NE(Body(none)["message"].get<std::string>().find("/v1/rules"), std::string::npos);
}

// REQ AN3 over HTTP: only an admin switches a sensitive inference on, for driving safety only;
// the history is listed, and switching off is a route of its own.
TEST_F(RestApi, AN3_AnAdminSwitchesDrowsinessOnForDrivingSafetyOnlyAndTheHistoryIsListed) {
  auto c = Client();
  Purpose(c, "fleet", "analysis");
  const json body = {{"use", "driving_safety"},
                     {"justification", "warn coach drivers at the first signs of drowsiness"}};
  EXPECT_EQ(PostJson(c, "/v1/purposes/fleet/inferences/drowsiness", operator_, body)->status, 403);
  auto workplace = PostJson(c, "/v1/purposes/fleet/inferences/drowsiness", admin_,
                            {{"use", "workplace_monitoring"}, {"justification", body["justification"]}});
  ASSERT_EQ(workplace->status, 422) << workplace->body;
  REQUIREMENT("AN3");
  EXPECT_NE(Body(workplace)["message"].get<std::string>().find("driving_safety"), std::string::npos);
  auto on = PostJson(c, "/v1/purposes/fleet/inferences/drowsiness", admin_, body);
  ASSERT_EQ(on->status, 200) << on->body;
  EXPECT_EQ(Body(on)["in_force"], true);
  auto list = c.Get("/v1/purposes/fleet/inferences", Auth(operator_));
  ASSERT_EQ(list->status, 200) << list->body;
  ASSERT_EQ(Body(list)["inferences"].size(), 1u);
  EXPECT_EQ(Body(list)["inferences"][0]["use"], "driving_safety");
  EXPECT_EQ(Body(list)["inferences"][0]["in_force"], true);
  ASSERT_EQ(c.Post("/v1/purposes/fleet/inferences/drowsiness/off", Auth(admin_), "", "")->status, 200);
  EXPECT_EQ(c.Post("/v1/purposes/fleet/inferences/drowsiness/off", Auth(admin_), "", "")->status, 404);
  EXPECT_EQ(Body(c.Get("/v1/purposes/fleet/inferences", Auth(operator_)))["inferences"][0]["in_force"], false);
}

}  // namespace
}  // namespace facegate::server
