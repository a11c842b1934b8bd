#include "base/clock.h"

namespace govflow {

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::chrono::nanoseconds SystemClock::Monotonic() const {
  return std::chrono::steady_clock::now().time_since_epoch();
}

}  // namespace govflow
