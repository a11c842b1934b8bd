#include "workflow/cel_json.h"

#include <boost/json.hpp>
#include <cmath>
#include <string>

#include "expr/time_util.h"
#include "expr/typed_json.h"

namespace govflow::workflow {
namespace {

constexpr int kMaxDepth = 200;

// A map key as a JSON object key: string keys as they are (viewed, not copied), others written
// into `buffer`.
Result<std::string_view> KeyText(const expr::Value& key, std::string& buffer) {
  switch (key.kind()) {
    case expr::ValueKind::kString:
      return key.string_value();
    case expr::ValueKind::kInt:
      buffer = std::to_string(key.int_value());
      return std::string_view(buffer);
    case expr::ValueKind::kUint:
      buffer = std::to_string(key.uint_value());
      return std::string_view(buffer);
    case expr::ValueKind::kBool:
      return std::string_view(key.bool_value() ? "true" : "false");
    default:
      return InvalidArgument("map key of type " + std::string(expr::KindName(key.kind())) +
                             " cannot be a JSON object key");
  }
}

Status TooDeep() {
  return InvalidArgument("value nested too deeply for JSON");
}

Result<boost::json::value> DoubleToJson(double d) {
  if (!std::isfinite(d)) {
    return InvalidArgument("the number " + expr::Value::Double(d).DebugString() +
                           " has no JSON form");
  }
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (std::trunc(d) == d && std::fabs(d) < kExactIntegers) {
    return boost::json::value(static_cast<int64_t>(d));
  }
  return boost::json::value(d);
}

Result<boost::json::value> ConvertJson(const boost::json::value& doc, int depth);

// A JSON array or object viewed by a CEL list or map (expr::Value::FromJson), converted straight
// from the document: the same result as going through the CEL values of its elements (CEL sees
// every JSON number as a double, so numbers go through DoubleToJson), without making them.
Result<boost::json::value> ConvertJsonArray(const boost::json::array& in, int depth) {
  boost::json::array array;
  array.reserve(in.size());
  for (const boost::json::value& element : in) {
    GOVFLOW_ASSIGN_OR_RETURN(boost::json::value out, ConvertJson(element, depth + 1));
    array.push_back(std::move(out));
  }
  return boost::json::value(std::move(array));
}

Result<boost::json::value> ConvertJsonObject(const boost::json::object& in, int depth) {
  boost::json::object object;
  object.reserve(in.size());
  for (const boost::json::key_value_pair& member : in) {
    GOVFLOW_ASSIGN_OR_RETURN(boost::json::value out, ConvertJson(member.value(), depth + 1));
    object[member.key()] = std::move(out);
  }
  return boost::json::value(std::move(object));
}

Result<boost::json::value> ConvertJson(const boost::json::value& doc, int depth) {
  if (depth > kMaxDepth) return TooDeep();
  switch (doc.kind()) {
    case boost::json::kind::null:
      return boost::json::value(nullptr);
    case boost::json::kind::bool_:
      return boost::json::value(doc.get_bool());
    case boost::json::kind::int64:
      return DoubleToJson(static_cast<double>(doc.get_int64()));
    case boost::json::kind::uint64:
      return DoubleToJson(static_cast<double>(doc.get_uint64()));
    case boost::json::kind::double_:
      return DoubleToJson(doc.get_double());
    case boost::json::kind::string:
      return boost::json::value(boost::json::string_view(doc.get_string()));
    case boost::json::kind::array:
      return ConvertJsonArray(doc.get_array(), depth);
    case boost::json::kind::object:
      return ConvertJsonObject(doc.get_object(), depth);
  }
  return Internal("unhandled JSON kind");
}

Result<boost::json::value> Convert(const expr::Value& value, int depth) {
  if (depth > kMaxDepth) return TooDeep();
  switch (value.kind()) {
    case expr::ValueKind::kNull:
      return boost::json::value(nullptr);
    case expr::ValueKind::kBool:
      return boost::json::value(value.bool_value());
    case expr::ValueKind::kInt:
      return boost::json::value(value.int_value());
    case expr::ValueKind::kUint:
      return boost::json::value(value.uint_value());
    case expr::ValueKind::kDouble:
      return DoubleToJson(value.double_value());
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
      if (value.IsJsonView()) {
        return ConvertJsonArray(*static_cast<const boost::json::array*>(value.raw_pointer()),
                                depth);
      }
      boost::json::array array;
      array.reserve(value.size());
      for (size_t i = 0; i < value.size(); ++i) {
        // Borrowed: `value` holds the elements for the whole conversion.
        GOVFLOW_ASSIGN_OR_RETURN(
            boost::json::value element,
            Convert(expr::value_internal::BorrowListElement(value, i), depth + 1));
        array.push_back(std::move(element));
      }
      return boost::json::value(std::move(array));
    }
    case expr::ValueKind::kMap: {
      if (value.IsJsonView()) {
        return ConvertJsonObject(*static_cast<const boost::json::object*>(value.raw_pointer()),
                                 depth);
      }
      boost::json::object object;
      object.reserve(value.size());
      std::string buffer;
      for (size_t i = 0; i < value.size(); ++i) {
        const expr::Value key_value = expr::value_internal::BorrowMapKeyAt(value, i);
        GOVFLOW_ASSIGN_OR_RETURN(std::string_view key, KeyText(key_value, buffer));
        GOVFLOW_ASSIGN_OR_RETURN(
            boost::json::value member,
            Convert(expr::value_internal::BorrowMapValueAt(value, i), depth + 1));
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
