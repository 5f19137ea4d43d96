// The hash-chained audit log (REQ S6), on every backend: append assigns seq and
// links; verify names the first broken link after raw edits, deletions or renumbering.
#include "store/audit_chain.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store_backends.h"

#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

AuditEvent Event(const std::string& action, const std::string& subject = "S1") {
  AuditEvent e;
  e.at = kNow;
  e.actor = "cli";
  e.action = action;
  e.subject = subject;
  e.purpose = "office-entry";
  e.outcome = "ok";
  e.detail = R"({"grant":"g-1"})";
  return e;
}

#ifndef FACEGATE_TEST_POSTGRES  // backend-independent: run once, in test_store
TEST(AuditHash, FollowsThePublishedCanonicalFormat) {
  // Pinned vector, computed independently (Python hashlib) from the format in
  // audit_chain.h; other backends must produce the same hash for the same event.
  AuditEvent e = Event("enrol");
  e.seq = 1;
  e.at = 1'700'000'000;
  e.prev_hash = kGenesisHash;
  EXPECT_EQ(AuditHash(e), "1cea721935db93d7854b65c49d706499cf33c230539b5d93ae49a317ee5925e4");
}

TEST(AuditHash, FieldBoundariesCannotBeShifted) {
  AuditEvent a = Event("enrol");
  AuditEvent b = a;
  a.actor = "ab";
  a.action = "c";
  b.actor = "a";
  b.action = "bc";
  EXPECT_NE(AuditHash(a), AuditHash(b)) << "fields are length-prefixed";
  AuditEvent c = Event("enrol");
  AuditEvent d = c;
  d.outcome = "refused:C1";
  EXPECT_NE(AuditHash(c), AuditHash(d));
}
#endif

class AuditChainTest : public BackendTest {
 protected:
  void AppendN(int n) {
    for (int i = 1; i <= n; ++i) {
      auto r = store_->AppendAudit(Event("verify", Numbered("S", i)));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }
  // Simulates someone with write access to the database: the append-only
  // triggers are dropped first, as an attacker would.
  void Tamper(const std::string& sql) {
    std::string err;
    ASSERT_TRUE(db_->RawExec(db_->DropAuditGuardsSql() + sql, &err)) << err;
  }
  AuditCheck Verify() {
    auto r = store_->VerifyAudit();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditCheck{};
  }
};

TEST_P(AuditChainTest, AppendAssignsSeqLinksAndHash) {
  auto first = store_->AppendAudit(Event("enrol"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, std::string(64, '0'));
  EXPECT_EQ(first->at, kNow) << "a given time is kept";
  EXPECT_EQ(first->hash, AuditHash(*first));

  AuditEvent no_time = Event("verify");
  no_time.at = 0;
  no_time.seq = 99;              // ignored: the store assigns seq
  no_time.prev_hash = "forged";  // ignored
  auto second = store_->AppendAudit(no_time);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_GT(second->at, 1'600'000'000) << "0 means now";

  auto listed = store_->ListAudit(1, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].hash, second->hash);
  EXPECT_EQ((*listed)[0].detail, R"({"grant":"g-1"})");
}

TEST_P(AuditChainTest, ListPagesBySeq) {
  AppendN(7);
  auto page = store_->ListAudit(2, 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[2].seq, 5);
  EXPECT_EQ(store_->ListAudit(0, 0)->size(), 7u) << "limit 0: all";
}

TEST_P(AuditChainTest, IntactChainVerifies) {
  EXPECT_TRUE(Verify().intact) << "an empty log is intact";
  AppendN(5);
  AuditCheck c = Verify();
  EXPECT_TRUE(c.intact) << c.reason;
  EXPECT_EQ(c.events, 5);
  EXPECT_EQ(c.first_broken_seq, 0);
}

TEST_P(AuditChainTest, ProgramCannotEditOrDeleteEvents) {
  AppendN(2);
  std::string err;
  EXPECT_FALSE(db_->RawExec("UPDATE audit_events SET outcome = 'x' WHERE seq = 1", &err));
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
  EXPECT_FALSE(db_->RawExec("DELETE FROM audit_events WHERE seq = 1"));
  EXPECT_TRUE(Verify().intact);
}

TEST_P(AuditChainTest, S5_PruningCarriesTheChainForwardAndOnlyPrunedEventsGo) {
  for (int i = 1; i <= 6; ++i) {
    AuditEvent e = Event("verify", Numbered("S", i));
    e.at = 100 * i;
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  }
  auto none = store_->PruneAudit(100, 1000, "sweeper");  // nothing older than 100
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->pruned, 0);
  EXPECT_TRUE(store_->ListAuditPrunePoints()->empty());

  auto p = store_->PruneAudit(350, 1000, "sweeper");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  REQUIREMENT("S5");
  EXPECT_EQ(p->seq, 3);
  EXPECT_EQ(p->pruned, 3);
  AuditCheck c = Verify();
  EXPECT_TRUE(c.intact) << c.reason;
  EXPECT_EQ(c.pruned_through, 3);
  EXPECT_EQ(c.events, 3);
  EXPECT_EQ(store_->ListAudit(0, 0)->front().seq, 4);

  // Only events behind a prune point go; the points themselves are append-only.
  std::string err;
  EXPECT_FALSE(db_->RawExec("DELETE FROM audit_events WHERE seq = 5", &err));
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
  EXPECT_FALSE(db_->RawExec("DELETE FROM audit_prune_points", &err));
  EXPECT_FALSE(db_->RawExec("UPDATE audit_prune_points SET hash = 'x'", &err));
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;

  // The newest event stays whatever its age: the next one chains onto it.
  auto all = store_->PruneAudit(10'000, 1000, "sweeper");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->seq, 5);
  EXPECT_EQ(all->pruned, 2);
  ASSERT_TRUE(store_->AppendAudit(Event("verify")).ok());
  c = Verify();
  EXPECT_TRUE(c.intact) << c.reason;
  EXPECT_EQ(c.events, 2);
  EXPECT_EQ(c.pruned_through, 5);
}

TEST_P(AuditChainTest, S5_AnEventCutAfterThePrunePointIsStillNamed) {
  for (int i = 1; i <= 5; ++i) {
    AuditEvent e = Event("verify", Numbered("S", i));
    e.at = 100 * i;
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  }
  ASSERT_TRUE(store_->PruneAudit(250, 1000, "sweeper").ok());  // events 1, 2
  Tamper("DELETE FROM audit_events WHERE seq = 3");  // the first kept one
  AuditCheck c = Verify();
  EXPECT_FALSE(c.intact);
  EXPECT_EQ(c.first_broken_seq, 4);
  EXPECT_NE(c.reason.find("expected 3"), std::string::npos) << c.reason;
}

TEST_P(AuditChainTest, EditedEventIsNamed) {
  AppendN(5);
  Tamper("UPDATE audit_events SET outcome = 'refused:C1' WHERE seq = 3");
  AuditCheck c = Verify();
  EXPECT_FALSE(c.intact);
  EXPECT_EQ(c.first_broken_seq, 3);
  EXPECT_NE(c.reason.find("hash mismatch"), std::string::npos) << c.reason;
  EXPECT_EQ(c.events, 5);
}

TEST_P(AuditChainTest, DeletedEventIsNamed) {
  AppendN(5);
  Tamper("DELETE FROM audit_events WHERE seq = 3");
  AuditCheck c = Verify();
  EXPECT_FALSE(c.intact);
  EXPECT_EQ(c.first_broken_seq, 4);
  EXPECT_NE(c.reason.find("seq gap"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("expected 3"), std::string::npos) << c.reason;
}

TEST_P(AuditChainTest, DeletedAndRenumberedEventIsNamed) {
  AppendN(5);
  // Hide the gap by renumbering: the links still give it away.
  Tamper(
      "DELETE FROM audit_events WHERE seq = 3; "
      "UPDATE audit_events SET seq = seq - 1 WHERE seq > 3");
  AuditCheck c = Verify();
  EXPECT_FALSE(c.intact);
  EXPECT_EQ(c.first_broken_seq, 3);
  EXPECT_NE(c.reason.find("prev_hash mismatch"), std::string::npos) << c.reason;
}

TEST_P(AuditChainTest, RehashedEditStillBreaksTheNextLink) {
  AppendN(4);
  // Edit event 2 and fix its own hash: event 3's prev_hash no longer matches.
  auto e2 = (*store_->ListAudit(1, 1))[0];
  e2.outcome = "error:internal";
  Tamper("UPDATE audit_events SET outcome = 'error:internal', hash = '" + AuditHash(e2) +
         "' WHERE seq = 2");
  AuditCheck c = Verify();
  EXPECT_FALSE(c.intact);
  EXPECT_EQ(c.first_broken_seq, 3);
  EXPECT_NE(c.reason.find("prev_hash mismatch"), std::string::npos) << c.reason;
}

TEST_P(AuditChainTest, ConcurrentAppendsFromTwoConnectionsNeverFork) {
  auto other = db_->MustOpen();  // as a second facegate process would
  ASSERT_TRUE(other);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    Store* s = (t % 2) ? other.get() : store_.get();
    threads.emplace_back([s, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = s->AppendAudit(Event("identify", Numbered("T", t)));
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  AuditCheck c = Verify();
  EXPECT_TRUE(c.intact) << c.reason;
  EXPECT_EQ(c.events, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditChainTest, ::testing::ValuesIn(TestBackends()),
                         BackendName());

}  // namespace
}  // namespace facegate::store
