// The one store: impact assessments, the filing line and the compliance report's counts
// (REQ F1-F3; migration 13).
#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

namespace {

constexpr const char* kAssessmentColumns =
    "id, target_kind, target, lawfulness, data_kinds, impact, measures, author, created_at, status, approver, "
    "approved_at, notice_version, scope_size, due_reason, due_at, document_sha256, keep_until";

ImpactAssessmentRecord ReadAssessment(const Row& row) {
  ImpactAssessmentRecord a;
  a.id = row.Int(0);
  a.target_kind = row.Text(1);
  a.target = row.Text(2);
  a.lawfulness = row.Text(3);
  a.data_kinds = sqlstore::ParseStringList(row.Text(4));
  a.impact = row.Text(5);
  a.measures = row.Text(6);
  a.author = row.Text(7);
  a.created_at = row.Int(8);
  a.status = row.Text(9);
  a.approver = row.Text(10);
  a.approved_at = row.OptInt(11);
  a.notice_version = row.Int(12);
  a.scope_size = row.Int(13);
  a.due_reason = row.Text(14);
  a.due_at = row.OptInt(15);
  a.document_sha256 = row.Text(16);
  a.keep_until = row.Int(17);
  return a;
}

// Rows of (text, count) into `out`.
auto Pairs(std::vector<std::pair<std::string, int64_t>>& out) {
  return [&out](const Row& row) -> Status {
    out.emplace_back(row.Text(0), row.Int(1));
    return Status::Ok();
  };
}

}  // namespace

Result<ImpactAssessmentRecord> SqlStore::AddAssessment(const ImpactAssessmentRecord& in) {
  ImpactAssessmentRecord a = in;
  if (!a.created_at) a.created_at = Now();
  const std::string sql = std::string("INSERT INTO impact_assessments (") +
                          (kAssessmentColumns + 4) /* without "id, " */ +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
  Params p;
  p.Text(a.target_kind)
      .Text(a.target)
      .Text(a.lawfulness)
      .Text(nlohmann::json(a.data_kinds).dump())
      .Text(a.impact)
      .Text(a.measures)
      .Text(a.author)
      .Int(a.created_at)
      .Text(a.status)
      .Text(a.approver)
      .OptInt(a.approved_at)
      .Int(a.notice_version)
      .Int(a.scope_size)
      .Text(a.due_reason)
      .OptInt(a.due_at)
      .Text(a.document_sha256)
      .Int(a.keep_until);
  Status s = db_.Transaction([&]() -> Status {
    return db_.Query(sql, p, "recording the impact assessment of " + a.target_kind + " " + Quote(a.target),
                     [&](const Row& row) {
                       a.id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return a;
}

Result<ImpactAssessmentRecord> SqlStore::GetAssessment(int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kAssessmentColumns + " FROM impact_assessments WHERE id = ?";
  std::optional<ImpactAssessmentRecord> a;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Int(id), "reading impact assessment " + std::to_string(id),
                               sqlstore::Assign(a, ReadAssessment))
                         .status());
  if (!a)
    return Status::NotFound("impact assessment " + std::to_string(id) +
                            " does not exist; `facegate assessment list` shows them");
  return std::move(*a);
}

Result<std::vector<ImpactAssessmentRecord>> SqlStore::ListAssessments(const std::string& target_kind,
                                                                      const std::string& target) {
  static const std::string sql = std::string("SELECT ") + kAssessmentColumns +
                                 " FROM impact_assessments WHERE (? = '' OR target_kind = ?) AND "
                                 "(? = '' OR target = ?) ORDER BY created_at DESC, id DESC";
  std::vector<ImpactAssessmentRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(target_kind).Text(target_kind).Text(target).Text(target),
                               "listing impact assessments", sqlstore::Append(out, ReadAssessment))
                         .status());
  return out;
}

Status SqlStore::UpdateAssessment(const ImpactAssessmentRecord& a, const std::string& from_status) {
  auto lock = db_.Lock();
  Params p;
  p.Text(a.status)
      .Text(a.approver)
      .OptInt(a.approved_at)
      .Int(a.notice_version)
      .Int(a.scope_size)
      .Text(a.measures)
      .Text(a.due_reason)
      .OptInt(a.due_at)
      .Text(a.document_sha256)
      .Int(a.keep_until)
      .Int(a.id)
      .Text(from_status);
  FG_ASSIGN_OR_RETURN(int64_t changed,
                      Write("UPDATE impact_assessments SET status = ?, approver = ?, approved_at = ?, "
                            "notice_version = ?, scope_size = ?, measures = ?, due_reason = ?, due_at = ?, "
                            "document_sha256 = ?, keep_until = ? WHERE id = ? AND status = ?",
                            p, "moving impact assessment " + std::to_string(a.id) + " to " + Quote(a.status)));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ImpactAssessmentRecord now, GetAssessment(a.id));  // kNotFound for an unknown id
  return Status::Conflict("impact assessment " + std::to_string(a.id) + " is " + Quote(now.status) +
                          ", not " + Quote(from_status) + ": someone changed it first; show it again");
}

Result<std::vector<int64_t>> SqlStore::MarkAssessmentsDue(const std::string& target_kind,
                                                          const std::string& target, const std::string& reason,
                                                          UnixTime at) {
  std::vector<int64_t> ids;
  Status s = db_.Transaction([&]() -> Status {
    ids.clear();
    FG_RETURN_IF_ERROR(db_.Query("SELECT id FROM impact_assessments WHERE target_kind = ? AND target = ? AND "
                                 "status = 'approved' ORDER BY id",
                                 Params().Text(target_kind).Text(target), "finding approved assessments",
                                 [&](const Row& row) {
                                   ids.push_back(row.Int(0));
                                   return Status::Ok();
                                 })
                           .status());
    return db_.Exec("UPDATE impact_assessments SET status = 'due', due_reason = ?, due_at = ? "
                    "WHERE target_kind = ? AND target = ? AND status = 'approved'",
                    Params().Text(reason).Int(at).Text(target_kind).Text(target),
                    "marking the assessments of " + target_kind + " " + Quote(target) + " due")
        .status();
  });
  if (!s.ok()) return s;
  return ids;
}

Result<int64_t> SqlStore::CountPeopleForPurpose(const std::string& purpose) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(db_.Query("SELECT COUNT(DISTINCT subject) FROM templates WHERE purpose = ?",
                               Params().Text(purpose), "counting the people of purpose " + Quote(purpose),
                               [&](const Row& row) {
                                 n = row.Int(0);
                                 return Status::Ok();
                               })
                         .status());
  return n;
}

Result<bool> SqlStore::RecordFilingMark(const FilingMarkRecord& m) {
  FG_ASSIGN_OR_RETURN(int64_t changed,
                      Write("INSERT INTO filing_marks (mark, people, crossed_at, crossed_date, due_date, actor) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (mark) DO NOTHING",
                            Params()
                                .Int(m.mark)
                                .Int(m.people)
                                .Int(m.crossed_at)
                                .Text(m.crossed_date)
                                .Text(m.due_date)
                                .Text(m.actor),
                            "recording filing mark " + std::to_string(m.mark)));
  return changed == 1;
}

Result<std::vector<FilingMarkRecord>> SqlStore::ListFilingMarks() {
  std::vector<FilingMarkRecord> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT mark, people, crossed_at, crossed_date, due_date, actor FROM filing_marks "
                               "ORDER BY mark",
                               Params(), "listing filing marks",
                               [&](const Row& row) {
                                 FilingMarkRecord m;
                                 m.mark = row.Int(0);
                                 m.people = row.Int(1);
                                 m.crossed_at = row.Int(2);
                                 m.crossed_date = row.Text(3);
                                 m.due_date = row.Text(4);
                                 m.actor = row.Text(5);
                                 out.push_back(std::move(m));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<PeriodCounts> SqlStore::CountPeriod(UnixTime from, UnixTime to) {
  PeriodCounts c;
  c.from = from;
  c.to = to;
  const Params period = Params().Int(from).Int(to);
  auto one = [&](const char* sql, int64_t* out, const char* what) -> Status {
    return db_.Query(sql, period, what,
                     [out](const Row& row) {
                       *out = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  };
  // One read snapshot for every number of the report.
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM consents WHERE given_at >= ? AND given_at < ?",
                           &c.consents_given, "counting consents given"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM consents WHERE withdrawn_at >= ? AND withdrawn_at < ?",
                           &c.consents_withdrawn, "counting consents withdrawn"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM audit_events WHERE at >= ? AND at < ?", &c.audit_events,
                           "counting audit events"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM breaches WHERE opened_at >= ? AND opened_at < ?",
                           &c.breaches_opened, "counting breaches"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM rights_requests WHERE received_at >= ? AND received_at < ?",
                           &c.rights_received, "counting rights requests"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM rights_requests WHERE received_at >= ? AND received_at < ? "
                           "AND status = 'done'",
                           &c.rights_done, "counting rights requests done"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM rights_requests WHERE received_at >= ? AND received_at < ? "
                           "AND status = 'refused'",
                           &c.rights_refused, "counting rights requests refused"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM rights_requests WHERE received_at >= ? AND received_at < ? "
                           "AND status <> 'open' AND completed_at <= due_at",
                           &c.rights_closed_on_time, "counting rights requests closed in time"));
    FG_RETURN_IF_ERROR(one("SELECT COUNT(*) FROM rights_requests WHERE received_at >= ? AND received_at < ? "
                           "AND status <> 'open' AND completed_at > due_at",
                           &c.rights_closed_late, "counting rights requests closed late"));
    FG_RETURN_IF_ERROR(db_.Query("SELECT COUNT(*) FROM rights_requests WHERE received_at >= ? AND "
                                 "received_at < ? AND status = 'open' AND due_at < ?",
                                 Params().Int(from).Int(to).Int(to), "counting overdue rights requests",
                                 [&](const Row& row) {
                                   c.rights_open_overdue = row.Int(0);
                                   return Status::Ok();
                                 })
                           .status());
    FG_RETURN_IF_ERROR(db_.Query("SELECT SUBSTR(outcome, 9), COUNT(*) FROM audit_events WHERE at >= ? AND "
                                 "at < ? AND outcome LIKE 'refused:%' GROUP BY outcome ORDER BY outcome{collate_c}",
                                 period, "counting refusals by requirement", Pairs(c.refusals))
                           .status());
    FG_RETURN_IF_ERROR(db_.Query("SELECT method || ' ' || (CASE WHEN outcome = '' THEN 'open' ELSE outcome END), "
                                 "COUNT(*) FROM alternatives WHERE opened_at >= ? AND opened_at < ? "
                                 "GROUP BY method, outcome ORDER BY method{collate_c}, outcome{collate_c}",
                                 period, "counting alternatives used", Pairs(c.alternatives))
                           .status());
    return db_.Query("SELECT action, COUNT(*) FROM audit_events WHERE at >= ? AND at < ? AND outcome = 'ok' "
                     "GROUP BY action ORDER BY action{collate_c}",
                     period, "counting operations", Pairs(c.operations))
        .status();
  });
  if (!s.ok()) return s;
  return c;
}

}  // namespace facegate::store
