// Two `facegate serve` processes (the built binary) on one PostgreSQL database
// started by the CTest fixture: enrol over HTTP on node A, verify on node B;
// withdraw on A and time how long until B refuses. Every decision reads the
// shared state, so B refuses at its next request; the bound is asserted and the
// measured time printed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/requirement.h"
#include "pg_testutil.h"

namespace facegate {
namespace {

namespace fs = std::filesystem;
using facegate::testing::Admin;
using facegate::testing::BaseConninfo;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `facegate serve` child process with its own FACEGATE_HOME on the shared database.
class ServeProcess {
 public:
  ServeProcess(fs::path home, std::string database)
      : home_(std::move(home)), database_(std::move(database)) {}
  ~ServeProcess() { Stop(); }

  // Starts the binary on an ephemeral port and reads its first lines for the port and,
  // when `expect_admin_key`, the admin key it made because the shared database held none.
  // False (with `error`) if it did not come up in time.
  bool Start(std::string* error, bool expect_admin_key = true) {
    int out[2];
    if (::pipe(out) != 0) return Err(error, "pipe failed");
    const std::string log = (home_ / "serve.log").string();
    pid_ = ::fork();
    if (pid_ < 0) return Err(error, "fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      FILE* err = std::fopen(log.c_str(), "w");
      if (err) ::dup2(fileno(err), 2);
      ::close(out[0]);
      ::close(out[1]);
      ::setenv("FACEGATE_HOME", home_.c_str(), 1);
      ::setenv("FACEGATE_DB", database_.c_str(), 1);
      ::setenv("FACEGATE_MODELS", FACEGATE_MODELS, 1);
      ::setenv("FACEGATE_LOCK", FACEGATE_LOCK, 1);
      ::execl(FACEGATE_CLI, FACEGATE_CLI, "serve", "--listen", "127.0.0.1:0", "--threads", "2",
              "--rate", "0", static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    std::string buf;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char chunk[1024];
      ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      auto key_at = buf.find("fgk_");
      if (key_at != std::string::npos && admin_key_.empty()) {
        auto end = buf.find_first_of(" \r\n", key_at);
        if (end != std::string::npos) admin_key_ = buf.substr(key_at, end - key_at);
      }
      const std::string tag = "facegate serving http://127.0.0.1:";
      auto at = buf.find(tag);
      if (at != std::string::npos && buf.find("/v1/", at) != std::string::npos) {
        port_ = std::atoi(buf.c_str() + at + tag.size());
        if (port_ > 0 && (!admin_key_.empty() || !expect_admin_key)) return true;
      }
    }
    return Err(error,
               "serve did not start within 60 s; stdout: " + buf + "\nstderr: " + ReadBytes(log));
  }

  // SIGTERM: stop accepting, finish running requests, exit 0.
  int Stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
    if (out_ >= 0) ::close(out_);
    out_ = -1;
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return exit_code_;
  }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    c.set_bearer_token_auth(admin_key_.c_str());
    return c;
  }
  const std::string& admin_key() const { return admin_key_; }
  void set_admin_key(std::string key) { admin_key_ = std::move(key); }
  std::string Log() const { return ReadBytes((home_ / "serve.log").string()); }

 private:
  static bool Err(std::string* error, const std::string& what) {
    *error = what;
    return false;
  }
  fs::path home_;
  std::string database_;
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::string admin_key_;
};

std::string Base64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.find('\0'));
  return out;
}

// Runs the CLI with FACEGATE_HOME=home on the shared database; its exit code and stdout.
std::pair<int, std::string> Cli(const fs::path& home, const std::string& database,
                                const std::string& args) {
  const std::string cmd = "FACEGATE_HOME='" + home.string() + "' FACEGATE_DB=\"" + database +
                          "\" FACEGATE_MODELS='" + FACEGATE_MODELS + "' FACEGATE_LOCK='" +
                          FACEGATE_LOCK + "' '" + FACEGATE_CLI + "' " + args;
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

json Body(const httplib::Result& r) {
  return r ? json::parse(r->body, nullptr, false) : json();
}

// Two nodes on a fresh schema of the fixture's server; each node printed its own admin key.
class TwoServeNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    base_ = BaseConninfo();
    ASSERT_FALSE(base_.empty()) << "no conninfo: the postgres fixture did not start";
    schema_ = "fg_serve_" + std::to_string(::getpid());
    ASSERT_TRUE(
        Admin(base_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_));
    const std::string database = base_ + " options='-c search_path=" + schema_ + "'";
    root_ = fs::temp_directory_path() / ("fg-serve-nodes-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "a");
    fs::create_directories(root_ / "b");
    a_ = std::make_unique<ServeProcess>(root_ / "a", database);
    b_ = std::make_unique<ServeProcess>(root_ / "b", database);
    std::string error;
    ASSERT_TRUE(a_->Start(&error)) << error;
    // The nodes share the master key that wraps subject keys (deployed like a TLS key).
    fs::copy_file(root_ / "a" / "master.key", root_ / "b" / "master.key",
                  fs::copy_options::overwrite_existing);
    fs::permissions(root_ / "b" / "master.key", fs::perms::owner_read | fs::perms::owner_write);
    // API keys are in the shared database too: A made the first admin key, so B makes
    // none at start; B's operator desk gets its own admin key from the CLI on B's home.
    database_ = database;
    auto [rc, out] = Cli(root_ / "b", database, "--json apikey create --role admin");
    ASSERT_EQ(rc, 0) << out;
    const json made = json::parse(out, nullptr, false);
    ASSERT_TRUE(made.is_object()) << out;
    b_key_id_ = made["id"];
    ASSERT_TRUE(b_->Start(&error, /*expect_admin_key=*/false)) << error;
    b_->set_admin_key(made["key"]);
    EXPECT_NE(a_->admin_key(), b_->admin_key());
  }
  void TearDown() override {
    if (a_) EXPECT_EQ(a_->Stop(), 0) << "SIGTERM: node A should exit 0; " << a_->Log();
    if (b_) EXPECT_EQ(b_->Stop(), 0) << "SIGTERM: node B should exit 0; " << b_->Log();
    if (!base_.empty()) Admin(base_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    fs::remove_all(root_);
  }

  // A purpose with the example notice, declared on node A; returns the notice id.
  int64_t Purpose(const std::string& name, const std::string& scenario) {
    auto ca = a_->Client();
    auto p = ca.Post("/v1/purposes",
                     json{{"name", name},
                          {"scenario", scenario},
                          {"retention_days", 365},
                          {"alternatives", {"staff-card"}}}
                         .dump(),
                     "application/json");
    EXPECT_TRUE(p) << "node A did not answer: " << a_->Log();
    if (!p) return 0;
    EXPECT_EQ(p->status, 201) << p->body;
    const std::string notice =
        ReadBytes(std::string(FACEGATE_SOURCE_DIR) + "/examples/notice-office-entry.md");
    auto n = ca.Post("/v1/purposes/" + name + "/notices", json{{"text", notice}}.dump(),
                     "application/json");
    EXPECT_EQ(n->status, 201) << n->body;
    // REQ F1: its impact assessment, written by one person and approved by another.
    auto a = ca.Post("/v1/assessments",
                     json{{"target", name}, {"lawfulness", "consent of each person"},
                          {"impact", "sensitive data; risk: leak"}, {"scope_size", 1000}, {"author", "test-author"}}
                         .dump(),
                     "application/json");
    EXPECT_EQ(a->status, 201) << a->body;
    auto ok = ca.Post("/v1/assessments/" + std::to_string(Body(a)["id"].get<int64_t>()) + "/approve",
                      json{{"approver", "test-dpo"}}.dump(), "application/json");
    EXPECT_EQ(ok->status, 200) << ok->body;
    return Body(n)["notice_id"];
  }

  std::string base_, schema_, database_, b_key_id_;
  fs::path root_;
  std::unique_ptr<ServeProcess> a_, b_;
};

TEST_F(TwoServeNodes, C4_EnrolOnNodeAVerifyOnNodeBAndAWithdrawalOnAIsRefusedByBWithinTheBound) {
  const int64_t notice = Purpose("gate-entry", "verification");
  auto ca = a_->Client(), cb = b_->Client();
  // The consent is given at node B's kiosk, the enrolment happens at node A.
  auto g = cb.Post(
      "/v1/consents",
      json{
          {"subject", "S1"}, {"purpose", "gate-entry"}, {"notice_id", notice}, {"option", "always"}}
          .dump(),
      "application/json");
  ASSERT_TRUE(g) << "node B did not answer: " << b_->Log();
  ASSERT_EQ(g->status, 201) << g->body;
  const std::string lfw = std::string(FACEGATE_FACEDATA) + "/lfw/Ai_Sugiyama/";
  httplib::MultipartFormDataItems enrol = {
      {"subject", "S1", "", ""},
      {"purpose", "gate-entry", "", ""},
      {"image", ReadBytes(lfw + "Ai_Sugiyama_0001.jpg"), "a.jpg", "image/jpeg"}};
  auto e = ca.Post("/v1/enrol", enrol);
  ASSERT_EQ(e->status, 201) << e->body;

  const std::string verify = json{{"subject", "S1"},
                                  {"purpose", "gate-entry"},
                                  {"image_base64", Base64(ReadBytes(lfw + "Ai_Sugiyama_0002.jpg"))}}
                                 .dump();
  auto v = cb.Post("/v1/verify", verify, "application/json");
  ASSERT_EQ(v->status, 200) << v->body;
  EXPECT_EQ(Body(v)["match"], true) << v->body;

  // Withdraw on A; from A's answer on, B refuses (REQ C4). B is asked until it refuses,
  // each probe a full verify request; the time is from A's answer to B's refusal.
  const auto t_sent = Clock::now();
  auto w = ca.Post("/v1/subjects/S1/consents/gate-entry/withdraw", "", "application/json");
  const auto t_withdrawn = Clock::now();
  ASSERT_EQ(w->status, 200) << w->body;
  EXPECT_GE(Body(w)["templates_deleted"].get<int64_t>(), 1);
  const double bound_ms = 2000;
  int probes = 0, status = 0;
  std::string answer;
  while (Clock::now() - t_withdrawn < std::chrono::seconds(10)) {
    ++probes;
    auto r = cb.Post("/v1/verify", verify, "application/json");
    status = r ? r->status : 0;
    answer = r ? r->body : "";
    if (r && r->status != 200) break;
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t_withdrawn).count();
  const double withdraw_ms =
      std::chrono::duration<double, std::milli>(t_withdrawn - t_sent).count();
  std::cout << "withdrawal on node A (" << withdraw_ms << " ms) honoured by node B after " << ms
            << " ms (" << probes << " verify request(s)); bound " << bound_ms << " ms" << std::endl;
  RecordProperty("withdraw_on_a_ms", std::to_string(withdraw_ms));
  RecordProperty("withdrawal_to_refusal_on_b_ms", std::to_string(ms));
  REQUIREMENT("C4");
  ASSERT_EQ(status, 422) << "node B: " << answer;
  EXPECT_EQ(json::parse(answer, nullptr, false)["requirement"], "C4") << answer;
  EXPECT_EQ(probes, 1) << "B answered a withdrawn consent " << probes - 1 << " time(s)";
  EXPECT_LT(ms, bound_ms);

  // One audit chain across both processes, intact, naming both nodes' keys.
  auto chain = cb.Get("/v1/audit/verify");
  ASSERT_EQ(chain->status, 200) << chain->body;
  EXPECT_EQ(Body(chain)["intact"], true) << chain->body;
  auto events = ca.Get("/v1/audit?size=500");
  ASSERT_EQ(events->status, 200);
  std::set<std::string> actors;
  const json listed = Body(events);
  for (const json& ev : listed["items"]) actors.insert(ev["actor"].get<std::string>());
  EXPECT_GE(actors.size(), 2u) << events->body;
}

// One set of API keys for every node: the key made on B's home works on A, and once
// revoked on A (CLI on A's home) B refuses it at its next request.
TEST_F(TwoServeNodes, AKeyMadeOnOneNodeWorksOnTheOtherAndARevocationHoldsOnBoth) {
  auto ca = a_->Client();
  ca.set_bearer_token_auth(b_->admin_key().c_str());
  auto cb = b_->Client();
  auto on_a = ca.Get("/v1/audit/verify");
  ASSERT_TRUE(on_a) << a_->Log();
  EXPECT_EQ(on_a->status, 200) << "node A refused the key made on node B's home: " << on_a->body;
  ASSERT_EQ(cb.Get("/v1/audit/verify")->status, 200);

  auto [rc, out] = Cli(root_ / "a", database_, "apikey revoke " + b_key_id_);
  ASSERT_EQ(rc, 0) << out;
  auto after = cb.Get("/v1/audit/verify");
  ASSERT_TRUE(after) << b_->Log();
  EXPECT_EQ(after->status, 401) << "node B still took a key revoked on node A: " << after->body;
  EXPECT_EQ(ca.Get("/v1/audit/verify")->status, 401);
  // A's own key is untouched.
  EXPECT_EQ(a_->Client().Get("/v1/audit/verify")->status, 200);
}

// Node B has loaded its identification scope; a person enrolled afterwards on node A is
// identified by B at its next search, without a restart (REQ SC2 scope, several nodes).
TEST_F(TwoServeNodes, SC2_APersonEnrolledOnNodeAIsIdentifiedByNodeBWhoseScopeWasLoaded) {
  const int64_t notice = Purpose("site-entry", "identification");
  auto ca = a_->Client(), cb = b_->Client();
  const std::string lfw = std::string(FACEGATE_FACEDATA) + "/lfw/";
  auto member = [&](const std::string& subject, const std::string& who) {
    auto g = ca.Post("/v1/consents",
                     json{{"subject", subject},
                          {"purpose", "site-entry"},
                          {"notice_id", notice},
                          {"option", "always"}}
                         .dump(),
                     "application/json");
    ASSERT_EQ(g->status, 201) << g->body;
    httplib::MultipartFormDataItems enrol = {
        {"subject", subject, "", ""},
        {"purpose", "site-entry", "", ""},
        {"image", ReadBytes(lfw + who + "/" + who + "_0001.jpg"), "p.jpg", "image/jpeg"}};
    auto e = ca.Post("/v1/enrol", enrol);
    ASSERT_EQ(e->status, 201) << e->body;
  };
  auto identify = [&](const std::string& who) {
    auto r = cb.Post("/v1/identify",
                     json{{"purpose", "site-entry"},
                          {"image_base64", Base64(ReadBytes(lfw + who + "/" + who + "_0002.jpg"))}}
                         .dump(),
                     "application/json");
    EXPECT_TRUE(r) << "node B did not answer: " << b_->Log();
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return Body(r);
  };
  member("P0", "Alan_Greenspan");
  json first = identify("Alan_Greenspan");  // B loads its scope: one member
  ASSERT_EQ(first["identified"], true) << first.dump();
  EXPECT_EQ(first["subject"], "P0");
  EXPECT_EQ(first["scope_size"], 1);
  json stranger = identify("Ahmed_Chalabi");
  EXPECT_EQ(stranger["identified"], false) << "not enrolled yet: " << stranger.dump();

  member("P1", "Ahmed_Chalabi");  // on A, after B loaded
  json later = identify("Ahmed_Chalabi");
  ASSERT_EQ(later["identified"], true) << later.dump();
  EXPECT_EQ(later["subject"], "P1");
  EXPECT_EQ(later["scope_size"], 2);
  // And a withdrawal on A takes P1 out of B's answers at once (REQ C4).
  auto w = ca.Post("/v1/subjects/P1/consents/site-entry/withdraw", "", "application/json");
  ASSERT_EQ(w->status, 200) << w->body;
  EXPECT_EQ(identify("Ahmed_Chalabi")["identified"], false);
}

}  // namespace
}  // namespace facegate
