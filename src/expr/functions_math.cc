// The CEL math extension (cel-go ext/math.go): greatest/least, rounding, abs/sign, NaN/Inf
// tests, bit operations.
#include <cmath>
#include <limits>

#include "expr/interpreter.h"

namespace govflow::expr {
namespace {

constexpr uint8_t kInt = static_cast<uint8_t>(ValueKind::kInt);
constexpr uint8_t kUint = static_cast<uint8_t>(ValueKind::kUint);
constexpr uint8_t kDouble = static_cast<uint8_t>(ValueKind::kDouble);

bool IsNumeric(const Value& v) {
  return v.kind() == ValueKind::kInt || v.kind() == ValueKind::kUint ||
         v.kind() == ValueKind::kDouble;
}

template <bool kGreatest>
Value Extreme(EvalContext& ctx, const Value* a, int n) {
  const char* name = kGreatest ? "math.greatest" : "math.least";
  if (n == 0) return ctx.Error(std::string(name) + " requires at least one argument");
  Value list;
  bool from_list = n == 1 && a[0].kind() == ValueKind::kList;
  size_t count = from_list ? a[0].size() : static_cast<size_t>(n);
  if (count == 0) return ctx.Error(std::string(name) + "([]) is undefined: empty list");
  Value best;
  for (size_t i = 0; i < count; ++i) {
    Value v = from_list ? value_internal::BorrowListElement(a[0], i) : a[i];
    if (!IsNumeric(v)) return NoSuchOverload(ctx, name, a, n);
    if (i == 0) {
      best = v;
      continue;
    }
    std::optional<int> c = CompareValues(v, best);
    if (c && *c != 2 && (kGreatest ? *c > 0 : *c < 0)) best = v;
  }
  return best;
}

Value Ceil(EvalContext&, const Value* a, int) { return Value::Double(std::ceil(a[0].double_value())); }
Value Floor(EvalContext&, const Value* a, int) {
  return Value::Double(std::floor(a[0].double_value()));
}
Value Round(EvalContext&, const Value* a, int) {
  return Value::Double(std::round(a[0].double_value()));
}
Value Trunc(EvalContext&, const Value* a, int) {
  return Value::Double(std::trunc(a[0].double_value()));
}
Value AbsInt(EvalContext& ctx, const Value* a, int) {
  int64_t x = a[0].int_value();
  if (x == std::numeric_limits<int64_t>::min()) return ctx.Error("return error for overflow");
  return Value::Int(x < 0 ? -x : x);
}
Value AbsUint(EvalContext&, const Value* a, int) { return a[0]; }
Value AbsDouble(EvalContext&, const Value* a, int) {
  return Value::Double(std::fabs(a[0].double_value()));
}
Value SignInt(EvalContext&, const Value* a, int) {
  int64_t x = a[0].int_value();
  return Value::Int(x > 0 ? 1 : (x < 0 ? -1 : 0));
}
Value SignUint(EvalContext&, const Value* a, int) {
  return Value::Uint(a[0].uint_value() > 0 ? 1 : 0);
}
Value SignDouble(EvalContext&, const Value* a, int) {
  double x = a[0].double_value();
  if (std::isnan(x)) return a[0];
  return Value::Double(x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0));
}
Value IsNaN(EvalContext&, const Value* a, int) { return Value::Bool(std::isnan(a[0].double_value())); }
Value IsInf(EvalContext&, const Value* a, int) { return Value::Bool(std::isinf(a[0].double_value())); }
Value IsFinite(EvalContext&, const Value* a, int) {
  return Value::Bool(std::isfinite(a[0].double_value()));
}
Value Sqrt(EvalContext&, const Value* a, int) {
  double x = a[0].kind() == ValueKind::kInt    ? static_cast<double>(a[0].int_value())
             : a[0].kind() == ValueKind::kUint ? static_cast<double>(a[0].uint_value())
                                               : a[0].double_value();
  return Value::Double(std::sqrt(x));
}

Value BitAndInt(EvalContext&, const Value* a, int) {
  return Value::Int(a[0].int_value() & a[1].int_value());
}
Value BitAndUint(EvalContext&, const Value* a, int) {
  return Value::Uint(a[0].uint_value() & a[1].uint_value());
}
Value BitOrInt(EvalContext&, const Value* a, int) {
  return Value::Int(a[0].int_value() | a[1].int_value());
}
Value BitOrUint(EvalContext&, const Value* a, int) {
  return Value::Uint(a[0].uint_value() | a[1].uint_value());
}
Value BitXorInt(EvalContext&, const Value* a, int) {
  return Value::Int(a[0].int_value() ^ a[1].int_value());
}
Value BitXorUint(EvalContext&, const Value* a, int) {
  return Value::Uint(a[0].uint_value() ^ a[1].uint_value());
}
Value BitNotInt(EvalContext&, const Value* a, int) { return Value::Int(~a[0].int_value()); }
Value BitNotUint(EvalContext&, const Value* a, int) { return Value::Uint(~a[0].uint_value()); }

// Shifts are logical on the 64-bit pattern; 64 or more clears every bit.
template <bool kLeft, bool kUnsigned>
Value Shift(EvalContext& ctx, const Value* a, int) {
  int64_t offset = a[1].int_value();
  if (offset < 0) {
    return ctx.Error("math.bitShift" + std::string(kLeft ? "Left" : "Right") +
                     "() negative offset: " + std::to_string(offset));
  }
  uint64_t bits = kUnsigned ? a[0].uint_value() : static_cast<uint64_t>(a[0].int_value());
  uint64_t r = offset >= 64 ? 0 : (kLeft ? bits << offset : bits >> offset);
  if (kUnsigned) return Value::Uint(r);
  return Value::Int(static_cast<int64_t>(r));
}

}  // namespace

void RegisterMathExtension(FunctionRegistry& r) {
  r.AddVariadic("math.greatest", Extreme<true>);
  r.AddVariadic("math.least", Extreme<false>);
  r.Add("math.ceil", {kDouble}, Ceil);
  r.Add("math.floor", {kDouble}, Floor);
  r.Add("math.round", {kDouble}, Round);
  r.Add("math.trunc", {kDouble}, Trunc);
  r.Add("math.abs", {kInt}, AbsInt);
  r.Add("math.abs", {kUint}, AbsUint);
  r.Add("math.abs", {kDouble}, AbsDouble);
  r.Add("math.sign", {kInt}, SignInt);
  r.Add("math.sign", {kUint}, SignUint);
  r.Add("math.sign", {kDouble}, SignDouble);
  r.Add("math.isNaN", {kDouble}, IsNaN);
  r.Add("math.isInf", {kDouble}, IsInf);
  r.Add("math.isFinite", {kDouble}, IsFinite);
  r.Add("math.sqrt", {kDouble}, Sqrt);
  r.Add("math.sqrt", {kInt}, Sqrt);
  r.Add("math.sqrt", {kUint}, Sqrt);
  r.Add("math.bitAnd", {kInt, kInt}, BitAndInt);
  r.Add("math.bitAnd", {kUint, kUint}, BitAndUint);
  r.Add("math.bitOr", {kInt, kInt}, BitOrInt);
  r.Add("math.bitOr", {kUint, kUint}, BitOrUint);
  r.Add("math.bitXor", {kInt, kInt}, BitXorInt);
  r.Add("math.bitXor", {kUint, kUint}, BitXorUint);
  r.Add("math.bitNot", {kInt}, BitNotInt);
  r.Add("math.bitNot", {kUint}, BitNotUint);
  r.Add("math.bitShiftLeft", {kInt, kInt}, (Shift<true, false>));
  r.Add("math.bitShiftLeft", {kUint, kInt}, (Shift<true, true>));
  r.Add("math.bitShiftRight", {kInt, kInt}, (Shift<false, false>));
  r.Add("math.bitShiftRight", {kUint, kInt}, (Shift<false, true>));
}

}  // namespace govflow::expr
