// The one store: what the operator console reads besides the records themselves: the count of
// people with stored face data against the filing line (REQ F2), every version of a purpose's
// notice (REQ N3), and the tallies of the dashboard (refusals by requirement, alternatives,
// consent refusals). Reads only; one query each, the same text on SQLite and PostgreSQL.
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Quote;

namespace {

// The one integer a COUNT query answers.
template <class Db>
Result<int64_t> CountOne(Db& db, const char* sql, const std::string& what) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(db.Query(sql, Params(), what, [&](const Row& row) {
                         n = row.Int(0);
                         return Status::Ok();
                       })
                         .status());
  return n;
}

}  // namespace

// REQ F2: people, not templates: a person enrolled for two purposes counts once.
Result<int64_t> SqlStore::CountPeopleWithFaceData() {
  return CountOne(db_, "SELECT COUNT(DISTINCT subject) FROM templates",
                  "counting people with stored face data");
}

Result<std::vector<NoticeRecord>> SqlStore::ListNotices(const std::string& purpose) {
  FG_RETURN_IF_ERROR(RequirePurpose(purpose));
  std::vector<NoticeRecord> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT id, purpose, version, text, sha256, published_at FROM notices "
                               "WHERE purpose = ? ORDER BY version",
                               Params().Text(purpose), "listing the notices of purpose " + Quote(purpose),
                               [&](const Row& row) {
                                 NoticeRecord n;
                                 n.id = row.Int(0);
                                 n.purpose = row.Text(1);
                                 n.version = static_cast<int>(row.Int(2));
                                 n.text = row.Text(3);
                                 n.sha256 = row.Text(4);
                                 n.published_at = row.Int(5);
                                 out.push_back(std::move(n));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

// Reads the whole audit table once (no index on outcome): a dashboard's occasional read, not
// a hot path.
Result<std::vector<std::pair<std::string, int64_t>>> SqlStore::CountRefusalsByRequirement() {
  std::vector<std::pair<std::string, int64_t>> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT SUBSTR(outcome, 9), COUNT(*) FROM audit_events "
                               "WHERE outcome LIKE 'refused:%' GROUP BY SUBSTR(outcome, 9) "
                               "ORDER BY SUBSTR(outcome, 9){collate_c}",
                               Params(), "counting refusals in the audit log",
                               [&](const Row& row) {
                                 out.emplace_back(row.Text(0), row.Int(1));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>>
SqlStore::CountAlternativesByMethod() {
  std::vector<std::pair<std::pair<std::string, std::string>, int64_t>> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT method, outcome, COUNT(*) FROM alternatives "
                               "GROUP BY method, outcome ORDER BY method{collate_c}, outcome{collate_c}",
                               Params(), "counting face-free transactions",
                               [&](const Row& row) {
                                 out.push_back({{row.Text(0), row.Text(1)}, row.Int(2)});
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<int64_t> SqlStore::CountConsentRefusals() {
  return CountOne(db_, "SELECT COUNT(*) FROM consent_refusals", "counting refusals of consent");
}

}  // namespace facegate::store
