// The schema as an ordered list of migrations, written once (schema.cpp) and
// rendered for each database. A database records the versions applied in
// `schema_migrations`; opening a store applies the missing ones in one
// transaction and refuses a database newer than this list.
#pragma once

#include <vector>

namespace facegate::store {

struct Migration {
  int version;              // 1, 2, 3... without gaps; never renumber or edit a released one
  const char* description;  // recorded in schema_migrations
  const char* sql;          // one or more statements
};

// All migrations rendered for SQLite, in ascending version order (dialect_sqlite.cpp).
const std::vector<Migration>& SqliteMigrations();

// The schema version this program writes, on every backend (the last migration's version).
int LatestSchemaVersion();

}  // namespace facegate::store
