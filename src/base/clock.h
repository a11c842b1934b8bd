// Clock: the one source of time. Production code asks an injected Clock, never the system
// directly, so tests can move time by hand (ManualClock). Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace govflow {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), microsecond resolution.
  virtual TimePoint Now() const = 0;
  // Monotonic time for measuring intervals; never goes backwards.
  virtual std::chrono::nanoseconds Monotonic() const = 0;
};

// The real clock. A process-wide instance is returned by SystemClock::Get().
class SystemClock final : public Clock {
 public:
  static const SystemClock& Get();
  TimePoint Now() const override;
  std::chrono::nanoseconds Monotonic() const override;
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_us_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(std::chrono::microseconds(now_us_.load())); }
  std::chrono::nanoseconds Monotonic() const override {
    return std::chrono::microseconds(now_us_.load());
  }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }
  void Set(TimePoint t) { now_us_ = t.time_since_epoch().count(); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace govflow
