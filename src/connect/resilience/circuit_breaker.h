// CircuitBreaker: stops calling a remote system that keeps failing. Closed: calls pass and
// consecutive failures are counted; at `failure_threshold` it opens. Open: calls are refused
// (nothing is sent) until `cool_down` has passed; then half-open: one probe call passes, and its
// outcome closes the breaker or opens it for another cool-down. Time comes from the injected
// Clock (monotonic). Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>

#include "base/clock.h"

namespace govflow::connect {

struct CircuitBreakerOptions {
  int failure_threshold = 5;
  std::chrono::milliseconds cool_down{30'000};
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  // What a finished call tells the breaker about the remote system's health.
  enum class Outcome {
    kHealthy,  // an answer that shows the system works (2xx, and 4xx about the request)
    kFailure,  // a transient failure (5xx, connect failure, timeout)
    kNeutral,  // tells nothing (429: alive but busy); a half-open probe slot is released
  };

  CircuitBreaker(CircuitBreakerOptions options, const Clock& clock);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Asks to make a call. nullopt: go ahead, and Record() its outcome exactly once. Otherwise the
  // call is refused and the value is the time until a probe may pass (zero when a probe is
  // already out and its outcome is awaited).
  std::optional<std::chrono::milliseconds> Acquire();
  void Record(Outcome outcome);

  State state() const;
  int consecutive_failures() const;
  static std::string_view StateName(State state);

 private:
  void TransitionOnClock();  // REQUIRES(mu_)

  CircuitBreakerOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  State state_ = State::kClosed;               // GUARDED_BY(mu_)
  int failures_ = 0;                           // GUARDED_BY(mu_)
  std::chrono::nanoseconds opened_at_{0};      // GUARDED_BY(mu_)
  bool probe_out_ = false;                     // GUARDED_BY(mu_)
  std::chrono::nanoseconds probe_started_{0};  // GUARDED_BY(mu_)
};

}  // namespace govflow::connect
