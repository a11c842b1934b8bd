#include "store/committer.h"

#include <algorithm>

namespace govflow::store {
namespace {
constexpr std::string_view kUnitSavepoint = "govflow_unit";
}  // namespace

Committer::Committer(Store& store, CommitterOptions options)
    : store_(store), options_(options), thread_([this] { Loop(); }) {}

Committer::~Committer() { Stop(); }

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

Status Committer::SubmitAndWait(WriteUnit unit) { return Submit(std::move(unit)).get(); }

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
      cv_.wait_until(lock, deadline,
                     [&] { return queue_.size() >= max_batch || stopping_; });
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

Status Committer::RunAlone(const WriteUnit& unit) {
  Status last = Status::Ok();
  for (int i = 0; i < std::max(1, options_.individual_attempts); ++i) {
    {
      std::lock_guard lock(mu_);
      ++stats_.transactions;
    }
    Result<Txn> txn = store_.Begin();
    if (!txn.ok()) return txn.status();
    last = unit(*txn);
    if (last.ok()) last = txn->Commit();
    if (last.ok()) return last;
    (void)txn->Rollback();
    if (last.code() != StatusCode::kAborted) return last;
  }
  return last;
}

// Applies the batch in one transaction. Fast path: no savepoints. If any unit fails, the whole
// transaction is rolled back and the batch re-applied with a savepoint around each unit, so that
// only the failing units are undone. If the commit itself fails, every unit is retried alone.
void Committer::RunBatch(std::vector<Pending>& batch) {
  std::vector<Status> results(batch.size());
  bool committed = false;
  for (bool isolate : {false, true}) {
    {
      std::lock_guard lock(mu_);
      ++stats_.transactions;
    }
    Result<Txn> txn = store_.Begin();
    if (!txn.ok()) break;
    bool broken = false;     // a savepoint statement failed: the transaction is unusable
    bool unit_failed = false;
    for (size_t i = 0; i < batch.size() && !broken; ++i) {
      if (isolate && !txn->sql().Savepoint(kUnitSavepoint).ok()) {
        broken = true;
        break;
      }
      results[i] = batch[i].unit(*txn);
      if (!isolate) {
        if (!results[i].ok()) {
          unit_failed = true;
          break;
        }
      } else if (results[i].ok()) {
        broken = !txn->sql().ReleaseSavepoint(kUnitSavepoint).ok();
      } else {
        // Undo only this unit; the rest of the batch carries on.
        broken = !txn->sql().RollbackToSavepoint(kUnitSavepoint).ok() ||
                 !txn->sql().ReleaseSavepoint(kUnitSavepoint).ok();
      }
    }
    if (unit_failed) {
      (void)txn->Rollback();
      continue;  // again, with savepoints
    }
    if (!broken) committed = txn->Commit().ok();
    if (!committed) (void)txn->Rollback();
    break;
  }

  if (!committed) {
    // The batch as a whole failed (commit conflict, lost connection, full disk, ...). Nothing of
    // it is durable: run every unit again alone, so that one bad unit cannot fail the others
    // (a unit's own earlier error may have depended on a sibling's undone changes).
    {
      std::lock_guard lock(mu_);
      ++stats_.failed_commits;
    }
    for (size_t i = 0; i < batch.size(); ++i) results[i] = RunAlone(batch[i].unit);
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
