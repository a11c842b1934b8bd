// Versioned schema migrations: numbered SQL files from src/store/migrations/, embedded in the
// binary at build time, applied in order when a Store opens and recorded in schema_migrations.
// Applying is idempotent and safe from several processes at once (each migration runs in its own
// transaction under the database's write lock / a PostgreSQL advisory lock). Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "store/sql.h"

namespace govflow::store {

struct Migration {
  int64_t version;        // from the file name's numeric prefix: 0001_initial.sql -> 1
  std::string_view name;  // the file name without ".sql"
  std::string_view sql;   // the file's text, with dialect tokens (see RenderMigrationSql)
};

// The migrations compiled into this binary, in ascending version order.
std::span<const Migration> EmbeddedMigrations();

// Replaces dialect tokens in a migration: @BYTES@ -> BLOB (SQLite) or BYTEA (PostgreSQL).
std::string RenderMigrationSql(std::string_view sql, sql::Dialect dialect);

// Applies every migration of `migrations` whose version is not yet in schema_migrations, each in
// its own transaction. Returns how many were applied (0 when the schema is current). Fails with
// kFailedPrecondition when the database has a version this binary does not know (a newer binary
// migrated it), so that an old binary never runs against a newer schema.
Result<int> ApplyMigrations(sql::Database& db, std::span<const Migration> migrations,
                            const Clock& clock);

}  // namespace govflow::store
