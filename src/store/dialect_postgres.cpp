// The PostgreSQL dialect of the one store (libpq): one connection per Store
// guarded by the store's recursive mutex, the same semantics as on SQLite.
//
// Concurrency, across threads, processes and nodes sharing one database:
// - Every write runs in a transaction that first takes a transaction-scoped
//   advisory lock keyed by the schema: like SQLite's BEGIN IMMEDIATE, one
//   writer at a time per database, so read-then-write steps (notice versions,
//   the audit chain head) cannot interleave and writers never deadlock.
// - AppendAudit additionally locks the audit_events table against other
//   writers (even ones that skip the advisory lock) before reading the head. A
//   row lock on the head row would not do: after waiting for it, READ
//   COMMITTED returns the old head again and the chain would fork.
// - MarkConsentUsed is one conditional UPDATE (REQ C5): of two racing callers
//   exactly one changes the row.
// - Reads outside a transaction see every committed write at once: a
//   withdrawal made by one node is seen by the next read on any other.
// Nested Transaction calls on the same thread become savepoints; every write
// method is itself a (nested) transaction, so a failing call inside a body
// undoes only itself and leaves the outer transaction usable, as in SQLite.
// The store uses no LISTEN/NOTIFY: nodes notice each other's template changes
// by reading PurposeTemplateVersion (REQ SC2).
#include <facegate/store.h>
#include <libpq-fe.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "store/postgres_migrations.h"
#include "store/schema.h"
#include "store/sql_store.h"

namespace facegate::store {
namespace {

using sql::Params;

constexpr int kLockTimeoutS = 10;

// The dialect's tokens: the shared table and its trigger snippets (below).
const sql::Tokens& PostgresTokens();

// `sql` with each `?` outside quotes numbered $1, $2...
std::string NumberPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
      continue;
    }
    out += c;
  }
  return out;
}

// A big-endian integer of `n` bytes, sign-extended (PostgreSQL's binary format).
int64_t BigEndian(const char* v, int n) {
  uint64_t u = 0;
  for (int i = 0; i < n; ++i) u = u << 8 | static_cast<unsigned char>(v[i]);
  if (n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t{0} << (8 * n);  // negative
  return static_cast<int64_t>(u);
}

// One row of a binary-format result: bytea and text arrive as their bytes (no
// escaping, no copy but into the caller's string), integers big-endian in 2, 4
// or 8 bytes, booleans in 1, float8 as its IEEE bits.
class PgRow final : public sql::Row {
 public:
  explicit PgRow(const PGresult* r) : r_(r) {}
  void Seek(int row) { row_ = row; }
  bool IsNull(int col) const override { return PQgetisnull(r_, row_, col); }
  int64_t Int(int col) const override {
    const int n = PQgetlength(r_, row_, col);
    return n == 1 || n == 2 || n == 4 || n == 8 ? BigEndian(PQgetvalue(r_, row_, col), n) : 0;
  }
  double Double(int col) const override {
    const int n = PQgetlength(r_, row_, col);
    const int64_t bits = BigEndian(PQgetvalue(r_, row_, col), n);
    if (n == 8) return std::bit_cast<double>(bits);
    if (n == 4) return std::bit_cast<float>(static_cast<uint32_t>(bits));
    return 0;
  }
  bool Bool(int col) const override { return Int(col) != 0; }
  std::string Text(int col) const override { return Bytes(col); }
  std::string Bytes(int col) const override {
    return std::string(PQgetvalue(r_, row_, col), PQgetlength(r_, row_, col));
  }

 private:
  const PGresult* r_;
  int row_ = 0;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// FNV-1a: a stable 64-bit advisory lock key from the schema name, the same in
// every process and on every node.
int64_t LockKey(const std::string& schema) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : "facegate.store:" + schema) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class PostgresConnection final : public sql::Connection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Status Configure();

  std::string Describe() const override;
  const sql::Tokens& tokens() const override { return PostgresTokens(); }
  Result<int64_t> Run(std::string_view sql, const Params& p, const std::string& what,
                      const sql::RowFn* on_row) override;
  Status Script(const std::string& sql, const std::string& what) override {
    PgResult r(PQexec(conn_, sql.c_str()));
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return SqlError(r.get(), what);
    return Status::Ok();
  }
  Status BeginWrite() override;
  Status BeginSnapshot(const std::string& what) override {
    FG_RETURN_IF_ERROR(EnsureConnected());
    FG_RETURN_IF_ERROR(Script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", what));
    in_tx_ = true;
    return Status::Ok();
  }
  Status Commit() override;
  void Rollback() override {
    in_tx_ = false;
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  bool Aborted() const override { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }
  Status LockAuditChain() override {
    // SHARE ROW EXCLUSIVE conflicts with itself and with every INSERT: the head
    // read next is the head at commit, so the chain never forks (readers go on).
    return Script("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE", "locking the audit chain");
  }
  // REQ S7 on PostgreSQL: the deleted key row is gone for every reader at
  // commit, but SQL cannot overwrite it in place: its bytes stay in the server's
  // WAL and may stay in the page (even after VACUUM, measured) until reused.
  // They are wrapped by the master key, which never enters the database; strict
  // S7 needs encrypted server storage or master-key rotation. Nothing to do here.
  void KeyDestroyed() override {}

 private:
  // Translates a failed result (or a lost connection) into a Status that says what to do.
  Status SqlError(const PGresult* r, const std::string& what);
  // Reconnects a broken connection between transactions.
  Status EnsureConnected();

  PGconn* conn_;
  std::string schema_;
  int64_t lock_key_ = 0;
  bool in_tx_ = false;  // an outer transaction is open
  // Prepared statement names by their (unrendered) SQL text; a new session has none.
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> prepared_;
};

std::string PostgresConnection::Describe() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  const char* db = PQdb(conn_);
  return "PostgreSQL database '" + std::string(db ? db : "?") + "' on " + (host ? host : "?") + ":" +
         (port ? port : "?") + (schema_.empty() ? "" : " (schema " + schema_ + ")");
}

Status PostgresConnection::SqlError(const PGresult* r, const std::string& what) {
  const char* state_p = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string state = state_p ? state_p : "";
  const std::string msg = TrimEnd(primary ? primary : PQerrorMessage(conn_));
  const std::string where = what + " in " + Describe() + ": " + msg;
  const std::string cls = state.substr(0, 2);
  if (state == "23505") return Status::Conflict(what + ": already exists (" + msg + ")");
  if (state == "23503") {
    return Status::NotFound(
        what + ": refers to a subject, purpose or notice that does not exist (" + msg + ")");
  }
  if (state == "P0001") return Status::Conflict(what + ": " + msg);  // our triggers (REQ S6)
  if (cls == "23" || cls == "22") {
    return Status::InvalidInput(what + ": a stored value is out of range (" + msg + ")");
  }
  if (state == "XX001" || state == "XX002") {
    return Status::Integrity("database is corrupt (" + where +
                             "): stop facegate and restore the database from backup");
  }
  if (state == "55P03" || state == "40P01" || state == "40001") {
    return Status::Internal(where + ": another process held a lock for more than " +
                            std::to_string(kLockTimeoutS) +
                            " s or a conflict aborted the transaction; retry");
  }
  if (state == "53100") return Status::Internal(where + ": the server's disk is full; free space");
  if (cls == "53") return Status::Internal(where + ": the server is out of resources; retry later");
  if (state == "42501") {
    return Status::Internal(where +
                            ": the database role lacks a privilege; grant it CREATE and "
                            "USAGE on the schema");
  }
  if (state == "25P02") {
    return Status::Internal(where +
                            ": an earlier statement of this transaction failed; the "
                            "transaction is rolled back");
  }
  if (cls == "08" || cls == "57" || PQstatus(conn_) != CONNECTION_OK) {
    return Status::Internal(where +
                            ": lost the connection to the server; check that PostgreSQL "
                            "runs, then retry (facegate reconnects on the next call)");
  }
  return Status::Internal(where + " (SQLSTATE " + (state.empty() ? "none" : state) + ")");
}

Status PostgresConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  if (in_tx_) {
    return Status::Internal("lost the connection to " + Describe() +
                            " inside a transaction: nothing of it was written; retry");
  }
  PQreset(conn_);
  prepared_.clear();  // a new session has no prepared statements
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::Internal("cannot reconnect to " + Describe() + ": " + TrimEnd(PQerrorMessage(conn_)) +
                            ": check that PostgreSQL runs");
  }
  return Configure();
}

Result<int64_t> PostgresConnection::Run(std::string_view sql, const Params& p, const std::string& what,
                                        const sql::RowFn* on_row) {
  if (!in_tx_) FG_RETURN_IF_ERROR(EnsureConnected());
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "fg_" + std::to_string(prepared_.size() + 1);
    const std::string text = NumberPlaceholders(sql::Render(sql, tokens()));
    PgResult r(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(p.values().size()), nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return SqlError(r.get(), what + " (preparing the statement)");
    }
    it = prepared_.emplace(std::string(sql), std::move(name)).first;
  }
  const size_t n = p.values().size();
  std::vector<std::string> numbers(n);  // text of the numbers, alive for the call
  std::vector<const char*> values(n);
  std::vector<int> lengths(n), formats(n);
  for (size_t i = 0; i < n; ++i) {
    const Params::Value& v = p.values()[i];
    switch (v.kind) {
      case Params::Kind::kNull:
        values[i] = nullptr;
        break;
      case Params::Kind::kText:
      case Params::Kind::kBytes:  // binary format: the bytes as they are
        values[i] = v.s.data();
        lengths[i] = static_cast<int>(v.s.size());
        formats[i] = v.kind == Params::Kind::kBytes ? 1 : 0;
        break;
      case Params::Kind::kInt:
        numbers[i] = std::to_string(v.i);
        break;
      case Params::Kind::kBool:
        numbers[i] = v.i ? "true" : "false";
        break;
      case Params::Kind::kFloat: {
        char text[32];
        std::snprintf(text, sizeof text, "%.9g", v.d);  // every float exactly
        numbers[i] = text;
        break;
      }
    }
    if (!numbers[i].empty()) {
      values[i] = numbers[i].c_str();
      lengths[i] = static_cast<int>(numbers[i].size());
    }
  }
  PgResult r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(n), values.data(), lengths.data(),
                            formats.data(), /*resultFormat=*/1));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return SqlError(r.get(), what);
  if (on_row) {
    PgRow row(r.get());
    const int rows = PQntuples(r.get());
    for (int i = 0; i < rows; ++i) {
      row.Seek(i);
      FG_RETURN_IF_ERROR((*on_row)(row));
    }
  }
  return static_cast<int64_t>(std::strtoll(PQcmdTuples(r.get()), nullptr, 10));
}

Status PostgresConnection::BeginWrite() {
  FG_RETURN_IF_ERROR(EnsureConnected());
  FG_RETURN_IF_ERROR(Script("BEGIN ISOLATION LEVEL READ COMMITTED", "starting a transaction"));
  in_tx_ = true;
  // One writer transaction at a time per database (see the top of this file).
  auto locked = Run("SELECT pg_advisory_xact_lock(?)", Params().Int(lock_key_), "waiting for the store's write lock",
                    nullptr);
  if (!locked.ok()) {
    Rollback();
    return locked.status();
  }
  return Status::Ok();
}

Status PostgresConnection::Commit() {
  in_tx_ = false;
  PgResult r(PQexec(conn_, "COMMIT"));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return SqlError(r.get(), "committing a transaction");
  if (std::string(PQcmdStatus(r.get())) == "ROLLBACK") {
    return Status::Internal("the server rolled back a transaction on " + Describe() +
                            " instead of committing it: nothing was written; retry");
  }
  return Status::Ok();
}

Status PostgresConnection::Configure() {
  // REQ C5, C4, S6: a lost commit could be a spent "once" consent, a withdrawal
  // or an audit event, so every commit waits for the server's WAL flush.
  FG_RETURN_IF_ERROR(Script("SET synchronous_commit = on", "enabling synchronous commit"));
  FG_RETURN_IF_ERROR(
      Script("SET lock_timeout = '" + std::to_string(kLockTimeoutS) + "s'", "setting lock_timeout"));
  FG_RETURN_IF_ERROR(Script("SET client_encoding = 'UTF8'", "setting client_encoding"));
  PgResult r(PQexec(conn_, "SELECT current_schema()"));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) return SqlError(r.get(), "reading the current schema");
  if (PQntuples(r.get()) != 1 || PQgetisnull(r.get(), 0, 0)) {
    return Status::InvalidInput(Describe() +
                                " has no existing schema on its search_path: create the schema, "
                                "or fix the conninfo's options='-c search_path=...'");
  }
  schema_ = PQgetvalue(r.get(), 0, 0);
  lock_key_ = LockKey(schema_);
  return Status::Ok();
}

// The PostgreSQL trigger snippets of the one schema: plpgsql functions that
// raise or bump the version, and TRUNCATE refused as well (REQ S6, SC2).
const sql::Tokens& PostgresTokens() {
  static const sql::Tokens kTokens = DialectTokens(Dialect::kPostgres, {
      {"audit_append_only", R"sql(-- an accidental UPDATE, DELETE or TRUNCATE fail loudly. (The table owner can
-- drop them; VerifyAudit is what detects such tampering.)
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (REQ S6)';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
)sql"},
      {"audit_prunable", R"sql(CREATE FUNCTION audit_events_prunable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_prune_points) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (REQ S6); only events behind a prune point go (REQ S5)';
END
$$;
DROP TRIGGER audit_events_no_delete ON audit_events;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_prunable();
CREATE FUNCTION audit_prune_points_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_prune_points is append-only (REQ S5)';
END
$$;
CREATE TRIGGER audit_prune_points_no_change BEFORE UPDATE OR DELETE ON audit_prune_points
  FOR EACH ROW EXECUTE FUNCTION audit_prune_points_append_only();
CREATE TRIGGER audit_prune_points_no_truncate BEFORE TRUNCATE ON audit_prune_points
  FOR EACH STATEMENT EXECUTE FUNCTION audit_prune_points_append_only();
)sql"},
      {"template_version_triggers", R"sql(CREATE FUNCTION templates_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE purpose_template_versions SET version = version + 1 WHERE purpose = OLD.purpose;
    RETURN OLD;
  END IF;
  INSERT INTO purpose_template_versions (purpose, version) VALUES (NEW.purpose, 1)
    ON CONFLICT (purpose) DO UPDATE SET version = purpose_template_versions.version + 1;
  RETURN NEW;
END $$;
CREATE TRIGGER templates_version_on_insert AFTER INSERT ON templates
  FOR EACH ROW EXECUTE FUNCTION templates_bump_version();
CREATE TRIGGER templates_version_on_delete AFTER DELETE ON templates
  FOR EACH ROW EXECUTE FUNCTION templates_bump_version();)sql"},
  });
  return kTokens;
}

}  // namespace

const std::vector<Migration>& PostgresMigrations() {
  static const RenderedSchema kSchema(PostgresTokens());
  return kSchema.migrations();
}

int LatestPostgresSchemaVersion() {
  return LatestSchemaVersion();
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo) {
  if (conninfo.empty()) {
    return Status::InvalidInput(
        "PostgreSQL conninfo is empty: give e.g. \"host=/run/postgresql dbname=facegate\" or "
        "\"postgresql://user@host/facegate\"");
  }
  char* parse_error = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (!opts) {
    std::string msg = parse_error ? parse_error : "out of memory";
    PQfreemem(parse_error);
    return Status::InvalidInput("PostgreSQL conninfo is malformed: " + TrimEnd(msg) +
                                ": see libpq's connection strings");
  }
  PQconninfoFree(opts);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn) return Status::Internal("cannot allocate a PostgreSQL connection: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return Status::Internal("cannot connect to PostgreSQL: " + TrimEnd(msg) +
                            " (check that the server runs and the conninfo's host, port, user "
                            "and dbname)");
  }
  // The server's NOTICEs ("relation ... already exists, skipping" from the idempotent
  // schema steps) are not the user's business; warnings and errors still show.
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        if (std::strncmp(message, "NOTICE:", 7) != 0) std::fputs(message, stderr);
      },
      nullptr);
  auto pg = std::make_unique<PostgresConnection>(conn);
  FG_RETURN_IF_ERROR(pg->Configure());
  return OpenSqlStore(std::move(pg), PostgresMigrations());
}

}  // namespace facegate::store
