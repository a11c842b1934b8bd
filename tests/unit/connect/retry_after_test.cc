#include "connect/http/retry_after.h"

#include <gtest/gtest.h>

namespace govflow::connect {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 1994-11-06T08:49:37Z, the RFC's example date.
const TimePoint kRfcDate{seconds(784111777)};

TEST(RetryAfterTest, ParsesDelaySeconds) {
  EXPECT_EQ(ParseRetryAfter("120", kRfcDate), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", kRfcDate), milliseconds(0));
}

TEST(RetryAfterTest, ParsesImfFixdateRelativeToNow) {
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", kRfcDate), milliseconds(10'000));
}

TEST(RetryAfterTest, ParsesObsoleteRfc850AndAsctimeDates) {
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:50:37 GMT", kRfcDate), milliseconds(60'000));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:39 1994", kRfcDate), milliseconds(2'000));
}

TEST(RetryAfterTest, DateInThePastMeansNoWait) {
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", kRfcDate), milliseconds(0));
}

TEST(RetryAfterTest, CapsHugeValues) {
  EXPECT_EQ(ParseRetryAfter("999999999999", kRfcDate, milliseconds(5000)), milliseconds(5000));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", kRfcDate, milliseconds(5000)),
            milliseconds(5000));
  EXPECT_EQ(ParseRetryAfter("Fri, 01 Jan 2100 00:00:00 GMT", kRfcDate), milliseconds(3'600'000));
}

TEST(RetryAfterTest, RejectsGarbage) {
  for (const char* bad : {"", "  ", "-5", "1.5", "12abc", "soon", "Sun, 06 Nov 1994",
                          "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC"}) {
    EXPECT_EQ(ParseRetryAfter(bad, kRfcDate), std::nullopt) << "'" << bad << "'";
  }
}

TEST(HttpDateTest, ParsesTheEpochAndLeapYears) {
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), TimePoint(seconds(0)));
  EXPECT_EQ(ParseHttpDate("Tue, 29 Feb 2000 12:00:00 GMT"), TimePoint(seconds(951825600)));
}

}  // namespace
}  // namespace govflow::connect
