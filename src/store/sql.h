// The low-level SQL layer under the Store: a Database opened from a URL, RAII Transactions, one
// placeholder syntax ("?") for both engines, fully materialised typed rows, and engine errors
// mapped to Status codes. No SQLite or libpq header leaks out of this interface. Thread-safety:
// Database is thread-safe (it owns a connection pool); a Transaction belongs to one thread at a
// time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace govflow::store::sql {

enum class Dialect { kSqlite, kPostgres };
std::string_view DialectName(Dialect dialect);

// Binary data. Distinct from text so that PostgreSQL can bind it as bytea.
struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};

// One SQL value: NULL, 64-bit integer, double, text or blob. Booleans are integers 0/1.
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;
using Params = std::vector<Value>;

// Convenience for binding optionals: nullopt becomes NULL.
template <typename T>
Value Nullable(const std::optional<T>& v) {
  if (!v) return nullptr;
  return Value(*v);
}

// One result row. Accessors convert leniently (the schema is ours; a type mismatch is a bug):
// NULL reads as 0 / "" and the Optional* forms tell NULL apart.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  const Value& at(size_t i) const { return values_.at(i); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }

  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  // Text, or the bytes of a blob.
  std::string Text(size_t i) const;
  std::optional<int64_t> OptionalInt(size_t i) const;
  std::optional<std::string> OptionalText(size_t i) const;

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;

enum class TxnMode {
  kReadWrite,  // SQLite: BEGIN IMMEDIATE (writers serialised); PostgreSQL: READ COMMITTED
  kReadOnly,   // SQLite: BEGIN DEFERRED, never upgraded; PostgreSQL: READ ONLY
};

// A transaction on one pooled connection. Destroying it without Commit() rolls it back. After any
// failed statement on PostgreSQL the transaction is unusable until rolled back (to a savepoint);
// use Savepoint()/RollbackToSavepoint() to contain a failure.
class Transaction {
 public:
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs one statement with "?" placeholders bound to `params` in order; returns its rows
  // (including RETURNING rows).
  virtual Result<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> Execute(std::string_view sql, const Params& params = {}) = 0;
  // Runs several ';'-separated statements without parameters (migrations).
  virtual Status ExecuteScript(std::string_view sql) = 0;
  // Makes the transaction durable. On error the transaction is rolled back.
  virtual Status Commit() = 0;
  // Discards the transaction. Safe to call twice.
  virtual Status Rollback() = 0;
  virtual Dialect dialect() const = 0;

  // Named savepoints (name must be a plain identifier).
  Status Savepoint(std::string_view name);
  Status RollbackToSavepoint(std::string_view name);
  Status ReleaseSavepoint(std::string_view name);

 protected:
  Transaction() = default;
};

struct DatabaseOptions {
  // Connection pool size; Begin() waits when every connection is in use.
  int max_connections = 8;
  // SQLite: PRAGMA synchronous=FULL (true: a commit survives power loss) or NORMAL (survives a
  // process crash only; faster).
  bool sqlite_synchronous_full = true;
  // SQLite: how long to wait for another process's write lock before failing with kAborted.
  std::chrono::milliseconds sqlite_busy_timeout{5000};
  // How long Begin() waits for a free pooled connection before kResourceExhausted.
  std::chrono::milliseconds pool_wait{30000};
};

class Database {
 public:
  // Opens "sqlite:///abs/path/file.db" (directories are created) or
  // "postgresql://user@host:port/db" (also "postgres://", any libpq URI or key=value string).
  // Unknown schemes give kInvalidArgument; an unreachable server gives kUnavailable.
  static Result<std::unique_ptr<Database>> Open(std::string_view url,
                                                const DatabaseOptions& options = {});

  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Result<std::unique_ptr<Transaction>> Begin(TxnMode mode = TxnMode::kReadWrite) = 0;
  virtual Dialect dialect() const = 0;
  // The URL this database was opened from, with any password removed.
  virtual std::string DisplayUrl() const = 0;

  // Wake-ups between the processes sharing this database (DESIGN.md section 5: nodes wake each
  // other). Notify() signals `channel` (a plain identifier); WaitForNotification() returns true
  // as soon as a signal arrived since the previous wait returned, false after `timeout`.
  // PostgreSQL: LISTEN/NOTIFY, across nodes; the first wait starts listening, so call it once
  // with a zero timeout before the first check for work. SQLite: within this process (a single
  // node), across Database objects on the same file. Meant for one waiter per channel and
  // process (the scheduler); it is a hint to look for work, never a guarantee, so keep polling.
  virtual Status Notify(std::string_view channel) = 0;
  virtual Result<bool> WaitForNotification(std::string_view channel,
                                           std::chrono::milliseconds timeout) = 0;

 protected:
  Database() = default;
};

// "sqlite:///<abs DIR>/govflow.db": the embedded store of `govflow --data DIR`.
std::string SqliteUrlForDataDir(std::string_view data_dir);

// Rewrites "?" placeholders (outside quoted strings and identifiers) as "$1", "$2", ... for
// PostgreSQL. Exposed for tests.
std::string ToPostgresPlaceholders(std::string_view sql);

}  // namespace govflow::store::sql
