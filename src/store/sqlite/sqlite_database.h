// The SQLite (WAL) back end of the SQL layer (internal to src/store; use sql::Database::Open).
// Writers in this process are serialised by a mutex (SQLite allows one writer); other processes
// are waited for with busy_timeout. Readers use their own pooled connections and never block.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "store/sql.h"

namespace govflow::store::sql {

// Opens (creating if needed, with parent directories) the database file at `path`.
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path,
                                                     const DatabaseOptions& options);

}  // namespace govflow::store::sql
