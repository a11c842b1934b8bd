#include "connect/resilience/concurrency_limiter.h"

#include <utility>

namespace govflow::connect {

ConcurrencyLimiter::ConcurrencyLimiter(size_t limit, size_t max_queued)
    : limit_(limit == 0 ? 1 : limit), max_queued_(max_queued) {}

bool ConcurrencyLimiter::Submit(Task task) {
  {
    std::lock_guard lock(mu_);
    if (in_flight_ >= limit_ || !queue_.empty() || draining_) {
      if (queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(task));
      return true;
    }
    ++in_flight_;
  }
  task();
  return true;
}

void ConcurrencyLimiter::Release() {
  std::unique_lock lock(mu_);
  if (in_flight_ > 0) --in_flight_;
  if (draining_) return;  // the loop below, further up this or another stack, starts the next
  draining_ = true;
  while (in_flight_ < limit_ && !queue_.empty()) {
    Task next = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    next();
    lock.lock();
  }
  draining_ = false;
}

size_t ConcurrencyLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

size_t ConcurrencyLimiter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace govflow::connect
