// UTF-8 and number/text helpers with cel-go semantics. Invalid UTF-8 bytes count as one code point
// each (as Go's range-over-string does), so every function is total on arbitrary bytes.
#include "expr/string_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

namespace govflow::expr::strutil {
namespace {

constexpr char32_t kReplacementChar = 0xFFFD;

struct Decoded {
  char32_t code_point;
  size_t length;  // bytes consumed; 1 for an invalid byte
  bool valid;
};

// Decodes the UTF-8 sequence at s[pos] (pos < s.size()); rejects overlong forms, surrogates and
// values above U+10FFFF.
Decoded DecodeAt(std::string_view s, size_t pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) return {b0, 1, true};
  size_t need = 0;   // continuation bytes
  char32_t cp = 0;
  char32_t min = 0;  // smallest value this length may encode (rejects overlong forms)
  if ((b0 & 0xE0) == 0xC0) {
    need = 1;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    need = 2;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    need = 3;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return {kReplacementChar, 1, false};
  }
  if (pos + need >= s.size()) return {kReplacementChar, 1, false};
  for (size_t i = 1; i <= need; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) return {kReplacementChar, 1, false};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {kReplacementChar, 1, false};
  }
  return {cp, need + 1, true};
}

// Byte offset of the code point with index `index` (index == count gives s.size());
// npos when the string is shorter.
size_t ByteOffsetOf(std::string_view s, int64_t index) {
  size_t pos = 0;
  for (int64_t i = 0; i < index; ++i) {
    if (pos >= s.size()) return std::string_view::npos;
    pos += DecodeAt(s, pos).length;
  }
  return pos;
}

// Start of the code point that ends just before `end` (end > 0). A byte that does not close a
// valid sequence counts alone, so walking backwards splits the string as walking forwards does.
size_t StartOfLastCodePoint(std::string_view s, size_t end) {
  size_t start = end - 1;
  size_t limit = end >= 4 ? end - 4 : 0;
  while (start > limit && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  Decoded d = DecodeAt(s, start);
  if (d.valid && start + d.length == end) return start;
  return end - 1;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Unicode White_Space, the set Go's unicode.IsSpace (and so strings.TrimSpace) uses.
bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Untrusted input echoed in an error message is clipped (at a code-point boundary) so that a huge
// input cannot make a huge message.
std::string Clip(std::string_view text) {
  constexpr size_t kMaxEcho = 64;
  if (text.size() <= kMaxEcho) return std::string(text);
  size_t cut = kMaxEcho;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

Status IndexOutOfRange(int64_t index) {
  return InvalidArgument("index out of range: " + std::to_string(index));
}

Status SyntaxError(std::string_view func, std::string_view s) {
  return InvalidArgument("strconv." + std::string(func) + ": parsing \"" + Clip(s) +
                         "\": invalid syntax");
}

Status RangeError(std::string_view func, std::string_view s) {
  return InvalidArgument("strconv." + std::string(func) + ": parsing \"" + Clip(s) +
                         "\": value out of range");
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// snprintf into a std::string of whatever size the result needs.
template <typename... Args>
std::string Printf(const char* format, Args... args) {
  char small[128];
  int n = std::snprintf(small, sizeof small, format, args...);
  if (n < 0) return std::string();
  if (static_cast<size_t>(n) < sizeof small) return std::string(small, static_cast<size_t>(n));
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, args...);
  out.resize(static_cast<size_t>(n));
  return out;
}

// Formatting precision is caller-controlled (strings.format "%.Nf"); bound it so that a hostile
// format cannot ask for megabytes of digits.
int ClampPrecision(int precision) { return std::clamp(precision, 0, 100); }

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    Decoded d = DecodeAt(s, pos);
    if (!d.valid) return false;
    pos += d.length;
  }
  return true;
}

int64_t CodePointCount(std::string_view s) {
  int64_t count = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    pos += static_cast<unsigned char>(s[pos]) < 0x80 ? 1 : DecodeAt(s, pos).length;
    ++count;
  }
  return count;
}

Result<std::string_view> CharAt(std::string_view s, int64_t index) {
  if (index < 0) return IndexOutOfRange(index);
  size_t pos = ByteOffsetOf(s, index);
  if (pos == std::string_view::npos) return IndexOutOfRange(index);
  if (pos == s.size()) return std::string_view();
  return s.substr(pos, DecodeAt(s, pos).length);
}

Result<int64_t> IndexOf(std::string_view s, std::string_view sub, int64_t start) {
  if (start < 0) return IndexOutOfRange(start);
  size_t from = ByteOffsetOf(s, start);
  if (from == std::string_view::npos) return IndexOutOfRange(start);
  if (sub.empty()) return start;
  size_t found = s.find(sub, from);
  if (found == std::string_view::npos) return int64_t{-1};
  return start + CodePointCount(s.substr(from, found - from));
}

Result<int64_t> LastIndexOf(std::string_view s, std::string_view sub) {
  if (sub.empty()) return CodePointCount(s);
  size_t found = s.rfind(sub);
  if (found == std::string_view::npos) return int64_t{-1};
  return CodePointCount(s.substr(0, found));
}

Result<int64_t> LastIndexOf(std::string_view s, std::string_view sub, int64_t last_start) {
  if (last_start < 0) return IndexOutOfRange(last_start);
  size_t from = ByteOffsetOf(s, last_start);
  if (from == std::string_view::npos) return IndexOutOfRange(last_start);
  if (sub.empty()) return last_start;
  size_t found = s.rfind(sub, from);
  if (found == std::string_view::npos) return int64_t{-1};
  return CodePointCount(s.substr(0, found));
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string UpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Replace(std::string_view s, std::string_view from, std::string_view to,
                    int64_t limit) {
  if (limit == 0 || from == to) return std::string(s);
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  int64_t done = 0;
  if (from.empty()) {
    // As Go: the empty string matches before every code point and at the end.
    while (limit < 0 || done < limit) {
      out.append(to);
      ++done;
      if (pos >= s.size()) break;
      size_t len = DecodeAt(s, pos).length;
      out.append(s.substr(pos, len));
      pos += len;
    }
    out.append(s.substr(std::min(pos, s.size())));
    return out;
  }
  while (limit < 0 || done < limit) {
    size_t found = s.find(from, pos);
    if (found == std::string_view::npos) break;
    out.append(s.substr(pos, found - pos));
    out.append(to);
    pos = found + from.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

void Split(std::string_view s, std::string_view sep, int64_t limit,
           std::vector<std::string_view>* out) {
  out->clear();
  if (limit == 0) return;
  if (sep.empty()) {
    size_t pos = 0;
    while (pos < s.size()) {
      if (limit > 0 && static_cast<int64_t>(out->size()) == limit - 1) {
        out->push_back(s.substr(pos));
        return;
      }
      size_t len = DecodeAt(s, pos).length;
      out->push_back(s.substr(pos, len));
      pos += len;
    }
    return;
  }
  size_t pos = 0;
  while (limit < 0 || static_cast<int64_t>(out->size()) < limit - 1) {
    size_t found = s.find(sep, pos);
    if (found == std::string_view::npos) break;
    out->push_back(s.substr(pos, found - pos));
    pos = found + sep.size();
  }
  out->push_back(s.substr(pos));
}

Result<std::string_view> Substring(std::string_view s, int64_t start) {
  if (start < 0) return IndexOutOfRange(start);
  size_t from = ByteOffsetOf(s, start);
  if (from == std::string_view::npos) return IndexOutOfRange(start);
  return s.substr(from);
}

Result<std::string_view> Substring(std::string_view s, int64_t start, int64_t end) {
  if (start > end) {
    return InvalidArgument("invalid substring range. start: " + std::to_string(start) +
                           ", end: " + std::to_string(end));
  }
  if (start < 0) return IndexOutOfRange(start);
  size_t from = ByteOffsetOf(s, start);
  if (from == std::string_view::npos) return IndexOutOfRange(start);
  // end >= start >= 0 here, so end - start cannot overflow.
  size_t length = ByteOffsetOf(s.substr(from), end - start);
  if (length == std::string_view::npos) return IndexOutOfRange(end);
  return s.substr(from, length);
}

std::string_view Trim(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    Decoded d = DecodeAt(s, begin);
    if (!d.valid || !IsUnicodeSpace(d.code_point)) break;
    begin += d.length;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = StartOfLastCodePoint(s, end);
    Decoded d = DecodeAt(s, start);
    if (!d.valid || start + d.length != end || !IsUnicodeSpace(d.code_point)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  size_t pos = 0;
  while (pos < s.size()) {
    Decoded d = DecodeAt(s, pos);
    pos += d.length;
    switch (d.code_point) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default: AppendUtf8(d.code_point, &out);  // invalid bytes arrive here as U+FFFD
    }
  }
  out.push_back('"');
  return out;
}

std::string Reverse(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t end = s.size();
  while (end > 0) {
    size_t start = StartOfLastCodePoint(s, end);
    out.append(s.substr(start, end - start));
    end = start;
  }
  return out;
}

Result<int64_t> ParseInt(std::string_view s) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return SyntaxError("ParseInt", s);
  uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return SyntaxError("ParseInt", s);
    if (magnitude > (UINT64_MAX - 9) / 10) {
      overflow = true;  // keep scanning: garbage later is a syntax error, as in Go
      continue;
    }
    magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t max_magnitude = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (overflow || magnitude > max_magnitude) return RangeError("ParseInt", s);
  if (negative) return static_cast<int64_t>(0 - magnitude);
  return static_cast<int64_t>(magnitude);
}

Result<uint64_t> ParseUint(std::string_view s) {
  if (s.empty()) return SyntaxError("ParseUint", s);
  uint64_t value = 0;
  bool overflow = false;
  for (char c : s) {
    if (c < '0' || c > '9') return SyntaxError("ParseUint", s);
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      overflow = true;
      continue;
    }
    value = value * 10 + digit;
  }
  if (overflow) return RangeError("ParseUint", s);
  return value;
}

Result<double> ParseDouble(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return SyntaxError("ParseFloat", s);
  if (EqualsIgnoreAsciiCase(body, "inf") || EqualsIgnoreAsciiCase(body, "infinity")) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  if (EqualsIgnoreAsciiCase(body, "nan")) {
    if (body.size() != s.size()) return SyntaxError("ParseFloat", s);  // Go rejects a signed NaN
    return std::nan("");
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    // Go's hexadecimal form: mantissa digits with an optional point, and a mandatory p exponent.
    std::string_view hex = body.substr(2);
    size_t p = hex.find_first_of("pP");
    if (p == std::string_view::npos || p == 0 || p + 1 >= hex.size()) {
      return SyntaxError("ParseFloat", s);
    }
    bool seen_point = false;
    for (char c : hex.substr(0, p)) {
      bool hex_digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (c == '.' && !seen_point) {
        seen_point = true;
      } else if (!hex_digit) {
        return SyntaxError("ParseFloat", s);
      }
    }
    std::string_view exponent = hex.substr(p + 1);
    if (exponent.front() == '+' || exponent.front() == '-') exponent.remove_prefix(1);
    if (exponent.empty()) return SyntaxError("ParseFloat", s);
    for (char c : exponent) {
      if (c < '0' || c > '9') return SyntaxError("ParseFloat", s);
    }
    std::string copy(body);
    double value = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(value)) return RangeError("ParseFloat", s);
    return negative ? -value : value;
  }
  // Otherwise only the decimal form: digits, optional point, optional exponent (from_chars would
  // also take "nan(...)" and "inf" spellings, which were handled above).
  for (char c : body) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    if (!ok) return SyntaxError("ParseFloat", s);
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value,
                                   std::chars_format::general);
  if (ptr != body.data() + body.size()) return SyntaxError("ParseFloat", s);
  if (ec == std::errc::result_out_of_range) {
    // Overflow is an error (as Go); underflow quietly rounds to zero or a subnormal.
    std::string copy(body);
    value = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(value)) return RangeError("ParseFloat", s);
  } else if (ec != std::errc()) {
    return SyntaxError("ParseFloat", s);
  }
  return negative ? -value : value;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits (to_chars), laid out as strconv.FormatFloat(v, 'g', -1, 64) does.
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if (ec != std::errc()) return "NaN";  // unreachable: 64 bytes always suffice
  std::string_view sci(buf, static_cast<size_t>(ptr - buf));
  bool negative = !sci.empty() && sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();

  std::string out;
  if (negative) out.push_back('-');
  const int nd = static_cast<int>(digits.size());
  // Go's 'g' with shortest precision switches to exponent form when exp < -4 || exp >= 6, so
  // 1e6 prints as "1e+06" and 123456.0 as "123456".
  constexpr int kExponentThreshold = 6;
  if (exp < -4 || exp >= kExponentThreshold) {
    out.push_back(digits[0]);
    if (nd > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int abs_exp = exp < 0 ? -exp : exp;
    if (abs_exp < 10) out.push_back('0');
    out += std::to_string(abs_exp);
    return out;
  }
  if (exp < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exp - 1), '0');
    out += digits;
    return out;
  }
  // 0 <= exp < 6: integer part has exp + 1 digits.
  const int int_digits = exp + 1;
  if (nd <= int_digits) {
    out += digits;
    out.append(static_cast<size_t>(int_digits - nd), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(int_digits));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(int_digits), std::string::npos);
  }
  return out;
}

std::string FormatFixed(double v, int precision) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return Printf("%.*f", ClampPrecision(precision), v);
}

std::string FormatScientific(double v, int precision) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return Printf("%.*e", ClampPrecision(precision), v);
}

std::string FormatUintBase(uint64_t v, int base, bool upper) {
  if (base != 2 && base != 8 && base != 10 && base != 16) base = 10;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[65];
  size_t pos = sizeof buf;
  do {
    buf[--pos] = digits[v % static_cast<uint64_t>(base)];
    v /= static_cast<uint64_t>(base);
  } while (v != 0);
  return std::string(buf + pos, sizeof buf - pos);
}

std::string FormatIntBase(int64_t v, int base, bool upper) {
  if (v >= 0) return FormatUintBase(static_cast<uint64_t>(v), base, upper);
  // Two's-complement magnitude, safe for INT64_MIN.
  return "-" + FormatUintBase(0 - static_cast<uint64_t>(v), base, upper);
}

std::string FormatBytesHex(std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0F]);
  }
  return out;
}

}  // namespace govflow::expr::strutil
