// The one store: opening, migrations, transactions and the lookups every family uses.
#include "store/sql_store.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "store/schema.h"

namespace facegate::store {

using sql::Params;
using sql::Row;

namespace sqlstore {

UnixTime Now() {
  return static_cast<UnixTime>(std::time(nullptr));
}

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

std::vector<std::string> ParseStringList(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

Status Edited(const std::string& record, const std::string& what) {
  return Status::Integrity(record + " has " + what + ": the database was edited; restore from backup");
}

}  // namespace sqlstore

using sqlstore::Now;
using sqlstore::Quote;

Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<sql::Connection> conn,
                                            const std::vector<Migration>& migrations) {
  auto store = std::make_unique<SqlStore>(std::move(conn));
  FG_RETURN_IF_ERROR(store->Migrate(migrations));
  return std::unique_ptr<Store>(std::move(store));
}

Status SqlStore::Migrate(const std::vector<Migration>& migrations) {
  // In one write transaction: two processes opening a new database at once
  // migrate it one after the other.
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(
        db_.Script(sql::Render(kSchemaMigrationsTable, db_.conn().tokens()), "creating schema_migrations"));
    int64_t current = 0;
    FG_RETURN_IF_ERROR(db_.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", Params(),
                                 "reading the schema version",
                                 [&](const Row& row) {
                                   current = row.Int(0);
                                   return Status::Ok();
                                 })
                           .status());
    if (current > LatestSchemaVersion()) {
      return Status::Integrity(db_.Describe() + " has schema version " + std::to_string(current) +
                               " but this facegate knows only up to " +
                               std::to_string(LatestSchemaVersion()) +
                               ": upgrade facegate, or restore a backup made by this version");
    }
    // Each migration is applied unless recorded, not only those above the highest: version
    // numbers are owned by features that land in any order, so a lower one can come later.
    for (const Migration& m : migrations) {
      FG_ASSIGN_OR_RETURN(int64_t done, db_.Query("SELECT 1 FROM schema_migrations WHERE version = ?",
                                                  Params().Int(m.version), "reading the schema version",
                                                  sql::kCountRows));
      if (done > 0) continue;
      FG_RETURN_IF_ERROR(db_.Script(m.sql, "applying migration " + std::to_string(m.version)));
      FG_RETURN_IF_ERROR(db_.Exec("INSERT INTO schema_migrations (version, description, applied_at) "
                                  "VALUES (?, ?, ?)",
                                  Params().Int(m.version).Text(m.description).Int(Now()),
                                  "recording migration " + std::to_string(m.version))
                             .status());
    }
    return Status::Ok();
  });
}

Status SqlStore::Transaction(const std::function<Status()>& body) {
  return db_.Transaction(body);
}

Result<int64_t> SqlStore::Write(std::string_view sql, const Params& p, const std::string& what) {
  int64_t changed = 0;
  FG_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(changed, db_.Exec(sql, p, what));
    return Status::Ok();
  }));
  return changed;
}

Status SqlStore::RequirePurpose(const std::string& name, bool lock) {
  // {lock_row}: see schema.cpp.
  FG_ASSIGN_OR_RETURN(int64_t n, db_.Query(lock ? "SELECT 1 FROM purposes WHERE name = ?{lock_row}"
                                                : "SELECT 1 FROM purposes WHERE name = ?",
                                           Params().Text(name), "looking up purpose " + Quote(name),
                                           sql::kCountRows));
  if (n > 0) return Status::Ok();
  return Status::NotFound("purpose " + Quote(name) +
                          " does not exist: declare it first (facegate purpose add)");
}

Status SqlStore::RequireSubject(const std::string& subject) {
  FG_ASSIGN_OR_RETURN(int64_t n, db_.Query("SELECT 1 FROM subjects WHERE id = ?", Params().Text(subject),
                                           "looking up subject " + Quote(subject), sql::kCountRows));
  if (n > 0) return Status::Ok();
  return Status::NotFound("subject " + Quote(subject) +
                          " does not exist: register it first (Store::EnsureSubject)");
}

}  // namespace facegate::store
