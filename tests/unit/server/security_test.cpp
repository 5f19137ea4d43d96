// Attacks on the REST API, sent as a lower role, a stolen device key or a hostile client would
// send them, against a real server on 127.0.0.1, a real Service on a temporary data directory,
// the pinned models and photos from the face data. Each test is named after the hole it keeps
// closed (docs/security.md lists them by number).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server/server.h"

namespace facegate::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string Photo(const std::string& person, int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
  std::ifstream in(std::string(FACEGATE_FACEDATA) + "/lfw/" + person + "/" + person + buf, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Lines {
  std::mutex mu;
  std::vector<std::string> all;
  std::function<void(const std::string&)> Fn() {
    return [this](const std::string& l) {
      std::lock_guard<std::mutex> lock(mu);
      all.push_back(l);
    };
  }
  std::vector<std::string> Copy() {
    std::lock_guard<std::mutex> lock(mu);
    return all;
  }
};

class Attack : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(sodium_init(), 0);
    dir_ = fs::temp_directory_path() / ("facegate-attack-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    service::Config cfg;
    cfg.data_dir = dir_.string();
    cfg.model_dir = FACEGATE_MODELS;
    cfg.lock_file = FACEGATE_LOCK;
    auto s = service::Service::Open(cfg);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value().release();
    auto k = ApiKeyStore::Open(dir_.string() + "/apikeys.db");
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    keys_ = std::move(k).value().release();
    auto make = [](Role r, const std::string& dev, std::vector<std::string> ps) {
      auto c = keys_->Create(r, dev, ps, 1'700'000'000);
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      return *c;
    };
    admin_ = make(Role::kAdmin, "", {});
    admin2_ = make(Role::kAdmin, "", {});
    operator_ = make(Role::kOperator, "", {});
    operator2_ = make(Role::kOperator, "", {});
    device_ = make(Role::kDevice, "gate-1", {"door", "door-enrol", "site", "pins"});
    log_ = new Lines;
    ServerConfig sc;
    sc.port = 0;
    sc.threads = 4;
    sc.rate_per_second = 0;
    sc.log = log_->Fn();
    auto srv = Server::Create(*svc_, *keys_, sc);
    ASSERT_TRUE(srv.ok()) << srv.status().ToString();
    server_ = std::move(srv).value().release();
    ASSERT_TRUE(server_->Start().ok());
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
      notice_[name] = json::parse(n->body)["notice_id"];
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete keys_;
    delete svc_;
    delete log_;
    fs::remove_all(dir_);
  }

  static httplib::Headers Auth(const CreatedKey& k) { return {{"Authorization", "Bearer " + k.secret}}; }
  static std::string Actor(const CreatedKey& k) { return "key:" + k.key.id; }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    return c;
  }
  static json Body(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false) : json(); }

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

  static inline fs::path dir_;
  static inline service::Service* svc_ = nullptr;
  static inline ApiKeyStore* keys_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline Lines* log_ = nullptr;
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

// ---- Medium 11: k-anonymity defeated by sending one photo k times ----

TEST_F(Attack, AN2_OnePhotoSentKTimesNeverMakesAGroupOfK) {
  auto r = PostJson("/v1/purposes", operator_,
                    {{"name", "count"}, {"scenario", "analysis"}, {"retention_days", 1}, {"alternatives", {"manual-count"}}});
  ASSERT_EQ(r->status, 201) << r->body;
  std::ifstream in(std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-office-entry.md");
  std::ostringstream text;
  text << in.rdbuf();
  ASSERT_EQ(PostJson("/v1/purposes/count/notices", operator_, {{"text", text.str()}})->status, 201);
  auto c = Client();
  httplib::MultipartFormDataItems same = {{"purpose", "count", "", ""}, {"k", "3", "", ""}};
  for (int i = 0; i < 5; ++i) same.push_back({"image", Photo("Ai_Sugiyama", 1), "p.jpg", "image/jpeg"});
  auto a = c.Post("/v1/analyze", Auth(operator_), same);
  ASSERT_EQ(a->status, 200) << a->body;
  json j = Body(a);
  EXPECT_TRUE(j["counts"].empty()) << "one person's attributes shown as a group: " << a->body;
  EXPECT_TRUE(j["faces"].is_null()) << a->body;
  EXPECT_EQ(j["repeated_faces"], 4) << a->body;
  // Different people still count as different faces.
  httplib::MultipartFormDataItems many = {{"purpose", "count", "", ""}, {"k", "3", "", ""}};
  for (const char* who : {"Ai_Sugiyama", "Alan_Greenspan", "Angela_Bassett", "Ben_Affleck"})
    many.push_back({"image", Photo(who, 1), "p.jpg", "image/jpeg"});
  json m = Body(c.Post("/v1/analyze", Auth(operator_), many));
  EXPECT_EQ(m["faces"], 4) << m.dump();
  EXPECT_EQ(m["repeated_faces"], 0) << m.dump();
}

}  // namespace
}  // namespace facegate::server
