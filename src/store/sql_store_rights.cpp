// The one store: rights of the person (REQ R1, R2): requests, restrictions of
// processing, the subject's file for access and copy, and erasure of identity.
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

const char* const sqlstore::kRightsColumns =
    "id, subject, kind, purpose, received_at, due_at, status, reason, handled_by, completed_at, "
    "detail";

RightsRequestRecord sqlstore::ReadRightsRequest(const Row& row) {
  RightsRequestRecord r;
  r.id = row.Int(0);
  r.subject = row.Text(1);
  r.kind = row.Text(2);
  r.purpose = row.Text(3);
  r.received_at = row.Int(4);
  r.due_at = row.Int(5);
  r.status = row.Text(6);
  r.reason = row.Text(7);
  r.handled_by = row.Text(8);
  r.completed_at = row.OptInt(9);
  r.detail = row.Text(10);
  return r;
}

const char* const sqlstore::kRestrictionColumns = "id, subject, request_id, placed_at, lifted_at";

RestrictionRecord sqlstore::ReadRestriction(const Row& row) {
  RestrictionRecord r;
  r.id = row.Int(0);
  r.subject = row.Text(1);
  r.request_id = row.Int(2);
  r.placed_at = row.Int(3);
  r.lifted_at = row.OptInt(4);
  return r;
}

using sqlstore::kRestrictionColumns;
using sqlstore::kRightsColumns;
using sqlstore::ReadRestriction;
using sqlstore::ReadRightsRequest;

Result<RightsRequestRecord> SqlStore::AddRightsRequest(const RightsRequestRecord& in) {
  if (in.subject.empty()) return Status::InvalidInput("a rights request needs a subject id");
  RightsRequestRecord r = in;
  if (!r.received_at) r.received_at = Now();
  if (r.detail.empty()) r.detail = "{}";
  Status s = db_.Transaction([&]() -> Status {
    return db_.Query("INSERT INTO rights_requests (subject, kind, purpose, received_at, due_at, status, "
                     "reason, handled_by, completed_at, detail) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     Params()
                         .Text(r.subject)
                         .Text(r.kind)
                         .Text(r.purpose)
                         .Int(r.received_at)
                         .Int(r.due_at)
                         .Text(r.status)
                         .Text(r.reason)
                         .Text(r.handled_by)
                         .OptInt(r.completed_at)
                         .Text(r.detail),
                     "recording a " + Quote(r.kind) + " request of subject " + Quote(r.subject),
                     [&](const Row& row) {
                       r.id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return r;
}

Result<RightsRequestRecord> SqlStore::GetRightsRequest(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kRightsColumns + " FROM rights_requests WHERE id = ?";
  std::optional<RightsRequestRecord> r;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Int(id), "reading rights request " + std::to_string(id),
                               sqlstore::Assign(r, ReadRightsRequest))
                         .status());
  if (!r)
    return Status::NotFound("rights request " + std::to_string(id) +
                            " does not exist; `facegate rights list` shows the requests");
  return std::move(*r);
}

Result<std::vector<RightsRequestRecord>> SqlStore::ListRightsRequests(const std::string& subject, bool open_only) {
  static const std::string sql = std::string("SELECT ") + kRightsColumns +
                                 " FROM rights_requests WHERE (? = '' OR subject = ?) "
                                 "AND (? = 0 OR status = 'open') "
                                 "ORDER BY received_at DESC, id DESC";
  std::vector<RightsRequestRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(subject).Text(subject).Int(open_only ? 1 : 0),
                               "listing rights requests", sqlstore::Append(out, ReadRightsRequest))
                         .status());
  return out;
}

Status SqlStore::CloseRightsRequest(int64_t id, const std::string& status, const std::string& handled_by,
                                    const std::string& reason, const std::string& detail, UnixTime at) {
  if (status != "done" && status != "refused")
    return Status::InvalidInput("a rights request closes as 'done' or 'refused', not " + Quote(status));
  if (status == "refused" && reason.empty())
    return Status::InvalidInput("refusing rights request " + std::to_string(id) +
                                " needs a reason the person can read (REQ R1)");
  auto lock = db_.Lock();
  // One conditional UPDATE: of two concurrent handlers exactly one closes it.
  FG_ASSIGN_OR_RETURN(int64_t changed, Write("UPDATE rights_requests SET status = ?, handled_by = ?, reason = ?, "
                                             "detail = ?, completed_at = ? WHERE id = ? AND status = 'open'",
                                             Params()
                                                 .Text(status)
                                                 .Text(handled_by)
                                                 .Text(reason)
                                                 .Text(detail.empty() ? "{}" : detail)
                                                 .Int(at ? at : Now())
                                                 .Int(id),
                                             "closing rights request " + std::to_string(id)));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(RightsRequestRecord r, GetRightsRequest(id));  // kNotFound for an unknown id
  return Status::Conflict("rights request " + std::to_string(id) + " was already closed (" + r.status +
                          " by " + r.handled_by + "); open a new request for a new demand");
}

// ---- restriction of processing (REQ R1) ----

Status SqlStore::PlaceRestriction(const std::string& subject, int64_t request_id, UnixTime at) {
  if (subject.empty()) return Status::InvalidInput("a restriction needs a subject id");
  Status s = Write("INSERT INTO restrictions (subject, request_id, placed_at, lifted_at) VALUES (?, ?, ?, NULL)",
                   Params().Text(subject).Int(request_id).Int(at ? at : Now()),
                   "restricting subject " + Quote(subject))
                 .status();
  if (s.kind() == ErrorKind::kConflict)
    return Status::Conflict("processing of subject " + Quote(subject) +
                            " is already restricted; lift it first to place a new one");
  return s;
}

Status SqlStore::LiftRestriction(const std::string& subject, UnixTime at) {
  FG_ASSIGN_OR_RETURN(int64_t changed, Write("UPDATE restrictions SET lifted_at = ? "
                                             "WHERE subject = ? AND lifted_at IS NULL",
                                             Params().Int(at ? at : Now()).Text(subject),
                                             "lifting the restriction of subject " + Quote(subject)));
  if (changed == 1) return Status::Ok();
  return Status::NotFound("processing of subject " + Quote(subject) + " is not restricted");
}

Result<std::optional<RestrictionRecord>> SqlStore::ActiveRestriction(const std::string& subject) {
  static const std::string sql = std::string("SELECT ") + kRestrictionColumns +
                                 " FROM restrictions WHERE subject = ? AND lifted_at IS NULL";
  std::optional<RestrictionRecord> r;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(subject), "reading the restriction of subject " + Quote(subject),
                               sqlstore::Assign(r, ReadRestriction))
                         .status());
  return r;
}

// ---- the subject's file and erasure ----

Result<SubjectFile> SqlStore::ReadSubjectFile(const std::string& subject) {
  auto lock = db_.Lock();
  SubjectFile f;
  const std::string who = "subject " + Quote(subject);
  const Params by_subject = Params().Text(subject);
  FG_RETURN_IF_ERROR(db_.Query("SELECT created_at, erased_at FROM subjects WHERE id = ?", by_subject,
                               "reading " + who,
                               [&](const Row& row) {
                                 f.exists = true;
                                 f.created_at = row.Int(0);
                                 f.erased_at = row.OptInt(1);
                                 return Status::Ok();
                               })
                         .status());
  static const std::string consents = std::string("SELECT ") + sqlstore::kConsentColumns +
                                      " FROM consents WHERE subject = ? ORDER BY given_at, id";
  FG_RETURN_IF_ERROR(db_.Query(consents, by_subject, "reading the consents of " + who,
                               [&](const Row& row) -> Status {
                                 FG_ASSIGN_OR_RETURN(ConsentRecord c, sqlstore::ReadConsent(row));
                                 f.consents.push_back(std::move(c));
                                 return Status::Ok();
                               })
                         .status());
  // Metadata only: the sealed bytes never leave the store in an export.
  FG_RETURN_IF_ERROR(db_.Query("SELECT id, subject, purpose, model, CAST('' AS {blob}), CAST('' AS {blob}), "
                               "created_at, expires_at FROM templates WHERE subject = ? ORDER BY id",
                               by_subject, "reading the templates of " + who,
                               sqlstore::Append(f.templates, sqlstore::ReadTemplate))
                         .status());
  static const std::string alternatives = std::string("SELECT ") + sqlstore::kAlternativeColumns +
                                          " FROM alternatives WHERE subject = ? ORDER BY opened_at, id";
  FG_RETURN_IF_ERROR(db_.Query(alternatives, by_subject, "reading the alternatives of " + who,
                               sqlstore::Append(f.alternatives, sqlstore::ReadAlternative))
                         .status());
  FG_RETURN_IF_ERROR(db_.Query("SELECT purpose, refused_at FROM consent_refusals "
                               "WHERE subject = ? ORDER BY refused_at, id",
                               by_subject, "reading the consent refusals of " + who,
                               [&](const Row& row) {
                                 f.refusals.emplace_back(row.Text(0), row.Int(1));
                                 return Status::Ok();
                               })
                         .status());
  static const std::string restrictions = std::string("SELECT ") + kRestrictionColumns +
                                          " FROM restrictions WHERE subject = ? ORDER BY placed_at, id";
  FG_RETURN_IF_ERROR(db_.Query(restrictions, by_subject, "reading the restrictions of " + who,
                               sqlstore::Append(f.restrictions, ReadRestriction))
                         .status());
  static const std::string requests = std::string("SELECT ") + kRightsColumns +
                                      " FROM rights_requests WHERE subject = ? ORDER BY received_at, id";
  FG_RETURN_IF_ERROR(db_.Query(requests, by_subject, "reading the rights requests of " + who,
                               sqlstore::Append(f.requests, ReadRightsRequest))
                         .status());
  return f;
}

Status SqlStore::EraseSubjectIdentity(const std::string& subject, UnixTime at) {
  const UnixTime t = at ? at : Now();
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    FG_RETURN_IF_ERROR(db_.Exec("UPDATE subjects SET display_name = NULL, birth_date = NULL, "
                                "erased_at = COALESCE(erased_at, ?) WHERE id = ?",
                                Params().Int(t).Text(subject), "anonymising subject " + Quote(subject))
                           .status());
    // The guardian's identity is personal data too (REQ M1); the relation and
    // the minor mark stay as the record of whose consent it was.
    FG_RETURN_IF_ERROR(db_.Exec("UPDATE consents SET guardian = '' WHERE subject = ? AND guardian <> ''",
                                Params().Text(subject), "erasing the guardian of subject " + Quote(subject))
                           .status());
    // Evidence names a signer or guardian: erased; the consent's times, notice and
    // option stay as the record that earlier processing was lawful (REQ C4).
    return db_.Exec("UPDATE consents SET evidence = ? WHERE subject = ? AND evidence <> ''",
                    Params()
                        .Text("erased at " + std::to_string(t) + " on the person's request (REQ R1)")
                        .Text(subject),
                    "erasing the consent evidence of subject " + Quote(subject))
        .status();
  });
}

}  // namespace facegate::store
