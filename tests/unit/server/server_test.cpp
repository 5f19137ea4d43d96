// The REST API against a real server on 127.0.0.1 (ephemeral port), a real Service
// on a temporary data directory, the pinned models and photos from the face data.
#include "server/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "server/rate_limit.h"
#include "api_suite.h"
#include "../../support/assessment.h"
#include "../../support/requirement.h"

namespace facegate::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Base64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

const std::string kFaces = std::string(FACEGATE_FACEDATA) + "/lfw/";
const std::string kA1 = kFaces + "Ai_Sugiyama/Ai_Sugiyama_0001.jpg";
const std::string kA2 = kFaces + "Ai_Sugiyama/Ai_Sugiyama_0002.jpg";

std::string FirstPhotoOf(const std::string& person) {
  std::vector<std::string> v;
  for (auto& e : fs::directory_iterator(kFaces + person)) v.push_back(e.path().string());
  std::sort(v.begin(), v.end());
  return v.front();
}

using testing::LogSink;

// One Service and key store for the suite (models load once); servers per test as needed.
class Api : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_ = new LogSink;
    ServerConfig sc;
    sc.threads = 4;
    sc.rate_per_second = 0;  // unlimited here; RateLimitAnswers429 uses its own server
    sc.log = log_->Fn();
    suite_.Open("server-test", sc);
    ASSERT_NE(suite_.server, nullptr);
    dir_ = suite_.dir;
    svc_ = suite_.svc;
    keys_ = suite_.keys;
    server_ = suite_.server;
    for (CreatedKey* k : {&admin_, &operator_, &auditor_, &device_}) {
      const Role role = k == &admin_ ? Role::kAdmin : k == &operator_ ? Role::kOperator
                        : k == &auditor_ ? Role::kAuditor : Role::kDevice;
      *k = role == Role::kDevice ? suite_.Key(role, "gate-1", {"office-entry"}) : suite_.Key(role);
      secrets_.push_back(k->secret);
    }
  }
  static void TearDownTestSuite() {
    suite_.Close();
    delete log_;
  }

  static httplib::Headers Auth(const CreatedKey& k) {
    return {{"Authorization", "Bearer " + k.secret}};
  }
  httplib::Client Client(int port = 0) {
    httplib::Client c("127.0.0.1", port ? port : server_->port());
    c.set_read_timeout(60, 0);
    return c;
  }
  static json Body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

  // A purpose with a notice, and a consent for `subject`; returns the notice id.
  int64_t Prepare(httplib::Client& c, const std::string& purpose, const std::string& subject,
                  const std::string& option = "always") {
    auto r = c.Post(
        "/v1/purposes", Auth(operator_),
        json{{"name", purpose}, {"retention_days", 365}, {"alternatives", {"staff-card"}}}.dump(),
        "application/json");
    EXPECT_TRUE(r && (r->status == 201 || r->status == 409)) << (r ? r->body : "no response");
    std::string text =
        ReadAll(std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-office-entry.md");
    auto n = c.Post("/v1/purposes/" + purpose + "/notices", Auth(operator_),
                    json{{"text", text}}.dump(), "application/json");
    EXPECT_EQ(n->status, 201) << n->body;
    EXPECT_TRUE(::facegate::testing::ApproveAssessmentInStore(svc_->store(), purpose).ok());  // REQ F1
    int64_t nid = Body(n)["notice_id"];
    auto g = c.Post("/v1/consents", Auth(operator_),
                    json{{"subject", subject},
                         {"purpose", purpose},
                         {"notice_id", nid},
                         {"option", option},
                         {"method", "click"}}
                        .dump(),
                    "application/json");
    EXPECT_EQ(g->status, 201) << g->body;
    return nid;
  }

  static inline testing::ApiSuite suite_;
  static inline fs::path dir_;
  static inline service::Service* svc_ = nullptr;
  static inline ApiKeyStore* keys_ = nullptr;
  static inline Server* server_ = nullptr;
  static inline LogSink* log_ = nullptr;
  static inline CreatedKey admin_, operator_, auditor_, device_;
  static inline std::vector<std::string> secrets_;
};

// ---- the contract: docs/openapi.yaml and the served routes are the same set ----

std::set<std::string> OpenApiOperations() {
  std::ifstream in(std::string(FACEGATE_SOURCE_DIR) + "/docs/openapi.yaml");
  std::set<std::string> ops;
  std::string line, path;
  bool in_paths = false;
  auto indent = [](const std::string& l) { return l.find_first_not_of(' '); };
  while (std::getline(in, line)) {
    if (line.empty() || line.find_first_not_of(' ') == std::string::npos) continue;
    if (indent(line) == 0) {
      in_paths = line.rfind("paths:", 0) == 0;
      continue;
    }
    if (!in_paths) continue;
    if (indent(line) == 2 && line[2] == '/') {
      path = line.substr(2, line.find(':', 2) - 2);
    } else if (indent(line) == 4 && !path.empty()) {
      std::string m = line.substr(4, line.find(':') - 4);
      for (const char* verb : {"get", "post", "put", "delete", "patch"})
        if (m == verb) {
          std::string up = m;
          for (char& ch : up) ch = static_cast<char>(toupper(ch));
          ops.insert(up + " " + path);
        }
    }
  }
  return ops;
}

TEST(OpenApi, EveryServedRouteIsDescribedAndEveryDescribedRouteIsServed) {
  std::set<std::string> served;
  for (const RouteInfo& r : Routes()) served.insert(r.method + " " + r.path);
  std::set<std::string> described = OpenApiOperations();
  ASSERT_FALSE(described.empty()) << "no paths read from docs/openapi.yaml";
  for (const auto& s : served)
    EXPECT_TRUE(described.count(s)) << s << " is served but not in docs/openapi.yaml";
  for (const auto& d : described)
    EXPECT_TRUE(served.count(d)) << d << " is in docs/openapi.yaml but not served";
}

TEST(Roles, MatrixIsAdminAllOperatorDayToDayAuditorAuditDeviceFaceOnly) {
  for (Access a : {Access::kPurposes, Access::kConsents, Access::kFace, Access::kAudit})
    EXPECT_TRUE(RoleAllows(Role::kAdmin, a));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Access::kPurposes));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Access::kConsents));
  EXPECT_TRUE(RoleAllows(Role::kOperator, Access::kFace));
  EXPECT_FALSE(RoleAllows(Role::kOperator, Access::kAudit));
  EXPECT_TRUE(RoleAllows(Role::kAuditor, Access::kAudit));
  EXPECT_FALSE(RoleAllows(Role::kAuditor, Access::kFace));
  EXPECT_FALSE(RoleAllows(Role::kAuditor, Access::kPurposes));
  EXPECT_TRUE(RoleAllows(Role::kDevice, Access::kFace));
  EXPECT_FALSE(RoleAllows(Role::kDevice, Access::kConsents));
  EXPECT_FALSE(RoleAllows(Role::kDevice, Access::kAudit));
}

TEST(RateLimit, BucketEmptiesThenRefillsAtTheRate) {
  RateLimiter rl(2, 3);  // 2 per second, burst 3
  auto t = RateLimiter::Clock::now();
  int retry = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.Allow("k", &retry, t));
  EXPECT_FALSE(rl.Allow("k", &retry, t));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(rl.Allow("other", &retry, t)) << "buckets are per key";
  EXPECT_TRUE(rl.Allow("k", &retry, t + std::chrono::milliseconds(600)));
  EXPECT_FALSE(rl.Allow("k", &retry, t + std::chrono::milliseconds(700)));
}

TEST(ListenAddress, ParsesHostAndPort) {
  auto a = ParseListen("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  EXPECT_EQ(ParseListen("[::1]:9000")->first, "::1");
  EXPECT_FALSE(ParseListen("localhost").ok());
  EXPECT_FALSE(ParseListen("localhost:http").ok());
}

// ---- API keys ----

TEST(ApiKeys, StoredHashedInA0600FileAndRevocable) {
  ASSERT_GE(sodium_init(), 0);
  fs::path dir = fs::temp_directory_path() / ("facegate-keys-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "apikeys.db").string();
  std::string secret, id;
  {
    auto ks = ApiKeyStore::Open(path);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    auto k = (*ks)->Create(Role::kOperator, "", {}, 100);
    ASSERT_TRUE(k.ok());
    secret = k->secret;
    id = k->key.id;
    EXPECT_EQ(secret.rfind("fgk_", 0), 0u);
    EXPECT_GE(secret.size(), 4u + 43u) << "32 random bytes in base64url";
    auto who = (*ks)->Authenticate(secret);
    ASSERT_TRUE(who.ok());
    EXPECT_EQ(who->id, id);
    EXPECT_EQ(who->role, Role::kOperator);
    EXPECT_FALSE((*ks)->Authenticate(secret + "x").ok());
    EXPECT_FALSE((*ks)->Create(Role::kDevice, "gate-1", {}, 100).ok())
        << "a device key needs its purposes";
    EXPECT_FALSE((*ks)->Create(Role::kAuditor, "gate-1", {}, 100).ok());
    ASSERT_TRUE((*ks)->Revoke(id, 200).ok());
    EXPECT_EQ((*ks)->Authenticate(secret).status().kind(), ErrorKind::kNotFound);
    EXPECT_EQ((*ks)->Revoke(id, 300).kind(), ErrorKind::kNotFound);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string bytes;
  for (auto& e : fs::directory_iterator(dir)) bytes += ReadAll(e.path().string());
  EXPECT_EQ(bytes.find(secret), std::string::npos) << "the secret must never be stored";
  EXPECT_EQ(bytes.find(secret.substr(4, 20)), std::string::npos);
  fs::remove_all(dir);
}

// ---- the whole flow over HTTP ----

TEST_F(Api, HealthNeedsNoKey) {
  auto c = Client();
  auto r = c.Get("/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["status"], "serving");
}

TEST_F(Api, PurposeNoticeConsentEnrolVerifyWithdrawAndAuditVerify) {
  auto c = Client();
  auto p = c.Post("/v1/purposes", Auth(operator_),
                  json{{"name", "office-entry"},
                       {"scenario", "verification"},
                       {"retention_days", 365},
                       {"alternatives", {"staff-card"}}}
                      .dump(),
                  "application/json");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->status, 201) << p->body;
  EXPECT_EQ(Body(p)["purpose"]["alternatives"], json({"staff-card"}));

  auto list = c.Get("/v1/purposes?page=1&size=10", Auth(operator_));
  ASSERT_EQ(list->status, 200);
  EXPECT_GE(Body(list)["total"].get<int>(), 1);
  EXPECT_EQ(Body(list)["size"], 10);

  std::string text = ReadAll(std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-office-entry.md");
  auto n = c.Post("/v1/purposes/office-entry/notices", Auth(operator_), json{{"text", text}}.dump(),
                  "application/json");
  ASSERT_EQ(n->status, 201) << n->body;
  ASSERT_TRUE(::facegate::testing::ApproveAssessmentInStore(svc_->store(), "office-entry").ok());  // REQ F1
  const int64_t notice_id = Body(n)["notice_id"];
  auto shown = c.Get("/v1/purposes/office-entry/notice", Auth(operator_));
  ASSERT_EQ(shown->status, 200);
  EXPECT_EQ(Body(shown)["text"], text);
  EXPECT_EQ(Body(shown)["notice_id"], notice_id);
  auto one = c.Get("/v1/purposes/office-entry", Auth(operator_));
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Body(one)["notice"]["notice_id"], notice_id);

  auto g = c.Post("/v1/consents", Auth(operator_),
                  json{{"subject", "S1"},
                       {"purpose", "office-entry"},
                       {"notice_id", notice_id},
                       {"option", "always"},
                       {"method", "click"}}
                      .dump(),
                  "application/json");
  ASSERT_EQ(g->status, 201) << g->body;
  EXPECT_EQ(Body(g)["consent"]["option"], "always");

  // Enrol with a multipart upload, per-stage timings asked for.
  httplib::MultipartFormDataItems form = {{"subject", "S1", "", ""},
                                          {"purpose", "office-entry", "", ""},
                                          {"image", ReadAll(kA1), "a1.jpg", "image/jpeg"}};
  auto e = c.Post("/v1/enrol?timings=1", Auth(operator_), form);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->status, 201) << e->body;
  json ej = Body(e);
  EXPECT_GT(ej["template_id"].get<int64_t>(), 0);
  EXPECT_FALSE(ej["model"].get<std::string>().empty());
  EXPECT_GT(ej["timings"]["detect_ms"].get<double>(), 0);

  // Verify with base64 JSON from the device of this purpose: same person matches.
  auto v = c.Post("/v1/verify", Auth(device_),
                  json{{"subject", "S1"},
                       {"purpose", "office-entry"},
                       {"device", "gate-1"},
                       {"image_base64", Base64(ReadAll(kA2))}}
                      .dump(),
                  "application/json");
  ASSERT_EQ(v->status, 200) << v->body;
  json vj = Body(v);
  EXPECT_TRUE(vj["match"].get<bool>()) << vj.dump();
  // A device gets the decision only; the distance is in the audit log (docs/security.md).
  EXPECT_FALSE(vj.contains("distance")) << vj.dump();
  EXPECT_EQ(vj["model"], ej["model"]);
  EXPECT_EQ(vj["alternatives"], json({"staff-card"}));
  EXPECT_FALSE(vj.contains("timings")) << "timings only when asked";

  // Another person: an answer (200), not an error.
  auto other = c.Post("/v1/verify?timings=1", Auth(operator_),
                      json{{"subject", "S1"},
                           {"purpose", "office-entry"},
                           {"image_base64", Base64(ReadAll(FirstPhotoOf("Abdoulaye_Wade")))}}
                          .dump(),
                      "application/json");
  ASSERT_EQ(other->status, 200) << other->body;
  EXPECT_FALSE(Body(other)["match"].get<bool>());
  EXPECT_GT(Body(other)["distance"].get<double>(), Body(other)["threshold"].get<double>());
  EXPECT_TRUE(Body(other).contains("timings"));

  auto cl = c.Get("/v1/subjects/S1/consents?purpose=office-entry", Auth(operator_));
  ASSERT_EQ(cl->status, 200);
  EXPECT_EQ(Body(cl)["total"], 1);

  auto w = c.Post("/v1/subjects/S1/consents/office-entry/withdraw", Auth(operator_), "",
                  "application/json");
  ASSERT_EQ(w->status, 200) << w->body;
  EXPECT_EQ(Body(w)["consents_withdrawn"], 1);
  EXPECT_EQ(Body(w)["templates_deleted"], 1);
  EXPECT_TRUE(Body(w)["key_destroyed"].get<bool>());

  // After withdrawal verify is refused by the compliance core, with the rule and the alternatives.
  auto after = c.Post(
      "/v1/verify", Auth(operator_),
      json{{"subject", "S1"}, {"purpose", "office-entry"}, {"image_base64", Base64(ReadAll(kA2))}}
          .dump(),
      "application/json");
  ASSERT_EQ(after->status, 422) << after->body;
  json aj = Body(after);
  EXPECT_EQ(aj["error"], "refused");
  EXPECT_FALSE(aj["requirement"].get<std::string>().empty());
  EXPECT_FALSE(aj["citation"].get<std::string>().empty());
  EXPECT_EQ(aj["alternatives"], json({"staff-card"}));

  auto av = c.Get("/v1/audit/verify", Auth(auditor_));
  ASSERT_EQ(av->status, 200);
  EXPECT_TRUE(Body(av)["intact"].get<bool>());

  // The audit log names the key, not the secret, as actor of each call.
  auto al = c.Get("/v1/audit?page=1&size=500", Auth(auditor_));
  ASSERT_EQ(al->status, 200);
  json items = Body(al)["items"];
  EXPECT_GE(Body(al)["total"].get<int64_t>(), static_cast<int64_t>(items.size()));
  bool enrol_by_operator = false, verify_by_device = false;
  for (auto& ev : items) {
    if (ev["action"] == "enrol" && ev["actor"] == "key:" + operator_.key.id)
      enrol_by_operator = true;
    if (ev["action"] == "verify" && ev["actor"] == "key:" + device_.key.id) verify_by_device = true;
  }
  EXPECT_TRUE(enrol_by_operator);
  EXPECT_TRUE(verify_by_device);
}

TEST_F(Api, AuditListPagesBySequence) {
  auto c = Client();
  c.Get("/v1/purposes", Auth(operator_));  // at least a few events exist
  c.Get("/v1/purposes", Auth(operator_));
  auto p1 = c.Get("/v1/audit?page=1&size=2", Auth(auditor_));
  ASSERT_EQ(p1->status, 200) << p1->body;
  json j = Body(p1);
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["seq"], 1);
  EXPECT_EQ(j["items"][1]["seq"], 2);
  const int64_t total = j["total"];
  auto last =
      c.Get("/v1/audit?page=" + std::to_string((total + 1) / 2) + "&size=2", Auth(auditor_));
  json lj = Body(last);
  ASSERT_FALSE(lj["items"].empty());
  EXPECT_EQ(lj["items"].back()["seq"], total);
  auto bad = c.Get("/v1/audit?size=0", Auth(auditor_));
  EXPECT_EQ(bad->status, 400);
}

// ---- every error class ----

TEST_F(Api, MalformedJsonIs400NamingWhereItBroke) {
  auto c = Client();
  auto r = c.Post("/v1/purposes", Auth(operator_), R"({"name": "x", "retention_days": 3)",
                  "application/json");
  ASSERT_EQ(r->status, 400);
  json j = Body(r);
  EXPECT_EQ(j["error"], "invalid_input");
  EXPECT_NE(j["message"].get<std::string>().find("not valid JSON (error at byte"),
            std::string::npos)
      << j.dump();
  auto arr = c.Post("/v1/consents", Auth(operator_), "[1,2]", "application/json");
  EXPECT_EQ(arr->status, 400);
}

TEST_F(Api, MissingOrMistypedFieldIs400NamingTheField) {
  auto c = Client();
  auto r = c.Post("/v1/purposes", Auth(operator_), json{{"name", "no-retention"}}.dump(),
                  "application/json");
  ASSERT_EQ(r->status, 400);
  EXPECT_NE(Body(r)["message"].get<std::string>().find("\"retention_days\""), std::string::npos);
  auto t = c.Post("/v1/consents", Auth(operator_),
                  json{{"subject", "S9"}, {"purpose", "office-entry"}, {"notice_id", "one"}}.dump(),
                  "application/json");
  ASSERT_EQ(t->status, 400);
  EXPECT_NE(Body(t)["message"].get<std::string>().find("\"notice_id\" must be an integer"),
            std::string::npos);
  auto img =
      c.Post("/v1/verify", Auth(operator_),
             json{{"subject", "S9"}, {"purpose", "office-entry"}}.dump(), "application/json");
  ASSERT_EQ(img->status, 400);
  EXPECT_NE(Body(img)["message"].get<std::string>().find("image_base64"), std::string::npos);
  auto b64 = c.Post(
      "/v1/verify", Auth(operator_),
      json{{"subject", "S9"}, {"purpose", "office-entry"}, {"image_base64", "not base64!"}}.dump(),
      "application/json");
  EXPECT_EQ(b64->status, 400);
}

TEST_F(Api, UnknownIdsAndRoutesAre404) {
  auto c = Client();
  auto p = c.Get("/v1/purposes/no-such-purpose", Auth(operator_));
  ASSERT_EQ(p->status, 404);
  EXPECT_EQ(Body(p)["error"], "not_found");
  auto n = c.Get("/v1/purposes/no-such-purpose/notice", Auth(operator_));
  EXPECT_EQ(n->status, 404);
  auto w = c.Post("/v1/subjects/nobody/consents/no-such-purpose/withdraw", Auth(operator_), "",
                  "application/json");
  EXPECT_EQ(w->status, 404);
  auto route = c.Get("/v1/nothing-here", Auth(operator_));
  ASSERT_EQ(route->status, 404);
  EXPECT_EQ(Body(route)["error"], "not_found");
}

TEST_F(Api, RefusalsAre422WithRequirementRuleCitationAndAlternatives) {
  auto c = Client();
  // A purpose without a non-face alternative (REQ A1).
  auto a1 = c.Post("/v1/purposes", Auth(operator_),
                   json{{"name", "face-only"}, {"retention_days", 30}}.dump(), "application/json");
  ASSERT_EQ(a1->status, 422) << a1->body;
  EXPECT_EQ(Body(a1)["requirement"], "A1");
  EXPECT_FALSE(Body(a1)["rule"].get<std::string>().empty());
  // Enrolment without consent (REQ C1) names the alternatives of the purpose.
  Prepare(c, "canteen", "S2");
  auto e = c.Post("/v1/enrol", Auth(operator_),
                  json{{"subject", "S-without-consent"},
                       {"purpose", "canteen"},
                       {"image_base64", Base64(ReadAll(kA1))}}
                      .dump(),
                  "application/json");
  ASSERT_EQ(e->status, 422) << e->body;
  json j = Body(e);
  EXPECT_EQ(j["error"], "refused");
  EXPECT_EQ(j["requirement"], "C1");
  EXPECT_FALSE(j["citation"].get<std::string>().empty());
  EXPECT_EQ(j["alternatives"], json({"staff-card"}));
  // Consent against an old notice (REQ N1).
  auto old = c.Post("/v1/consents", Auth(operator_),
                    json{{"subject", "S3"}, {"purpose", "canteen"}, {"notice_id", 999999}}.dump(),
                    "application/json");
  ASSERT_EQ(old->status, 422);
  EXPECT_EQ(Body(old)["requirement"], "N1");
}

TEST_F(Api, DuplicatePurposeIs409) {
  auto c = Client();
  auto body = json{{"name", "dup"}, {"retention_days", 30}, {"alternatives", {"pin"}}}.dump();
  ASSERT_EQ(c.Post("/v1/purposes", Auth(admin_), body, "application/json")->status, 201);
  auto r = c.Post("/v1/purposes", Auth(admin_), body, "application/json");
  ASSERT_EQ(r->status, 409) << r->body;
  EXPECT_EQ(Body(r)["error"], "conflict");
}

// Sends raw bytes and returns what the server answered (for requests httplib::Client won't make).
std::string RawExchange(int port, const std::string& request, int wait_s = 10) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{wait_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST_F(Api, OversizeBodyIs413) {
  auto c = Client();
  // httplib 0.11 reads and discards an oversize body (bounded by the read timeout), then answers.
  const std::string big(17u << 20, 'x');
  auto r = c.Post("/v1/verify", Auth(operator_), big, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  ASSERT_EQ(r->status, 413);
  EXPECT_EQ(Body(r)["error"], "too_large");
}

TEST_F(Api, MissingOrInvalidKeyIs401) {
  auto c = Client();
  auto none = c.Get("/v1/purposes");
  ASSERT_EQ(none->status, 401);
  EXPECT_EQ(Body(none)["error"], "unauthenticated");
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  auto bad = c.Get("/v1/purposes", {{"Authorization", "Bearer fgk_this-is-not-a-key"}});
  EXPECT_EQ(bad->status, 401);
  auto basic = c.Get("/v1/purposes", {{"Authorization", "Basic " + operator_.secret}});
  EXPECT_EQ(basic->status, 401);
}

TEST_F(Api, RoleNotAllowedIs403) {
  auto c = Client();
  auto auditor_writes =
      c.Post("/v1/purposes", Auth(auditor_),
             json{{"name", "x"}, {"retention_days", 1}, {"alternatives", {"pin"}}}.dump(),
             "application/json");
  ASSERT_EQ(auditor_writes->status, 403);
  EXPECT_EQ(Body(auditor_writes)["error"], "forbidden");
  EXPECT_EQ(c.Get("/v1/audit", Auth(operator_))->status, 403);
  EXPECT_EQ(c.Get("/v1/audit/verify", Auth(device_))->status, 403);
  EXPECT_EQ(c.Get("/v1/subjects/S1/consents", Auth(device_))->status, 403);
  EXPECT_EQ(c.Get("/v1/audit/verify", Auth(admin_))->status, 200);
}

TEST_F(Api, DeviceKeyCannotActForAnotherDeviceOrPurpose) {
  auto c = Client();
  Prepare(c, "canteen", "S4");
  auto other_purpose =
      c.Post("/v1/verify", Auth(device_),
             json{{"subject", "S4"}, {"purpose", "canteen"}, {"image_base64", Base64(ReadAll(kA2))}}
                 .dump(),
             "application/json");
  ASSERT_EQ(other_purpose->status, 403) << other_purpose->body;
  EXPECT_NE(Body(other_purpose)["message"].get<std::string>().find("office-entry"),
            std::string::npos);
  auto other_device = c.Post("/v1/enrol", Auth(device_),
                             json{{"subject", "S4"},
                                  {"purpose", "office-entry"},
                                  {"device", "gate-2"},
                                  {"image_base64", Base64(ReadAll(kA1))}}
                                 .dump(),
                             "application/json");
  ASSERT_EQ(other_device->status, 403);
  EXPECT_NE(Body(other_device)["message"].get<std::string>().find("gate-1"), std::string::npos);
  // The refusals are audited under the device key's id.
  auto events = svc_->ListAudit(0, 100000);
  ASSERT_TRUE(events.ok());
  int denied = 0;
  for (auto& e : *events)
    if (e.actor == "key:" + device_.key.id && e.outcome == "error:forbidden") ++denied;
  EXPECT_GE(denied, 2);
}

TEST_F(Api, RateLimitIs429WithRetryAfter) {
  ServerConfig sc;
  sc.port = 0;
  sc.rate_per_second = 1;
  sc.rate_burst = 2;
  LogSink quiet;
  sc.log = quiet.Fn();
  auto s = Server::Create(*svc_, *keys_, sc);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Start().ok());
  auto c = Client((*s)->port());
  EXPECT_EQ(c.Get("/v1/purposes", Auth(operator_))->status, 200);
  EXPECT_EQ(c.Get("/v1/purposes", Auth(operator_))->status, 200);
  auto r = c.Get("/v1/purposes", Auth(operator_));
  ASSERT_EQ(r->status, 429);
  EXPECT_EQ(Body(r)["error"], "rate_limited");
  EXPECT_GE(std::stoi(r->get_header_value("Retry-After")), 1);
  EXPECT_EQ(c.Get("/v1/purposes", Auth(auditor_))->status, 403) << "another key has its own bucket";
}

TEST_F(Api, IdleClientDoesNotHoldTheOnlyWorker) {
  ServerConfig sc;
  sc.port = 0;
  sc.threads = 1;
  sc.read_timeout_s = 1;
  sc.keep_alive_timeout_s = 1;
  LogSink quiet;
  sc.log = quiet.Fn();
  auto s = Server::Create(*svc_, *keys_, sc);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Start().ok());
  // A client that connects and then sends half a request line and nothing more.
  std::thread slow([port = (*s)->port()] { RawExchange(port, "GET /v1/heal", 30); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  auto c = Client((*s)->port());
  c.set_read_timeout(8, 0);
  auto r = c.Get("/v1/health");
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r) << "the only worker stayed with the idle client";
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(waited, 5.0);
  slow.join();
}

TEST_F(Api, TlsWithACertificate) {
  const fs::path d = dir_ / "tls";
  fs::create_directories(d);
  const std::string cert = (d / "cert.pem").string(), key = (d / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl CLI failed";
  ServerConfig sc;
  sc.port = 0;
  sc.cert_file = cert;
  sc.key_file = key;
  LogSink quiet;
  sc.log = quiet.Fn();
  auto s = Server::Create(*svc_, *keys_, sc);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Start().ok());
  httplib::SSLClient c("127.0.0.1", (*s)->port());
  c.set_ca_cert_path(cert.c_str());
  c.enable_server_certificate_verification(true);
  auto r = c.Get("/v1/purposes", Auth(operator_));
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // Plain HTTP to the TLS port gets no answer.
  httplib::Client plain("127.0.0.1", (*s)->port());
  plain.set_read_timeout(3, 0);
  auto p = plain.Get("/v1/health");
  EXPECT_TRUE(!p || p->status != 200);
  // A bad certificate path is an error at Create, not a silent HTTP server.
  sc.cert_file = (d / "missing.pem").string();
  EXPECT_FALSE(Server::Create(*svc_, *keys_, sc).ok());
}

// Rights of the person over REST (REQ R1, R2): operators handle, auditors read, devices neither.
TEST_F(Api, R1_RightsRequestsExportAndRestrictionOverRest) {
  auto c = Client();
  Prepare(c, "rights-entry", "S-r1");
  auto e = c.Post("/v1/enrol", Auth(operator_),
                  json{{"subject", "S-r1"}, {"purpose", "rights-entry"}, {"image_base64", Base64(ReadAll(kA1))}}.dump(),
                  "application/json");
  ASSERT_EQ(e->status, 201) << e->body;

  auto req = c.Post("/v1/rights", Auth(operator_),
                    json{{"subject", "S-r1"}, {"kind", "access"}, {"note", "by e-mail"}}.dump(), "application/json");
  ASSERT_EQ(req->status, 201) << req->body;
  const int64_t id = Body(req)["request"]["id"];
  EXPECT_EQ(Body(req)["request"]["status"], "open");
  EXPECT_EQ(Body(req)["request"]["overdue"], false);
  // Roles: the auditor reads but does not handle; a device does neither.
  auto read = c.Get("/v1/rights/" + std::to_string(id), Auth(auditor_));
  EXPECT_EQ(read->status, 200) << read->body;
  EXPECT_EQ(c.Get("/v1/rights?status=open", Auth(auditor_))->status, 200);
  EXPECT_EQ(c.Post("/v1/rights", Auth(auditor_), json{{"subject", "S-r1"}, {"kind", "access"}}.dump(),
                   "application/json")->status, 403);
  EXPECT_EQ(c.Get("/v1/rights", Auth(device_))->status, 403);
  EXPECT_EQ(c.Post("/v1/subjects/S-r1/export", Auth(auditor_), "", "application/json")->status, 403);
  EXPECT_EQ(c.Get("/v1/rights?status=late", Auth(operator_))->status, 400);

  // The export answers the request: JSON, or Markdown when asked.
  auto md = c.Post("/v1/subjects/S-r1/export?format=markdown&request=" + std::to_string(id), Auth(operator_), "",
                   "application/json");
  REQUIREMENT("R1");
  ASSERT_EQ(md->status, 200) << md->body;
  EXPECT_NE(md->get_header_value("Content-Type").find("text/markdown"), std::string::npos);
  EXPECT_NE(md->body.find("# Your data held by facegate"), std::string::npos);
  EXPECT_EQ(Body(c.Get("/v1/rights/" + std::to_string(id), Auth(operator_)))["request"]["status"], "done");
  auto js = c.Post("/v1/subjects/S-r1/export", Auth(admin_), "", "application/json");
  ASSERT_EQ(js->status, 200) << js->body;
  json x = Body(js);
  EXPECT_EQ(x["subject"]["id"], "S-r1");
  EXPECT_EQ(x["templates"].size(), 1u);

  // Restriction: verify is refused naming R1 (422), lifting restores it.
  ASSERT_EQ(c.Post("/v1/subjects/S-r1/restrict", Auth(operator_), "", "application/json")->status, 200);
  auto v = c.Post("/v1/verify", Auth(operator_),
                  json{{"subject", "S-r1"}, {"purpose", "rights-entry"}, {"image_base64", Base64(ReadAll(kA2))}}.dump(),
                  "application/json");
  ASSERT_EQ(v->status, 422) << v->body;
  EXPECT_EQ(Body(v)["requirement"], "R1");
  EXPECT_EQ(c.Post("/v1/subjects/S-r1/restrict", Auth(operator_), "", "application/json")->status, 409);
  ASSERT_EQ(c.Post("/v1/subjects/S-r1/lift", Auth(operator_), "", "application/json")->status, 200);
  auto v2 = c.Post("/v1/verify", Auth(operator_),
                   json{{"subject", "S-r1"}, {"purpose", "rights-entry"}, {"image_base64", Base64(ReadAll(kA2))}}.dump(),
                   "application/json");
  EXPECT_EQ(v2->status, 200) << v2->body;

  // A refusal gives its reason (REQ R1); without one it is bad input.
  auto del = c.Post("/v1/rights", Auth(operator_), json{{"subject", "S-r1"}, {"kind", "deletion"}}.dump(),
                    "application/json");
  const std::string did = std::to_string(Body(del)["request"]["id"].get<int64_t>());
  EXPECT_EQ(c.Post("/v1/rights/" + did + "/refuse", Auth(operator_), "{}", "application/json")->status, 400);
  auto refused = c.Post("/v1/rights/" + did + "/refuse", Auth(operator_),
                        json{{"reason", "records kept under a legal hold"}}.dump(), "application/json");
  ASSERT_EQ(refused->status, 200) << refused->body;
  EXPECT_EQ(Body(refused)["request"]["reason"], "records kept under a legal hold");
  EXPECT_EQ(c.Post("/v1/rights/" + did + "/complete", Auth(operator_), "", "application/json")->status, 409);
  EXPECT_EQ(c.Get("/v1/rights/abc", Auth(operator_))->status, 400);
  EXPECT_EQ(c.Get("/v1/rights/99999", Auth(operator_))->status, 404);
}

// Runs last in this file's order: every secret used above must be absent from audit and log.
TEST_F(Api, ZzKeysNeverAppearInTheAuditLogOrTheServerLog) {
  auto c = Client();
  c.Get("/v1/purposes", Auth(operator_));
  auto events = svc_->ListAudit(0, 1000000);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  std::string audit;
  for (auto& e : *events)
    audit += e.actor + " " + e.action + " " + e.subject + " " + e.purpose + " " + e.detail + "\n";
  const std::string log = log_->All();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("key:" + operator_.key.id), std::string::npos) << "the log names the key id";
  for (const std::string& s : secrets_) {
    EXPECT_EQ(audit.find(s.substr(4)), std::string::npos);
    EXPECT_EQ(log.find(s.substr(4)), std::string::npos);
  }
}

// ---- breach workflow over REST (REQ S9, PIPL 57; docs/breach.md) ----

TEST_F(Api, S9_BreachWorkflowOverRestIsAdminOnlyAndComputesTheAffectedFromTheStore) {
  auto c = Client();
  Prepare(c, "breach-entry", "S-b1");
  Prepare(c, "breach-other", "S-b2");
  for (const auto& [subject, purpose] : {std::pair<std::string, std::string>{"S-b1", "breach-entry"},
                                         {"S-b2", "breach-other"}}) {
    auto e = c.Post("/v1/enrol", Auth(operator_),
                    json{{"subject", subject}, {"purpose", purpose}, {"image_base64", Base64(ReadAll(kA1))}}.dump(),
                    "application/json");
    ASSERT_EQ(e->status, 201) << e->body;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  json open = {{"description", "a laptop with an export was stolen"},
               {"cause", "export kept on a laptop"},
               {"harm", "templates sealed; consent records readable"},
               {"measures", "laptop wiped remotely, keys rotated"},
               {"advice", "withdraw your consent if you wish"},
               {"contact", "dpo@example.com"},
               {"window_from", now - 3600},
               {"window_to", now},
               {"kinds", {"template", "consent"}},
               {"purposes", {"breach-entry"}}};
  // Admins only: an operator or an auditor may neither record nor read a breach.
  EXPECT_EQ(c.Post("/v1/breaches", Auth(operator_), open.dump(), "application/json")->status, 403);
  EXPECT_EQ(c.Get("/v1/breaches", Auth(auditor_))->status, 403);
  json missing = open;
  missing.erase("contact");
  auto bad = c.Post("/v1/breaches", Auth(admin_), missing.dump(), "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(bad->body.find("contact"), std::string::npos) << bad->body;

  auto made = c.Post("/v1/breaches", Auth(admin_), open.dump(), "application/json");
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string id = std::to_string(Body(made)["breach"]["id"].get<int64_t>());
  EXPECT_EQ(Body(made)["breach"]["status"], "open");
  auto early = c.Post("/v1/breaches/" + id + "/close", Auth(admin_), "", "application/json");
  EXPECT_EQ(early->status, 409) << early->body;
  EXPECT_NE(early->body.find("next allowed step is assess"), std::string::npos) << early->body;

  auto assessed = c.Post("/v1/breaches/" + id + "/assess", Auth(admin_), "", "application/json");
  REQUIREMENT("S9");
  ASSERT_EQ(assessed->status, 200) << assessed->body;
  json a = Body(assessed)["breach"];
  ASSERT_EQ(a["affected"].size(), 1u) << a.dump();  // S-b2 is enrolled for another purpose
  EXPECT_EQ(a["affected"][0]["subject"], "S-b1");
  EXPECT_EQ(a["affected"][0]["kinds"], json::array({"template", "consent"}));
  EXPECT_EQ(a["next_steps"], json::array({"notify-authority"}));
  auto shown = c.Get("/v1/breaches/" + id, Auth(admin_));
  ASSERT_EQ(shown->status, 200);
  EXPECT_EQ(Body(shown)["breach"]["affected_count"], 1);

  EXPECT_EQ(c.Post("/v1/breaches/" + id + "/notify-authority", Auth(admin_), "{}", "application/json")->status, 400);
  auto report = c.Post("/v1/breaches/" + id + "/notify-authority?format=markdown", Auth(admin_),
                       json{{"reference", "CAC-REST-1"}}.dump(), "application/json");
  ASSERT_EQ(report->status, 200) << report->body;
  EXPECT_NE(report->get_header_value("Content-Type").find("text/markdown"), std::string::npos);
  EXPECT_NE(report->body.find("CAC-REST-1"), std::string::npos);
  EXPECT_NE(report->body.find("export kept on a laptop"), std::string::npos);
  EXPECT_EQ(c.Post("/v1/breaches/" + id + "/no-notify", Auth(admin_), "{}", "application/json")->status, 400);
  auto notices = c.Post("/v1/breaches/" + id + "/notify-people", Auth(admin_), "", "application/json");
  ASSERT_EQ(notices->status, 200) << notices->body;
  json n = Body(notices);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0]["subject"], "S-b1");
  EXPECT_EQ(n[0]["contact"], "dpo@example.com");
  auto closed = c.Post("/v1/breaches/" + id + "/close", Auth(admin_), "", "application/json");
  ASSERT_EQ(closed->status, 200) << closed->body;
  EXPECT_EQ(Body(closed)["breach"]["status"], "closed");
  auto list = c.Get("/v1/breaches", Auth(admin_));
  ASSERT_EQ(list->status, 200);
  EXPECT_GE(Body(list)["total"].get<int64_t>(), 1);
  EXPECT_EQ(c.Get("/v1/breaches/99999", Auth(admin_))->status, 404);
  EXPECT_EQ(c.Get("/v1/breaches/abc", Auth(admin_))->status, 400);
}

}  // namespace
}  // namespace facegate::server
