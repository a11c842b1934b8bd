#include "connect/resilience/concurrency_limiter.h"

#include <gtest/gtest.h>

#include <vector>

namespace govflow::connect {
namespace {

TEST(ConcurrencyLimiterTest, RunsUpToLimitAndQueuesTheRestInOrder) {
  ConcurrencyLimiter limiter(2, 10);
  std::vector<int> started;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(limiter.Submit([&started, i] { started.push_back(i); }));
  }
  EXPECT_EQ(started, (std::vector<int>{0, 1}));
  EXPECT_EQ(limiter.in_flight(), 2u);
  EXPECT_EQ(limiter.queued(), 3u);
  limiter.Release();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  limiter.Release();
  limiter.Release();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(limiter.queued(), 0u);
}

TEST(ConcurrencyLimiterTest, RefusesWhenQueueIsFull) {
  ConcurrencyLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Submit([] {}));
  EXPECT_TRUE(limiter.Submit([] {}));
  EXPECT_FALSE(limiter.Submit([] {}));
}

TEST(ConcurrencyLimiterTest, SynchronouslyFinishingTasksDoNotRecurse) {
  ConcurrencyLimiter limiter(1, 100000);
  int ran = 0;
  int depth = 0, max_depth = 0;
  // The first task holds its slot so that the others queue.
  ASSERT_TRUE(limiter.Submit([&] { ++ran; }));
  for (int i = 0; i < 50000; ++i) {
    ASSERT_TRUE(limiter.Submit([&] {
      ++ran;
      ++depth;
      max_depth = std::max(max_depth, depth);
      limiter.Release();  // finishes at once
      --depth;
    }));
  }
  limiter.Release();  // the first task finishes: the rest drain in a loop, not a recursion
  EXPECT_EQ(ran, 50001);
  EXPECT_EQ(max_depth, 1);
  EXPECT_EQ(limiter.in_flight(), 0u);
}

}  // namespace
}  // namespace govflow::connect
