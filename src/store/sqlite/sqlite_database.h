// The SQLite (WAL) back end of the SQL layer (internal to src/store; use sql::Database::Open).
// Writers in this process are serialised by a mutex (SQLite allows one writer) and share one
// dedicated writer connection, whose page cache therefore stays warm; other processes are waited
// for with busy_timeout. Readers use their own pooled connections and never block. WAL
// checkpoints run on a background thread with a connection of its own, never inside a COMMIT.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "store/sql.h"

namespace govflow::store::sql {

// When the background checkpointer copies the WAL back into the database file. Auto-checkpoint
// is off on every connection, so without this thread the WAL would grow without bound.
struct SqliteCheckpointOptions {
  // A PASSIVE checkpoint (never waits for, nor blocks, readers or writers) as soon as a commit
  // leaves at least this many frames (pages) in the WAL ...
  int64_t passive_frames = 1000;
  // ... and at least this often while there were commits since the last checkpoint.
  std::chrono::milliseconds interval{250};
  // When a commit leaves more than this many bytes in the WAL (under steady writes a PASSIVE
  // checkpoint never copies the last frames before the next commit adds more, and readers keep
  // using old frames, so the WAL is never restarted), a RESTART checkpoint: this process's
  // writers wait until it is done (it is the back-pressure that bounds the WAL), it copies what
  // PASSIVE ones left, waits up to busy_timeout for readers to move to the newest snapshot, and
  // the next writer starts the WAL file again from its beginning (journal_size_limit cuts a file
  // that grew past this size back to it). So the WAL stays under this size plus one
  // transaction's pages. RESTART, not TRUNCATE: emptying the file made every such stall longer
  // (the acknowledgement p99 at 1,000 orders/s 61-79 ms with TRUNCATE, 42-52 ms with RESTART;
  // docs/performance.md).
  int64_t hard_limit_bytes = int64_t{64} << 20;
  // After a RESTART checkpoint gave up (a reader kept an old snapshot for busy_timeout), writers
  // are not held back again for this long, so that a long-lived reader costs one busy_timeout
  // wait per period instead of one per commit; the WAL may grow past the limit meanwhile.
  std::chrono::milliseconds restart_backoff{1000};
};

// The SQLite-only tuning of a database file's connections.
struct SqliteTuning {
  SqliteCheckpointOptions checkpoints;
  // PRAGMA cache_size of the writer connection, in KiB: the committer's working set (indexes of
  // the run, event, audit and delivery tables) is far above SQLite's 2 MB default.
  int64_t writer_cache_kib = 16384;
  // PRAGMA cache_size of pooled (reader) connections, in KiB. In WAL mode a connection drops its
  // whole page cache whenever another connection committed since its last transaction, so under
  // write load a reader's cache rarely outlives one transaction: keep it small.
  int64_t reader_cache_kib = 2048;
  // PRAGMA mmap_size of every connection, in bytes (0: reads go through pread).
  int64_t mmap_bytes = 0;
};

// Counters of the background checkpointer (for tests and diagnostics).
struct SqliteCheckpointStats {
  int64_t started = 0;   // checkpoints begun
  bool running = false;  // a checkpoint is in progress now
  int64_t passive = 0;   // PASSIVE checkpoints run
  int64_t restart = 0;   // RESTART checkpoints run (the hard limit)
  int64_t truncate = 0;  // TRUNCATE checkpoints run (at close)
  int64_t busy = 0;      // checkpoints that returned SQLITE_BUSY (retried later)
  int64_t errors = 0;    // checkpoints that failed otherwise (retried later)
  int64_t max_wal_frames_seen = 0;  // the largest WAL size (frames) a commit reported
  int64_t wal_frames = 0;           // the WAL's size (frames) after the latest commit
};

// Opens (creating if needed, with parent directories) the database file at `path`.
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const std::string& path,
                                                     const DatabaseOptions& options,
                                                     const SqliteTuning& tuning = {});

// The checkpointer's counters if `db` is a SQLite database opened by OpenSqliteDatabase.
std::optional<SqliteCheckpointStats> SqliteCheckpointStatsOf(const Database& db);

}  // namespace govflow::store::sql
