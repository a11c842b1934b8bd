#include "store/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
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
    auto it = statements_.find(sql);  // no key string built per statement
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
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements_;
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

// Copies the WAL back into the database file on a thread of its own, with a connection of its
// own, so that no COMMIT pays for it (auto-checkpoint is off on every connection). Commits report
// the WAL's size through the writer connection's WAL hook (OnCommit, on the committing thread:
// two atomics and at most one notify). Thread-safe.
class WalCheckpointer {
 public:
  // `writer_mu` is the database's writer mutex: held around a RESTART checkpoint, so that this
  // process's writers queue on it instead of polling SQLite's busy handler.
  WalCheckpointer(std::unique_ptr<SqliteConnection> conn, const SqliteCheckpointOptions& options,
                  int64_t frame_bytes, std::mutex& writer_mu)
      : conn_(std::move(conn)),
        options_(options),
        frame_bytes_(frame_bytes),
        writer_mu_(writer_mu),
        thread_([this] { Loop(); }) {}

  // Stops and joins the thread, then empties the WAL (TRUNCATE), or copies what it can
  // (PASSIVE) when another process is using the database: closing does not wait for it beyond
  // kCloseBusyTimeout.
  ~WalCheckpointer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::lock_guard writer(writer_mu_);
    sqlite3_busy_timeout(conn_->db(), static_cast<int>(kCloseBusyTimeout.count()));
    if (Checkpoint(SQLITE_CHECKPOINT_TRUNCATE) != SQLITE_OK) Checkpoint(SQLITE_CHECKPOINT_PASSIVE);
  }
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Called by a writer before it takes the writer mutex: while a commit has pushed the WAL past
  // the hard limit and the RESTART checkpoint is pending or running, writers wait here (so the
  // checkpointer cannot be starved of the writer mutex). Otherwise one atomic load.
  void WaitWhileRestarting() {
    if (!restarting_.load(std::memory_order_acquire)) return;
    std::unique_lock lock(mu_);
    writers_cv_.wait(lock, [&] { return !restarting_.load(std::memory_order_relaxed); });
  }

  // A commit left `frames` frames in the WAL. Called with the writer mutex held.
  void OnCommit(int frames) {
    wal_frames_.store(frames, std::memory_order_relaxed);
    commits_.fetch_add(1, std::memory_order_relaxed);
    const int64_t checkpointed = checkpointed_frames_.load(std::memory_order_relaxed);
    const int64_t fresh = frames >= checkpointed ? frames - checkpointed : frames;
    if (frames > max_frames_.load(std::memory_order_relaxed)) {
      max_frames_.store(frames, std::memory_order_relaxed);  // only writers store, one at a time
    }
    if (frames * frame_bytes_ > options_.hard_limit_bytes && !RestartBackingOff()) {
      std::lock_guard lock(mu_);
      restarting_.store(true, std::memory_order_release);
      cv_.notify_one();
    } else if (fresh >= options_.passive_frames) {
      std::lock_guard lock(mu_);
      wake_ = true;
      cv_.notify_one();
    }
  }

  SqliteCheckpointStats stats() const {
    std::lock_guard lock(mu_);
    SqliteCheckpointStats stats = stats_;
    stats.max_wal_frames_seen = max_frames_.load(std::memory_order_relaxed);
    stats.wal_frames = wal_frames_.load(std::memory_order_relaxed);
    return stats;
  }

 private:
  void Loop() {
    int64_t commits_seen = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait_for(lock, options_.interval, [&] {
        return stopping_ || wake_ || restarting_.load(std::memory_order_relaxed);
      });
      if (stopping_) break;
      wake_ = false;
      const bool restart = restarting_.load(std::memory_order_relaxed);
      const int64_t commits = commits_.load(std::memory_order_relaxed);
      if (!restart && commits == commits_seen) continue;  // nothing new in the WAL
      commits_seen = commits;
      lock.unlock();
      int rc = SQLITE_OK;
      if (restart) {
        // Writers of this process wait in WaitWhileRestarting (or finish the transaction they
        // are in); SQLite's busy handler waits for readers still on older snapshots.
        std::lock_guard writer(writer_mu_);
        rc = Checkpoint(SQLITE_CHECKPOINT_RESTART);
      } else {
        rc = Checkpoint(SQLITE_CHECKPOINT_PASSIVE);
      }
      lock.lock();
      if (restart) {
        // Even after a failure (SQLITE_BUSY: a reader held on to an old snapshot for
        // busy_timeout) writers go on, and are not held back again for restart_backoff: a
        // long-lived reader must not turn every commit into a busy_timeout wait.
        if (rc != SQLITE_OK) {
          const auto until = std::chrono::steady_clock::now() + options_.restart_backoff;
          backoff_until_ns_.store(until.time_since_epoch().count(), std::memory_order_relaxed);
        }
        restarting_.store(false, std::memory_order_release);
        writers_cv_.notify_all();
      }
    }
    restarting_.store(false, std::memory_order_release);
    writers_cv_.notify_all();
  }

  bool RestartBackingOff() const {
    return std::chrono::steady_clock::now().time_since_epoch().count() <
           backoff_until_ns_.load(std::memory_order_relaxed);
  }

  // Runs one checkpoint on conn_ (only this thread, or the destructor after the join, does);
  // returns SQLite's result code.
  int Checkpoint(int mode) {
    int log_frames = 0;
    int done_frames = 0;
    {
      std::lock_guard lock(mu_);
      ++stats_.started;
      stats_.running = true;
    }
    const int rc =
        sqlite3_wal_checkpoint_v2(conn_->db(), nullptr, mode, &log_frames, &done_frames);
    if (rc == SQLITE_OK) {
      // After a TRUNCATE the WAL is empty, and after a RESTART the next writer starts it from
      // the beginning; after a PASSIVE one, the next writer restarts it only if every frame was
      // copied and no reader still uses them.
      const bool emptied = mode == SQLITE_CHECKPOINT_TRUNCATE || mode == SQLITE_CHECKPOINT_RESTART;
      checkpointed_frames_.store(emptied ? 0 : done_frames, std::memory_order_relaxed);
      if (emptied) wal_frames_.store(0, std::memory_order_relaxed);
    }
    std::lock_guard lock(mu_);
    stats_.running = false;
    if (rc == SQLITE_OK) {
      ++(mode == SQLITE_CHECKPOINT_TRUNCATE  ? stats_.truncate
         : mode == SQLITE_CHECKPOINT_RESTART ? stats_.restart
                                             : stats_.passive);
    } else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      ++stats_.busy;
    } else {
      ++stats_.errors;
    }
    return rc;
  }

  static constexpr std::chrono::milliseconds kCloseBusyTimeout{200};

  const std::unique_ptr<SqliteConnection> conn_;  // this thread's own; never pooled
  const SqliteCheckpointOptions options_;
  const int64_t frame_bytes_;  // page size + the 24-byte frame header
  std::mutex& writer_mu_;
  std::atomic<int64_t> wal_frames_{0};           // frames in the WAL after the latest commit
  std::atomic<int64_t> commits_{0};              // commits seen by OnCommit
  std::atomic<int64_t> checkpointed_frames_{0};  // WAL frames copied by the latest checkpoint
  std::atomic<int64_t> max_frames_{0};           // the largest wal_frames_ so far
  // steady_clock time (ns) before which a commit over the hard limit does not hold writers back.
  std::atomic<int64_t> backoff_until_ns_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;          // wakes the thread
  std::condition_variable writers_cv_;  // wakes writers waiting for a RESTART to finish
  bool stopping_ = false;               // GUARDED_BY(mu_)
  bool wake_ = false;                   // GUARDED_BY(mu_): a commit asked for a checkpoint now
  // A commit pushed the WAL past the hard limit: writers wait until the RESTART is done.
  std::atomic<bool> restarting_{false};  // written under mu_
  SqliteCheckpointStats stats_;  // GUARDED_BY(mu_)
  std::thread thread_;           // last: starts after every member above is initialised
};

int WalHook(void* checkpointer, sqlite3*, const char*, int frames) {
  static_cast<WalCheckpointer*>(checkpointer)->OnCommit(frames);
  return SQLITE_OK;
}

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  // `writer_lock` owns the lock for a read-write transaction, whose `conn` is the writer
  // connection; it is empty for a read-only one, whose `conn` is pooled.
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
  SqliteDatabase(std::string path, const DatabaseOptions& options, const SqliteTuning& tuning)
      : path_(std::move(path)),
        options_(options),
        tuning_(tuning),
        pool_(options.max_connections, options.pool_wait,
              [this] { return Connect(Role::kReader); }) {}

  // Stops the checkpointer (which empties the WAL) before the connections close.
  ~SqliteDatabase() override {
    checkpointer_.reset();
    std::lock_guard lock(writer_mu_);
    writer_conn_.reset();
  }

  Status Init() {
    // The first connection switches the file to WAL mode (persistent in the file).
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> conn, Connect(Role::kCheckpointer));
    GOVFLOW_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL"));
    GOVFLOW_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn->Prepare("PRAGMA page_size"));
    int64_t page_size = 4096;
    if (sqlite3_step(stmt) == SQLITE_ROW) page_size = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    checkpointer_ = std::make_unique<WalCheckpointer>(std::move(conn), tuning_.checkpoints,
                                                      page_size + 24, writer_mu_);
    return Status::Ok();
  }

  Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) override {
    if (mode == TxnMode::kReadWrite) {
      checkpointer_->WaitWhileRestarting();
      std::unique_lock writer_lock(writer_mu_);
      if (!writer_conn_) {
        GOVFLOW_ASSIGN_OR_RETURN(writer_conn_, Connect(Role::kWriter));
      }
      GOVFLOW_RETURN_IF_ERROR(writer_conn_->Exec("BEGIN IMMEDIATE"));
      return std::unique_ptr<Transaction>(
          new SqliteTransaction(this, std::move(writer_conn_), std::move(writer_lock)));
    }
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> conn, pool_.Acquire());
    Status s = conn->Exec("BEGIN DEFERRED");
    if (!s.ok()) {
      pool_.Release(std::move(conn), true);
      return s;
    }
    return std::unique_ptr<Transaction>(
        new SqliteTransaction(this, std::move(conn), std::unique_lock<std::mutex>()));
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

  // Takes back a transaction's connection: the writer connection (`writer`, called with the
  // writer mutex held) or a pooled one. An unhealthy connection is closed.
  void Release(std::unique_ptr<SqliteConnection> conn, bool healthy, bool writer) {
    if (!writer) {
      pool_.Release(std::move(conn), healthy);
    } else if (healthy) {
      writer_conn_ = std::move(conn);
    }
  }

  SqliteCheckpointStats checkpoint_stats() const { return checkpointer_->stats(); }

 private:
  enum class Role { kWriter, kReader, kCheckpointer };

  Result<std::unique_ptr<SqliteConnection>> Connect(Role role) {
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
    // Durability is the same on every connection (a checkpoint syncs with it too).
    GOVFLOW_RETURN_IF_ERROR(conn->Exec(options_.sqlite_synchronous_full
                                           ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL"));
    // Checkpoints are the checkpointer's job, never a COMMIT's.
    GOVFLOW_RETURN_IF_ERROR(conn->Exec("PRAGMA wal_autocheckpoint=0"));
    GOVFLOW_RETURN_IF_ERROR(conn->Exec("PRAGMA temp_store=MEMORY"));
    if (tuning_.mmap_bytes > 0) {
      GOVFLOW_RETURN_IF_ERROR(
          conn->Exec(("PRAGMA mmap_size=" + std::to_string(tuning_.mmap_bytes)).c_str()));
    }
    switch (role) {
      case Role::kWriter:
        GOVFLOW_RETURN_IF_ERROR(conn->Exec(
            ("PRAGMA cache_size=-" + std::to_string(tuning_.writer_cache_kib)).c_str()));
        // Once restarted, a WAL file that grew past the bound is cut back to it.
        GOVFLOW_RETURN_IF_ERROR(conn->Exec(
            ("PRAGMA journal_size_limit=" +
             std::to_string(tuning_.checkpoints.hard_limit_bytes))
                .c_str()));
        sqlite3_wal_hook(db, &WalHook, checkpointer_.get());
        break;
      case Role::kReader:
        GOVFLOW_RETURN_IF_ERROR(conn->Exec(
            ("PRAGMA cache_size=-" + std::to_string(tuning_.reader_cache_kib)).c_str()));
        break;
      case Role::kCheckpointer:
        break;
    }
    return conn;
  }

  std::string SignalKey(std::string_view channel) const {
    std::error_code ec;
    std::string canonical = std::filesystem::weakly_canonical(path_, ec).string();
    return (ec ? path_ : canonical) + "#" + std::string(channel);
  }

  const std::string path_;
  const DatabaseOptions options_;
  const SqliteTuning tuning_;
  // Held by the one read-write transaction of this process, and around a RESTART checkpoint.
  std::mutex writer_mu_;
  // The connection of every read-write transaction, so its page cache stays valid from one
  // transaction to the next (WAL mode drops a connection's cache when another one committed).
  std::unique_ptr<SqliteConnection> writer_conn_;  // GUARDED_BY(writer_mu_); null while in use
  ConnectionPool<SqliteConnection> pool_;          // read-only transactions
  std::unique_ptr<WalCheckpointer> checkpointer_;  // set by Init(); destroyed first
};

void SqliteTransaction::Finish(bool healthy) {
  if (conn_) owner_->Release(std::move(conn_), healthy, writer_lock_.owns_lock());
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
                                                     const DatabaseOptions& options,
                                                     const SqliteTuning& tuning) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Unavailable("cannot create directory " + parent.string() + ": " + ec.message());
  auto db = std::make_unique<SqliteDatabase>(path, options, tuning);
  GOVFLOW_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

std::optional<SqliteCheckpointStats> SqliteCheckpointStatsOf(const Database& db) {
  const auto* sqlite = dynamic_cast<const SqliteDatabase*>(&db);
  if (sqlite == nullptr) return std::nullopt;
  return sqlite->checkpoint_stats();
}

}  // namespace govflow::store::sql
