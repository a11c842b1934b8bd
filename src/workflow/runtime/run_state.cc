#include "workflow/runtime/run_state.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace govflow::workflow::runtime {
namespace json = boost::json;

std::string RunContext::ToJson() const {
  return ToJson(json::serialize(steps));
}

// Written as text, in the order (and with the number and string forms) json::serialize gives the
// object {"steps", "attempt", "attempt_base", "call_started_us", "wait_until_us", "approval_id"}.
std::string RunContext::ToJson(std::string_view steps_json) const {
  std::string out;
  out.reserve(steps_json.size() + 112 + approval_id.size());
  out += "{\"steps\":";
  out += steps_json;
  auto field = [&out](std::string_view name, int64_t value) {
    out += ",\"";
    out += name;
    out += "\":";
    out += std::to_string(value);
  };
  field("attempt", attempt);
  field("attempt_base", attempt_base);
  field("call_started_us", call_started_us);
  field("wait_until_us", wait_until_us);
  if (!approval_id.empty()) {
    out += ",\"approval_id\":";
    out += json::serialize(json::string_view(approval_id));
  }
  out += '}';
  return out;
}

Result<RunContext> RunContext::FromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("run context is not a JSON object");
  RunContext c;
  const json::object& o = v.get_object();
  auto int_field = [&](std::string_view name, int64_t& out) -> Status {
    const json::value* f = o.if_contains(name);
    if (f == nullptr) return Status::Ok();
    if (!f->is_int64()) return Internal("run context: " + std::string(name) + " is not an integer");
    out = f->get_int64();
    return Status::Ok();
  };
  if (const json::value* s = o.if_contains("steps")) {
    if (!s->is_object()) return Internal("run context: steps is not an object");
    c.steps = *s;
  }
  GOVFLOW_RETURN_IF_ERROR(int_field("attempt", c.attempt));
  GOVFLOW_RETURN_IF_ERROR(int_field("attempt_base", c.attempt_base));
  GOVFLOW_RETURN_IF_ERROR(int_field("call_started_us", c.call_started_us));
  GOVFLOW_RETURN_IF_ERROR(int_field("wait_until_us", c.wait_until_us));
  if (const json::value* a = o.if_contains("approval_id")) {
    if (!a->is_string()) return Internal("run context: approval_id is not a string");
    c.approval_id = std::string(a->get_string());
  }
  return c;
}

std::string IdempotencyKey(const TenantId& tenant, const RunId& run, std::string_view step) {
  std::string key = tenant.value();
  key += '/';
  key += run.value();
  key += '/';
  key += step;
  return key;
}

ErrorClass ToWorkflowErrorClass(const connect::CallFailure& failure) {
  using C = connect::ErrorClass;
  switch (failure.error_class) {
    case C::kValidation:
    case C::kMasterData:
      return ErrorClass::kRejected;
    case C::kAuth:
      return ErrorClass::kAuth;
    case C::kNotFound:
      return ErrorClass::kNotFound;
    case C::kConflict:
      return ErrorClass::kConflict;
    case C::kThrottled:
      return ErrorClass::kThrottled;
    case C::kTransient:
      return ErrorClass::kTransient;
    case C::kUnknown:
      return failure.code == "timeout" ? ErrorClass::kTimeout : ErrorClass::kUnknown;
  }
  return ErrorClass::kUnknown;
}

bool OutcomeUnknown(const connect::CallFailure& failure) {
  return failure.error_class == connect::ErrorClass::kUnknown;
}

bool RequestEnded(const connect::CallFailure& failure) {
  return failure.http_status > 0 && failure.http_status != 408 && failure.http_status != 504 &&
         !failure.code.empty();
}

}  // namespace govflow::workflow::runtime
