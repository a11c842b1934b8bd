#include "connect/resilience/circuit_breaker.h"

#include <algorithm>

namespace govflow::connect {

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, const Clock& clock)
    : options_(options), clock_(clock) {
  if (options_.failure_threshold < 1) options_.failure_threshold = 1;
}

void CircuitBreaker::TransitionOnClock() {
  const auto now = clock_.Monotonic();
  if (state_ == State::kOpen && now - opened_at_ >= options_.cool_down) {
    state_ = State::kHalfOpen;
    probe_out_ = false;
  }
  // A probe whose outcome never came back (a lost caller) must not wedge the breaker: after
  // another cool-down a new probe may go.
  if (state_ == State::kHalfOpen && probe_out_ && now - probe_started_ >= options_.cool_down) {
    probe_out_ = false;
  }
}

std::optional<std::chrono::milliseconds> CircuitBreaker::Acquire() {
  std::lock_guard lock(mu_);
  TransitionOnClock();
  switch (state_) {
    case State::kClosed:
      return std::nullopt;
    case State::kOpen: {
      const auto left = options_.cool_down - (clock_.Monotonic() - opened_at_);
      return std::max(std::chrono::milliseconds(0),
                      std::chrono::ceil<std::chrono::milliseconds>(left));
    }
    case State::kHalfOpen:
      if (probe_out_) return std::chrono::milliseconds(0);
      probe_out_ = true;
      probe_started_ = clock_.Monotonic();
      return std::nullopt;
  }
  return std::nullopt;
}

void CircuitBreaker::Record(Outcome outcome) {
  std::lock_guard lock(mu_);
  TransitionOnClock();
  switch (outcome) {
    case Outcome::kHealthy:
      failures_ = 0;
      state_ = State::kClosed;
      probe_out_ = false;
      return;
    case Outcome::kNeutral:
      if (state_ == State::kHalfOpen) probe_out_ = false;
      return;
    case Outcome::kFailure:
      ++failures_;
      if (state_ == State::kHalfOpen ||
          (state_ == State::kClosed && failures_ >= options_.failure_threshold)) {
        state_ = State::kOpen;
        opened_at_ = clock_.Monotonic();
        probe_out_ = false;
      }
      return;
  }
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  if (state_ == State::kOpen && clock_.Monotonic() - opened_at_ >= options_.cool_down) {
    return State::kHalfOpen;
  }
  return state_;
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

std::string_view CircuitBreaker::StateName(State state) {
  switch (state) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

}  // namespace govflow::connect
