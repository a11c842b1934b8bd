#include "workflow/cel_json.h"

#include <boost/json.hpp>
#include <cmath>
#include <string>

#include "expr/time_util.h"
#include "expr/typed_json.h"

namespace govflow::workflow {
namespace {

constexpr int kMaxDepth = 200;

Result<std::string> KeyToString(const expr::Value& key) {
  switch (key.kind()) {
    case expr::ValueKind::kString:
      return std::string(key.string_value());
    case expr::ValueKind::kInt:
      return std::to_string(key.int_value());
    case expr::ValueKind::kUint:
      return std::to_string(key.uint_value());
    case expr::ValueKind::kBool:
      return std::string(key.bool_value() ? "true" : "false");
    default:
      return InvalidArgument("map key of type " + std::string(expr::KindName(key.kind())) +
                             " cannot be a JSON object key");
  }
}

Result<boost::json::value> Convert(const expr::Value& value, int depth) {
  if (depth > kMaxDepth) return InvalidArgument("value nested too deeply for JSON");
  switch (value.kind()) {
    case expr::ValueKind::kNull:
      return boost::json::value(nullptr);
    case expr::ValueKind::kBool:
      return boost::json::value(value.bool_value());
    case expr::ValueKind::kInt:
      return boost::json::value(value.int_value());
    case expr::ValueKind::kUint:
      return boost::json::value(value.uint_value());
    case expr::ValueKind::kDouble: {
      double d = value.double_value();
      if (!std::isfinite(d))
        return InvalidArgument("the number " + value.DebugString() + " has no JSON form");
      constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
      if (std::trunc(d) == d && std::fabs(d) < kExactIntegers) {
        return boost::json::value(static_cast<int64_t>(d));
      }
      return boost::json::value(d);
    }
    case expr::ValueKind::kString:
      return boost::json::value(value.string_value());
    case expr::ValueKind::kBytes:
      return boost::json::value(expr::Base64Encode(value.string_value()));
    case expr::ValueKind::kTimestamp:
      return boost::json::value(expr::timeutil::FormatTimestamp(value.timestamp_value()));
    case expr::ValueKind::kDuration:
      return boost::json::value(expr::timeutil::FormatDuration(value.duration_value()));
    case expr::ValueKind::kType:
      return boost::json::value(value.type_name());
    case expr::ValueKind::kOptional:
      if (!value.optional_has_value()) return boost::json::value(nullptr);
      return Convert(value.optional_value(), depth + 1);
    case expr::ValueKind::kError:
      return InvalidArgument(std::string(value.error_message()));
    case expr::ValueKind::kList: {
      boost::json::array array;
      array.reserve(value.size());
      for (size_t i = 0; i < value.size(); ++i) {
        GOVFLOW_ASSIGN_OR_RETURN(boost::json::value element,
                                 Convert(value.ListElement(i), depth + 1));
        array.push_back(std::move(element));
      }
      return boost::json::value(std::move(array));
    }
    case expr::ValueKind::kMap: {
      boost::json::object object;
      object.reserve(value.size());
      for (size_t i = 0; i < value.size(); ++i) {
        GOVFLOW_ASSIGN_OR_RETURN(std::string key, KeyToString(value.MapKeyAt(i)));
        GOVFLOW_ASSIGN_OR_RETURN(boost::json::value member,
                                 Convert(value.MapValueAt(i), depth + 1));
        object[key] = std::move(member);
      }
      return boost::json::value(std::move(object));
    }
  }
  return Internal("unhandled CEL value kind");
}

}  // namespace

Result<boost::json::value> ValueToJson(const expr::Value& value) {
  return Convert(value, 0);
}

}  // namespace govflow::workflow
