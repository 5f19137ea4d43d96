// The one store: breaches and the people they affect (REQ S9, PIPL 57; migration 9).
#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

static std::string JsonList(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

static const char* const kBreachColumns =
    "id, detected_at, opened_at, actor, description, cause, harm, measures, individual_advice, "
    "contact, window_from, window_to, kinds, purposes, status, assessed_at, authority_notified_at, "
    "authority_reference, people_notified_at, not_notified_at, not_notified_reason, closed_at, "
    "expires_at";

// The columns a step writes (AddBreach, UpdateBreachStatus), and their values.
static const char* const kStepColumns =
    "status, assessed_at, authority_notified_at, authority_reference, people_notified_at, not_notified_at, "
    "not_notified_reason, closed_at, expires_at";

static Params& Steps(Params& p, const BreachRecord& b) {
  return p.Text(b.status)
      .OptInt(b.assessed_at)
      .OptInt(b.authority_notified_at)
      .Text(b.authority_reference)
      .OptInt(b.people_notified_at)
      .OptInt(b.not_notified_at)
      .Text(b.not_notified_reason)
      .OptInt(b.closed_at)
      .Int(b.expires_at);
}

static BreachRecord ReadBreach(const Row& row) {
  BreachRecord b;
  b.id = row.Int(0);
  b.detected_at = row.Int(1);
  b.opened_at = row.Int(2);
  b.actor = row.Text(3);
  b.description = row.Text(4);
  b.cause = row.Text(5);
  b.harm = row.Text(6);
  b.measures = row.Text(7);
  b.individual_advice = row.Text(8);
  b.contact = row.Text(9);
  b.window_from = row.Int(10);
  b.window_to = row.Int(11);
  b.kinds = sqlstore::ParseStringList(row.Text(12));
  b.purposes = sqlstore::ParseStringList(row.Text(13));
  b.status = row.Text(14);
  b.assessed_at = row.OptInt(15);
  b.authority_notified_at = row.OptInt(16);
  b.authority_reference = row.Text(17);
  b.people_notified_at = row.OptInt(18);
  b.not_notified_at = row.OptInt(19);
  b.not_notified_reason = row.Text(20);
  b.closed_at = row.OptInt(21);
  b.expires_at = row.Int(22);
  return b;
}

Result<BreachRecord> SqlStore::AddBreach(const BreachRecord& in) {
  static const std::string sql =
      "INSERT INTO breaches (detected_at, opened_at, actor, description, cause, harm, measures, individual_advice, "
      "contact, window_from, window_to, kinds, purposes, " +
      std::string(kStepColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
  BreachRecord b = in;
  if (!b.opened_at) b.opened_at = Now();
  Params p;
  p.Int(b.detected_at)
      .Int(b.opened_at)
      .Text(b.actor)
      .Text(b.description)
      .Text(b.cause)
      .Text(b.harm)
      .Text(b.measures)
      .Text(b.individual_advice)
      .Text(b.contact)
      .Int(b.window_from)
      .Int(b.window_to)
      .Text(JsonList(b.kinds))
      .Text(JsonList(b.purposes));
  Steps(p, b);
  Status s = db_.Transaction([&]() -> Status {
    return db_.Query(sql, p, "recording a breach",
                     [&](const Row& row) {
                       b.id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return b;
}

Result<BreachRecord> SqlStore::GetBreach(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kBreachColumns + " FROM breaches WHERE id = ?";
  std::optional<BreachRecord> b;
  FG_RETURN_IF_ERROR(
      db_.Query(sql, Params().Int(id), "reading breach " + std::to_string(id), sqlstore::Assign(b, ReadBreach))
          .status());
  if (!b)
    return Status::NotFound("breach " + std::to_string(id) +
                            " does not exist; `facegate breach list` shows the breaches");
  return std::move(*b);
}

Result<std::vector<BreachRecord>> SqlStore::ListBreaches() {
  static const std::string sql =
      std::string("SELECT ") + kBreachColumns + " FROM breaches ORDER BY opened_at DESC, id DESC";
  std::vector<BreachRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params(), "listing breaches", sqlstore::Append(out, ReadBreach)).status());
  return out;
}

Status SqlStore::UpdateBreachStatus(const BreachRecord& b, const std::string& from_status) {
  auto lock = db_.Lock();
  Params p;
  Steps(p, b).Int(b.id).Text(from_status);
  // One conditional UPDATE: of two handlers taking the same step, exactly one does.
  FG_ASSIGN_OR_RETURN(int64_t changed,
                      Write("UPDATE breaches SET status = ?, assessed_at = ?, authority_notified_at = ?, "
                            "authority_reference = ?, people_notified_at = ?, not_notified_at = ?, "
                            "not_notified_reason = ?, closed_at = ?, expires_at = ? WHERE id = ? AND status = ?",
                            p,
                            "moving breach " + std::to_string(b.id) + " to " + Quote(b.status)));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(BreachRecord now, GetBreach(b.id));  // kNotFound for an unknown id
  return Status::Conflict("breach " + std::to_string(b.id) + " is " + Quote(now.status) + ", not " +
                          Quote(from_status) + ": another handler moved it first; show it again");
}

Status SqlStore::PutBreachAffected(int64_t breach_id, const std::vector<BreachAffectedRecord>& people) {
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(db_.Exec("DELETE FROM breach_affected WHERE breach_id = ?", Params().Int(breach_id),
                                "replacing the affected people of breach " + std::to_string(breach_id))
                           .status());
    for (const BreachAffectedRecord& p : people) {
      FG_RETURN_IF_ERROR(db_.Exec("INSERT INTO breach_affected (breach_id, subject, kinds, notified_at) "
                                  "VALUES (?, ?, ?, ?)",
                                  Params().Int(breach_id).Text(p.subject).Text(JsonList(p.kinds)).OptInt(p.notified_at),
                                  "recording subject " + Quote(p.subject) + " as affected by breach " +
                                      std::to_string(breach_id))
                             .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<BreachAffectedRecord>> SqlStore::ListBreachAffected(int64_t breach_id) {
  std::vector<BreachAffectedRecord> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT breach_id, subject, kinds, notified_at FROM breach_affected "
                               "WHERE breach_id = ? ORDER BY subject{collate_c}",
                               Params().Int(breach_id),
                               "listing the affected people of breach " + std::to_string(breach_id),
                               [&](const Row& row) {
                                 BreachAffectedRecord a;
                                 a.breach_id = row.Int(0);
                                 a.subject = row.Text(1);
                                 a.kinds = sqlstore::ParseStringList(row.Text(2));
                                 a.notified_at = row.OptInt(3);
                                 out.push_back(std::move(a));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Status SqlStore::MarkBreachAffectedNotified(int64_t breach_id, UnixTime at) {
  return Write("UPDATE breach_affected SET notified_at = ? WHERE breach_id = ? AND notified_at IS NULL",
               Params().Int(at ? at : Now()).Int(breach_id),
               "recording the notices of breach " + std::to_string(breach_id))
      .status();
}

Result<std::vector<int64_t>> SqlStore::DeleteExpiredBreaches(UnixTime now) {
  std::vector<int64_t> ids;
  Status s = db_.Transaction([&]() -> Status {
    ids.clear();
    // Open breaches never expire (REQ S5). What is read is what is deleted: the
    // write lock is held from the start.
    FG_RETURN_IF_ERROR(db_.Query("SELECT id FROM breaches WHERE status = 'closed' AND expires_at <= ? ORDER BY id",
                                 Params().Int(now), "finding expired breaches",
                                 [&](const Row& row) {
                                   ids.push_back(row.Int(0));
                                   return Status::Ok();
                                 })
                           .status());
    FG_RETURN_IF_ERROR(db_.Exec("DELETE FROM breach_affected WHERE breach_id IN (SELECT id FROM breaches "
                                "WHERE status = 'closed' AND expires_at <= ?)",
                                Params().Int(now), "deleting the affected people of expired breaches")
                           .status());
    return db_.Exec("DELETE FROM breaches WHERE status = 'closed' AND expires_at <= ?", Params().Int(now),
                    "deleting expired breaches")
        .status();
  });
  if (!s.ok()) return s;
  return ids;
}

}  // namespace facegate::store
