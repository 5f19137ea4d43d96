// Alternative connectors (REQ A4): how a non-face method (card, PIN, QR code, an external
// identity service, a person at a desk) decides a face-free transaction. A connector sees a
// credential and the transaction's subject and purpose, never a face (REQ A2).
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace facegate::store {
class Store;
}

namespace facegate::service {

// What a connector is asked to decide: the open transaction and the credential presented.
struct CredentialCheck {
  int64_t transaction = 0;
  std::string subject;
  std::string purpose;
  std::string method;      // the purpose's declared alternative
  std::string credential;  // PIN digits, card number, QR payload, identity-service token
  UnixTime now = 0;
};

// A connector's decision. `reference` is what may be logged (e.g. the identity service's
// transaction number); the credential itself is never logged or returned.
struct ConnectorDecision {
  bool granted = false;
  std::string reason;     // why, in words a person at the desk can act on
  std::string reference;
};

// What a connector may use: the store (for verifiers and single-use tokens) and a key
// derived from the master key for signing tokens.
struct ConnectorEnv {
  store::Store* store = nullptr;
  std::string signing_seed;  // 32 bytes, Ed25519 seed of this installation's QR tokens
  // 32 bytes derived from the master key, mixed into PIN and card verifiers (a pepper), so a
  // stolen database or backup without the key file cannot be brute-forced offline.
  std::string pepper;
};

// A pluggable alternative method. Check returns a decision, or an error when the method
// could not decide (the service unreachable, nothing registered): the transaction then
// stays open and staff may decide instead.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual std::string kind() const = 0;
  // True when a person records the outcome by hand (the "staff" kind) instead of a credential.
  virtual bool manual() const { return false; }
  virtual Result<ConnectorDecision> Check(const CredentialCheck& check) = 0;
};

// Makes a connector of one kind from its JSON settings; kInvalidInput for bad settings.
using ConnectorFactory =
    std::function<Result<std::unique_ptr<Connector>>(const std::string& config_json, const ConnectorEnv& env)>;

// The kinds built in: staff, pin, card, qr, http (docs/compliance-alternatives.md).
const std::vector<std::string>& BuiltInConnectorKinds();
// Makes a built-in connector; kInvalidInput naming the kinds for an unknown one.
Result<std::unique_ptr<Connector>> MakeBuiltInConnector(const std::string& kind, const std::string& config_json,
                                                        const ConnectorEnv& env);

// Argon2id verifier of a PIN or card number keyed with the pepper ("pep1$" + crypto_pwhash_str
// of BLAKE2b(secret, key = pepper)), and its check; verifiers made before the pepper (no prefix)
// still check against the plain secret until the person registers again.
Result<std::string> MakeCredentialVerifier(const std::string& secret, const std::string& pepper);
bool CredentialMatches(const std::string& verifier, const std::string& secret, const std::string& pepper);

// A single-use QR token: base64url(payload JSON) "." base64url(Ed25519 signature). The payload
// names subject, purpose, method, expiry and a random nonce; it is no secret, only unforgeable.
std::string IssueToken(const std::string& signing_seed, const std::string& subject, const std::string& purpose,
                       const std::string& method, UnixTime expires_at);

}  // namespace facegate::service
