// The SQLite schema as an ordered list of migrations. A database records the
// versions applied in `schema_migrations`; OpenSqliteStore applies the missing
// ones in one transaction and refuses a database newer than this list.
#pragma once

#include <vector>

namespace facegate::store {

struct Migration {
  int version;              // 1, 2, 3... without gaps; never renumber or edit a released one
  const char* description;  // recorded in schema_migrations
  const char* sql;          // one or more statements
};

// All migrations, in ascending version order.
const std::vector<Migration>& SqliteMigrations();

// The schema version this program writes (the last migration's version).
int LatestSchemaVersion();

}  // namespace facegate::store
