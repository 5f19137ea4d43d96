// The audit chain's hash (REQ S6), shared by every Store backend so a chain
// written by one verifies in another.
#pragma once

#include <facegate/records.h>

#include <string>

namespace facegate::store {

// prev_hash of the first event: 64 '0'.
inline const std::string kGenesisHash(64, '0');

// Canonical bytes of an event: the tag "facegate.audit.v1", then seq and at as
// 8-byte little-endian two's complement, then actor, action, subject, purpose,
// outcome, detail and prev_hash, each as an 8-byte little-endian length and its bytes.
std::string CanonicalAuditBytes(const AuditEvent& e);

// Lower-case hex SHA-256 (libsodium crypto_hash_sha256) of CanonicalAuditBytes(e).
std::string AuditHash(const AuditEvent& e);

// Hex SHA-256 of arbitrary bytes (notice texts).
std::string Sha256Hex(const std::string& bytes);

}  // namespace facegate::store
