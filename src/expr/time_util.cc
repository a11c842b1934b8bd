// Timestamp / duration helpers with CEL semantics. Calendar work goes through cctz, which handles
// the whole 0001..9999 range (seconds-precision time points, so no 292-year nanosecond limit).
#include "expr/time_util.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace govflow::expr::timeutil {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// 128-bit arithmetic for duration parsing, where int64 nanoseconds cannot hold CEL's range.
__extension__ typedef __int128 Int128;

// Untrusted input echoed in an error message is clipped (at a code-point boundary) so that a huge
// input cannot make a huge message.
std::string Clip(std::string_view text) {
  constexpr size_t kMaxEcho = 64;
  if (text.size() <= kMaxEcho) return std::string(text);
  size_t cut = kMaxEcho;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

Status TimestampOutOfRange() { return InvalidArgument("timestamp out of range"); }
Status DurationOutOfRange() { return InvalidArgument("duration out of range"); }

bool TimestampInRange(const Timestamp& t) {
  return t.seconds >= kMinTimestampSeconds && t.seconds <= kMaxTimestampSeconds &&
         t.nanos >= 0 && t.nanos < kNanosPerSecond;
}

bool DurationInRange(const Duration& d) {
  return d.seconds >= -kMaxDurationSeconds && d.seconds <= kMaxDurationSeconds;
}

// The narrower limit for computed durations (see the header): int64 nanoseconds.
bool FitsInt64Nanos(const Duration& d) {
  Int128 total = static_cast<Int128>(d.seconds) * kNanosPerSecond + d.nanos;
  return total >= INT64_MIN && total <= INT64_MAX;
}

// Builds a normalised Duration from a seconds/nanos pair whose nanos may be any value that keeps
// the arithmetic in int64 (callers pass |nanos| < 2e9).
Duration NormalizeDuration(int64_t seconds, int64_t nanos) {
  seconds += nanos / kNanosPerSecond;
  nanos %= kNanosPerSecond;
  if (seconds > 0 && nanos < 0) {
    seconds -= 1;
    nanos += kNanosPerSecond;
  } else if (seconds < 0 && nanos > 0) {
    seconds += 1;
    nanos -= kNanosPerSecond;
  }
  return Duration{seconds, static_cast<int32_t>(nanos)};
}

// Timestamps keep nanos in [0, 1e9).
Timestamp NormalizeTimestamp(int64_t seconds, int64_t nanos) {
  seconds += nanos / kNanosPerSecond;
  nanos %= kNanosPerSecond;
  if (nanos < 0) {
    seconds -= 1;
    nanos += kNanosPerSecond;
  }
  return Timestamp{seconds, static_cast<int32_t>(nanos)};
}

cctz::time_point<cctz::seconds> ToTimePoint(int64_t seconds) {
  return cctz::time_point<cctz::seconds>(cctz::seconds(seconds));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at s[*pos]; false when they are not all digits.
bool ReadFixedDigits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && s[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

Status BadTimestamp(std::string_view text) {
  return InvalidArgument("invalid timestamp \"" + Clip(text) + "\"");
}

// "+05:30", "-08:00", "02:00" (unsigned means east), "-00:00". Returns false when not that shape.
bool ParseFixedOffset(std::string_view s, int* offset_seconds) {
  size_t pos = 0;
  int sign = 1;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    sign = s[pos] == '-' ? -1 : 1;
    ++pos;
  }
  size_t colon = s.find(':', pos);
  if (colon == std::string_view::npos) return false;
  size_t hour_digits = colon - pos;
  if (hour_digits < 1 || hour_digits > 2) return false;
  int hours = 0;
  int minutes = 0;
  if (!ReadFixedDigits(s, &pos, static_cast<int>(hour_digits), &hours)) return false;
  ++pos;  // ':'
  if (!ReadFixedDigits(s, &pos, 2, &minutes) || pos != s.size()) return false;
  if (hours > 23 || minutes > 59) return false;
  *offset_seconds = sign * (hours * 3600 + minutes * 60);
  return true;
}

Result<cctz::time_zone> LoadZone(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Z") return cctz::utc_time_zone();
  int offset = 0;
  if (ParseFixedOffset(name, &offset)) return cctz::fixed_time_zone(cctz::seconds(offset));
  // Zone names come from untrusted expressions: keep lookups inside the zoneinfo directory.
  // ':' would also select cctz's "libc:" zone source, which reads the process environment.
  if (name.size() > 128 || name.front() == '/' || name.find("..") != std::string_view::npos ||
      name.find(':') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return InvalidArgument("unknown time zone: \"" + Clip(name) + "\"");
  }
  cctz::time_zone tz;
  if (!cctz::load_time_zone(std::string(name), &tz)) {
    return InvalidArgument("unknown time zone: \"" + Clip(name) + "\"");
  }
  return tz;
}

// Appends the fraction of a second as '.' plus 3, 6 or 9 digits; nothing when nanos == 0.
void AppendFraction3_6_9(int32_t nanos, std::string* out) {
  if (nanos == 0) return;
  char buf[16];
  if (nanos % 1'000'000 == 0) {
    std::snprintf(buf, sizeof buf, ".%03d", nanos / 1'000'000);
  } else if (nanos % 1'000 == 0) {
    std::snprintf(buf, sizeof buf, ".%06d", nanos / 1'000);
  } else {
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
  }
  out->append(buf);
}

}  // namespace

Result<Timestamp> ParseTimestamp(std::string_view text) {
  size_t pos = 0;
  // Year: four digits; more digits is a syntactically fine but out-of-range year.
  size_t year_end = pos;
  while (year_end < text.size() && IsDigit(text[year_end])) ++year_end;
  if (year_end - pos < 4) return BadTimestamp(text);
  if (year_end - pos > 4) {
    // Distinguish "10000-01-01T..." (out of range) from garbage.
    if (year_end < text.size() && text[year_end] == '-') return TimestampOutOfRange();
    return BadTimestamp(text);
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixedDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadFixedDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadFixedDigits(text, &pos, 2, &day)) {
    return BadTimestamp(text);
  }
  if (!Expect(text, &pos, 'T') && !Expect(text, &pos, 't')) return BadTimestamp(text);
  if (!ReadFixedDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadFixedDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadFixedDigits(text, &pos, 2, &second)) {
    return BadTimestamp(text);
  }
  int64_t nanos = 0;
  if (Expect(text, &pos, '.')) {
    int digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');  // beyond 1ns: truncated
      ++digits;
      ++pos;
    }
    if (digits == 0) return BadTimestamp(text);
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_seconds = 0;
  if (Expect(text, &pos, 'Z') || Expect(text, &pos, 'z')) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadFixedDigits(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
        !ReadFixedDigits(text, &pos, 2, &om) || oh > 23 || om > 59) {
      return BadTimestamp(text);
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return BadTimestamp(text);
  }
  if (pos != text.size()) return BadTimestamp(text);

  if (month < 1 || month > 12) return InvalidArgument("invalid timestamp: month out of range");
  if (hour > 23 || minute > 59 || second > 59) {
    return InvalidArgument("invalid timestamp: time of day out of range");
  }
  cctz::civil_second cs(year, month, day, hour, minute, second);
  if (cs.day() != day) return InvalidArgument("invalid timestamp: day out of range");
  int64_t seconds =
      (cs - cctz::civil_second(1970, 1, 1, 0, 0, 0)) - static_cast<int64_t>(offset_seconds);
  Timestamp t{seconds, static_cast<int32_t>(nanos)};
  if (!TimestampInRange(t)) return TimestampOutOfRange();
  return t;
}

std::string FormatTimestamp(const Timestamp& t) {
  cctz::civil_second cs = cctz::convert(ToTimePoint(t.seconds), cctz::utc_time_zone());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d",
                static_cast<long long>(cs.year()), cs.month(), cs.day(), cs.hour(), cs.minute(),
                cs.second());
  std::string out(buf);
  AppendFraction3_6_9(t.nanos, &out);
  out.push_back('Z');
  return out;
}

Result<Duration> ParseDuration(std::string_view text) {
  const std::string_view original = text;
  auto bad = [&] { return InvalidArgument("invalid duration \"" + Clip(original) + "\""); };
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return Duration{};
  if (text.empty()) return bad();
  // Total in nanoseconds; 128 bits so that no in-range input can overflow mid-way.
  Int128 total = 0;
  const Int128 limit = static_cast<Int128>(kMaxDurationSeconds + 1) * kNanosPerSecond;
  while (!text.empty()) {
    // Integer part.
    Int128 whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < text.size() && IsDigit(text[i])) {
      whole = whole * 10 + (text[i] - '0');
      if (whole > limit) {
        overflow = true;
        whole = limit;
      }
      ++i;
    }
    bool had_whole = i > 0;
    // Fraction part.
    Int128 frac = 0;
    Int128 scale = 1;
    bool had_frac = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && IsDigit(text[i])) {
        if (scale < static_cast<Int128>(1'000'000'000'000'000'000LL)) {
          frac = frac * 10 + (text[i] - '0');
          scale *= 10;
        }
        had_frac = true;
        ++i;
      }
    }
    if (!had_whole && !had_frac) return bad();
    // Unit.
    size_t unit_start = i;
    while (i < text.size() && text[i] != '.' && !IsDigit(text[i])) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t unit_nanos = 0;
    if (unit == "ns") {
      unit_nanos = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {  // µs (U+00B5, U+03BC)
      unit_nanos = 1'000;
    } else if (unit == "ms") {
      unit_nanos = 1'000'000;
    } else if (unit == "s") {
      unit_nanos = kNanosPerSecond;
    } else if (unit == "m") {
      unit_nanos = 60 * kNanosPerSecond;
    } else if (unit == "h") {
      unit_nanos = 3600 * kNanosPerSecond;
    } else if (unit.empty()) {
      return InvalidArgument("invalid duration \"" + Clip(original) + "\": missing unit");
    } else {
      return InvalidArgument("invalid duration \"" + Clip(original) + "\": unknown unit \"" +
                             Clip(unit) + "\"");
    }
    if (overflow) return DurationOutOfRange();
    total += whole * unit_nanos + frac * unit_nanos / scale;
    if (total > limit) return DurationOutOfRange();
    text.remove_prefix(i);
  }
  if (negative) total = -total;
  Duration d{static_cast<int64_t>(total / kNanosPerSecond),
             static_cast<int32_t>(total % kNanosPerSecond)};
  if (!DurationInRange(d)) return DurationOutOfRange();
  return d;
}

std::string FormatDuration(const Duration& d) {
  std::string out;
  bool negative = d.seconds < 0 || d.nanos < 0;
  uint64_t secs = d.seconds < 0 ? static_cast<uint64_t>(-(d.seconds + 1)) + 1
                                : static_cast<uint64_t>(d.seconds);
  int32_t nanos = d.nanos < 0 ? -d.nanos : d.nanos;
  if (negative) out.push_back('-');
  out += std::to_string(secs);
  if (nanos != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09d", nanos);
    std::string frac(buf);
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out.push_back('s');
  return out;
}

Result<Timestamp> AddDuration(const Timestamp& t, const Duration& d) {
  // Inputs first: in range, the sum cannot overflow int64.
  if (!TimestampInRange(t) || !DurationInRange(d)) return TimestampOutOfRange();
  Timestamp r = NormalizeTimestamp(t.seconds + d.seconds, int64_t{t.nanos} + d.nanos);
  if (!TimestampInRange(r)) return TimestampOutOfRange();
  return r;
}

Result<Timestamp> SubtractDuration(const Timestamp& t, const Duration& d) {
  if (!DurationInRange(d)) return TimestampOutOfRange();
  return AddDuration(t, Duration{-d.seconds, -d.nanos});
}

Result<Duration> Difference(const Timestamp& a, const Timestamp& b) {
  if (!TimestampInRange(a) || !TimestampInRange(b)) return TimestampOutOfRange();
  Duration d = NormalizeDuration(a.seconds - b.seconds, int64_t{a.nanos} - b.nanos);
  if (!FitsInt64Nanos(d)) return DurationOutOfRange();
  return d;
}

Result<Duration> AddDurations(const Duration& a, const Duration& b) {
  if (!DurationInRange(a) || !DurationInRange(b)) return DurationOutOfRange();
  Duration d = NormalizeDuration(a.seconds + b.seconds, int64_t{a.nanos} + b.nanos);
  if (!FitsInt64Nanos(d)) return DurationOutOfRange();
  return d;
}

Result<Duration> SubtractDurations(const Duration& a, const Duration& b) {
  if (!DurationInRange(b)) return DurationOutOfRange();
  return AddDurations(a, Duration{-b.seconds, -b.nanos});
}

Result<Duration> Negate(const Duration& d) {
  if (!DurationInRange(d)) return DurationOutOfRange();
  return Duration{-d.seconds, -d.nanos};
}

Result<Timestamp> TimestampFromSeconds(int64_t seconds) {
  Timestamp t{seconds, 0};
  if (!TimestampInRange(t)) return TimestampOutOfRange();
  return t;
}

int64_t DurationHours(const Duration& d) { return d.seconds / 3600; }
int64_t DurationMinutes(const Duration& d) { return d.seconds / 60; }
int64_t DurationSeconds(const Duration& d) { return d.seconds; }
int64_t DurationMilliseconds(const Duration& d) { return d.nanos / 1'000'000; }

Result<int64_t> GetTimestampField(const Timestamp& t, TimestampField field,
                                  std::string_view time_zone) {
  if (!TimestampInRange(t)) return TimestampOutOfRange();
  GOVFLOW_ASSIGN_OR_RETURN(cctz::time_zone tz, LoadZone(time_zone));
  cctz::civil_second cs = cctz::convert(ToTimePoint(t.seconds), tz);
  switch (field) {
    case TimestampField::kFullYear:
      return static_cast<int64_t>(cs.year());
    case TimestampField::kMonth:
      return int64_t{cs.month()} - 1;
    case TimestampField::kDate:
      return int64_t{cs.day()};
    case TimestampField::kDayOfMonth:
      return int64_t{cs.day()} - 1;
    case TimestampField::kDayOfWeek:
      // cctz counts from Monday; CEL from Sunday.
      return (static_cast<int64_t>(cctz::get_weekday(cctz::civil_day(cs))) + 1) % 7;
    case TimestampField::kDayOfYear:
      return int64_t{cctz::get_yearday(cctz::civil_day(cs))} - 1;
    case TimestampField::kHours:
      return int64_t{cs.hour()};
    case TimestampField::kMinutes:
      return int64_t{cs.minute()};
    case TimestampField::kSeconds:
      return int64_t{cs.second()};
    case TimestampField::kMilliseconds:
      return int64_t{t.nanos / 1'000'000};
  }
  return Internal("unknown timestamp field");
}

}  // namespace govflow::expr::timeutil
