#include <gtest/gtest.h>

#include "intel/metrics_query.h"

namespace govflow::intel {
namespace {

MetricTotals Finished(int64_t succeeded, int64_t failed) {
  MetricTotals m;
  m.runs_started = succeeded + failed;
  m.runs_succeeded = succeeded;
  m.runs_failed = failed;
  return m;
}

TEST(JudgeHealth, QuietTenantIsOk) {
  HealthVerdict v = JudgeHealth({}, {});
  EXPECT_EQ(v.status, Health::kOk);
  EXPECT_TRUE(v.reasons.empty());
}

TEST(JudgeHealth, AnOpenP1IsCriticalAndAnOpenP2IsAWarning) {
  EXPECT_EQ(JudgeHealth({}, {{"P1", 1}}).status, Health::kCritical);
  EXPECT_EQ(JudgeHealth({}, {{"P2", 3}}).status, Health::kWarning);
  EXPECT_EQ(JudgeHealth({}, {{"P3", 9}, {"P4", 9}}).status, Health::kOk);
  HealthVerdict both = JudgeHealth({}, {{"P1", 1}, {"P2", 2}});
  ASSERT_EQ(both.reasons.size(), 2u);
  EXPECT_EQ(both.reasons[0], "1 open P1 exception(s)");  // worst first
}

TEST(JudgeHealth, FailureRateThresholdsNeedTenFinishedRuns) {
  EXPECT_EQ(JudgeHealth(Finished(90, 10), {}).status, Health::kCritical);  // 10%
  EXPECT_EQ(JudgeHealth(Finished(91, 9), {}).status, Health::kWarning);    // 9%
  EXPECT_EQ(JudgeHealth(Finished(98, 2), {}).status, Health::kWarning);    // 2%
  EXPECT_EQ(JudgeHealth(Finished(99, 1), {}).status, Health::kOk);         // 1%
  EXPECT_EQ(JudgeHealth(Finished(4, 5), {}).status, Health::kOk);          // 9 runs: too few
  EXPECT_EQ(JudgeHealth(Finished(90, 10), {}).reasons.at(0), "failure rate 10.0% (>= 10%)");
}

TEST(JudgeHealth, SlaAttainmentThresholdsNeedFiveDecidedClocks) {
  MetricTotals m;
  m.sla_met = 3;
  m.sla_breached = 1;  // 75% of 4: too few to judge
  EXPECT_EQ(JudgeHealth(m, {}).status, Health::kOk);
  m.sla_met = 7;
  m.sla_breached = 3;  // 70%
  EXPECT_EQ(JudgeHealth(m, {}).status, Health::kCritical);
  m.sla_met = 9;
  m.sla_breached = 1;  // 90%
  EXPECT_EQ(JudgeHealth(m, {}).status, Health::kWarning);
  m.sla_met = 19;
  m.sla_breached = 1;  // 95%
  EXPECT_EQ(JudgeHealth(m, {}).status, Health::kOk);
}

TEST(ParseWindow, AcceptsOneHourOneDayOneWeekAndNothingElse) {
  EXPECT_EQ(ParseWindow("1h")->step, std::chrono::minutes(1));
  EXPECT_EQ(ParseWindow("24h")->length, std::chrono::hours(24));
  EXPECT_EQ(ParseWindow("7d")->step, std::chrono::hours(1));
  for (const char* bad : {"", "2h", "24", "1d", "7D", "-1h"}) {
    EXPECT_FALSE(ParseWindow(bad).ok()) << bad;
  }
}

TEST(MetricTotals, RatesAreNulloptWithoutDenominatorsAndThroughputIsPerHour) {
  MetricTotals m;
  EXPECT_FALSE(m.FailureRate().has_value());
  EXPECT_FALSE(m.SlaAttainment().has_value());
  m.runs_succeeded = 48;
  EXPECT_DOUBLE_EQ(m.ThroughputPerHour(std::chrono::hours(24)), 2.0);
  m.runs_failed = 16;
  EXPECT_DOUBLE_EQ(*m.FailureRate(), 0.25);
}

}  // namespace
}  // namespace govflow::intel
