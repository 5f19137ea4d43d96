// The PostgreSQL schema as an ordered list of migrations, numbered like the
// SQLite ones (1: tables, 2: append-only audit) so a version means the same
// schema in both backends. OpenPostgresStore applies the missing ones in one
// transaction and refuses a database newer than this list.
#pragma once

#include <vector>

#include "store/migrations.h"

namespace facegate::store {

// All migrations, in ascending version order.
const std::vector<Migration>& PostgresMigrations();

// The schema version this program writes on PostgreSQL.
int LatestPostgresSchemaVersion();

}  // namespace facegate::store
