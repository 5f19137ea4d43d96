// Attacks on the REST API, sent as a lower role, a stolen device key or a hostile client would
// send them, against a real server on 127.0.0.1, a real Service on a temporary data directory,
// the pinned models and photos from the face data. Each test is named after the hole it keeps
// closed (docs/security.md lists them by number).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
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
using testing::Auth;
using testing::Body;
using testing::LogSink;

std::string Photo(const std::string& person, int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
  std::ifstream in(std::string(FACEGATE_FACEDATA) + "/lfw/" + person + "/" + person + buf, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Attack : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_ = new LogSink;
    ServerConfig sc;
    sc.threads = 4;
    sc.rate_per_second = 0;
    sc.log = log_->Fn();
    suite_.Open("attack-test", sc);
    ASSERT_NE(suite_.server, nullptr);
    svc_ = suite_.svc;
    keys_ = suite_.keys;
    server_ = suite_.server;
    admin_ = suite_.Key(Role::kAdmin);
    admin2_ = suite_.Key(Role::kAdmin);
    operator_ = suite_.Key(Role::kOperator);
    operator2_ = suite_.Key(Role::kOperator);
    device_ = suite_.Key(Role::kDevice, "gate-1", {"door", "door-enrol", "site", "pins"});
    // Purposes every test may use: door (verification), door-enrol (devices may enrol),
    // site (identification), pins (verification with a PIN alternative).
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    for (auto [name, scenario, alternative, device_enrol] :
         {std::tuple{"door", "verification", "staff-card", false},
          std::tuple{"door-enrol", "verification", "staff-card", true},
          std::tuple{"site", "identification", "staff-card", false},
          std::tuple{"pins", "verification", "pin", false}}) {
      json p = {{"name", name}, {"scenario", scenario}, {"retention_days", 365}, {"alternatives", {alternative}}};
      if (device_enrol) p["device_enrolment"] = true;
      auto r = c.Post("/v1/purposes", Auth(operator_), p.dump(), "application/json");
      ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
      std::ifstream in(std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-office-entry.md");
      std::ostringstream text;
      text << in.rdbuf();
      auto n = c.Post(std::string("/v1/purposes/") + name + "/notices", Auth(operator_),
                      json{{"text", text.str()}}.dump(), "application/json");
      ASSERT_TRUE(n && n->status == 201) << (n ? n->body : "no answer");
      ASSERT_TRUE(::facegate::testing::ApproveAssessmentInStore(svc_->store(), name).ok());  // REQ F1
      notice_[name] = json::parse(n->body)["notice_id"];
    }
  }
  static void TearDownTestSuite() {
    suite_.Close();
    delete log_;
  }

  static std::string Actor(const CreatedKey& k) { return "key:" + k.key.id; }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    return c;
  }
  httplib::Result PostJson(const std::string& path, const CreatedKey& k, const json& body) {
    auto c = Client();
    return c.Post(path, Auth(k), body.dump(), "application/json");
  }
  httplib::Result PostFace(const std::string& path, const CreatedKey& k, const std::string& subject,
                           const std::string& purpose, const std::string& image) {
    httplib::MultipartFormDataItems items = {{"purpose", purpose, "", ""}, {"image", image, "p.jpg", "image/jpeg"}};
    if (!subject.empty()) items.push_back({"subject", subject, "", ""});
    auto c = Client();
    return c.Post(path, Auth(k), items);
  }
  void Consent(const std::string& subject, const std::string& purpose) {
    auto r = PostJson("/v1/consents", operator_,
                      {{"subject", subject}, {"purpose", purpose}, {"notice_id", notice_[purpose]},
                       {"option", "always"}, {"method", "click"}});
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  }
  int64_t AuditCount() {
    auto c = svc_->VerifyAudit();
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->events : -1;
  }

  static inline testing::ApiSuite suite_;
  static inline service::Service* svc_ = nullptr;
  static inline ApiKeyStore* keys_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline LogSink* log_ = nullptr;
  static inline CreatedKey admin_, admin2_, operator_, operator2_, device_;
  static inline std::map<std::string, int64_t> notice_;
};

// ---- High 1: a child made an adult by declaring another birth date ----

TEST_F(Attack, M1_ADeclaredBirthDateIsNeverRewrittenOrClearedByADeclaration) {
  auto first = PostJson("/v1/subjects", operator_, {{"id", "K1"}, {"birth_date", "2015-06-01"}});
  ASSERT_EQ(first->status, 201) << first->body;
  EXPECT_TRUE(Body(first)["minor"].get<bool>());
  // Declaring the same date again changes nothing and is no error.
  EXPECT_EQ(PostJson("/v1/subjects", operator_, {{"id", "K1"}, {"birth_date", "2015-06-01"}})->status, 201);
  // An operator tries to make the child an adult, or to clear the date (treated as adult).
  for (const json& born : {json("1990-01-01"), json(nullptr), json("")}) {
    auto r = PostJson("/v1/subjects", operator_, {{"id", "K1"}, {"birth_date", born}});
    ASSERT_EQ(r->status, 422) << born << ": " << r->body;
    EXPECT_EQ(Body(r)["requirement"], "M1");
    EXPECT_NE(Body(r)["message"].get<std::string>().find("approval"), std::string::npos) << r->body;
  }
  EXPECT_EQ(*svc_->store().SubjectBirthDate("K1"), "2015-06-01");
  // So the Gate still asks for a guardian's consent.
  auto c = PostJson("/v1/consents", operator_,
                    {{"subject", "K1"}, {"purpose", "door"}, {"notice_id", notice_["door"]},
                     {"option", "always"}, {"method", "click"}});
  REQUIREMENT("M1");
  EXPECT_EQ(c->status, 422) << c->body;
  EXPECT_EQ(Body(c)["requirement"], "M1");
}

TEST_F(Attack, M1_ABirthDateChangesOnlyByAnAdminUnderAnotherPersonsApprovalOnce) {
  ASSERT_EQ(PostJson("/v1/subjects", operator_, {{"id", "K2"}, {"birth_date", "2014-02-02"}})->status, 201);
  const json change = {{"birth_date", "2004-02-02"}, {"reason", "year mistyped; checked on the ID card"}};
  // Not an operator's route at all.
  EXPECT_EQ(PostJson("/v1/subjects/K2/birth-date", operator_, change)->status, 403);
  EXPECT_EQ(PostJson("/v1/subjects/K2/birth-date/approvals", operator_,
                     {{"for", Actor(operator_)}, {"birth_date", "2004-02-02"}, {"reason", "x"}})
                ->status,
            403);
  // An admin alone cannot.
  auto alone = PostJson("/v1/subjects/K2/birth-date", admin_, change);
  ASSERT_EQ(alone->status, 422) << alone->body;
  EXPECT_EQ(Body(alone)["requirement"], "M1");
  // Nor approve their own change.
  auto self = PostJson("/v1/subjects/K2/birth-date/approvals", admin_,
                       {{"for", Actor(admin_)}, {"birth_date", "2004-02-02"}, {"reason", "ID card"}});
  EXPECT_EQ(self->status, 400) << self->body;
  // A second admin approves a date; another date is not covered.
  auto ok = PostJson("/v1/subjects/K2/birth-date/approvals", admin2_,
                     {{"for", Actor(admin_)}, {"birth_date", "2004-02-02"}, {"reason", "ID card seen"}});
  ASSERT_EQ(ok->status, 201) << ok->body;
  auto other = PostJson("/v1/subjects/K2/birth-date", admin_,
                        {{"birth_date", "1990-01-01"}, {"reason", "another date"}});
  EXPECT_EQ(other->status, 422) << other->body;
  auto changed = PostJson("/v1/subjects/K2/birth-date", admin_, change);
  ASSERT_EQ(changed->status, 200) << changed->body;
  EXPECT_FALSE(Body(changed)["minor"].get<bool>());
  // The approval is spent: going back needs a new one.
  auto again = PostJson("/v1/subjects/K2/birth-date", admin_,
                        {{"birth_date", "2004-02-02"}, {"reason", "again"}});
  EXPECT_EQ(again->status, 422) << again->body;
  // The change and its approval are on the audit chain with the reason.
  bool logged = false;
  auto events = svc_->store().ListAuditForSubject("K2", 0, 0);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  for (const AuditEvent& e : *events)
    if (e.action == "subject.birth_date.change" && e.outcome == "ok") {
      logged = true;
      EXPECT_EQ(e.actor, Actor(admin_));
      EXPECT_NE(e.detail.find("ID card"), std::string::npos) << e.detail;
      EXPECT_NE(e.detail.find("\"was_minor\":true"), std::string::npos) << e.detail;
    }
  EXPECT_TRUE(logged);
}

// ---- High 2: identity takeover by enrolment ----

TEST_F(Attack, SC1_AnotherPersonsFaceCannotBeAddedToAnEnrolledSubject) {
  Consent("T1", "door");
  ASSERT_EQ(PostFace("/v1/enrol", operator_, "T1", "door", Photo("Ai_Sugiyama", 1))->status, 201);
  // The attacker enrols their own face as a second template of T1...
  auto takeover = PostFace("/v1/enrol", operator_, "T1", "door", Photo("Alan_Greenspan", 1));
  REQUIREMENT("SC1");
  ASSERT_EQ(takeover->status, 422) << takeover->body;
  EXPECT_EQ(Body(takeover)["requirement"], "SC1");
  EXPECT_NE(Body(takeover)["message"].get<std::string>().find("correction"), std::string::npos);
  EXPECT_EQ(*svc_->store().CountTemplates("T1"), 1);
  // ...and so does not pass as T1.
  auto v = PostFace("/v1/verify", operator_, "T1", "door", Photo("Alan_Greenspan", 2));
  ASSERT_EQ(v->status, 200) << v->body;
  EXPECT_FALSE(Body(v)["match"].get<bool>());
  // The person's own second photo is still welcome.
  EXPECT_EQ(PostFace("/v1/enrol", operator_, "T1", "door", Photo("Ai_Sugiyama", 2))->status, 201);
  EXPECT_EQ(*svc_->store().CountTemplates("T1"), 2);
}

TEST_F(Attack, DeviceKeysVerifyButEnrolOnlyWhereThePurposeAllowsIt) {
  Consent("T2", "door");
  auto denied = PostFace("/v1/enrol", device_, "T2", "door", Photo("Ai_Sugiyama", 1));
  ASSERT_EQ(denied->status, 403) << denied->body;
  EXPECT_NE(Body(denied)["message"].get<std::string>().find("device_enrolment"), std::string::npos);
  EXPECT_EQ(*svc_->store().CountTemplates("T2"), 0);
  Consent("T2", "door-enrol");
  auto allowed = PostFace("/v1/enrol", device_, "T2", "door-enrol", Photo("Ai_Sugiyama", 1));
  EXPECT_EQ(allowed->status, 201) << allowed->body;
  auto c = Client();
  auto p = c.Get("/v1/purposes/door-enrol", Auth(operator_));
  EXPECT_TRUE(Body(p)["purpose"]["device_enrolment"].get<bool>()) << p->body;
  EXPECT_FALSE(Body(c.Get("/v1/purposes/door", Auth(operator_)))["purpose"]["device_enrolment"].get<bool>());
}

TEST_F(Attack, R1_CorrectionNeedsTheRequestOnRecordApprovedByASecondPerson) {
  Consent("T3", "door");
  ASSERT_EQ(PostFace("/v1/enrol", operator_, "T3", "door", Photo("Ai_Sugiyama", 1))->status, 201);
  auto correct = [&](const CreatedKey& k, int64_t request) {
    httplib::MultipartFormDataItems items = {{"purpose", "door", "", ""},
                                             {"image", Photo("Alan_Greenspan", 1), "p.jpg", "image/jpeg"}};
    if (request) items.push_back({"request", std::to_string(request), "", ""});
    auto c = Client();
    return c.Post("/v1/subjects/T3/correct", Auth(k), items);
  };
  // On the spot, with no request on record: refused.
  auto spot = correct(operator_, 0);
  ASSERT_EQ(spot->status, 422) << spot->body;
  EXPECT_EQ(Body(spot)["requirement"], "R1");
  auto req = PostJson("/v1/rights", operator_, {{"subject", "T3"}, {"kind", "correction"}, {"purpose", "door"}});
  ASSERT_EQ(req->status, 201) << req->body;
  const int64_t id = Body(req)["request"]["id"];
  // Recorded but not approved, or approved by the same key that corrects: refused.
  EXPECT_EQ(correct(operator_, id)->status, 422);
  ASSERT_EQ(PostJson("/v1/rights/" + std::to_string(id) + "/approve", operator_, {{"reason", "me"}})->status, 201);
  EXPECT_EQ(correct(operator_, id)->status, 422);
  EXPECT_EQ(*svc_->store().CountTemplates("T3"), 1);
  // A second person approves: the new face replaces the old one.
  ASSERT_EQ(PostJson("/v1/rights/" + std::to_string(id) + "/approve", operator2_,
                     {{"reason", "ID card checked at the desk"}})
                ->status,
            201);
  auto done = correct(operator_, id);
  REQUIREMENT("R1");
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_EQ(Body(done)["templates_replaced"], 1);
  // A device key is no rights handler.
  EXPECT_EQ(PostJson("/v1/rights/" + std::to_string(id) + "/approve", device_, {{"reason", "x"}})->status, 403);
}

// ---- Medium 3: the score oracle ----

TEST_F(Attack, DevicesGetTheDecisionOnlyAndUnknownNamesNoDistance) {
  Consent("T4", "door");
  ASSERT_EQ(PostFace("/v1/enrol", operator_, "T4", "door", Photo("Ai_Sugiyama", 1))->status, 201);
  auto dev = PostFace("/v1/verify", device_, "T4", "door", Photo("Ai_Sugiyama", 2));
  ASSERT_EQ(dev->status, 200) << dev->body;
  json d = Body(dev);
  EXPECT_TRUE(d["match"].get<bool>());
  EXPECT_FALSE(d.contains("distance")) << dev->body;
  EXPECT_FALSE(d.contains("threshold")) << dev->body;
  EXPECT_TRUE(d.contains("alternatives"));
  // An admin (and the audit log) still see what the decision rested on.
  json a = Body(PostFace("/v1/verify", admin_, "T4", "door", Photo("Ai_Sugiyama", 2)));
  EXPECT_TRUE(a["distance"].is_number()) << a.dump();
  // 1:N: "unknown" says nothing of how near the nearest member came, to a device or an operator.
  Consent("T4", "site");
  ASSERT_EQ(PostFace("/v1/enrol", operator_, "T4", "site", Photo("Ai_Sugiyama", 1))->status, 201);
  for (const CreatedKey* k : {&device_, &operator_}) {
    auto u = PostFace("/v1/identify", *k, "", "site", Photo("Alan_Greenspan", 1));
    ASSERT_EQ(u->status, 200) << u->body;
    json j = Body(u);
    EXPECT_FALSE(j["identified"].get<bool>());
    EXPECT_TRUE(!j.contains("distance") || j["distance"].is_null()) << u->body;
  }
  auto known = Body(PostFace("/v1/identify", device_, "", "site", Photo("Ai_Sugiyama", 2)));
  EXPECT_TRUE(known["identified"].get<bool>()) << known.dump();
  EXPECT_EQ(known["subject"], "T4");
  EXPECT_FALSE(known.contains("distance")) << known.dump();
  EXPECT_FALSE(known.contains("scope_size")) << known.dump();
}

// ---- Medium 4: a device overriding the PIN, card and QR checks; online guessing ----

TEST_F(Attack, A4_DevicesCannotCompleteAnAlternativeByHandAndPinGuessingLocks) {
  ASSERT_EQ(PostJson("/v1/purposes/pins/connectors", admin_, {{"method", "pin"}, {"kind", "pin"}})->status, 200);
  auto reg = PostJson("/v1/alternatives/credentials", operator_,
                      {{"subject", "T5"}, {"purpose", "pins"}, {"method", "pin"}, {"secret", "482193"}});
  ASSERT_EQ(reg->status, 200) << reg->body;
  auto open = [&](const std::string& session) {
    auto t = PostJson("/v1/alternatives", device_,
                      {{"subject", "T5"}, {"purpose", "pins"}, {"method", "pin"}, {"session", session}});
    EXPECT_EQ(t->status, 201) << t->body;
    return Body(t)["transaction"].get<int64_t>();
  };
  const int64_t t1 = open("gate-1:1");
  // The stolen device key declares the check passed: refused; an operator may decide by hand.
  auto forged = PostJson("/v1/alternatives/" + std::to_string(t1) + "/complete", device_, {{"outcome", "granted"}});
  EXPECT_EQ(forged->status, 403) << forged->body;
  // Guessing: 3 wrong PINs close a transaction; a new transaction does not reset the count.
  auto present = [&](int64_t t, const std::string& pin) {
    return PostJson("/v1/alternatives/" + std::to_string(t) + "/present", device_, {{"credential", pin}});
  };
  for (const char* pin : {"000000", "111111", "222222"}) EXPECT_EQ(present(t1, pin)->status, 200);
  const int64_t t2 = open("gate-1:2");
  for (const char* pin : {"333333", "444444"}) EXPECT_EQ(present(t2, pin)->status, 200);
  auto locked = present(t2, "482193");  // even the right PIN, once locked
  ASSERT_EQ(locked->status, 409) << locked->body;
  EXPECT_NE(Body(locked)["message"].get<std::string>().find("locked"), std::string::npos);
  // Staff can still let the person through.
  EXPECT_EQ(PostJson("/v1/alternatives/" + std::to_string(t2) + "/complete", operator_, {{"outcome", "granted"}})
                ->status,
            200);
}

// ---- Medium 5: unauthenticated requests wrote the audit chain ----

TEST_F(Attack, S6_UnauthenticatedRequestsAreCountedNotChainedAndTheirLogIsRateLimited) {
  const int64_t before = AuditCount();
  const size_t lines_before = log_->Copy().size();
  auto c = Client();
  for (int i = 0; i < 60; ++i) {
    auto r = i % 2 ? c.Get("/v1/audit") : c.Get("/v1/audit", {{"Authorization", "Bearer fgk_not-a-key"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 401);
  }
  EXPECT_EQ(AuditCount(), before) << "401s grew the audit chain";
  const size_t logged = log_->Copy().size() - lines_before;
  EXPECT_GE(logged, 1u);
  EXPECT_LE(logged, 30u) << "each 401 wrote a log line";
  // An authenticated refusal is still on the chain.
  REQUIREMENT("S6");
  EXPECT_EQ(c.Get("/v1/audit", Auth(device_))->status, 403);
  EXPECT_EQ(AuditCount(), before + 1);
}

// ---- Medium 6: one bad URL broke the audit log for good ----

TEST_F(Attack, S6_InvalidUtf8AnywhereIsA400NamingThePartAndTheAuditStaysReadable) {
  auto c = Client();
  auto url = c.Get("/v1/purposes/%FF/notice", Auth(operator_));
  ASSERT_EQ(url->status, 400) << url->body;
  EXPECT_NE(Body(url)["message"].get<std::string>().find("URL path"), std::string::npos) << url->body;
  auto query = c.Get("/v1/rights?subject=%C3%28", Auth(operator_));
  ASSERT_EQ(query->status, 400) << query->body;
  EXPECT_NE(Body(query)["message"].get<std::string>().find("subject"), std::string::npos) << query->body;
  httplib::MultipartFormDataItems items = {{"subject", "T6\xff", "", ""},
                                           {"purpose", "door", "", ""},
                                           {"image", Photo("Ai_Sugiyama", 1), "p.jpg", "image/jpeg"}};
  auto field = c.Post("/v1/verify", Auth(operator_), items);
  ASSERT_EQ(field->status, 400) << field->body;
  EXPECT_NE(Body(field)["message"].get<std::string>().find("\"subject\""), std::string::npos) << field->body;
  // Every page of the audit log still reads, and the chain is intact.
  for (int page = 1;; ++page) {
    auto a = c.Get("/v1/audit?size=500&page=" + std::to_string(page), Auth(admin_));
    ASSERT_EQ(a->status, 200) << "page " << page << ": " << a->body;
    json j = Body(a);
    if (j["items"].empty()) break;
  }
  EXPECT_TRUE(Body(c.Get("/v1/audit/verify", Auth(admin_)))["intact"].get<bool>());
}

// ---- Low: %0A forging server log lines ----

TEST_F(Attack, S6_ControlCharactersInAUrlCannotForgeAServerLogLine) {
  auto c = Client();
  // The route matches, so the request is served and logged: its line must stay one line.
  auto r = c.Get("/v1/purposes/x%0D%0AFORGED%20200%20key:admin/notice", Auth(operator_));
  ASSERT_TRUE(r);
  bool escaped = false;
  for (const std::string& l : log_->Copy()) {
    EXPECT_EQ(l.find('\n'), std::string::npos) << l;
    EXPECT_EQ(l.find('\r'), std::string::npos) << l;
    EXPECT_NE(l.rfind("FORGED", 0), 0u) << l;
    escaped |= l.find("x\\x0D\\x0AFORGED") != std::string::npos;
  }
  EXPECT_TRUE(escaped) << "the request's line was not logged with its control characters escaped";
}

// REQ D3 over HTTP: a 1:N non-match leaves its distance nowhere. An admin is told it in the
// answer; the server's log and the audit details never hold it.
TEST_F(Attack, D3_AnUnknownFaceOverHttpLeavesItsDistanceNeitherInTheServerLogNorInTheAudit) {
  Consent("D3-member", "site");
  ASSERT_EQ(PostFace("/v1/enrol", operator_, "D3-member", "site", Photo("Ai_Sugiyama", 1))->status, 201);
  const size_t lines_before = log_->Copy().size();
  auto before = svc_->ListAudit(0, 0);
  ASSERT_TRUE(before.ok());
  auto r = PostFace("/v1/identify", admin_, "", "site", Photo("Alan_Greenspan", 1));
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Body(r);
  REQUIREMENT("D3");
  ASSERT_EQ(j["identified"], false) << r->body;
  ASSERT_TRUE(j["distance"].is_number()) << "an admin is told the distance: " << r->body;
  const std::string distance = j["distance"].dump().substr(0, 6);  // "0.9123": 4 decimals
  const std::vector<std::string> lines = log_->Copy();
  ASSERT_GT(lines.size(), lines_before) << "the identification was not logged at all";
  for (const std::string& l : lines) {
    EXPECT_EQ(l.find(distance), std::string::npos) << l;
    EXPECT_EQ(l.find("distance"), std::string::npos) << l;
  }
  // The events this identification wrote (earlier tests of the suite may have compared the same
  // two photos 1:1, which records its distance by design).
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_GT(events->size(), before->size());
  for (size_t i = before->size(); i < events->size(); ++i)
    EXPECT_EQ((*events)[i].detail.find(distance), std::string::npos) << (*events)[i].action << ": " << (*events)[i].detail;
}

// ---- Medium 11: k-anonymity defeated by sending one photo k times ----

TEST_F(Attack, AN2_OnePhotoSentKTimesNeverMakesAGroupOfK) {
  auto r = PostJson("/v1/purposes", operator_,
                    {{"name", "count"}, {"scenario", "analysis"}, {"retention_days", 365}, {"alternatives", {"manual-count"}},
                     {"legal_basis", "other_law"},
                     {"basis_justification", "Fire Protection Law of the PRC, art. 28: the venue keeps crowd "
                                             "numbers within its certified capacity"}});
  ASSERT_EQ(r->status, 201) << r->body;
  std::ifstream in(std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-shop-count.md");
  std::ostringstream text;
  text << in.rdbuf();
  ASSERT_EQ(PostJson("/v1/purposes/count/notices", operator_, {{"text", text.str()}})->status, 201);
  ASSERT_TRUE(::facegate::testing::ApproveAssessmentInStore(svc_->store(), "count").ok());  // REQ F1
  auto c = Client();
  httplib::MultipartFormDataItems same = {{"purpose", "count", "", ""}, {"k", "3", "", ""}};
  for (int i = 0; i < 5; ++i) same.push_back({"image", Photo("Ai_Sugiyama", 1), "p.jpg", "image/jpeg"});
  auto a = c.Post("/v1/analyze", Auth(operator_), same);
  ASSERT_EQ(a->status, 200) << a->body;
  json j = Body(a);
  REQUIREMENT("AN2");
  EXPECT_FALSE(j.contains("counts")) << "an answer carries no counts; the window releases them: " << a->body;
  EXPECT_TRUE(j["faces"].is_null()) << a->body;
  EXPECT_EQ(j["repeated_faces"], 4) << a->body;
  // The same picture sent one request at a time counts once too, within the window and after it.
  for (int i = 0; i < 3; ++i) {
    httplib::MultipartFormDataItems one = {{"purpose", "count", "", ""}, {"k", "3", "", ""}};
    one.push_back({"image", Photo("Ai_Sugiyama", 1), "p.jpg", "image/jpeg"});
    json o = Body(c.Post("/v1/analyze", Auth(operator_), one));
    EXPECT_EQ(o["repeated_faces"], 1) << o.dump();
  }
  // Different people still count as different faces; the one already counted does not.
  httplib::MultipartFormDataItems many = {{"purpose", "count", "", ""}, {"k", "3", "", ""}};
  for (const char* who : {"Ai_Sugiyama", "Alan_Greenspan", "Angela_Bassett", "Ben_Affleck"})
    many.push_back({"image", Photo(who, 1), "p.jpg", "image/jpeg"});
  json m = Body(c.Post("/v1/analyze", Auth(operator_), many));
  EXPECT_EQ(m["faces"], 3) << m.dump();
  EXPECT_EQ(m["repeated_faces"], 1) << m.dump();
  // The window's statistics show its size while it is open, never a count.
  auto stats = c.Get("/v1/purposes/count/statistics", Auth(operator_));
  ASSERT_EQ(stats->status, 200) << stats->body;
  ASSERT_EQ(Body(stats)["windows"].size(), 1u) << stats->body;
  EXPECT_EQ(Body(stats)["windows"][0]["released"], false);
  EXPECT_TRUE(Body(stats)["windows"][0]["counts"].empty());
  EXPECT_EQ(Body(stats)["windows"][0]["requests"], 5);
}

// ---- Medium 12: exhaustion ----

// A client that sends a verify's headers announcing a 16 MiB body, then one byte every 300 ms.
// Returns the status line the server answered with ("" if none within `limit`).
std::string Trickle(int port, const std::string& secret, std::chrono::seconds limit) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  const std::string head = "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + secret +
                           "\r\nContent-Type: application/json\r\nContent-Length: 16000000\r\n\r\n{";
  ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  timeval tv{0, 300'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto end = std::chrono::steady_clock::now() + limit;
  std::string answer;
  char buf[512];
  while (std::chrono::steady_clock::now() < end) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      answer.append(buf, static_cast<size_t>(n));
      if (answer.find("\r\n") != std::string::npos) break;
      continue;
    }
    if (n == 0) break;  // closed
    if (::send(fd, " ", 1, MSG_NOSIGNAL) != 1) break;
  }
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

TEST_F(Attack, EightTricklingClientsDoNotStopAVerifyAndAreCutOffAtTheDeadline) {
  Consent("T7", "door");
  ASSERT_EQ(PostFace("/v1/enrol", operator_, "T7", "door", Photo("Ai_Sugiyama", 1))->status, 201);
  ServerConfig sc;  // the defaults a deployment gets, but a short deadline to keep the test short
  sc.port = 0;
  sc.rate_per_second = 0;
  sc.request_deadline_s = 4;
  sc.log = log_->Fn();
  auto srv = Server::Create(*svc_, *keys_, sc);
  ASSERT_TRUE(srv.ok()) << srv.status().ToString();
  ASSERT_TRUE((*srv)->Start().ok());
  const int port = (*srv)->port();
  std::vector<std::string> answers(8);
  std::vector<std::thread> tricklers;
  for (size_t i = 0; i < answers.size(); ++i)
    tricklers.emplace_back([&, i] { answers[i] = Trickle(port, operator_.secret, std::chrono::seconds(12)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // all eight are trickling now
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  const auto t0 = std::chrono::steady_clock::now();
  httplib::MultipartFormDataItems items = {{"subject", "T7", "", ""},
                                           {"purpose", "door", "", ""},
                                           {"image", Photo("Ai_Sugiyama", 2), "p.jpg", "image/jpeg"}};
  auto v = c.Post("/v1/verify", Auth(operator_), items);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(v) << "the verify got no answer while eight clients trickled";
  EXPECT_EQ(v->status, 200) << v->body;
  EXPECT_TRUE(Body(v)["match"].get<bool>());
  for (auto& t : tricklers) t.join();
  for (const std::string& a : answers)
    EXPECT_NE(a.find(" 408"), std::string::npos) << "a trickling client was not cut off at the deadline: '" << a << "'";
  std::cout << "verify answered in " << waited << " s while 8 clients trickled" << std::endl;
  (*srv)->Stop();
}

TEST_F(Attack, DecodeWorkIsBoundedPerCallAndPerKey) {
  // One call: at most 64 photos, and their pixels summed from the headers.
  auto c = Client();
  json many = {{"purpose", "count"}, {"k", 5}, {"images_base64", json::array()}};
  for (int i = 0; i < 65; ++i) many["images_base64"].push_back("aGVsbG8=");
  auto r = c.Post("/v1/analyze", Auth(operator_), many.dump(), "application/json");
  ASSERT_EQ(r->status, 400) << r->body;
  EXPECT_NE(Body(r)["message"].get<std::string>().find("at most 64"), std::string::npos) << r->body;
  // Per key: a key that sends more pixels than it may have decoded gets 429 before decoding.
  ServerConfig sc;
  sc.port = 0;
  sc.rate_per_second = 0;
  sc.pixels_per_second = 100'000;  // 0.1 MP/s, burst 0.4 MP: one 250x250 photo is 0.0625 MP
  sc.log = log_->Fn();
  auto srv = Server::Create(*svc_, *keys_, sc);
  ASSERT_TRUE(srv.ok());
  ASSERT_TRUE((*srv)->Start().ok());
  httplib::Client small("127.0.0.1", (*srv)->port());
  small.set_read_timeout(60, 0);
  Consent("T8", "door");
  int limited = 0;
  for (int i = 0; i < 10 && !limited; ++i) {
    httplib::MultipartFormDataItems items = {{"subject", "T8", "", ""},
                                             {"purpose", "door", "", ""},
                                             {"image", Photo("Ai_Sugiyama", 2), "p.jpg", "image/jpeg"}};
    auto v = small.Post("/v1/verify", Auth(operator2_), items);
    ASSERT_TRUE(v);
    if (v->status == 429) {
      ++limited;
      EXPECT_TRUE(v->has_header("Retry-After"));
      EXPECT_NE(Body(v)["message"].get<std::string>().find("pixels"), std::string::npos) << v->body;
    }
  }
  EXPECT_EQ(limited, 1) << "ten photos past the key's pixel budget were all decoded";
  (*srv)->Stop();
}

// ---- Keep them closed: every route, every role and no key, as one table says ----

// x-roles of each operation in docs/openapi.yaml: "METHOD /path" -> roles ("public": no key).
std::map<std::string, std::set<std::string>> OpenApiRoles() {
  std::ifstream in(std::string(FACEGATE_SOURCE_DIR) + "/docs/openapi.yaml");
  std::map<std::string, std::set<std::string>> out;
  std::string line, path, method;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ') in_paths = line.rfind("paths:", 0) == 0;
    if (!in_paths) continue;
    if (line.rfind("  /", 0) == 0) path = line.substr(2, line.find(':', 2) - 2);
    for (const char* m : {"get", "post"})
      if (line == std::string("    ") + m + ":") method = m[0] == 'g' ? "GET" : "POST";
    const std::string tag = "      x-roles: [";
    if (line.rfind(tag, 0) != 0) continue;
    std::set<std::string> roles;
    std::stringstream list(line.substr(tag.size(), line.find(']') - tag.size()));
    for (std::string r; std::getline(list, r, ',');) roles.insert(r.substr(r.find_first_not_of(' ')));
    out[method + " " + path] = roles;
  }
  return out;
}

TEST_F(Attack, S6_EveryRouteAnswersEveryRoleAsTheRoleTableAndTheOpenApiFileSay) {
  const auto stated = OpenApiRoles();
  const std::vector<std::pair<std::string, const CreatedKey*>> callers = {
      {"admin", &admin_}, {"operator", &operator_}, {"auditor", nullptr}, {"device", &device_}};
  auto auditor = keys_->Create(Role::kAuditor, "", {}, 1'700'000'000);
  ASSERT_TRUE(auditor.ok());
  int checked = 0;
  REQUIREMENT("S6");
  for (const RouteInfo& r : Routes()) {
    const std::string op = r.method + " " + r.path;
    // The table (RoleAllows over the route's group) and the OpenAPI file say the same.
    std::set<std::string> allowed;
    if (r.access == Access::kPublic) allowed = {"public"};
    for (auto [name, role] : {std::pair{"admin", Role::kAdmin}, {"operator", Role::kOperator},
                              {"auditor", Role::kAuditor}, {"device", Role::kDevice}})
      if (r.access != Access::kPublic && RoleAllows(role, r.access)) allowed.insert(name);
    ASSERT_TRUE(stated.count(op)) << op << " has no x-roles in docs/openapi.yaml";
    EXPECT_EQ(stated.at(op), allowed) << op << ": docs/openapi.yaml's x-roles differ from the role table";
    // And the server answers so: a filled-in path, a JSON body that is an empty object.
    std::string path = r.path;
    for (auto [param, value] : {std::pair{"{name}", "door"}, {"{purpose}", "door"}, {"{id}", "999"}})
      for (size_t at; (at = path.find(param)) != std::string::npos;) path.replace(at, std::string(param).size(), value);
    auto send = [&](const httplib::Headers& h) {
      auto c = Client();
      return r.method == "GET" ? c.Get(path, h) : c.Post(path, h, "{}", "application/json");
    };
    auto anonymous = send({});
    ASSERT_TRUE(anonymous) << op;
    if (r.access == Access::kPublic)
      EXPECT_NE(anonymous->status, 401) << op;
    else
      EXPECT_EQ(anonymous->status, 401) << op << " answered a call without a key";
    for (auto [name, key] : callers) {
      const CreatedKey& k = key ? *key : *auditor;
      auto res = send(Auth(k));
      ASSERT_TRUE(res) << op << " as " << name;
      const bool refused_by_role =
          res->status == 403 && res->body.find("may not call") != std::string::npos;
      EXPECT_NE(res->status, 401) << op << " as " << name;
      if (r.access == Access::kPublic || allowed.count(name))
        EXPECT_FALSE(refused_by_role) << op << " refused role " << name << ": " << res->body;
      else
        EXPECT_TRUE(refused_by_role) << op << " let role " << name << " through: " << res->status << " " << res->body;
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(Routes().size()) * 4);
}

}  // namespace
}  // namespace facegate::server
