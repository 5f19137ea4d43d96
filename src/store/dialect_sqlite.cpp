// The SQLite dialect of the one store (libsqlite3): one connection guarded by
// the store's recursive mutex, WAL journal, synchronous=FULL, foreign keys,
// a prepared-statement cache, BEGIN IMMEDIATE write transactions.
//
// Why synchronous=FULL (not NORMAL) with WAL: NORMAL keeps the file consistent
// but may lose the last commits on power loss. Here a lost commit can be a spent
// "once" consent (REQ C5: it could then be spent again), a withdrawal (REQ C4)
// or an audit event (REQ S6), so every commit is fsynced.
//
// Concurrency, across threads and processes on one file: a write transaction
// begins IMMEDIATE, taking the database's one write lock at once (waiting up to
// kBusyTimeoutMs for another process), so read-then-write steps (notice
// versions, the audit chain head) never interleave and never deadlock on a
// read-to-write upgrade. The audit chain needs no lock of its own.
#include <facegate/store.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "store/fs_util.h"
#include "store/schema.h"
#include "store/sql_store.h"

namespace facegate::store {
namespace {

using sql::Params;

constexpr int kBusyTimeoutMs = 5000;

// The dialect's tokens: the shared table and its trigger snippets (below).
const sql::Tokens& SqliteTokens();

// The current row of a stepped statement.
class SqliteRow final : public sql::Row {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  bool IsNull(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(s_, col); }
  double Double(int col) const override { return sqlite3_column_double(s_, col); }
  bool Bool(int col) const override { return sqlite3_column_int64(s_, col) != 0; }
  std::string Text(int col) const override {
    const unsigned char* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string();
  }
  std::string Bytes(int col) const override {
    const void* p = sqlite3_column_blob(s_, col);
    return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class SqliteConnection final : public sql::Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [text, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);  // last connection: checkpoints and removes the -wal file
  }

  Status Configure();

  std::string Describe() const override { return "database '" + path_ + "'"; }
  const sql::Tokens& tokens() const override { return SqliteTokens(); }
  Result<int64_t> Run(std::string_view sql, const Params& p, const std::string& what,
                      const sql::RowFn* on_row) override;
  Status Script(const std::string& sql, const std::string& what) override {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqlError(sqlite3_extended_errcode(db_), what);
    return Status::Ok();
  }
  Status BeginWrite() override {
    // IMMEDIATE takes the write lock now: no read-then-upgrade deadlock with other processes.
    return Script("BEGIN IMMEDIATE", "starting a transaction");
  }
  Status BeginSnapshot(const std::string& what) override { return Script("BEGIN", what); }
  Status Commit() override { return Script("COMMIT", "committing a transaction"); }
  void Rollback() override {
    checkpoint_after_commit_ = false;
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void KeyDestroyed() override { checkpoint_after_commit_ = true; }
  void Committed() override {
    if (checkpoint_after_commit_) CheckpointForShredding();
  }

 private:
  // Translates an SQLite result code into a Status that says what to do.
  Status SqlError(int rc, const std::string& what);
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  // REQ S7: secure_delete zeroed a destroyed key in its page, but the WAL still
  // holds the old page image until checkpointed; copy back and truncate it now.
  // Best effort: another process reading the database may keep old frames alive.
  void CheckpointForShredding() {
    checkpoint_after_commit_ = false;
    if (path_ == ":memory:") return;
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }

  sqlite3* db_;
  std::string path_;
  bool checkpoint_after_commit_ = false;  // a key was destroyed in this transaction
  // Prepared statements by their (unrendered) SQL text.
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> cache_;
};

Status SqliteConnection::SqlError(int rc, const std::string& what) {
  std::string msg = sqlite3_errmsg(db_);
  std::string where = what + " in " + Describe() + ": " + msg;
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
      if (rc == SQLITE_CONSTRAINT_TRIGGER) return Status::Conflict(what + ": " + msg);  // REQ S6
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

Result<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  const std::string text = sql::Render(sql, tokens());
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v3(db_, text.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) return SqlError(rc, "preparing \"" + text + "\"");
  cache_.emplace(std::string(sql), st);
  return st;
}

Result<int64_t> SqliteConnection::Run(std::string_view sql, const Params& p, const std::string& what,
                                      const sql::RowFn* on_row) {
  FG_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql));
  // Reset and unbound however this returns: the bound values are the caller's (SQLITE_STATIC).
  struct Reset {
    sqlite3_stmt* st;
    ~Reset() {
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    }
  } reset{st};
  int i = 0;
  for (const Params::Value& v : p.values()) {
    ++i;
    switch (v.kind) {
      case Params::Kind::kNull:
        sqlite3_bind_null(st, i);
        break;
      case Params::Kind::kText:
        sqlite3_bind_text(st, i, v.s.data(), static_cast<int>(v.s.size()), SQLITE_STATIC);
        break;
      case Params::Kind::kBytes:
        sqlite3_bind_blob(st, i, v.s.data(), static_cast<int>(v.s.size()), SQLITE_STATIC);
        break;
      case Params::Kind::kInt:
      case Params::Kind::kBool:
        sqlite3_bind_int64(st, i, v.i);
        break;
      case Params::Kind::kFloat:
        sqlite3_bind_double(st, i, v.d);
        break;
    }
  }
  const SqliteRow row(st);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (on_row) FG_RETURN_IF_ERROR((*on_row)(row));
  }
  if (rc != SQLITE_DONE) return SqlError(rc, what);
  return static_cast<int64_t>(sqlite3_stmt_readonly(st) ? 0 : sqlite3_changes(db_));
}

Status SqliteConnection::Configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);  // waits for other processes' write locks
  if (path_ != ":memory:") {
    std::string mode;
    auto read_mode = [&](const sql::Row& row) {
      mode = row.Text(0);
      return Status::Ok();
    };
    const sql::RowFn fn(read_mode);
    FG_RETURN_IF_ERROR(Run("PRAGMA journal_mode=WAL", Params(), "enabling WAL", &fn).status());
    if (mode != "wal") {
      return Status::Internal(Describe() + " could not switch to WAL (journal mode " + mode +
                              "): put it on a local filesystem");
    }
  }
  FG_RETURN_IF_ERROR(Script("PRAGMA synchronous=FULL", "setting synchronous=FULL"));
  FG_RETURN_IF_ERROR(Script("PRAGMA foreign_keys=ON", "enabling foreign keys"));
  // REQ S7: deleted templates and subject keys are overwritten in the file, not
  // left in free pages where a copy of the file would still hold them.
  FG_RETURN_IF_ERROR(Script("PRAGMA secure_delete=ON", "enabling secure_delete"));
  FG_RETURN_IF_ERROR(Script("PRAGMA trusted_schema=OFF", "disabling trusted_schema"));
  return Status::Ok();
}

// The SQLite trigger snippets of the one schema: RAISE(ABORT) from a trigger
// body, and the version bump inline (REQ S6, SC2).
const sql::Tokens& SqliteTokens() {
  static const sql::Tokens kTokens = DialectTokens(Dialect::kSqlite, {
      {"audit_append_only", R"sql(-- an accidental UPDATE or DELETE fail loudly. (Someone with raw file access can
-- drop them; VerifyAudit is what detects such tampering.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (REQ S6)'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (REQ S6)'); END;
)sql"},
      {"audit_prunable", R"sql(DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq > COALESCE((SELECT MAX(seq) FROM audit_prune_points), 0)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (REQ S6); only events behind a prune point go (REQ S5)'); END;
CREATE TRIGGER audit_prune_points_no_update BEFORE UPDATE ON audit_prune_points
BEGIN SELECT RAISE(ABORT, 'audit_prune_points is append-only (REQ S5)'); END;
CREATE TRIGGER audit_prune_points_no_delete BEFORE DELETE ON audit_prune_points
BEGIN SELECT RAISE(ABORT, 'audit_prune_points is append-only (REQ S5)'); END;
)sql"},
      {"template_version_triggers", R"sql(CREATE TRIGGER templates_version_on_insert AFTER INSERT ON templates BEGIN
  INSERT INTO purpose_template_versions (purpose, version) VALUES (NEW.purpose, 1)
    ON CONFLICT (purpose) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER templates_version_on_delete AFTER DELETE ON templates BEGIN
  UPDATE purpose_template_versions SET version = version + 1 WHERE purpose = OLD.purpose;
END;)sql"},
  });
  return kTokens;
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
      return Status::Internal("cannot open database '" + path + "': " + std::strerror(errno) +
                              " (check the path and its permissions)");
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::Internal("cannot open database '" + path + "': " + msg + " (check the path and its permissions)");
  }
  // NOMUTEX: the store serializes every use of the connection with its own mutex.
  auto conn = std::make_unique<SqliteConnection>(db, path);
  FG_RETURN_IF_ERROR(conn->Configure());
  return OpenSqlStore(std::move(conn), SqliteMigrations());
}

const std::vector<Migration>& SqliteMigrations() {
  static const RenderedSchema kSchema(SqliteTokens());
  return kSchema.migrations();
}

}  // namespace facegate::store
