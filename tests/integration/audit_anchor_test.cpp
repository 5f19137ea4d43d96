// The audit chain against its signed checkpoints outside the database (security item 7,
// docs/security.md): a database administrator who drops the append-only triggers, edits an
// event and recomputes every hash after it, or who cuts the tail, leaves a chain that verifies
// on its own; the checkpoints name the rewrite and the cut.
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/requirement.h"
#include "store/audit_chain.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class AuditAnchorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("anchor");
    Open();
    // A few events: a purpose, its notice, consents.
    const int64_t notice = DeclareWithNotice(*svc_, "door");
    for (const char* who : {"S1", "S2", "S3"}) ASSERT_TRUE(ConsentAlways(*svc_, who, "door", notice).ok());
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Open() {
    svc_.reset();
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  // What an administrator with the database file can do: SQL, with the guards dropped.
  void Sql(const std::string& sql) {
    svc_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((home_ / "facegate.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
    Open();
  }
  // Edits event `seq`'s outcome and recomputes the hash of it and of every later event, so
  // the chain verifies on its own.
  void RewriteAndRehash(int64_t seq) {
    auto events = svc_->ListAudit(0, 100000);
    ASSERT_TRUE(events.ok());
    std::string sql = "DROP TRIGGER audit_events_no_update;";
    std::string prev = store::kGenesisHash;
    for (AuditEvent e : *events) {
      if (e.seq == seq) e.outcome = "refused:C1";
      e.prev_hash = prev;
      e.hash = store::AuditHash(e);
      prev = e.hash;
      if (e.seq >= seq)
        sql += "UPDATE audit_events SET outcome='" + e.outcome + "', prev_hash='" + e.prev_hash + "', hash='" +
               e.hash + "' WHERE seq=" + std::to_string(e.seq) + ";";
    }
    Sql(sql);
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(AuditAnchorTest, S6_ACheckpointIsSignedWrittenOnceAndAgreesWithTheChain) {
  auto cp = svc_->CheckpointAudit();
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_TRUE(cp->written);
  auto head = svc_->AuditHead();
  ASSERT_TRUE(head.ok() && *head);
  EXPECT_EQ(cp->seq, (*head)->seq);
  EXPECT_EQ(cp->hash, (*head)->hash);
  // The head has not moved: no second line.
  EXPECT_FALSE(svc_->CheckpointAudit()->written);
  auto check = svc_->VerifyAudit();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->intact) << check->reason;
  EXPECT_EQ(check->checkpoints, 1);
  EXPECT_EQ(check->anchored_seq, cp->seq);
  EXPECT_EQ(std::filesystem::status(home_ / "audit-checkpoints.jsonl").permissions() &
                (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  EXPECT_EQ(svc_->AuditSigningPublicKey().size(), 64u);
}

TEST_F(AuditAnchorTest, S6_ARewrittenAndRecomputedChainIsNamedByTheCheckpoint) {
  ASSERT_TRUE(svc_->CheckpointAudit().ok());
  RewriteAndRehash(3);
  auto check = svc_->VerifyAudit();
  ASSERT_TRUE(check.ok());
  REQUIREMENT("S6");
  EXPECT_FALSE(check->intact) << "a rehashed chain passed its checkpoint";
  EXPECT_NE(check->reason.find("rewritten"), std::string::npos) << check->reason;
  // Without the checkpoint the chain alone would not tell.
  std::filesystem::remove(home_ / "audit-checkpoints.jsonl");
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
}

TEST_F(AuditAnchorTest, S6_ACutTailIsNamedByTheCheckpoint) {
  auto cp = svc_->CheckpointAudit();
  ASSERT_TRUE(cp.ok());
  Sql("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq > " + std::to_string(cp->seq - 2) + ";");
  auto check = svc_->VerifyAudit();
  ASSERT_TRUE(check.ok());
  REQUIREMENT("S6");
  EXPECT_FALSE(check->intact) << "a cut tail passed its checkpoint";
  EXPECT_NE(check->reason.find("tail was cut"), std::string::npos) << check->reason;
  EXPECT_EQ(check->first_broken_seq, cp->seq);
}

TEST_F(AuditAnchorTest, S6_AnEditedCheckpointFileFailsItsSignature) {
  ASSERT_TRUE(svc_->CheckpointAudit().ok());
  const std::string path = (home_ / "audit-checkpoints.jsonl").string();
  auto j = nlohmann::json::parse(ReadAll(path));
  j["seq"] = j["seq"].get<int64_t>() - 1;  // moved back to hide what came after
  WriteAll(path, j.dump() + "\n");
  auto check = svc_->VerifyAudit();
  ASSERT_TRUE(check.ok());
  REQUIREMENT("S6");
  EXPECT_FALSE(check->intact);
  EXPECT_NE(check->reason.find("signature"), std::string::npos) << check->reason;
}

TEST_F(AuditAnchorTest, S6_CommandLineMakesAndChecksCheckpoints) {
  svc_.reset();
  auto made = RunCli(home_, "--json audit checkpoint");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  EXPECT_TRUE(nlohmann::json::parse(made.out)["written"].get<bool>()) << made.out;
  auto ok = RunCli(home_, "audit verify");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("checkpoint"), std::string::npos) << ok.out;
  Open();
  RewriteAndRehash(2);
  svc_.reset();
  auto bad = RunCli(home_, "audit verify");
  REQUIREMENT("S6");
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_NE(bad.out.find("BROKEN"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace facegate
