// Two Store objects on one database, as two facegate processes or nodes would
// have, on every backend: the audit chain never forks, a "once" consent is
// spent once, notice versions never repeat, and a withdrawal or a shredded key
// on one is seen by the other at once (REQ C4, C5, S6, S7).
#include <facegate/store.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "store/audit_chain.h"
#include "store_backends.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

class TwoConnections : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    other_ = db_->MustOpen();
    ASSERT_TRUE(other_);
    a_ = store_.get();
    b_ = other_.get();
  }
  void TearDown() override {
    other_.reset();
    BackendTest::TearDown();
  }
  AuditEvent Event(const std::string& actor, int i) {
    AuditEvent e;
    e.at = kNow + i;
    e.actor = actor;
    e.action = "verify";
    e.subject = Numbered("S", i);
    e.purpose = "office-entry";
    e.outcome = "ok";
    return e;
  }

  std::unique_ptr<Store> other_;
  Store* a_ = nullptr;
  Store* b_ = nullptr;
};

TEST_P(TwoConnections, InterleavedAuditAppendsLinkIntoOneChain) {  // REQ S6
  std::string prev = kGenesisHash;
  for (int i = 0; i < 40; ++i) {
    Store* s = (i % 2) ? b_ : a_;
    auto e = s->AppendAudit(Event(i % 2 ? "node-b" : "node-a", i));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->seq, i + 1) << "each connection sees the other's head";
    EXPECT_EQ(e->prev_hash, prev) << "seq " << e->seq << " links to the other's last event";
    EXPECT_EQ(e->hash, AuditHash(*e));
    prev = e->hash;
  }
  for (Store* s : {a_, b_}) {
    auto c = s->VerifyAudit();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_TRUE(c->intact) << c->reason;
    EXPECT_EQ(c->events, 40);
  }
}

TEST_P(TwoConnections, ConcurrentAuditAppendsFromBothNeverFork) {  // REQ S6
  constexpr int kEach = 100;
  std::atomic<bool> go{false};
  std::vector<std::vector<int64_t>> seqs(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Store* s = t ? b_ : a_;
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kEach; ++i) {
        auto r = s->AppendAudit(Event(t ? "node-b" : "node-a", i));
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (r.ok()) seqs[t].push_back(r->seq);
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  std::set<int64_t> all(seqs[0].begin(), seqs[0].end());
  all.insert(seqs[1].begin(), seqs[1].end());
  EXPECT_EQ(all.size(), 2u * kEach) << "no seq was handed out twice";
  EXPECT_EQ(*all.rbegin(), 2 * kEach);
  auto events = b_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u * kEach);
  for (size_t i = 1; i < events->size(); ++i) {
    ASSERT_EQ((*events)[i].prev_hash, (*events)[i - 1].hash) << "fork at seq " << (*events)[i].seq;
  }
  auto c = a_->VerifyAudit();
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->intact) << c->reason;
  EXPECT_EQ(c->events, 2 * kEach);
}

TEST_P(TwoConnections, AppendsFromSeveralProcessesNeverFork) {  // REQ S6
  // Real processes, each with its own connection, as several nodes would be.
  constexpr int kProcs = 3, kEach = 60;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = db_->Open();
      if (!s.ok()) ::_exit(3);
      for (int i = 0; i < kEach; ++i) {
        if (!(*s)->AppendAudit(Event(Numbered("proc-", p), i)).ok()) ::_exit(4);
      }
      s->reset();
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (int i = 0; i < kEach; ++i) ASSERT_TRUE(a_->AppendAudit(Event("parent", i)).ok());
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "a child failed to append (3: open, 4: append)";
  }
  auto c = b_->VerifyAudit();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->intact) << c->reason;
  EXPECT_EQ(c->events, (kProcs + 1) * kEach);
}

TEST_P(TwoConnections, OnceConsentRacedFromBothIsSpentExactlyOnce) {  // REQ C5
  MustAddPurpose(*a_, "office-entry");
  MustPublish(*a_, "office-entry");
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    ConsentRecord c = MustConsent(*a_, "S1", "office-entry", ConsentOption::kOnce);
    std::atomic<bool> go{false};
    std::atomic<int> ok{0}, conflict{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        Store* s = t ? b_ : a_;
        while (!go.load()) std::this_thread::yield();
        Status st = s->MarkConsentUsed(c.id, kNow + 1 + t);
        if (st.ok()) {
          ++ok;
        } else if (st.kind() == ErrorKind::kConflict) {
          ++conflict;
        } else {
          ++other;
          ADD_FAILURE() << st.ToString();
        }
      });
    }
    go = true;
    for (auto& th : threads) th.join();
    ASSERT_EQ(ok.load(), 1) << "round " << round;
    ASSERT_EQ(conflict.load(), 1) << "round " << round;
    ASSERT_EQ(other.load(), 0);
    auto seen_a = a_->GetConsent(c.id);
    auto seen_b = b_->GetConsent(c.id);
    ASSERT_TRUE(seen_a.ok() && seen_b.ok());
    EXPECT_EQ(seen_a->used_at, seen_b->used_at) << "both see the one spending";
  }
}

TEST_P(TwoConnections, WithdrawalOnOneIsSeenByTheOtherImmediately) {  // REQ C4
  MustAddPurpose(*a_, "office-entry");
  MustPublish(*a_, "office-entry");
  ConsentRecord c = MustConsent(*a_, "S1", "office-entry", ConsentOption::kAlways);
  auto before = b_->GetConsent(c.id);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->active_at(kNow + 1));

  ASSERT_TRUE(a_->MarkConsentWithdrawn(c.id, kNow + 2).ok());
  auto after = b_->GetConsent(c.id);  // the very next read, no wait
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->withdrawn_at, kNow + 2);
  EXPECT_FALSE(after->active_at(kNow + 3));
  EXPECT_EQ(b_->MarkConsentWithdrawn(c.id, kNow + 4).kind(), ErrorKind::kConflict)
      << "the other connection cannot withdraw it again";
}

TEST_P(TwoConnections, ShreddedKeyOnOneIsGoneForTheOther) {  // REQ S7
  ASSERT_TRUE(a_->EnsureSubject("S1", kNow).ok());
  ASSERT_TRUE(a_->PutWrappedSubjectKey("S1", std::string(72, 'k')).ok());
  ASSERT_TRUE(b_->GetWrappedSubjectKey("S1").ok());
  EXPECT_EQ(b_->PutWrappedSubjectKey("S1", std::string(72, 'j')).kind(), ErrorKind::kConflict);
  ASSERT_TRUE(a_->DestroySubjectKey("S1").ok());
  EXPECT_EQ(b_->GetWrappedSubjectKey("S1").status().kind(), ErrorKind::kNotFound);
}

TEST_P(TwoConnections, NoticeVersionsFromBothNeverRepeat) {  // REQ N3
  MustAddPurpose(*a_, "office-entry");
  constexpr int kEach = 15;
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Store* s = t ? b_ : a_;
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kEach; ++i) {
        NoticeRecord n;
        n.purpose = "office-entry";
        n.text = Numbered(t ? "b" : "a", i);
        auto r = s->PublishNotice(n);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  auto latest = b_->LatestNotice("office-entry");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 2 * kEach) << "versions 1..30 without a repeat or a gap";
}

TEST_P(TwoConnections, TransactionOnOneIsInvisibleToTheOtherUntilCommit) {
  Status s = a_->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(a_->EnsureSubject("S-pending", kNow));
    auto seen = b_->SubjectExists("S-pending");
    EXPECT_TRUE(seen.ok()) << seen.status().ToString();
    EXPECT_FALSE(seen.ok() && *seen) << "uncommitted writes are not visible elsewhere";
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(*b_->SubjectExists("S-pending"));
}

INSTANTIATE_TEST_SUITE_P(Backends, TwoConnections, ::testing::ValuesIn(TestBackends()),
                         BackendName());

}  // namespace
}  // namespace facegate::store
