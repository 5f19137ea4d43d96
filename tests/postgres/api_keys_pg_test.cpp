// API keys in the shared PostgreSQL database: two stores (two nodes) see the same keys
// at once, and a node's earlier apikeys.db is imported once, revoked keys staying revoked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "pg_testutil.h"
#include "server/api_keys.h"

namespace facegate::server {
namespace {

namespace fs = std::filesystem;
using facegate::testing::Admin;
using facegate::testing::BaseConninfo;

class ApiKeysPg : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = BaseConninfo();
    ASSERT_FALSE(base_.empty()) << "no conninfo: the postgres fixture did not start";
    schema_ = "fg_keys_" + std::to_string(::getpid());
    ASSERT_TRUE(Admin(base_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_));
    conninfo_ = base_ + " options='-c search_path=" + schema_ + "'";
    dir_ = fs::temp_directory_path() / ("fg-keys-pg-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!base_.empty()) Admin(base_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    fs::remove_all(dir_);
  }
  std::string base_, schema_, conninfo_;
  fs::path dir_;
};

TEST_F(ApiKeysPg, TwoNodesSeeTheSameKeysAndARevocationAtOnce) {
  auto a = ApiKeyStore::OpenPostgres(conninfo_, "");
  auto b = ApiKeyStore::OpenPostgres(conninfo_, "");
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.status() : a.status()).ToString();
  auto made = (*a)->Create(Role::kDevice, "gate-3", {"office-entry"}, 1000);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto seen = (*b)->Authenticate(made->secret);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(seen->id, made->key.id);
  EXPECT_EQ(seen->role, Role::kDevice);
  EXPECT_EQ(seen->device, "gate-3");
  EXPECT_EQ(seen->purposes, std::vector<std::string>{"office-entry"});
  EXPECT_EQ(*(*b)->CountActive(Role::kDevice), 1);

  ASSERT_TRUE((*b)->Revoke(made->key.id, 2000).ok());
  EXPECT_EQ((*a)->Authenticate(made->secret).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ((*a)->Revoke(made->key.id, 3000).kind(), ErrorKind::kNotFound);
  auto listed = (*a)->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].revoked_at, std::optional<UnixTime>(2000));
  EXPECT_EQ((*a)->Authenticate("fgk_not-a-key").status().kind(), ErrorKind::kNotFound);
}

TEST_F(ApiKeysPg, ANodesEarlierKeysAreImportedOnceWithTheirRevocations) {
  const std::string local = (dir_ / "apikeys.db").string();
  std::string active, revoked;
  {
    auto l = ApiKeyStore::Open(local);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    auto k1 = (*l)->Create(Role::kAdmin, "", {}, 100);
    auto k2 = (*l)->Create(Role::kOperator, "", {}, 200);
    ASSERT_TRUE(k1.ok() && k2.ok());
    ASSERT_TRUE((*l)->Revoke(k2->key.id, 300).ok());
    active = k1->secret;
    revoked = k2->secret;
  }
  auto pg = ApiKeyStore::OpenPostgres(conninfo_, local);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto who = (*pg)->Authenticate(active);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, Role::kAdmin);
  EXPECT_EQ(who->created_at, 100);
  EXPECT_EQ((*pg)->Authenticate(revoked).status().kind(), ErrorKind::kNotFound);

  // Revoked in the shared table, then the node restarts: importing again changes nothing.
  ASSERT_TRUE((*pg)->Revoke(who->id, 400).ok());
  auto again = ApiKeyStore::OpenPostgres(conninfo_, local);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Authenticate(active).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ((*again)->List()->size(), 2u);
}

TEST_F(ApiKeysPg, AnUnreachableDatabaseIsAClearError) {
  auto bad = ApiKeyStore::OpenPostgres(base_ + " port=1", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("FACEGATE_DB"), std::string::npos) << bad.status().ToString();
}

}  // namespace
}  // namespace facegate::server
