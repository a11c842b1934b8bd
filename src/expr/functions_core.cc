// The CEL standard library: operators, size, string predicates, conversions, type(), dyn(),
// optionals and the encoders extension.
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "expr/interpreter.h"
#include "expr/string_util.h"
#include "expr/typed_json.h"

namespace govflow::expr {
namespace {

constexpr uint8_t K(ValueKind k) { return static_cast<uint8_t>(k); }
constexpr uint8_t kNull = K(ValueKind::kNull);
constexpr uint8_t kBool = K(ValueKind::kBool);
constexpr uint8_t kInt = K(ValueKind::kInt);
constexpr uint8_t kUint = K(ValueKind::kUint);
constexpr uint8_t kDouble = K(ValueKind::kDouble);
constexpr uint8_t kString = K(ValueKind::kString);
constexpr uint8_t kBytes = K(ValueKind::kBytes);
constexpr uint8_t kList = K(ValueKind::kList);
constexpr uint8_t kMap = K(ValueKind::kMap);
constexpr uint8_t kTimestamp = K(ValueKind::kTimestamp);
constexpr uint8_t kDuration = K(ValueKind::kDuration);
constexpr uint8_t kType = K(ValueKind::kType);
constexpr uint8_t kOptional = K(ValueKind::kOptional);
constexpr uint8_t kAny = kAnyKind;

Value Overflow(EvalContext& ctx) { return ctx.Error("return error for overflow"); }

// --- Arithmetic.

Value AddInt(EvalContext& ctx, const Value* a, int) {
  int64_t r;
  if (__builtin_add_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow(ctx);
  return Value::Int(r);
}
Value SubInt(EvalContext& ctx, const Value* a, int) {
  int64_t r;
  if (__builtin_sub_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow(ctx);
  return Value::Int(r);
}
Value MulInt(EvalContext& ctx, const Value* a, int) {
  int64_t r;
  if (__builtin_mul_overflow(a[0].int_value(), a[1].int_value(), &r)) return Overflow(ctx);
  return Value::Int(r);
}
Value DivInt(EvalContext& ctx, const Value* a, int) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return ctx.Error("divide by zero");
  if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow(ctx);
  return Value::Int(x / y);
}
Value ModInt(EvalContext& ctx, const Value* a, int) {
  int64_t x = a[0].int_value(), y = a[1].int_value();
  if (y == 0) return ctx.Error("modulus by zero");
  if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow(ctx);
  return Value::Int(x % y);
}
Value NegInt(EvalContext& ctx, const Value* a, int) {
  if (a[0].int_value() == std::numeric_limits<int64_t>::min()) return Overflow(ctx);
  return Value::Int(-a[0].int_value());
}
Value AddUint(EvalContext& ctx, const Value* a, int) {
  uint64_t r;
  if (__builtin_add_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow(ctx);
  return Value::Uint(r);
}
Value SubUint(EvalContext& ctx, const Value* a, int) {
  uint64_t r;
  if (__builtin_sub_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow(ctx);
  return Value::Uint(r);
}
Value MulUint(EvalContext& ctx, const Value* a, int) {
  uint64_t r;
  if (__builtin_mul_overflow(a[0].uint_value(), a[1].uint_value(), &r)) return Overflow(ctx);
  return Value::Uint(r);
}
Value DivUint(EvalContext& ctx, const Value* a, int) {
  if (a[1].uint_value() == 0) return ctx.Error("divide by zero");
  return Value::Uint(a[0].uint_value() / a[1].uint_value());
}
Value ModUint(EvalContext& ctx, const Value* a, int) {
  if (a[1].uint_value() == 0) return ctx.Error("modulus by zero");
  return Value::Uint(a[0].uint_value() % a[1].uint_value());
}
Value AddDouble(EvalContext&, const Value* a, int) {
  return Value::Double(a[0].double_value() + a[1].double_value());
}
Value SubDouble(EvalContext&, const Value* a, int) {
  return Value::Double(a[0].double_value() - a[1].double_value());
}
Value MulDouble(EvalContext&, const Value* a, int) {
  return Value::Double(a[0].double_value() * a[1].double_value());
}
Value DivDouble(EvalContext&, const Value* a, int) {
  return Value::Double(a[0].double_value() / a[1].double_value());
}
Value NegDouble(EvalContext&, const Value* a, int) { return Value::Double(-a[0].double_value()); }
Value NotBool(EvalContext&, const Value* a, int) { return Value::Bool(!a[0].bool_value()); }

Value Concat(EvalContext& ctx, const Value* a, int) {
  std::string_view x = a[0].string_value(), y = a[1].string_value();
  if (x.empty()) return a[1];
  if (y.empty()) return a[0];
  char* p = static_cast<char*>(ctx.arena->Allocate(x.size() + y.size(), 1));
  std::memcpy(p, x.data(), x.size());
  std::memcpy(p + x.size(), y.data(), y.size());
  return Value::FromRep(a[0].kind(), value_internal::kArenaStr, p,
                        static_cast<uint32_t>(x.size() + y.size()), false);
}

Value ConcatList(EvalContext& ctx, const Value* a, int) {
  size_t n = a[0].size(), m = a[1].size();
  if (n == 0) return a[1];
  if (m == 0) return a[0];
  Value out = ctx.arena->NewList(n + m);
  Value* e = Arena::MutableElements(out);
  for (size_t i = 0; i < n; ++i) e[i] = value_internal::BorrowListElement(a[0], i);
  for (size_t i = 0; i < m; ++i) e[n + i] = value_internal::BorrowListElement(a[1], i);
  return out;
}

Value FromStatus(EvalContext& ctx, const Status& s) { return ctx.Error(s.message()); }

Value AddTsDur(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::AddDuration(a[0].timestamp_value(), a[1].duration_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Timestamp(*r);
}
Value AddDurTs(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::AddDuration(a[1].timestamp_value(), a[0].duration_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Timestamp(*r);
}
Value AddDurDur(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::AddDurations(a[0].duration_value(), a[1].duration_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Duration(*r);
}
Value SubTsDur(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::SubtractDuration(a[0].timestamp_value(), a[1].duration_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Timestamp(*r);
}
Value SubTsTs(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::Difference(a[0].timestamp_value(), a[1].timestamp_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Duration(*r);
}
Value SubDurDur(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::SubtractDurations(a[0].duration_value(), a[1].duration_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Duration(*r);
}
Value NegDur(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::Negate(a[0].duration_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Duration(*r);
}

// --- Comparison.

Value Eq(EvalContext&, const Value* a, int) { return Value::Bool(ValuesEqual(a[0], a[1])); }
Value Ne(EvalContext&, const Value* a, int) { return Value::Bool(!ValuesEqual(a[0], a[1])); }

template <int kOp>  // 0 <, 1 <=, 2 >, 3 >=
Value Compare(EvalContext& ctx, const Value* a, int) {
  std::optional<int> c = CompareValues(a[0], a[1]);
  static constexpr const char* kNames[] = {"_<_", "_<=_", "_>_", "_>=_"};
  if (!c) return NoSuchOverload(ctx, kNames[kOp], a, 2);
  if (*c == 2) return Value::Bool(false);  // NaN
  switch (kOp) {
    case 0: return Value::Bool(*c < 0);
    case 1: return Value::Bool(*c <= 0);
    case 2: return Value::Bool(*c > 0);
    default: return Value::Bool(*c >= 0);
  }
}

// --- Containers.

// A list index from int, uint or an integral double; -1 when not an index.
bool ListIndex(const Value& i, int64_t* out) {
  switch (i.kind()) {
    case ValueKind::kInt: *out = i.int_value(); return true;
    case ValueKind::kUint:
      if (i.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *out = -1;
        return true;
      }
      *out = static_cast<int64_t>(i.uint_value());
      return true;
    case ValueKind::kDouble: {
      double d = i.double_value();
      if (d != std::trunc(d) || !(d >= -9.2e18 && d <= 9.2e18)) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    default: return false;
  }
}

// Index with `optional` semantics (none instead of a missing-key error) when opt is true.
Value IndexInto(EvalContext& ctx, const Value& c, const Value& key, bool opt) {
  if (c.kind() == ValueKind::kList) {
    int64_t i;
    if (!ListIndex(key, &i)) {
      Value args[2] = {c, key};
      return NoSuchOverload(ctx, "_[_]", args, 2);
    }
    if (i < 0 || static_cast<size_t>(i) >= c.size()) {
      if (opt) return Value::OptionalNone();
      return ctx.Error("invalid_argument: index out of range: " + std::to_string(i));
    }
    Value v = value_internal::BorrowListElement(c, static_cast<size_t>(i));
    return opt ? ctx.arena->NewOptional(v) : v;
  }
  if (c.kind() == ValueKind::kMap) {
    Value out;
    if (key.kind() == ValueKind::kDouble || key.kind() == ValueKind::kInt ||
        key.kind() == ValueKind::kUint || key.kind() == ValueKind::kString ||
        key.kind() == ValueKind::kBool) {
      if (value_internal::BorrowMapFind(c, key, &out)) {
        return opt ? ctx.arena->NewOptional(out) : out;
      }
    }
    if (opt) return Value::OptionalNone();
    return ctx.Error("no such key: " + key.DebugString());
  }
  Value args[2] = {c, key};
  return NoSuchOverload(ctx, opt ? "_[?_]" : "_[_]", args, 2);
}

Value Index(EvalContext& ctx, const Value* a, int) {
  if (a[0].kind() == ValueKind::kOptional) {
    if (!a[0].optional_has_value()) return a[0];
    Value inner = static_cast<const value_internal::OptionalRep*>(a[0].raw_pointer())->value.Borrow();
    return IndexInto(ctx, inner, a[1], true);
  }
  return IndexInto(ctx, a[0], a[1], false);
}

Value OptIndex(EvalContext& ctx, const Value* a, int) {
  if (a[0].kind() == ValueKind::kOptional) {
    if (!a[0].optional_has_value()) return a[0];
    Value inner = static_cast<const value_internal::OptionalRep*>(a[0].raw_pointer())->value.Borrow();
    return IndexInto(ctx, inner, a[1], true);
  }
  return IndexInto(ctx, a[0], a[1], true);
}

// x.?field
Value OptSelect(EvalContext& ctx, const Value* a, int) {
  Value target = a[0];
  if (target.kind() == ValueKind::kOptional) {
    if (!target.optional_has_value()) return target;
    target = static_cast<const value_internal::OptionalRep*>(target.raw_pointer())->value.Borrow();
  }
  if (target.kind() != ValueKind::kMap) return NoSuchOverload(ctx, "_?._", a, 2);
  Value out;
  if (value_internal::BorrowMapFindString(target, a[1].string_value(), &out)) {
    return ctx.arena->NewOptional(out);
  }
  return Value::OptionalNone();
}

Value InList(EvalContext&, const Value* a, int) {
  size_t n = a[1].size();
  for (size_t i = 0; i < n; ++i) {
    if (ValuesEqual(a[0], value_internal::BorrowListElement(a[1], i))) return Value::Bool(true);
  }
  return Value::Bool(false);
}

Value InMap(EvalContext&, const Value* a, int) {
  Value out;
  switch (a[0].kind()) {
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kUint:
    case ValueKind::kDouble:
    case ValueKind::kString: return Value::Bool(value_internal::BorrowMapFind(a[1], a[0], &out));
    default: return Value::Bool(false);
  }
}

Value SizeString(EvalContext&, const Value* a, int) {
  return Value::Int(strutil::CodePointCount(a[0].string_value()));
}
Value SizeBytes(EvalContext&, const Value* a, int) {
  return Value::Int(static_cast<int64_t>(a[0].string_value().size()));
}
Value SizeContainer(EvalContext&, const Value* a, int) {
  return Value::Int(static_cast<int64_t>(a[0].size()));
}

Value Contains(EvalContext&, const Value* a, int) {
  return Value::Bool(a[0].string_value().find(a[1].string_value()) != std::string_view::npos);
}
Value StartsWith(EvalContext&, const Value* a, int) {
  return Value::Bool(a[0].string_value().starts_with(a[1].string_value()));
}
Value EndsWith(EvalContext&, const Value* a, int) {
  return Value::Bool(a[0].string_value().ends_with(a[1].string_value()));
}
Value Matches(EvalContext& ctx, const Value* a, int) {
  return MakeRegexMatch(ctx, a[0].string_value(), a[1].string_value());
}

// --- Conversions.

Value Identity(EvalContext&, const Value* a, int) { return a[0]; }

Value IntFromUint(EvalContext& ctx, const Value* a, int) {
  if (a[0].uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return ctx.Error("range error converting uint to int");
  }
  return Value::Int(static_cast<int64_t>(a[0].uint_value()));
}
Value IntFromDouble(EvalContext& ctx, const Value* a, int) {
  double d = a[0].double_value();
  // The representable range is open at both ends once rounded to doubles.
  if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) {
    return ctx.Error("range error converting double to int");
  }
  return Value::Int(static_cast<int64_t>(d));
}
Value IntFromString(EvalContext& ctx, const Value* a, int) {
  auto r = strutil::ParseInt(a[0].string_value());
  if (!r.ok()) return ctx.Error("type conversion error: " + r.status().message());
  return Value::Int(*r);
}
Value IntFromTimestamp(EvalContext&, const Value* a, int) {
  return Value::Int(a[0].timestamp_value().seconds);
}
Value UintFromInt(EvalContext& ctx, const Value* a, int) {
  if (a[0].int_value() < 0) return ctx.Error("range error converting int to uint");
  return Value::Uint(static_cast<uint64_t>(a[0].int_value()));
}
Value UintFromDouble(EvalContext& ctx, const Value* a, int) {
  double d = a[0].double_value();
  if (!(d > -1.0 && d < 18446744073709551616.0)) {
    return ctx.Error("range error converting double to uint");
  }
  return Value::Uint(static_cast<uint64_t>(d));
}
Value UintFromString(EvalContext& ctx, const Value* a, int) {
  auto r = strutil::ParseUint(a[0].string_value());
  if (!r.ok()) return ctx.Error("type conversion error: " + r.status().message());
  return Value::Uint(*r);
}
Value DoubleFromInt(EvalContext&, const Value* a, int) {
  return Value::Double(static_cast<double>(a[0].int_value()));
}
Value DoubleFromUint(EvalContext&, const Value* a, int) {
  return Value::Double(static_cast<double>(a[0].uint_value()));
}
// Exact fast path for plain decimals such as money amounts ("1874.40"): at most 15 digits and
// no exponent, so the digits form an integer below 2^53 and the scale a power of ten that is
// exact in a double; one IEEE division then rounds correctly. Anything else: nullopt.
std::optional<double> ParsePlainDecimal(std::string_view s) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  uint64_t mantissa = 0;
  int digits = 0, frac_digits = 0;
  bool seen_point = false, seen_digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (++digits > 15) return std::nullopt;
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      seen_digit = true;
      if (seen_point) ++frac_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      return std::nullopt;
    }
  }
  if (!seen_digit) return std::nullopt;
  double v = static_cast<double>(mantissa) / kPow10[frac_digits];
  return negative ? -v : v;
}

Value DoubleFromString(EvalContext& ctx, const Value* a, int) {
  if (std::optional<double> fast = ParsePlainDecimal(a[0].string_value())) {
    return Value::Double(*fast);
  }
  auto r = strutil::ParseDouble(a[0].string_value());
  if (!r.ok()) return ctx.Error("type conversion error: " + r.status().message());
  return Value::Double(*r);
}
Value StringFromInt(EvalContext& ctx, const Value* a, int) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(a[0].int_value()));
  return ctx.arena->NewString(std::string_view(buf, static_cast<size_t>(n)));
}
Value StringFromUint(EvalContext& ctx, const Value* a, int) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(a[0].uint_value()));
  return ctx.arena->NewString(std::string_view(buf, static_cast<size_t>(n)));
}
Value StringFromDouble(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(strutil::FormatDouble(a[0].double_value()));
}
Value StringFromBool(EvalContext&, const Value* a, int) {
  return Value::StringView(a[0].bool_value() ? "true" : "false");
}
Value StringFromBytes(EvalContext& ctx, const Value* a, int) {
  if (!strutil::IsValidUtf8(a[0].string_value())) {
    return ctx.Error("invalid UTF-8 in bytes, cannot convert to string");
  }
  return Value::FromRep(ValueKind::kString, static_cast<value_internal::Storage>(a[0].storage()),
                        a[0].raw_pointer(), static_cast<uint32_t>(a[0].string_value().size()),
                        false)
      .Borrow();
}
Value StringFromTimestamp(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(timeutil::FormatTimestamp(a[0].timestamp_value()));
}
Value StringFromDuration(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(timeutil::FormatDuration(a[0].duration_value()));
}
Value BytesFromString(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(a[0].string_value(), ValueKind::kBytes);
}
Value BoolFromString(EvalContext& ctx, const Value* a, int) {
  std::string_view s = a[0].string_value();
  if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True") return Value::Bool(true);
  if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False") {
    return Value::Bool(false);
  }
  return ctx.Error("Type conversion error: cannot convert '" + std::string(s) + "' to bool");
}
Value TimestampFromString(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::ParseTimestamp(a[0].string_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Timestamp(*r);
}
Value TimestampFromInt(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::TimestampFromSeconds(a[0].int_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Timestamp(*r);
}
Value DurationFromString(EvalContext& ctx, const Value* a, int) {
  auto r = timeutil::ParseDuration(a[0].string_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return Value::Duration(*r);
}
Value TypeOfValue(EvalContext&, const Value* a, int) { return TypeOf(a[0]); }

// --- Optionals.

Value OptionalOf(EvalContext& ctx, const Value* a, int) { return ctx.arena->NewOptional(a[0]); }
Value OptionalNoneFn(EvalContext&, const Value*, int) { return Value::OptionalNone(); }
bool IsZeroValue(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return !v.bool_value();
    case ValueKind::kInt: return v.int_value() == 0;
    case ValueKind::kUint: return v.uint_value() == 0;
    case ValueKind::kDouble: return v.double_value() == 0;
    case ValueKind::kString:
    case ValueKind::kBytes: return v.string_value().empty();
    case ValueKind::kList:
    case ValueKind::kMap: return v.size() == 0;
    case ValueKind::kTimestamp:
    case ValueKind::kDuration: return v.int_value() == 0 && v.timestamp_value().nanos == 0;
    case ValueKind::kOptional: return !v.optional_has_value();
    default: return false;
  }
}
Value OptionalOfNonZero(EvalContext& ctx, const Value* a, int) {
  if (IsZeroValue(a[0])) return Value::OptionalNone();
  return ctx.arena->NewOptional(a[0]);
}
Value OptInner(const Value& o) {
  return static_cast<const value_internal::OptionalRep*>(o.raw_pointer())->value.Borrow();
}
Value OptHasValue(EvalContext&, const Value* a, int) {
  return Value::Bool(a[0].optional_has_value());
}
Value OptValue(EvalContext& ctx, const Value* a, int) {
  if (!a[0].optional_has_value()) return ctx.Error("optional.none() dereference");
  return OptInner(a[0]);
}
Value OptOr(EvalContext&, const Value* a, int) {
  return a[0].optional_has_value() ? a[0] : a[1];
}
Value OptOrValue(EvalContext&, const Value* a, int) {
  return a[0].optional_has_value() ? OptInner(a[0]) : a[1];
}

// --- Map insertion (transformMap expansion).

Value MapInsert(EvalContext& ctx, const Value* a, int) {
  const Value& m = a[0];
  size_t n = m.size();
  Value out = ctx.arena->NewMap(n + 1);
  for (size_t i = 0; i < n; ++i) {
    Arena::MapInsert(out, value_internal::BorrowMapKeyAt(m, i),
                     value_internal::BorrowMapValueAt(m, i));
  }
  switch (a[1].kind()) {
    case ValueKind::kBool:
    case ValueKind::kInt:
    case ValueKind::kUint:
    case ValueKind::kString: break;
    default: return ctx.Error("unsupported key type: " + std::string(TypeNameForMessage(a[1])));
  }
  if (!Arena::MapInsert(out, a[1], a[2])) {
    return ctx.Error("insert failed: key " + a[1].DebugString() + " already exists");
  }
  return out;
}

Value MapMerge(EvalContext& ctx, const Value* a, int) {
  size_t n = a[0].size(), m = a[1].size();
  Value out = ctx.arena->NewMap(n + m);
  for (size_t i = 0; i < n; ++i) {
    Arena::MapInsert(out, value_internal::BorrowMapKeyAt(a[0], i),
                     value_internal::BorrowMapValueAt(a[0], i));
  }
  for (size_t i = 0; i < m; ++i) {
    Value k = value_internal::BorrowMapKeyAt(a[1], i);
    if (!Arena::MapInsert(out, k, value_internal::BorrowMapValueAt(a[1], i))) {
      return ctx.Error("insert failed: key " + k.DebugString() + " already exists");
    }
  }
  return out;
}

// --- Encoders.

Value Base64EncodeFn(EvalContext& ctx, const Value* a, int) {
  return ctx.arena->NewString(Base64Encode(a[0].string_value()));
}
Value Base64DecodeFn(EvalContext& ctx, const Value* a, int) {
  auto r = Base64Decode(a[0].string_value());
  if (!r.ok()) return FromStatus(ctx, r.status());
  return ctx.arena->NewString(*r, ValueKind::kBytes);
}

}  // namespace

void RegisterCoreFunctions(FunctionRegistry& r) {
  r.Add("_+_", {kInt, kInt}, AddInt);
  r.Add("_+_", {kUint, kUint}, AddUint);
  r.Add("_+_", {kDouble, kDouble}, AddDouble);
  r.Add("_+_", {kString, kString}, Concat);
  r.Add("_+_", {kBytes, kBytes}, Concat);
  r.Add("_+_", {kList, kList}, ConcatList);
  r.Add("_+_", {kTimestamp, kDuration}, AddTsDur);
  r.Add("_+_", {kDuration, kTimestamp}, AddDurTs);
  r.Add("_+_", {kDuration, kDuration}, AddDurDur);
  r.Add("_-_", {kInt, kInt}, SubInt);
  r.Add("_-_", {kUint, kUint}, SubUint);
  r.Add("_-_", {kDouble, kDouble}, SubDouble);
  r.Add("_-_", {kTimestamp, kDuration}, SubTsDur);
  r.Add("_-_", {kTimestamp, kTimestamp}, SubTsTs);
  r.Add("_-_", {kDuration, kDuration}, SubDurDur);
  r.Add("_*_", {kInt, kInt}, MulInt);
  r.Add("_*_", {kUint, kUint}, MulUint);
  r.Add("_*_", {kDouble, kDouble}, MulDouble);
  r.Add("_/_", {kInt, kInt}, DivInt);
  r.Add("_/_", {kUint, kUint}, DivUint);
  r.Add("_/_", {kDouble, kDouble}, DivDouble);
  r.Add("_%_", {kInt, kInt}, ModInt);
  r.Add("_%_", {kUint, kUint}, ModUint);
  r.Add("-_", {kInt}, NegInt);
  r.Add("-_", {kDouble}, NegDouble);
  r.Add("-_", {kDuration}, NegDur);
  r.Add("!_", {kBool}, NotBool);

  r.Add("_==_", {kAny, kAny}, Eq);
  r.Add("_!=_", {kAny, kAny}, Ne);
  r.Add("_<_", {kAny, kAny}, Compare<0>);
  r.Add("_<=_", {kAny, kAny}, Compare<1>);
  r.Add("_>_", {kAny, kAny}, Compare<2>);
  r.Add("_>=_", {kAny, kAny}, Compare<3>);

  r.Add("_[_]", {kAny, kAny}, Index);
  r.Add("_[?_]", {kAny, kAny}, OptIndex);
  r.Add("_?._", {kAny, kString}, OptSelect);
  r.Add("@in", {kAny, kList}, InList);
  r.Add("@in", {kAny, kMap}, InMap);

  r.Add("size", {kString}, SizeString);
  r.Add("size", {kBytes}, SizeBytes);
  r.Add("size", {kList}, SizeContainer);
  r.Add("size", {kMap}, SizeContainer);
  r.Add("contains", {kString, kString}, Contains);
  r.Add("startsWith", {kString, kString}, StartsWith);
  r.Add("endsWith", {kString, kString}, EndsWith);
  r.Add("matches", {kString, kString}, Matches);

  r.Add("int", {kInt}, Identity);
  r.Add("int", {kUint}, IntFromUint);
  r.Add("int", {kDouble}, IntFromDouble);
  r.Add("int", {kString}, IntFromString);
  r.Add("int", {kTimestamp}, IntFromTimestamp);
  r.Add("uint", {kUint}, Identity);
  r.Add("uint", {kInt}, UintFromInt);
  r.Add("uint", {kDouble}, UintFromDouble);
  r.Add("uint", {kString}, UintFromString);
  r.Add("double", {kDouble}, Identity);
  r.Add("double", {kInt}, DoubleFromInt);
  r.Add("double", {kUint}, DoubleFromUint);
  r.Add("double", {kString}, DoubleFromString);
  r.Add("string", {kString}, Identity);
  r.Add("string", {kInt}, StringFromInt);
  r.Add("string", {kUint}, StringFromUint);
  r.Add("string", {kDouble}, StringFromDouble);
  r.Add("string", {kBool}, StringFromBool);
  r.Add("string", {kBytes}, StringFromBytes);
  r.Add("string", {kTimestamp}, StringFromTimestamp);
  r.Add("string", {kDuration}, StringFromDuration);
  r.Add("bytes", {kBytes}, Identity);
  r.Add("bytes", {kString}, BytesFromString);
  r.Add("bool", {kBool}, Identity);
  r.Add("bool", {kString}, BoolFromString);
  r.Add("timestamp", {kTimestamp}, Identity);
  r.Add("timestamp", {kString}, TimestampFromString);
  r.Add("timestamp", {kInt}, TimestampFromInt);
  r.Add("duration", {kDuration}, Identity);
  r.Add("duration", {kString}, DurationFromString);
  r.Add("type", {kAny}, TypeOfValue);
  r.Add("dyn", {kAny}, Identity);

  r.Add("optional.of", {kAny}, OptionalOf);
  r.Add("optional.none", {}, OptionalNoneFn);
  r.Add("optional.ofNonZeroValue", {kAny}, OptionalOfNonZero);
  r.Add("hasValue", {kOptional}, OptHasValue);
  r.Add("value", {kOptional}, OptValue);
  r.Add("or", {kOptional, kOptional}, OptOr);
  r.Add("orValue", {kOptional, kAny}, OptOrValue);

  r.Add("cel.@mapInsert", {kMap, kAny, kAny}, MapInsert);
  r.Add("cel.@mapInsert", {kMap, kMap}, MapMerge);
  r.Add("base64.encode", {kBytes}, Base64EncodeFn);
  r.Add("base64.decode", {kString}, Base64DecodeFn);
  (void)kNull;
  (void)kType;
}

}  // namespace govflow::expr
