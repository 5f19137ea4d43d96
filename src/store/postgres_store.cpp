// PostgreSQL backend of store::Store (libpq): one connection per Store guarded
// by a recursive mutex, the same semantics as the SQLite backend.
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
#include <facegate/store.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "store/audit_chain.h"
#include "store/postgres_migrations.h"

namespace facegate::store {
namespace {

constexpr int kLockTimeoutS = 10;
constexpr int64_t kVerifyPage = 5000;  // audit events read per round trip by VerifyAudit

UnixTime Now() {
  return static_cast<UnixTime>(std::time(nullptr));
}

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Positional query parameters ($1, $2...): text, binary bytea, or NULL.
class Params {
 public:
  Params& Text(std::string v) { return Push(std::move(v), false, 0); }
  Params& Int(int64_t v) { return Push(std::to_string(v), false, 0); }
  Params& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  Params& Bytes(std::string v) { return Push(std::move(v), false, 1); }
  Params& Null() { return Push({}, true, 0); }

  int size() const { return static_cast<int>(vals_.size()); }
  // Pointers for PQexecPrepared, valid while this object is unchanged.
  void Arrays(std::vector<const char*>& values, std::vector<int>& lengths) const {
    for (size_t i = 0; i < vals_.size(); ++i) {
      values.push_back(null_[i] ? nullptr : vals_[i].data());
      lengths.push_back(static_cast<int>(vals_[i].size()));
    }
  }
  const int* formats() const { return fmt_.data(); }

 private:
  Params& Push(std::string v, bool null, int fmt) {
    vals_.push_back(std::move(v));
    null_.push_back(null);
    fmt_.push_back(fmt);
    return *this;
  }
  std::vector<std::string> vals_;
  std::vector<bool> null_;
  std::vector<int> fmt_;
};

// Typed access to one row of a text-format result.
class Row {
 public:
  Row(const PGresult* r, int row) : r_(r), row_(row) {}
  bool IsNull(int col) const { return PQgetisnull(r_, row_, col); }
  std::string Text(int col) const {
    return std::string(PQgetvalue(r_, row_, col), PQgetlength(r_, row_, col));
  }
  int64_t Int(int col) const { return std::strtoll(PQgetvalue(r_, row_, col), nullptr, 10); }
  std::optional<int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  // A bytea column (the server sends it hex-escaped in text format).
  std::string Bytes(int col) const {
    size_t n = 0;
    unsigned char* p =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row_, col)), &n);
    if (!p) return {};
    std::string out(reinterpret_cast<const char*>(p), n);
    PQfreemem(p);
    return out;
  }

 private:
  const PGresult* r_;
  int row_;
};

int64_t Changed(const PgResult& r) {
  return std::strtoll(PQcmdTuples(r.get()), nullptr, 10);
}

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

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PGconn* conn) : conn_(conn) {}
  ~PostgresStore() override { PQfinish(conn_); }

  Status Configure();
  Status Migrate();

  Status Transaction(const std::function<Status()>& body) override;

  Status AddPurpose(const PurposeRecord& p) override;
  Result<PurposeRecord> GetPurpose(const std::string& name) override;
  Result<std::vector<PurposeRecord>> ListPurposes() override;

  Result<NoticeRecord> PublishNotice(const NoticeRecord& n) override;
  Result<NoticeRecord> GetNotice(int64_t id) override;
  Result<NoticeRecord> LatestNotice(const std::string& purpose) override;

  Status EnsureSubject(const std::string& subject, UnixTime now) override;
  Result<bool> SubjectExists(const std::string& subject) override;

  Result<ConsentRecord> AddConsent(const ConsentRecord& c) override;
  Result<ConsentRecord> GetConsent(int64_t id) override;
  Result<std::vector<ConsentRecord>> ListConsents(const std::string& subject,
                                                  const std::string& purpose) override;
  Status MarkConsentUsed(int64_t id, UnixTime at) override;
  Status MarkConsentWithdrawn(int64_t id, UnixTime at) override;

  Result<int64_t> PutTemplate(const SealedTemplate& t) override;
  Result<std::vector<SealedTemplate>> GetTemplates(const std::string& subject,
                                                   const std::string& purpose) override;
  Result<std::vector<SealedTemplate>> ListTemplatesForPurpose(const std::string& purpose) override;
  Result<std::vector<SealedTemplate>> ListTemplatesForPurposeAfter(const std::string& purpose,
                                                                   int64_t after_id) override;
  Result<int64_t> PurposeTemplateVersion(const std::string& purpose) override;
  Result<std::vector<int64_t>> ListTemplateIdsForPurpose(const std::string& purpose) override;
  Result<int64_t> DeleteTemplates(const std::string& subject, const std::string& purpose) override;
  Result<std::vector<SealedTemplate>> DeleteExpiredTemplates(UnixTime now) override;
  Result<int64_t> CountTemplates(const std::string& subject) override;

  Result<std::string> GetWrappedSubjectKey(const std::string& subject) override;
  Status PutWrappedSubjectKey(const std::string& subject, const std::string& wrapped) override;
  Status DestroySubjectKey(const std::string& subject) override;

  Result<int64_t> OpenAlternative(const AlternativeRecord& a) override;
  Result<AlternativeRecord> GetAlternative(int64_t id) override;
  Status CloseAlternative(int64_t id, const std::string& outcome, UnixTime at) override;
  Result<std::optional<AlternativeRecord>> OpenAlternativeFor(const std::string& subject,
                                                              const std::string& purpose,
                                                              const std::string& session,
                                                              UnixTime now) override;
  Status RecordConsentRefusal(const std::string& subject, const std::string& purpose,
                              UnixTime at) override;
  Result<std::optional<UnixTime>> LastConsentRefusal(const std::string& subject,
                                                     const std::string& purpose) override;
  Result<RightsRequestRecord> AddRightsRequest(const RightsRequestRecord& r) override;
  Result<RightsRequestRecord> GetRightsRequest(int64_t id) override;
  Result<std::vector<RightsRequestRecord>> ListRightsRequests(const std::string& subject,
                                                              bool open_only) override;
  Status CloseRightsRequest(int64_t id, const std::string& status, const std::string& handled_by,
                            const std::string& reason, const std::string& detail,
                            UnixTime at) override;
  Status PlaceRestriction(const std::string& subject, int64_t request_id, UnixTime at) override;
  Status LiftRestriction(const std::string& subject, UnixTime at) override;
  Result<std::optional<RestrictionRecord>> ActiveRestriction(const std::string& subject) override;
  Result<SubjectFile> ReadSubjectFile(const std::string& subject) override;
  Result<std::vector<AuditEvent>> ListAuditForSubject(const std::string& subject, int64_t after_seq,
                                                      int64_t limit) override;
  Status EraseSubjectIdentity(const std::string& subject, UnixTime at) override;

  Result<BreachRecord> AddBreach(const BreachRecord& b) override;
  Result<BreachRecord> GetBreach(int64_t id) override;
  Result<std::vector<BreachRecord>> ListBreaches() override;
  Status UpdateBreachStatus(const BreachRecord& b, const std::string& from_status) override;
  Status PutBreachAffected(int64_t breach_id, const std::vector<BreachAffectedRecord>& people) override;
  Result<std::vector<BreachAffectedRecord>> ListBreachAffected(int64_t breach_id) override;
  Status MarkBreachAffectedNotified(int64_t breach_id, UnixTime at) override;
  Result<std::vector<int64_t>> DeleteExpiredBreaches(UnixTime now) override;

  Status SetSubjectBirthDate(const std::string& subject, const std::string& birth_date) override;
  Result<std::string> SubjectBirthDate(const std::string& subject) override;
  Status PutSetting(const std::string& name, const std::string& value, UnixTime at) override;
  Result<std::optional<std::string>> GetSetting(const std::string& name) override;
  Status SetIdentifyThreshold(const IdentifyThresholdRecord& t) override;
  Result<std::optional<IdentifyThresholdRecord>> GetIdentifyThreshold(const std::string& purpose) override;
  Result<bool> ClearIdentifyThreshold(const std::string& purpose) override;
  Result<std::vector<std::string>> ListSubjects() override;  // REQ S10
  Status SetAlternativeConnector(const AlternativeConnectorRecord& c) override;
  Result<std::optional<AlternativeConnectorRecord>> GetAlternativeConnector(const std::string& purpose,
                                                                            const std::string& method) override;
  Result<std::vector<AlternativeConnectorRecord>> ListAlternativeConnectors(const std::string& purpose) override;
  Status PutAlternativeCredential(const AlternativeCredentialRecord& c) override;
  Result<std::optional<AlternativeCredentialRecord>> GetAlternativeCredential(const std::string& subject,
                                                                              const std::string& purpose,
                                                                              const std::string& method) override;
  Result<int64_t> DeleteAlternativeCredentials(const std::string& subject, const std::string& purpose) override;
  Result<int64_t> DeleteExpiredAlternativeCredentials(UnixTime now) override;
  Status ClaimAlternativeToken(const std::string& nonce, UnixTime at, UnixTime expires_at) override;
  Result<int64_t> CountAlternativeAttempt(int64_t id) override;

  Result<AuditEvent> AppendAudit(const AuditEvent& e) override;
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int64_t limit) override;
  Result<AuditCheck> VerifyAudit() override;

 private:
  // Translates a failed result (or a lost connection) into a Status that says what to do.
  Status SqlError(const PGresult* r, const std::string& what);
  // Runs a constant statement without parameters (BEGIN, SAVEPOINT, LOCK, DDL).
  Status Command(const std::string& sql, const std::string& what);
  // Runs `sql` as a prepared statement (prepared once per connection, keyed by
  // the literal's address) with `p`.
  Result<PgResult> Run(const char* sql, const Params& p, const std::string& what);
  // Reconnects a broken connection between transactions.
  Status EnsureConnected();
  std::string Where() const;

  Status RequirePurpose(const std::string& name, bool lock);
  Status RequireSubject(const std::string& subject);
  Result<NoticeRecord> ReadNotice(const char* sql, const Params& p, const std::string& what);

  PGconn* conn_;
  std::string schema_;
  int64_t lock_key_ = 0;
  // Held for every call; recursive so store methods called from a Transaction
  // body on the same thread join that transaction instead of deadlocking.
  std::recursive_mutex mu_;
  int tx_depth_ = 0;  // guarded by mu_: 0 outside Transaction, n inside n nested bodies
  std::unordered_map<const char*, std::string> prepared_;  // guarded by mu_
};

std::string PostgresStore::Where() const {
  const char* host = PQhost(conn_);
  const char* port = PQport(conn_);
  const char* db = PQdb(conn_);
  return "PostgreSQL database " + Quote(db ? db : "?") + " on " + (host ? host : "?") + ":" +
         (port ? port : "?") + (schema_.empty() ? "" : " (schema " + schema_ + ")");
}

Status PostgresStore::SqlError(const PGresult* r, const std::string& what) {
  const char* state_p = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string state = state_p ? state_p : "";
  std::string msg = primary ? primary : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const std::string where = what + " in " + Where() + ": " + msg;
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
  if (cls == "42" && state == "42501") {
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

Status PostgresStore::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  if (tx_depth_ > 0) {
    return Status::Internal("lost the connection to " + Where() +
                            " inside a transaction: nothing of it was written; retry");
  }
  PQreset(conn_);
  prepared_.clear();  // a new session has no prepared statements
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Status::Internal("cannot reconnect to " + Where() + ": " + msg +
                            ": check that PostgreSQL runs");
  }
  return Configure();
}

Status PostgresStore::Command(const std::string& sql, const std::string& what) {
  PgResult r(PQexec(conn_, sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return SqlError(r.get(), what);
  return Status::Ok();
}

Result<PgResult> PostgresStore::Run(const char* sql, const Params& p, const std::string& what) {
  if (tx_depth_ == 0) FG_RETURN_IF_ERROR(EnsureConnected());
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "fg_" + std::to_string(prepared_.size() + 1);
    PgResult r(PQprepare(conn_, name.c_str(), sql, p.size(), nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return SqlError(r.get(), what + " (preparing the statement)");
    }
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  p.Arrays(values, lengths);
  PgResult r(PQexecPrepared(conn_, it->second.c_str(), p.size(), values.data(), lengths.data(),
                            p.formats(), /*resultFormat=*/0));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return SqlError(r.get(), what);
  return r;
}

Status PostgresStore::Configure() {
  // REQ C5, C4, S6: a lost commit could be a spent "once" consent, a withdrawal
  // or an audit event, so every commit waits for the server's WAL flush.
  FG_RETURN_IF_ERROR(Command("SET synchronous_commit = on", "enabling synchronous commit"));
  FG_RETURN_IF_ERROR(Command("SET lock_timeout = '" + std::to_string(kLockTimeoutS) + "s'",
                             "setting lock_timeout"));
  FG_RETURN_IF_ERROR(Command("SET client_encoding = 'UTF8'", "setting client_encoding"));
  PgResult r(PQexec(conn_, "SELECT current_schema()"));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    return SqlError(r.get(), "reading the current schema");
  }
  if (PQntuples(r.get()) != 1 || PQgetisnull(r.get(), 0, 0)) {
    return Status::InvalidInput(Where() +
                                " has no existing schema on its search_path: create the schema, "
                                "or fix the conninfo's options='-c search_path=...'");
  }
  schema_ = PQgetvalue(r.get(), 0, 0);
  lock_key_ = LockKey(schema_);
  return Status::Ok();
}

Status PostgresStore::Migrate() {
  std::lock_guard lock(mu_);
  // Transaction() takes the per-schema lock: two processes opening a new
  // database at once migrate it one after the other.
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(Command(R"sql(
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      ))sql",
                               "creating schema_migrations"));
    FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                                        Params(), "reading the schema version"));
    const int64_t current = Row(r.get(), 0).Int(0);
    if (current > LatestPostgresSchemaVersion()) {
      return Status::Integrity(Where() + " has schema version " + std::to_string(current) +
                               " but this facegate knows only up to " +
                               std::to_string(LatestPostgresSchemaVersion()) +
                               ": upgrade facegate, or restore a backup made by this version");
    }
    // Each migration is applied unless recorded, not only those above the highest: version
    // numbers are owned by features that land in any order, so a lower one can come later.
    for (const Migration& m : PostgresMigrations()) {
      FG_ASSIGN_OR_RETURN(PgResult done, Run("SELECT 1 FROM schema_migrations WHERE version = $1",
                                             Params().Int(m.version), "reading the schema version"));
      if (PQntuples(done.get()) > 0) continue;
      FG_RETURN_IF_ERROR(Command(m.sql, "applying migration " + std::to_string(m.version)));
      FG_RETURN_IF_ERROR(Run("INSERT INTO schema_migrations (version, description, applied_at) "
                             "VALUES ($1, $2, $3)",
                             Params().Int(m.version).Text(m.description).Int(Now()),
                             "recording migration " + std::to_string(m.version))
                             .status());
    }
    return Status::Ok();
  });
}

Status PostgresStore::Transaction(const std::function<Status()>& body) {
  std::lock_guard lock(mu_);
  const bool outer = tx_depth_ == 0;
  const std::string sp = "fg_sp" + std::to_string(tx_depth_);
  if (outer) {
    FG_RETURN_IF_ERROR(EnsureConnected());
    FG_RETURN_IF_ERROR(Command("BEGIN ISOLATION LEVEL READ COMMITTED", "starting a transaction"));
    // One writer transaction at a time per database (see the top of this file).
    auto locked = Run("SELECT pg_advisory_xact_lock($1)", Params().Int(lock_key_),
                      "waiting for the store's write lock");
    if (!locked.ok()) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      return locked.status();
    }
  } else {
    FG_RETURN_IF_ERROR(Command("SAVEPOINT " + sp, "starting a savepoint"));
  }
  auto rollback = [&] {
    if (outer) {
      if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
    } else {
      PQclear(PQexec(conn_, ("ROLLBACK TO SAVEPOINT " + sp + "; RELEASE SAVEPOINT " + sp).c_str()));
    }
  };
  ++tx_depth_;
  Status s;
  try {
    s = body();
  } catch (...) {
    --tx_depth_;
    rollback();
    throw;
  }
  --tx_depth_;
  if (!s.ok()) {
    rollback();
    return s;
  }
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // The body ignored a failed statement; PostgreSQL would turn COMMIT into ROLLBACK.
    rollback();
    return Status::Internal("a statement inside a transaction on " + Where() +
                            " failed and its error was ignored: nothing was written; retry");
  }
  if (!outer) {
    Status c = Command("RELEASE SAVEPOINT " + sp, "releasing a savepoint");
    if (!c.ok()) rollback();
    return c;
  }
  PgResult r(PQexec(conn_, "COMMIT"));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    Status c = SqlError(r.get(), "committing a transaction");
    rollback();
    return c;
  }
  if (std::string(PQcmdStatus(r.get())) == "ROLLBACK") {
    return Status::Internal("the server rolled back a transaction on " + Where() +
                            " instead of committing it: nothing was written; retry");
  }
  return Status::Ok();
}

// ---- purposes ----

Status PostgresStore::RequirePurpose(const std::string& name, bool lock) {
  // `lock`: FOR NO KEY UPDATE serializes notice publishing per purpose (the next
  // version is read, then written) while consents may still reference the purpose.
  FG_ASSIGN_OR_RETURN(PgResult r,
                      lock ? Run("SELECT 1 FROM purposes WHERE name = $1 FOR NO KEY UPDATE",
                                 Params().Text(name), "looking up purpose " + Quote(name))
                           : Run("SELECT 1 FROM purposes WHERE name = $1", Params().Text(name),
                                 "looking up purpose " + Quote(name)));
  if (PQntuples(r.get()) > 0) return Status::Ok();
  return Status::NotFound("purpose " + Quote(name) +
                          " does not exist: declare it first (facegate purpose add)");
}

Status PostgresStore::RequireSubject(const std::string& subject) {
  FG_ASSIGN_OR_RETURN(PgResult r,
                      Run("SELECT 1 FROM subjects WHERE id = $1", Params().Text(subject),
                          "looking up subject " + Quote(subject)));
  if (PQntuples(r.get()) > 0) return Status::Ok();
  return Status::NotFound("subject " + Quote(subject) +
                          " does not exist: register it first (Store::EnsureSubject)");
}

Status PostgresStore::AddPurpose(const PurposeRecord& p) {
  if (p.name.empty()) return Status::InvalidInput("purpose name is empty: give it a name");
  if (p.retention_days < 0) {
    return Status::InvalidInput("purpose " + Quote(p.name) + " has negative retention_days");
  }
  return Transaction([&]() -> Status {
    auto r =
        Run("INSERT INTO purposes (name, scenario, retention_days, alternatives, "
            "legal_mandate, created_at, liveness) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            Params()
                .Text(p.name)
                .Text(ToString(p.scenario))
                .Int(p.retention_days)
                .Text(nlohmann::json(p.alternatives).dump())
                .Text(p.legal_mandate)
                .Int(p.created_at ? p.created_at : Now())
                .Text(ToString(p.liveness)),
            "adding purpose " + Quote(p.name));
    if (r.ok()) return Status::Ok();
    if (r.status().kind() == ErrorKind::kConflict) {
      return Status::Conflict("purpose " + Quote(p.name) +
                              " already exists: use it, or choose another name");
    }
    return r.status();
  });
}

static const char* const kPurposeColumns =
    "name, scenario, retention_days, alternatives, legal_mandate, created_at, liveness";

Result<PurposeRecord> ReadPurpose(const Row& row) {
  PurposeRecord p;
  p.name = row.Text(0);
  auto scenario = ParseScenario(row.Text(1));
  if (!scenario) {
    return Status::Integrity("purpose " + Quote(p.name) + " has unknown scenario " +
                             Quote(row.Text(1)) + ": the database was edited; restore from backup");
  }
  p.scenario = *scenario;
  p.retention_days = row.Int(2);
  auto alts = nlohmann::json::parse(row.Text(3), nullptr, /*allow_exceptions=*/false);
  if (!alts.is_array()) {
    return Status::Integrity("purpose " + Quote(p.name) +
                             " has malformed alternatives: the database was edited; restore "
                             "from backup");
  }
  for (const auto& a : alts) {
    if (a.is_string()) p.alternatives.push_back(a.get<std::string>());
  }
  p.legal_mandate = row.Text(4);
  p.created_at = row.Int(5);
  auto liveness = ParseLivenessRequirement(row.Text(6));
  if (!liveness) {
    return Status::Integrity("purpose " + Quote(p.name) + " has unknown liveness requirement " +
                             Quote(row.Text(6)) + ": the database was edited; restore from backup");
  }
  p.liveness = *liveness;
  return p;
}

Result<PurposeRecord> PostgresStore::GetPurpose(const std::string& name) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kPurposeColumns + " FROM purposes WHERE name = $1";
  FG_ASSIGN_OR_RETURN(PgResult r,
                      Run(sql.c_str(), Params().Text(name), "reading purpose " + Quote(name)));
  if (PQntuples(r.get()) == 0)
    return Status::NotFound("purpose " + Quote(name) + " does not exist");
  return ReadPurpose(Row(r.get(), 0));
}

Result<std::vector<PurposeRecord>> PostgresStore::ListPurposes() {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kPurposeColumns + " FROM purposes ORDER BY name COLLATE \"C\"";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params(), "listing purposes"));
  std::vector<PurposeRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    FG_ASSIGN_OR_RETURN(PurposeRecord p, ReadPurpose(Row(r.get(), i)));
    out.push_back(std::move(p));
  }
  return out;
}

// ---- notices ----

static const char* const kNoticeColumns = "id, purpose, version, text, sha256, published_at";

Result<NoticeRecord> PostgresStore::ReadNotice(const char* sql, const Params& p,
                                               const std::string& what) {
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql, p, "reading " + what));
  if (PQntuples(r.get()) == 0) return Status::NotFound(what + " does not exist");
  Row row(r.get(), 0);
  NoticeRecord n;
  n.id = row.Int(0);
  n.purpose = row.Text(1);
  n.version = static_cast<int>(row.Int(2));
  n.text = row.Text(3);
  n.sha256 = row.Text(4);
  n.published_at = row.Int(5);
  return n;
}

Result<NoticeRecord> PostgresStore::PublishNotice(const NoticeRecord& in) {
  NoticeRecord n = in;
  // Consents bind to this digest (REQ C2), so it must be the text's digest.
  const std::string digest = Sha256Hex(n.text);
  if (n.sha256.empty()) {
    n.sha256 = digest;
  } else if (n.sha256 != digest) {
    return Status::InvalidInput("notice for purpose " + Quote(n.purpose) + " gives sha256 " +
                                n.sha256 + " but its text hashes to " + digest +
                                ": leave sha256 empty or fix it");
  }
  if (!n.published_at) n.published_at = Now();
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(n.purpose, /*lock=*/true));
    FG_ASSIGN_OR_RETURN(PgResult v,
                        Run("SELECT COALESCE(MAX(version), 0) FROM notices WHERE purpose = $1",
                            Params().Text(n.purpose), "reading notice versions"));
    n.version = static_cast<int>(Row(v.get(), 0).Int(0)) + 1;
    FG_ASSIGN_OR_RETURN(
        PgResult r,
        Run("INSERT INTO notices (purpose, version, text, sha256, "
            "published_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            Params().Text(n.purpose).Int(n.version).Text(n.text).Text(n.sha256).Int(n.published_at),
            "publishing a notice for purpose " + Quote(n.purpose)));
    n.id = Row(r.get(), 0).Int(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

Result<NoticeRecord> PostgresStore::GetNotice(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kNoticeColumns + " FROM notices WHERE id = $1";
  return ReadNotice(sql.c_str(), Params().Int(id), "notice " + std::to_string(id));
}

Result<NoticeRecord> PostgresStore::LatestNotice(const std::string& purpose) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kNoticeColumns +
                                 " FROM notices WHERE purpose = $1 ORDER BY version DESC LIMIT 1";
  return ReadNotice(sql.c_str(), Params().Text(purpose), "a notice for purpose " + Quote(purpose));
}

// ---- subjects ----

Status PostgresStore::EnsureSubject(const std::string& subject, UnixTime now) {
  if (subject.empty()) return Status::InvalidInput("subject id is empty: give a pseudonymous id");
  return Transaction([&]() -> Status {
    return Run("INSERT INTO subjects (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
               Params().Text(subject).Int(now ? now : Now()),
               "registering subject " + Quote(subject))
        .status();
  });
}

Result<bool> PostgresStore::SubjectExists(const std::string& subject) {
  std::lock_guard lock(mu_);
  Status s = RequireSubject(subject);
  if (s.ok()) return true;
  if (s.kind() == ErrorKind::kNotFound) return false;
  return s;
}

// ---- consents ----

static const char* const kConsentColumns =
    "id, subject, purpose, notice_id, notice_sha256, option, method, evidence, given_at, "
    "expires_at, withdrawn_at, used_at, session, legal_basis, kind, recipient, source, minor, "
    "guardian, guardian_relation";

Result<ConsentRecord> ReadConsent(const Row& row) {
  ConsentRecord c;
  c.id = row.Int(0);
  c.subject = row.Text(1);
  c.purpose = row.Text(2);
  c.notice_id = row.OptInt(3).value_or(0);
  c.notice_sha256 = row.Text(4);
  auto option = ParseConsentOption(row.Text(5));
  auto method = ParseConsentMethod(row.Text(6));
  if (!option || !method) {
    return Status::Integrity("consent " + std::to_string(c.id) +
                             " has an unknown option or method: the database was edited; "
                             "restore from backup");
  }
  c.option = *option;
  c.method = *method;
  c.evidence = row.Text(7);
  c.given_at = row.Int(8);
  c.expires_at = row.Int(9);
  c.withdrawn_at = row.OptInt(10);
  c.used_at = row.OptInt(11);
  c.session = row.Text(12);
  c.legal_basis = row.Text(13);
  auto kind = ParseConsentKind(row.Text(14));
  if (!kind) {
    return Status::Integrity("consent " + std::to_string(c.id) +
                             " has an unknown kind: the database was edited; restore from backup");
  }
  c.kind = *kind;
  c.recipient = row.Text(15);
  c.source = row.Text(16);
  c.minor = row.Text(17) == "t";
  c.guardian = row.Text(18);
  c.guardian_relation = row.Text(19);
  return c;
}

Result<ConsentRecord> PostgresStore::AddConsent(const ConsentRecord& in) {
  ConsentRecord c = in;
  if (!c.given_at) c.given_at = Now();
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(c.subject));
    FG_RETURN_IF_ERROR(RequirePurpose(c.purpose, /*lock=*/false));
    if (c.notice_id != 0) {
      // REQ C2: the consent must name the notice the subject actually saw.
      static const std::string sql =
          std::string("SELECT ") + kNoticeColumns + " FROM notices WHERE id = $1";
      FG_ASSIGN_OR_RETURN(NoticeRecord n, ReadNotice(sql.c_str(), Params().Int(c.notice_id),
                                                     "notice " + std::to_string(c.notice_id)));
      if (n.purpose != c.purpose) {
        return Status::InvalidInput("notice " + std::to_string(n.id) + " is for purpose " +
                                    Quote(n.purpose) + ", not " + Quote(c.purpose) +
                                    ": give the notice of this purpose");
      }
      if (c.notice_sha256.empty()) {
        c.notice_sha256 = n.sha256;
      } else if (c.notice_sha256 != n.sha256) {
        return Status::InvalidInput("consent names notice sha256 " + c.notice_sha256 +
                                    " but notice " + std::to_string(n.id) + " has " + n.sha256 +
                                    ": the subject saw another text; show the current notice");
      }
    }
    Params p;
    p.Text(c.subject).Text(c.purpose);
    if (c.notice_id) {
      p.Int(c.notice_id);
    } else {
      p.Null();
    }
    p.Text(c.notice_sha256)
        .Text(ToString(c.option))
        .Text(ToString(c.method))
        .Text(c.evidence)
        .Int(c.given_at)
        .Int(c.expires_at)
        .OptInt(c.withdrawn_at)
        .OptInt(c.used_at)
        .Text(c.session)
        .Text(c.legal_basis)
        .Text(ToString(c.kind))
        .Text(c.recipient)
        .Text(c.source)
        .Text(c.minor ? "true" : "false")
        .Text(c.guardian)
        .Text(c.guardian_relation);
    FG_ASSIGN_OR_RETURN(
        PgResult r,
        Run("INSERT INTO consents (subject, purpose, notice_id, notice_sha256, option, method, "
            "evidence, given_at, expires_at, withdrawn_at, used_at, session, legal_basis, kind, "
            "recipient, source, minor, guardian, guardian_relation) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
            "$18, $19) RETURNING id",
            p, "adding a consent of subject " + Quote(c.subject)));
    c.id = Row(r.get(), 0).Int(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return c;
}

Result<ConsentRecord> PostgresStore::GetConsent(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kConsentColumns + " FROM consents WHERE id = $1";
  FG_ASSIGN_OR_RETURN(PgResult r,
                      Run(sql.c_str(), Params().Int(id), "reading consent " + std::to_string(id)));
  if (PQntuples(r.get()) == 0) {
    return Status::NotFound("consent " + std::to_string(id) + " does not exist");
  }
  return ReadConsent(Row(r.get(), 0));
}

Result<std::vector<ConsentRecord>> PostgresStore::ListConsents(const std::string& subject,
                                                               const std::string& purpose) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kConsentColumns +
                                 " FROM consents WHERE subject = $1 AND purpose = $2 "
                                 "ORDER BY given_at DESC, id DESC";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject).Text(purpose),
                                      "listing consents of subject " + Quote(subject)));
  std::vector<ConsentRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    FG_ASSIGN_OR_RETURN(ConsentRecord c, ReadConsent(Row(r.get(), i)));
    out.push_back(std::move(c));
  }
  return out;
}

Status PostgresStore::MarkConsentUsed(int64_t id, UnixTime at) {
  std::lock_guard lock(mu_);
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    // REQ C5: one conditional UPDATE is the test-and-set; of two concurrent
    // callers (threads, processes or nodes) exactly one changes the row.
    FG_ASSIGN_OR_RETURN(
        PgResult r,
        Run("UPDATE consents SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
            Params().Int(at ? at : Now()).Int(id), "spending consent " + std::to_string(id)));
    changed = Changed(r);
    return Status::Ok();
  }));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ConsentRecord c, GetConsent(id));  // kNotFound for an unknown id
  return Status::Conflict("consent " + std::to_string(id) + " was already used at " +
                          std::to_string(c.used_at.value_or(0)) +
                          ": a 'once' consent authorizes one operation; ask for a new consent");
}

Status PostgresStore::MarkConsentWithdrawn(int64_t id, UnixTime at) {
  std::lock_guard lock(mu_);
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("UPDATE consents SET withdrawn_at = $1 "
                                        "WHERE id = $2 AND withdrawn_at IS NULL",
                                        Params().Int(at ? at : Now()).Int(id),
                                        "withdrawing consent " + std::to_string(id)));
    changed = Changed(r);
    return Status::Ok();
  }));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ConsentRecord c, GetConsent(id));
  return Status::Conflict("consent " + std::to_string(id) + " was already withdrawn at " +
                          std::to_string(c.withdrawn_at.value_or(0)));
}

// ---- templates ----

Result<int64_t> PostgresStore::PutTemplate(const SealedTemplate& t) {
  if (t.nonce.empty() || t.ciphertext.empty()) {
    return Status::InvalidInput("template of subject " + Quote(t.subject) +
                                " is not sealed (empty nonce or ciphertext): seal it with "
                                "Vault::Seal first (REQ S4)");
  }
  int64_t id = 0;
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(t.subject));
    FG_RETURN_IF_ERROR(RequirePurpose(t.purpose, /*lock=*/false));
    FG_ASSIGN_OR_RETURN(PgResult r, Run("INSERT INTO templates (subject, purpose, model, nonce, "
                                        "ciphertext, created_at, expires_at) "
                                        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                        Params()
                                            .Text(t.subject)
                                            .Text(t.purpose)
                                            .Text(t.model)
                                            .Bytes(t.nonce)
                                            .Bytes(t.ciphertext)
                                            .Int(t.created_at ? t.created_at : Now())
                                            .Int(t.expires_at),
                                        "storing a template of subject " + Quote(t.subject)));
    id = Row(r.get(), 0).Int(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

// Every row of a query selecting id, subject, purpose, model, nonce, ciphertext,
// created_at, expires_at from templates.
static std::vector<SealedTemplate> ReadTemplates(const PgResult& r) {
  std::vector<SealedTemplate> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    Row row(r.get(), i);
    SealedTemplate t;
    t.id = row.Int(0);
    t.subject = row.Text(1);
    t.purpose = row.Text(2);
    t.model = row.Text(3);
    t.nonce = row.Bytes(4);
    t.ciphertext = row.Bytes(5);
    t.created_at = row.Int(6);
    t.expires_at = row.Int(7);
    out.push_back(std::move(t));
  }
  return out;
}

Result<std::vector<SealedTemplate>> PostgresStore::GetTemplates(const std::string& subject,
                                                                const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT id, subject, purpose, model, nonce, ciphertext, "
                                      "created_at, expires_at FROM templates "
                                      "WHERE subject = $1 AND purpose = $2 ORDER BY id",
                                      Params().Text(subject).Text(purpose),
                                      "reading templates of subject " + Quote(subject)));
  return ReadTemplates(r);
}

Result<std::vector<SealedTemplate>> PostgresStore::ListTemplatesForPurpose(
    const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT id, subject, purpose, model, nonce, ciphertext, "
                                      "created_at, expires_at FROM templates "
                                      "WHERE purpose = $1 ORDER BY subject, id",
                                      Params().Text(purpose),
                                      "reading the templates of purpose " + Quote(purpose)));
  return ReadTemplates(r);
}

Result<std::vector<SealedTemplate>> PostgresStore::ListTemplatesForPurposeAfter(
    const std::string& purpose, int64_t after_id) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT id, subject, purpose, model, nonce, ciphertext, "
                                      "created_at, expires_at FROM templates "
                                      "WHERE purpose = $1 AND id > $2 ORDER BY subject, id",
                                      Params().Text(purpose).Int(after_id),
                                      "reading the new templates of purpose " + Quote(purpose)));
  return ReadTemplates(r);
}

Result<int64_t> PostgresStore::PurposeTemplateVersion(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT version FROM purpose_template_versions WHERE purpose = $1",
                                      Params().Text(purpose),
                                      "reading the template version of purpose " + Quote(purpose)));
  if (PQntuples(r.get()) == 0) return int64_t{0};
  return Row(r.get(), 0).Int(0);
}

Result<std::vector<int64_t>> PostgresStore::ListTemplateIdsForPurpose(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT id FROM templates WHERE purpose = $1 ORDER BY id",
                                      Params().Text(purpose),
                                      "listing template ids of purpose " + Quote(purpose)));
  std::vector<int64_t> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(Row(r.get(), i).Int(0));
  return out;
}

Result<int64_t> PostgresStore::DeleteTemplates(const std::string& subject,
                                               const std::string& purpose) {
  int64_t n = 0;
  Status s = Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("DELETE FROM templates WHERE subject = $1 AND purpose = $2",
                                        Params().Text(subject).Text(purpose),
                                        "deleting templates of subject " + Quote(subject)));
    n = Changed(r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

Result<std::vector<SealedTemplate>> PostgresStore::DeleteExpiredTemplates(UnixTime now) {
  std::vector<SealedTemplate> gone;
  Status s = Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("DELETE FROM templates WHERE expires_at <= $1 "
                                        "RETURNING id, subject, purpose, model, created_at, expires_at",
                                        Params().Int(now), "deleting expired templates"));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      Row row(r.get(), i);
      SealedTemplate t;
      t.id = row.Int(0);
      t.subject = row.Text(1);
      t.purpose = row.Text(2);
      t.model = row.Text(3);
      t.created_at = row.Int(4);
      t.expires_at = row.Int(5);
      gone.push_back(std::move(t));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return gone;
}

Result<int64_t> PostgresStore::CountTemplates(const std::string& subject) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT COUNT(*) FROM templates WHERE subject = $1", Params().Text(subject),
                      "counting templates of " + Quote(subject)));
  return Row(r.get(), 0).Int(0);
}

// ---- subject keys ----

Result<std::string> PostgresStore::GetWrappedSubjectKey(const std::string& subject) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(
      PgResult r, Run("SELECT wrapped FROM subject_keys WHERE subject = $1", Params().Text(subject),
                      "reading the key of subject " + Quote(subject)));
  if (PQntuples(r.get()) > 0) return Row(r.get(), 0).Bytes(0);
  return Status::NotFound("no key for subject " + Quote(subject) +
                          ": none was made yet, or it was destroyed (templates shredded, REQ S7)");
}

Status PostgresStore::PutWrappedSubjectKey(const std::string& subject, const std::string& wrapped) {
  if (wrapped.empty()) return Status::InvalidInput("wrapped key is empty");
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    auto r = Run("INSERT INTO subject_keys (subject, wrapped, created_at) VALUES ($1, $2, $3)",
                 Params().Text(subject).Bytes(wrapped).Int(Now()),
                 "storing the key of subject " + Quote(subject));
    if (r.ok()) return Status::Ok();
    if (r.status().kind() == ErrorKind::kConflict) {
      return Status::Conflict("subject " + Quote(subject) +
                              " already has a key: read it with GetWrappedSubjectKey");
    }
    return r.status();
  });
}

Status PostgresStore::DestroySubjectKey(const std::string& subject) {
  // Idempotent: a subject without a key has nothing left to shred. REQ S7 on
  // PostgreSQL: the row is gone for every reader at commit, but SQL cannot
  // overwrite it in place: its bytes stay in the server's WAL and may stay in
  // the page (even after VACUUM, measured) until reused. They are wrapped by the
  // master key, which never enters the database; strict S7 needs encrypted
  // server storage or master-key rotation.
  return Transaction([&]() -> Status {
    return Run("DELETE FROM subject_keys WHERE subject = $1", Params().Text(subject),
               "destroying the key of subject " + Quote(subject))
        .status();
  });
}

// ---- alternative transactions and consent refusals (REQ A2, C6, C7, D7) ----

static const char* const kAlternativeColumns =
    "id, subject, purpose, session, method, opened_at, closed_at, outcome, attempts";

AlternativeRecord ReadAlternative(const Row& row) {
  AlternativeRecord a;
  a.id = row.Int(0);
  a.subject = row.Text(1);
  a.purpose = row.Text(2);
  a.session = row.Text(3);
  a.method = row.Text(4);
  a.opened_at = row.Int(5);
  a.closed_at = row.OptInt(6);
  a.outcome = row.Text(7);
  a.attempts = row.Int(8);
  return a;
}

Status CheckAlternativeOutcome(const std::string& outcome) {
  if (outcome == "granted" || outcome == "denied") return Status::Ok();
  return Status::InvalidInput("alternative outcome " + Quote(outcome) +
                              " is not one of 'granted', 'denied'");
}

Result<int64_t> PostgresStore::OpenAlternative(const AlternativeRecord& in) {
  if (in.subject.empty()) return Status::InvalidInput("an alternative needs a subject id");
  if (in.method.empty()) return Status::InvalidInput("an alternative needs a method");
  int64_t id = 0;
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(in.purpose, /*lock=*/false));
    FG_ASSIGN_OR_RETURN(
        PgResult r,
        Run("INSERT INTO alternatives (subject, purpose, session, method, opened_at, closed_at, "
            "outcome) VALUES ($1, $2, $3, $4, $5, NULL, '') RETURNING id",
            Params()
                .Text(in.subject)
                .Text(in.purpose)
                .Text(in.session)
                .Text(in.method)
                .Int(in.opened_at ? in.opened_at : Now()),
            "opening an alternative for subject " + Quote(in.subject)));
    id = Row(r.get(), 0).Int(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<AlternativeRecord> PostgresStore::GetAlternative(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kAlternativeColumns + " FROM alternatives WHERE id = $1";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Int(id),
                                      "reading alternative " + std::to_string(id)));
  if (PQntuples(r.get()) == 0)
    return Status::NotFound("alternative transaction " + std::to_string(id) + " does not exist");
  return ReadAlternative(Row(r.get(), 0));
}

Status PostgresStore::CloseAlternative(int64_t id, const std::string& outcome, UnixTime at) {
  FG_RETURN_IF_ERROR(CheckAlternativeOutcome(outcome));
  std::lock_guard lock(mu_);
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    // One conditional UPDATE: of two concurrent closers exactly one records its outcome.
    FG_ASSIGN_OR_RETURN(PgResult r, Run("UPDATE alternatives SET closed_at = $1, outcome = $2 "
                                        "WHERE id = $3 AND closed_at IS NULL",
                                        Params().Int(at ? at : Now()).Text(outcome).Int(id),
                                        "closing alternative " + std::to_string(id)));
    changed = Changed(r);
    return Status::Ok();
  }));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(AlternativeRecord a, GetAlternative(id));  // kNotFound for an unknown id
  return Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed at " +
                          std::to_string(a.closed_at.value_or(0)) + " with outcome " +
                          Quote(a.outcome) + ": open a new one for a new attempt");
}

Result<std::optional<AlternativeRecord>> PostgresStore::OpenAlternativeFor(
    const std::string& subject, const std::string& purpose, const std::string& session,
    UnixTime now) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kAlternativeColumns +
      " FROM alternatives WHERE subject = $1 AND purpose = $2 AND session = $3 AND opened_at <= $4 "
      "AND (closed_at IS NULL OR closed_at > $4) ORDER BY opened_at DESC, id DESC LIMIT 1";
  FG_ASSIGN_OR_RETURN(PgResult r,
                      Run(sql.c_str(), Params().Text(subject).Text(purpose).Text(session).Int(now),
                          "looking up open alternatives of subject " + Quote(subject)));
  if (PQntuples(r.get()) == 0) return std::optional<AlternativeRecord>();
  return std::optional<AlternativeRecord>(ReadAlternative(Row(r.get(), 0)));
}

Status PostgresStore::RecordConsentRefusal(const std::string& subject, const std::string& purpose,
                                           UnixTime at) {
  if (subject.empty()) return Status::InvalidInput("a consent refusal needs a subject id");
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(purpose, /*lock=*/false));
    return Run("INSERT INTO consent_refusals (subject, purpose, refused_at) VALUES ($1, $2, $3)",
               Params().Text(subject).Text(purpose).Int(at ? at : Now()),
               "recording a consent refusal of subject " + Quote(subject))
        .status();
  });
}

Result<std::optional<UnixTime>> PostgresStore::LastConsentRefusal(const std::string& subject,
                                                                  const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT MAX(refused_at) FROM consent_refusals "
                                      "WHERE subject = $1 AND purpose = $2",
                                      Params().Text(subject).Text(purpose),
                                      "reading consent refusals of subject " + Quote(subject)));
  return std::optional<UnixTime>(Row(r.get(), 0).OptInt(0));
}

// ---- minors and policy settings (REQ M1, M2, S8) ----

Status PostgresStore::SetSubjectBirthDate(const std::string& subject, const std::string& birth_date) {
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    Params p;
    if (birth_date.empty()) {
      p.Null();
    } else {
      p.Text(birth_date);
    }
    p.Text(subject);
    return Run("UPDATE subjects SET birth_date = $1 WHERE id = $2", p,
               "declaring the birth date of subject " + Quote(subject))
        .status();
  });
}

Result<std::string> PostgresStore::SubjectBirthDate(const std::string& subject) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT birth_date FROM subjects WHERE id = $1",
                                      Params().Text(subject),
                                      "reading the birth date of subject " + Quote(subject)));
  if (PQntuples(r.get()) == 0) return Status::NotFound("subject " + Quote(subject) + " does not exist");
  Row row(r.get(), 0);
  return row.IsNull(0) ? std::string() : row.Text(0);
}

Status PostgresStore::PutSetting(const std::string& name, const std::string& value, UnixTime at) {
  if (name.empty()) return Status::InvalidInput("a policy setting needs a name");
  return Transaction([&]() -> Status {
    return Run("INSERT INTO policy_settings (name, value, updated_at) VALUES ($1, $2, $3) "
               "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
               Params().Text(name).Text(value).Int(at ? at : Now()),
               "storing policy setting " + Quote(name))
        .status();
  });
}

Result<std::optional<std::string>> PostgresStore::GetSetting(const std::string& name) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT value FROM policy_settings WHERE name = $1",
                                      Params().Text(name), "reading policy setting " + Quote(name)));
  if (PQntuples(r.get()) == 0) return std::optional<std::string>();
  return std::optional<std::string>(Row(r.get(), 0).Text(0));
}

// ---- rights of the person (REQ R1, R2) ----

static const char* const kRightsColumns =
    "id, subject, kind, purpose, received_at, due_at, status, reason, handled_by, completed_at, "
    "detail";

RightsRequestRecord ReadRightsRequest(const Row& row) {
  RightsRequestRecord r;
  r.id = row.Int(0);
  r.subject = row.Text(1);
  r.kind = row.Text(2);
  r.purpose = row.Text(3);
  r.received_at = row.Int(4);
  r.due_at = row.Int(5);
  r.status = row.Text(6);
  r.reason = row.Text(7);
  r.handled_by = row.Text(8);
  r.completed_at = row.OptInt(9);
  r.detail = row.Text(10);
  return r;
}

Result<RightsRequestRecord> PostgresStore::AddRightsRequest(const RightsRequestRecord& in) {
  if (in.subject.empty()) return Status::InvalidInput("a rights request needs a subject id");
  RightsRequestRecord r = in;
  if (!r.received_at) r.received_at = Now();
  if (r.detail.empty()) r.detail = "{}";
  Status s = Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(
        PgResult res,
        Run("INSERT INTO rights_requests (subject, kind, purpose, received_at, due_at, status, "
            "reason, handled_by, completed_at, detail) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            Params()
                .Text(r.subject)
                .Text(r.kind)
                .Text(r.purpose)
                .Int(r.received_at)
                .Int(r.due_at)
                .Text(r.status)
                .Text(r.reason)
                .Text(r.handled_by)
                .OptInt(r.completed_at)
                .Text(r.detail),
            "recording a " + Quote(r.kind) + " request of subject " + Quote(r.subject)));
    r.id = Row(res.get(), 0).Int(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return r;
}

Result<RightsRequestRecord> PostgresStore::GetRightsRequest(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kRightsColumns + " FROM rights_requests WHERE id = $1";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Int(id),
                                      "reading rights request " + std::to_string(id)));
  if (PQntuples(r.get()) == 0)
    return Status::NotFound("rights request " + std::to_string(id) +
                            " does not exist; `facegate rights list` shows the requests");
  return ReadRightsRequest(Row(r.get(), 0));
}

Result<std::vector<RightsRequestRecord>> PostgresStore::ListRightsRequests(
    const std::string& subject, bool open_only) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kRightsColumns +
                                 " FROM rights_requests WHERE ($1 = '' OR subject = $1) "
                                 "AND ($2 = 0 OR status = 'open') "
                                 "ORDER BY received_at DESC, id DESC";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject).Int(open_only ? 1 : 0),
                                      "listing rights requests"));
  std::vector<RightsRequestRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(ReadRightsRequest(Row(r.get(), i)));
  return out;
}

Status PostgresStore::CloseRightsRequest(int64_t id, const std::string& status,
                                         const std::string& handled_by, const std::string& reason,
                                         const std::string& detail, UnixTime at) {
  if (status != "done" && status != "refused")
    return Status::InvalidInput("a rights request closes as 'done' or 'refused', not " + Quote(status));
  if (status == "refused" && reason.empty())
    return Status::InvalidInput("refusing rights request " + std::to_string(id) +
                                " needs a reason the person can read (REQ R1)");
  std::lock_guard lock(mu_);
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    // One conditional UPDATE: of two concurrent handlers exactly one closes it.
    FG_ASSIGN_OR_RETURN(PgResult r,
                        Run("UPDATE rights_requests SET status = $1, handled_by = $2, reason = $3, "
                            "detail = $4, completed_at = $5 WHERE id = $6 AND status = 'open'",
                            Params()
                                .Text(status)
                                .Text(handled_by)
                                .Text(reason)
                                .Text(detail.empty() ? "{}" : detail)
                                .Int(at ? at : Now())
                                .Int(id),
                            "closing rights request " + std::to_string(id)));
    changed = Changed(r);
    return Status::Ok();
  }));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(RightsRequestRecord r, GetRightsRequest(id));  // kNotFound for an unknown id
  return Status::Conflict("rights request " + std::to_string(id) + " was already closed (" + r.status +
                          " by " + r.handled_by + "); open a new request for a new demand");
}

static const char* const kRestrictionColumns = "id, subject, request_id, placed_at, lifted_at";

RestrictionRecord ReadRestriction(const Row& row) {
  RestrictionRecord r;
  r.id = row.Int(0);
  r.subject = row.Text(1);
  r.request_id = row.Int(2);
  r.placed_at = row.Int(3);
  r.lifted_at = row.OptInt(4);
  return r;
}

Status PostgresStore::PlaceRestriction(const std::string& subject, int64_t request_id, UnixTime at) {
  if (subject.empty()) return Status::InvalidInput("a restriction needs a subject id");
  Status s = Transaction([&]() -> Status {
    return Run("INSERT INTO restrictions (subject, request_id, placed_at, lifted_at) "
               "VALUES ($1, $2, $3, NULL)",
               Params().Text(subject).Int(request_id).Int(at ? at : Now()),
               "restricting subject " + Quote(subject))
        .status();
  });
  if (s.kind() == ErrorKind::kConflict)
    return Status::Conflict("processing of subject " + Quote(subject) +
                            " is already restricted; lift it first to place a new one");
  return s;
}

Status PostgresStore::LiftRestriction(const std::string& subject, UnixTime at) {
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("UPDATE restrictions SET lifted_at = $1 "
                                        "WHERE subject = $2 AND lifted_at IS NULL",
                                        Params().Int(at ? at : Now()).Text(subject),
                                        "lifting the restriction of subject " + Quote(subject)));
    changed = Changed(r);
    return Status::Ok();
  }));
  if (changed == 1) return Status::Ok();
  return Status::NotFound("processing of subject " + Quote(subject) + " is not restricted");
}

Result<std::optional<RestrictionRecord>> PostgresStore::ActiveRestriction(
    const std::string& subject) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kRestrictionColumns +
                                 " FROM restrictions WHERE subject = $1 AND lifted_at IS NULL";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject),
                                      "reading the restriction of subject " + Quote(subject)));
  if (PQntuples(r.get()) == 0) return std::optional<RestrictionRecord>();
  return std::optional<RestrictionRecord>(ReadRestriction(Row(r.get(), 0)));
}

Result<SubjectFile> PostgresStore::ReadSubjectFile(const std::string& subject) {
  std::lock_guard lock(mu_);
  SubjectFile f;
  const std::string who = "subject " + Quote(subject);
  {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT created_at, erased_at FROM subjects WHERE id = $1",
                                        Params().Text(subject), "reading " + who));
    if (PQntuples(r.get()) > 0) {
      Row row(r.get(), 0);
      f.exists = true;
      f.created_at = row.Int(0);
      f.erased_at = row.OptInt(1);
    }
  }
  {
    static const std::string sql = std::string("SELECT ") + kConsentColumns +
                                   " FROM consents WHERE subject = $1 ORDER BY given_at, id";
    FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject),
                                        "reading the consents of " + who));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      FG_ASSIGN_OR_RETURN(ConsentRecord c, ReadConsent(Row(r.get(), i)));
      f.consents.push_back(std::move(c));
    }
  }
  {
    // Metadata only: the sealed bytes never leave the store in an export.
    FG_ASSIGN_OR_RETURN(PgResult r,
                        Run("SELECT id, subject, purpose, model, ''::bytea, ''::bytea, created_at, "
                            "expires_at FROM templates WHERE subject = $1 ORDER BY id",
                            Params().Text(subject), "reading the templates of " + who));
    f.templates = ReadTemplates(r);
  }
  {
    static const std::string sql = std::string("SELECT ") + kAlternativeColumns +
                                   " FROM alternatives WHERE subject = $1 ORDER BY opened_at, id";
    FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject),
                                        "reading the alternatives of " + who));
    for (int i = 0; i < PQntuples(r.get()); ++i) f.alternatives.push_back(ReadAlternative(Row(r.get(), i)));
  }
  {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT purpose, refused_at FROM consent_refusals "
                                        "WHERE subject = $1 ORDER BY refused_at, id",
                                        Params().Text(subject),
                                        "reading the consent refusals of " + who));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      Row row(r.get(), i);
      f.refusals.emplace_back(row.Text(0), row.Int(1));
    }
  }
  {
    static const std::string sql = std::string("SELECT ") + kRestrictionColumns +
                                   " FROM restrictions WHERE subject = $1 ORDER BY placed_at, id";
    FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject),
                                        "reading the restrictions of " + who));
    for (int i = 0; i < PQntuples(r.get()); ++i) f.restrictions.push_back(ReadRestriction(Row(r.get(), i)));
  }
  {
    static const std::string sql = std::string("SELECT ") + kRightsColumns +
                                   " FROM rights_requests WHERE subject = $1 ORDER BY received_at, id";
    FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(subject),
                                        "reading the rights requests of " + who));
    for (int i = 0; i < PQntuples(r.get()); ++i) f.requests.push_back(ReadRightsRequest(Row(r.get(), i)));
  }
  return f;
}

Status PostgresStore::EraseSubjectIdentity(const std::string& subject, UnixTime at) {
  const UnixTime t = at ? at : Now();
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    FG_RETURN_IF_ERROR(Run("UPDATE subjects SET display_name = NULL, birth_date = NULL, "
                           "erased_at = COALESCE(erased_at, $1) WHERE id = $2",
                           Params().Int(t).Text(subject), "anonymising subject " + Quote(subject))
                           .status());
    // The guardian's identity is personal data too (REQ M1); the relation and
    // the minor mark stay as the record of whose consent it was.
    FG_RETURN_IF_ERROR(Run("UPDATE consents SET guardian = '' WHERE subject = $1 AND guardian <> ''",
                           Params().Text(subject), "erasing the guardian of subject " + Quote(subject))
                           .status());
    // Evidence names a signer or guardian: erased; the consent's times, notice and
    // option stay as the record that earlier processing was lawful (REQ C4).
    return Run("UPDATE consents SET evidence = $1 WHERE subject = $2 AND evidence <> ''",
               Params()
                   .Text("erased at " + std::to_string(t) + " on the person's request (REQ R1)")
                   .Text(subject),
               "erasing the consent evidence of subject " + Quote(subject))
        .status();
  });
}

// ---- breaches (REQ S9, PIPL 57; migration 9) ----

static std::string JsonList(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

static std::vector<std::string> ParseList(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

static const char* const kBreachColumns =
    "id, detected_at, opened_at, actor, description, cause, harm, measures, individual_advice, "
    "contact, window_from, window_to, kinds, purposes, status, assessed_at, authority_notified_at, "
    "authority_reference, people_notified_at, not_notified_at, not_notified_reason, closed_at, "
    "expires_at";

BreachRecord ReadBreach(const Row& row) {
  BreachRecord b;
  b.id = row.Int(0);
  b.detected_at = row.Int(1);
  b.opened_at = row.Int(2);
  b.actor = row.Text(3);
  b.description = row.Text(4);
  b.cause = row.Text(5);
  b.harm = row.Text(6);
  b.measures = row.Text(7);
  b.individual_advice = row.Text(8);
  b.contact = row.Text(9);
  b.window_from = row.Int(10);
  b.window_to = row.Int(11);
  b.kinds = ParseList(row.Text(12));
  b.purposes = ParseList(row.Text(13));
  b.status = row.Text(14);
  b.assessed_at = row.OptInt(15);
  b.authority_notified_at = row.OptInt(16);
  b.authority_reference = row.Text(17);
  b.people_notified_at = row.OptInt(18);
  b.not_notified_at = row.OptInt(19);
  b.not_notified_reason = row.Text(20);
  b.closed_at = row.OptInt(21);
  b.expires_at = row.Int(22);
  return b;
}

Result<BreachRecord> PostgresStore::AddBreach(const BreachRecord& in) {
  BreachRecord b = in;
  if (!b.opened_at) b.opened_at = Now();
  Status s = Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(
        PgResult res,
        Run("INSERT INTO breaches (detected_at, opened_at, actor, description, cause, harm, measures, "
            "individual_advice, contact, window_from, window_to, kinds, purposes, status, assessed_at, "
            "authority_notified_at, authority_reference, people_notified_at, not_notified_at, "
            "not_notified_reason, closed_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id",
            Params()
                .Int(b.detected_at)
                .Int(b.opened_at)
                .Text(b.actor)
                .Text(b.description)
                .Text(b.cause)
                .Text(b.harm)
                .Text(b.measures)
                .Text(b.individual_advice)
                .Text(b.contact)
                .Int(b.window_from)
                .Int(b.window_to)
                .Text(JsonList(b.kinds))
                .Text(JsonList(b.purposes))
                .Text(b.status)
                .OptInt(b.assessed_at)
                .OptInt(b.authority_notified_at)
                .Text(b.authority_reference)
                .OptInt(b.people_notified_at)
                .OptInt(b.not_notified_at)
                .Text(b.not_notified_reason)
                .OptInt(b.closed_at)
                .Int(b.expires_at),
            "recording a breach"));
    b.id = Row(res.get(), 0).Int(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return b;
}

Result<BreachRecord> PostgresStore::GetBreach(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kBreachColumns + " FROM breaches WHERE id = $1";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Int(id), "reading breach " + std::to_string(id)));
  if (PQntuples(r.get()) == 0)
    return Status::NotFound("breach " + std::to_string(id) +
                            " does not exist; `facegate breach list` shows the breaches");
  return ReadBreach(Row(r.get(), 0));
}

Result<std::vector<BreachRecord>> PostgresStore::ListBreaches() {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kBreachColumns + " FROM breaches ORDER BY opened_at DESC, id DESC";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params(), "listing breaches"));
  std::vector<BreachRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(ReadBreach(Row(r.get(), i)));
  return out;
}

Status PostgresStore::UpdateBreachStatus(const BreachRecord& b, const std::string& from_status) {
  std::lock_guard lock(mu_);
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    // One conditional UPDATE: of two handlers taking the same step, exactly one does.
    FG_ASSIGN_OR_RETURN(
        PgResult r,
        Run("UPDATE breaches SET status = $1, assessed_at = $2, authority_notified_at = $3, "
            "authority_reference = $4, people_notified_at = $5, not_notified_at = $6, "
            "not_notified_reason = $7, closed_at = $8, expires_at = $9 WHERE id = $10 AND status = $11",
            Params()
                .Text(b.status)
                .OptInt(b.assessed_at)
                .OptInt(b.authority_notified_at)
                .Text(b.authority_reference)
                .OptInt(b.people_notified_at)
                .OptInt(b.not_notified_at)
                .Text(b.not_notified_reason)
                .OptInt(b.closed_at)
                .Int(b.expires_at)
                .Int(b.id)
                .Text(from_status),
            "moving breach " + std::to_string(b.id) + " to " + Quote(b.status)));
    changed = Changed(r);
    return Status::Ok();
  }));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(BreachRecord now, GetBreach(b.id));  // kNotFound for an unknown id
  return Status::Conflict("breach " + std::to_string(b.id) + " is " + Quote(now.status) + ", not " +
                          Quote(from_status) + ": another handler moved it first; show it again");
}

Status PostgresStore::PutBreachAffected(int64_t breach_id,
                                        const std::vector<BreachAffectedRecord>& people) {
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(Run("DELETE FROM breach_affected WHERE breach_id = $1", Params().Int(breach_id),
                           "replacing the affected people of breach " + std::to_string(breach_id))
                           .status());
    for (const BreachAffectedRecord& p : people) {
      FG_RETURN_IF_ERROR(Run("INSERT INTO breach_affected (breach_id, subject, kinds, notified_at) "
                             "VALUES ($1, $2, $3, $4)",
                             Params().Int(breach_id).Text(p.subject).Text(JsonList(p.kinds)).OptInt(p.notified_at),
                             "recording subject " + Quote(p.subject) + " as affected by breach " +
                                 std::to_string(breach_id))
                             .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<BreachAffectedRecord>> PostgresStore::ListBreachAffected(int64_t breach_id) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT breach_id, subject, kinds, notified_at FROM breach_affected "
                                      "WHERE breach_id = $1 ORDER BY subject COLLATE \"C\"",
                                      Params().Int(breach_id),
                                      "listing the affected people of breach " + std::to_string(breach_id)));
  std::vector<BreachAffectedRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    Row row(r.get(), i);
    BreachAffectedRecord a;
    a.breach_id = row.Int(0);
    a.subject = row.Text(1);
    a.kinds = ParseList(row.Text(2));
    a.notified_at = row.OptInt(3);
    out.push_back(std::move(a));
  }
  return out;
}

Status PostgresStore::MarkBreachAffectedNotified(int64_t breach_id, UnixTime at) {
  return Transaction([&]() -> Status {
    return Run("UPDATE breach_affected SET notified_at = $1 WHERE breach_id = $2 AND notified_at IS NULL",
               Params().Int(at ? at : Now()).Int(breach_id),
               "recording the notices of breach " + std::to_string(breach_id))
        .status();
  });
}

Result<std::vector<int64_t>> PostgresStore::DeleteExpiredBreaches(UnixTime now) {
  std::vector<int64_t> ids;
  Status s = Transaction([&]() -> Status {
    ids.clear();
    FG_RETURN_IF_ERROR(Run("DELETE FROM breach_affected WHERE breach_id IN (SELECT id FROM breaches "
                           "WHERE status = 'closed' AND expires_at <= $1)",
                           Params().Int(now), "deleting the affected people of expired breaches")
                           .status());
    FG_ASSIGN_OR_RETURN(PgResult r, Run("DELETE FROM breaches WHERE status = 'closed' AND expires_at <= $1 "
                                        "RETURNING id",
                                        Params().Int(now), "deleting expired breaches"));
    for (int i = 0; i < PQntuples(r.get()); ++i) ids.push_back(Row(r.get(), i).Int(0));
    std::sort(ids.begin(), ids.end());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return ids;
}

// ---- the operator's identification threshold (REQ SC2; migration 7) ----

static Status CheckIdentifyThreshold(const IdentifyThresholdRecord& t) {
  if (!(t.threshold > 0) || !std::isfinite(t.threshold))
    return Status::InvalidInput("an identification threshold must be a positive distance, e.g. 0.95");
  if (t.reason.empty())
    return Status::InvalidInput("an identification threshold needs the reason it was set (--reason)");
  return Status::Ok();
}

Status PostgresStore::SetIdentifyThreshold(const IdentifyThresholdRecord& t) {
  FG_RETURN_IF_ERROR(CheckIdentifyThreshold(t));
  char value[32];
  std::snprintf(value, sizeof value, "%.9g", double(t.threshold));
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(t.purpose, /*lock=*/false));
    return Run("INSERT INTO purpose_settings (purpose, identify_threshold, reason, actor, set_at) "
               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (purpose) DO UPDATE SET "
               "identify_threshold = EXCLUDED.identify_threshold, reason = EXCLUDED.reason, "
               "actor = EXCLUDED.actor, set_at = EXCLUDED.set_at",
               Params().Text(t.purpose).Text(value).Text(t.reason).Text(t.actor).Int(t.set_at ? t.set_at : Now()),
               "setting the identification threshold of purpose " + Quote(t.purpose))
        .status();
  });
}

Result<std::optional<IdentifyThresholdRecord>> PostgresStore::GetIdentifyThreshold(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT identify_threshold, reason, actor, set_at FROM purpose_settings "
                                      "WHERE purpose = $1",
                                      Params().Text(purpose),
                                      "reading the identification threshold of purpose " + Quote(purpose)));
  if (PQntuples(r.get()) == 0) return std::optional<IdentifyThresholdRecord>();
  const Row row(r.get(), 0);
  IdentifyThresholdRecord t;
  t.purpose = purpose;
  t.threshold = std::strtof(row.Text(0).c_str(), nullptr);
  t.reason = row.Text(1);
  t.actor = row.Text(2);
  t.set_at = row.Int(3);
  return std::optional<IdentifyThresholdRecord>(t);
}

Result<bool> PostgresStore::ClearIdentifyThreshold(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("DELETE FROM purpose_settings WHERE purpose = $1", Params().Text(purpose),
                                      "clearing the identification threshold of purpose " + Quote(purpose)));
  return Changed(r) > 0;
}

// ---- tenants (REQ S10) ----

Result<std::vector<std::string>> PostgresStore::ListSubjects() {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT id FROM subjects ORDER BY id COLLATE \"C\"", Params(),
                                      "listing subjects"));
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(Row(r.get(), i).Text(0));
  return out;
}

// ---- alternative connectors, credentials and single-use tokens (REQ A4; migration 10) ----

static const char* const kConnectorColumns = "purpose, method, kind, config, actor, set_at";

static AlternativeConnectorRecord ReadConnector(const Row& row) {
  AlternativeConnectorRecord c;
  c.purpose = row.Text(0);
  c.method = row.Text(1);
  c.kind = row.Text(2);
  c.config = row.Text(3);
  c.actor = row.Text(4);
  c.set_at = row.Int(5);
  return c;
}

Status PostgresStore::SetAlternativeConnector(const AlternativeConnectorRecord& c) {
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(c.purpose, /*lock=*/false));
    return Run("INSERT INTO alternative_connectors (purpose, method, kind, config, actor, set_at) "
               "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (purpose, method) DO UPDATE SET "
               "kind = EXCLUDED.kind, config = EXCLUDED.config, actor = EXCLUDED.actor, set_at = EXCLUDED.set_at",
               Params().Text(c.purpose).Text(c.method).Text(c.kind).Text(c.config.empty() ? "{}" : c.config)
                   .Text(c.actor).Int(c.set_at ? c.set_at : Now()),
               "connecting alternative " + Quote(c.method) + " of purpose " + Quote(c.purpose))
        .status();
  });
}

Result<std::optional<AlternativeConnectorRecord>> PostgresStore::GetAlternativeConnector(
    const std::string& purpose, const std::string& method) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kConnectorColumns +
                                 " FROM alternative_connectors WHERE purpose = $1 AND method = $2";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(purpose).Text(method),
                                      "reading the connector of alternative " + Quote(method)));
  if (PQntuples(r.get()) == 0) return std::optional<AlternativeConnectorRecord>();
  return std::optional<AlternativeConnectorRecord>(ReadConnector(Row(r.get(), 0)));
}

Result<std::vector<AlternativeConnectorRecord>> PostgresStore::ListAlternativeConnectors(
    const std::string& purpose) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kConnectorColumns +
                                 " FROM alternative_connectors WHERE purpose = $1 ORDER BY method";
  FG_ASSIGN_OR_RETURN(PgResult r, Run(sql.c_str(), Params().Text(purpose),
                                      "listing the connectors of purpose " + Quote(purpose)));
  std::vector<AlternativeConnectorRecord> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(ReadConnector(Row(r.get(), i)));
  return out;
}

Status PostgresStore::PutAlternativeCredential(const AlternativeCredentialRecord& c) {
  if (c.subject.empty() || c.verifier.empty())
    return Status::InvalidInput("an alternative credential needs a subject and a verifier");
  return Transaction([&]() -> Status {
    return Run("INSERT INTO alternative_credentials (subject, purpose, method, verifier, created_at, expires_at) "
               "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subject, purpose, method) DO UPDATE SET "
               "verifier = EXCLUDED.verifier, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
               Params().Text(c.subject).Text(c.purpose).Text(c.method).Text(c.verifier)
                   .Int(c.created_at ? c.created_at : Now()).Int(c.expires_at),
               "storing the " + Quote(c.method) + " credential of subject " + Quote(c.subject))
        .status();
  });
}

Result<std::optional<AlternativeCredentialRecord>> PostgresStore::GetAlternativeCredential(
    const std::string& subject, const std::string& purpose, const std::string& method) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(PgResult r, Run("SELECT verifier, created_at, expires_at FROM alternative_credentials "
                                      "WHERE subject = $1 AND purpose = $2 AND method = $3",
                                      Params().Text(subject).Text(purpose).Text(method),
                                      "reading the " + Quote(method) + " credential of " + Quote(subject)));
  if (PQntuples(r.get()) == 0) return std::optional<AlternativeCredentialRecord>();
  const Row row(r.get(), 0);
  AlternativeCredentialRecord c;
  c.subject = subject;
  c.purpose = purpose;
  c.method = method;
  c.verifier = row.Text(0);
  c.created_at = row.Int(1);
  c.expires_at = row.Int(2);
  return std::optional<AlternativeCredentialRecord>(c);
}

Result<int64_t> PostgresStore::DeleteAlternativeCredentials(const std::string& subject,
                                                            const std::string& purpose) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("DELETE FROM alternative_credentials WHERE subject = $1 "
                                        "AND ($2 = '' OR purpose = $2)",
                                        Params().Text(subject).Text(purpose),
                                        "deleting the alternative credentials of subject " + Quote(subject)));
    n = Changed(r);
    return Status::Ok();
  }));
  return n;
}

Result<int64_t> PostgresStore::DeleteExpiredAlternativeCredentials(UnixTime now) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("DELETE FROM alternative_credentials WHERE expires_at <= $1",
                                        Params().Int(now), "deleting expired alternative credentials"));
    n = Changed(r);
    return Run("DELETE FROM alternative_tokens_used WHERE expires_at <= $1", Params().Int(now),
               "forgetting expired single-use tokens")
        .status();
  }));
  return n;
}

Status PostgresStore::ClaimAlternativeToken(const std::string& nonce, UnixTime at, UnixTime expires_at) {
  Status s = Transaction([&]() -> Status {
    return Run("INSERT INTO alternative_tokens_used (nonce, used_at, expires_at) VALUES ($1, $2, $3)",
               Params().Text(nonce).Int(at ? at : Now()).Int(expires_at), "claiming a single-use token")
        .status();
  });
  if (s.kind() == ErrorKind::kConflict)
    return Status::Conflict("this token was already used; a token opens one transaction only: issue a new one");
  return s;
}

Result<int64_t> PostgresStore::CountAlternativeAttempt(int64_t id) {
  int64_t changed = 0;
  int64_t attempts = 0;
  FG_RETURN_IF_ERROR(Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(PgResult r, Run("UPDATE alternatives SET attempts = attempts + 1 "
                                        "WHERE id = $1 AND closed_at IS NULL RETURNING attempts",
                                        Params().Int(id), "counting an attempt on alternative " + std::to_string(id)));
    changed = PQntuples(r.get());
    if (changed == 1) attempts = Row(r.get(), 0).Int(0);
    return Status::Ok();
  }));
  if (changed == 1) return attempts;
  FG_ASSIGN_OR_RETURN(AlternativeRecord a, GetAlternative(id));  // kNotFound for an unknown id
  return Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed with outcome " +
                          Quote(a.outcome) + ": open a new one for a new attempt");
}

// ---- audit chain (REQ S6) ----

Result<AuditEvent> PostgresStore::AppendAudit(const AuditEvent& in) {
  AuditEvent e = in;
  if (!e.at) e.at = Now();
  Status s = Transaction([&]() -> Status {
    // SHARE ROW EXCLUSIVE conflicts with itself and with every INSERT: the head
    // read below is the head at commit, so the chain never forks (readers go on).
    FG_RETURN_IF_ERROR(
        Command("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE", "locking the audit chain"));
    FG_ASSIGN_OR_RETURN(
        PgResult head, Run("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", Params(),
                           "reading the audit chain head"));
    if (PQntuples(head.get()) > 0) {
      e.seq = Row(head.get(), 0).Int(0) + 1;
      e.prev_hash = Row(head.get(), 0).Text(1);
    } else {
      e.seq = 1;
      e.prev_hash = kGenesisHash;
    }
    e.hash = AuditHash(e);
    return Run("INSERT INTO audit_events (seq, at, actor, action, subject, purpose, outcome, "
               "detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
               Params()
                   .Int(e.seq)
                   .Int(e.at)
                   .Text(e.actor)
                   .Text(e.action)
                   .Text(e.subject)
                   .Text(e.purpose)
                   .Text(e.outcome)
                   .Text(e.detail)
                   .Text(e.prev_hash)
                   .Text(e.hash),
               "appending audit event " + std::to_string(e.seq))
        .status();
  });
  if (!s.ok()) return s;
  return e;
}

static const char* const kAuditSelect =
    "SELECT seq, at, actor, action, subject, purpose, outcome, detail, prev_hash, hash "
    "FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2";

AuditEvent ReadAudit(const Row& row) {
  AuditEvent e;
  e.seq = row.Int(0);
  e.at = row.Int(1);
  e.actor = row.Text(2);
  e.action = row.Text(3);
  e.subject = row.Text(4);
  e.purpose = row.Text(5);
  e.outcome = row.Text(6);
  e.detail = row.Text(7);
  e.prev_hash = row.Text(8);
  e.hash = row.Text(9);
  return e;
}

Result<std::vector<AuditEvent>> PostgresStore::ListAudit(int64_t after_seq, int64_t limit) {
  std::lock_guard lock(mu_);
  Params p;
  p.Int(after_seq);
  if (limit > 0) {
    p.Int(limit);
  } else {
    p.Null();  // LIMIT NULL: no limit
  }
  FG_ASSIGN_OR_RETURN(PgResult r, Run(kAuditSelect, p, "listing audit events"));
  std::vector<AuditEvent> out;
  out.reserve(PQntuples(r.get()));
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(ReadAudit(Row(r.get(), i)));
  return out;
}

Result<std::vector<AuditEvent>> PostgresStore::ListAuditForSubject(const std::string& subject,
                                                                   int64_t after_seq, int64_t limit) {
  if (subject.empty()) return Status::InvalidInput("the match log of whom? give a subject id");
  std::lock_guard lock(mu_);
  Params p;
  p.Text(subject).Int(after_seq);
  if (limit > 0) {
    p.Int(limit);
  } else {
    p.Null();  // LIMIT NULL: no limit
  }
  FG_ASSIGN_OR_RETURN(
      PgResult r,
      Run("SELECT seq, at, actor, action, subject, purpose, outcome, detail, prev_hash, hash "
          "FROM audit_events WHERE subject = $1 AND seq > $2 ORDER BY seq LIMIT $3",
          p, "listing the audit events of subject " + Quote(subject)));
  std::vector<AuditEvent> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(ReadAudit(Row(r.get(), i)));
  return out;
}

Result<AuditCheck> PostgresStore::VerifyAudit() {
  std::lock_guard lock(mu_);
  const bool own_tx = tx_depth_ == 0;
  // One snapshot for all pages, even while other processes append.
  if (own_tx) {
    FG_RETURN_IF_ERROR(EnsureConnected());
    FG_RETURN_IF_ERROR(
        Command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the audit check"));
  }
  AuditCheck check;
  Status s = [&]() -> Status {
    int64_t expected_seq = 1;
    int64_t after = 0;
    std::string prev = kGenesisHash;
    for (;;) {
      FG_ASSIGN_OR_RETURN(PgResult r, Run(kAuditSelect, Params().Int(after).Int(kVerifyPage),
                                          "reading the audit chain"));
      const int n = PQntuples(r.get());
      for (int i = 0; i < n; ++i) {
        AuditEvent e = ReadAudit(Row(r.get(), i));
        after = e.seq;
        ++check.events;
        if (!check.intact) continue;  // keep counting; report only the first break
        auto broken = [&](std::string why) {
          check.intact = false;
          check.first_broken_seq = e.seq;
          check.reason = std::move(why);
        };
        if (e.seq != expected_seq) {
          broken("seq gap: expected " + std::to_string(expected_seq) + ", found " +
                 std::to_string(e.seq) + ": event(s) deleted");
        } else if (e.prev_hash != prev) {
          broken("prev_hash mismatch: event deleted or reordered before seq " +
                 std::to_string(e.seq));
        } else if (AuditHash(e) != e.hash) {
          broken("hash mismatch: event edited (seq " + std::to_string(e.seq) + ")");
        }
        expected_seq = e.seq + 1;
        prev = e.hash;
      }
      if (n < kVerifyPage) return Status::Ok();
    }
  }();
  if (own_tx) PQclear(PQexec(conn_, s.ok() ? "COMMIT" : "ROLLBACK"));
  if (!s.ok()) return s;
  return check;
}

}  // namespace

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
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Status::InvalidInput("PostgreSQL conninfo is malformed: " + msg +
                                ": see libpq's connection strings");
  }
  PQconninfoFree(opts);
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn) return Status::Internal("cannot allocate a PostgreSQL connection: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::Internal("cannot connect to PostgreSQL: " + msg +
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
  auto store = std::make_unique<PostgresStore>(conn);
  FG_RETURN_IF_ERROR(store->Configure());
  FG_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace facegate::store
