// Timestamp and duration arithmetic, parsing, formatting and calendar fields with CEL's semantics
// and ranges, on plain C++ types (no CEL values). Pure functions; safe to call from any thread
// (time-zone lookups go through cctz, whose zone cache is internally synchronised).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::expr::timeutil {

// An instant: seconds since the Unix epoch (UTC) plus nanos in [0, 1e9).
// CEL range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
struct Timestamp {
  int64_t seconds = 0;
  int32_t nanos = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

// A signed span, normalised: nanos has the sign of seconds (or seconds is 0) and |nanos| < 1e9.
// CEL range: |seconds| <= 315,576,000,000 (about 10,000 years).
struct Duration {
  int64_t seconds = 0;
  int32_t nanos = 0;
  friend bool operator==(const Duration&, const Duration&) = default;
  friend auto operator<=>(const Duration&, const Duration&) = default;
};

inline constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
inline constexpr int64_t kMaxDurationSeconds = 315576000000;

// Every function below that could produce a value outside the CEL ranges returns InvalidArgument
// whose message contains "range" ("timestamp out of range" / "duration out of range"). Malformed
// text is InvalidArgument too.
//
// Duration arithmetic is narrower than the duration range: a duration COMPUTED by Difference,
// AddDurations or SubtractDurations must fit in int64 nanoseconds (about +-292 years), as in cel-go
// and cel-cpp. The conformance suite requires it:
// timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z') is a range error although
// 315,537,897,599 s is below kMaxDurationSeconds. Parsed literals and Negate keep the full range.

// RFC 3339: "2009-02-13T23:31:30Z", "2009-02-13T23:31:30.123456789+01:00" (1..9 fraction digits,
// 'T'/'t', 'Z'/'z' or a +hh:mm / -hh:mm offset).
Result<Timestamp> ParseTimestamp(std::string_view rfc3339);
// RFC 3339 in UTC with 'Z'; the fraction is omitted when 0, else 3, 6 or 9 digits
// (protobuf JSON style): "2009-02-13T23:31:30.120Z".
std::string FormatTimestamp(const Timestamp& t);

// Go time.ParseDuration syntax: "1h2m3.5s", "-1.5s", "100ms", "1us", "1µs", "1ns", "0".
Result<Duration> ParseDuration(std::string_view text);
// Protobuf JSON style: "1.5s", "-3s", "0.000000001s", "0s"; fraction trimmed to 3, 6 or 9 digits.
std::string FormatDuration(const Duration& d);

Result<Timestamp> AddDuration(const Timestamp& t, const Duration& d);
Result<Timestamp> SubtractDuration(const Timestamp& t, const Duration& d);
// a - b.
Result<Duration> Difference(const Timestamp& a, const Timestamp& b);
Result<Duration> AddDurations(const Duration& a, const Duration& b);
Result<Duration> SubtractDurations(const Duration& a, const Duration& b);
Result<Duration> Negate(const Duration& d);

// timestamp(int): seconds since the epoch, range-checked.
Result<Timestamp> TimestampFromSeconds(int64_t seconds);

// Duration accessors (CEL getHours() etc. on a duration): TOTAL units, truncated toward zero...
int64_t DurationHours(const Duration& d);
int64_t DurationMinutes(const Duration& d);
int64_t DurationSeconds(const Duration& d);
// ...except milliseconds, which the CEL conformance suite defines as the millisecond COMPONENT
// (duration('123.321456789s').getMilliseconds() == 321; negative for negative durations).
int64_t DurationMilliseconds(const Duration& d);

// Calendar fields with CEL semantics: kMonth 0-based, kDayOfMonth 0-based, kDate 1-based,
// kDayOfWeek 0 = Sunday, kDayOfYear 0-based, kMilliseconds = nanos / 1e6.
enum class TimestampField {
  kFullYear,
  kMonth,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kHours,
  kMinutes,
  kSeconds,
  kMilliseconds,
};

// time_zone: "" or "UTC" means UTC; an IANA name ("America/Los_Angeles", from the system tzdata);
// or a fixed offset "+05:30" / "-08:00" / "05:30". Unknown zone -> InvalidArgument naming it.
Result<int64_t> GetTimestampField(const Timestamp& t, TimestampField field,
                                  std::string_view time_zone);

}  // namespace govflow::expr::timeutil
