// JobLoop: jobs run when the clock says they are due; a job that fails or throws is counted and
// reported, and neither stops the loop nor the other jobs.
#include "workflow/runtime/job_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace govflow::workflow::runtime {
namespace {

using std::chrono::seconds;

bool WaitFor(JobLoop& loop, const std::function<bool()>& pred) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred() && std::chrono::steady_clock::now() < until) {
    loop.Poke();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

TEST(JobLoopTest, RunsJobsWhenTheClockSaysTheyAreDue) {
  ManualClock clock{TimePoint(seconds(1'000))};
  std::atomic<int> fast{0}, slow{0};
  JobLoop loop(clock, {.poll_interval = std::chrono::milliseconds(2)});
  loop.Add("fast", seconds(5), [&] { ++fast; return Status::Ok(); });
  loop.Add("slow", seconds(60), [&] { ++slow; return Status::Ok(); });
  loop.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(fast.load(), 0);  // first due one interval after Start
  clock.Advance(seconds(5));
  ASSERT_TRUE(WaitFor(loop, [&] { return fast.load() == 1; }));
  EXPECT_EQ(slow.load(), 0);
  clock.Advance(seconds(60));
  ASSERT_TRUE(WaitFor(loop, [&] { return slow.load() == 1 && fast.load() == 2; }));
  loop.Stop();
  EXPECT_EQ(loop.stats().at("fast").runs, 2);
  EXPECT_EQ(loop.stats().at("slow").runs, 1);
}

TEST(JobLoopTest, FailingAndThrowingJobsAreCountedAndTheLoopGoesOn) {
  ManualClock clock{TimePoint(seconds(1'000))};
  std::atomic<int> healthy{0};
  std::vector<std::string> reported;
  std::mutex mu;
  JobLoop loop(clock, {.poll_interval = std::chrono::milliseconds(2),
                       .on_failure = [&](const std::string& job, const Status& s) {
                         std::lock_guard lock(mu);
                         reported.push_back(job + ": " + s.message());
                       }});
  loop.Add("broken", seconds(1), [] { return Unavailable("store down"); }, true);
  loop.Add("throws", seconds(1), []() -> Status { throw std::runtime_error("boom"); }, true);
  loop.Add("healthy", seconds(1), [&] { ++healthy; return Status::Ok(); }, true);
  loop.Start();
  ASSERT_TRUE(WaitFor(loop, [&] { return healthy.load() == 1; }));
  clock.Advance(seconds(1));
  ASSERT_TRUE(WaitFor(loop, [&] { return healthy.load() == 2; }));
  loop.Stop();
  auto stats = loop.stats();
  EXPECT_EQ(stats.at("broken").runs, 2);
  EXPECT_EQ(stats.at("broken").failures, 2);
  EXPECT_NE(stats.at("broken").last_error.find("store down"), std::string::npos);
  EXPECT_EQ(stats.at("throws").failures, 2);
  EXPECT_NE(stats.at("throws").last_error.find("boom"), std::string::npos);
  EXPECT_EQ(stats.at("healthy").failures, 0);
  std::lock_guard lock(mu);
  ASSERT_EQ(reported.size(), 4u);
  EXPECT_EQ(reported[0], "broken: store down");
}

}  // namespace
}  // namespace govflow::workflow::runtime
