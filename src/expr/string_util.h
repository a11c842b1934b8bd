// UTF-8 string helpers and number <-> text conversions with CEL (cel-go) semantics, on plain C++
// types: the strings extension, int()/uint()/double()/string() conversions, strings.format verbs.
// Pure functions; safe to call from any thread. All indices are in Unicode code points.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace govflow::expr::strutil {

bool IsValidUtf8(std::string_view s);
// size() of a CEL string: the number of code points.
int64_t CodePointCount(std::string_view s);

// --- strings extension (cel-go ext/strings.go). Errors are InvalidArgument with cel-go's texts,
// e.g. "index out of range: 5". Returned views point into `s`.

// The code point at `index` as a view; index == length gives "".
Result<std::string_view> CharAt(std::string_view s, int64_t index);
// First code-point index >= start where `sub` occurs, or -1. start outside [0, length] is an error.
Result<int64_t> IndexOf(std::string_view s, std::string_view sub, int64_t start = 0);
// Last code-point index where `sub` occurs, or -1.
Result<int64_t> LastIndexOf(std::string_view s, std::string_view sub);
// Last code-point index <= last_start where `sub` occurs, or -1. last_start outside [0, length]
// is an error.
Result<int64_t> LastIndexOf(std::string_view s, std::string_view sub, int64_t last_start);
std::string LowerAscii(std::string_view s);
std::string UpperAscii(std::string_view s);
// Replaces up to `limit` occurrences (negative: all; 0: none). An empty `from` matches before
// every code point and at the end, as Go's strings.Replace.
std::string Replace(std::string_view s, std::string_view from, std::string_view to,
                    int64_t limit = -1);
// limit negative: all parts; 0: empty list; 1: the whole string; n: at most n parts (the last holds the
// rest). An empty separator splits into code points. *out is cleared first, then receives views
// into `s`; nothing else is allocated.
void Split(std::string_view s, std::string_view sep, int64_t limit,
           std::vector<std::string_view>* out);
Result<std::string_view> Substring(std::string_view s, int64_t start);
Result<std::string_view> Substring(std::string_view s, int64_t start, int64_t end);
// Strips Unicode White_Space from both ends.
std::string_view Trim(std::string_view s);
// strings.quote: a double-quoted CEL string literal with escapes.
std::string Quote(std::string_view s);
// Reverses by code point.
std::string Reverse(std::string_view s);

// --- number <-> text as CEL conversions do.

// int("123"), int("-5"): decimal, optional sign; overflow or garbage -> InvalidArgument.
Result<int64_t> ParseInt(std::string_view s);
Result<uint64_t> ParseUint(std::string_view s);
// double("1.5e3"), "NaN", "Infinity", "-Infinity", "inf", Go's hex form "0x1p-2"; overflow
// (e.g. "1e400") is an error, underflow rounds toward zero.
Result<double> ParseDouble(std::string_view s);
// string(double): shortest round-trip text as Go's strconv.FormatFloat(v, 'g', -1, 64) would
// give, with CEL's spellings of the specials.
std::string FormatDouble(double v);

// --- strings.format helpers (cel-go ext/formatting.go).

// %f / %.Nf; NaN, Infinity, -Infinity spelled so.
std::string FormatFixed(double v, int precision = 6);
// %e / %.Ne: "1.052033e+03".
std::string FormatScientific(double v, int precision = 6);
// %b %o %d %x %X on integers: base 2, 8, 10 or 16; negative values get a leading '-'.
std::string FormatIntBase(int64_t v, int base, bool upper);
std::string FormatUintBase(uint64_t v, int base, bool upper);
// %x / %X on bytes or strings: two hex digits per byte.
std::string FormatBytesHex(std::string_view bytes, bool upper);

}  // namespace govflow::expr::strutil
