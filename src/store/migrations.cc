#include "store/migrations.h"

#include <set>

namespace govflow::store {
namespace {

// Serialises migrations across PostgreSQL sessions (an arbitrary constant: "govflow" in ASCII).
constexpr std::string_view kAdvisoryLock = "SELECT pg_advisory_xact_lock(103111118102108)";

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at_unix_s BIGINT NOT NULL)";

Status Lock(sql::Transaction& txn) {
  if (txn.dialect() != sql::Dialect::kPostgres) return Status::Ok();
  return txn.Query(kAdvisoryLock).status();
}

}  // namespace

std::string RenderMigrationSql(std::string_view sql, sql::Dialect dialect) {
  constexpr std::string_view kBytes = "@BYTES@";
  const std::string_view bytes_type = dialect == sql::Dialect::kSqlite ? "BLOB" : "BYTEA";
  std::string out;
  out.reserve(sql.size());
  size_t pos = 0;
  for (;;) {
    size_t hit = sql.find(kBytes, pos);
    if (hit == std::string_view::npos) break;
    out.append(sql.substr(pos, hit - pos));
    out.append(bytes_type);
    pos = hit + kBytes.size();
  }
  out.append(sql.substr(pos));
  return out;
}

Result<int> ApplyMigrations(sql::Database& db, std::span<const Migration> migrations,
                            const Clock& clock) {
  std::set<int64_t> applied;
  {
    GOVFLOW_ASSIGN_OR_RETURN(auto txn, db.Begin(sql::TxnMode::kReadWrite));
    GOVFLOW_RETURN_IF_ERROR(Lock(*txn));
    GOVFLOW_RETURN_IF_ERROR(txn->Execute(kCreateTable).status());
    GOVFLOW_ASSIGN_OR_RETURN(sql::Rows rows, txn->Query("SELECT version FROM schema_migrations"));
    for (const sql::Row& row : rows) applied.insert(row.Int(0));
    GOVFLOW_RETURN_IF_ERROR(txn->Commit());
  }
  std::set<int64_t> known;
  for (const Migration& m : migrations) known.insert(m.version);
  for (int64_t v : applied) {
    if (!known.contains(v)) {
      return FailedPrecondition("database schema has migration " + std::to_string(v) +
                                " which this binary does not know; upgrade govflow");
    }
  }

  int count = 0;
  for (const Migration& m : migrations) {
    if (applied.contains(m.version)) continue;
    GOVFLOW_ASSIGN_OR_RETURN(auto txn, db.Begin(sql::TxnMode::kReadWrite));
    GOVFLOW_RETURN_IF_ERROR(Lock(*txn));
    // Another process may have applied it since we looked.
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows done,
        txn->Query("SELECT 1 FROM schema_migrations WHERE version = ?", {m.version}));
    if (!done.empty()) continue;
    Status s = txn->ExecuteScript(RenderMigrationSql(m.sql, db.dialect()));
    if (!s.ok()) {
      return Status(s.code(), "migration " + std::string(m.name) + " failed: " + s.message());
    }
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
    GOVFLOW_RETURN_IF_ERROR(
        txn->Execute("INSERT INTO schema_migrations (version, name, applied_at_unix_s) "
                     "VALUES (?, ?, ?)",
                     {m.version, std::string(m.name), static_cast<int64_t>(now_s)})
            .status());
    GOVFLOW_RETURN_IF_ERROR(txn->Commit());
    ++count;
  }
  return count;
}

}  // namespace govflow::store
