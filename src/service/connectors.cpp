// Built-in alternative connectors (REQ A4): staff, pin, card, qr and http. Each decides a
// face-free transaction from a credential; none sees a face (REQ A2).
#include <facegate/connectors.h>
#include <facegate/store.h>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>

namespace facegate::service {

using json = nlohmann::json;

namespace {

std::string B64(const std::string& bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> Unb64(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

struct KeyPair {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  explicit KeyPair(const std::string& seed) {
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
  }
  ~KeyPair() { sodium_memzero(sk, sizeof sk); }
};

// A person at a desk checks a card or an ID and records the outcome by hand.
class StaffConnector final : public Connector {
 public:
  std::string kind() const override { return "staff"; }
  bool manual() const override { return true; }
  Result<ConnectorDecision> Check(const CredentialCheck&) override {
    return Status::InvalidInput(
        "this alternative is checked by staff: record the outcome with `facegate alternative complete ID "
        "granted|denied` (POST /v1/alternatives/{id}/complete)");
  }
};

// A secret registered to the person (PIN digits or a card number), kept as an Argon2id verifier.
class SecretConnector final : public Connector {
 public:
  SecretConnector(std::string kind, store::Store* store, std::string pepper)
      : kind_(std::move(kind)), store_(store), pepper_(std::move(pepper)) {}
  ~SecretConnector() override { sodium_memzero(pepper_.data(), pepper_.size()); }
  std::string kind() const override { return kind_; }
  Result<ConnectorDecision> Check(const CredentialCheck& c) override {
    FG_ASSIGN_OR_RETURN(std::optional<AlternativeCredentialRecord> cred,
                        store_->GetAlternativeCredential(c.subject, c.purpose, c.method));
    if (!cred || cred->expires_at <= c.now)
      return Status::NotFound("subject '" + c.subject + "' has no " + kind_ + " registered for alternative '" +
                              c.method + "' of purpose '" + c.purpose +
                              "' (or it expired): register one with `facegate alternative register`, or let "
                              "staff decide this transaction");
    ConnectorDecision d;
    d.granted = CredentialMatches(cred->verifier, c.credential, pepper_);
    d.reason = d.granted ? "the " + kind_ + " matches the one registered" : "the " + kind_ + " does not match";
    return d;
  }

 private:
  std::string kind_;
  store::Store* store_;
  std::string pepper_;
};

// A signed single-use token (shown as a QR code): unforgeable without the installation's key,
// bound to one subject, purpose and method, with an expiry; a nonce makes it single-use.
class QrConnector final : public Connector {
 public:
  QrConnector(std::string seed, store::Store* store) : seed_(std::move(seed)), store_(store) {}
  std::string kind() const override { return "qr"; }
  Result<ConnectorDecision> Check(const CredentialCheck& c) override {
    ConnectorDecision d;
    const size_t dot = c.credential.find('.');
    std::optional<std::string> payload, sig;
    if (dot != std::string::npos) {
      payload = Unb64(c.credential.substr(0, dot));
      sig = Unb64(c.credential.substr(dot + 1));
    }
    KeyPair keys(seed_);
    if (!payload || !sig || sig->size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                    reinterpret_cast<const unsigned char*>(payload->data()), payload->size(),
                                    keys.pk) != 0) {
      d.reason = "the code is not a token issued by this installation";
      return d;
    }
    json p = json::parse(*payload, nullptr, false);
    if (!p.is_object() || !p.contains("nonce") || !p.contains("exp")) {
      d.reason = "the token's content is malformed";
      return d;
    }
    if (p.value("sub", "") != c.subject || p.value("purpose", "") != c.purpose ||
        p.value("method", "") != c.method) {
      d.reason = "the token was issued for another person, purpose or method";
      return d;
    }
    const UnixTime exp = p.value("exp", int64_t{0});
    if (exp <= c.now) {
      d.reason = "the token expired at " + std::to_string(exp) + "; issue a new one";
      return d;
    }
    const std::string nonce = p.value("nonce", "");
    Status claimed = store_->ClaimAlternativeToken(nonce, c.now, exp);
    if (claimed.kind() == ErrorKind::kConflict) {
      d.reason = "the token was already used; a token opens one transaction only";
      return d;
    }
    FG_RETURN_IF_ERROR(claimed);
    d.granted = true;
    d.reason = "a valid token issued for this person and purpose";
    d.reference = "token:" + nonce.substr(0, 8);
    return d;
  }

 private:
  std::string seed_;
  store::Store* store_;
};

// An external identity service (e.g. a national online identity service): the credential is
// posted with the transaction's subject, purpose and method; it answers {"verified": bool}.
class HttpConnector final : public Connector {
 public:
  HttpConnector(std::string base, std::string path, int timeout_ms)
      : base_(std::move(base)), path_(std::move(path)), timeout_ms_(timeout_ms) {}
  std::string kind() const override { return "http"; }
  Result<ConnectorDecision> Check(const CredentialCheck& c) override {
    httplib::Client cli(base_);
    cli.set_connection_timeout(0, timeout_ms_ * 1000);
    cli.set_read_timeout(0, timeout_ms_ * 1000);
    cli.set_write_timeout(0, timeout_ms_ * 1000);
    json body = {{"transaction", c.transaction}, {"subject", c.subject}, {"purpose", c.purpose},
                 {"method", c.method}, {"credential", c.credential}};
    auto res = cli.Post(path_, body.dump(), "application/json");
    const std::string where = "the identity service at " + base_ + path_;
    if (!res)
      return Status::Internal(where + " did not answer (" + httplib::to_string(res.error()) +
                              "); the transaction stays open: try again or let staff decide it");
    if (res->status != 200)
      return Status::Internal(where + " answered HTTP " + std::to_string(res->status) +
                              "; the transaction stays open: try again or let staff decide it");
    json r = json::parse(res->body, nullptr, false);
    if (!r.is_object() || !r.contains("verified") || !r["verified"].is_boolean())
      return Status::Internal(where + " answered without a boolean \"verified\"; check its settings "
                              "(docs/compliance-alternatives.md)");
    ConnectorDecision d;
    d.granted = r["verified"].get<bool>();
    d.reason = d.granted ? "the identity service verified the person" : "the identity service did not verify the person";
    if (r.contains("reference") && r["reference"].is_string()) d.reference = r["reference"].get<std::string>().substr(0, 80);
    return d;
  }

 private:
  std::string base_, path_;
  int timeout_ms_;
};

Result<std::unique_ptr<Connector>> MakeHttp(const std::string& config_json) {
  json cfg = json::parse(config_json.empty() ? "{}" : config_json, nullptr, false);
  const std::string hint = "an http connector needs settings like {\"url\": \"https://id.example/verify\", "
                           "\"timeout_ms\": 3000}";
  if (!cfg.is_object() || !cfg.contains("url") || !cfg["url"].is_string())
    return Status::InvalidInput(hint);
  const std::string url = cfg["url"].get<std::string>();
  static const std::regex kUrl(R"(^(https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?)(/[^\s]*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl))
    return Status::InvalidInput("url '" + url + "' is not an http(s) URL; " + hint);
  int timeout_ms = cfg.value("timeout_ms", 3000);
  if (timeout_ms < 100 || timeout_ms > 30000)
    return Status::InvalidInput("timeout_ms must be 100..30000 (a person is waiting), not " +
                                std::to_string(timeout_ms));
  const std::string path = m[3].matched && !m[3].str().empty() ? m[3].str() : "/";
  return std::unique_ptr<Connector>(std::make_unique<HttpConnector>(m[1].str(), path, timeout_ms));
}

}  // namespace

const std::vector<std::string>& BuiltInConnectorKinds() {
  static const std::vector<std::string> kinds = {"staff", "pin", "card", "qr", "http"};
  return kinds;
}

Result<std::unique_ptr<Connector>> MakeBuiltInConnector(const std::string& kind, const std::string& config_json,
                                                        const ConnectorEnv& env) {
  if (kind == "staff") return std::unique_ptr<Connector>(std::make_unique<StaffConnector>());
  if (kind == "pin" || kind == "card")
    return std::unique_ptr<Connector>(std::make_unique<SecretConnector>(kind, env.store, env.pepper));
  if (kind == "qr") {
    if (env.signing_seed.size() != crypto_sign_SEEDBYTES)
      return Status::Internal("the token signing key is missing; the master key could not be read");
    return std::unique_ptr<Connector>(std::make_unique<QrConnector>(env.signing_seed, env.store));
  }
  if (kind == "http") return MakeHttp(config_json);
  return Status::InvalidInput("connector kind '" + kind + "' is unknown; use one of staff, pin, card, qr, http");
}

namespace {

constexpr char kPepperedPrefix[] = "pep1$";

// The secret keyed with the pepper: what Argon2id hashes. Without the pepper (the master
// key), a guess cannot be checked against a stolen verifier.
std::string Peppered(const std::string& secret, const std::string& pepper) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     reinterpret_cast<const unsigned char*>(pepper.data()), pepper.size());
  std::string out(reinterpret_cast<const char*>(h), sizeof h);
  sodium_memzero(h, sizeof h);
  return out;
}

}  // namespace

Result<std::string> MakeCredentialVerifier(const std::string& secret, const std::string& pepper) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  if (pepper.size() < crypto_generichash_KEYBYTES_MIN)
    return Status::Internal("the credential pepper is missing; the master key could not be read");
  std::string keyed = Peppered(secret, pepper);
  char out[crypto_pwhash_STRBYTES];
  const int rc = crypto_pwhash_str(out, keyed.data(), keyed.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE);
  sodium_memzero(keyed.data(), keyed.size());
  if (rc != 0) return Status::Internal("out of memory while hashing the credential (Argon2id needs 64 MiB)");
  return std::string(kPepperedPrefix) + out;
}

bool CredentialMatches(const std::string& verifier, const std::string& secret, const std::string& pepper) {
  if (sodium_init() < 0) return false;
  const size_t n = sizeof kPepperedPrefix - 1;
  if (verifier.compare(0, n, kPepperedPrefix) != 0)  // made before the pepper
    return crypto_pwhash_str_verify(verifier.c_str(), secret.data(), secret.size()) == 0;
  if (pepper.size() < crypto_generichash_KEYBYTES_MIN) return false;
  std::string keyed = Peppered(secret, pepper);
  const bool ok = crypto_pwhash_str_verify(verifier.c_str() + n, keyed.data(), keyed.size()) == 0;
  sodium_memzero(keyed.data(), keyed.size());
  return ok;
}

std::string IssueToken(const std::string& signing_seed, const std::string& subject, const std::string& purpose,
                       const std::string& method, UnixTime expires_at) {
  unsigned char nonce[16];
  randombytes_buf(nonce, sizeof nonce);
  std::string hex(sizeof nonce * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), nonce, sizeof nonce);
  hex.pop_back();
  const std::string payload =
      json{{"sub", subject}, {"purpose", purpose}, {"method", method}, {"exp", expires_at}, {"nonce", hex}}.dump();
  KeyPair keys(signing_seed);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                       keys.sk);
  return B64(payload) + "." + B64(std::string(reinterpret_cast<char*>(sig), sizeof sig));
}

}  // namespace facegate::service
