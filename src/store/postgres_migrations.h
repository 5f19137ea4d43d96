// The PostgreSQL rendering of the one schema (schema.cpp): the same versions and
// descriptions as SQLite's, so a version means the same schema in both backends.
// OpenPostgresStore applies the missing ones in one transaction and refuses a
// database newer than this list.
#pragma once

#include <vector>

#include "store/migrations.h"

namespace facegate::store {

// All migrations rendered for PostgreSQL, in ascending version order (dialect_postgres.cpp).
const std::vector<Migration>& PostgresMigrations();

// The schema version this program writes on PostgreSQL.
int LatestPostgresSchemaVersion();

}  // namespace facegate::store
