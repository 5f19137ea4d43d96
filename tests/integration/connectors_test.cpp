// Alternatives as pluggable connectors end to end through the Service on a real SQLite store
// (REQ A4, C6, S5, S7): PIN and card verifiers, signed single-use QR tokens, an external
// identity service over HTTP, a kind added by an integrator, and staff as the fallback.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <facegate/connectors.h>
#include <httplib.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

class ConnectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("connectors");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_.load(); };
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 30;
    p.alternatives = {"pin-pad", "badge", "qr-code", "id-service", "front-desk"};
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
    Bind("pin-pad", "pin");
    Bind("badge", "card");
    Bind("qr-code", "qr");
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Bind(const std::string& method, const std::string& kind, const std::string& config = "{}") {
    AlternativeConnectorRecord r;
    r.purpose = "office-entry";
    r.method = method;
    r.kind = kind;
    r.config = config;
    Status st = svc_->ConnectAlternative(r, "admin");
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  int64_t Choose(const std::string& subject, const std::string& method) {
    auto id = svc_->ChooseAlternative(subject, "office-entry", method, "gate-3", "gate");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  std::vector<AuditEvent> Events(const std::string& action) {
    std::vector<AuditEvent> out;
    auto all = svc_->ListAudit(0, 100000);
    EXPECT_TRUE(all.ok());
    if (all.ok())
      for (const AuditEvent& e : *all)
        if (e.action == action) out.push_back(e);
    return out;
  }
  // Every byte the service wrote: the database and its WAL.
  std::string StoredBytes() {
    std::string all;
    for (auto& f : std::filesystem::directory_iterator(home_))
      if (f.is_regular_file()) all += ReadAll(f.path());
    return all;
  }

  std::atomic<UnixTime> now_{1'800'000'000};
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(ConnectorsTest, A4_PinIsDecidedByItsConnectorAndNeverStoredOrLogged) {
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("S1", "office-entry", "pin-pad", "482913", "desk").ok());
  const int64_t id = Choose("S1", "pin-pad");
  auto wrong = svc_->PresentAlternative(id, "111111", "gate");
  ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
  REQUIREMENT("A4");
  EXPECT_EQ(wrong->outcome, "retry");
  EXPECT_EQ(wrong->connector, "pin");
  EXPECT_EQ(wrong->attempts_left, 2);
  auto right = svc_->PresentAlternative(id, "482913", "gate");
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  EXPECT_EQ(right->outcome, "granted");
  // REQ C6: recorded like a face outcome, by the connector, with the transaction closed.
  auto done = Events("alternative.complete");
  ASSERT_EQ(done.size(), 1u);
  json d = json::parse(done[0].detail);
  EXPECT_EQ(d["match"], true);
  EXPECT_EQ(d["connector"], "pin");
  EXPECT_EQ(d["attempts"], 2);
  EXPECT_TRUE(svc_->store().GetAlternative(id)->closed_at);
  EXPECT_EQ(svc_->PresentAlternative(id, "482913", "gate").status().kind(), ErrorKind::kConflict);
  // The secret is in no stored byte and no audit event: an Argon2id verifier only.
  svc_.reset();
  const std::string bytes = StoredBytes();
  EXPECT_EQ(bytes.find("482913"), std::string::npos);
  EXPECT_EQ(bytes.find("111111"), std::string::npos);
  EXPECT_NE(bytes.find("$argon2id$"), std::string::npos);
}

// Security item 4 (docs/security.md): a stolen database or backup let anyone brute-force the
// PIN verifiers offline (a 6-digit PIN is a million Argon2id tries). The verifier hashes the
// PIN keyed with a pepper derived from the master key, which is not in the database.
TEST_F(ConnectorsTest, A4_PinVerifiersCannotBeCheckedOfflineWithoutTheMasterKey) {
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("S1", "office-entry", "pin-pad", "482913", "desk").ok());
  auto cred = svc_->store().GetAlternativeCredential("S1", "office-entry", "pin-pad");
  ASSERT_TRUE(cred.ok() && *cred);
  const std::string& verifier = (*cred)->verifier;
  ASSERT_EQ(verifier.rfind("pep1$", 0), 0u) << verifier;
  // What an attacker with the database does: check guesses against the Argon2id string.
  const std::string stored = verifier.substr(5);
  EXPECT_NE(crypto_pwhash_str_verify(stored.c_str(), "482913", 6), 0)
      << "the right PIN checks against the stored verifier without the pepper";
  // The service, holding the master key, still decides; so does an older, unpeppered verifier.
  EXPECT_EQ(svc_->PresentAlternative(Choose("S1", "pin-pad"), "482913", "gate")->outcome, "granted");
  EXPECT_FALSE(service::CredentialMatches(verifier, "482913", std::string(32, 'x')));
  char legacy[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str(legacy, "1234", 4, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE),
            0);
  EXPECT_TRUE(service::CredentialMatches(legacy, "1234", std::string(32, 'x')));
}

TEST_F(ConnectorsTest, A4_ThreeWrongCredentialsCloseTheTransactionDenied) {
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("S1", "office-entry", "badge", "04A1B2C3D4", "desk").ok());
  const int64_t id = Choose("S1", "badge");
  REQUIREMENT("A4");
  EXPECT_EQ(svc_->PresentAlternative(id, "04FFFFFFFF", "gate")->outcome, "retry");
  EXPECT_EQ(svc_->PresentAlternative(id, "04EEEEEEEE", "gate")->outcome, "retry");
  auto third = svc_->PresentAlternative(id, "04DDDDDDDD", "gate");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->outcome, "denied");
  EXPECT_EQ(third->attempts_left, 0);
  EXPECT_EQ(svc_->store().GetAlternative(id)->outcome, "denied");
  // The right card after the third failure: the transaction is closed; a new one works.
  EXPECT_EQ(svc_->PresentAlternative(id, "04A1B2C3D4", "gate").status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(svc_->PresentAlternative(Choose("S1", "badge"), "04A1B2C3D4", "gate")->outcome, "granted");
  // Nothing registered for S2: an error that says what to do, and the transaction stays open.
  const int64_t s2 = Choose("S2", "badge");
  auto none = svc_->PresentAlternative(s2, "04A1B2C3D4", "gate");
  EXPECT_EQ(none.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(none.status().message().find("alternative register"), std::string::npos) << none.status().message();
  EXPECT_FALSE(svc_->store().GetAlternative(s2)->closed_at);
}

TEST_F(ConnectorsTest, A4_QrTokenIsSingleUseBoundToThePersonAndExpires) {
  auto token = svc_->IssueAlternativeToken("S1", "office-entry", "qr-code", 300, "desk");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // Another person's transaction: not granted.
  auto other = svc_->PresentAlternative(Choose("S2", "qr-code"), *token, "gate");
  ASSERT_TRUE(other.ok());
  REQUIREMENT("A4");
  EXPECT_EQ(other->outcome, "retry");
  EXPECT_NE(other->reason.find("another person"), std::string::npos) << other->reason;
  // A forged token (one character of the signed payload changed): not granted.
  std::string forged = *token;
  forged[3] = forged[3] == 'A' ? 'B' : 'A';
  auto f = svc_->PresentAlternative(Choose("S1", "qr-code"), forged, "gate");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->outcome, "retry");
  EXPECT_NE(f->reason.find("not a token issued by this installation"), std::string::npos) << f->reason;
  // The person's own transaction: granted, once.
  EXPECT_EQ(svc_->PresentAlternative(Choose("S1", "qr-code"), *token, "gate")->outcome, "granted");
  auto again = svc_->PresentAlternative(Choose("S1", "qr-code"), *token, "gate");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, "retry");
  EXPECT_NE(again->reason.find("already used"), std::string::npos) << again->reason;
  // Expiry.
  auto late = svc_->IssueAlternativeToken("S1", "office-entry", "qr-code", 60, "desk");
  ASSERT_TRUE(late.ok());
  now_ += 61;
  auto expired = svc_->PresentAlternative(Choose("S1", "qr-code"), *late, "gate");
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->outcome, "retry");
  EXPECT_NE(expired->reason.find("expired"), std::string::npos) << expired->reason;
  // Tokens are for qr alternatives only, and are valid 1..86400 s.
  EXPECT_EQ(svc_->IssueAlternativeToken("S1", "office-entry", "pin-pad", 60, "desk").status().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->IssueAlternativeToken("S1", "office-entry", "qr-code", 0, "desk").status().kind(),
            ErrorKind::kInvalidInput);
}

TEST_F(ConnectorsTest, A4_IdentityServiceOverHttpDecidesAndStaffDecideWhenItIsDown) {
  // An identity service on this machine: verifies the token "ctid-ok" for subject S1.
  httplib::Server ids;
  std::atomic<int> calls{0};
  ids.Post("/verify", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    json b = json::parse(req.body);
    const bool ok = b["credential"] == "ctid-ok" && b["subject"] == "S1" && b["purpose"] == "office-entry" &&
                    b["method"] == "id-service";
    res.set_content(json{{"verified", ok}, {"reference", "CTID-2026-0001"}}.dump(), "application/json");
  });
  const int port = ids.bind_to_any_port("127.0.0.1");
  std::thread t([&] { ids.listen_after_bind(); });
  while (!ids.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Bind("id-service", "http",
       json{{"url", "http://127.0.0.1:" + std::to_string(port) + "/verify"}, {"timeout_ms", 2000}}.dump());

  const int64_t id = Choose("S1", "id-service");
  REQUIREMENT("A4");
  EXPECT_EQ(svc_->PresentAlternative(id, "ctid-bad", "gate")->outcome, "retry");
  auto ok = svc_->PresentAlternative(id, "ctid-ok", "gate");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->outcome, "granted");
  EXPECT_EQ(calls.load(), 2);
  auto done = Events("alternative.complete");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(json::parse(done[0].detail)["reference"], "CTID-2026-0001");
  EXPECT_EQ(done[0].detail.find("ctid-ok"), std::string::npos) << "the credential is never logged";

  // The service goes down: the method cannot decide, the transaction stays open, staff decide.
  ids.stop();
  t.join();
  const int64_t id2 = Choose("S1", "id-service");
  auto down = svc_->PresentAlternative(id2, "ctid-ok", "gate");
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.status().message().find("did not answer"), std::string::npos) << down.status().message();
  EXPECT_NE(down.status().message().find("staff"), std::string::npos) << down.status().message();
  EXPECT_FALSE(svc_->store().GetAlternative(id2)->closed_at);
  ASSERT_TRUE(svc_->CompleteAlternative(id2, "granted", "desk").ok());
  done = Events("alternative.complete");
  ASSERT_EQ(done.size(), 2u);
  json d = json::parse(done[1].detail);
  EXPECT_EQ(d["decided_by"], "staff");
  EXPECT_EQ(d["connector"], "http");
}

// A connector kind an integrator adds (here: a badge reader whose SDK answers for a badge
// number), bound and used like a built-in one.
class PrefixConnector final : public service::Connector {
 public:
  explicit PrefixConnector(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string kind() const override { return "site-badge"; }
  Result<service::ConnectorDecision> Check(const service::CredentialCheck& c) override {
    service::ConnectorDecision d;
    d.granted = c.credential.rfind(prefix_, 0) == 0;
    d.reason = d.granted ? "badge of this site" : "badge of another site";
    return d;
  }

 private:
  std::string prefix_;
};

TEST_F(ConnectorsTest, A4_AnIntegratorAddsAConnectorKind) {
  ASSERT_TRUE(svc_->AddConnectorKind("site-badge", [](const std::string& config, const service::ConnectorEnv&)
                                                       -> Result<std::unique_ptr<service::Connector>> {
                    json c = json::parse(config, nullptr, false);
                    if (!c.is_object() || !c.contains("prefix"))
                      return Status::InvalidInput("site-badge needs {\"prefix\": ...}");
                    return std::unique_ptr<service::Connector>(
                        std::make_unique<PrefixConnector>(c["prefix"].get<std::string>()));
                  }).ok());
  EXPECT_EQ(svc_->AddConnectorKind("pin", {}).kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->AddConnectorKind("pin", [](const std::string&, const service::ConnectorEnv&)
                                              -> Result<std::unique_ptr<service::Connector>> {
                                     return Status::Internal("unused");
                                   }).kind(),
            ErrorKind::kConflict);
  Bind("badge", "site-badge", R"({"prefix": "SH-"})");
  REQUIREMENT("A4");
  EXPECT_EQ(svc_->PresentAlternative(Choose("S1", "badge"), "BJ-0042", "gate")->outcome, "retry");
  EXPECT_EQ(svc_->PresentAlternative(Choose("S1", "badge"), "SH-0042", "gate")->outcome, "granted");
}

TEST_F(ConnectorsTest, A4_BadBindingsAndCredentialsAreRefusedNamingWhatToDo) {
  AlternativeConnectorRecord r;
  r.purpose = "office-entry";
  r.method = "not-declared";
  r.kind = "pin";
  Status st = svc_->ConnectAlternative(r, "admin");
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(st.message().find("purpose add --alternative"), std::string::npos) << st.message();
  r.method = "id-service";
  r.kind = "fingerprint";
  EXPECT_EQ(svc_->ConnectAlternative(r, "admin").kind(), ErrorKind::kInvalidInput);
  r.kind = "http";
  r.config = R"({"url": "ftp://example/verify"})";
  st = svc_->ConnectAlternative(r, "admin");
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(st.message().find("not an http(s) URL"), std::string::npos) << st.message();
  r.purpose = "no-such-purpose";
  EXPECT_EQ(svc_->ConnectAlternative(r, "admin").kind(), ErrorKind::kNotFound);

  EXPECT_EQ(svc_->RegisterAlternativeCredential("S1", "office-entry", "pin-pad", "12ab", "desk").kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->RegisterAlternativeCredential("S1", "office-entry", "pin-pad", "123", "desk").kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->RegisterAlternativeCredential("S1", "office-entry", "qr-code", "123456", "desk").kind(),
            ErrorKind::kInvalidInput);
  // The front desk is unbound: staff decide it, and presenting a credential says so.
  auto front = svc_->PresentAlternative(Choose("S1", "front-desk"), "anything", "gate");
  EXPECT_EQ(front.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(front.status().message().find("alternative complete"), std::string::npos) << front.status().message();
  auto listed = svc_->AlternativeConnectors("office-entry");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 5u);
  EXPECT_EQ((*listed)[0].method, "pin-pad");
  EXPECT_EQ((*listed)[0].kind, "pin");
  EXPECT_EQ((*listed)[4].method, "front-desk");
  EXPECT_EQ((*listed)[4].kind, "staff");
}

TEST_F(ConnectorsTest, A4_S5_S7_CredentialsExpireWithTheRetentionAndGoWithAnErasure) {
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("S1", "office-entry", "pin-pad", "482913", "desk").ok());
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("S2", "office-entry", "pin-pad", "771100", "desk").ok());
  now_ += 10;
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("S3", "office-entry", "pin-pad", "665544", "desk").ok());
  // Erasure (REQ R1, S7) takes S1's verifier with it.
  auto erased = svc_->EraseSubject("S1", 0, "dpo");
  ASSERT_TRUE(erased.ok()) << erased.status().ToString();
  REQUIREMENT("S5");
  EXPECT_EQ(erased->alternative_credentials_deleted, 1);
  EXPECT_FALSE(*svc_->store().GetAlternativeCredential("S1", "office-entry", "pin-pad"));
  // 30 days (the purpose's retention) after registration, the sweep deletes S2's, not yet S3's.
  now_ += 30 * 86400 - 10;
  auto sweep = svc_->SweepRetention("retention");
  ASSERT_TRUE(sweep.ok());
  EXPECT_EQ(sweep->alternative_credentials_deleted, 1);
  EXPECT_FALSE(*svc_->store().GetAlternativeCredential("S2", "office-entry", "pin-pad"));
  EXPECT_TRUE(*svc_->store().GetAlternativeCredential("S3", "office-entry", "pin-pad"));
  auto swept = Events("retention.sweep");
  ASSERT_EQ(swept.size(), 1u);
  EXPECT_EQ(json::parse(swept[0].detail)["alternative_credentials_deleted"], 1);
}

TEST_F(ConnectorsTest, A4_CommandLineReadsSecretsFromStandardInput) {
  svc_.reset();  // the binary opens the same home
  auto reg = RunCli(home_, "--json alternative register S7 office-entry pin-pad < /dev/null");
  EXPECT_NE(reg.exit_code, 0) << "without a PIN on standard input: " << reg.out;
  EXPECT_NE(reg.out.find("standard input"), std::string::npos) << reg.out;
  const std::string pipe = "echo 902211 | FACEGATE_HOME='" + home_.string() + "' FACEGATE_MODELS='" +
                           FACEGATE_MODELS + "' FACEGATE_LOCK='" + FACEGATE_LOCK + "' '" + FACEGATE_CLI + "' ";
  auto run = [&](const std::string& args) {
    CliResult r;
    FILE* p = popen((pipe + args + " 2>&1").c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
  };
  auto ok = run("--json alternative register S7 office-entry pin-pad");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  auto chosen = RunCli(home_, "--json alternative choose S7 office-entry pin-pad --session gate-1");
  ASSERT_EQ(chosen.exit_code, 0) << chosen.out;
  const int64_t id = json::parse(chosen.out)["transaction"].get<int64_t>();
  auto present = run("--json alternative present " + std::to_string(id));
  ASSERT_EQ(present.exit_code, 0) << present.out;
  json p = json::parse(present.out);
  EXPECT_EQ(p["outcome"], "granted");
  EXPECT_EQ(p["connector"], "pin");
  auto listed = RunCli(home_, "--json alternative connectors office-entry");
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_EQ(json::parse(listed.out).size(), 5u);
  EXPECT_NE(RunCli(home_, "alternative --help").out.find("present"), std::string::npos);
}

}  // namespace
}  // namespace facegate
