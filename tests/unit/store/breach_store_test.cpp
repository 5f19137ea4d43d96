// Breach records and their affected people on every backend (SQLite in
// test_store, PostgreSQL in test_store_pg) (REQ S9, S5).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using BreachStore = BackendTest;

BreachRecord Breach(UnixTime opened = kNow) {
  BreachRecord b;
  b.detected_at = opened - 60;
  b.opened_at = opened;
  b.actor = "key:dpo";
  b.description = "database copy on a public share";
  b.cause = "misconfigured backup job";
  b.harm = "consent records readable";
  b.measures = "share removed";
  b.individual_advice = "withdraw consent";
  b.contact = "dpo@example.com";
  b.window_from = opened - 86400;
  b.window_to = opened - 3600;
  b.kinds = {"template", "consent"};
  b.purposes = {"office-entry"};
  b.expires_at = opened + 1000 * 86400;
  return b;
}

TEST_P(BreachStore, S9_BreachIsStoredWithEveryFieldAndStepTime) {
  auto b = store_->AddBreach(Breach());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(b->id, 0);
  auto got = store_->GetBreach(b->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  REQUIREMENT("S9");
  EXPECT_EQ(got->detected_at, kNow - 60);
  EXPECT_EQ(got->opened_at, kNow);
  EXPECT_EQ(got->actor, "key:dpo");
  EXPECT_EQ(got->cause, "misconfigured backup job");
  EXPECT_EQ(got->individual_advice, "withdraw consent");
  EXPECT_EQ(got->contact, "dpo@example.com");
  EXPECT_EQ(got->window_from, kNow - 86400);
  EXPECT_EQ(got->window_to, kNow - 3600);
  EXPECT_EQ(got->kinds, (std::vector<std::string>{"template", "consent"}));
  EXPECT_EQ(got->purposes, std::vector<std::string>{"office-entry"});
  EXPECT_EQ(got->status, "open");
  EXPECT_FALSE(got->assessed_at);
  EXPECT_EQ(got->expires_at, kNow + 1000 * 86400);

  // One step: written only while the stored status is still the expected one.
  BreachRecord next = *got;
  next.status = "assessed";
  next.assessed_at = kNow + 10;
  ASSERT_TRUE(store_->UpdateBreachStatus(next, "open").ok());
  Status again = store_->UpdateBreachStatus(next, "open");
  EXPECT_EQ(again.kind(), ErrorKind::kConflict);
  EXPECT_NE(again.message().find("'assessed'"), std::string::npos) << again.message();
  next.status = "authority_notified";
  next.authority_notified_at = kNow + 20;
  next.authority_reference = "CAC-7";
  ASSERT_TRUE(store_->UpdateBreachStatus(next, "assessed").ok());
  got = store_->GetBreach(b->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "authority_notified");
  EXPECT_EQ(got->assessed_at, kNow + 10);
  EXPECT_EQ(got->authority_notified_at, kNow + 20);
  EXPECT_EQ(got->authority_reference, "CAC-7");

  auto second = store_->AddBreach(Breach(kNow + 100));
  ASSERT_TRUE(second.ok());
  auto list = store_->ListBreaches();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, second->id) << "newest first";
  EXPECT_EQ(store_->GetBreach(9999).status().kind(), ErrorKind::kNotFound);
  next.id = 9999;
  EXPECT_EQ(store_->UpdateBreachStatus(next, "assessed").kind(), ErrorKind::kNotFound);
}

TEST_P(BreachStore, S9_SchemaRefusesAnUnknownStatusAReversedWindowAndNoNotifyWithoutReason) {
  BreachRecord bad = Breach();
  bad.status = "forgotten";
  EXPECT_EQ(store_->AddBreach(bad).status().kind(), ErrorKind::kInvalidInput);
  bad = Breach();
  std::swap(bad.window_from, bad.window_to);
  EXPECT_EQ(store_->AddBreach(bad).status().kind(), ErrorKind::kInvalidInput);
  auto b = store_->AddBreach(Breach());
  ASSERT_TRUE(b.ok());
  BreachRecord next = *b;
  next.status = "people_not_notified";
  next.not_notified_at = kNow;  // without the reason PIPL 57 asks for
  EXPECT_EQ(store_->UpdateBreachStatus(next, "open").kind(), ErrorKind::kInvalidInput);
  next.status = "closed";  // closed without a closing time
  next.not_notified_at.reset();
  EXPECT_EQ(store_->UpdateBreachStatus(next, "open").kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(store_->GetBreach(b->id)->status, "open");
}

TEST_P(BreachStore, S9_AffectedPeopleAreReplacedByAssessmentAndMarkedNotified) {
  auto b = store_->AddBreach(Breach());
  ASSERT_TRUE(b.ok());
  auto other = store_->AddBreach(Breach());
  ASSERT_TRUE(other.ok());
  std::vector<BreachAffectedRecord> people(2);
  people[0].subject = "S2";
  people[0].kinds = {"consent"};
  people[1].subject = "S1";
  people[1].kinds = {"template", "consent"};
  ASSERT_TRUE(store_->PutBreachAffected(b->id, people).ok());
  std::vector<BreachAffectedRecord> o(1);
  o[0].subject = "S9";
  o[0].kinds = {"audit"};
  ASSERT_TRUE(store_->PutBreachAffected(other->id, o).ok());
  auto got = store_->ListBreachAffected(b->id);
  ASSERT_TRUE(got.ok());
  REQUIREMENT("S9");
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].subject, "S1") << "ordered by subject";
  EXPECT_EQ((*got)[0].kinds, (std::vector<std::string>{"template", "consent"}));
  EXPECT_EQ((*got)[1].subject, "S2");
  EXPECT_FALSE((*got)[0].notified_at);

  // A new assessment replaces the set.
  people.pop_back();
  ASSERT_TRUE(store_->PutBreachAffected(b->id, people).ok());
  got = store_->ListBreachAffected(b->id);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].subject, "S2");

  ASSERT_TRUE(store_->MarkBreachAffectedNotified(b->id, kNow + 50).ok());
  ASSERT_TRUE(store_->MarkBreachAffectedNotified(b->id, kNow + 90).ok());  // keeps the first time
  got = store_->ListBreachAffected(b->id);
  EXPECT_EQ((*got)[0].notified_at, kNow + 50);
  EXPECT_FALSE((*store_->ListBreachAffected(other->id))[0].notified_at) << "another breach untouched";
}

TEST_P(BreachStore, S9_S5_ClosedBreachesExpireWithTheirAffectedPeople) {
  auto closed = store_->AddBreach(Breach());
  auto open = store_->AddBreach(Breach());
  ASSERT_TRUE(closed.ok() && open.ok());
  BreachRecord c = *closed;
  c.status = "closed";
  c.closed_at = kNow;
  c.expires_at = kNow + 100;
  ASSERT_TRUE(store_->UpdateBreachStatus(c, "open").ok());
  std::vector<BreachAffectedRecord> people(1);
  people[0].subject = "S1";
  people[0].kinds = {"consent"};
  ASSERT_TRUE(store_->PutBreachAffected(closed->id, people).ok());
  ASSERT_TRUE(store_->PutBreachAffected(open->id, people).ok());

  auto none = store_->DeleteExpiredBreaches(kNow + 99);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  REQUIREMENT("S5");
  EXPECT_TRUE(none->empty());
  // The open breach's expiry has passed too, but an open breach never expires.
  auto gone = store_->DeleteExpiredBreaches(kNow + 2000 * 86400);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(*gone, std::vector<int64_t>{closed->id});
  EXPECT_EQ(store_->GetBreach(closed->id).status().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->ListBreachAffected(closed->id)->empty());
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM breach_affected WHERE breach_id = " +
                        std::to_string(closed->id)),
            0);
  EXPECT_TRUE(store_->GetBreach(open->id).ok());
  EXPECT_EQ(store_->ListBreachAffected(open->id)->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BreachStore, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
