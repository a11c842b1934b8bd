// The SQLite back end's WAL checkpointing: commits never checkpoint, a background thread with its
// own connection does (PASSIVE, without blocking writers), a hard limit bounds the WAL file, and
// closing the database stops the thread and empties the WAL, with every row still there.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "store/sql.h"
#include "store/sqlite/sqlite_database.h"

namespace govflow::store::sql {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr int64_t kRowBytes = 4000;  // about one 4 KiB page per row

class SqliteCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "govflow-ckpt-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (fs::path(dir_) / "govflow.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Database> Open(const SqliteTuning& tuning, bool synchronous_full = false,
                                 milliseconds busy_timeout = milliseconds(5000)) {
    DatabaseOptions options;
    options.sqlite_synchronous_full = synchronous_full;  // the checkpoint logic is the same
    options.sqlite_busy_timeout = busy_timeout;
    auto db = OpenSqliteDatabase(path_, options, tuning);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return nullptr;
    auto txn = (*db)->Begin();
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE((*txn)
                    ->ExecuteScript("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, "
                                    "body BLOB NOT NULL)")
                    .ok());
    EXPECT_TRUE((*txn)->Commit().ok());
    return std::move(*db);
  }

  // Commits rows [first, first + count) of kRowBytes each in one transaction.
  static void WriteRows(Database& db, int64_t first, int64_t count) {
    auto txn = db.Begin();
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    for (int64_t id = first; id < first + count; ++id) {
      auto n = (*txn)->Execute("INSERT INTO t (id, body) VALUES (?, ?)",
                               {id, Blob{std::string(kRowBytes, static_cast<char>('a' + id % 26))}});
      ASSERT_TRUE(n.ok()) << n.status().ToString();
    }
    Status s = (*txn)->Commit();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  int64_t WalBytes() const {
    std::error_code ec;
    const auto size = fs::file_size(path_ + "-wal", ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }

  static SqliteCheckpointStats Stats(const Database& db) {
    auto stats = SqliteCheckpointStatsOf(db);
    EXPECT_TRUE(stats.has_value());
    return stats.value_or(SqliteCheckpointStats{});
  }

  // Only what a test turns on: no timer, no PASSIVE threshold, no hard limit.
  static SqliteTuning Quiet() {
    SqliteTuning tuning;
    tuning.checkpoints.passive_frames = int64_t{1} << 40;
    tuning.checkpoints.interval = std::chrono::hours(1);
    tuning.checkpoints.hard_limit_bytes = int64_t{1} << 40;
    return tuning;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteCheckpointTest, CommitsLeaveTheWalToTheBackgroundCheckpointer) {
  // SQLite's own auto-checkpoint would run inside the COMMIT that takes the WAL past 1000 pages
  // and restart it; with it off, and the background thread told to wait, the WAL keeps growing.
  auto db = Open(Quiet());
  ASSERT_NE(db, nullptr);
  for (int64_t i = 0; i < 12; ++i) WriteRows(*db, i * 128, 128);  // ~1,500 pages
  EXPECT_GT(Stats(*db).max_wal_frames_seen, 1000);
  EXPECT_GT(WalBytes(), 1000 * 4096);
  EXPECT_EQ(Stats(*db).started, 0);
}

TEST_F(SqliteCheckpointTest, PassiveCheckpointRunsOnceTheWalPassesTheThreshold) {
  SqliteTuning tuning = Quiet();
  tuning.checkpoints.passive_frames = 200;
  auto db = Open(tuning);
  ASSERT_NE(db, nullptr);
  WriteRows(*db, 0, 300);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Stats(*db).passive == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(Stats(*db).passive, 1);
  EXPECT_EQ(Stats(*db).truncate, 0);
}

TEST_F(SqliteCheckpointTest, PassiveCheckpointRunsOnTheTimerAfterCommits) {
  SqliteTuning tuning = Quiet();
  tuning.checkpoints.interval = milliseconds(20);
  auto db = Open(tuning);
  ASSERT_NE(db, nullptr);
  WriteRows(*db, 0, 3);  // far below any frame threshold
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Stats(*db).passive == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(Stats(*db).passive, 1);
}

TEST_F(SqliteCheckpointTest, KeepsTheWalUnderTheHardLimitUnderSustainedWrites) {
  // Only the hard limit is on, and a reader keeps taking snapshots, so nothing but the RESTART
  // escalation can keep the WAL small. 16 MB go through a 1 MB bound.
  SqliteTuning tuning = Quiet();
  constexpr int64_t kLimit = int64_t{1} << 20;
  constexpr int64_t kRowsPerCommit = 16;  // ~64 KiB per transaction
  tuning.checkpoints.hard_limit_bytes = kLimit;
  auto db = Open(tuning);
  ASSERT_NE(db, nullptr);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      auto txn = db->Begin(TxnMode::kReadOnly);
      if (txn.ok()) (void)(*txn)->Query("SELECT max(id) FROM t", {});
    }
  });
  int64_t max_wal = 0;
  constexpr int64_t kRows = (int64_t{16} << 20) / kRowBytes;
  for (int64_t id = 0; id < kRows; id += kRowsPerCommit) {
    WriteRows(*db, id, kRowsPerCommit);
    max_wal = std::max(max_wal, WalBytes());
  }
  done.store(true);
  reader.join();
  // One transaction's pages (plus index and header pages) may land on top of the bound.
  EXPECT_LE(max_wal, kLimit + 2 * kRowsPerCommit * (4096 + 24) + 64 * 1024);
  EXPECT_GE(Stats(*db).restart, 1);
  EXPECT_EQ(Stats(*db).truncate, 0);  // the file is reused from its start, not emptied
  EXPECT_LE(Stats(*db).max_wal_frames_seen * (4096 + 24), max_wal + 4096 + 24);

  auto txn = db->Begin(TxnMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  auto rows = (*txn)->Query("SELECT count(*) FROM t", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Int(0),
            (kRows + kRowsPerCommit - 1) / kRowsPerCommit * kRowsPerCommit);
}

TEST_F(SqliteCheckpointTest, AReaderPinningTheWalHoldsWritersBackAtMostOncePerBackoff) {
  // A RESTART cannot finish while a reader keeps an old snapshot: it gives up after
  // busy_timeout, and writers must then go on for restart_backoff instead of paying that wait
  // on every commit. Once the reader is gone, the next RESTART starts the WAL over.
  SqliteTuning tuning = Quiet();
  constexpr int64_t kLimit = 256 * 1024;
  tuning.checkpoints.hard_limit_bytes = kLimit;
  tuning.checkpoints.restart_backoff = milliseconds(1000);
  constexpr auto kBusy = milliseconds(300);
  auto db = Open(tuning, /*synchronous_full=*/false, kBusy);
  ASSERT_NE(db, nullptr);
  WriteRows(*db, 0, 1);
  auto reader = db->Begin(TxnMode::kReadOnly);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->Query("SELECT count(*) FROM t", {}).ok());  // takes the snapshot

  int slow_commits = 0;
  const auto start = std::chrono::steady_clock::now();
  int64_t id = 1;
  for (; id < 1 + 48 * 16; id += 16) {
    const auto before = std::chrono::steady_clock::now();
    WriteRows(*db, id, 16);
    if (std::chrono::steady_clock::now() - before >= kBusy - milliseconds(50)) ++slow_commits;
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(Stats(*db).busy, 1);
  EXPECT_GE(slow_commits, 1);
  EXPECT_LE(slow_commits, static_cast<int>(elapsed_s / 1.0) + 1)
      << "commits stalled by a RESTART the reader blocked, over " << elapsed_s << " s";
  EXPECT_GT(Stats(*db).max_wal_frames_seen * (4096 + 24), kLimit);  // it grew meanwhile
  EXPECT_EQ(Stats(*db).restart, 0);

  ASSERT_TRUE((*reader)->Rollback().ok());
  reader->reset();
  std::this_thread::sleep_for(milliseconds(1100));  // the backoff ends
  WriteRows(*db, id, 16);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Stats(*db).restart == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(Stats(*db).restart, 1);
  WriteRows(*db, id + 16, 1);
  // The next commit went to the start of the WAL, and journal_size_limit cut the file that had
  // grown past the bound back to it.
  EXPECT_LT(Stats(*db).wal_frames * (4096 + 24), kLimit);
  EXPECT_LE(WalBytes(), kLimit);
}

TEST_F(SqliteCheckpointTest, WritersCommitWhileAPassiveCheckpointRuns) {
  // A checkpoint copies the WAL into the database file with its own connection and takes no
  // writer lock: a transaction that begins and commits while one checkpoint is running proves it.
  SqliteTuning tuning = Quiet();
  tuning.checkpoints.passive_frames = 256;
  auto db = Open(tuning);
  ASSERT_NE(db, nullptr);
  bool overlapped = false;
  int64_t id = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!overlapped && std::chrono::steady_clock::now() < deadline) {
    const SqliteCheckpointStats before = Stats(*db);
    WriteRows(*db, id, 8);
    id += 8;
    const SqliteCheckpointStats after = Stats(*db);
    overlapped = before.running && after.running && before.started == after.started;
  }
  EXPECT_TRUE(overlapped) << "no commit completed during a checkpoint in 20 s";
  while (Stats(*db).passive == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(Stats(*db).passive, 1);
  EXPECT_EQ(Stats(*db).truncate, 0);
}

TEST_F(SqliteCheckpointTest, CloseStopsTheThreadEmptiesTheWalAndKeepsEveryRow) {
  SqliteTuning tuning;  // the defaults
  tuning.checkpoints.interval = milliseconds(20);
  {
    auto db = Open(tuning, /*synchronous_full=*/true);
    ASSERT_NE(db, nullptr);
    WriteRows(*db, 0, 1200);  // past the default PASSIVE threshold
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Stats(*db).passive == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    ASSERT_GE(Stats(*db).passive, 1);
    WriteRows(*db, 1200, 50);  // after the checkpoint: only in the WAL
    const auto closing = std::chrono::steady_clock::now();
    db.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - closing, std::chrono::seconds(5));
  }
  EXPECT_EQ(WalBytes(), 0);

  auto db = Database::Open(SqliteUrlForDataDir(dir_));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(SqliteCheckpointStatsOf(**db).has_value());
  auto txn = (*db)->Begin(TxnMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  auto rows = (*txn)->Query("SELECT count(*), sum(length(body)), max(id) FROM t", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].Int(0), 1250);
  EXPECT_EQ((*rows)[0].Int(1), 1250 * kRowBytes);
  EXPECT_EQ((*rows)[0].Int(2), 1249);
  auto body = (*txn)->Query("SELECT body FROM t WHERE id = ?", {int64_t{1249}});
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)[0].Text(0), std::string(kRowBytes, 'a' + 1249 % 26));
}

TEST_F(SqliteCheckpointTest, DestructorReturnsPromptlyWithAWriteLoadJustStopped) {
  SqliteTuning tuning;
  tuning.checkpoints.interval = milliseconds(1);
  tuning.checkpoints.passive_frames = 16;
  for (int round = 0; round < 5; ++round) {
    auto db = Open(tuning);
    ASSERT_NE(db, nullptr);
    WriteRows(*db, round * 100, 100);
    const auto closing = std::chrono::steady_clock::now();
    db.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - closing, std::chrono::seconds(5));
    EXPECT_EQ(WalBytes(), 0);
  }
}

}  // namespace
}  // namespace govflow::store::sql
