#include "connect/http/retry_after.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

namespace govflow::connect {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int MonthIndex(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (name == kMonths[i]) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool IsDayName(std::string_view name, bool long_form) {
  static constexpr std::array<std::string_view, 7> kShort = {"Mon", "Tue", "Wed", "Thu",
                                                             "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 7> kLong = {
      "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  for (size_t i = 0; i < 7; ++i) {
    if (name == (long_form ? kLong[i] : kShort[i])) return true;
  }
  return false;
}

// Reads exactly `width` digits (width 0: one or more) at s[*pos].
bool ReadNumber(std::string_view s, size_t* pos, size_t width, int* out) {
  size_t start = *pos, end = start;
  while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end])) &&
         (width == 0 || end - start < width)) {
    ++end;
  }
  if (end == start || (width != 0 && end - start != width)) return false;
  auto [p, ec] = std::from_chars(s.data() + start, s.data() + end, *out);
  if (ec != std::errc()) return false;
  *pos = end;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

bool ReadTime(std::string_view s, size_t* pos, int* h, int* m, int* sec) {
  return ReadNumber(s, pos, 2, h) && Expect(s, pos, ':') && ReadNumber(s, pos, 2, m) &&
         Expect(s, pos, ':') && ReadNumber(s, pos, 2, sec);
}

std::optional<TimePoint> Assemble(int year, int month, int day, int h, int m, int s) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) {
    return std::nullopt;
  }
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + h * 3600 + m * 60 + s;
  return TimePoint(std::chrono::seconds(secs));
}

}  // namespace

std::optional<TimePoint> ParseHttpDate(std::string_view value) {
  std::string_view s = Trim(value);
  const size_t comma = s.find(',');
  int day = 0, year = 0, h = 0, m = 0, sec = 0;
  if (comma == 3 && IsDayName(s.substr(0, 3), false)) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (s.size() != 29 || s[4] != ' ') return std::nullopt;
    size_t pos = 5;
    if (!ReadNumber(s, &pos, 2, &day) || !Expect(s, &pos, ' ')) return std::nullopt;
    const int month = MonthIndex(s.substr(pos, 3));
    pos += 3;
    if (month == 0 || !Expect(s, &pos, ' ') || !ReadNumber(s, &pos, 4, &year) ||
        !Expect(s, &pos, ' ') || !ReadTime(s, &pos, &h, &m, &sec) || s.substr(pos) != " GMT") {
      return std::nullopt;
    }
    return Assemble(year, month, day, h, m, sec);
  }
  if (comma != std::string_view::npos && IsDayName(s.substr(0, comma), true)) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years within 50 years (RFC 9110).
    size_t pos = comma + 1;
    int yy = 0;
    if (!Expect(s, &pos, ' ') || !ReadNumber(s, &pos, 2, &day) || !Expect(s, &pos, '-')) {
      return std::nullopt;
    }
    const int month = MonthIndex(s.substr(pos, 3));
    pos += 3;
    if (month == 0 || !Expect(s, &pos, '-') || !ReadNumber(s, &pos, 2, &yy) ||
        !Expect(s, &pos, ' ') || !ReadTime(s, &pos, &h, &m, &sec) || s.substr(pos) != " GMT") {
      return std::nullopt;
    }
    year = yy < 70 ? 2000 + yy : 1900 + yy;
    return Assemble(year, month, day, h, m, sec);
  }
  if (s.size() == 24 && IsDayName(s.substr(0, 3), false) && s[3] == ' ') {
    // asctime: "Sun Nov  6 08:49:37 1994"
    const int month = MonthIndex(s.substr(4, 3));
    size_t pos = 8;
    if (month == 0 || s[7] != ' ') return std::nullopt;
    if (s[pos] == ' ') ++pos;
    if (!ReadNumber(s, &pos, 0, &day) || !Expect(s, &pos, ' ') ||
        !ReadTime(s, &pos, &h, &m, &sec) || !Expect(s, &pos, ' ') ||
        !ReadNumber(s, &pos, 4, &year) || pos != s.size()) {
      return std::nullopt;
    }
    return Assemble(year, month, day, h, m, sec);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, TimePoint now,
                                                         std::chrono::milliseconds cap) {
  std::string_view s = Trim(value);
  if (s.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(s.front()))) {
    uint64_t seconds = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (p != s.data() + s.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return cap;
    if (ec != std::errc()) return std::nullopt;
    const auto cap_seconds =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(cap).count());
    if (seconds >= cap_seconds) return cap;
    return std::chrono::milliseconds(std::chrono::seconds(seconds));
  }
  std::optional<TimePoint> date = ParseHttpDate(s);
  if (!date) return std::nullopt;
  if (*date <= now) return std::chrono::milliseconds(0);
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*date - now);
  return wait > cap ? cap : wait;
}

}  // namespace govflow::connect
