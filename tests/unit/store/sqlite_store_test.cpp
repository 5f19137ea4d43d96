// What only the SQLite Store does: private files, WAL, in-memory databases,
// refusing a non-database file and shredding bytes on disk (REQ S4, S7). The
// backend-independent specification is store_test.cpp (run on SQLite and PostgreSQL).
#include <facegate/store.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "store/migrations.h"
#include "store_test_util.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

// ---- opening and migrations ----

TEST(SqliteStoreOpen, CreatesParentDirectoryAndPrivateFiles) {
  TempDir dir;
  std::string path = dir.File("nested/var/facegate.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "database holds identity data: owner-only (REQ S4)";
  ASSERT_EQ(::stat(dir.File("nested/var").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(SqliteStoreOpen, UsesWalFullSyncAndForeignKeys) {
  TempDir dir;
  std::string path = dir.File("f.db");
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  MustAddPurpose(*store, "office-entry");  // forces a write, so the -wal file exists
  EXPECT_TRUE(fs::exists(path + "-wal"));
  // Foreign keys: a consent cannot name a purpose that does not exist.
  ASSERT_TRUE(store->EnsureSubject("S1", kNow).ok());
  ConsentRecord c;
  c.subject = "S1";
  c.purpose = "no-such-purpose";
  c.expires_at = kNow + 10;
  auto r = store->AddConsent(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("no-such-purpose"), std::string::npos);
}

// Versions are owned by features and may land out of order (a gap fills in later), but the list
// stays in ascending order and each version appears once.
TEST(SqliteStoreOpen, MigrationVersionsAscend) {
  int previous = 0;
  for (const Migration& m : SqliteMigrations()) {
    EXPECT_GT(m.version, previous);
    previous = m.version;
  }
  EXPECT_EQ(SqliteMigrations().front().version, 1);
}

// A migration below the highest applied one (it landed after a higher one) is still applied.
TEST(SqliteStoreOpen, AMigrationLandingBelowTheHighestAppliedIsApplied) {
  TempDir dir;
  const std::string path = dir.File("gap.db");
  { ASSERT_TRUE(MustOpen(path)); }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    // As if migration 2 (the audit triggers) had not been applied yet.
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; "
                           "DELETE FROM schema_migrations WHERE version = 2;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = MustOpen(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendAudit(AuditEvent{}).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_events", nullptr, nullptr, &err), SQLITE_OK)
      << "migration 2's trigger is back";
  sqlite3_free(err);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_migrations", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), static_cast<int64_t>(SqliteMigrations().size()));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(SqliteStoreOpen, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::string path = dir.File("junk.db");
  {
    std::ofstream out(path);
    out << std::string(8192, 'x');
  }
  auto r = OpenSqliteStore(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kIntegrity) << r.status().ToString();
  EXPECT_NE(r.status().message().find("restore"), std::string::npos) << r.status().message();
}

TEST(SqliteStoreOpen, InMemoryDatabaseWorksForTests) {
  auto store = MustOpen(":memory:");
  ASSERT_TRUE(store);
  MustAddPurpose(*store, "office-entry");
  EXPECT_TRUE(store->GetPurpose("office-entry").ok());
  ASSERT_TRUE(store->AppendAudit(AuditEvent{}).ok());
  EXPECT_TRUE(store->VerifyAudit()->intact);
}

// ---- bytes on disk ----

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("t.db");
    store_ = MustOpen(path_);
    ASSERT_TRUE(store_);
  }
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, DestroyedKeyBytesLeaveTheDatabaseFiles) {  // REQ S7
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  const std::string wrapped = "WRAPPED-KEY-MARKER-0123456789abcdef-0123456789abcdef-0123456789ab";
  ASSERT_TRUE(store_->PutWrappedSubjectKey("S1", wrapped).ok());
  std::string before = ReadBytes(path_) + ReadBytes(path_ + "-wal");
  ASSERT_NE(before.find(wrapped), std::string::npos) << "control: the scan sees the stored key";
  ASSERT_TRUE(store_->DestroySubjectKey("S1").ok());
  std::string after = ReadBytes(path_) + ReadBytes(path_ + "-wal");
  EXPECT_EQ(after.find(wrapped), std::string::npos)
      << "secure_delete + WAL truncation must leave no copy of a destroyed key";
}

}  // namespace
}  // namespace facegate::store
