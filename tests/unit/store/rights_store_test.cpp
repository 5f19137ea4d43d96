// Rights requests, restrictions and the subject file on every backend (SQLite
// in test_store, PostgreSQL in test_store_pg) (REQ R1, R2).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using RightsStore = BackendTest;

RightsRequestRecord Request(const std::string& subject, const std::string& kind,
                            UnixTime received = kNow) {
  RightsRequestRecord r;
  r.subject = subject;
  r.kind = kind;
  r.received_at = received;
  r.due_at = received + 15 * 86400;
  r.detail = R"({"note":"asked at the front desk"})";
  return r;
}

TEST_P(RightsStore, R1_RequestIsTrackedFromReceiptToCompletion) {
  auto r = store_->AddRightsRequest(Request("S1", "access"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->id, 0);
  auto got = store_->GetRightsRequest(r->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->subject, "S1");
  EXPECT_EQ(got->kind, "access");
  EXPECT_EQ(got->status, "open");
  EXPECT_EQ(got->received_at, kNow);
  EXPECT_EQ(got->due_at, kNow + 15 * 86400);
  EXPECT_FALSE(got->completed_at);
  EXPECT_FALSE(got->overdue_at(kNow + 15 * 86400));
  EXPECT_TRUE(got->overdue_at(kNow + 15 * 86400 + 1));

  ASSERT_TRUE(
      store_->CloseRightsRequest(r->id, "done", "key:op1", "", R"({"exported":true})", kNow + 60)
          .ok());
  got = store_->GetRightsRequest(r->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "done");
  EXPECT_EQ(got->handled_by, "key:op1");
  EXPECT_EQ(got->completed_at, kNow + 60);
  EXPECT_EQ(got->detail, R"({"exported":true})");
  EXPECT_FALSE(got->overdue_at(kNow + 100 * 86400)) << "a completed request is never overdue";

  // Closed once: a second close is a conflict naming who closed it.
  Status again =
      store_->CloseRightsRequest(r->id, "refused", "key:op2", "too late", "{}", kNow + 70);
  EXPECT_EQ(again.kind(), ErrorKind::kConflict);
  EXPECT_NE(again.message().find("key:op1"), std::string::npos) << again.message();
  EXPECT_EQ(store_->GetRightsRequest(9999).status().kind(), ErrorKind::kNotFound);
}

TEST_P(RightsStore, R1_RefusalNeedsAReason) {
  auto r = store_->AddRightsRequest(Request("S1", "deletion"));
  ASSERT_TRUE(r.ok());
  Status s = store_->CloseRightsRequest(r->id, "refused", "key:op1", "", "{}", kNow);
  REQUIREMENT("R1");
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(s.message().find("reason"), std::string::npos);
  EXPECT_EQ(store_->GetRightsRequest(r->id)->status, "open");
  ASSERT_TRUE(store_
                  ->CloseRightsRequest(r->id, "refused", "key:op1",
                                       "a court order requires the records to be kept", "{}", kNow)
                  .ok());
  EXPECT_EQ(store_->GetRightsRequest(r->id)->reason,
            "a court order requires the records to be kept");
  EXPECT_EQ(store_->CloseRightsRequest(r->id, "finished", "x", "", "{}", kNow).kind(),
            ErrorKind::kInvalidInput);
}

TEST_P(RightsStore, R1_SchemaRefusesUnknownKindsAndADeadlineBeforeReceipt) {
  EXPECT_EQ(store_->AddRightsRequest(Request("S1", "forget-me-maybe")).status().kind(),
            ErrorKind::kInvalidInput);
  RightsRequestRecord r = Request("S1", "access");
  r.due_at = r.received_at - 1;
  EXPECT_EQ(store_->AddRightsRequest(r).status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(store_->AddRightsRequest(Request("", "access")).status().kind(),
            ErrorKind::kInvalidInput);
}

TEST_P(RightsStore, R1_ListsBySubjectNewestFirstAndOpenOnly) {
  auto a = store_->AddRightsRequest(Request("S1", "access", kNow));
  auto b = store_->AddRightsRequest(Request("S1", "explanation", kNow + 10));
  auto c = store_->AddRightsRequest(Request("S2", "deletion", kNow + 20));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(store_->CloseRightsRequest(a->id, "done", "cli", "", "{}", kNow + 30).ok());
  auto all = store_->ListRightsRequests("", false);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, c->id);
  EXPECT_EQ((*all)[2].id, a->id);
  auto s1 = store_->ListRightsRequests("S1", false);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->size(), 2u);
  auto open = store_->ListRightsRequests("", true);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  for (const auto& r : *open) EXPECT_EQ(r.status, "open");
}

TEST_P(RightsStore, R1_ConcurrentHandlersCloseARequestOnce) {
  auto r = store_->AddRightsRequest(Request("S1", "access"));
  ASSERT_TRUE(r.ok());
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 4; ++i) stores.push_back(db_->MustOpen());
  std::atomic<int> closed{0}, conflicts{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&, i] {
      Status s =
          stores[i]->CloseRightsRequest(r->id, "done", "node" + std::to_string(i), "", "{}", kNow);
      if (s.ok()) ++closed;
      if (s.kind() == ErrorKind::kConflict) ++conflicts;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(closed.load(), 1);
  EXPECT_EQ(conflicts.load(), 3);
}

TEST_P(RightsStore, R1_RestrictionIsPlacedOnceAndLifted) {
  auto none = store_->ActiveRestriction("S1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  ASSERT_TRUE(store_->PlaceRestriction("S1", 4, kNow).ok());
  auto active = store_->ActiveRestriction("S1");
  ASSERT_TRUE(active.ok());
  ASSERT_TRUE(*active);
  EXPECT_EQ((*active)->request_id, 4);
  EXPECT_EQ((*active)->placed_at, kNow);
  EXPECT_EQ(store_->PlaceRestriction("S1", 5, kNow).kind(), ErrorKind::kConflict);
  EXPECT_FALSE(*store_->ActiveRestriction("S2")) << "only that subject";
  ASSERT_TRUE(store_->LiftRestriction("S1", kNow + 5).ok());
  EXPECT_FALSE(*store_->ActiveRestriction("S1"));
  EXPECT_EQ(store_->LiftRestriction("S1", kNow + 6).kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(store_->PlaceRestriction("S1", 6, kNow + 7).ok()) << "a new one after lifting";
}

TEST_P(RightsStore, R1_SubjectFileHoldsEverythingButTheSealedBytes) {
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  ConsentRecord c = MustConsent(*store_, "S1", "office-entry");
  MustConsent(*store_, "S2", "office-entry");
  SealedTemplate t;
  t.subject = "S1";
  t.purpose = "office-entry";
  t.model = "face_recognition_model@0.22.2";
  t.nonce = "nonce-bytes";
  t.ciphertext = "sealed-bytes";
  t.created_at = kNow;
  t.expires_at = kNow + 100;
  auto tid = store_->PutTemplate(t);
  ASSERT_TRUE(tid.ok());
  AlternativeRecord a;
  a.subject = "S1";
  a.purpose = "office-entry";
  a.method = "staff-card";
  a.opened_at = kNow;
  ASSERT_TRUE(store_->OpenAlternative(a).ok());
  ASSERT_TRUE(store_->RecordConsentRefusal("S1", "office-entry", kNow + 1).ok());
  ASSERT_TRUE(store_->PlaceRestriction("S1", 0, kNow + 2).ok());
  ASSERT_TRUE(store_->AddRightsRequest(Request("S1", "access")).ok());

  auto f = store_->ReadSubjectFile("S1");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  REQUIREMENT("R1");
  EXPECT_TRUE(f->exists);
  EXPECT_EQ(f->created_at, kNow);
  EXPECT_FALSE(f->erased_at);
  ASSERT_EQ(f->consents.size(), 1u);
  EXPECT_EQ(f->consents[0].id, c.id);
  ASSERT_EQ(f->templates.size(), 1u);
  EXPECT_EQ(f->templates[0].id, *tid);
  EXPECT_EQ(f->templates[0].model, t.model);
  EXPECT_EQ(f->templates[0].expires_at, kNow + 100);
  EXPECT_TRUE(f->templates[0].nonce.empty());
  EXPECT_TRUE(f->templates[0].ciphertext.empty())
      << "sealed bytes never leave the store in an export";
  ASSERT_EQ(f->alternatives.size(), 1u);
  EXPECT_EQ(f->alternatives[0].method, "staff-card");
  ASSERT_EQ(f->refusals.size(), 1u);
  EXPECT_EQ(f->refusals[0], (std::pair<std::string, UnixTime>{"office-entry", kNow + 1}));
  EXPECT_EQ(f->restrictions.size(), 1u);
  EXPECT_EQ(f->requests.size(), 1u);

  auto nobody = store_->ReadSubjectFile("S9");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->exists);
  EXPECT_TRUE(nobody->consents.empty());
}

TEST_P(RightsStore, R1_MatchLogListsOnlyThatSubjectsEvents) {
  for (const char* who : {"S1", "S2", "S1", "", "S1"}) {
    AuditEvent e;
    e.at = kNow;
    e.actor = "cli";
    e.action = "verify";
    e.subject = who;
    e.outcome = "ok";
    e.detail = "{}";
    ASSERT_TRUE(store_->AppendAudit(e).ok());
  }
  auto log = store_->ListAuditForSubject("S1", 0, 0);
  ASSERT_TRUE(log.ok());
  REQUIREMENT("R1");
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].seq, 1);
  EXPECT_EQ((*log)[1].seq, 3);
  EXPECT_EQ((*log)[2].seq, 5);
  auto page = store_->ListAuditForSubject("S1", 1, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ(store_->ListAuditForSubject("", 0, 0).status().kind(), ErrorKind::kInvalidInput);
}

TEST_P(RightsStore, R1_ErasureAnonymisesTheIdentityAndConsentEvidence) {
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  auto n = store_->LatestNotice("office-entry");
  ConsentRecord c;
  c.subject = "S1";
  c.purpose = "office-entry";
  c.notice_id = n->id;
  c.method = ConsentMethod::kWritten;
  c.evidence = "signed by Zhang San, form sha256 ab12";
  c.given_at = kNow;
  c.expires_at = kNow + 3600;
  auto added = store_->AddConsent(c);
  ASSERT_TRUE(added.ok());
  ConsentRecord g = c;  // a guardian's consent names the guardian (REQ M1)
  g.method = ConsentMethod::kGuardian;
  g.evidence = "";
  g.minor = true;
  g.guardian = "Zhang Si";
  g.guardian_relation = "mother";
  auto guardian = store_->AddConsent(g);
  ASSERT_TRUE(guardian.ok()) << guardian.status().ToString();
  ASSERT_TRUE(store_->SetSubjectBirthDate("S1", "2015-06-01").ok());
  ASSERT_TRUE(db_->RawExec("UPDATE subjects SET display_name = 'Zhang San' WHERE id = 'S1'"));
  ASSERT_TRUE(store_->EraseSubjectIdentity("S1", kNow + 9).ok());
  REQUIREMENT("R1");
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM subjects WHERE display_name IS NOT NULL"), 0);
  EXPECT_EQ(*store_->SubjectBirthDate("S1"), "") << "the birth date is identity data too";
  auto g_kept = store_->GetConsent(guardian->id);
  ASSERT_TRUE(g_kept.ok());
  EXPECT_EQ(g_kept->guardian, "") << "the guardian's identity is erased";
  EXPECT_EQ(g_kept->guardian_relation, "mother");
  EXPECT_TRUE(g_kept->minor);
  EXPECT_EQ(db_->RawInt("SELECT erased_at FROM subjects WHERE id = 'S1'"), kNow + 9);
  auto kept = store_->GetConsent(added->id);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->evidence.find("Zhang"), std::string::npos) << kept->evidence;
  EXPECT_NE(kept->evidence.find("erased"), std::string::npos);
  EXPECT_EQ(kept->given_at, kNow) << "the record of earlier, lawful processing stays";
  auto f = store_->ReadSubjectFile("S1");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->erased_at, kNow + 9);
  EXPECT_EQ(store_->EraseSubjectIdentity("S9", kNow).kind(), ErrorKind::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, RightsStore, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
