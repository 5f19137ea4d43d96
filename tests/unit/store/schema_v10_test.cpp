// Databases written before the one store keep opening (issue 13): the SQL that
// commit 19395bf's two stores wrote for schema version 10 is committed as
// fixtures/schema-v10-{sqlite,postgres}.sql. Today's schema renders exactly
// that SQL for every version, and a database made with it, holding a few rows
// of each kind, opens with today's store: nothing is migrated again, every row
// reads back, the audit chain verifies and goes on. Runs on SQLite
// (test_store) and PostgreSQL (test_store_pg).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "store/audit_chain.h"
#include "store_backends.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

std::string ReadFixture(const std::string& backend) {
  std::ifstream in(std::string(FACEGATE_SOURCE_DIR) + "/tests/unit/store/fixtures/schema-v10-" + backend + ".sql",
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The SQL of migration `version` in the fixture (between its markers).
std::string FixtureMigration(const std::string& fixture, int version) {
  const std::string begin = "-- >>> migration " + std::to_string(version);
  const std::string end = "-- <<< migration " + std::to_string(version);
  const size_t from = fixture.find(begin);
  const size_t to = fixture.find(end);
  if (from == std::string::npos || to == std::string::npos) return "(no migration " + std::to_string(version) + ")";
  return fixture.substr(from + begin.size(), to - from - begin.size());
}

std::string Lit(const std::string& s) {  // an SQL string literal
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

class SchemaV10 : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = TestDb::Make(GetParam());
    // An empty file is an empty SQLite database (the raw connection does not create one).
    if (auto* lite = dynamic_cast<SqliteTestDb*>(db_.get())) std::ofstream(lite->path(), std::ios::app);
    fixture_ = ReadFixture(GetParam());
    ASSERT_FALSE(fixture_.empty()) << "fixtures/schema-v10-" << GetParam() << ".sql is missing";
  }
  bool postgres() const { return GetParam() == "postgres"; }
  // Bytes as a literal of this backend.
  std::string Blob(const std::string& bytes) const {
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : bytes) {
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    return postgres() ? "decode('" + hex + "', 'hex')" : "X'" + hex + "'";
  }
  void Exec(const std::string& sql) {
    std::string err;
    ASSERT_TRUE(db_->RawExec(sql, &err)) << err << "\n" << sql;
  }

  std::unique_ptr<TestDb> db_;
  std::string fixture_;
};

TEST_P(SchemaV10, EveryVersionRendersTheSqlTheEarlierStoresWrote) {
  ASSERT_GE(db_->Migrations().size(), 10u);
  for (const Migration& m : db_->Migrations()) {
    if (m.version > 10) continue;  // later migrations are new; the fixture froze 1..10
    EXPECT_EQ(m.sql, FixtureMigration(fixture_, m.version)) << "migration " << m.version << " changed";
  }
  EXPECT_GE(LatestSchemaVersion(), 10);
}

TEST_P(SchemaV10, ADatabaseTheEarlierStoresWroteOpensReadsBackAndVerifies) {
  Exec(fixture_);
  const std::string text = "We compare your face at the door.";
  const std::string nonce("\x00\x01\xff nonce-24-bytes-long..", 24);
  std::string ciphertext;
  for (int i = 0; i < 300; ++i) ciphertext.push_back(static_cast<char>(i * 7));
  const std::string wrapped("\xff\x00wrapped-key", 13);
  Exec("INSERT INTO purposes (name, scenario, retention_days, alternatives, legal_mandate, created_at, liveness) "
       "VALUES ('office-entry', 'verification', 365, '[\"staff-card\",\"pin\"]', '', 1800000000, 'verify');"
       "INSERT INTO notices (purpose, version, text, sha256, published_at) VALUES ('office-entry', 1, " +
       Lit(text) + ", " + Lit(Sha256Hex(text)) +
       ", 1800000001);"
       "INSERT INTO subjects (id, display_name, created_at, birth_date) "
       "VALUES ('S1', 'Li Lei', 1800000002, '2015-03-01');"
       "INSERT INTO consents (subject, purpose, notice_id, notice_sha256, option, method, evidence, given_at, "
       "expires_at, withdrawn_at, used_at, session, legal_basis, kind, recipient, source, minor, guardian, "
       "guardian_relation) VALUES ('S1', 'office-entry', (SELECT id FROM notices), " +
       Lit(Sha256Hex(text)) + ", 'always', 'guardian', 'signed form', 1800000003, 1900000000, NULL, NULL, '', " +
       "'consent', 'processing', '', '', " + (postgres() ? "TRUE" : "1") +
       ", 'Parent P', 'parent');"
       "INSERT INTO templates (subject, purpose, model, nonce, ciphertext, created_at, expires_at) "
       "VALUES ('S1', 'office-entry', 'model-1', " +
       Blob(nonce) + ", " + Blob(ciphertext) +
       ", 1800000004, 1900000000);"
       "INSERT INTO subject_keys (subject, wrapped, created_at) VALUES ('S1', " +
       Blob(wrapped) +
       ", 1800000004);"
       "INSERT INTO purpose_settings (purpose, identify_threshold, reason, actor, set_at) "
       "VALUES ('office-entry', 0.875, 'pilot', 'admin', 1800000005);");
  // Three audit events chained as the earlier stores chained them.
  std::vector<AuditEvent> chain;
  std::string prev = kGenesisHash;
  for (int i = 1; i <= 3; ++i) {
    AuditEvent e;
    e.seq = i;
    e.at = 1800000010 + i;
    e.actor = "cli";
    e.action = i == 1 ? "consent.give" : "verify";
    e.subject = "S1";
    e.purpose = "office-entry";
    e.outcome = "ok";
    e.detail = R"({"score":0.41})";
    e.prev_hash = prev;
    e.hash = AuditHash(e);
    prev = e.hash;
    Exec("INSERT INTO audit_events (seq, at, actor, action, subject, purpose, outcome, detail, prev_hash, hash) "
         "VALUES (" +
         std::to_string(e.seq) + ", " + std::to_string(e.at) + ", " + Lit(e.actor) + ", " + Lit(e.action) + ", " +
         Lit(e.subject) + ", " + Lit(e.purpose) + ", " + Lit(e.outcome) + ", " + Lit(e.detail) + ", " +
         Lit(e.prev_hash) + ", " + Lit(e.hash) + ")");
    chain.push_back(e);
  }

  auto store = db_->MustOpen();
  ASSERT_TRUE(store);
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM schema_migrations"), LatestSchemaVersion())
      << "1..10 are not migrated again; only the later ones are applied";
  EXPECT_EQ(db_->RawInt("SELECT MAX(applied_at) FROM schema_migrations WHERE version <= 10"), 1800000000);

  auto purpose = store->GetPurpose("office-entry");
  ASSERT_TRUE(purpose.ok()) << purpose.status().ToString();
  EXPECT_EQ(purpose->retention_days, 365);
  EXPECT_EQ(purpose->alternatives, (std::vector<std::string>{"staff-card", "pin"}));
  EXPECT_EQ(purpose->liveness, LivenessRequirement::kVerify);
  auto notice = store->LatestNotice("office-entry");
  ASSERT_TRUE(notice.ok()) << notice.status().ToString();
  EXPECT_EQ(notice->version, 1);
  EXPECT_EQ(notice->text, text);
  EXPECT_EQ(notice->sha256, Sha256Hex(text));
  EXPECT_TRUE(*store->SubjectExists("S1"));
  EXPECT_EQ(*store->SubjectBirthDate("S1"), "2015-03-01");

  auto consents = store->ListConsents("S1", "office-entry");
  ASSERT_TRUE(consents.ok()) << consents.status().ToString();
  ASSERT_EQ(consents->size(), 1u);
  const ConsentRecord& c = (*consents)[0];
  EXPECT_EQ(c.notice_id, notice->id);
  EXPECT_EQ(c.option, ConsentOption::kAlways);
  EXPECT_EQ(c.method, ConsentMethod::kGuardian);
  EXPECT_EQ(c.kind, ConsentKind::kProcessing);
  EXPECT_TRUE(c.minor);
  EXPECT_EQ(c.guardian, "Parent P");
  EXPECT_FALSE(c.withdrawn_at.has_value());

  auto templates = store->GetTemplates("S1", "office-entry");
  ASSERT_TRUE(templates.ok()) << templates.status().ToString();
  ASSERT_EQ(templates->size(), 1u);
  EXPECT_EQ((*templates)[0].model, "model-1");
  EXPECT_EQ((*templates)[0].nonce, nonce);
  EXPECT_EQ((*templates)[0].ciphertext, ciphertext);
  // Sealed before keys were kept per purpose: opened with the subject key it was sealed under.
  EXPECT_FALSE((*templates)[0].purpose_key);
  EXPECT_TRUE(store->GetWrappedSubjectKey("S1").ok());
  EXPECT_EQ(*store->GetWrappedSubjectKey("S1"), wrapped);
  EXPECT_EQ(*store->PurposeTemplateVersion("office-entry"), 1) << "the earlier version trigger ran";
  auto threshold = store->GetIdentifyThreshold("office-entry");
  ASSERT_TRUE(threshold.ok() && threshold->has_value());
  EXPECT_FLOAT_EQ((*threshold)->threshold, 0.875f);

  auto events = store->ListAudit(0, 0);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*events)[i].hash, chain[i].hash);
  auto check = store->VerifyAudit();
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(check->intact) << check->reason;
  EXPECT_EQ(check->events, 3);

  // The store writes on: the chain goes on from the earlier head, ids and the
  // earlier triggers keep working.
  auto next = store->AppendAudit(AuditEvent{});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->seq, 4);
  EXPECT_EQ(next->prev_hash, chain.back().hash);
  EXPECT_TRUE(store->VerifyAudit()->intact);
  SealedTemplate t = (*templates)[0];
  auto id = store->PutTemplate(t);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_GT(*id, (*templates)[0].id);
  EXPECT_EQ(*store->PurposeTemplateVersion("office-entry"), 2);
  NoticeRecord second;
  second.purpose = "office-entry";
  second.text = "A second notice.";
  auto published = store->PublishNotice(second);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(published->version, 2);
  std::string err;
  EXPECT_FALSE(db_->RawExec("DELETE FROM audit_events", &err)) << "the earlier append-only triggers hold";
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Backends, SchemaV10, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
