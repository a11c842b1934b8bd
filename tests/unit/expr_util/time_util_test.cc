#include "expr/time_util.h"

#include <gtest/gtest.h>

#include <string>

namespace govflow::expr::timeutil {
namespace {

Timestamp Ts(std::string_view text) {
  Result<Timestamp> t = ParseTimestamp(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : Timestamp{};
}

Duration Dur(std::string_view text) {
  Result<Duration> d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : Duration{};
}

void ExpectRangeError(const Status& s) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("range"), std::string::npos) << s.ToString();
}

int64_t Field(std::string_view ts, TimestampField f, std::string_view tz = "") {
  Result<int64_t> r = GetTimestampField(Ts(ts), f, tz);
  EXPECT_TRUE(r.ok()) << ts << " in '" << tz << "': " << r.status().ToString();
  return r.ok() ? *r : -999;
}

// --- Parsing and formatting timestamps.

TEST(ParseTimestamp, ParsesUtcAndOffsetsToEpochSeconds) {
  EXPECT_EQ(Ts("2009-02-13T23:31:30Z"), (Timestamp{1234567890, 0}));
  EXPECT_EQ(Ts("1970-01-01T00:00:00Z"), (Timestamp{0, 0}));
  EXPECT_EQ(Ts("2009-02-13T23:31:30.123456789+01:00"), (Timestamp{1234567890 - 3600, 123456789}));
  EXPECT_EQ(Ts("2009-02-13T23:31:30-08:30"), (Timestamp{1234567890 + 8 * 3600 + 1800, 0}));
  EXPECT_EQ(Ts("1969-12-31T23:59:59.5Z"), (Timestamp{-1, 500000000}));
  EXPECT_EQ(Ts("2009-02-13t23:31:30z"), (Timestamp{1234567890, 0}));
}

TEST(ParseTimestamp, AcceptsTheExactCelRangeBounds) {
  EXPECT_EQ(Ts("0001-01-01T00:00:00Z"), (Timestamp{kMinTimestampSeconds, 0}));
  EXPECT_EQ(Ts("9999-12-31T23:59:59.999999999Z"), (Timestamp{kMaxTimestampSeconds, 999999999}));
  // Year 0 shifted into year 1 by its offset is in range.
  EXPECT_EQ(Ts("0000-12-31T23:00:00-01:00"), (Timestamp{kMinTimestampSeconds, 0}));
}

TEST(ParseTimestamp, RejectsTimestampsOutsideTheCelRangeWithRangeError) {
  ExpectRangeError(ParseTimestamp("0000-01-01T00:00:00Z").status());
  ExpectRangeError(ParseTimestamp("10000-01-01T00:00:00Z").status());
  ExpectRangeError(ParseTimestamp("0001-01-01T00:00:00+01:00").status());
  ExpectRangeError(ParseTimestamp("9999-12-31T23:59:59-00:01").status());
}

TEST(ParseTimestamp, HandlesLeapYears) {
  EXPECT_TRUE(ParseTimestamp("2024-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseTimestamp("2000-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("1900-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("2024-04-31T00:00:00Z").ok());
}

TEST(ParseTimestamp, RejectsMalformedText) {
  for (std::string_view bad :
       {"", "2009-02-13", "2009-02-13T23:31:30", "2009-02-13 23:31:30Z", "2009-2-13T23:31:30Z",
        "2009-02-13T23:31:30.Z", "2009-02-13T24:00:00Z", "2009-02-13T23:60:00Z",
        "2009-02-13T23:31:60Z", "2009-13-13T23:31:30Z", "2009-00-13T23:31:30Z",
        "2009-02-13T23:31:30+0100", "2009-02-13T23:31:30Zjunk", "abcd-02-13T23:31:30Z"}) {
    Result<Timestamp> t = ParseTimestamp(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(ParseTimestamp, ClipsHugeInputsInErrorMessages) {
  std::string huge = "2009-02-13T23:31:30Z" + std::string(100000, 'x');
  Result<Timestamp> t = ParseTimestamp(huge);
  ASSERT_FALSE(t.ok());
  EXPECT_LT(t.status().message().size(), 200u);
  Result<Duration> d = ParseDuration(std::string(100000, '1') + "q");
  ASSERT_FALSE(d.ok());
  EXPECT_LT(d.status().message().size(), 300u);
}

TEST(ParseTimestamp, TruncatesFractionsBeyondNanoseconds) {
  EXPECT_EQ(Ts("2009-02-13T23:31:30.1234567891Z"), (Timestamp{1234567890, 123456789}));
}

TEST(FormatTimestamp, PrintsRfc3339InUtcWithProtobufFractionDigits) {
  EXPECT_EQ(FormatTimestamp({1234567890, 0}), "2009-02-13T23:31:30Z");
  EXPECT_EQ(FormatTimestamp({1234567890, 120000000}), "2009-02-13T23:31:30.120Z");
  EXPECT_EQ(FormatTimestamp({1234567890, 123456000}), "2009-02-13T23:31:30.123456Z");
  EXPECT_EQ(FormatTimestamp({1234567890, 1000}), "2009-02-13T23:31:30.000001Z");
  EXPECT_EQ(FormatTimestamp({1234567890, 1}), "2009-02-13T23:31:30.000000001Z");
  EXPECT_EQ(FormatTimestamp({kMaxTimestampSeconds, 999999999}), "9999-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTimestamp({kMinTimestampSeconds, 0}), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp({-1, 500000000}), "1969-12-31T23:59:59.500Z");
}

TEST(FormatTimestamp, RoundTripsThroughParse) {
  for (std::string_view text :
       {"2009-02-13T23:31:30Z", "2024-02-29T12:00:00.250Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z", "1969-07-20T20:17:40.000001Z", "1600-03-01T00:00:00Z"}) {
    EXPECT_EQ(FormatTimestamp(Ts(text)), text);
  }
}

TEST(TimestampFromSeconds, RangeChecksLikeTimestampOfInt) {
  EXPECT_EQ(*TimestampFromSeconds(1234567890), (Timestamp{1234567890, 0}));
  EXPECT_TRUE(TimestampFromSeconds(-62135596800).ok());
  EXPECT_TRUE(TimestampFromSeconds(253402300799).ok());
  ExpectRangeError(TimestampFromSeconds(-62135596801).status());
  ExpectRangeError(TimestampFromSeconds(253402300800).status());
}

// --- Durations.

TEST(ParseDuration, ParsesGoStyleDurations) {
  EXPECT_EQ(Dur("1h2m3.5s"), (Duration{3723, 500000000}));
  EXPECT_EQ(Dur("-1.5s"), (Duration{-1, -500000000}));
  EXPECT_EQ(Dur("-0.5s"), (Duration{0, -500000000}));
  EXPECT_EQ(Dur("+2s"), (Duration{2, 0}));
  EXPECT_EQ(Dur("100ms"), (Duration{0, 100000000}));
  EXPECT_EQ(Dur("1us"), (Duration{0, 1000}));
  EXPECT_EQ(Dur("1\xC2\xB5s"), (Duration{0, 1000}));  // U+00B5 micro sign
  EXPECT_EQ(Dur("1\xCE\xBCs"), (Duration{0, 1000}));  // U+03BC greek mu
  EXPECT_EQ(Dur("1ns"), (Duration{0, 1}));
  EXPECT_EQ(Dur("0"), (Duration{0, 0}));
  EXPECT_EQ(Dur("1000000s"), (Duration{1000000, 0}));
  EXPECT_EQ(Dur("1.5h"), (Duration{5400, 0}));
  EXPECT_EQ(Dur(".5s"), (Duration{0, 500000000}));
  EXPECT_EQ(Dur("5.s"), (Duration{5, 0}));
  EXPECT_EQ(Dur("-999999999ns"), (Duration{0, -999999999}));
  EXPECT_EQ(Dur("123.321456789s"), (Duration{123, 321456789}));
}

TEST(ParseDuration, RejectsMalformedText) {
  for (std::string_view bad : {"", "-", "1", "1x", "s", ".s", "1h-2m", "1.5.5s", "1 s", "1S",
                               "--1s"}) {
    Result<Duration> d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(ParseDuration, AcceptsTheCelRangeAndRejectsBeyondIt) {
  EXPECT_EQ(Dur("315576000000s"), (Duration{315576000000, 0}));
  EXPECT_EQ(Dur("-315576000000s"), (Duration{-315576000000, 0}));
  EXPECT_EQ(Dur("200000000000s"), (Duration{200000000000, 0}));  // beyond Go's int64 nanos
  ExpectRangeError(ParseDuration("320000000000s").status());
  ExpectRangeError(ParseDuration("-320000000000s").status());
  ExpectRangeError(ParseDuration("315576000001s").status());
  ExpectRangeError(ParseDuration("99999999999999999999999999999999h").status());
}

TEST(FormatDuration, PrintsSecondsWithTrimmedFraction) {
  EXPECT_EQ(FormatDuration({1000000, 0}), "1000000s");
  EXPECT_EQ(FormatDuration({1, 500000000}), "1.5s");
  EXPECT_EQ(FormatDuration({-3, 0}), "-3s");
  EXPECT_EQ(FormatDuration({0, 1}), "0.000000001s");
  EXPECT_EQ(FormatDuration({0, 0}), "0s");
  EXPECT_EQ(FormatDuration({0, -500000000}), "-0.5s");
  EXPECT_EQ(FormatDuration({-1, -250000000}), "-1.25s");
  EXPECT_EQ(FormatDuration({-315576000000, 0}), "-315576000000s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (std::string_view text : {"1.5s", "-3s", "0.000000001s", "0s", "-0.5s", "123.321456789s",
                                "315576000000s", "-315576000000.999999999s"}) {
    EXPECT_EQ(FormatDuration(Dur(text)), text);
  }
}

// --- Arithmetic (cases of cel-spec timestamps.json).

TEST(TimestampArithmetic, AddsAndSubtractsDurations) {
  EXPECT_EQ(*AddDuration(Ts("2009-02-13T23:00:00Z"), Dur("240s")), Ts("2009-02-13T23:04:00Z"));
  EXPECT_EQ(*SubtractDuration(Ts("2009-02-13T23:10:00Z"), Dur("600s")),
            Ts("2009-02-13T23:00:00Z"));
  EXPECT_EQ(*AddDuration(Ts("0001-01-01T00:00:01.000000001Z"), Dur("-999999999ns")),
            Ts("0001-01-01T00:00:00.000000002Z"));
  EXPECT_EQ(*AddDuration(Ts("0001-01-01T00:00:01.999999999Z"), Dur("999999999ns")),
            Ts("0001-01-01T00:00:02.999999998Z"));
  EXPECT_EQ(*AddDuration(Ts("2009-02-13T23:00:00.5Z"), Dur("-1.75s")),
            Ts("2009-02-13T22:59:58.75Z"));
}

TEST(TimestampArithmetic, ReportsRangeErrorsAtTheEdges) {
  ExpectRangeError(AddDuration(Ts("0001-01-01T00:00:00Z"), Dur("-1s")).status());
  ExpectRangeError(AddDuration(Ts("9999-12-31T23:59:59Z"), Dur("1s")).status());
  ExpectRangeError(AddDuration(Ts("9999-12-31T23:59:59.999999999Z"), Dur("1ns")).status());
  ExpectRangeError(AddDuration(Ts("0001-01-01T00:00:00Z"), Dur("-1ns")).status());
  ExpectRangeError(SubtractDuration(Ts("0001-01-01T00:00:00Z"), Dur("1ns")).status());
}

TEST(TimestampArithmetic, DifferenceIsADurationAndRangeChecked) {
  EXPECT_EQ(*Difference(Ts("2009-02-13T23:31:00Z"), Ts("2009-02-13T23:29:00Z")), Dur("120s"));
  EXPECT_EQ(*Difference(Ts("2009-02-13T23:29:00Z"), Ts("2009-02-13T23:31:00.5Z")),
            Dur("-120.5s"));
  EXPECT_EQ(*Difference(Ts("2009-02-13T23:31:00.25Z"), Ts("2009-02-13T23:31:00.75Z")),
            Dur("-0.5s"));
  ExpectRangeError(Difference(Ts("9999-12-31T23:59:59Z"), Ts("0001-01-01T00:00:00Z")).status());
  ExpectRangeError(Difference(Ts("0001-01-01T00:00:00Z"), Ts("9999-12-31T23:59:59Z")).status());
}

TEST(DurationArithmetic, AddsSubtractsAndNegatesWithNormalisedFractions) {
  EXPECT_EQ(*AddDurations(Dur("600s"), Dur("50s")), Dur("650s"));
  EXPECT_EQ(*SubtractDurations(Dur("900s"), Dur("42s")), Dur("858s"));
  EXPECT_EQ(*AddDurations(Dur("1.5s"), Dur("-2.75s")), Dur("-1.25s"));
  EXPECT_EQ(*AddDurations(Dur("-0.6s"), Dur("-0.6s")), Dur("-1.2s"));
  EXPECT_EQ(*SubtractDurations(Dur("0.25s"), Dur("0.5s")), (Duration{0, -250000000}));
  EXPECT_EQ(*Negate(Dur("-1.5s")), Dur("1.5s"));
  EXPECT_EQ(*Negate(Dur("315576000000s")), Dur("-315576000000s"));
}

TEST(DurationArithmetic, ReportsRangeErrors) {
  ExpectRangeError(AddDurations(Dur("-200000000000s"), Dur("-200000000000s")).status());
  ExpectRangeError(AddDurations(Dur("200000000000s"), Dur("200000000000s")).status());
  ExpectRangeError(SubtractDurations(Dur("-200000000000s"), Dur("200000000000s")).status());
  ExpectRangeError(SubtractDurations(Dur("200000000000s"), Dur("-200000000000s")).status());
}

TEST(DurationArithmetic, LimitsComputedDurationsToInt64Nanoseconds) {
  // 9223372036.854775807 s is the largest int64 nanosecond count.
  EXPECT_EQ(*AddDurations(Dur("9223372035s"), Dur("1.854775807s")),
            (Duration{9223372036, 854775807}));
  ExpectRangeError(AddDurations(Dur("9223372035s"), Dur("1.854775808s")).status());
  EXPECT_EQ(*SubtractDurations(Dur("-9223372035s"), Dur("1.854775808s")),
            (Duration{-9223372036, -854775808}));
  ExpectRangeError(AddDurations(Dur("200000000000s"), Dur("-1s")).status());
  EXPECT_TRUE(Difference(Ts("2262-04-11T23:47:16Z"), Ts("1970-01-01T00:00:00Z")).ok());
  ExpectRangeError(Difference(Ts("2262-04-11T23:47:17Z"), Ts("1970-01-01T00:00:00Z")).status());
  // Literals and timestamp arithmetic keep the full protobuf range.
  EXPECT_EQ(*AddDuration(Ts("0001-01-01T00:00:00Z"), Dur("315537897599s")),
            Ts("9999-12-31T23:59:59Z"));
}

TEST(DurationAccessors, ReturnTotalUnitsTruncatedTowardZero) {
  EXPECT_EQ(DurationHours(Dur("10000s")), 2);
  EXPECT_EQ(DurationMinutes(Dur("3730s")), 62);
  EXPECT_EQ(DurationSeconds(Dur("3730s")), 3730);
  EXPECT_EQ(DurationHours(Dur("-5399s")), -1);
  EXPECT_EQ(DurationMinutes(Dur("-3730.9s")), -62);
  EXPECT_EQ(DurationSeconds(Dur("-1.9s")), -1);
}

TEST(DurationAccessors, MillisecondsIsTheComponentAsTheConformanceSuiteRequires) {
  EXPECT_EQ(DurationMilliseconds(Dur("123.321456789s")), 321);
  EXPECT_EQ(DurationMilliseconds(Dur("-1.5s")), -500);
  EXPECT_EQ(DurationMilliseconds(Dur("5s")), 0);
}

// --- Calendar fields.

TEST(GetTimestampField, ReturnsCelFieldsInUtc) {
  const char* t = "2009-02-13T23:31:30Z";
  EXPECT_EQ(Field(t, TimestampField::kFullYear), 2009);
  EXPECT_EQ(Field(t, TimestampField::kMonth), 1);
  EXPECT_EQ(Field(t, TimestampField::kDate), 13);
  EXPECT_EQ(Field(t, TimestampField::kDayOfMonth), 12);
  EXPECT_EQ(Field(t, TimestampField::kDayOfWeek), 5);
  EXPECT_EQ(Field(t, TimestampField::kDayOfYear), 43);
  EXPECT_EQ(Field(t, TimestampField::kHours), 23);
  EXPECT_EQ(Field(t, TimestampField::kMinutes), 31);
  EXPECT_EQ(Field(t, TimestampField::kSeconds), 30);
  EXPECT_EQ(Field("2009-02-13T23:31:20.123456789Z", TimestampField::kMilliseconds), 123);
}

TEST(GetTimestampField, MatchesConformanceTimeZoneCases) {
  const char* t = "2009-02-13T23:31:30Z";
  EXPECT_EQ(Field(t, TimestampField::kDate, "Australia/Sydney"), 14);
  EXPECT_EQ(Field(t, TimestampField::kDayOfMonth, "US/Central"), 12);
  EXPECT_EQ(Field(t, TimestampField::kDayOfMonth, "+11:00"), 13);
  EXPECT_EQ(Field("2009-02-13T02:00:00Z", TimestampField::kDayOfMonth, "-02:30"), 11);
  EXPECT_EQ(Field("2009-02-13T02:00:00Z", TimestampField::kDayOfMonth, "America/St_Johns"), 11);
  EXPECT_EQ(Field(t, TimestampField::kDayOfWeek, "UTC"), 5);
  EXPECT_EQ(Field(t, TimestampField::kDayOfYear, "US/Central"), 43);
  EXPECT_EQ(Field(t, TimestampField::kFullYear, "-09:30"), 2009);
  EXPECT_EQ(Field(t, TimestampField::kHours, "02:00"), 1);
  EXPECT_EQ(Field(t, TimestampField::kMinutes, "Asia/Kathmandu"), 16);
  EXPECT_EQ(Field(t, TimestampField::kMonth, "UTC"), 1);
  EXPECT_EQ(Field(t, TimestampField::kSeconds, "-00:00"), 30);
}

TEST(GetTimestampField, FollowsDaylightSavingInLosAngeles) {
  const char* la = "America/Los_Angeles";
  // 2024-03-10: clocks jump from 02:00 PST to 03:00 PDT at 10:00Z.
  EXPECT_EQ(Field("2024-03-10T09:59:59Z", TimestampField::kHours, la), 1);
  EXPECT_EQ(Field("2024-03-10T10:00:00Z", TimestampField::kHours, la), 3);
  // 2024-11-03: back from 02:00 PDT to 01:00 PST at 09:00Z; 01:xx happens twice.
  EXPECT_EQ(Field("2024-11-03T08:30:00Z", TimestampField::kHours, la), 1);
  EXPECT_EQ(Field("2024-11-03T09:30:00Z", TimestampField::kHours, la), 1);
  EXPECT_EQ(Field("2024-01-15T12:00:00Z", TimestampField::kHours, la), 4);
  EXPECT_EQ(Field("2024-07-01T12:00:00Z", TimestampField::kHours, la), 5);
  // The local date differs from the UTC date in the evening.
  EXPECT_EQ(Field("2024-07-01T03:00:00Z", TimestampField::kDate, la), 30);
  EXPECT_EQ(Field("2024-07-01T03:00:00Z", TimestampField::kMonth, la), 5);
}

TEST(GetTimestampField, HandlesFixedOffsetsWithMinutes) {
  EXPECT_EQ(Field("2009-02-13T23:31:30Z", TimestampField::kHours, "+05:30"), 5);
  EXPECT_EQ(Field("2009-02-13T23:31:30Z", TimestampField::kMinutes, "+05:30"), 1);
  EXPECT_EQ(Field("2009-02-13T23:31:30Z", TimestampField::kHours, "-08:00"), 15);
}

TEST(GetTimestampField, CountsDaysAcrossLeapYearsAndCenturies) {
  EXPECT_EQ(Field("2024-12-31T12:00:00Z", TimestampField::kDayOfYear), 365);
  EXPECT_EQ(Field("2023-12-31T12:00:00Z", TimestampField::kDayOfYear), 364);
  EXPECT_EQ(Field("2024-02-29T12:00:00Z", TimestampField::kDayOfYear), 59);
  EXPECT_EQ(Field("1970-01-01T00:00:00Z", TimestampField::kDayOfWeek), 4);  // Thursday
  EXPECT_EQ(Field("0001-01-01T00:00:00Z", TimestampField::kDayOfWeek), 1);  // Monday
  EXPECT_EQ(Field("9999-12-31T23:59:59Z", TimestampField::kFullYear), 9999);
  EXPECT_EQ(Field("0001-01-01T00:00:00Z", TimestampField::kFullYear, "-01:00"), 0);
}

TEST(GetTimestampField, RejectsUnknownTimeZonesNamingThem) {
  Result<int64_t> r =
      GetTimestampField(Ts("2009-02-13T23:31:30Z"), TimestampField::kHours, "Mars/Olympus_Mons");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("Mars/Olympus_Mons"), std::string::npos);
  for (std::string_view bad : {"../../etc/passwd", "/etc/localtime", "+25:00", "+05:60", "PST",
                           "libc:America/New_York", "05:3", "+5"}) {
    EXPECT_FALSE(GetTimestampField(Ts("2009-02-13T23:31:30Z"), TimestampField::kHours, bad).ok())
        << bad;
  }
}

}  // namespace
}  // namespace govflow::expr::timeutil
