#include "store/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "store/connection_pool.h"
#include "store/deferred_writes.h"

namespace govflow::store::sql {
namespace {

Status MapSqliteError(sqlite3* db, int rc, std::string_view what) {
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  std::string message = std::string(what) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) + " (sqlite " +
                        std::to_string(extended) + ")";
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return AlreadyExists(std::move(message));
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return FailedPrecondition(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status(StatusCode::kAborted, std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return ResourceExhausted(std::move(message));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Unavailable(std::move(message));
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return InvalidArgument(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

// One sqlite3 handle and its cache of prepared statements.
class SqliteConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* db() const { return db_; }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return MapSqliteError(db_, rc, "prepare");
    if (stmt == nullptr) return InvalidArgument("empty SQL statement");
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  Status Exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return MapSqliteError(db_, rc, "exec");
    return Status::Ok();
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

Status Bind(sqlite3* db, sqlite3_stmt* stmt, const Params& params) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return InvalidArgument("statement has " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                           " placeholders but " + std::to_string(params.size()) +
                           " parameters were given");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    const Value& v = params[i];
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, idx);
    } else if (const auto* n = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, idx, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, idx, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<Blob>(&v)) {
      rc = sqlite3_bind_blob64(stmt, idx, b->bytes.data(), b->bytes.size(), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return MapSqliteError(db, rc, "bind");
  }
  return Status::Ok();
}

Value ReadColumn(sqlite3_stmt* stmt, int col) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(stmt, col));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, col);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, col));
      const int size = sqlite3_column_bytes(stmt, col);
      return Blob{data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size))};
    }
    default:
      return nullptr;
  }
}

// In-process notifications for SQLite (one node): a pending flag per (file, channel).
class LocalSignals {
 public:
  static LocalSignals& Get() {
    static LocalSignals* signals = new LocalSignals();  // never destroyed: used at exit
    return *signals;
  }
  void Notify(const std::string& key) {
    std::lock_guard lock(mu_);
    pending_[key] = true;
    cv_.notify_all();
  }
  bool Wait(const std::string& key, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    const bool signalled = cv_.wait_for(lock, timeout, [&] { return pending_[key]; });
    pending_[key] = false;
    return signalled;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, bool> pending_;  // GUARDED_BY(mu_)
};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase* owner, std::unique_ptr<SqliteConnection> conn,
                    std::unique_lock<std::mutex> writer_lock)
      : owner_(owner), conn_(std::move(conn)), writer_lock_(std::move(writer_lock)) {}
  ~SqliteTransaction() override {
    (void)Rollback();
    ForgetDeferredWrites(*this);
  }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    GOVFLOW_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const Params& params) override {
    GOVFLOW_RETURN_IF_ERROR(Run(sql, params, nullptr));
    return static_cast<int64_t>(sqlite3_changes64(conn_->db()));
  }

  Status ExecuteScript(std::string_view sql) override {
    if (!conn_) return FailedPrecondition("transaction already finished");
    return conn_->Exec(std::string(sql).c_str());
  }

  Status Commit() override;
  Status Rollback() override;
  Dialect dialect() const override { return Dialect::kSqlite; }

 private:
  Status Run(std::string_view sql, const Params& params, Rows* rows) {
    if (!conn_) return FailedPrecondition("transaction already finished");
    GOVFLOW_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn_->Prepare(sql));
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    GOVFLOW_RETURN_IF_ERROR(Bind(conn_->db(), stmt, params));
    const int columns = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return Status::Ok();
      if (rc != SQLITE_ROW) return MapSqliteError(conn_->db(), rc, "step");
      if (rows != nullptr) {
        std::vector<Value> values;
        values.reserve(static_cast<size_t>(columns));
        for (int c = 0; c < columns; ++c) values.push_back(ReadColumn(stmt, c));
        rows->emplace_back(std::move(values));
      }
    }
  }

  void Finish(bool healthy);

  SqliteDatabase* owner_;
  std::unique_ptr<SqliteConnection> conn_;
  std::unique_lock<std::mutex> writer_lock_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, const DatabaseOptions& options)
      : path_(std::move(path)),
        options_(options),
        pool_(options.max_connections, options.pool_wait, [this] { return Connect(); }) {}

  Status Init() {
    // The first connection switches the file to WAL mode (persistent in the file).
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> conn, pool_.Acquire());
    Status s = conn->Exec("PRAGMA journal_mode=WAL");
    pool_.Release(std::move(conn), s.ok());
    return s;
  }

  Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) override {
    std::unique_lock<std::mutex> writer_lock;
    if (mode == TxnMode::kReadWrite) writer_lock = std::unique_lock(writer_mu_);
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> conn, pool_.Acquire());
    Status s = conn->Exec(mode == TxnMode::kReadWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    if (!s.ok()) {
      pool_.Release(std::move(conn), true);
      return s;
    }
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(this, std::move(conn), std::move(writer_lock)));
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string DisplayUrl() const override { return "sqlite://" + path_; }

  Status Notify(std::string_view channel) override {
    LocalSignals::Get().Notify(SignalKey(channel));
    return Status::Ok();
  }
  Result<bool> WaitForNotification(std::string_view channel,
                                   std::chrono::milliseconds timeout) override {
    return LocalSignals::Get().Wait(SignalKey(channel), timeout);
  }

  void Release(std::unique_ptr<SqliteConnection> conn, bool healthy) {
    pool_.Release(std::move(conn), healthy);
  }

 private:
  Result<std::unique_ptr<SqliteConnection>> Connect() {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path_.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      Status s = MapSqliteError(db, rc, "open " + path_);
      sqlite3_close_v2(db);
      return Unavailable(s.message());
    }
    auto conn = std::make_unique<SqliteConnection>(db);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(options_.sqlite_busy_timeout.count()));
    GOVFLOW_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON"));
    GOVFLOW_RETURN_IF_ERROR(conn->Exec(options_.sqlite_synchronous_full
                                           ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL"));
    return conn;
  }

  std::string SignalKey(std::string_view channel) const {
    std::error_code ec;
    std::string canonical = std::filesystem::weakly_canonical(path_, ec).string();
    return (ec ? path_ : canonical) + "#" + std::string(channel);
  }

  const std::string path_;
  const DatabaseOptions options_;
  std::mutex writer_mu_;  // held by the one read-write transaction of this process
  ConnectionPool<SqliteConnection> pool_;
};

void SqliteTransaction::Finish(bool healthy) {
  if (conn_) owner_->Release(std::move(conn_), healthy);
  if (writer_lock_.owns_lock()) writer_lock_.unlock();
}

Status SqliteTransaction::Commit() {
  if (!conn_) return FailedPrecondition("transaction already finished");
  Status s = conn_->Exec("COMMIT");
  if (!s.ok()) {
    // A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); make sure it is gone.
    if (!sqlite3_get_autocommit(conn_->db())) (void)conn_->Exec("ROLLBACK");
  }
  Finish(sqlite3_get_autocommit(conn_->db()) != 0);
  return s;
}

Status SqliteTransaction::Rollback() {
  if (!conn_) return Status::Ok();
  Status s = Status::Ok();
  if (!sqlite3_get_autocommit(conn_->db())) s = conn_->Exec("ROLLBACK");
  Finish(s.ok());
  return s;
}

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path,
                                                     const DatabaseOptions& options) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Unavailable("cannot create directory " + parent.string() + ": " + ec.message());
  auto db = std::make_unique<SqliteDatabase>(path, options);
  GOVFLOW_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace govflow::store::sql
