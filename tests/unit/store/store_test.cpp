// The Store as a specification, on every backend (SQLite in test_store,
// PostgreSQL in test_store_pg): migrations, records, errors, transactions and
// concurrency (REQ C2, C5, S3, S5, S7). SQLite-only checks (file modes, WAL,
// bytes on disk) are in sqlite_store_test.cpp.
#include <facegate/store.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

// ---- opening and migrations ----

using StoreOpen = BackendTest;

TEST_P(StoreOpen, ForeignKeysRefuseAConsentForAnUnknownPurpose) {
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ConsentRecord c;
  c.subject = "S1";
  c.purpose = "no-such-purpose";
  c.expires_at = kNow + 10;
  auto r = store_->AddConsent(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("no-such-purpose"), std::string::npos);
}

TEST_P(StoreOpen, MigrationsAreIdempotentAcrossOpens) {
  MustAddPurpose(*store_, "office-entry");
  store_.reset();
  store_ = db_->MustOpen();  // second open: nothing to apply, data intact
  ASSERT_TRUE(store_);
  EXPECT_TRUE(store_->GetPurpose("office-entry").ok());
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(db_->Migrations().size()));
  EXPECT_EQ(db_->RawInt("SELECT MAX(version) FROM schema_migrations"),
            db_->Migrations().back().version);
}

TEST_P(StoreOpen, LowerVersionLandingLaterIsApplied) {
  // A database made while a lower migration version had not landed yet (here
  // simulated by forgetting migration 3) gets it on the next open.
  store_.reset();
  std::string err;
  ASSERT_TRUE(db_->RawExec("DROP TABLE consent_refusals; DROP TABLE alternatives; "
                           "DELETE FROM schema_migrations WHERE version = 3",
                           &err))
      << err;
  store_ = db_->MustOpen();
  ASSERT_TRUE(store_);
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM schema_migrations WHERE version = 3"), 1);
  MustAddPurpose(*store_, "office-entry");
  EXPECT_TRUE(store_->RecordConsentRefusal("S1", "office-entry", kNow).ok());
}

TEST_P(StoreOpen, RefusesDatabaseWithNewerSchema) {
  store_.reset();
  std::string err;
  ASSERT_TRUE(
      db_->RawExec("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)", &err))
      << err;
  auto r = db_->Open();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(r.status().message().find("999"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("upgrade facegate"), std::string::npos);
}

// ---- records ----

using StoreTest = BackendTest;

TEST_P(StoreTest, PurposeRoundTripsAndDuplicateConflicts) {
  MustAddPurpose(*store_, "office-entry", Scenario::kIdentification);
  auto p = store_->GetPurpose("office-entry");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->scenario, Scenario::kIdentification);
  EXPECT_EQ(p->retention_days, 365);
  EXPECT_EQ(p->alternatives, (std::vector<std::string>{"staff-card", "pin"}));
  EXPECT_EQ(p->created_at, kNow);

  PurposeRecord dup = *p;
  Status s = store_->AddPurpose(dup);
  EXPECT_EQ(s.kind(), ErrorKind::kConflict);
  EXPECT_NE(s.message().find("office-entry"), std::string::npos);

  MustAddPurpose(*store_, "canteen");
  auto all = store_->ListPurposes();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "canteen");
}

// Migration 6: a purpose keeps where it requires a live face; older purposes read as "off".
TEST_P(StoreTest, PurposeKeepsItsLivenessRequirement) {
  PurposeRecord p;
  p.name = "gate";
  p.scenario = Scenario::kVerification;
  p.retention_days = 30;
  p.alternatives = {"staff-card"};
  p.created_at = kNow;
  p.liveness = LivenessRequirement::kBoth;
  ASSERT_TRUE(store_->AddPurpose(p).ok());
  MustAddPurpose(*store_, "plain");
  auto got = store_->GetPurpose("gate");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->liveness, LivenessRequirement::kBoth);
  EXPECT_EQ(store_->GetPurpose("plain")->liveness, LivenessRequirement::kOff);
  auto all = store_->ListPurposes();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].liveness, LivenessRequirement::kBoth);  // "gate" < "plain"
  EXPECT_EQ(ParseLivenessRequirement("verify"), LivenessRequirement::kVerify);
  EXPECT_FALSE(ParseLivenessRequirement("sometimes").has_value());
}

TEST_P(StoreTest, UnknownPurposeIsNotFoundAndNamed) {
  auto p = store_->GetPurpose("lab-door");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(p.status().message().find("lab-door"), std::string::npos);
}

TEST_P(StoreTest, NoticeVersionsCountUpPerPurposeAndBindTheTextDigest) {
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "canteen");
  NoticeRecord a = MustPublish(*store_, "office-entry", "v1 text");
  NoticeRecord b = MustPublish(*store_, "office-entry", "v2 text");
  NoticeRecord c = MustPublish(*store_, "canteen", "canteen text");
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(b.version, 2);
  EXPECT_EQ(c.version, 1);
  EXPECT_NE(a.id, b.id);
  // sha256("v1 text"), computed independently.
  EXPECT_EQ(a.sha256, "8cd8b7aa58f02e8d05d6e589f08b90c296550af0561552d359758ae37ade50f9");

  auto latest = store_->LatestNotice("office-entry");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->id, b.id);
  EXPECT_EQ(latest->text, "v2 text");
  auto got = store_->GetNotice(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->sha256, a.sha256);
}

TEST_P(StoreTest, NoticeWithWrongDigestOrUnknownPurposeIsRefused) {
  MustAddPurpose(*store_, "office-entry");
  NoticeRecord n;
  n.purpose = "office-entry";
  n.text = "text";
  n.sha256 = std::string(64, 'a');
  EXPECT_EQ(store_->PublishNotice(n).status().kind(), ErrorKind::kInvalidInput);
  n.sha256.clear();
  n.purpose = "nowhere";
  auto r = store_->PublishNotice(n);
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("nowhere"), std::string::npos);
  auto missing = store_->GetNotice(4242);
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(missing.status().message().find("4242"), std::string::npos);
  EXPECT_EQ(store_->LatestNotice("office-entry").status().kind(), ErrorKind::kNotFound);
}

TEST_P(StoreTest, SubjectsAreRegisteredOnce) {
  EXPECT_FALSE(*store_->SubjectExists("S1"));
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow + 5).ok());  // idempotent
  EXPECT_TRUE(*store_->SubjectExists("S1"));
  EXPECT_EQ(store_->EnsureSubject("", kNow).kind(), ErrorKind::kInvalidInput);
}

TEST_P(StoreTest, ConsentRoundTripsAndListsNewestFirst) {
  MustAddPurpose(*store_, "office-entry");
  NoticeRecord n = MustPublish(*store_, "office-entry");
  ConsentRecord first = MustConsent(*store_, "S1", "office-entry", ConsentOption::kOnce);
  ConsentRecord c;
  c.subject = "S1";
  c.purpose = "office-entry";
  c.notice_id = n.id;
  c.option = ConsentOption::kWhileInUse;
  c.method = ConsentMethod::kGuardian;
  c.evidence = "guardian G7, parent";
  c.given_at = kNow + 10;
  c.expires_at = kNow + 100;
  c.session = "kiosk-3";
  auto second = store_->AddConsent(c);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->notice_sha256, n.sha256) << "filled from the notice (REQ C2)";

  auto got = store_->GetConsent(second->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->option, ConsentOption::kWhileInUse);
  EXPECT_EQ(got->method, ConsentMethod::kGuardian);
  EXPECT_EQ(got->evidence, "guardian G7, parent");
  EXPECT_EQ(got->session, "kiosk-3");
  EXPECT_EQ(got->legal_basis, "consent");
  EXPECT_FALSE(got->used_at.has_value());
  EXPECT_FALSE(got->withdrawn_at.has_value());

  auto list = store_->ListConsents("S1", "office-entry");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, second->id);
  EXPECT_EQ((*list)[1].id, first.id);
}

TEST_P(StoreTest, ConsentMustNameTheNoticeOfItsPurpose) {
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "canteen");
  MustPublish(*store_, "office-entry");
  NoticeRecord canteen = MustPublish(*store_, "canteen", "canteen");
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ConsentRecord c;
  c.subject = "S1";
  c.purpose = "office-entry";
  c.notice_id = canteen.id;  // REQ C1: consent is for exactly one purpose
  c.expires_at = kNow + 10;
  EXPECT_EQ(store_->AddConsent(c).status().kind(), ErrorKind::kInvalidInput);
  c.notice_id = 777;
  auto r = store_->AddConsent(c);
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("777"), std::string::npos);
  c.subject = "S-unknown";
  r = store_->AddConsent(c);
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("S-unknown"), std::string::npos);
}

TEST_P(StoreTest, OnceConsentIsSpentOnlyOnce) {  // REQ C5
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  ConsentRecord c = MustConsent(*store_, "S1", "office-entry", ConsentOption::kOnce);
  ASSERT_TRUE(store_->MarkConsentUsed(c.id, kNow + 1).ok());
  Status again = store_->MarkConsentUsed(c.id, kNow + 2);
  EXPECT_EQ(again.kind(), ErrorKind::kConflict);
  EXPECT_EQ(*store_->GetConsent(c.id)->used_at, kNow + 1);
  Status unknown = store_->MarkConsentUsed(9090, kNow);
  EXPECT_EQ(unknown.kind(), ErrorKind::kNotFound);
  EXPECT_NE(unknown.message().find("9090"), std::string::npos);
}

TEST_P(StoreTest, WithdrawalIsRecordedOnce) {  // REQ C4
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  ConsentRecord c = MustConsent(*store_, "S1", "office-entry");
  ASSERT_TRUE(store_->MarkConsentWithdrawn(c.id, kNow + 3).ok());
  EXPECT_EQ(*store_->GetConsent(c.id)->withdrawn_at, kNow + 3);
  EXPECT_FALSE(store_->GetConsent(c.id)->active_at(kNow + 4));
  EXPECT_EQ(store_->MarkConsentWithdrawn(c.id, kNow + 4).kind(), ErrorKind::kConflict);
  EXPECT_EQ(store_->MarkConsentWithdrawn(31337, kNow).kind(), ErrorKind::kNotFound);
}

SealedTemplate FakeSealed(const std::string& subject, const std::string& purpose, char fill) {
  SealedTemplate t;
  t.subject = subject;
  t.purpose = purpose;
  t.model = "face-api-1.7.15/face_recognition_model";
  t.nonce = std::string(24, fill);
  t.ciphertext = std::string(528, fill);
  t.created_at = kNow;
  t.expires_at = kNow + 86400;
  return t;
}

TEST_P(StoreTest, TemplatesAreKeptPerSubjectAndPurpose) {  // REQ S3
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "canteen");
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ASSERT_TRUE(store_->EnsureSubject("S2", kNow).ok());
  auto id1 = store_->PutTemplate(FakeSealed("S1", "office-entry", 'a'));
  auto id2 = store_->PutTemplate(FakeSealed("S1", "office-entry", 'b'));
  ASSERT_TRUE(id1.ok() && id2.ok());
  ASSERT_TRUE(store_->PutTemplate(FakeSealed("S1", "canteen", 'c')).ok());
  ASSERT_TRUE(store_->PutTemplate(FakeSealed("S2", "office-entry", 'd')).ok());

  auto got = store_->GetTemplates("S1", "office-entry");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].id, *id1);
  EXPECT_EQ((*got)[1].ciphertext, std::string(528, 'b'));
  EXPECT_EQ((*got)[0].nonce, std::string(24, 'a'));
  EXPECT_EQ((*got)[0].expires_at, kNow + 86400);
  EXPECT_EQ(*store_->CountTemplates("S1"), 3);

  EXPECT_EQ(*store_->DeleteTemplates("S1", "office-entry"), 2);
  EXPECT_EQ(*store_->CountTemplates("S1"), 1);
  EXPECT_EQ(*store_->CountTemplates("S2"), 1);
  EXPECT_EQ(*store_->DeleteTemplates("S1", "office-entry"), 0);
}

TEST_P(StoreTest, ListTemplatesForPurposeGivesOnlyThatScopeBySubjectThenId) {  // REQ SC2
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "canteen");
  ASSERT_TRUE(store_->EnsureSubject("S2", kNow).ok());
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  auto a = store_->PutTemplate(FakeSealed("S2", "office-entry", 'a'));
  auto b = store_->PutTemplate(FakeSealed("S1", "office-entry", 'b'));
  ASSERT_TRUE(store_->PutTemplate(FakeSealed("S1", "canteen", 'c')).ok());
  auto c = store_->PutTemplate(FakeSealed("S1", "office-entry", 'd'));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());

  auto got = store_->ListTemplatesForPurpose("office-entry");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].id, *b);
  EXPECT_EQ((*got)[1].id, *c);
  EXPECT_EQ((*got)[2].id, *a);
  EXPECT_EQ((*got)[2].subject, "S2");
  EXPECT_EQ((*got)[1].ciphertext, std::string(528, 'd'));
  for (const SealedTemplate& t : *got) EXPECT_EQ(t.purpose, "office-entry");

  ASSERT_EQ(*store_->DeleteTemplates("S1", "office-entry"), 2);
  got = store_->ListTemplatesForPurpose("office-entry");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].subject, "S2");
  auto none = store_->ListTemplatesForPurpose("unknown-purpose");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreTest, S5_DeleteExpiredTemplatesRemovesOnlyThoseDue) {
  MustAddPurpose(*store_, "office-entry");
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ASSERT_TRUE(store_->EnsureSubject("S2", kNow).ok());
  SealedTemplate early = FakeSealed("S1", "office-entry", 'a');
  early.expires_at = kNow + 100;
  SealedTemplate late = FakeSealed("S2", "office-entry", 'b');
  late.expires_at = kNow + 200;
  auto e = store_->PutTemplate(early);
  ASSERT_TRUE(e.ok() && store_->PutTemplate(late).ok());

  auto none = store_->DeleteExpiredTemplates(kNow + 99);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  REQUIREMENT("S5");
  EXPECT_TRUE(none->empty());
  auto gone = store_->DeleteExpiredTemplates(kNow + 100);  // due at its expiry second
  ASSERT_TRUE(gone.ok());
  ASSERT_EQ(gone->size(), 1u);
  EXPECT_EQ((*gone)[0].id, *e);
  EXPECT_EQ((*gone)[0].subject, "S1");
  EXPECT_EQ((*gone)[0].purpose, "office-entry");
  EXPECT_EQ(*store_->CountTemplates("S1"), 0);
  EXPECT_EQ(*store_->CountTemplates("S2"), 1);
}

// A scope index on another node learns from the version that it missed a
// change, and from the id lists what changed (REQ SC2, C4, S7).
TEST_P(StoreTest, PurposeTemplateVersionChangesWithEveryWriteAndDeleteOfThatPurposeOnly) {
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "site-roster");
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ASSERT_TRUE(store_->EnsureSubject("S2", kNow).ok());
  EXPECT_EQ(*store_->PurposeTemplateVersion("office-entry"), 0);
  auto a = store_->PutTemplate(FakeSealed("S1", "office-entry", 'a'));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const int64_t v1 = *store_->PurposeTemplateVersion("office-entry");
  EXPECT_GT(v1, 0);
  auto b = store_->PutTemplate(FakeSealed("S2", "office-entry", 'b'));
  ASSERT_TRUE(b.ok());
  const int64_t v2 = *store_->PurposeTemplateVersion("office-entry");
  EXPECT_NE(v2, v1);
  ASSERT_TRUE(store_->PutTemplate(FakeSealed("S1", "site-roster", 'c')).ok());
  EXPECT_EQ(*store_->PurposeTemplateVersion("office-entry"), v2);  // another purpose's write

  EXPECT_EQ(*store_->ListTemplateIdsForPurpose("office-entry"), (std::vector<int64_t>{*a, *b}));
  auto after = store_->ListTemplatesForPurposeAfter("office-entry", *a);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, *b);
  EXPECT_EQ((*after)[0].subject, "S2");
  EXPECT_FALSE((*after)[0].ciphertext.empty());

  ASSERT_EQ(*store_->DeleteTemplates("S1", "office-entry"), 1);
  const int64_t v3 = *store_->PurposeTemplateVersion("office-entry");
  EXPECT_NE(v3, v2);
  EXPECT_EQ(*store_->ListTemplateIdsForPurpose("office-entry"), (std::vector<int64_t>{*b}));
  ASSERT_EQ(store_->DeleteExpiredTemplates(kNow + 10 * 365 * 86400)->size(), 2u);
  EXPECT_NE(*store_->PurposeTemplateVersion("office-entry"), v3);
  EXPECT_TRUE(store_->ListTemplateIdsForPurpose("office-entry")->empty());
}

TEST_P(StoreTest, TemplateNeedsSealedBytesAndAKnownSubject) {  // REQ S3, S4
  MustAddPurpose(*store_, "office-entry");
  SealedTemplate t = FakeSealed("ghost", "office-entry", 'x');
  auto r = store_->PutTemplate(t);
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("ghost"), std::string::npos);
  ASSERT_TRUE(store_->EnsureSubject("ghost", kNow).ok());
  t.ciphertext.clear();
  EXPECT_EQ(store_->PutTemplate(t).status().kind(), ErrorKind::kInvalidInput);
}

TEST_P(StoreTest, SubjectKeyIsStoredOnceAndDestroyable) {  // REQ S7
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  auto none = store_->GetWrappedSubjectKey("S1");
  EXPECT_EQ(none.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(none.status().message().find("S1"), std::string::npos);
  ASSERT_TRUE(store_->PutWrappedSubjectKey("S1", std::string(72, 'k')).ok());
  EXPECT_EQ(store_->PutWrappedSubjectKey("S1", std::string(72, 'j')).kind(), ErrorKind::kConflict);
  EXPECT_EQ(*store_->GetWrappedSubjectKey("S1"), std::string(72, 'k'));
  ASSERT_TRUE(store_->DestroySubjectKey("S1").ok());
  EXPECT_EQ(store_->GetWrappedSubjectKey("S1").status().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->DestroySubjectKey("S1").ok()) << "shredding twice is not an error";
}

// ---- transactions ----

TEST_P(StoreTest, FailedTransactionLeavesNothing) {
  Status s = store_->Transaction([&]() -> Status {
    MustAddPurpose(*store_, "office-entry");
    EXPECT_TRUE(store_->EnsureSubject("S1", kNow).ok());
    AuditEvent e;
    e.actor = "t";
    e.action = "x";
    EXPECT_TRUE(store_->AppendAudit(e).ok());
    return Status::Conflict("the body changed its mind");
  });
  EXPECT_EQ(s.kind(), ErrorKind::kConflict);
  EXPECT_EQ(store_->GetPurpose("office-entry").status().kind(), ErrorKind::kNotFound);
  EXPECT_FALSE(*store_->SubjectExists("S1"));
  EXPECT_TRUE(store_->ListAudit(0, 0)->empty());
}

TEST_P(StoreTest, TransactionCommitsStoreCallsMadeInsideItsBody) {
  Status s = store_->Transaction([&]() -> Status {
    MustAddPurpose(*store_, "office-entry");  // store methods join the open transaction
    FG_RETURN_IF_ERROR(store_->EnsureSubject("S1", kNow));
    NoticeRecord draft;
    draft.purpose = "office-entry";
    draft.text = "t";
    FG_ASSIGN_OR_RETURN(NoticeRecord n, store_->PublishNotice(draft));
    EXPECT_EQ(n.version, 1);
    return store_->Transaction([&] { return store_->EnsureSubject("S2", kNow); });
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store_->GetPurpose("office-entry").ok());
  EXPECT_TRUE(*store_->SubjectExists("S2"));
}

TEST_P(StoreTest, FailedInnerStepUndoesOnlyItself) {
  Status s = store_->Transaction([&]() -> Status {
    EXPECT_TRUE(store_->EnsureSubject("S1", kNow).ok());
    Status inner = store_->Transaction([&]() -> Status {
      EXPECT_TRUE(store_->EnsureSubject("S2", kNow).ok());
      return Status::InvalidInput("inner fails");
    });
    EXPECT_EQ(inner.kind(), ErrorKind::kInvalidInput);
    // A failing store method inside the body is itself undone, e.g. a consent
    // whose notice does not exist.
    ConsentRecord bad;
    bad.subject = "S1";
    bad.purpose = "nope";
    EXPECT_FALSE(store_->AddConsent(bad).ok());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(*store_->SubjectExists("S1"));
  EXPECT_FALSE(*store_->SubjectExists("S2"));
}

TEST_P(StoreTest, CrashInsideTransactionLeavesNothing) {
  // A child process opens the store, writes inside a transaction and dies
  // before COMMIT; none of it may appear (SQLite: the WAL; PostgreSQL: the
  // server rolls back the dropped connection's transaction).
  store_.reset();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = db_->Open();
    if (!r.ok()) ::_exit(3);
    (void)(*r)->Transaction([&]() -> Status {
      PurposeRecord p;
      p.name = "half-written";
      if (!(*r)->AddPurpose(p).ok()) ::_exit(4);
      if (!(*r)->EnsureSubject("S-crash", kNow).ok()) ::_exit(5);
      ::_exit(0);  // "power cut": no COMMIT, no close
    });
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  store_ = db_->MustOpen();
  ASSERT_TRUE(store_);
  EXPECT_EQ(store_->GetPurpose("half-written").status().kind(), ErrorKind::kNotFound);
  EXPECT_FALSE(*store_->SubjectExists("S-crash"));
}

// ---- concurrency ----

TEST_P(StoreTest, ConcurrentWritersLoseNoWrites) {
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  constexpr int kThreads = 4, kEach = 200;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(store_->EnsureSubject(Numbered("S", t), kNow).ok());
  }
  auto n = *store_->LatestNotice("office-entry");
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ConsentRecord c;
        c.subject = Numbered("S", t);
        c.purpose = "office-entry";
        c.notice_id = n.id;
        c.expires_at = kNow + 10;
        if (!store_->AddConsent(c).ok()) ++failures;
        AuditEvent e;
        e.actor = Numbered("thread-", t);
        e.action = "consent.give";
        e.subject = c.subject;
        e.outcome = "ok";
        if (!store_->AppendAudit(e).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ measure  ] " << kThreads * kEach * 2 << " writes (AddConsent + AppendAudit) in "
            << secs << " s = " << (kThreads * kEach * 2) / secs << " commits/s\n";
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(store_->ListConsents(Numbered("S", t), "office-entry")->size(),
              static_cast<size_t>(kEach));
  }
  auto events = store_->ListAudit(0, 0);
  ASSERT_EQ(events->size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(events->back().seq, kThreads * kEach);
  auto check = store_->VerifyAudit();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->intact) << check->reason;
}

TEST_P(StoreTest, OnceConsentIsSpentExactlyOnceUnderContention) {  // REQ C5
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  ConsentRecord c = MustConsent(*store_, "S1", "office-entry", ConsentOption::kOnce);
  // Two connections to one file, as two facegate processes would have.
  auto other = db_->MustOpen();
  ASSERT_TRUE(other);
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, conflict{0}, other_error{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store* s = (t % 2) ? other.get() : store_.get();
    threads.emplace_back([&, s, t] {
      while (!go.load()) std::this_thread::yield();
      Status st = s->MarkConsentUsed(c.id, kNow + t);
      if (st.ok()) {
        ++ok;
      } else if (st.kind() == ErrorKind::kConflict) {
        ++conflict;
      } else {
        ++other_error;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), kThreads - 1);
  EXPECT_EQ(other_error.load(), 0);
}

// ---- alternative transactions and consent refusals (REQ A2, C6, C7, D7) ----

AlternativeRecord Alt(const std::string& subject, const std::string& session, UnixTime at) {
  AlternativeRecord a;
  a.subject = subject;
  a.purpose = "office-entry";
  a.session = session;
  a.method = "staff-card";
  a.opened_at = at;
  return a;
}

TEST_P(StoreTest, A2_AlternativeIsOpenForItsSubjectPurposeAndSessionUntilClosed) {
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "canteen");
  auto id = store_->OpenAlternative(Alt("S1", "kiosk-7", kNow));
  ASSERT_TRUE(id.ok()) << id.status().message();

  auto open = store_->OpenAlternativeFor("S1", "office-entry", "kiosk-7", kNow + 1);
  ASSERT_TRUE(open.ok());
  ASSERT_TRUE(open->has_value());
  EXPECT_EQ((*open)->id, *id);
  EXPECT_EQ((*open)->method, "staff-card");
  EXPECT_EQ((*open)->opened_at, kNow);
  EXPECT_FALSE((*open)->closed_at.has_value());
  EXPECT_EQ((*open)->outcome, "");
  // Another session, subject or purpose is not covered; nor is a time before it opened.
  EXPECT_FALSE(store_->OpenAlternativeFor("S1", "office-entry", "kiosk-8", kNow + 1)->has_value());
  EXPECT_FALSE(store_->OpenAlternativeFor("S2", "office-entry", "kiosk-7", kNow + 1)->has_value());
  EXPECT_FALSE(store_->OpenAlternativeFor("S1", "canteen", "kiosk-7", kNow + 1)->has_value());
  EXPECT_FALSE(store_->OpenAlternativeFor("S1", "office-entry", "kiosk-7", kNow - 1)->has_value());

  ASSERT_TRUE(store_->CloseAlternative(*id, "granted", kNow + 5).ok());
  EXPECT_TRUE(store_->OpenAlternativeFor("S1", "office-entry", "kiosk-7", kNow + 4)->has_value());
  EXPECT_FALSE(store_->OpenAlternativeFor("S1", "office-entry", "kiosk-7", kNow + 5)->has_value());
  auto closed = store_->GetAlternative(*id);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->outcome, "granted");
  EXPECT_EQ(*closed->closed_at, kNow + 5);
}

TEST_P(StoreTest, C6_AlternativeOutcomeIsRecordedOnceAndOnlyGrantedOrDenied) {
  MustAddPurpose(*store_, "office-entry");
  auto id = store_->OpenAlternative(Alt("S1", "", kNow));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(store_->CloseAlternative(*id, "maybe", kNow + 1).kind(), ErrorKind::kInvalidInput);
  ASSERT_TRUE(store_->CloseAlternative(*id, "denied", kNow + 1).ok());
  Status again = store_->CloseAlternative(*id, "granted", kNow + 2);
  EXPECT_EQ(again.kind(), ErrorKind::kConflict);
  EXPECT_NE(again.message().find("denied"), std::string::npos) << again.message();
  EXPECT_EQ(store_->GetAlternative(*id)->outcome, "denied");
  EXPECT_EQ(store_->CloseAlternative(4242, "granted", kNow).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(store_->GetAlternative(4242).status().kind(), ErrorKind::kNotFound);
  // The purpose must be declared.
  AlternativeRecord stray = Alt("S1", "", kNow);
  stray.purpose = "no-such-purpose";
  EXPECT_EQ(store_->OpenAlternative(stray).status().kind(), ErrorKind::kNotFound);
}

TEST_P(StoreTest, A2_NewestOpenAlternativeIsReported) {
  MustAddPurpose(*store_, "office-entry");
  auto first = store_->OpenAlternative(Alt("S1", "k", kNow));
  auto second = store_->OpenAlternative(Alt("S1", "k", kNow + 2));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*store_->OpenAlternativeFor("S1", "office-entry", "k", kNow + 3))->id, *second);
  ASSERT_TRUE(store_->CloseAlternative(*second, "granted", kNow + 3).ok());
  EXPECT_EQ((*store_->OpenAlternativeFor("S1", "office-entry", "k", kNow + 3))->id, *first);
}

TEST_P(StoreTest, C7_LastConsentRefusalIsTheLatestPerSubjectAndPurpose) {
  MustAddPurpose(*store_, "office-entry");
  MustAddPurpose(*store_, "canteen");
  auto none = store_->LastConsentRefusal("S1", "office-entry");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->RecordConsentRefusal("S1", "office-entry", kNow + 10).ok());
  ASSERT_TRUE(store_->RecordConsentRefusal("S1", "office-entry", kNow + 5).ok());
  ASSERT_TRUE(store_->RecordConsentRefusal("S1", "canteen", kNow + 99).ok());
  EXPECT_EQ(**store_->LastConsentRefusal("S1", "office-entry"), kNow + 10);
  EXPECT_FALSE(store_->LastConsentRefusal("S2", "office-entry")->has_value());
  EXPECT_EQ(store_->RecordConsentRefusal("S1", "no-such-purpose", kNow).kind(),
            ErrorKind::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreOpen, ::testing::ValuesIn(TestBackends()), BackendName());
INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
