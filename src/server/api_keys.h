// API keys of the REST server: who may call what. Keys are 32 random bytes shown
// once at creation and stored only as a BLAKE2b hash: in $data_dir/apikeys.db
// (SQLite, WAL, 0600) next to facegate.db, or, when the nodes share PostgreSQL,
// in that database's api_keys table, so a key made or revoked on one node holds
// on every node at its next request.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct pg_conn;

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
  // The keys of every node sharing the PostgreSQL database `conninfo` (table api_keys,
  // created if missing). When `import_from` names an existing apikeys.db (this node's
  // keys from before it shared its keys), its keys are copied in, revoked ones
  // revoked; a key already there is left as it is, so importing again changes nothing.
  static Result<std::unique_ptr<ApiKeyStore>> OpenPostgres(const std::string& conninfo,
                                                           const std::string& import_from);
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
  explicit ApiKeyStore(pg_conn* pg) : pg_(pg) {}
  // PostgreSQL bodies of the methods above (api_keys_postgres.cpp); mu_ is held.
  Status PgInsert(const ApiKey& k, const std::string& hash);
  Result<ApiKey> PgAuthenticate(const std::string& hash);
  Result<std::vector<ApiKey>> PgList();
  Status PgRevoke(const std::string& id, UnixTime now);
  Result<int64_t> PgCountActive(Role role);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  pg_conn* pg_ = nullptr;
};

// The stored form of a secret (BLAKE2b-256), shared by both key databases.
std::string HashApiKeySecret(const std::string& secret);

}  // namespace facegate::server
