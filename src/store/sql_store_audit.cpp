// The one store: the hash-chained, append-only audit log (REQ S6).
#include "store/audit_chain.h"
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

namespace {

constexpr int64_t kVerifyPage = 5000;  // audit events read per query by VerifyAudit

const std::string kAuditColumns = "seq, at, actor, action, subject, purpose, outcome, detail, prev_hash, hash";

AuditEvent ReadAudit(const Row& row) {
  AuditEvent e;
  e.seq = row.Int(0);
  e.at = row.Int(1);
  e.actor = row.Text(2);
  e.action = row.Text(3);
  e.subject = row.Text(4);
  e.purpose = row.Text(5);
  e.outcome = row.Text(6);
  e.detail = row.Text(7);
  e.prev_hash = row.Text(8);
  e.hash = row.Text(9);
  return e;
}

}  // namespace

Result<AuditEvent> SqlStore::AppendAudit(const AuditEvent& in) {
  AuditEvent e = in;
  if (!e.at) e.at = Now();
  // In one write transaction, with the chain locked against every other
  // appender: the head read below is the head at commit, so the chain never forks.
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(db_.conn().LockAuditChain());
    e.seq = 1;
    e.prev_hash = kGenesisHash;
    FG_RETURN_IF_ERROR(db_.Query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", Params(),
                                 "reading the audit chain head",
                                 [&](const Row& row) {
                                   e.seq = row.Int(0) + 1;
                                   e.prev_hash = row.Text(1);
                                   return Status::Ok();
                                 })
                           .status());
    e.hash = AuditHash(e);
    static const std::string insert =
        "INSERT INTO audit_events (" + kAuditColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    return db_.Exec(insert,
                    Params()
                        .Int(e.seq)
                        .Int(e.at)
                        .Text(e.actor)
                        .Text(e.action)
                        .Text(e.subject)
                        .Text(e.purpose)
                        .Text(e.outcome)
                        .Text(e.detail)
                        .Text(e.prev_hash)
                        .Text(e.hash),
                    "appending audit event " + std::to_string(e.seq))
        .status();
  });
  if (!s.ok()) return s;
  return e;
}

static const std::string kAuditSelect =
    "SELECT " + kAuditColumns + " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?";

Result<std::vector<AuditEvent>> SqlStore::ListAudit(int64_t after_seq, int64_t limit) {
  std::vector<AuditEvent> out;
  FG_RETURN_IF_ERROR(db_.Query(kAuditSelect, Params().Int(after_seq).Int(limit > 0 ? limit : sqlstore::kNoLimit),
                               "listing audit events", sqlstore::Append(out, ReadAudit))
                         .status());
  return out;
}

Result<std::vector<AuditEvent>> SqlStore::ListAuditForSubject(const std::string& subject, int64_t after_seq,
                                                              int64_t limit) {
  if (subject.empty()) return Status::InvalidInput("the match log of whom? give a subject id");
  static const std::string sql =
      "SELECT " + kAuditColumns + " FROM audit_events WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?";
  std::vector<AuditEvent> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(subject).Int(after_seq).Int(limit > 0 ? limit : sqlstore::kNoLimit),
                               "listing the audit events of subject " + Quote(subject),
                               sqlstore::Append(out, ReadAudit))
                         .status());
  return out;
}

Result<AuditCheck> SqlStore::VerifyAudit() {
  AuditCheck check;
  // One snapshot for all pages, even while other processes append.
  Status s = db_.Snapshot("starting the audit check", [&]() -> Status {
    int64_t expected_seq = 1;
    int64_t after = 0;
    std::string prev = kGenesisHash;
    // Retention pruned the chain's start (REQ S5): it goes on from the newest prune point.
    FG_RETURN_IF_ERROR(db_.Query("SELECT seq, hash FROM audit_prune_points ORDER BY seq DESC LIMIT 1", Params(),
                                 "reading the audit prune point",
                                 [&](const Row& row) {
                                   check.pruned_through = row.Int(0);
                                   after = check.pruned_through;
                                   expected_seq = after + 1;
                                   prev = row.Text(1);
                                   return Status::Ok();
                                 })
                           .status());
    auto verify = [&](const Row& row) -> Status {
      AuditEvent e = ReadAudit(row);
      after = e.seq;
      ++check.events;
      if (!check.intact) return Status::Ok();  // keep counting; report only the first break
      auto broken = [&](std::string why) {
        check.intact = false;
        check.first_broken_seq = e.seq;
        check.reason = std::move(why);
      };
      if (e.seq != expected_seq) {
        broken("seq gap: expected " + std::to_string(expected_seq) + ", found " + std::to_string(e.seq) +
               ": event(s) deleted");
      } else if (e.prev_hash != prev) {
        broken("prev_hash mismatch: event deleted or reordered before seq " + std::to_string(e.seq));
      } else if (AuditHash(e) != e.hash) {
        broken("hash mismatch: event edited (seq " + std::to_string(e.seq) + ")");
      }
      expected_seq = e.seq + 1;
      prev = e.hash;
      return Status::Ok();
    };
    for (;;) {
      FG_ASSIGN_OR_RETURN(int64_t n, db_.Query(kAuditSelect, Params().Int(after).Int(kVerifyPage),
                                               "reading the audit chain", verify));
      if (n < kVerifyPage) return Status::Ok();
    }
  });
  if (!s.ok()) return s;
  return check;
}

}  // namespace facegate::store
