// SQLite backend of store::Store: one connection guarded by a recursive mutex,
// WAL journal, synchronous=FULL, foreign keys, versioned migrations.
//
// Why synchronous=FULL (not NORMAL) with WAL: NORMAL keeps the file consistent
// but may lose the last commits on power loss. Here a lost commit can be a spent
// "once" consent (REQ C5: it could then be spent again), a withdrawal (REQ C4)
// or an audit event (REQ S6), so every commit is fsynced.
#include <facegate/store.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "store/audit_chain.h"
#include "store/fs_util.h"
#include "store/migrations.h"

namespace facegate::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;

UnixTime Now() {
  return static_cast<UnixTime>(std::time(nullptr));
}

// A cached prepared statement, reset and unbound when it goes out of scope.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() {
    if (s_) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, const std::string& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, const std::optional<int64_t>& v) {
    if (v) return Bind(i, *v);
    sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& BindDouble(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }

  int Step() { return sqlite3_step(s_); }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  double Double(int col) const { return sqlite3_column_double(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::optional<int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(static_cast<const char*>(p), n) : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);  // last connection: checkpoints and removes the -wal file
  }

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
  // Translates the connection's last error into a Status that says what to do.
  Status SqlError(int rc, const std::string& what);
  Status Exec(const char* sql, const std::string& what);
  Result<Stmt> Prepare(const char* sql);
  // Runs a statement that returns no rows; maps errors with SqlError.
  Status Run(Stmt& st, const std::string& what);

  // REQ S7: secure_delete zeroed a destroyed key in its page, but the WAL still
  // holds the old page image until checkpointed; copy back and truncate it now.
  // Best effort: another process reading the database may keep old frames alive.
  void CheckpointForShredding();

  Status RequirePurpose(const std::string& name);
  Status RequireSubject(const std::string& subject);
  Result<NoticeRecord> ReadNotice(Stmt& st, const std::string& what);

  sqlite3* db_;
  std::string path_;
  // Held for every call; recursive so store methods called from a Transaction
  // body on the same thread join that transaction instead of deadlocking.
  std::recursive_mutex mu_;
  int tx_depth_ = 0;  // guarded by mu_: 0 outside Transaction, n inside n nested bodies
  bool checkpoint_after_commit_ = false;  // guarded by mu_: a key was destroyed in this transaction
  std::unordered_map<const char*, sqlite3_stmt*> cache_;  // keyed by the SQL literal's address
};

Status SqliteStore::SqlError(int rc, const std::string& what) {
  std::string msg = sqlite3_errmsg(db_);
  std::string where = what + " in database " + Quote(path_) + ": " + msg;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::Conflict(what + ": already exists (" + msg + ")");
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Status::NotFound(what +
                                ": refers to a subject, purpose or notice that does not "
                                "exist (" +
                                msg + ")");
      }
      if (rc == SQLITE_CONSTRAINT_TRIGGER) return Status::Conflict(what + ": " + msg);
      return Status::InvalidInput(what + ": a stored value is out of range (" + msg + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Integrity("database is corrupt (" + where +
                               "): stop facegate and restore the database from backup");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Internal(where + ": another process held the database lock for more than " +
                              std::to_string(kBusyTimeoutMs / 1000) +
                              " s; retry, or stop the other facegate process");
    case SQLITE_FULL:
      return Status::Internal(where + ": the disk is full; free space and retry");
    case SQLITE_IOERR:
      return Status::Internal(where + ": I/O error; check the disk and its free space");
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::Internal(where +
                              ": check that the database file and its directory are "
                              "writable by this user");
    default:
      return Status::Internal(where + " (sqlite code " + std::to_string(rc) + ")");
  }
}

Status SqliteStore::Exec(const char* sql, const std::string& what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlError(sqlite3_extended_errcode(db_), what);
  return Status::Ok();
}

Result<Stmt> SqliteStore::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) return SqlError(rc, std::string("preparing \"") + sql + "\"");
  cache_.emplace(sql, st);
  return Stmt(st);
}

Status SqliteStore::Run(Stmt& st, const std::string& what) {
  int rc = st.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqlError(rc, what);
  return Status::Ok();
}

Status SqliteStore::Configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);  // waits for other processes' write locks
  if (path_ != ":memory:") {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("PRAGMA journal_mode=WAL"));
    int rc = st.Step();
    if (rc != SQLITE_ROW) return SqlError(sqlite3_extended_errcode(db_), "enabling WAL");
    if (st.Text(0) != "wal") {
      return Status::Internal("database " + Quote(path_) +
                              " could not switch to WAL (journal mode " + st.Text(0) +
                              "): put it on a local filesystem");
    }
  }
  FG_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL", "setting synchronous=FULL"));
  FG_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON", "enabling foreign keys"));
  // REQ S7: deleted templates and subject keys are overwritten in the file, not
  // left in free pages where a copy of the file would still hold them.
  FG_RETURN_IF_ERROR(Exec("PRAGMA secure_delete=ON", "enabling secure_delete"));
  FG_RETURN_IF_ERROR(Exec("PRAGMA trusted_schema=OFF", "disabling trusted_schema"));
  return Status::Ok();
}

Status SqliteStore::Migrate() {
  std::lock_guard lock(mu_);
  FG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "starting the migration"));
  auto body = [&]() -> Status {
    FG_RETURN_IF_ERROR(Exec(R"sql(
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      ) STRICT)sql",
                            "creating schema_migrations"));
    int64_t current = 0;
    {
      FG_ASSIGN_OR_RETURN(Stmt st,
                          Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      if (st.Step() != SQLITE_ROW) {
        return SqlError(sqlite3_extended_errcode(db_), "reading the schema version");
      }
      current = st.Int(0);
    }
    if (current > LatestSchemaVersion()) {
      return Status::Integrity("database " + Quote(path_) + " has schema version " +
                               std::to_string(current) + " but this facegate knows only up to " +
                               std::to_string(LatestSchemaVersion()) +
                               ": upgrade facegate, or restore a backup made by this version");
    }
    // Each migration is applied unless recorded, not only those above the highest: version
    // numbers are owned by features that land in any order, so a lower one can come later.
    for (const Migration& m : SqliteMigrations()) {
      {
        FG_ASSIGN_OR_RETURN(Stmt done, Prepare("SELECT 1 FROM schema_migrations WHERE version = ?"));
        done.Bind(1, int64_t{m.version});
        const int rc = done.Step();
        if (rc == SQLITE_ROW) continue;
        if (rc != SQLITE_DONE) return SqlError(rc, "reading the schema version");
      }
      FG_RETURN_IF_ERROR(Exec(m.sql, "applying migration " + std::to_string(m.version)));
      FG_ASSIGN_OR_RETURN(
          Stmt st, Prepare("INSERT INTO schema_migrations (version, description, applied_at) "
                           "VALUES (?, ?, ?)"));
      st.Bind(1, int64_t{m.version}).Bind(2, std::string(m.description)).Bind(3, Now());
      FG_RETURN_IF_ERROR(Run(st, "recording migration " + std::to_string(m.version)));
    }
    return Status::Ok();
  };
  Status s = body();
  if (!s.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return Exec("COMMIT", "committing the migration");
}

Status SqliteStore::Transaction(const std::function<Status()>& body) {
  std::lock_guard lock(mu_);
  const bool outer = tx_depth_ == 0;
  // Nested calls (a body calling the store) become savepoints of the outer
  // transaction, so a failing inner step undoes only its own writes.
  const std::string sp = "fg_sp" + std::to_string(tx_depth_);
  if (outer) {
    // IMMEDIATE takes the write lock now: no read-then-upgrade deadlock with other processes.
    FG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "starting a transaction"));
  } else {
    FG_RETURN_IF_ERROR(Exec(("SAVEPOINT " + sp).c_str(), "starting a savepoint"));
  }
  auto rollback = [&] {
    if (outer) {
      checkpoint_after_commit_ = false;
      if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    } else {
      sqlite3_exec(db_, ("ROLLBACK TO " + sp + "; RELEASE " + sp).c_str(), nullptr, nullptr,
                   nullptr);
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
  Status c = outer ? Exec("COMMIT", "committing a transaction")
                   : Exec(("RELEASE " + sp).c_str(), "releasing a savepoint");
  if (!c.ok()) {
    rollback();
    return c;
  }
  if (outer && checkpoint_after_commit_) CheckpointForShredding();
  return c;
}

void SqliteStore::CheckpointForShredding() {
  checkpoint_after_commit_ = false;
  if (path_ == ":memory:") return;
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

// ---- purposes ----

Status SqliteStore::RequirePurpose(const std::string& name) {
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT 1 FROM purposes WHERE name = ?"));
  st.Bind(1, name);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc != SQLITE_DONE) return SqlError(rc, "looking up purpose " + Quote(name));
  return Status::NotFound("purpose " + Quote(name) +
                          " does not exist: declare it first (facegate purpose add)");
}

Status SqliteStore::RequireSubject(const std::string& subject) {
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT 1 FROM subjects WHERE id = ?"));
  st.Bind(1, subject);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc != SQLITE_DONE) return SqlError(rc, "looking up subject " + Quote(subject));
  return Status::NotFound("subject " + Quote(subject) +
                          " does not exist: register it first (Store::EnsureSubject)");
}

Status SqliteStore::AddPurpose(const PurposeRecord& p) {
  if (p.name.empty()) return Status::InvalidInput("purpose name is empty: give it a name");
  if (p.retention_days < 0) {
    return Status::InvalidInput("purpose " + Quote(p.name) + " has negative retention_days");
  }
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO purposes (name, scenario, retention_days, "
                                       "alternatives, legal_mandate, created_at, liveness) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, p.name)
      .Bind(2, std::string(ToString(p.scenario)))
      .Bind(3, p.retention_days)
      .Bind(4, nlohmann::json(p.alternatives).dump())
      .Bind(5, p.legal_mandate)
      .Bind(6, p.created_at ? p.created_at : Now())
      .Bind(7, std::string(ToString(p.liveness)));
  int rc = st.Step();
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::Conflict("purpose " + Quote(p.name) +
                            " already exists: use it, or choose another name");
  }
  return SqlError(rc, "adding purpose " + Quote(p.name));
}

static const char* const kPurposeColumns =
    "name, scenario, retention_days, alternatives, legal_mandate, created_at, liveness";

Result<PurposeRecord> ReadPurpose(const Stmt& st) {
  PurposeRecord p;
  p.name = st.Text(0);
  auto scenario = ParseScenario(st.Text(1));
  if (!scenario) {
    return Status::Integrity("purpose " + Quote(p.name) + " has unknown scenario " +
                             Quote(st.Text(1)) + ": the database was edited; restore from backup");
  }
  p.scenario = *scenario;
  p.retention_days = st.Int(2);
  auto alts = nlohmann::json::parse(st.Text(3), nullptr, /*allow_exceptions=*/false);
  if (!alts.is_array()) {
    return Status::Integrity("purpose " + Quote(p.name) +
                             " has malformed alternatives: the database was edited; restore "
                             "from backup");
  }
  for (const auto& a : alts) {
    if (a.is_string()) p.alternatives.push_back(a.get<std::string>());
  }
  p.legal_mandate = st.Text(4);
  p.created_at = st.Int(5);
  auto liveness = ParseLivenessRequirement(st.Text(6));
  if (!liveness) {
    return Status::Integrity("purpose " + Quote(p.name) + " has unknown liveness requirement " +
                             Quote(st.Text(6)) + ": the database was edited; restore from backup");
  }
  p.liveness = *liveness;
  return p;
}

Result<PurposeRecord> SqliteStore::GetPurpose(const std::string& name) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kPurposeColumns + " FROM purposes WHERE name = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, name);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return ReadPurpose(st);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading purpose " + Quote(name));
  return Status::NotFound("purpose " + Quote(name) + " does not exist");
}

Result<std::vector<PurposeRecord>> SqliteStore::ListPurposes() {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kPurposeColumns + " FROM purposes ORDER BY name";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  std::vector<PurposeRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    FG_ASSIGN_OR_RETURN(PurposeRecord p, ReadPurpose(st));
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return SqlError(rc, "listing purposes");
  return out;
}

// ---- notices ----

static const char* const kNoticeColumns = "id, purpose, version, text, sha256, published_at";

Result<NoticeRecord> SqliteStore::ReadNotice(Stmt& st, const std::string& what) {
  int rc = st.Step();
  if (rc == SQLITE_DONE) return Status::NotFound(what + " does not exist");
  if (rc != SQLITE_ROW) return SqlError(rc, "reading " + what);
  NoticeRecord n;
  n.id = st.Int(0);
  n.purpose = st.Text(1);
  n.version = static_cast<int>(st.Int(2));
  n.text = st.Text(3);
  n.sha256 = st.Text(4);
  n.published_at = st.Int(5);
  return n;
}

Result<NoticeRecord> SqliteStore::PublishNotice(const NoticeRecord& in) {
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
    FG_RETURN_IF_ERROR(RequirePurpose(n.purpose));
    {
      FG_ASSIGN_OR_RETURN(
          Stmt st, Prepare("SELECT COALESCE(MAX(version), 0) FROM notices WHERE purpose = ?"));
      st.Bind(1, n.purpose);
      if (st.Step() != SQLITE_ROW) {
        return SqlError(sqlite3_extended_errcode(db_), "reading notice versions");
      }
      n.version = static_cast<int>(st.Int(0)) + 1;
    }
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO notices (purpose, version, text, sha256, "
                                         "published_at) VALUES (?, ?, ?, ?, ?)"));
    st.Bind(1, n.purpose)
        .Bind(2, int64_t{n.version})
        .Bind(3, n.text)
        .Bind(4, n.sha256)
        .Bind(5, n.published_at);
    FG_RETURN_IF_ERROR(Run(st, "publishing a notice for purpose " + Quote(n.purpose)));
    n.id = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

Result<NoticeRecord> SqliteStore::GetNotice(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kNoticeColumns + " FROM notices WHERE id = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, id);
  return ReadNotice(st, "notice " + std::to_string(id));
}

Result<NoticeRecord> SqliteStore::LatestNotice(const std::string& purpose) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kNoticeColumns +
                                 " FROM notices WHERE purpose = ? ORDER BY version DESC LIMIT 1";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, purpose);
  return ReadNotice(st, "a notice for purpose " + Quote(purpose));
}

// ---- subjects ----

Status SqliteStore::EnsureSubject(const std::string& subject, UnixTime now) {
  if (subject.empty()) return Status::InvalidInput("subject id is empty: give a pseudonymous id");
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st,
                      Prepare("INSERT OR IGNORE INTO subjects (id, created_at) VALUES (?, ?)"));
  st.Bind(1, subject).Bind(2, now ? now : Now());
  return Run(st, "registering subject " + Quote(subject));
}

Result<bool> SqliteStore::SubjectExists(const std::string& subject) {
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

Result<ConsentRecord> ReadConsent(const Stmt& st) {
  ConsentRecord c;
  c.id = st.Int(0);
  c.subject = st.Text(1);
  c.purpose = st.Text(2);
  c.notice_id = st.OptInt(3).value_or(0);
  c.notice_sha256 = st.Text(4);
  auto option = ParseConsentOption(st.Text(5));
  auto method = ParseConsentMethod(st.Text(6));
  if (!option || !method) {
    return Status::Integrity("consent " + std::to_string(c.id) +
                             " has an unknown option or method: the database was edited; "
                             "restore from backup");
  }
  c.option = *option;
  c.method = *method;
  c.evidence = st.Text(7);
  c.given_at = st.Int(8);
  c.expires_at = st.Int(9);
  c.withdrawn_at = st.OptInt(10);
  c.used_at = st.OptInt(11);
  c.session = st.Text(12);
  c.legal_basis = st.Text(13);
  auto kind = ParseConsentKind(st.Text(14));
  if (!kind) {
    return Status::Integrity("consent " + std::to_string(c.id) +
                             " has an unknown kind: the database was edited; restore from backup");
  }
  c.kind = *kind;
  c.recipient = st.Text(15);
  c.source = st.Text(16);
  c.minor = st.Int(17) != 0;
  c.guardian = st.Text(18);
  c.guardian_relation = st.Text(19);
  return c;
}

Result<ConsentRecord> SqliteStore::AddConsent(const ConsentRecord& in) {
  ConsentRecord c = in;
  if (!c.given_at) c.given_at = Now();
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(c.subject));
    FG_RETURN_IF_ERROR(RequirePurpose(c.purpose));
    if (c.notice_id != 0) {
      // REQ C2: the consent must name the notice the subject actually saw.
      static const std::string sql =
          std::string("SELECT ") + kNoticeColumns + " FROM notices WHERE id = ?";
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
      st.Bind(1, c.notice_id);
      FG_ASSIGN_OR_RETURN(NoticeRecord n, ReadNotice(st, "notice " + std::to_string(c.notice_id)));
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
    FG_ASSIGN_OR_RETURN(
        Stmt st,
        Prepare("INSERT INTO consents (subject, purpose, notice_id, notice_sha256, option, method, "
                "evidence, given_at, expires_at, withdrawn_at, used_at, session, legal_basis, "
                "kind, recipient, source, minor, guardian, guardian_relation) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    st.Bind(1, c.subject).Bind(2, c.purpose);
    if (c.notice_id) {
      st.Bind(3, c.notice_id);
    } else {
      st.BindNull(3);
    }
    st.Bind(4, c.notice_sha256)
        .Bind(5, std::string(ToString(c.option)))
        .Bind(6, std::string(ToString(c.method)))
        .Bind(7, c.evidence)
        .Bind(8, c.given_at)
        .Bind(9, c.expires_at)
        .Bind(10, c.withdrawn_at)
        .Bind(11, c.used_at)
        .Bind(12, c.session)
        .Bind(13, c.legal_basis)
        .Bind(14, std::string(ToString(c.kind)))
        .Bind(15, c.recipient)
        .Bind(16, c.source)
        .Bind(17, int64_t{c.minor ? 1 : 0})
        .Bind(18, c.guardian)
        .Bind(19, c.guardian_relation);
    FG_RETURN_IF_ERROR(Run(st, "adding a consent of subject " + Quote(c.subject)));
    c.id = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return c;
}

Result<ConsentRecord> SqliteStore::GetConsent(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kConsentColumns + " FROM consents WHERE id = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, id);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return ReadConsent(st);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading consent " + std::to_string(id));
  return Status::NotFound("consent " + std::to_string(id) + " does not exist");
}

Result<std::vector<ConsentRecord>> SqliteStore::ListConsents(const std::string& subject,
                                                             const std::string& purpose) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kConsentColumns +
                                 " FROM consents WHERE subject = ? AND purpose = ? "
                                 "ORDER BY given_at DESC, id DESC";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, subject).Bind(2, purpose);
  std::vector<ConsentRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    FG_ASSIGN_OR_RETURN(ConsentRecord c, ReadConsent(st));
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return SqlError(rc, "listing consents of subject " + Quote(subject));
  return out;
}

Status SqliteStore::MarkConsentUsed(int64_t id, UnixTime at) {
  std::lock_guard lock(mu_);
  {
    // REQ C5: one conditional UPDATE is the test-and-set; of two concurrent
    // callers (threads or processes) exactly one changes the row.
    FG_ASSIGN_OR_RETURN(
        Stmt st, Prepare("UPDATE consents SET used_at = ? WHERE id = ? AND used_at IS NULL"));
    st.Bind(1, at ? at : Now()).Bind(2, id);
    FG_RETURN_IF_ERROR(Run(st, "spending consent " + std::to_string(id)));
  }
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ConsentRecord c, GetConsent(id));  // kNotFound for an unknown id
  return Status::Conflict("consent " + std::to_string(id) + " was already used at " +
                          std::to_string(c.used_at.value_or(0)) +
                          ": a 'once' consent authorizes one operation; ask for a new consent");
}

Status SqliteStore::MarkConsentWithdrawn(int64_t id, UnixTime at) {
  std::lock_guard lock(mu_);
  {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE consents SET withdrawn_at = ? "
                                         "WHERE id = ? AND withdrawn_at IS NULL"));
    st.Bind(1, at ? at : Now()).Bind(2, id);
    FG_RETURN_IF_ERROR(Run(st, "withdrawing consent " + std::to_string(id)));
  }
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ConsentRecord c, GetConsent(id));
  return Status::Conflict("consent " + std::to_string(id) + " was already withdrawn at " +
                          std::to_string(c.withdrawn_at.value_or(0)));
}

// ---- templates ----

Result<int64_t> SqliteStore::PutTemplate(const SealedTemplate& t) {
  if (t.nonce.empty() || t.ciphertext.empty()) {
    return Status::InvalidInput("template of subject " + Quote(t.subject) +
                                " is not sealed (empty nonce or ciphertext): seal it with "
                                "Vault::Seal first (REQ S4)");
  }
  int64_t id = 0;
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(t.subject));
    FG_RETURN_IF_ERROR(RequirePurpose(t.purpose));
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO templates (subject, purpose, model, nonce, "
                                         "ciphertext, created_at, expires_at) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    st.Bind(1, t.subject)
        .Bind(2, t.purpose)
        .Bind(3, t.model)
        .BindBlob(4, t.nonce)
        .BindBlob(5, t.ciphertext)
        .Bind(6, t.created_at ? t.created_at : Now())
        .Bind(7, t.expires_at);
    FG_RETURN_IF_ERROR(Run(st, "storing a template of subject " + Quote(t.subject)));
    id = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

// Reads every row of a query selecting id, subject, purpose, model, nonce, ciphertext,
// created_at, expires_at from templates; returns the last step's code.
static int ReadTemplates(Stmt& st, std::vector<SealedTemplate>& out) {
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    SealedTemplate t;
    t.id = st.Int(0);
    t.subject = st.Text(1);
    t.purpose = st.Text(2);
    t.model = st.Text(3);
    t.nonce = st.Blob(4);
    t.ciphertext = st.Blob(5);
    t.created_at = st.Int(6);
    t.expires_at = st.Int(7);
    out.push_back(std::move(t));
  }
  return rc;
}

Result<std::vector<SealedTemplate>> SqliteStore::GetTemplates(const std::string& subject,
                                                              const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id, subject, purpose, model, nonce, ciphertext, "
                                       "created_at, expires_at FROM templates "
                                       "WHERE subject = ? AND purpose = ? ORDER BY id"));
  st.Bind(1, subject).Bind(2, purpose);
  std::vector<SealedTemplate> out;
  int rc = ReadTemplates(st, out);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading templates of subject " + Quote(subject));
  return out;
}

Result<std::vector<SealedTemplate>> SqliteStore::ListTemplatesForPurpose(
    const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id, subject, purpose, model, nonce, ciphertext, "
                                       "created_at, expires_at FROM templates "
                                       "WHERE purpose = ? ORDER BY subject, id"));
  st.Bind(1, purpose);
  std::vector<SealedTemplate> out;
  int rc = ReadTemplates(st, out);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading the templates of purpose " + Quote(purpose));
  return out;
}

Result<std::vector<SealedTemplate>> SqliteStore::ListTemplatesForPurposeAfter(const std::string& purpose,
                                                                            int64_t after_id) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id, subject, purpose, model, nonce, ciphertext, "
                                       "created_at, expires_at FROM templates "
                                       "WHERE purpose = ? AND id > ? ORDER BY subject, id"));
  st.Bind(1, purpose).Bind(2, after_id);
  std::vector<SealedTemplate> out;
  int rc = ReadTemplates(st, out);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading the new templates of purpose " + Quote(purpose));
  return out;
}

Result<int64_t> SqliteStore::PurposeTemplateVersion(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT version FROM purpose_template_versions WHERE purpose = ?"));
  st.Bind(1, purpose);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return int64_t{0};
  if (rc != SQLITE_ROW) return SqlError(rc, "reading the template version of purpose " + Quote(purpose));
  return st.Int(0);
}

Result<std::vector<int64_t>> SqliteStore::ListTemplateIdsForPurpose(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id FROM templates WHERE purpose = ? ORDER BY id"));
  st.Bind(1, purpose);
  std::vector<int64_t> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.Int(0));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing template ids of purpose " + Quote(purpose));
  return out;
}

Result<int64_t> SqliteStore::DeleteTemplates(const std::string& subject,
                                             const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM templates WHERE subject = ? AND purpose = ?"));
  st.Bind(1, subject).Bind(2, purpose);
  FG_RETURN_IF_ERROR(Run(st, "deleting templates of subject " + Quote(subject)));
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Result<std::vector<SealedTemplate>> SqliteStore::DeleteExpiredTemplates(UnixTime now) {
  std::vector<SealedTemplate> gone;
  Status s = Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(Stmt sel, Prepare("SELECT id, subject, purpose, model, created_at, expires_at "
                                          "FROM templates WHERE expires_at <= ? ORDER BY id"));
    sel.Bind(1, now);
    int rc;
    while ((rc = sel.Step()) == SQLITE_ROW) {
      SealedTemplate t;
      t.id = sel.Int(0);
      t.subject = sel.Text(1);
      t.purpose = sel.Text(2);
      t.model = sel.Text(3);
      t.created_at = sel.Int(4);
      t.expires_at = sel.Int(5);
      gone.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE) return SqlError(rc, "reading expired templates");
    FG_ASSIGN_OR_RETURN(Stmt del, Prepare("DELETE FROM templates WHERE expires_at <= ?"));
    del.Bind(1, now);
    return Run(del, "deleting expired templates");
  });
  if (!s.ok()) return s;
  return gone;
}

Result<int64_t> SqliteStore::CountTemplates(const std::string& subject) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT COUNT(*) FROM templates WHERE subject = ?"));
  st.Bind(1, subject);
  if (st.Step() != SQLITE_ROW) {
    return SqlError(sqlite3_extended_errcode(db_), "counting templates of " + Quote(subject));
  }
  return st.Int(0);
}

// ---- subject keys ----

Result<std::string> SqliteStore::GetWrappedSubjectKey(const std::string& subject) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT wrapped FROM subject_keys WHERE subject = ?"));
  st.Bind(1, subject);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return st.Blob(0);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading the key of subject " + Quote(subject));
  return Status::NotFound("no key for subject " + Quote(subject) +
                          ": none was made yet, or it was destroyed (templates shredded, REQ S7)");
}

Status SqliteStore::PutWrappedSubjectKey(const std::string& subject, const std::string& wrapped) {
  if (wrapped.empty()) return Status::InvalidInput("wrapped key is empty");
  std::lock_guard lock(mu_);
  FG_RETURN_IF_ERROR(RequireSubject(subject));
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO subject_keys (subject, wrapped, created_at) "
                                       "VALUES (?, ?, ?)"));
  st.Bind(1, subject).BindBlob(2, wrapped).Bind(3, Now());
  int rc = st.Step();
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::Conflict("subject " + Quote(subject) +
                            " already has a key: read it with GetWrappedSubjectKey");
  }
  return SqlError(rc, "storing the key of subject " + Quote(subject));
}

Status SqliteStore::DestroySubjectKey(const std::string& subject) {
  std::lock_guard lock(mu_);
  {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM subject_keys WHERE subject = ?"));
    st.Bind(1, subject);
    FG_RETURN_IF_ERROR(Run(st, "destroying the key of subject " + Quote(subject)));
  }
  // Idempotent: a subject without a key has nothing left to shred.
  checkpoint_after_commit_ = true;
  if (tx_depth_ == 0) CheckpointForShredding();
  return Status::Ok();
}

// ---- alternative transactions and consent refusals (REQ A2, C6, C7, D7) ----

static const char* const kAlternativeColumns =
    "id, subject, purpose, session, method, opened_at, closed_at, outcome, attempts";

AlternativeRecord ReadAlternative(const Stmt& st) {
  AlternativeRecord a;
  a.id = st.Int(0);
  a.subject = st.Text(1);
  a.purpose = st.Text(2);
  a.session = st.Text(3);
  a.method = st.Text(4);
  a.opened_at = st.Int(5);
  a.closed_at = st.OptInt(6);
  a.outcome = st.Text(7);
  a.attempts = st.Int(8);
  return a;
}

Status CheckAlternativeOutcome(const std::string& outcome) {
  if (outcome == "granted" || outcome == "denied") return Status::Ok();
  return Status::InvalidInput("alternative outcome " + Quote(outcome) +
                              " is not one of 'granted', 'denied'");
}

Result<int64_t> SqliteStore::OpenAlternative(const AlternativeRecord& in) {
  if (in.subject.empty()) return Status::InvalidInput("an alternative needs a subject id");
  if (in.method.empty()) return Status::InvalidInput("an alternative needs a method");
  int64_t id = 0;
  Status s = Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(in.purpose));
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO alternatives (subject, purpose, session, "
                                         "method, opened_at, closed_at, outcome) "
                                         "VALUES (?, ?, ?, ?, ?, NULL, '')"));
    st.Bind(1, in.subject)
        .Bind(2, in.purpose)
        .Bind(3, in.session)
        .Bind(4, in.method)
        .Bind(5, in.opened_at ? in.opened_at : Now());
    FG_RETURN_IF_ERROR(Run(st, "opening an alternative for subject " + Quote(in.subject)));
    id = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<AlternativeRecord> SqliteStore::GetAlternative(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kAlternativeColumns + " FROM alternatives WHERE id = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, id);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return ReadAlternative(st);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading alternative " + std::to_string(id));
  return Status::NotFound("alternative transaction " + std::to_string(id) + " does not exist");
}

Status SqliteStore::CloseAlternative(int64_t id, const std::string& outcome, UnixTime at) {
  FG_RETURN_IF_ERROR(CheckAlternativeOutcome(outcome));
  std::lock_guard lock(mu_);
  {
    // One conditional UPDATE: of two concurrent closers exactly one records its outcome.
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE alternatives SET closed_at = ?, outcome = ? "
                                         "WHERE id = ? AND closed_at IS NULL"));
    st.Bind(1, at ? at : Now()).Bind(2, outcome).Bind(3, id);
    FG_RETURN_IF_ERROR(Run(st, "closing alternative " + std::to_string(id)));
  }
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(AlternativeRecord a, GetAlternative(id));  // kNotFound for an unknown id
  return Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed at " +
                          std::to_string(a.closed_at.value_or(0)) + " with outcome " +
                          Quote(a.outcome) + ": open a new one for a new attempt");
}

Result<std::optional<AlternativeRecord>> SqliteStore::OpenAlternativeFor(
    const std::string& subject, const std::string& purpose, const std::string& session,
    UnixTime now) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kAlternativeColumns +
      " FROM alternatives WHERE subject = ? AND purpose = ? AND session = ? AND opened_at <= ? "
      "AND (closed_at IS NULL OR closed_at > ?) ORDER BY opened_at DESC, id DESC LIMIT 1";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, subject).Bind(2, purpose).Bind(3, session).Bind(4, now).Bind(5, now);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return std::optional<AlternativeRecord>(ReadAlternative(st));
  if (rc != SQLITE_DONE)
    return SqlError(rc, "looking up open alternatives of subject " + Quote(subject));
  return std::optional<AlternativeRecord>();
}

Status SqliteStore::RecordConsentRefusal(const std::string& subject, const std::string& purpose,
                                         UnixTime at) {
  if (subject.empty()) return Status::InvalidInput("a consent refusal needs a subject id");
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(purpose));
    FG_ASSIGN_OR_RETURN(
        Stmt st,
        Prepare("INSERT INTO consent_refusals (subject, purpose, refused_at) VALUES (?, ?, ?)"));
    st.Bind(1, subject).Bind(2, purpose).Bind(3, at ? at : Now());
    return Run(st, "recording a consent refusal of subject " + Quote(subject));
  });
}

Result<std::optional<UnixTime>> SqliteStore::LastConsentRefusal(const std::string& subject,
                                                                const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT MAX(refused_at) FROM consent_refusals "
                                       "WHERE subject = ? AND purpose = ?"));
  st.Bind(1, subject).Bind(2, purpose);
  int rc = st.Step();
  if (rc != SQLITE_ROW)
    return SqlError(rc, "reading consent refusals of subject " + Quote(subject));
  return std::optional<UnixTime>(st.OptInt(0));
}
// ---- minors and policy settings (REQ M1, M2, S8) ----

Status SqliteStore::SetSubjectBirthDate(const std::string& subject, const std::string& birth_date) {
  std::lock_guard lock(mu_);
  FG_RETURN_IF_ERROR(RequireSubject(subject));
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE subjects SET birth_date = ? WHERE id = ?"));
  if (birth_date.empty()) {
    st.BindNull(1);
  } else {
    st.Bind(1, birth_date);
  }
  st.Bind(2, subject);
  return Run(st, "declaring the birth date of subject " + Quote(subject));
}

Result<std::string> SqliteStore::SubjectBirthDate(const std::string& subject) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT birth_date FROM subjects WHERE id = ?"));
  st.Bind(1, subject);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return st.Text(0);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading the birth date of subject " + Quote(subject));
  return Status::NotFound("subject " + Quote(subject) + " does not exist");
}

Status SqliteStore::PutSetting(const std::string& name, const std::string& value, UnixTime at) {
  if (name.empty()) return Status::InvalidInput("a policy setting needs a name");
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO policy_settings (name, value, updated_at) "
                                       "VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                                       "value = excluded.value, updated_at = excluded.updated_at"));
  st.Bind(1, name).Bind(2, value).Bind(3, at ? at : Now());
  return Run(st, "storing policy setting " + Quote(name));
}

Result<std::optional<std::string>> SqliteStore::GetSetting(const std::string& name) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT value FROM policy_settings WHERE name = ?"));
  st.Bind(1, name);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(st.Text(0));
  if (rc != SQLITE_DONE) return SqlError(rc, "reading policy setting " + Quote(name));
  return std::optional<std::string>();
}

// ---- rights of the person (REQ R1, R2) ----

static const char* const kRightsColumns =
    "id, subject, kind, purpose, received_at, due_at, status, reason, handled_by, completed_at, "
    "detail";

RightsRequestRecord ReadRightsRequest(const Stmt& st) {
  RightsRequestRecord r;
  r.id = st.Int(0);
  r.subject = st.Text(1);
  r.kind = st.Text(2);
  r.purpose = st.Text(3);
  r.received_at = st.Int(4);
  r.due_at = st.Int(5);
  r.status = st.Text(6);
  r.reason = st.Text(7);
  r.handled_by = st.Text(8);
  r.completed_at = st.OptInt(9);
  r.detail = st.Text(10);
  return r;
}

Result<RightsRequestRecord> SqliteStore::AddRightsRequest(const RightsRequestRecord& in) {
  if (in.subject.empty()) return Status::InvalidInput("a rights request needs a subject id");
  RightsRequestRecord r = in;
  if (!r.received_at) r.received_at = Now();
  if (r.detail.empty()) r.detail = "{}";
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(
      Stmt st, Prepare("INSERT INTO rights_requests (subject, kind, purpose, received_at, due_at, "
                       "status, reason, handled_by, completed_at, detail) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, r.subject)
      .Bind(2, r.kind)
      .Bind(3, r.purpose)
      .Bind(4, r.received_at)
      .Bind(5, r.due_at)
      .Bind(6, r.status)
      .Bind(7, r.reason)
      .Bind(8, r.handled_by)
      .Bind(9, r.completed_at)
      .Bind(10, r.detail);
  FG_RETURN_IF_ERROR(Run(st, "recording a " + Quote(r.kind) + " request of subject " + Quote(r.subject)));
  r.id = sqlite3_last_insert_rowid(db_);
  return r;
}

Result<RightsRequestRecord> SqliteStore::GetRightsRequest(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kRightsColumns + " FROM rights_requests WHERE id = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, id);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return ReadRightsRequest(st);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading rights request " + std::to_string(id));
  return Status::NotFound("rights request " + std::to_string(id) +
                          " does not exist; `facegate rights list` shows the requests");
}

Result<std::vector<RightsRequestRecord>> SqliteStore::ListRightsRequests(const std::string& subject,
                                                                         bool open_only) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kRightsColumns +
                                 " FROM rights_requests WHERE (? = '' OR subject = ?) "
                                 "AND (? = 0 OR status = 'open') "
                                 "ORDER BY received_at DESC, id DESC";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, subject).Bind(2, subject).Bind(3, int64_t{open_only ? 1 : 0});
  std::vector<RightsRequestRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadRightsRequest(st));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing rights requests");
  return out;
}

Status SqliteStore::CloseRightsRequest(int64_t id, const std::string& status,
                                       const std::string& handled_by, const std::string& reason,
                                       const std::string& detail, UnixTime at) {
  if (status != "done" && status != "refused")
    return Status::InvalidInput("a rights request closes as 'done' or 'refused', not " + Quote(status));
  if (status == "refused" && reason.empty())
    return Status::InvalidInput("refusing rights request " + std::to_string(id) +
                                " needs a reason the person can read (REQ R1)");
  std::lock_guard lock(mu_);
  {
    // One conditional UPDATE: of two concurrent handlers exactly one closes it.
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE rights_requests SET status = ?, handled_by = ?, "
                                         "reason = ?, detail = ?, completed_at = ? "
                                         "WHERE id = ? AND status = 'open'"));
    st.Bind(1, status).Bind(2, handled_by).Bind(3, reason).Bind(4, detail.empty() ? "{}" : detail)
        .Bind(5, at ? at : Now()).Bind(6, id);
    FG_RETURN_IF_ERROR(Run(st, "closing rights request " + std::to_string(id)));
  }
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(RightsRequestRecord r, GetRightsRequest(id));  // kNotFound for an unknown id
  return Status::Conflict("rights request " + std::to_string(id) + " was already closed (" + r.status +
                          " by " + r.handled_by + "); open a new request for a new demand");
}

static const char* const kRestrictionColumns = "id, subject, request_id, placed_at, lifted_at";

RestrictionRecord ReadRestriction(const Stmt& st) {
  RestrictionRecord r;
  r.id = st.Int(0);
  r.subject = st.Text(1);
  r.request_id = st.Int(2);
  r.placed_at = st.Int(3);
  r.lifted_at = st.OptInt(4);
  return r;
}

Status SqliteStore::PlaceRestriction(const std::string& subject, int64_t request_id, UnixTime at) {
  if (subject.empty()) return Status::InvalidInput("a restriction needs a subject id");
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO restrictions (subject, request_id, placed_at, "
                                       "lifted_at) VALUES (?, ?, ?, NULL)"));
  st.Bind(1, subject).Bind(2, request_id).Bind(3, at ? at : Now());
  int rc = st.Step();
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
      sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE)
    return Status::Conflict("processing of subject " + Quote(subject) +
                            " is already restricted; lift it first to place a new one");
  return SqlError(rc, "restricting subject " + Quote(subject));
}

Status SqliteStore::LiftRestriction(const std::string& subject, UnixTime at) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE restrictions SET lifted_at = ? "
                                       "WHERE subject = ? AND lifted_at IS NULL"));
  st.Bind(1, at ? at : Now()).Bind(2, subject);
  FG_RETURN_IF_ERROR(Run(st, "lifting the restriction of subject " + Quote(subject)));
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  return Status::NotFound("processing of subject " + Quote(subject) + " is not restricted");
}

Result<std::optional<RestrictionRecord>> SqliteStore::ActiveRestriction(const std::string& subject) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kRestrictionColumns +
                                 " FROM restrictions WHERE subject = ? AND lifted_at IS NULL";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, subject);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return std::optional<RestrictionRecord>(ReadRestriction(st));
  if (rc != SQLITE_DONE) return SqlError(rc, "reading the restriction of subject " + Quote(subject));
  return std::optional<RestrictionRecord>();
}

Result<SubjectFile> SqliteStore::ReadSubjectFile(const std::string& subject) {
  std::lock_guard lock(mu_);
  SubjectFile f;
  const std::string who = "subject " + Quote(subject);
  int rc;
  {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT created_at, erased_at FROM subjects WHERE id = ?"));
    st.Bind(1, subject);
    rc = st.Step();
    if (rc == SQLITE_ROW) {
      f.exists = true;
      f.created_at = st.Int(0);
      f.erased_at = st.OptInt(1);
    } else if (rc != SQLITE_DONE) {
      return SqlError(rc, "reading " + who);
    }
  }
  {
    static const std::string sql = std::string("SELECT ") + kConsentColumns +
                                   " FROM consents WHERE subject = ? ORDER BY given_at, id";
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
    st.Bind(1, subject);
    while ((rc = st.Step()) == SQLITE_ROW) {
      FG_ASSIGN_OR_RETURN(ConsentRecord c, ReadConsent(st));
      f.consents.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the consents of " + who);
  }
  {
    // Metadata only: the sealed bytes never leave the store in an export.
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id, subject, purpose, model, '', '', created_at, "
                                         "expires_at FROM templates WHERE subject = ? ORDER BY id"));
    st.Bind(1, subject);
    rc = ReadTemplates(st, f.templates);
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the templates of " + who);
  }
  {
    static const std::string sql = std::string("SELECT ") + kAlternativeColumns +
                                   " FROM alternatives WHERE subject = ? ORDER BY opened_at, id";
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
    st.Bind(1, subject);
    while ((rc = st.Step()) == SQLITE_ROW) f.alternatives.push_back(ReadAlternative(st));
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the alternatives of " + who);
  }
  {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT purpose, refused_at FROM consent_refusals "
                                         "WHERE subject = ? ORDER BY refused_at, id"));
    st.Bind(1, subject);
    while ((rc = st.Step()) == SQLITE_ROW) f.refusals.emplace_back(st.Text(0), st.Int(1));
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the consent refusals of " + who);
  }
  {
    static const std::string sql = std::string("SELECT ") + kRestrictionColumns +
                                   " FROM restrictions WHERE subject = ? ORDER BY placed_at, id";
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
    st.Bind(1, subject);
    while ((rc = st.Step()) == SQLITE_ROW) f.restrictions.push_back(ReadRestriction(st));
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the restrictions of " + who);
  }
  {
    static const std::string sql = std::string("SELECT ") + kRightsColumns +
                                   " FROM rights_requests WHERE subject = ? ORDER BY received_at, id";
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
    st.Bind(1, subject);
    while ((rc = st.Step()) == SQLITE_ROW) f.requests.push_back(ReadRightsRequest(st));
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the rights requests of " + who);
  }
  return f;
}

Status SqliteStore::EraseSubjectIdentity(const std::string& subject, UnixTime at) {
  const UnixTime t = at ? at : Now();
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    {
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE subjects SET display_name = NULL, birth_date = NULL, "
                                           "erased_at = COALESCE(erased_at, ?) WHERE id = ?"));
      st.Bind(1, t).Bind(2, subject);
      FG_RETURN_IF_ERROR(Run(st, "anonymising subject " + Quote(subject)));
    }
    {
      // The guardian's identity is personal data too (REQ M1); the relation and
      // the minor mark stay as the record of whose consent it was.
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE consents SET guardian = '' "
                                           "WHERE subject = ? AND guardian <> ''"));
      st.Bind(1, subject);
      FG_RETURN_IF_ERROR(Run(st, "erasing the guardian of subject " + Quote(subject)));
    }
    // Evidence names a signer or guardian: erased; the consent's times, notice and
    // option stay as the record that earlier processing was lawful (REQ C4).
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE consents SET evidence = ? "
                                         "WHERE subject = ? AND evidence <> ''"));
    st.Bind(1, "erased at " + std::to_string(t) + " on the person's request (REQ R1)").Bind(2, subject);
    return Run(st, "erasing the consent evidence of subject " + Quote(subject));
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

BreachRecord ReadBreach(const Stmt& st) {
  BreachRecord b;
  b.id = st.Int(0);
  b.detected_at = st.Int(1);
  b.opened_at = st.Int(2);
  b.actor = st.Text(3);
  b.description = st.Text(4);
  b.cause = st.Text(5);
  b.harm = st.Text(6);
  b.measures = st.Text(7);
  b.individual_advice = st.Text(8);
  b.contact = st.Text(9);
  b.window_from = st.Int(10);
  b.window_to = st.Int(11);
  b.kinds = ParseList(st.Text(12));
  b.purposes = ParseList(st.Text(13));
  b.status = st.Text(14);
  b.assessed_at = st.OptInt(15);
  b.authority_notified_at = st.OptInt(16);
  b.authority_reference = st.Text(17);
  b.people_notified_at = st.OptInt(18);
  b.not_notified_at = st.OptInt(19);
  b.not_notified_reason = st.Text(20);
  b.closed_at = st.OptInt(21);
  b.expires_at = st.Int(22);
  return b;
}

Result<BreachRecord> SqliteStore::AddBreach(const BreachRecord& in) {
  BreachRecord b = in;
  if (!b.opened_at) b.opened_at = Now();
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(
      Stmt st, Prepare("INSERT INTO breaches (detected_at, opened_at, actor, description, cause, harm, "
                       "measures, individual_advice, contact, window_from, window_to, kinds, purposes, "
                       "status, assessed_at, authority_notified_at, authority_reference, "
                       "people_notified_at, not_notified_at, not_notified_reason, closed_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, b.detected_at).Bind(2, b.opened_at).Bind(3, b.actor).Bind(4, b.description)
      .Bind(5, b.cause).Bind(6, b.harm).Bind(7, b.measures).Bind(8, b.individual_advice)
      .Bind(9, b.contact).Bind(10, b.window_from).Bind(11, b.window_to).Bind(12, JsonList(b.kinds))
      .Bind(13, JsonList(b.purposes)).Bind(14, b.status).Bind(15, b.assessed_at)
      .Bind(16, b.authority_notified_at).Bind(17, b.authority_reference).Bind(18, b.people_notified_at)
      .Bind(19, b.not_notified_at).Bind(20, b.not_notified_reason).Bind(21, b.closed_at)
      .Bind(22, b.expires_at);
  FG_RETURN_IF_ERROR(Run(st, "recording a breach"));
  b.id = sqlite3_last_insert_rowid(db_);
  return b;
}

Result<BreachRecord> SqliteStore::GetBreach(int64_t id) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kBreachColumns + " FROM breaches WHERE id = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, id);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return ReadBreach(st);
  if (rc != SQLITE_DONE) return SqlError(rc, "reading breach " + std::to_string(id));
  return Status::NotFound("breach " + std::to_string(id) +
                          " does not exist; `facegate breach list` shows the breaches");
}

Result<std::vector<BreachRecord>> SqliteStore::ListBreaches() {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string("SELECT ") + kBreachColumns + " FROM breaches ORDER BY opened_at DESC, id DESC";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  std::vector<BreachRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadBreach(st));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing breaches");
  return out;
}

Status SqliteStore::UpdateBreachStatus(const BreachRecord& b, const std::string& from_status) {
  std::lock_guard lock(mu_);
  {
    // One conditional UPDATE: of two handlers taking the same step, exactly one does.
    FG_ASSIGN_OR_RETURN(
        Stmt st, Prepare("UPDATE breaches SET status = ?, assessed_at = ?, authority_notified_at = ?, "
                         "authority_reference = ?, people_notified_at = ?, not_notified_at = ?, "
                         "not_notified_reason = ?, closed_at = ?, expires_at = ? "
                         "WHERE id = ? AND status = ?"));
    st.Bind(1, b.status).Bind(2, b.assessed_at).Bind(3, b.authority_notified_at)
        .Bind(4, b.authority_reference).Bind(5, b.people_notified_at).Bind(6, b.not_notified_at)
        .Bind(7, b.not_notified_reason).Bind(8, b.closed_at).Bind(9, b.expires_at).Bind(10, b.id)
        .Bind(11, from_status);
    FG_RETURN_IF_ERROR(Run(st, "moving breach " + std::to_string(b.id) + " to " + Quote(b.status)));
  }
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(BreachRecord now, GetBreach(b.id));  // kNotFound for an unknown id
  return Status::Conflict("breach " + std::to_string(b.id) + " is " + Quote(now.status) + ", not " +
                          Quote(from_status) + ": another handler moved it first; show it again");
}

Status SqliteStore::PutBreachAffected(int64_t breach_id, const std::vector<BreachAffectedRecord>& people) {
  return Transaction([&]() -> Status {
    {
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM breach_affected WHERE breach_id = ?"));
      st.Bind(1, breach_id);
      FG_RETURN_IF_ERROR(Run(st, "replacing the affected people of breach " + std::to_string(breach_id)));
    }
    for (const BreachAffectedRecord& p : people) {
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO breach_affected (breach_id, subject, kinds, "
                                           "notified_at) VALUES (?, ?, ?, ?)"));
      st.Bind(1, breach_id).Bind(2, p.subject).Bind(3, JsonList(p.kinds)).Bind(4, p.notified_at);
      FG_RETURN_IF_ERROR(Run(st, "recording subject " + Quote(p.subject) + " as affected by breach " +
                                     std::to_string(breach_id)));
    }
    return Status::Ok();
  });
}

Result<std::vector<BreachAffectedRecord>> SqliteStore::ListBreachAffected(int64_t breach_id) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT breach_id, subject, kinds, notified_at FROM breach_affected "
                                       "WHERE breach_id = ? ORDER BY subject"));
  st.Bind(1, breach_id);
  std::vector<BreachAffectedRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    BreachAffectedRecord a;
    a.breach_id = st.Int(0);
    a.subject = st.Text(1);
    a.kinds = ParseList(st.Text(2));
    a.notified_at = st.OptInt(3);
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return SqlError(rc, "listing the affected people of breach " + std::to_string(breach_id));
  return out;
}

Status SqliteStore::MarkBreachAffectedNotified(int64_t breach_id, UnixTime at) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE breach_affected SET notified_at = ? "
                                       "WHERE breach_id = ? AND notified_at IS NULL"));
  st.Bind(1, at ? at : Now()).Bind(2, breach_id);
  return Run(st, "recording the notices of breach " + std::to_string(breach_id));
}

Result<std::vector<int64_t>> SqliteStore::DeleteExpiredBreaches(UnixTime now) {
  std::vector<int64_t> ids;
  Status s = Transaction([&]() -> Status {
    ids.clear();
    {
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id FROM breaches WHERE status = 'closed' AND "
                                           "expires_at <= ? ORDER BY id"));
      st.Bind(1, now);
      int rc;
      while ((rc = st.Step()) == SQLITE_ROW) ids.push_back(st.Int(0));
      if (rc != SQLITE_DONE) return SqlError(rc, "finding expired breaches");
    }
    for (int64_t id : ids) {
      {
        FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM breach_affected WHERE breach_id = ?"));
        st.Bind(1, id);
        FG_RETURN_IF_ERROR(Run(st, "deleting the affected people of breach " + std::to_string(id)));
      }
      FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM breaches WHERE id = ?"));
      st.Bind(1, id);
      FG_RETURN_IF_ERROR(Run(st, "deleting expired breach " + std::to_string(id)));
    }
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

Status SqliteStore::SetIdentifyThreshold(const IdentifyThresholdRecord& t) {
  FG_RETURN_IF_ERROR(CheckIdentifyThreshold(t));
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(t.purpose));
    FG_ASSIGN_OR_RETURN(
        Stmt st, Prepare("INSERT INTO purpose_settings (purpose, identify_threshold, reason, actor, set_at) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (purpose) DO UPDATE SET "
                         "identify_threshold = excluded.identify_threshold, reason = excluded.reason, "
                         "actor = excluded.actor, set_at = excluded.set_at"));
    st.Bind(1, t.purpose).BindDouble(2, t.threshold).Bind(3, t.reason).Bind(4, t.actor).Bind(5, t.set_at ? t.set_at : Now());
    return Run(st, "setting the identification threshold of purpose " + Quote(t.purpose));
  });
}

Result<std::optional<IdentifyThresholdRecord>> SqliteStore::GetIdentifyThreshold(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT identify_threshold, reason, actor, set_at FROM purpose_settings "
                                       "WHERE purpose = ?"));
  st.Bind(1, purpose);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<IdentifyThresholdRecord>();
  if (rc != SQLITE_ROW) return SqlError(rc, "reading the identification threshold of purpose " + Quote(purpose));
  IdentifyThresholdRecord t;
  t.purpose = purpose;
  t.threshold = static_cast<float>(st.Double(0));
  t.reason = st.Text(1);
  t.actor = st.Text(2);
  t.set_at = st.Int(3);
  return std::optional<IdentifyThresholdRecord>(t);
}

Result<bool> SqliteStore::ClearIdentifyThreshold(const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM purpose_settings WHERE purpose = ?"));
  st.Bind(1, purpose);
  FG_RETURN_IF_ERROR(Run(st, "clearing the identification threshold of purpose " + Quote(purpose)));
  return sqlite3_changes(db_) > 0;
}

// ---- tenants (REQ S10) ----

Result<std::vector<std::string>> SqliteStore::ListSubjects() {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT id FROM subjects ORDER BY id"));
  std::vector<std::string> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.Text(0));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing subjects");
  return out;
}

// ---- alternative connectors, credentials and single-use tokens (REQ A4; migration 10) ----

static const char* const kConnectorColumns = "purpose, method, kind, config, actor, set_at";

static AlternativeConnectorRecord ReadConnector(const Stmt& st) {
  AlternativeConnectorRecord c;
  c.purpose = st.Text(0);
  c.method = st.Text(1);
  c.kind = st.Text(2);
  c.config = st.Text(3);
  c.actor = st.Text(4);
  c.set_at = st.Int(5);
  return c;
}

Status SqliteStore::SetAlternativeConnector(const AlternativeConnectorRecord& c) {
  return Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(c.purpose));
    FG_ASSIGN_OR_RETURN(
        Stmt st, Prepare("INSERT INTO alternative_connectors (purpose, method, kind, config, actor, set_at) "
                         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (purpose, method) DO UPDATE SET "
                         "kind = excluded.kind, config = excluded.config, actor = excluded.actor, "
                         "set_at = excluded.set_at"));
    st.Bind(1, c.purpose).Bind(2, c.method).Bind(3, c.kind).Bind(4, c.config.empty() ? "{}" : c.config)
        .Bind(5, c.actor).Bind(6, c.set_at ? c.set_at : Now());
    return Run(st, "connecting alternative " + Quote(c.method) + " of purpose " + Quote(c.purpose));
  });
}

Result<std::optional<AlternativeConnectorRecord>> SqliteStore::GetAlternativeConnector(
    const std::string& purpose, const std::string& method) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kConnectorColumns +
                                 " FROM alternative_connectors WHERE purpose = ? AND method = ?";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, purpose).Bind(2, method);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<AlternativeConnectorRecord>();
  if (rc != SQLITE_ROW) return SqlError(rc, "reading the connector of alternative " + Quote(method));
  return std::optional<AlternativeConnectorRecord>(ReadConnector(st));
}

Result<std::vector<AlternativeConnectorRecord>> SqliteStore::ListAlternativeConnectors(
    const std::string& purpose) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string("SELECT ") + kConnectorColumns +
                                 " FROM alternative_connectors WHERE purpose = ? ORDER BY method";
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(sql.c_str()));
  st.Bind(1, purpose);
  std::vector<AlternativeConnectorRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadConnector(st));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing the connectors of purpose " + Quote(purpose));
  return out;
}

Status SqliteStore::PutAlternativeCredential(const AlternativeCredentialRecord& c) {
  if (c.subject.empty() || c.verifier.empty())
    return Status::InvalidInput("an alternative credential needs a subject and a verifier");
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(
      Stmt st, Prepare("INSERT INTO alternative_credentials (subject, purpose, method, verifier, created_at, "
                       "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subject, purpose, method) DO UPDATE "
                       "SET verifier = excluded.verifier, created_at = excluded.created_at, "
                       "expires_at = excluded.expires_at"));
  st.Bind(1, c.subject).Bind(2, c.purpose).Bind(3, c.method).Bind(4, c.verifier)
      .Bind(5, c.created_at ? c.created_at : Now()).Bind(6, c.expires_at);
  return Run(st, "storing the " + Quote(c.method) + " credential of subject " + Quote(c.subject));
}

Result<std::optional<AlternativeCredentialRecord>> SqliteStore::GetAlternativeCredential(
    const std::string& subject, const std::string& purpose, const std::string& method) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT verifier, created_at, expires_at FROM alternative_credentials "
                                       "WHERE subject = ? AND purpose = ? AND method = ?"));
  st.Bind(1, subject).Bind(2, purpose).Bind(3, method);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<AlternativeCredentialRecord>();
  if (rc != SQLITE_ROW) return SqlError(rc, "reading the " + Quote(method) + " credential of " + Quote(subject));
  AlternativeCredentialRecord c;
  c.subject = subject;
  c.purpose = purpose;
  c.method = method;
  c.verifier = st.Text(0);
  c.created_at = st.Int(1);
  c.expires_at = st.Int(2);
  return std::optional<AlternativeCredentialRecord>(c);
}

Result<int64_t> SqliteStore::DeleteAlternativeCredentials(const std::string& subject,
                                                          const std::string& purpose) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM alternative_credentials WHERE subject = ? "
                                       "AND (? = '' OR purpose = ?)"));
  st.Bind(1, subject).Bind(2, purpose).Bind(3, purpose);
  FG_RETURN_IF_ERROR(Run(st, "deleting the alternative credentials of subject " + Quote(subject)));
  return static_cast<int64_t>(sqlite3_changes(db_));
}

Result<int64_t> SqliteStore::DeleteExpiredAlternativeCredentials(UnixTime now) {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM alternative_credentials WHERE expires_at <= ?"));
    st.Bind(1, now);
    FG_RETURN_IF_ERROR(Run(st, "deleting expired alternative credentials"));
    n = sqlite3_changes(db_);
  }
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("DELETE FROM alternative_tokens_used WHERE expires_at <= ?"));
  st.Bind(1, now);
  FG_RETURN_IF_ERROR(Run(st, "forgetting expired single-use tokens"));
  return n;
}

Status SqliteStore::ClaimAlternativeToken(const std::string& nonce, UnixTime at, UnixTime expires_at) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO alternative_tokens_used (nonce, used_at, expires_at) "
                                       "VALUES (?, ?, ?)"));
  st.Bind(1, nonce).Bind(2, at ? at : Now()).Bind(3, expires_at);
  Status s = Run(st, "claiming a single-use token");
  if (s.kind() == ErrorKind::kConflict)
    return Status::Conflict("this token was already used; a token opens one transaction only: issue a new one");
  return s;
}

Result<int64_t> SqliteStore::CountAlternativeAttempt(int64_t id) {
  std::lock_guard lock(mu_);
  {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("UPDATE alternatives SET attempts = attempts + 1 "
                                         "WHERE id = ? AND closed_at IS NULL"));
    st.Bind(1, id);
    FG_RETURN_IF_ERROR(Run(st, "counting an attempt on alternative " + std::to_string(id)));
  }
  const bool counted = sqlite3_changes(db_) == 1;
  FG_ASSIGN_OR_RETURN(AlternativeRecord a, GetAlternative(id));  // kNotFound for an unknown id
  if (!counted)
    return Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed with outcome " +
                            Quote(a.outcome) + ": open a new one for a new attempt");
  return a.attempts;
}

// ---- audit chain (REQ S6) ----

Result<AuditEvent> SqliteStore::AppendAudit(const AuditEvent& in) {
  AuditEvent e = in;
  if (!e.at) e.at = Now();
  // In one (immediate) transaction: reading the head and appending cannot
  // interleave with another append, so the chain never forks.
  Status s = Transaction([&]() -> Status {
    {
      FG_ASSIGN_OR_RETURN(Stmt st,
                          Prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"));
      int rc = st.Step();
      if (rc == SQLITE_ROW) {
        e.seq = st.Int(0) + 1;
        e.prev_hash = st.Text(1);
      } else if (rc == SQLITE_DONE) {
        e.seq = 1;
        e.prev_hash = kGenesisHash;
      } else {
        return SqlError(rc, "reading the audit chain head");
      }
    }
    e.hash = AuditHash(e);
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO audit_events (seq, at, actor, action, "
                                         "subject, purpose, outcome, detail, prev_hash, hash) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    st.Bind(1, e.seq)
        .Bind(2, e.at)
        .Bind(3, e.actor)
        .Bind(4, e.action)
        .Bind(5, e.subject)
        .Bind(6, e.purpose)
        .Bind(7, e.outcome)
        .Bind(8, e.detail)
        .Bind(9, e.prev_hash)
        .Bind(10, e.hash);
    return Run(st, "appending audit event " + std::to_string(e.seq));
  });
  if (!s.ok()) return s;
  return e;
}

static const char* const kAuditSelect =
    "SELECT seq, at, actor, action, subject, purpose, outcome, detail, prev_hash, hash "
    "FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?";

AuditEvent ReadAudit(const Stmt& st) {
  AuditEvent e;
  e.seq = st.Int(0);
  e.at = st.Int(1);
  e.actor = st.Text(2);
  e.action = st.Text(3);
  e.subject = st.Text(4);
  e.purpose = st.Text(5);
  e.outcome = st.Text(6);
  e.detail = st.Text(7);
  e.prev_hash = st.Text(8);
  e.hash = st.Text(9);
  return e;
}

Result<std::vector<AuditEvent>> SqliteStore::ListAudit(int64_t after_seq, int64_t limit) {
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(Stmt st, Prepare(kAuditSelect));
  st.Bind(1, after_seq).Bind(2, limit > 0 ? limit : int64_t{-1});  // -1: no limit
  std::vector<AuditEvent> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadAudit(st));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing audit events");
  return out;
}

Result<std::vector<AuditEvent>> SqliteStore::ListAuditForSubject(const std::string& subject,
                                                                 int64_t after_seq, int64_t limit) {
  if (subject.empty()) return Status::InvalidInput("the match log of whom? give a subject id");
  std::lock_guard lock(mu_);
  FG_ASSIGN_OR_RETURN(
      Stmt st, Prepare("SELECT seq, at, actor, action, subject, purpose, outcome, detail, prev_hash, "
                       "hash FROM audit_events WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?"));
  st.Bind(1, subject).Bind(2, after_seq).Bind(3, limit > 0 ? limit : int64_t{-1});
  std::vector<AuditEvent> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(ReadAudit(st));
  if (rc != SQLITE_DONE) return SqlError(rc, "listing the audit events of subject " + Quote(subject));
  return out;
}

Result<AuditCheck> SqliteStore::VerifyAudit() {
  std::lock_guard lock(mu_);
  const bool own_tx = tx_depth_ == 0;
  // A read transaction gives one consistent snapshot even while other processes append.
  if (own_tx) FG_RETURN_IF_ERROR(Exec("BEGIN", "starting the audit check"));
  AuditCheck check;
  Status s = [&]() -> Status {
    FG_ASSIGN_OR_RETURN(Stmt st, Prepare(kAuditSelect));
    st.Bind(1, int64_t{0}).Bind(2, int64_t{-1});
    int64_t expected_seq = 1;
    std::string prev = kGenesisHash;
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) {
      AuditEvent e = ReadAudit(st);
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
    if (rc != SQLITE_DONE) return SqlError(rc, "reading the audit chain");
    return Status::Ok();
  }();
  if (own_tx) sqlite3_exec(db_, s.ok() ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  if (!s.ok()) return s;
  return check;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  if (path.empty()) return Status::InvalidInput("database path is empty: give a file path");
  if (path != ":memory:") {
    FG_RETURN_IF_ERROR(MakeDirs(ParentDir(path), 0700));
    // Create the file 0600 ourselves: SQLite would use the umask (often 0644), and
    // its -wal and -shm files copy the database file's mode.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status::Internal("cannot open database " + Quote(path) + ": " + std::strerror(errno) +
                              " (check the path and its permissions)");
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::Internal("cannot open database " + Quote(path) + ": " + msg +
                            " (check the path and its permissions)");
  }
  // NOMUTEX: SqliteStore serializes every use of the connection with its own mutex.
  auto store = std::make_unique<SqliteStore>(db, path);
  FG_RETURN_IF_ERROR(store->Configure());
  FG_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace facegate::store
