// A bounded pool of database connections shared by the SQLite and PostgreSQL back ends (internal to
// src/store). Connections are created lazily up to a maximum; Acquire() waits for a free one.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/status.h"

namespace govflow::store::sql {

template <typename Conn>
class ConnectionPool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Conn>>()>;

  ConnectionPool(int max_size, std::chrono::milliseconds wait, Factory factory)
      : max_size_(max_size < 1 ? 1 : max_size), wait_(wait), factory_(std::move(factory)) {}

  // A free connection, a new one if below the maximum, or waits. kResourceExhausted on timeout;
  // the factory's error when a new connection cannot be made.
  Result<std::unique_ptr<Conn>> Acquire() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait_, [&] { return !idle_.empty() || open_ < max_size_; })) {
      return ResourceExhausted("no free database connection after waiting");
    }
    if (!idle_.empty()) {
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
    lock.unlock();
    Result<std::unique_ptr<Conn>> made = factory_();
    if (!made.ok()) {
      std::lock_guard relock(mu_);
      --open_;
      cv_.notify_one();
    }
    return made;
  }

  // Returns a connection; pass `healthy` = false to drop a broken one.
  void Release(std::unique_ptr<Conn> conn, bool healthy) {
    std::lock_guard lock(mu_);
    if (healthy && conn) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
    cv_.notify_one();
  }

 private:
  const int max_size_;
  const std::chrono::milliseconds wait_;
  const Factory factory_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                             // GUARDED_BY(mu_): idle + in use
};

}  // namespace govflow::store::sql
