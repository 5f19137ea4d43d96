// The one schema definition of both databases: versioned migrations written
// once with `{token}`s (schema.cpp), rendered per dialect (dialect_*.cpp), so
// SqliteMigrations() and PostgresMigrations() are two renderings of one list.
#pragma once

#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/sql.h"

namespace facegate::store {

// Every migration with its tokens unrendered, in ascending version order.
const std::vector<Migration>& SchemaMigrations();

// schema_migrations itself, created before the migrations run (tokens unrendered).
extern const char* const kSchemaMigrationsTable;

enum class Dialect { kSqlite, kPostgres };

// The `{token}`s of the schema and of the store's statements in `dialect`:
// the names both share (schema.cpp's table), plus the dialect's own `snippets`.
sql::Tokens DialectTokens(Dialect dialect, sql::Tokens snippets);

// The migrations rendered with one dialect's tokens; the texts live as long as this.
class RenderedSchema {
 public:
  explicit RenderedSchema(const sql::Tokens& tokens);
  RenderedSchema(const RenderedSchema&) = delete;
  RenderedSchema& operator=(const RenderedSchema&) = delete;
  const std::vector<Migration>& migrations() const { return list_; }

 private:
  std::vector<std::string> texts_;
  std::vector<Migration> list_;
};

}  // namespace facegate::store
