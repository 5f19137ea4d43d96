// Alternative connectors, credentials, single-use tokens and attempts on every backend
// (SQLite in test_store, PostgreSQL in test_store_pg) (REQ A4, S5).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using AlternativeStore = BackendTest;

AlternativeConnectorRecord Binding(const std::string& method, const std::string& kind,
                                   const std::string& config = "{}") {
  AlternativeConnectorRecord c;
  c.purpose = "office-entry";
  c.method = method;
  c.kind = kind;
  c.config = config;
  c.actor = "key:admin";
  c.set_at = kNow;
  return c;
}

TEST_P(AlternativeStore, A4_ConnectorBindingIsReplacedPerMethodAndNeedsThePurpose) {
  MustAddPurpose(*store_, "office-entry");
  EXPECT_FALSE(*store_->GetAlternativeConnector("office-entry", "pin"));
  ASSERT_TRUE(store_->SetAlternativeConnector(Binding("pin", "pin")).ok());
  ASSERT_TRUE(store_->SetAlternativeConnector(
                        Binding("staff-card", "http", R"({"url":"http://127.0.0.1:9/verify"})"))
                  .ok());
  auto http = Binding("staff-card", "http", R"({"url":"http://127.0.0.1:10/verify"})");
  http.set_at = kNow + 5;
  ASSERT_TRUE(store_->SetAlternativeConnector(http).ok()) << "a second binding replaces the first";
  auto got = store_->GetAlternativeConnector("office-entry", "staff-card");
  ASSERT_TRUE(got.ok() && *got);
  REQUIREMENT("A4");
  EXPECT_EQ((*got)->kind, "http");
  EXPECT_EQ((*got)->config, R"({"url":"http://127.0.0.1:10/verify"})");
  EXPECT_EQ((*got)->set_at, kNow + 5);
  EXPECT_EQ((*got)->actor, "key:admin");
  auto all = store_->ListAlternativeConnectors("office-entry");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].method, "pin");
  EXPECT_EQ((*all)[1].method, "staff-card");
  auto none = Binding("pin", "pin");
  none.purpose = "no-such-purpose";
  EXPECT_EQ(store_->SetAlternativeConnector(none).kind(), ErrorKind::kNotFound);
}

TEST_P(AlternativeStore, A4_CredentialsAreReplacedDeletedPerSubjectAndExpire) {
  MustAddPurpose(*store_, "office-entry");
  AlternativeCredentialRecord c{"S1", "office-entry", "pin", "$argon2id$v=19$first", kNow, kNow + 100};
  ASSERT_TRUE(store_->PutAlternativeCredential(c).ok());
  c.verifier = "$argon2id$v=19$second";
  ASSERT_TRUE(store_->PutAlternativeCredential(c).ok());
  ASSERT_TRUE(store_->PutAlternativeCredential({"S1", "office-entry", "staff-card", "$v$card", kNow, kNow + 900}).ok());
  ASSERT_TRUE(store_->PutAlternativeCredential({"S2", "office-entry", "pin", "$v$s2", kNow, kNow + 50}).ok());
  auto got = store_->GetAlternativeCredential("S1", "office-entry", "pin");
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*got)->verifier, "$argon2id$v=19$second");
  EXPECT_EQ((*got)->expires_at, kNow + 100);
  EXPECT_FALSE(*store_->GetAlternativeCredential("S1", "other", "pin"));
  EXPECT_EQ(store_->PutAlternativeCredential({"S1", "office-entry", "pin", "", kNow, kNow}).kind(),
            ErrorKind::kInvalidInput);

  // REQ S5: expired ones go; the others stay.
  auto expired = store_->DeleteExpiredAlternativeCredentials(kNow + 100);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 2);
  EXPECT_FALSE(*store_->GetAlternativeCredential("S1", "office-entry", "pin"));
  EXPECT_FALSE(*store_->GetAlternativeCredential("S2", "office-entry", "pin"));
  EXPECT_TRUE(*store_->GetAlternativeCredential("S1", "office-entry", "staff-card"));
  // Erasure: every purpose of the subject.
  auto erased = store_->DeleteAlternativeCredentials("S1", "");
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(*erased, 1);
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM alternative_credentials"), 0);
}

TEST_P(AlternativeStore, A4_ATokenNonceIsClaimedOnceEvenByConcurrentClaimants) {
  ASSERT_TRUE(store_->ClaimAlternativeToken("nonce-1", kNow, kNow + 60).ok());
  EXPECT_EQ(store_->ClaimAlternativeToken("nonce-1", kNow + 1, kNow + 60).kind(), ErrorKind::kConflict);
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 4; ++i) stores.push_back(db_->MustOpen());
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      Status s = stores[i]->ClaimAlternativeToken("nonce-2", kNow, kNow + 60);
      if (s.ok()) ++won;
      else if (s.kind() == ErrorKind::kConflict) ++lost;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), 3);
  // Used nonces are forgotten once their token expired (it can no longer be presented).
  ASSERT_TRUE(store_->DeleteExpiredAlternativeCredentials(kNow + 60).ok());
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM alternative_tokens_used"), 0);
}

TEST_P(AlternativeStore, A4_AttemptsAreCountedOnlyWhileTheTransactionIsOpen) {
  MustAddPurpose(*store_, "office-entry");
  AlternativeRecord a;
  a.subject = "S1";
  a.purpose = "office-entry";
  a.method = "pin";
  a.opened_at = kNow;
  auto id = store_->OpenAlternative(a);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*store_->CountAlternativeAttempt(*id), 1);
  EXPECT_EQ(*store_->CountAlternativeAttempt(*id), 2);
  EXPECT_EQ(store_->GetAlternative(*id)->attempts, 2);
  ASSERT_TRUE(store_->CloseAlternative(*id, "denied", kNow + 1).ok());
  EXPECT_EQ(store_->CountAlternativeAttempt(*id).status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(store_->CountAlternativeAttempt(9999).status().kind(), ErrorKind::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, AlternativeStore, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
