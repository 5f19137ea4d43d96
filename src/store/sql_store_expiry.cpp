// The one store: records and audit events that outlived their keeping (REQ S5).
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;

namespace {

const char* const kPruneColumns = "seq, hash, at, before_at, pruned, actor";

AuditPrunePoint ReadPrunePoint(const Row& row) {
  AuditPrunePoint p;
  p.seq = row.Int(0);
  p.hash = row.Text(1);
  p.at = row.Int(2);
  p.before = row.Int(3);
  p.pruned = row.Int(4);
  p.actor = row.Text(5);
  return p;
}

// A subject record is needed while any of these rows names it.
const char* const kIdleSubjects = R"sql(
SELECT s.id FROM subjects s WHERE s.created_at < ?
  AND NOT EXISTS (SELECT 1 FROM consents x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM templates x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM subject_keys x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM purpose_keys x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM alternative_credentials x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM rights_requests x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM restrictions x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM alternatives x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM breach_affected x WHERE x.subject = s.id)
  AND NOT EXISTS (SELECT 1 FROM capture_sessions x WHERE x.subject = s.id)
ORDER BY s.id)sql";

}  // namespace

Result<EndedRecords> SqlStore::DeleteEndedRecords(UnixTime cutoff) {
  EndedRecords out;
  Status s = db_.Transaction([&]() -> Status {
    const Params at = Params().Int(cutoff);
    // A consent ends when withdrawn, spent ("once") or expired (REQ C5).
    FG_ASSIGN_OR_RETURN(out.consents,
                        db_.Exec("DELETE FROM consents WHERE (withdrawn_at IS NOT NULL AND withdrawn_at < ?) "
                                 "OR (option = 'once' AND used_at IS NOT NULL AND used_at < ?) OR expires_at < ?",
                                 Params().Int(cutoff).Int(cutoff).Int(cutoff), "deleting ended consents"));
    FG_ASSIGN_OR_RETURN(out.consent_refusals, db_.Exec("DELETE FROM consent_refusals WHERE refused_at < ?", at,
                                                       "deleting old consent refusals"));
    FG_ASSIGN_OR_RETURN(out.alternatives,
                        db_.Exec("DELETE FROM alternatives WHERE closed_at IS NOT NULL AND closed_at < ?", at,
                                 "deleting closed face-free transactions"));
    FG_ASSIGN_OR_RETURN(out.rights_requests,
                        db_.Exec("DELETE FROM rights_requests WHERE completed_at IS NOT NULL AND completed_at < ?",
                                 at, "deleting completed rights requests"));
    FG_ASSIGN_OR_RETURN(out.restrictions,
                        db_.Exec("DELETE FROM restrictions WHERE lifted_at IS NOT NULL AND lifted_at < ?", at,
                                 "deleting lifted restrictions"));
    FG_ASSIGN_OR_RETURN(out.capture_sessions,
                        db_.Exec("DELETE FROM capture_sessions WHERE closed_at IS NOT NULL AND closed_at < ?", at,
                                 "deleting closed captures"));
    FG_RETURN_IF_ERROR(db_.Query(kIdleSubjects, at, "finding subject records nothing needs",
                                 [&](const Row& row) {
                                   out.subjects.push_back(row.Text(0));
                                   return Status::Ok();
                                 })
                           .status());
    for (const std::string& id : out.subjects)
      FG_RETURN_IF_ERROR(db_.Exec("DELETE FROM subjects WHERE id = ?", Params().Text(id),
                                  "deleting subject record " + sqlstore::Quote(id))
                             .status());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<AuditPrunePoint> SqlStore::PruneAudit(UnixTime before, UnixTime at, const std::string& actor) {
  AuditPrunePoint p;
  p.before = before;
  p.at = at;
  p.actor = actor;
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(db_.conn().LockAuditChain());
    int64_t head = 0;
    FG_RETURN_IF_ERROR(db_.Query("SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1", Params(),
                                 "reading the audit chain head",
                                 [&](const Row& row) {
                                   head = row.Int(0);
                                   return Status::Ok();
                                 })
                           .status());
    // The newest event stays whatever its age: the next event chains onto its hash.
    FG_RETURN_IF_ERROR(db_.Query("SELECT seq, hash FROM audit_events WHERE at < ? AND seq < ? "
                                 "ORDER BY seq DESC LIMIT 1",
                                 Params().Int(before).Int(head), "finding the audit events to prune",
                                 [&](const Row& row) {
                                   p.seq = row.Int(0);
                                   p.hash = row.Text(1);
                                   return Status::Ok();
                                 })
                           .status());
    if (p.seq == 0) return Status::Ok();
    FG_RETURN_IF_ERROR(db_.Query("SELECT COUNT(*) FROM audit_events WHERE seq <= ?", Params().Int(p.seq),
                                 "counting the audit events to prune",
                                 [&](const Row& row) {
                                   p.pruned = row.Int(0);
                                   return Status::Ok();
                                 })
                           .status());
    // The point first: the delete trigger lets only events behind a recorded point go.
    FG_RETURN_IF_ERROR(db_.Exec(std::string("INSERT INTO audit_prune_points (") + kPruneColumns +
                                    ") VALUES (?, ?, ?, ?, ?, ?)",
                                Params().Int(p.seq).Text(p.hash).Int(p.at).Int(p.before).Int(p.pruned).Text(p.actor),
                                "recording the audit prune point")
                           .status());
    return db_.Exec("DELETE FROM audit_events WHERE seq <= ?", Params().Int(p.seq), "pruning the audit chain")
        .status();
  });
  if (!s.ok()) return s;
  return p;
}

Result<std::vector<AuditPrunePoint>> SqlStore::ListAuditPrunePoints() {
  std::vector<AuditPrunePoint> out;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kPruneColumns + " FROM audit_prune_points ORDER BY seq",
                               Params(), "listing the audit prune points", sqlstore::Append(out, ReadPrunePoint))
                         .status());
  return out;
}

}  // namespace facegate::store
