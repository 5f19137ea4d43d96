// What only the PostgreSQL Store does: connecting (errors that say what to
// do), migrations numbered like SQLite's, audit hashes identical to SQLite's,
// reconnecting after the server dropped the connection, the schema guards.
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/audit_chain.h"
#include "store_backends.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

TEST(PostgresStoreOpen, MigrationVersionsMatchSqlite) {
  ASSERT_EQ(PostgresMigrations().size(), SqliteMigrations().size())
      << "a schema version means the same schema on both backends";
  for (size_t i = 0; i < PostgresMigrations().size(); ++i) {
    EXPECT_EQ(PostgresMigrations()[i].version, SqliteMigrations()[i].version);
    EXPECT_STREQ(PostgresMigrations()[i].description, SqliteMigrations()[i].description);
  }
  EXPECT_EQ(LatestPostgresSchemaVersion(), LatestSchemaVersion());
}

TEST(PostgresStoreOpen, MalformedConninfoIsInvalidInput) {
  auto r = OpenPostgresStore("host=/tmp port");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput) << r.status().ToString();
  EXPECT_EQ(OpenPostgresStore("").status().kind(), ErrorKind::kInvalidInput);
}

TEST(PostgresStoreOpen, UnreachableServerSaysWhatToCheck) {
  auto r = OpenPostgresStore("host=/nonexistent-facegate-dir port=1 connect_timeout=2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInternal);
  EXPECT_NE(r.status().message().find("check that the server runs"), std::string::npos)
      << r.status().message();
}

TEST(PostgresStoreOpen, MissingSchemaIsRefused) {
  auto r = OpenPostgresStore(PostgresBaseConninfo() +
                             " options='-c search_path=fg_no_such_schema_here'");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput) << r.status().ToString();
  EXPECT_NE(r.status().message().find("search_path"), std::string::npos) << r.status().message();
}

TEST(PostgresStoreOpen, ConnectionsMigratingANewSchemaAtOnceAllSucceed) {
  PostgresTestDb db;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      auto s = db.Open();
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      if (s.ok()) ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(db.RawInt("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(PostgresMigrations().size()));
}

TEST(PostgresStore, AuditHashesEqualSqliteForTheSameEvents) {  // REQ S6
  PostgresTestDb db;
  auto pg = db.MustOpen();
  auto lite = OpenSqliteStore(":memory:");
  ASSERT_TRUE(pg && lite.ok());
  for (int i = 0; i < 5; ++i) {
    AuditEvent e;
    e.at = kNow + i;
    e.actor = "key-7";
    e.action = "verify";
    e.subject = Numbered("S", i);
    e.purpose = "office-entry";
    e.outcome = i % 2 ? "refused:C1" : "ok";
    e.detail = R"({"score":0.41,"note":"ünïcode"})";
    auto a = pg->AppendAudit(e);
    auto b = (*lite)->AppendAudit(e);
    ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
    EXPECT_EQ(a->hash, b->hash) << "seq " << a->seq;
    EXPECT_EQ(a->prev_hash, b->prev_hash);
  }
}

TEST(PostgresStore, BlobsRoundTripEveryByteValue) {  // bytea, not text
  PostgresTestDb db;
  auto store = db.MustOpen();
  ASSERT_TRUE(store);
  MustAddPurpose(*store, "office-entry");
  ASSERT_TRUE(store->EnsureSubject("S1", kNow).ok());
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  SealedTemplate t;
  t.subject = "S1";
  t.purpose = "office-entry";
  t.model = "m";
  t.nonce = std::string("\0\x01\xff", 3);
  t.ciphertext = all + all;
  t.expires_at = kNow + 10;
  ASSERT_TRUE(store->PutTemplate(t).ok());
  ASSERT_TRUE(store->PutWrappedSubjectKey("S1", all).ok());
  auto got = store->GetTemplates("S1", "office-entry");
  ASSERT_TRUE(got.ok() && got->size() == 1u);
  EXPECT_EQ((*got)[0].nonce, t.nonce);
  EXPECT_EQ((*got)[0].ciphertext, t.ciphertext);
  EXPECT_EQ(*store->GetWrappedSubjectKey("S1"), all);
  EXPECT_EQ(db.RawInt("SELECT octet_length(ciphertext) FROM templates"), 512);
}

TEST(PostgresStore, TruncatingTheAuditLogIsRefused) {  // REQ S6
  PostgresTestDb db;
  auto store = db.MustOpen();
  ASSERT_TRUE(store && store->AppendAudit(AuditEvent{}).ok());
  std::string err;
  EXPECT_FALSE(db.RawExec("TRUNCATE audit_events", &err));
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
  EXPECT_TRUE(store->VerifyAudit()->intact);
}

TEST(PostgresStore, ReconnectsAfterTheServerDroppedTheConnection) {
  PostgresTestDb db;
  auto store = db.MustOpen();
  ASSERT_TRUE(store);
  MustAddPurpose(*store, "office-entry");
  // An administrator (or a server restart) ends the store's session.
  ASSERT_TRUE(
      db.RawExec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                 "application_name = '" +
                 db.schema() + "' AND pid <> pg_backend_pid()"));
  auto first = store->GetPurpose("office-entry");
  if (!first.ok()) {
    EXPECT_EQ(first.status().kind(), ErrorKind::kInternal);
    EXPECT_NE(first.status().message().find("connection"), std::string::npos)
        << first.status().message();
  }
  auto again = store->GetPurpose("office-entry");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(store->AppendAudit(AuditEvent{}).ok());
}

}  // namespace
}  // namespace facegate::store
