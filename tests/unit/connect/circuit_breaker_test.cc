#include "connect/resilience/circuit_breaker.h"

#include <gtest/gtest.h>

namespace govflow::connect {
namespace {

using std::chrono::milliseconds;
using Outcome = CircuitBreaker::Outcome;
using State = CircuitBreaker::State;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  ManualClock clock_{TimePoint(std::chrono::seconds(1'700'000'000))};
  CircuitBreaker breaker_{CircuitBreakerOptions{3, milliseconds(10'000)}, clock_};

  void Fail(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(breaker_.Acquire(), std::nullopt);
      breaker_.Record(Outcome::kFailure);
    }
  }
};

TEST_F(CircuitBreakerTest, StaysClosedBelowThreshold) {
  Fail(2);
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_EQ(breaker_.consecutive_failures(), 2);
}

TEST_F(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailuresAndRefusesCalls) {
  Fail(3);
  EXPECT_EQ(breaker_.state(), State::kOpen);
  EXPECT_EQ(breaker_.Acquire(), milliseconds(10'000));
  clock_.Advance(std::chrono::seconds(4));
  EXPECT_EQ(breaker_.Acquire(), milliseconds(6'000));
}

TEST_F(CircuitBreakerTest, SuccessResetsTheFailureCount) {
  Fail(2);
  ASSERT_EQ(breaker_.Acquire(), std::nullopt);
  breaker_.Record(Outcome::kHealthy);
  Fail(2);
  EXPECT_EQ(breaker_.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenAfterCoolDownLetsExactlyOneProbeThrough) {
  Fail(3);
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
  EXPECT_EQ(breaker_.Acquire(), std::nullopt);     // the probe
  EXPECT_EQ(breaker_.Acquire(), milliseconds(0));  // others wait for its outcome
}

TEST_F(CircuitBreakerTest, SuccessfulProbeClosesTheBreaker) {
  Fail(3);
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_EQ(breaker_.Acquire(), std::nullopt);
  breaker_.Record(Outcome::kHealthy);
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_EQ(breaker_.Acquire(), std::nullopt);
  EXPECT_EQ(breaker_.Acquire(), std::nullopt);
}

TEST_F(CircuitBreakerTest, FailedProbeReopensForAnotherCoolDown) {
  Fail(3);
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_EQ(breaker_.Acquire(), std::nullopt);
  breaker_.Record(Outcome::kFailure);
  EXPECT_EQ(breaker_.state(), State::kOpen);
  EXPECT_EQ(breaker_.Acquire(), milliseconds(10'000));
}

TEST_F(CircuitBreakerTest, NeutralOutcomeReleasesTheProbeSlot) {
  Fail(3);
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_EQ(breaker_.Acquire(), std::nullopt);
  breaker_.Record(Outcome::kNeutral);
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
  EXPECT_EQ(breaker_.Acquire(), std::nullopt);
}

TEST_F(CircuitBreakerTest, LostProbeDoesNotWedgeTheBreaker) {
  Fail(3);
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_EQ(breaker_.Acquire(), std::nullopt);  // never recorded
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(breaker_.Acquire(), std::nullopt);
}

TEST_F(CircuitBreakerTest, NeutralOutcomesDoNotCountAsFailures) {
  Fail(2);
  ASSERT_EQ(breaker_.Acquire(), std::nullopt);
  breaker_.Record(Outcome::kNeutral);
  EXPECT_EQ(breaker_.state(), State::kClosed);
  Fail(1);
  EXPECT_EQ(breaker_.state(), State::kOpen);
}

}  // namespace
}  // namespace govflow::connect
