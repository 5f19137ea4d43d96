// API keys in the PostgreSQL database the nodes share (docs/api.md, "Several nodes"):
// the same rows as apikeys.db, in table api_keys, so every node authenticates and
// refuses the same keys. One connection per store, used under the store's mutex.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "server/api_keys.h"

namespace facegate::server {

using json = nlohmann::json;

void ClosePg(pg_conn* c) { PQfinish(c); }

namespace {

constexpr const char* kPgSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash BYTEA NOT NULL UNIQUE,
  role TEXT NOT NULL,
  device TEXT NOT NULL DEFAULT '',
  purposes TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
))sql";

constexpr const char* kInsert =
    "INSERT INTO api_keys(id, hash, role, device, purposes, created_at, revoked_at) "
    "VALUES($1, $2, $3, $4, $5, $6::bigint, $7::bigint) ON CONFLICT DO NOTHING";
constexpr const char* kColumns = "id, role, device, purposes, created_at, revoked_at";

// A result that clears itself.
struct Res {
  PGresult* r = nullptr;
  explicit Res(PGresult* x) : r(x) {}
  ~Res() { PQclear(r); }
  bool Ok() const {
    const auto s = PQresultStatus(r);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
  }
};

Status PgError(pg_conn* c, const std::string& what) {
  return Status::Internal(what + ": " + PQerrorMessage(c) +
                          "; check the PostgreSQL database (--db / FACEGATE_DB)");
}

// Text parameters, except those listed as binary (the hash).
PGresult* Exec(pg_conn* c, const char* sql, const std::vector<std::optional<std::string>>& params,
               int binary_index = -1) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (size_t i = 0; i < params.size(); ++i) {
    values.push_back(params[i] ? params[i]->data() : nullptr);
    lengths.push_back(params[i] ? static_cast<int>(params[i]->size()) : 0);
    formats.push_back(static_cast<int>(i) == binary_index ? 1 : 0);
  }
  return PQexecParams(c, sql, static_cast<int>(params.size()), nullptr, values.data(),
                      lengths.data(), formats.data(), 0);
}

ApiKey RowToKey(PGresult* r, int row) {
  ApiKey k;
  k.id = PQgetvalue(r, row, 0);
  k.role = ParseRole(PQgetvalue(r, row, 1)).value_or(Role::kDevice);
  k.device = PQgetvalue(r, row, 2);
  json p = json::parse(PQgetvalue(r, row, 3), nullptr, false);
  if (p.is_array())
    for (auto& x : p)
      if (x.is_string()) k.purposes.push_back(x.get<std::string>());
  k.created_at = std::stoll(PQgetvalue(r, row, 4));
  if (!PQgetisnull(r, row, 5)) k.revoked_at = std::stoll(PQgetvalue(r, row, 5));
  return k;
}

// The rows of a node's apikeys.db, hash included, to copy into the shared table.
struct LocalRow {
  ApiKey key;
  std::string hash;
};
Result<std::vector<LocalRow>> ReadLocalKeys(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Status st = Status::Internal("cannot open " + path + " to import its API keys: " +
                                 sqlite3_errmsg(db));
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* s = nullptr;
  std::vector<LocalRow> out;
  int rc = sqlite3_prepare_v2(
      db, "SELECT id, role, device, purposes, created_at, revoked_at, hash FROM api_keys", -1, &s,
      nullptr);
  auto text = [&](int i) {
    const unsigned char* t = sqlite3_column_text(s, i);
    return std::string(t ? reinterpret_cast<const char*>(t) : "");
  };
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      LocalRow row;
      row.key.id = text(0);
      row.key.role = ParseRole(text(1)).value_or(Role::kDevice);
      row.key.device = text(2);
      json p = json::parse(text(3), nullptr, false);
      if (p.is_array())
        for (auto& x : p)
          if (x.is_string()) row.key.purposes.push_back(x.get<std::string>());
      row.key.created_at = sqlite3_column_int64(s, 4);
      if (sqlite3_column_type(s, 5) != SQLITE_NULL) row.key.revoked_at = sqlite3_column_int64(s, 5);
      row.hash.assign(static_cast<const char*>(sqlite3_column_blob(s, 6)),
                      static_cast<size_t>(sqlite3_column_bytes(s, 6)));
      out.push_back(std::move(row));
    }
  }
  Status st = rc == SQLITE_DONE ? Status::Ok()
                                : Status::Internal("cannot read the API keys of " + path + ": " +
                                                   sqlite3_errmsg(db));
  sqlite3_finalize(s);
  sqlite3_close(db);
  if (!st.ok()) return st;
  return out;
}

Status InsertKey(pg_conn* c, const ApiKey& k, const std::string& hash) {
  Res r(Exec(c, kInsert,
             {k.id, hash, std::string(ToString(k.role)), k.device, json(k.purposes).dump(),
              std::to_string(k.created_at),
              k.revoked_at ? std::optional<std::string>(std::to_string(*k.revoked_at))
                           : std::nullopt},
             1));
  if (!r.Ok()) return PgError(c, "cannot store API key " + k.id);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ApiKeyStore>> ApiKeyStore::OpenPostgres(const std::string& conninfo,
                                                               const std::string& import_from) {
  pg_conn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    Status st = PgError(c, "cannot connect to the database for the API keys");
    PQfinish(c);
    return st;
  }
  PQsetNoticeProcessor(  // as the store's connection: NOTICEs are not the user's business
      c,
      [](void*, const char* message) {
        if (std::strncmp(message, "NOTICE:", 7) != 0) std::fputs(message, stderr);
      },
      nullptr);
  std::unique_ptr<ApiKeyStore> store(new ApiKeyStore(c));
  // Several nodes may start at once: the table is created under an advisory lock.
  {
    Res begin(PQexec(c, "BEGIN"));
    Res lock(PQexec(c, "SELECT pg_advisory_xact_lock(hashtext('facegate.api_keys'))"));
    Res create(PQexec(c, kPgSchema));
    if (!begin.Ok() || !lock.Ok() || !create.Ok()) {
      Status st = PgError(c, "cannot create the api_keys table");
      Res rollback(PQexec(c, "ROLLBACK"));
      return st;
    }
    Res commit(PQexec(c, "COMMIT"));
    if (!commit.Ok()) return PgError(c, "cannot create the api_keys table");
  }
  std::error_code ec;
  if (!import_from.empty() && std::filesystem::exists(import_from, ec)) {
    FG_ASSIGN_OR_RETURN(std::vector<LocalRow> rows, ReadLocalKeys(import_from));
    for (const LocalRow& row : rows) FG_RETURN_IF_ERROR(InsertKey(c, row.key, row.hash));
  }
  return store;
}

Status ApiKeyStore::PgInsert(const ApiKey& k, const std::string& hash) {
  return InsertKey(pg_, k, hash);
}

Result<ApiKey> ApiKeyStore::PgAuthenticate(const std::string& hash) {
  Res r(Exec(pg_,
             (std::string("SELECT ") + kColumns +
              " FROM api_keys WHERE hash = $1 AND revoked_at IS NULL")
                 .c_str(),
             {hash}, 0));
  if (!r.Ok()) return PgError(pg_, "cannot look up the API key");
  if (PQntuples(r.r) == 0) return Status::NotFound("unknown or revoked API key");
  return RowToKey(r.r, 0);
}

Result<std::vector<ApiKey>> ApiKeyStore::PgList() {
  Res r(PQexec(pg_, (std::string("SELECT ") + kColumns + " FROM api_keys ORDER BY created_at, id").c_str()));
  if (!r.Ok()) return PgError(pg_, "cannot list API keys");
  std::vector<ApiKey> out;
  for (int i = 0; i < PQntuples(r.r); ++i) out.push_back(RowToKey(r.r, i));
  return out;
}

Status ApiKeyStore::PgRevoke(const std::string& id, UnixTime now) {
  Res r(Exec(pg_, "UPDATE api_keys SET revoked_at = $1::bigint WHERE id = $2 AND revoked_at IS NULL",
             {std::to_string(now), id}));
  if (!r.Ok()) return PgError(pg_, "cannot revoke the API key");
  if (std::string(PQcmdTuples(r.r)) == "0")
    return Status::NotFound("no active API key with id '" + id + "'; see `facegate apikey list`");
  return Status::Ok();
}

Result<int64_t> ApiKeyStore::PgCountActive(Role role) {
  Res r(Exec(pg_, "SELECT count(*) FROM api_keys WHERE role = $1 AND revoked_at IS NULL",
             {std::string(ToString(role))}));
  if (!r.Ok() || PQntuples(r.r) != 1) return PgError(pg_, "cannot count API keys");
  return static_cast<int64_t>(std::stoll(PQgetvalue(r.r, 0, 0)));
}

}  // namespace facegate::server
