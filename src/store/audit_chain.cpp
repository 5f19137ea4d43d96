#include "store/audit_chain.h"

#include <sodium.h>

#include <cstdint>

#include "store/encoding.h"
#include "store/vault_crypto.h"

namespace facegate::store {

std::string CanonicalAuditBytes(const AuditEvent& e) {
  std::string out;
  out.reserve(128 + e.actor.size() + e.action.size() + e.subject.size() + e.purpose.size() +
              e.outcome.size() + e.detail.size() + e.prev_hash.size());
  AppendField(out, "facegate.audit.v1");
  AppendU64(out, static_cast<uint64_t>(e.seq));
  AppendU64(out, static_cast<uint64_t>(e.at));
  AppendField(out, e.actor);
  AppendField(out, e.action);
  AppendField(out, e.subject);
  AppendField(out, e.purpose);
  AppendField(out, e.outcome);
  AppendField(out, e.detail);
  AppendField(out, e.prev_hash);
  return out;
}

std::string Sha256Hex(const std::string& bytes) {
  (void)EnsureSodium();  // sha256 needs no randomness; init only picks implementations
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, 2 * crypto_hash_sha256_BYTES);
}

std::string AuditHash(const AuditEvent& e) {
  return Sha256Hex(CanonicalAuditBytes(e));
}

}  // namespace facegate::store
