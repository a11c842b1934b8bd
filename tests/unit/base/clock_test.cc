#include "base/clock.h"

#include <gtest/gtest.h>

namespace govflow {
namespace {

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  ManualClock clock(TimePoint(std::chrono::seconds(1000)));
  auto t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(5));
}

TEST(SystemClockTest, MonotonicNeverGoesBackwards) {
  const Clock& clock = SystemClock::Get();
  auto a = clock.Monotonic();
  auto b = clock.Monotonic();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace govflow
