#include "store/committer.h"

#include <algorithm>

#include "base/ids.h"
#include "store/deferred_writes.h"

namespace govflow::store {
namespace {
constexpr std::string_view kUnitSavepoint = "govflow_unit";
}  // namespace

Committer::Committer(Store& store, CommitterOptions options)
    : store_(store), options_(options), thread_([this] { Loop(); }) {}

Committer::~Committer() {
  Stop();
}

void Committer::Submit(WriteUnit unit, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(Pending{std::move(unit), std::move(done), std::chrono::steady_clock::now()});
      cv_.notify_one();
      return;
    }
  }
  done(Unavailable("the committer is stopped"));
}

std::future<Status> Committer::Submit(WriteUnit unit) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  Submit(std::move(unit), [promise](Status s) { promise->set_value(std::move(s)); });
  return future;
}

Status Committer::SubmitAndWait(WriteUnit unit) {
  return Submit(std::move(unit)).get();
}

void Committer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

CommitterStats Committer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Committer::Loop() {
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch));
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping and drained
      // Linger for more units, measured from when the oldest one arrived.
      const auto deadline = queue_.front().enqueued + options_.max_delay;
      cv_.wait_until(lock, deadline, [&] { return queue_.size() >= max_batch || stopping_; });
      const size_t n = std::min(max_batch, queue_.size());
      batch.clear();
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.batches;
    }
    RunBatch(batch);
  }
}

Committer::Outcome Committer::Apply(std::vector<Pending>& batch, const std::vector<size_t>& units,
                                    bool isolate, std::vector<Status>& results, Status& failure) {
  {
    std::lock_guard lock(mu_);
    ++stats_.transactions;
  }
  Result<Txn> txn = store_.Begin();
  if (!txn.ok()) {
    failure = txn.status();
    return Outcome::kNotCommitted;
  }
  // Units may buffer writes until the batch commits (audit appends, written per tenant in one
  // statement); Txn::Commit writes them first.
  sql::AllowDeferredWrites(txn->sql());
  const std::string marker = NewUniqueId("batch_");
  Status s = txn->sql()
                 .Execute("INSERT INTO commit_markers (batch_id, created_at) VALUES (?, ?)",
                          {marker, txn->Now().time_since_epoch().count()})
                 .status();
  if (s.ok() && !previous_marker_.empty()) {
    s = txn->sql()
            .Execute("DELETE FROM commit_markers WHERE batch_id = ?", {previous_marker_})
            .status();
  }
  if (!s.ok()) {
    failure = s;
    return Outcome::kNotCommitted;  // the Txn destructor rolls back
  }
  for (size_t i : units) {
    if (isolate) {
      s = txn->sql().Savepoint(kUnitSavepoint);
      if (!s.ok()) {
        failure = s;
        return Outcome::kNotCommitted;
      }
    }
    results[i] = batch[i].unit(*txn);
    if (!isolate) {
      if (!results[i].ok()) return Outcome::kUnitFailed;
    } else if (results[i].ok()) {
      s = txn->sql().ReleaseSavepoint(kUnitSavepoint);
    } else {
      // Undo only this unit; the rest of the batch carries on.
      s = txn->sql().RollbackToSavepoint(kUnitSavepoint);
      if (s.ok()) s = txn->sql().ReleaseSavepoint(kUnitSavepoint);
    }
    if (!s.ok()) {
      failure = s;
      return Outcome::kNotCommitted;
    }
  }
  s = txn->Commit();
  if (s.ok()) {
    previous_marker_ = marker;
    return Outcome::kCommitted;
  }
  failure = s;
  (void)txn->Rollback();
  return ResolveCommit(marker);
}

// Did the transaction that inserted `marker` commit? Inserting the marker again answers it: a
// conflict means yes; success means no (and is rolled back). On PostgreSQL the insert waits for
// the original transaction if the server is still finishing it, so the answer is never early.
Committer::Outcome Committer::ResolveCommit(const std::string& marker) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    Result<Txn> txn = store_.Begin();
    if (!txn.ok()) continue;
    Result<int64_t> inserted = txn->sql().Execute(
        "INSERT INTO commit_markers (batch_id, created_at) VALUES (?, ?) "
        "ON CONFLICT (batch_id) DO NOTHING",
        {marker, txn->Now().time_since_epoch().count()});
    (void)txn->Rollback();
    if (!inserted.ok()) continue;
    if (*inserted == 0) {
      previous_marker_ = marker;
      return Outcome::kCommitted;
    }
    return Outcome::kNotCommitted;
  }
  return Outcome::kUnknown;
}

// Applies the batch in one transaction. Fast path: no savepoints. If any unit fails, the whole
// transaction is rolled back and the batch re-applied with a savepoint around each unit, so that
// only the failing units are undone. If the commit itself fails (and did not secretly succeed),
// every unit is retried alone.
void Committer::RunBatch(std::vector<Pending>& batch) {
  std::vector<Status> results(batch.size());
  std::vector<size_t> all(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) all[i] = i;
  Status failure;
  Outcome outcome = Apply(batch, all, /*isolate=*/false, results, failure);
  if (outcome == Outcome::kUnitFailed) {
    outcome = Apply(batch, all, /*isolate=*/true, results, failure);
  }
  if (outcome == Outcome::kNotCommitted) {
    // Nothing of the batch is durable: run every unit again alone, so that one bad unit or a
    // passing failure cannot fail the others (a unit's own earlier error may also have depended
    // on a sibling's undone changes).
    {
      std::lock_guard lock(mu_);
      ++stats_.failed_commits;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::vector<size_t> one = {i};
      results[i] = failure;
      for (int attempt = 0; attempt < std::max(1, options_.individual_attempts); ++attempt) {
        Status alone_failure;
        const Outcome o = Apply(batch, one, /*isolate=*/false, results, alone_failure);
        if (o == Outcome::kCommitted) break;
        if (o == Outcome::kUnknown) {
          results[i] = Unavailable("commit outcome unknown: " + alone_failure.message());
          break;
        }
        if (o == Outcome::kNotCommitted) results[i] = alone_failure;
        // Retry conflicts and passing unavailability; any other failure is final.
        const StatusCode code = results[i].code();
        if (code != StatusCode::kAborted &&
            !(o == Outcome::kNotCommitted && code == StatusCode::kUnavailable)) {
          break;
        }
      }
    }
  } else if (outcome == Outcome::kUnknown) {
    {
      std::lock_guard lock(mu_);
      ++stats_.failed_commits;
    }
    for (Status& r : results) r = Unavailable("commit outcome unknown: " + failure.message());
  } else if (outcome == Outcome::kCommitted && !failure.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.failed_commits;  // reported failed, but the marker shows it committed
  }

  int64_t failed = 0;
  for (const Status& s : results) failed += s.ok() ? 0 : 1;
  {
    std::lock_guard lock(mu_);
    stats_.units += static_cast<int64_t>(batch.size());
    stats_.failed_units += failed;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(std::move(results[i]));
  }
}

}  // namespace govflow::store
