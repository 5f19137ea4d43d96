// API keys of the REST server: who may call what. Keys are 32 random bytes shown
// once at creation and stored only as a BLAKE2b hash in $data_dir/apikeys.db
// (SQLite, WAL, 0600), a small database of its own next to facegate.db.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace facegate::server {

// What a key may do (docs/api.md, "Roles"): admin everything; operator purposes,
// notices, consents, enrol, verify; auditor the audit log; device enrol/verify for
// its own device and purposes only.
enum class Role { kAdmin, kOperator, kAuditor, kDevice };
const char* ToString(Role r);
std::optional<Role> ParseRole(const std::string& s);

// A stored key, without its secret.
struct ApiKey {
  std::string id;  // public handle: appears in the audit log as "key:<id>"
  Role role = Role::kOperator;
  std::string device;                 // device keys: the device it belongs to
  std::vector<std::string> purposes;  // device keys: the purposes it may act for
  UnixTime created_at = 0;
  std::optional<UnixTime> revoked_at;
};

// A new key: the secret is returned once and never stored.
struct CreatedKey {
  ApiKey key;
  std::string secret;  // "fgk_" + base64url(32 random bytes)
};

class ApiKeyStore {
 public:
  // Opens (creating with mode 0600) the key database at `path`.
  static Result<std::unique_ptr<ApiKeyStore>> Open(const std::string& path);
  ~ApiKeyStore();

  // Makes a key. Device keys need a device and at least one purpose; other roles take neither.
  Result<CreatedKey> Create(Role role, const std::string& device,
                            const std::vector<std::string>& purposes, UnixTime now);
  // The active key whose secret is `secret`; kNotFound for unknown or revoked keys.
  Result<ApiKey> Authenticate(const std::string& secret);
  Result<std::vector<ApiKey>> List();
  // Revokes a key by id; kNotFound if there is no such active key.
  Status Revoke(const std::string& id, UnixTime now);
  // Number of active keys of a role (serve bootstraps an admin key when there is none).
  Result<int64_t> CountActive(Role role);

 private:
  explicit ApiKeyStore(sqlite3* db) : db_(db) {}
  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace facegate::server
