// Timestamp and duration accessors (getFullYear(), getHours(tz), ...), through expr/time_util.h.
#include "expr/interpreter.h"

namespace govflow::expr {
namespace {

using timeutil::TimestampField;

constexpr uint8_t kString = static_cast<uint8_t>(ValueKind::kString);
constexpr uint8_t kTimestamp = static_cast<uint8_t>(ValueKind::kTimestamp);
constexpr uint8_t kDuration = static_cast<uint8_t>(ValueKind::kDuration);

template <TimestampField kField>
Value TimestampAccessor(EvalContext& ctx, const Value* a, int n) {
  std::string_view tz = n > 1 ? a[1].string_value() : std::string_view();
  auto r = timeutil::GetTimestampField(a[0].timestamp_value(), kField, tz);
  if (!r.ok()) return ctx.Error(r.status().message());
  return Value::Int(*r);
}

template <int64_t (*kFn)(const timeutil::Duration&)>
Value DurationAccessor(EvalContext&, const Value* a, int) {
  return Value::Int(kFn(a[0].duration_value()));
}

template <TimestampField kField>
void AddTimestampAccessor(FunctionRegistry& r, std::string_view name) {
  r.Add(name, {kTimestamp}, TimestampAccessor<kField>);
  r.Add(name, {kTimestamp, kString}, TimestampAccessor<kField>);
}

}  // namespace

void RegisterTimeFunctions(FunctionRegistry& r) {
  AddTimestampAccessor<TimestampField::kFullYear>(r, "getFullYear");
  AddTimestampAccessor<TimestampField::kMonth>(r, "getMonth");
  AddTimestampAccessor<TimestampField::kDate>(r, "getDate");
  AddTimestampAccessor<TimestampField::kDayOfMonth>(r, "getDayOfMonth");
  AddTimestampAccessor<TimestampField::kDayOfWeek>(r, "getDayOfWeek");
  AddTimestampAccessor<TimestampField::kDayOfYear>(r, "getDayOfYear");
  AddTimestampAccessor<TimestampField::kHours>(r, "getHours");
  AddTimestampAccessor<TimestampField::kMinutes>(r, "getMinutes");
  AddTimestampAccessor<TimestampField::kSeconds>(r, "getSeconds");
  AddTimestampAccessor<TimestampField::kMilliseconds>(r, "getMilliseconds");
  r.Add("getHours", {kDuration}, DurationAccessor<timeutil::DurationHours>);
  r.Add("getMinutes", {kDuration}, DurationAccessor<timeutil::DurationMinutes>);
  r.Add("getSeconds", {kDuration}, DurationAccessor<timeutil::DurationSeconds>);
  r.Add("getMilliseconds", {kDuration}, DurationAccessor<timeutil::DurationMilliseconds>);
}

}  // namespace govflow::expr
