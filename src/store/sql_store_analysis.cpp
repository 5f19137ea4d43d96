// The one store: analysis statistics per calendar window (REQ AN2).
#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Quote;

namespace {

const char* const kWindowColumns =
    "purpose, start_at, end_at, k, requests, images, released_at, faces, counts, suppressed";

AnalysisWindowRecord ReadWindow(const Row& row) {
  AnalysisWindowRecord w;
  w.purpose = row.Text(0);
  w.start = row.Int(1);
  w.end = row.Int(2);
  w.k = static_cast<int>(row.Int(3));
  w.requests = row.Int(4);
  w.images = row.Int(5);
  w.released_at = row.OptInt(6);
  w.faces = row.OptInt(7).value_or(-1);
  auto counts = nlohmann::json::parse(row.Text(8), nullptr, false);
  if (counts.is_object())
    for (const auto& [g, n] : counts.items())
      if (n.is_number_integer()) w.counts.emplace_back(g, n.get<int64_t>());
  w.suppressed = sqlstore::ParseStringList(row.Text(9));
  return w;
}

std::string WindowName(const std::string& purpose, UnixTime start) {
  return "the analysis window of purpose " + Quote(purpose) + " starting at " + std::to_string(start);
}

}  // namespace

Status SqlStore::AddToAnalysisWindow(const AnalysisWindowRecord& w,
                                     const std::vector<std::pair<std::string, int64_t>>& groups,
                                     const std::vector<std::string>& hashes) {
  const std::string what = WindowName(w.purpose, w.start);
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(db_.Exec("INSERT INTO analysis_windows (purpose, start_at, end_at, k) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT (purpose, start_at) DO NOTHING",
                                Params().Text(w.purpose).Int(w.start).Int(w.end).Int(w.k), "opening " + what)
                           .status());
    FG_ASSIGN_OR_RETURN(int64_t open,
                        db_.Exec("UPDATE analysis_windows SET requests = requests + 1, images = images + ?, "
                                 "k = CASE WHEN k < ? THEN ? ELSE k END "
                                 "WHERE purpose = ? AND start_at = ? AND released_at IS NULL",
                                 Params().Int(w.images).Int(w.k).Int(w.k).Text(w.purpose).Int(w.start),
                                 "adding a request to " + what));
    if (open == 0)
      return Status::Conflict(what + " was released already; nothing is added to a released window");
    for (const auto& [g, n] : groups)
      FG_RETURN_IF_ERROR(db_.Exec("INSERT INTO analysis_tallies (purpose, start_at, grp, n) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (purpose, start_at, grp) DO UPDATE SET n = analysis_tallies.n + excluded.n",
                                  Params().Text(w.purpose).Int(w.start).Text(g).Int(n), "tallying " + what)
                             .status());
    for (const std::string& h : hashes)
      FG_RETURN_IF_ERROR(db_.Exec("INSERT INTO analysis_seen (purpose, start_at, hash) VALUES (?, ?, ?)",
                                  Params().Text(w.purpose).Int(w.start).Text(h), "remembering a picture of " + what)
                             .status());
    return Status::Ok();
  });
}

Result<std::vector<std::string>> SqlStore::AnalysisSeen(const std::string& purpose, UnixTime since) {
  std::vector<std::string> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT hash FROM analysis_seen WHERE purpose = ? AND start_at >= ?",
                               Params().Text(purpose).Int(since),
                               "reading the pictures counted for purpose " + Quote(purpose),
                               [&](const Row& row) -> Status {
                                 out.push_back(row.Text(0));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<std::vector<std::pair<std::string, int64_t>>> SqlStore::AnalysisTallies(const std::string& purpose,
                                                                               UnixTime start) {
  std::vector<std::pair<std::string, int64_t>> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT grp, n FROM analysis_tallies WHERE purpose = ? AND start_at = ? ORDER BY grp",
                               Params().Text(purpose).Int(start), "reading the tallies of " + WindowName(purpose, start),
                               [&](const Row& row) -> Status {
                                 out.emplace_back(row.Text(0), row.Int(1));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<bool> SqlStore::ReleaseAnalysisWindow(const AnalysisWindowRecord& w) {
  const std::string what = WindowName(w.purpose, w.start);
  bool released = false;
  FG_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [g, n] : w.counts) counts[g] = n;
    FG_ASSIGN_OR_RETURN(int64_t n,
                        db_.Exec("UPDATE analysis_windows SET released_at = ?, faces = ?, counts = ?, suppressed = ? "
                                 "WHERE purpose = ? AND start_at = ? AND released_at IS NULL",
                                 Params()
                                     .Int(w.released_at.value_or(0))
                                     .OptInt(w.faces >= 0 ? std::optional<int64_t>(w.faces) : std::nullopt)
                                     .Text(counts.dump())
                                     .Text(nlohmann::json(w.suppressed).dump())
                                     .Text(w.purpose)
                                     .Int(w.start),
                                 "releasing " + what));
    if (n == 0) return Status::Ok();
    released = true;
    return db_.Exec("DELETE FROM analysis_tallies WHERE purpose = ? AND start_at = ?",
                    Params().Text(w.purpose).Int(w.start), "deleting the tallies of " + what)
        .status();
  }));
  return released;
}

Result<int64_t> SqlStore::ForgetAnalysisPictures(UnixTime before) {
  return db_.Exec("DELETE FROM analysis_seen WHERE start_at < ?", Params().Int(before),
                  "deleting the picture hashes past the repeat horizon");
}

Result<std::vector<AnalysisWindowRecord>> SqlStore::EndedAnalysisWindows(const std::string& purpose, UnixTime now) {
  std::vector<AnalysisWindowRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kWindowColumns +
                                   " FROM analysis_windows WHERE released_at IS NULL AND end_at <= ? "
                                   "AND (? = '' OR purpose = ?) ORDER BY start_at, purpose",
                               Params().Int(now).Text(purpose).Text(purpose), "finding the analysis windows that ended",
                               sqlstore::Append(out, ReadWindow))
                         .status());
  return out;
}

Result<std::vector<AnalysisWindowRecord>> SqlStore::ListAnalysisWindows(const std::string& purpose, UnixTime from,
                                                                        UnixTime to) {
  std::vector<AnalysisWindowRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(std::string("SELECT ") + kWindowColumns +
                                   " FROM analysis_windows WHERE purpose = ? AND start_at >= ? AND start_at < ? "
                                   "ORDER BY start_at",
                               Params().Text(purpose).Int(from).Int(to),
                               "listing the analysis windows of purpose " + Quote(purpose),
                               sqlstore::Append(out, ReadWindow))
                         .status());
  return out;
}

}  // namespace facegate::store
