#include "intel/latency_histogram.h"

#include <gtest/gtest.h>

namespace govflow::intel {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LatencyHistogram, EveryLatencyFallsInABinWhoseBoundsHoldIt) {
  for (int64_t us :
       {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{1001}, int64_t{1200},
        int64_t{1201}, int64_t{37'000}, int64_t{2'500'000}, int64_t{86'400'000'000}}) {
    const int bin = LatencyBin(microseconds(us));
    EXPECT_GE(LatencyBinUpperBound(bin), us) << us;
    if (bin > 0) {
      EXPECT_LT(LatencyBinUpperBound(bin - 1), us) << us;
    }
  }
}

TEST(LatencyHistogram, BinsAreAtMost20PercentWide) {
  for (int bin = 1; bin < kLatencyBins; ++bin) {
    const int64_t lower = LatencyBinUpperBound(bin - 1), upper = LatencyBinUpperBound(bin);
    // 1.2x, give or take the rounding to whole microseconds.
    EXPECT_LE(static_cast<double>(upper), static_cast<double>(lower) * 1.2 + 1.0) << bin;
    EXPECT_GT(upper, lower) << bin;
  }
}

TEST(LatencyHistogram, LatenciesBeyondTheLastBinGoToTheLastBin) {
  EXPECT_EQ(LatencyBin(std::chrono::hours(24 * 365)), kLatencyBins - 1);
  EXPECT_EQ(LatencyBin(microseconds(-5)), 0);
}

TEST(LatencyHistogram, P95OfOneToHundredSecondsIsNinetyFiveSecondsWithinOneBin) {
  std::map<int, int64_t> bins;
  for (int s = 1; s <= 100; ++s) ++bins[LatencyBin(seconds(s))];
  const auto p95 = LatencyPercentile(bins, 0.95);
  ASSERT_TRUE(p95.has_value());
  EXPECT_GE(*p95, 95'000'000);  // never understates
  EXPECT_LE(*p95, 95'000'000 * 12 / 10);
  const auto p50 = LatencyPercentile(bins, 0.50);
  EXPECT_GE(*p50, 50'000'000);
  EXPECT_LE(*p50, 50'000'000 * 12 / 10);
}

TEST(LatencyHistogram, PercentileIgnoresEmptyAndNegativeBinsAndIsNulloptWithoutSamples) {
  EXPECT_FALSE(LatencyPercentile({}, 0.95).has_value());
  EXPECT_FALSE(LatencyPercentile({{3, 0}, {7, -2}}, 0.95).has_value());
  // One slow sample among 99 fast ones does not move p95; it is the max (p100).
  std::map<int, int64_t> bins{{LatencyBin(milliseconds(10)), 99}, {LatencyBin(seconds(60)), 1}};
  EXPECT_LE(*LatencyPercentile(bins, 0.95), 12'000);
  EXPECT_GE(*LatencyPercentile(bins, 1.0), 60'000'000);
}

}  // namespace
}  // namespace govflow::intel
