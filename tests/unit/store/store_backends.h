// One store test suite, every backend: a TestDb is a fresh, empty database of
// one backend ("sqlite": a file in a private temporary directory; "postgres": a
// new schema on the server started by tests/postgres/pg-start.sh) that tests
// open Stores on and edit behind the Store's back.
#pragma once

#include <facegate/store.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/postgres_migrations.h"
#include "store_test_util.h"

namespace facegate::store::testing {

// The backends this executable tests: test_store runs SQLite (no server needed);
// test_store_pg, built from the same sources, runs PostgreSQL under the CTest
// fixture `postgres`.
inline std::vector<std::string> TestBackends() {
#ifdef FACEGATE_TEST_POSTGRES
  return {"postgres"};
#else
  return {"sqlite"};
#endif
}

// Names parameterised tests .../sqlite and .../postgres.
struct BackendName {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return info.param;
  }
};

class TestDb {
 public:
  virtual ~TestDb() = default;
  // A new, empty database of `backend` ("sqlite" or "postgres").
  static std::unique_ptr<TestDb> Make(const std::string& backend);

  const std::string& backend() const { return backend_; }
  // A new connection to this database, as another facegate process would open.
  virtual Result<std::unique_ptr<Store>> Open() = 0;
  std::unique_ptr<Store> MustOpen() {
    auto s = Open();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    return std::move(s).value();
  }
  // Runs SQL through a raw connection that bypasses the Store (the way an
  // attacker or a careless operator would). False and `error` when it failed.
  virtual bool RawExec(const std::string& sql, std::string* error = nullptr) = 0;
  // The first column of the first row of `sql` as an integer.
  virtual std::optional<int64_t> RawInt(const std::string& sql) = 0;
  // SQL removing audit_events' append-only triggers, as an attacker would first.
  virtual std::string DropAuditGuardsSql() const = 0;
  // This backend's migrations.
  virtual const std::vector<Migration>& Migrations() const = 0;

 protected:
  explicit TestDb(std::string backend) : backend_(std::move(backend)) {}

 private:
  std::string backend_;
};

class SqliteTestDb final : public TestDb {
 public:
  SqliteTestDb() : TestDb("sqlite"), path_(dir_.File("t.db")) {}
  const std::string& path() const { return path_; }
  Result<std::unique_ptr<Store>> Open() override { return OpenSqliteStore(path_); }
  bool RawExec(const std::string& sql, std::string* error = nullptr) override {
    return testing::RawExec(path_, sql, error) == SQLITE_OK;
  }
  std::optional<int64_t> RawInt(const std::string& sql) override {
    sqlite3* db = nullptr;
    std::optional<int64_t> out;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        out = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close_v2(db);
    return out;
  }
  std::string DropAuditGuardsSql() const override {
    return "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; ";
  }
  const std::vector<Migration>& Migrations() const override { return SqliteMigrations(); }

 private:
  TempDir dir_;
  std::string path_;
};

// The conninfo written by tests/postgres/pg-start.sh: FACEGATE_PG_CONNINFO_FILE
// from the environment (set by CTest), else the build's default path.
inline std::string PostgresBaseConninfo() {
  const char* env = std::getenv("FACEGATE_PG_CONNINFO_FILE");
#ifdef FACEGATE_PG_CONNINFO_FILE
  std::string file = env ? env : FACEGATE_PG_CONNINFO_FILE;
#else
  std::string file = env ? env : "";
#endif
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  if (line.empty()) {
    ADD_FAILURE() << "no PostgreSQL conninfo in '" << file
                  << "': run the tests through ctest (fixture 'postgres'), or start a server "
                     "with tests/postgres/pg-start.sh DIR and set FACEGATE_PG_CONNINFO_FILE="
                     "DIR/conninfo";
  }
  return line;
}

class PostgresTestDb final : public TestDb {
 public:
  PostgresTestDb() : TestDb("postgres"), base_(PostgresBaseConninfo()) {
    static std::atomic<int> counter{0};
    std::random_device rd;
    schema_ = "fgt_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
              std::to_string(rd() % 1000000);
    conninfo_ =
        base_ + " application_name=" + schema_ + " options='-c search_path=" + schema_ + "'";
    std::string err;
    ok_ = !base_.empty() && Admin("CREATE SCHEMA " + schema_, &err);
    EXPECT_TRUE(ok_) << "cannot create schema " << schema_ << ": " << err;
  }
  ~PostgresTestDb() override {
    if (ok_) Admin("DROP SCHEMA " + schema_ + " CASCADE", nullptr);
  }
  const std::string& schema() const { return schema_; }
  const std::string& conninfo() const { return conninfo_; }
  Result<std::unique_ptr<Store>> Open() override { return OpenPostgresStore(conninfo_); }
  bool RawExec(const std::string& sql, std::string* error = nullptr) override {
    return Exec(conninfo_, sql, error, nullptr);
  }
  std::optional<int64_t> RawInt(const std::string& sql) override {
    std::optional<int64_t> out;
    if (!Exec(conninfo_, sql, nullptr, &out)) return std::nullopt;
    return out;
  }
  std::string DropAuditGuardsSql() const override {
    return "ALTER TABLE audit_events DISABLE TRIGGER USER; ";
  }
  const std::vector<Migration>& Migrations() const override { return PostgresMigrations(); }

 private:
  bool Admin(const std::string& sql, std::string* error) {
    return Exec(base_, sql, error, nullptr);
  }
  static bool Exec(const std::string& conninfo, const std::string& sql, std::string* error,
                   std::optional<int64_t>* first) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (!ok && error) *error = PQerrorMessage(c);
    if (ok) {
      PGresult* r = PQexec(c, sql.c_str());
      ExecStatusType st = PQresultStatus(r);
      ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
      if (!ok && error) *error = PQresultErrorMessage(r);
      if (ok && first && st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
        *first = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
      }
      PQclear(r);
    }
    PQfinish(c);
    return ok;
  }

  std::string base_, schema_, conninfo_;
  bool ok_ = false;
};

inline std::unique_ptr<TestDb> TestDb::Make(const std::string& backend) {
  if (backend == "postgres") return std::make_unique<PostgresTestDb>();
  return std::make_unique<SqliteTestDb>();
}

// Fixture of backend-independent tests: a fresh database and one Store on it.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = TestDb::Make(GetParam());
    store_ = db_->MustOpen();
    ASSERT_TRUE(store_);
  }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<TestDb> db_;  // declared first: outlives every Store on it
  std::unique_ptr<Store> store_;
};

}  // namespace facegate::store::testing
