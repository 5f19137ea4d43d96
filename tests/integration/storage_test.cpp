// Storage rules on the real service, models and SQLite store: nothing of a
// probe or a photo is kept (REQ S2), deletion reaches the store, the search
// index, the key and backups (REQ S7), and the database stays local (REQ S1, S8).
#include <facegate/service.h>
#include <facegate/vault.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "../support/requirement.h"
#include "policy/gate.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("storage");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Declare(const std::string& name, Scenario scenario) {
    notice_ = DeclareWithNotice(*svc_, name, scenario);
  }
  void Consent(const std::string& subject, const std::string& purpose) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = purpose;
    r.notice_id = notice_;
    r.option = ConsentOption::kAlways;
    auto c = svc_->GiveConsent(r, "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
  }
  // Every byte the database keeps on disk (main file and write-ahead log).
  std::string DbBytes() {
    std::string bytes;
    for (const char* f : {"facegate.db", "facegate.db-wal"})
      if (std::filesystem::exists(home_ / f)) bytes += ReadAll((home_ / f).string());
    return bytes;
  }
  int64_t RawCount(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    int64_t n = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
    sqlite3_close_v2(db);
    return n;
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  int64_t notice_ = 0;
};

// REQ S2: after enrolment and verification the database holds one sealed
// template and nothing else of a face: no 64-byte run of either photo, no
// 16-byte run of the probe's template, no row added by the verification but
// its audit event, and that event carries the decision only.
TEST_F(StorageTest, S2_NothingOfTheProbeOrOfThePhotosIsStored) {
  Declare("office-entry", Scenario::kVerification);
  Consent("S1", "office-entry");
  const std::string enrol_photo = Lfw("Ai_Sugiyama", 1), probe_photo = Lfw("Ai_Sugiyama", 2);
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", enrol_photo, "", "test").ok());
  const std::string db = (home_ / "facegate.db").string();
  auto rows = [&] {
    int64_t n = 0;
    for (const char* t : {"purposes", "notices", "subjects", "consents", "templates", "subject_keys",
                          "alternatives", "consent_refusals"})
      n += RawCount(db, std::string("SELECT COUNT(*) FROM ") + t);
    return n;
  };
  const int64_t rows_before = rows();
  const int64_t audit_before = RawCount(db, "SELECT COUNT(*) FROM audit_events");
  auto v = svc_->Verify("S1", "office-entry", probe_photo, "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->match);
  REQUIREMENT("S2");
  EXPECT_EQ(rows(), rows_before);
  EXPECT_EQ(RawCount(db, "SELECT COUNT(*) FROM templates"), 1);
  EXPECT_EQ(RawCount(db, "SELECT COUNT(*) FROM audit_events"), audit_before + 1);

  // the verification's audit event: decision, distance, threshold, model, the probe's quality
  // level (a word) and, when the purpose requires it, the liveness verdict; no face data
  auto events = svc_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->back().action, "verify");
  auto detail = nlohmann::json::parse(events->back().detail);
  for (auto& [key, value] : detail.items())
    EXPECT_TRUE(key == "grant" || key == "consent_id" || key == "match" || key == "distance" ||
                key == "threshold" || key == "model" || key == "quality" || key == "liveness")
        << "unexpected field in the verify event: " << key;
  ASSERT_TRUE(detail.contains("quality"));
  EXPECT_TRUE(detail["quality"].is_string()) << "only the level, never the measures: " << detail["quality"];

  // the probe's template, recomputed under a research grant, is nowhere on disk
  auto eng = svc_->engine();
  ASSERT_TRUE(eng.ok());
  Grant g = policy::Gate::AuthorizeResearch("s2-test");
  auto rgb = vision::DecodeImage(probe_photo);
  ASSERT_TRUE(rgb.ok());
  auto faces = (*eng)->Detect(g, *rgb);
  ASSERT_TRUE(faces.ok() && faces->size() == 1);
  auto t = (*eng)->Extract(g, *rgb, faces->front());
  ASSERT_TRUE(t.ok());
  const std::string bytes = DbBytes();
  ASSERT_GT(bytes.size(), 4096u);
  const char* raw = reinterpret_cast<const char*>(t->values().data());
  for (int i = 0; i + 4 <= kTemplateDim; ++i)
    ASSERT_EQ(bytes.find(std::string(raw + i * 4, 16)), std::string::npos) << "probe float " << i;
  // neither photo: no 64-byte run of either file (past the JPEG header)
  for (const std::string* photo : {&enrol_photo, &probe_photo})
    for (size_t off = 1024; off + 64 <= photo->size(); off += 1024)
      ASSERT_EQ(bytes.find(photo->substr(off, 64)), std::string::npos) << "photo bytes at " << off;
}

// REQ S7: withdrawal removes the person from the store, the loaded search
// index and the key; a backup made before it keeps the sealed templates but no
// key, so they cannot be opened afterwards, not even restored into the live
// store, while a person who did not withdraw restores fine from the same backup.
TEST_F(StorageTest, S7_WithdrawalReachesStoreIndexKeyAndBackups) {
  Declare("site-entry", Scenario::kIdentification);
  const char* people[] = {"Alan_Greenspan", "Ai_Sugiyama", "Ahmed_Chalabi"};
  for (int i = 0; i < 3; ++i) {
    const std::string subject = "P" + std::to_string(i);
    Consent(subject, "site-entry");
    for (int k : {1, 2}) ASSERT_TRUE(svc_->Enrol(subject, "site-entry", Lfw(people[i], k), "", "test").ok());
  }
  const std::string backup = (home_ / "before-withdrawal.db").string();
  ASSERT_TRUE(svc_->Backup(backup, "test").ok());
  EXPECT_EQ(svc_->Backup(backup, "test").kind(), ErrorKind::kConflict);  // never overwritten
  const std::string probe = Lfw("Ai_Sugiyama", 3);
  auto before = svc_->Identify("site-entry", probe, "test");  // loads the index
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_TRUE(before->identified);
  ASSERT_EQ(before->subject, "P1");

  REQUIREMENT("S7");
  auto w = svc_->WithdrawConsent("P1", "site-entry", "test");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->templates_deleted, 2);
  EXPECT_TRUE(w->key_destroyed);
  // store and key
  EXPECT_EQ(*svc_->store().CountTemplates("P1"), 0);
  EXPECT_EQ(svc_->store().GetWrappedSubjectKey("P1").status().kind(), ErrorKind::kNotFound);
  // index: the loaded scope no longer returns P1
  auto after = svc_->Identify("site-entry", probe, "test");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_NE(after->subject, "P1");

  // the backup holds the sealed templates and no key at all
  EXPECT_EQ(RawCount(backup, "SELECT COUNT(*) FROM templates WHERE subject = 'P1'"), 2);
  EXPECT_EQ(RawCount(backup, "SELECT COUNT(*) FROM subject_keys"), 0);
  EXPECT_EQ(RawCount(backup, "SELECT COUNT(*) FROM purpose_keys"), 0);
  auto old = store::OpenSqliteStore(backup);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  auto vault = store::Vault::Open((home_ / "master.key").string());
  ASSERT_TRUE(vault.ok());
  policy::Gate gate(svc_->store());
  auto grant = gate.AuthorizeScopeSearch("site-entry");  // an identify grant opens any member
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  // opened where it lies, with the live master key: no key in the backup
  EXPECT_EQ(vault->OpenAll(*grant, **old, "P1").status().kind(), ErrorKind::kNotFound);
  // restored into the live store: the key it was sealed with is destroyed
  auto restore = [&](const std::string& subject) {
    auto sealed = (*old)->GetTemplates(subject, "site-entry");
    ASSERT_TRUE(sealed.ok());
    ASSERT_EQ(sealed->size(), 2u);
    for (SealedTemplate t : *sealed) ASSERT_TRUE(svc_->store().PutTemplate(t).ok());
  };
  restore("P1");
  auto shredded = vault->OpenAll(*grant, svc_->store(), "P1");
  EXPECT_EQ(shredded.status().kind(), ErrorKind::kNotFound) << shredded.status().ToString();
  EXPECT_NE(shredded.status().message().find("S7"), std::string::npos);
  restore("P2");  // kept consent: the backup's copy is readable with the live key
  auto kept = vault->OpenAll(*grant, svc_->store(), "P2");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->size(), 4u);
}

// REQ S7 with two purposes: a person withdraws one purpose and keeps another. The withdrawn
// purpose's copies in a backup made before are unreadable even with every key the live
// database still holds, while the kept purpose's copies in the same backup open: keys are per
// subject and purpose, so shredding one purpose leaves the other's key alone.
TEST_F(StorageTest, S7_WithdrawingOnePurposeShredsItsCopiesWhileTheOtherPurposeStaysReadable) {
  Declare("site-entry", Scenario::kIdentification);
  Consent("P1", "site-entry");
  Declare("canteen", Scenario::kIdentification);
  Consent("P1", "canteen");
  for (const char* purpose : {"site-entry", "canteen"})
    for (int k : {1, 2}) ASSERT_TRUE(svc_->Enrol("P1", purpose, Lfw("Ai_Sugiyama", k), "", "test").ok());
  EXPECT_EQ(RawCount((home_ / "facegate.db").string(), "SELECT COUNT(*) FROM purpose_keys"), 2);
  const std::string backup = (home_ / "before-withdrawal.db").string();
  ASSERT_TRUE(svc_->Backup(backup, "test").ok());

  REQUIREMENT("S7");
  auto w = svc_->WithdrawConsent("P1", "site-entry", "test");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->templates_deleted, 2);
  EXPECT_TRUE(w->key_destroyed);  // although P1 keeps templates for the canteen
  EXPECT_EQ(*svc_->store().CountTemplates("P1"), 2);
  EXPECT_EQ(svc_->store().GetWrappedPurposeKey("P1", "site-entry").status().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(svc_->store().GetWrappedPurposeKey("P1", "canteen").ok());

  // The backup's sealed copies of both purposes, put back into the live store, which holds
  // every key still in existence: the withdrawn purpose's cannot be opened, the kept one's can.
  auto old = store::OpenSqliteStore(backup);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(RawCount(backup, "SELECT COUNT(*) FROM templates WHERE purpose = 'site-entry'"), 2);
  auto vault = store::Vault::Open((home_ / "master.key").string());
  ASSERT_TRUE(vault.ok());
  policy::Gate gate(svc_->store());
  for (const char* purpose : {"site-entry", "canteen"}) {
    auto sealed = (*old)->GetTemplates("P1", purpose);
    ASSERT_TRUE(sealed.ok());
    ASSERT_EQ(sealed->size(), 2u);
    for (SealedTemplate t : *sealed) {
      EXPECT_TRUE(t.purpose_key);
      ASSERT_TRUE(svc_->store().PutTemplate(t).ok());
    }
  }
  auto withdrawn_grant = gate.AuthorizeScopeSearch("site-entry");
  ASSERT_TRUE(withdrawn_grant.ok()) << withdrawn_grant.status().ToString();
  auto shredded = vault->OpenAll(*withdrawn_grant, svc_->store(), "P1");
  EXPECT_EQ(shredded.status().kind(), ErrorKind::kNotFound) << shredded.status().ToString();
  EXPECT_NE(shredded.status().message().find("S7"), std::string::npos);
  auto kept_grant = gate.AuthorizeScopeSearch("canteen");
  ASSERT_TRUE(kept_grant.ok()) << kept_grant.status().ToString();
  auto kept = vault->OpenAll(*kept_grant, svc_->store(), "P1");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->size(), 4u);  // the live two and the backup's two
}

// REQ P3: an evaluation run is research: its audit event is tagged with a
// research purpose (never a declared one), and it leaves no subject, consent
// or template behind.
TEST_F(StorageTest, P3_EvalRunsAreTaggedResearchInTheAuditAndStoreNothing) {
  const std::string pairs = (home_ / "pairs.tsv").string();
  WriteAll(pairs,
           "lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg\tlfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg\t1\t0\n"
           "lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg\tlfw/Alan_Greenspan/Alan_Greenspan_0001.jpg\t0\t0\n"
           "lfw/Alan_Greenspan/Alan_Greenspan_0001.jpg\tlfw/Alan_Greenspan/Alan_Greenspan_0002.jpg\t1\t1\n"
           "lfw/Alan_Greenspan/Alan_Greenspan_0002.jpg\tlfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg\t0\t1\n");
  auto r = svc_->EvalVerify(pairs, FACEGATE_FACEDATA, "researcher");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pairs, 4);
  auto events = svc_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  const AuditEvent& e = events->back();
  REQUIREMENT("P3");
  EXPECT_EQ(e.action, "eval.verify");
  EXPECT_EQ(e.purpose.rfind("research:", 0), 0u) << e.purpose;
  EXPECT_TRUE(e.subject.empty());
  EXPECT_TRUE(svc_->ListPurposes()->empty());  // no declared purpose was used or made
  const std::string db = (home_ / "facegate.db").string();
  for (const char* t : {"subjects", "consents", "templates", "subject_keys"})
    EXPECT_EQ(RawCount(db, std::string("SELECT COUNT(*) FROM ") + t), 0) << t;
}

// REQ S1, S8: a PostgreSQL server elsewhere is refused before any connection
// unless a basis for where it is has been recorded; local ones are accepted.
TEST(DataLocation, S1_S8_RemoteDatabaseIsRefusedWithoutARecordedBasis) {
  service::Config c;
  c.data_dir = "/nonexistent";
  REQUIREMENT("S1");
  for (const char* local : {"", "host=/run/postgresql dbname=fg", "host=localhost dbname=fg",
                            "postgresql://127.0.0.1:5432/fg", "host=::1 dbname=fg",
                            "postgresql:///fg?host=/tmp"}) {
    c.database = local;
    EXPECT_TRUE(service::CheckDatabaseLocation(c).ok()) << local;
  }
  for (const char* remote : {"host=db.example.com dbname=fg", "postgresql://10.1.2.3/fg",
                             "host=/run/postgresql,db2.example.com dbname=fg",
                             "hostaddr=192.0.2.7 dbname=fg", "host=localhost hostaddr=192.0.2.7 dbname=fg"}) {
    c.database = remote;
    Status st = service::CheckDatabaseLocation(c);
    EXPECT_EQ(st.kind(), ErrorKind::kRefused) << remote;
    EXPECT_EQ(st.requirement(), "S8") << remote;
    EXPECT_NE(st.message().find("FACEGATE_DB_LOCATION_BASIS"), std::string::npos) << st.message();
  }
  // Service::Open refuses before connecting: no network is touched
  c.database = "host=db.example.com dbname=fg";
  c.data_dir = (std::filesystem::temp_directory_path() / ("fg-s8-" + std::to_string(::getpid()))).string();
  auto s = service::Service::Open(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().requirement(), "S8");
  // a recorded basis lifts the refusal (the connection is then tried as usual)
  c.database_location_basis = "db.example.com: operator's data centre in Shanghai, mainland China";
  EXPECT_TRUE(service::CheckDatabaseLocation(c).ok());
  c.database = "host=db.example.com dbname='unterminated";
  EXPECT_EQ(service::CheckDatabaseLocation(c).kind(), ErrorKind::kInvalidInput);
  std::filesystem::remove_all(c.data_dir);
}

}  // namespace
}  // namespace facegate
