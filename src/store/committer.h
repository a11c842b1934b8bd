// Group commit: the single commit path of the engine (DESIGN.md section 5). Write units from many
// threads (webhook handlers, run executors) are applied together in one transaction; each caller
// is released (callback or future) only when the transaction holding its unit has committed, which
// is what lets a webhook be answered 2xx exactly when its delivery and run are durable.
// Thread-safe: Submit may be called from any thread; callbacks run on the committer's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace govflow::store {

struct CommitterOptions {
  // A batch closes when it has this many units ...
  int max_batch = 256;
  // ... or when its first unit has waited this long. Units that queued while the previous batch
  // was committing do not wait again, so under load batches form without added latency.
  std::chrono::microseconds max_delay{2000};
  // How often a unit is retried on its own, in a fresh transaction, when it conflicts (kAborted)
  // after its batch failed to commit.
  int individual_attempts = 3;
};

struct CommitterStats {
  int64_t units = 0;           // units released (ok or failed)
  int64_t batches = 0;         // batches formed
  int64_t transactions = 0;    // transactions committed or attempted, including retries
  int64_t failed_commits = 0;  // batch commits that failed (or reported failure)
  int64_t failed_units = 0;    // units released with an error
};

class Committer {
 public:
  // A write unit runs inside the batch transaction. If it returns an error, its changes are
  // undone and only it fails (the batch is re-applied with a savepoint around each unit).
  // A unit may run more than once: when its batch fails to commit it is retried alone, and a
  // commit can even have succeeded although it reported failure (connection lost during COMMIT).
  // So a unit must depend only on the store's state and its captured inputs, put its outputs
  // where a re-run overwrites them, and be idempotent over its own ids (RecordDelivery reports a
  // replay; BeginEffect returns the existing effect; treat kAlreadyExists for an id the unit
  // itself chose as "already done"). It must not block on anything but the store, and must not
  // Commit() the Txn.
  using WriteUnit = std::function<Status(Txn&)>;
  // Called once per unit on the committer thread with the unit's final status, after its
  // transaction committed (ok) or was given up (error). Keep it short; hand work off elsewhere.
  using Done = std::function<void(Status)>;

  explicit Committer(Store& store, CommitterOptions options = {});
  // Stop()s.
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  void Submit(WriteUnit unit, Done done);
  std::future<Status> Submit(WriteUnit unit);
  // Submit and block until durable (for callers that have a thread to spare, e.g. the CLI).
  Status SubmitAndWait(WriteUnit unit);

  // Commits everything already submitted, then stops the thread. Later submissions fail with
  // kUnavailable. Idempotent.
  void Stop();

  CommitterStats stats() const;

 private:
  struct Pending {
    WriteUnit unit;
    Done done;
    std::chrono::steady_clock::time_point enqueued;
  };

  enum class Outcome {
    kCommitted,     // durable (possibly despite a failed COMMIT reply)
    kNotCommitted,  // certainly not durable; `failure` says why
    kUnitFailed,    // a unit failed in a transaction without savepoints: rolled back
    kUnknown,       // the COMMIT failed and its outcome could not be established
  };

  void Loop();
  void RunBatch(std::vector<Pending>& batch);
  // Runs batch[i] for i in `units` in one transaction with a commit marker, results into
  // results[i]; with `isolate`, each unit in its own savepoint. Only called by the thread.
  Outcome Apply(std::vector<Pending>& batch, const std::vector<size_t>& units, bool isolate,
                std::vector<Status>& results, Status& failure);
  Outcome ResolveCommit(const std::string& marker);

  Store& store_;
  const CommitterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;    // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)
  CommitterStats stats_;         // GUARDED_BY(mu_)
  std::string previous_marker_;  // committer thread only: deleted by the next batch
  std::thread thread_;
};

}  // namespace govflow::store
