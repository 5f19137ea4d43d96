// The statement layer under the one Store (docs/architecture.md, "The one store"):
// our own thin layer over libsqlite3 and libpq. One SQL text serves both
// databases: `?` placeholders, and `{token}`s each dialect renders (type names,
// trigger snippets, `{collate_c}`, `{lock_row}`). A Connection is one database's
// dialect (dialect_sqlite.cpp, dialect_postgres.cpp): statements, transactions,
// locks and error codes; Db adds what both share on top of it: one recursive
// mutex, nested transactions as savepoints, and row callbacks that stream each
// row into the caller's record without a copy of the result set.
#pragma once

#include <facegate/status.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace facegate::store::sql {

// The values bound to a statement's `?` placeholders, in order.
class Params {
 public:
  enum class Kind : uint8_t { kNull, kText, kInt, kFloat, kBytes, kBool };
  struct Value {
    Kind kind = Kind::kNull;
    int64_t i = 0;      // kInt, kBool (0 or 1)
    double d = 0;       // kFloat
    std::string s;      // kText, kBytes
  };

  Params& Text(std::string v) { return Push({Kind::kText, 0, 0, std::move(v)}); }
  Params& Int(int64_t v) { return Push({Kind::kInt, v, 0, {}}); }
  Params& OptInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  // A REAL / DOUBLE PRECISION column holding a float (a threshold).
  Params& Float(float v) { return Push({Kind::kFloat, 0, v, {}}); }
  // A BLOB / BYTEA column: any bytes.
  Params& Bytes(std::string v) { return Push({Kind::kBytes, 0, 0, std::move(v)}); }
  // An INTEGER 0/1 (SQLite) or BOOLEAN (PostgreSQL) column.
  Params& Bool(bool v) { return Push({Kind::kBool, v ? 1 : 0, 0, {}}); }
  Params& Null() { return Push({}); }

  const std::vector<Value>& values() const { return values_; }

 private:
  Params& Push(Value v) {
    values_.push_back(std::move(v));
    return *this;
  }
  std::vector<Value> values_;
};

// One row of a result, read by column index with the same accessors as Params.
// Valid only inside the row callback.
class Row {
 public:
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;     // 0 for NULL
  virtual double Double(int col) const = 0;   // 0 for NULL
  virtual bool Bool(int col) const = 0;       // false for NULL
  virtual std::string Text(int col) const = 0;   // "" for NULL
  virtual std::string Bytes(int col) const = 0;  // "" for NULL
  std::optional<int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }

 protected:
  ~Row() = default;
};

// A non-owning reference to a callable (no allocation), for row callbacks.
template <class Sig>
class FunctionRef;
template <class R, class... A>
class FunctionRef<R(A...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, A...>)
  FunctionRef(F&& f)  // NOLINT: implicit, like std::function
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, A... a) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<A>(a)...);
        }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// Called for each row of a query; a non-OK status stops the query and is returned.
using RowFn = FunctionRef<Status(const Row&)>;

// A row callback that only lets Db::Query count the rows.
inline constexpr auto kCountRows = [](const Row&) { return Status::Ok(); };

// `{name}` -> text of one dialect (type names, trigger snippets, clauses).
using Tokens = std::map<std::string, std::string, std::less<>>;

// `text` with every `{name}` found in `tokens` replaced by its value; anything
// else (a JSON default '{}', an unknown name) is left as it is.
std::string Render(std::string_view text, const Tokens& tokens);

// One database's dialect: a connection and what differs between the databases.
// Not thread-safe: Db serializes every call.
class Connection {
 public:
  virtual ~Connection() = default;

  // The database in messages: "database '/x/facegate.db'", "PostgreSQL database 'fg' on ...".
  virtual std::string Describe() const = 0;
  // This dialect's values of the `{token}`s of the one SQL text.
  virtual const Tokens& tokens() const = 0;

  // Runs one statement (rendered and prepared once, then cached) with `p` bound
  // to its `?`s in order, calling `on_row` for each row when given. Returns the
  // rows an INSERT, UPDATE or DELETE changed. Errors say what to do (`what` failed).
  virtual Result<int64_t> Run(std::string_view sql, const Params& p, const std::string& what,
                              const RowFn* on_row) = 0;
  // Runs constant statements without parameters (DDL, migrations, SAVEPOINT).
  virtual Status Script(const std::string& sql, const std::string& what) = 0;

  // An outer write transaction: it holds the database's one write lock from its
  // start, so read-then-write steps never interleave with another writer.
  virtual Status BeginWrite() = 0;
  // An outer read-only transaction: one consistent snapshot for several reads.
  virtual Status BeginSnapshot(const std::string& what) = 0;
  virtual Status Commit() = 0;
  // Rolls back the outer transaction, if one is open; best effort.
  virtual void Rollback() = 0;
  // True when a failed statement has left the open transaction unusable.
  virtual bool Aborted() const { return false; }
  // Inside a write transaction, before reading the audit chain's head to append
  // after it: no other appender may pass until commit (REQ S6).
  virtual Status LockAuditChain() { return Status::Ok(); }
  // A subject key was deleted in the open transaction (REQ S7).
  virtual void KeyDestroyed() {}
  // The outer transaction committed.
  virtual void Committed() {}
};

// A Connection shared by the threads of one Store: every call holds the mutex,
// and a transaction opened inside another becomes a savepoint of it.
class Db {
 public:
  explicit Db(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

  // Held by every Store call; recursive, so store methods called from a
  // Transaction body on the same thread join that transaction.
  [[nodiscard]] std::unique_lock<std::recursive_mutex> Lock() { return std::unique_lock(mu_); }
  Connection& conn() { return *conn_; }
  std::string Describe() const { return conn_->Describe(); }

  // Runs `body` in one transaction: all its writes land, or none. Nested calls
  // become savepoints, so a failing inner step undoes only its own writes.
  Status Transaction(const std::function<Status()>& body);
  // Runs `body` on one consistent snapshot (a read transaction of its own
  // unless a transaction is open already; `what` names it in errors).
  Status Snapshot(const std::string& what, const std::function<Status()>& body);

  // Runs a query; `on_row` sees each row. Returns the number of rows.
  Result<int64_t> Query(std::string_view sql, const Params& p, const std::string& what, RowFn on_row);
  // Runs an INSERT, UPDATE or DELETE; returns the rows it changed.
  Result<int64_t> Exec(std::string_view sql, const Params& p, const std::string& what);
  // Runs constant statements without parameters.
  Status Script(const std::string& sql, const std::string& what);

 private:
  std::recursive_mutex mu_;
  std::unique_ptr<Connection> conn_;  // guarded by mu_
  int depth_ = 0;  // guarded by mu_: 0 outside Transaction, n inside n nested bodies
};

}  // namespace facegate::store::sql
