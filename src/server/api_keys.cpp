#include "server/api_keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace facegate::server {

using json = nlohmann::json;

void ClosePg(pg_conn* c);  // api_keys_postgres.cpp

const char* ToString(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kAuditor:
      return "auditor";
    case Role::kDevice:
      return "device";
  }
  return "unknown";
}

std::optional<Role> ParseRole(const std::string& s) {
  if (s == "admin") return Role::kAdmin;
  if (s == "operator") return Role::kOperator;
  if (s == "auditor") return Role::kAuditor;
  if (s == "device") return Role::kDevice;
  return std::nullopt;
}

// Secrets are 256 random bits, so a fast hash cannot be inverted by guessing; the
// database alone lets nobody authenticate.
std::string HashApiKeySecret(const std::string& secret) {
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

namespace {

constexpr const char* kPrefix = "fgk_";

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

std::string NewSecret() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string b64(sodium_base64_ENCODED_LEN(sizeof raw, variant), '\0');
  sodium_bin2base64(b64.data(), b64.size(), raw, sizeof raw, variant);
  b64.resize(b64.find('\0'));
  sodium_memzero(raw, sizeof raw);
  return kPrefix + b64;
}

Status SqlError(sqlite3* db, const std::string& what) {
  return Status::Internal(what + ": " + sqlite3_errmsg(db) + "; check the API key database");
}

// A prepared statement that finalizes itself.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  void Text(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Blob(int i, const std::string& v) {
    sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
  std::string Col(int i) {
    const unsigned char* t = sqlite3_column_text(s, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
};

ApiKey RowToKey(Stmt& st) {
  ApiKey k;
  k.id = st.Col(0);
  k.role = ParseRole(st.Col(1)).value_or(Role::kDevice);
  k.device = st.Col(2);
  json p = json::parse(st.Col(3), nullptr, false);
  if (p.is_array())
    for (auto& x : p)
      if (x.is_string()) k.purposes.push_back(x.get<std::string>());
  k.created_at = sqlite3_column_int64(st.s, 4);
  if (sqlite3_column_type(st.s, 5) != SQLITE_NULL) k.revoked_at = sqlite3_column_int64(st.s, 5);
  return k;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  role TEXT NOT NULL,
  device TEXT NOT NULL DEFAULT '',
  purposes TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
PRAGMA user_version = 1;
)sql";

}  // namespace

Result<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(const std::string& path) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  // Create the file 0600 before SQLite does: its -wal and -shm files copy this mode.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status::Internal("cannot create API key database " + path +
                            "; check that the data directory is writable");
  ::fchmod(fd, 0600);
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    Status st = SqlError(db, "cannot open API key database " + path);
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, 5000);  // the CLI may add a key while the server runs
  char* err = nullptr;
  std::string sql = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") + kSchema;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status st =
        Status::Internal(std::string("cannot set up API key database: ") + (err ? err : "?"));
    sqlite3_free(err);
    sqlite3_close(db);
    return st;
  }
  return std::unique_ptr<ApiKeyStore>(new ApiKeyStore(db));
}

ApiKeyStore::~ApiKeyStore() {
  if (db_) sqlite3_close(db_);
  if (pg_) ClosePg(pg_);
}

Result<CreatedKey> ApiKeyStore::Create(Role role, const std::string& device,
                                       const std::vector<std::string>& purposes, UnixTime now) {
  if (role == Role::kDevice && (device.empty() || purposes.empty()))
    return Status::InvalidInput(
        "a device key needs the device it belongs to (--device) and at least one "
        "purpose it may act for (--purpose)");
  if (role != Role::kDevice && (!device.empty() || !purposes.empty()))
    return Status::InvalidInput(
        std::string("--device and --purpose apply to device keys only, not to ") + ToString(role) +
        " keys");
  CreatedKey out;
  out.key.id = RandomHex(6);
  out.key.role = role;
  out.key.device = device;
  out.key.purposes = purposes;
  out.key.created_at = now;
  out.secret = NewSecret();
  std::lock_guard<std::mutex> lock(mu_);
  if (pg_) {
    FG_RETURN_IF_ERROR(PgInsert(out.key, HashApiKeySecret(out.secret)));
    return out;
  }
  Stmt st(db_,
          "INSERT INTO api_keys(id, hash, role, device, purposes, created_at) VALUES(?,?,?,?,?,?)");
  st.Text(1, out.key.id);
  st.Blob(2, HashApiKeySecret(out.secret));
  st.Text(3, ToString(role));
  st.Text(4, device);
  st.Text(5, json(purposes).dump());
  st.Int(6, now);
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "cannot store the new API key");
  return out;
}

Result<ApiKey> ApiKeyStore::Authenticate(const std::string& secret) {
  if (secret.rfind(kPrefix, 0) != 0) return Status::NotFound("not a facegate API key");
  std::lock_guard<std::mutex> lock(mu_);
  if (pg_) return PgAuthenticate(HashApiKeySecret(secret));
  Stmt st(db_,
          "SELECT id, role, device, purposes, created_at, revoked_at FROM api_keys "
          "WHERE hash = ? AND revoked_at IS NULL");
  st.Blob(1, HashApiKeySecret(secret));
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_ROW) return RowToKey(st);
  if (rc == SQLITE_DONE) return Status::NotFound("unknown or revoked API key");
  return SqlError(db_, "cannot look up the API key");
}

Result<std::vector<ApiKey>> ApiKeyStore::List() {
  std::lock_guard<std::mutex> lock(mu_);
  if (pg_) return PgList();
  Stmt st(db_,
          "SELECT id, role, device, purposes, created_at, revoked_at FROM api_keys ORDER BY "
          "created_at, id");
  std::vector<ApiKey> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) out.push_back(RowToKey(st));
  if (rc != SQLITE_DONE) return SqlError(db_, "cannot list API keys");
  return out;
}

Status ApiKeyStore::Revoke(const std::string& id, UnixTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pg_) return PgRevoke(id, now);
  Stmt st(db_, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  st.Int(1, now);
  st.Text(2, id);
  if (sqlite3_step(st.s) != SQLITE_DONE) return SqlError(db_, "cannot revoke the API key");
  if (sqlite3_changes(db_) == 0)
    return Status::NotFound("no active API key with id '" + id + "'; see `facegate apikey list`");
  return Status::Ok();
}

Result<int64_t> ApiKeyStore::CountActive(Role role) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pg_) return PgCountActive(role);
  Stmt st(db_, "SELECT count(*) FROM api_keys WHERE role = ? AND revoked_at IS NULL");
  st.Text(1, ToString(role));
  if (sqlite3_step(st.s) != SQLITE_ROW) return SqlError(db_, "cannot count API keys");
  return static_cast<int64_t>(sqlite3_column_int64(st.s, 0));
}

}  // namespace facegate::server
