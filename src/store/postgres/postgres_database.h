// The PostgreSQL back end of the SQL layer (internal to src/store; use sql::Database::Open).
// Each pooled connection is a libpq PGconn; transactions run at READ COMMITTED, and the
// Store relies on row locks (FOR UPDATE SKIP LOCKED) and version checks for concurrency.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "store/sql.h"

namespace govflow::store::sql {

// Connects once to check the server is reachable (kUnavailable otherwise).
Result<std::unique_ptr<Database>> OpenPostgresDatabase(const std::string& conninfo,
                                                       const DatabaseOptions& options);

}  // namespace govflow::store::sql
