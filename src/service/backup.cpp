// Backups without keys (REQ S7): the copy holds sealed templates but no subject
// key, so whatever the live store shreds is unreadable in every backup too.
#include <sqlite3.h>

#include <filesystem>

#include "service/service_impl.h"
#include "store/fs_util.h"

namespace facegate::service {

namespace fs = std::filesystem;

namespace {

Status SqliteRun(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : sqlite3_errmsg(db);
  sqlite3_free(err);
  return Status::Internal(what + ": " + msg);
}

std::string SqlQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// VACUUM INTO a temporary file, drop the keys from it, VACUUM again so no page
// of the copy keeps a key's bytes, then move it into place.
Status WriteKeylessCopy(const std::string& db_path, const std::string& out) {
  const std::string tmp = out + ".partial";
  std::error_code ec;
  fs::remove(tmp, ec);
  // The copy holds sealed templates and identity rows: 0600 from the start, since
  // VACUUM INTO would create it with the umask (it accepts an existing empty file).
  FG_RETURN_IF_ERROR(store::WritePrivateFile(tmp, ""));
  sqlite3* src = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string msg = src ? sqlite3_errmsg(src) : "out of memory";
    sqlite3_close_v2(src);
    return Status::Internal("cannot open database " + db_path + " for backup: " + msg);
  }
  sqlite3_busy_timeout(src, 5000);
  Status st = SqliteRun(src, "VACUUM INTO " + SqlQuote(tmp), "copying " + db_path);
  sqlite3_close_v2(src);
  if (!st.ok()) {
    fs::remove(tmp, ec);
    return st;
  }
  sqlite3* copy = nullptr;
  if (sqlite3_open_v2(tmp.c_str(), &copy, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(copy);
    fs::remove(tmp, ec);
    return Status::Internal("cannot open the backup copy " + tmp);
  }
  st = SqliteRun(copy,
                 "PRAGMA journal_mode=DELETE; PRAGMA secure_delete=ON; DELETE FROM subject_keys; "
                 "DELETE FROM purpose_keys; VACUUM;",
                 "removing the data keys from the backup");
  sqlite3_close_v2(copy);
  if (st.ok()) {
    fs::rename(tmp, out, ec);
    if (ec) st = Status::Internal("cannot move the backup to " + out + ": " + ec.message());
  }
  if (!st.ok()) fs::remove(tmp, ec);
  return st;
}

}  // namespace

Status Service::Backup(const std::string& path, const std::string& actor) {
  return Backup(path, "", actor);
}

Status Service::Backup(const std::string& path, const std::string& recipient, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "backup";
  if (IsPostgresConninfo(I.config.database))
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput("facegate backup copies the embedded SQLite database; for "
                                       "PostgreSQL run pg_dump --exclude-table-data=subject_keys "
                                       "--exclude-table-data=purpose_keys, which keeps the same rule (backups carry no keys, REQ S7)"));
  if (path.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("give the backup file to write"));
  std::error_code ec;
  if (fs::exists(path, ec))
    return I.Fail(actor, act, "", "",
                  Status::Conflict("backup file " + path +
                                   " exists; give a new file name, nothing was overwritten"));
  // REQ S8: a backup sent abroad is a transfer of everyone's data.
  if (!recipient.empty()) {
    Status transfer = CheckTransferOfEveryone(recipient, "a backup for '" + recipient + "'");
    if (!transfer.ok()) return I.Fail(actor, act, "", "", transfer, {{"recipient", recipient}});
  }
  Status st = WriteKeylessCopy(I.config.data_dir + "/facegate.db", path);
  json d = {{"file", path}, {"subject_keys", "excluded"}, {"purpose_keys", "excluded"}};
  if (!recipient.empty()) d["recipient"] = recipient;
  I.Audit(actor, act, "", "", st, d);
  return st;
}

}  // namespace facegate::service
