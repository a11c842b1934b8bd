// ConcurrencyLimiter: at most `limit` calls of one connection in flight; further calls wait in a
// FIFO queue of bounded length (Business Central allows few concurrent requests per user and
// answers 429 beyond its queue, so a connection should not flood it). Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace govflow::connect {

class ConcurrencyLimiter {
 public:
  // A task receives its slot; it must call Release() exactly once when its call has finished.
  using Task = std::function<void()>;

  ConcurrencyLimiter(size_t limit, size_t max_queued);
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // Runs `task` now (on this thread) if a slot is free, or queues it. Returns false, without
  // running or keeping the task, when the queue is full.
  bool Submit(Task task);
  // Frees a slot and starts queued tasks. Never recurses: a task that finishes synchronously and
  // releases from inside is picked up by the loop already running.
  void Release();

  size_t in_flight() const;
  size_t queued() const;

 private:
  const size_t limit_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  size_t in_flight_ = 0;    // GUARDED_BY(mu_)
  std::deque<Task> queue_;  // GUARDED_BY(mu_)
  bool draining_ = false;   // GUARDED_BY(mu_)
};

}  // namespace govflow::connect
