#include "expr/typed_json.h"

#include <cmath>
#include <limits>

#include <boost/json.hpp>

#include "expr/string_util.h"

namespace govflow::expr {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

Result<std::string_view> StringField(const boost::json::value& v, std::string_view what) {
  if (!v.is_string()) return InvalidArgument(std::string(what) + " must be a JSON string");
  return std::string_view(v.get_string());
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int d = DecodeChar(c);
    if (d < 0) return InvalidArgument("illegal base64 data");
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return InvalidArgument("illegal base64 data");
  return out;
}

Value ValueFromJson(const boost::json::value& json) { return Value::FromJson(json); }

Result<Value> ValueFromTypedJson(const boost::json::value& json) {
  if (!json.is_object() || json.get_object().size() != 1) {
    return InvalidArgument("a typed value must be an object with exactly one key");
  }
  const auto& entry = *json.get_object().begin();
  std::string_view tag = entry.key();
  const boost::json::value& v = entry.value();
  if (tag == "null") return Value::Null();
  if (tag == "bool") {
    if (!v.is_bool()) return InvalidArgument("bool must be true or false");
    return Value::Bool(v.get_bool());
  }
  if (tag == "int") {
    if (v.is_int64()) return Value::Int(v.get_int64());
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "int"));
    GOVFLOW_ASSIGN_OR_RETURN(int64_t i, strutil::ParseInt(s));
    return Value::Int(i);
  }
  if (tag == "uint") {
    if (v.is_uint64()) return Value::Uint(v.get_uint64());
    if (v.is_int64() && v.get_int64() >= 0) return Value::Uint(static_cast<uint64_t>(v.get_int64()));
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "uint"));
    GOVFLOW_ASSIGN_OR_RETURN(uint64_t u, strutil::ParseUint(s));
    return Value::Uint(u);
  }
  if (tag == "double") {
    if (v.is_double()) return Value::Double(v.get_double());
    if (v.is_int64()) return Value::Double(static_cast<double>(v.get_int64()));
    if (v.is_uint64()) return Value::Double(static_cast<double>(v.get_uint64()));
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "double"));
    if (s == "NaN") return Value::Double(std::numeric_limits<double>::quiet_NaN());
    if (s == "Infinity") return Value::Double(std::numeric_limits<double>::infinity());
    if (s == "-Infinity") return Value::Double(-std::numeric_limits<double>::infinity());
    GOVFLOW_ASSIGN_OR_RETURN(double d, strutil::ParseDouble(s));
    return Value::Double(d);
  }
  if (tag == "string") {
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "string"));
    return Value::String(s);
  }
  if (tag == "bytes") {
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "bytes"));
    GOVFLOW_ASSIGN_OR_RETURN(std::string b, Base64Decode(s));
    return Value::Bytes(b);
  }
  if (tag == "list") {
    if (!v.is_array()) return InvalidArgument("list must be a JSON array");
    std::vector<Value> elems;
    for (const auto& e : v.get_array()) {
      GOVFLOW_ASSIGN_OR_RETURN(Value x, ValueFromTypedJson(e));
      elems.push_back(std::move(x));
    }
    return Value::List(std::move(elems));
  }
  if (tag == "map") {
    if (!v.is_array()) return InvalidArgument("map must be a JSON array of [key, value]");
    std::vector<std::pair<Value, Value>> entries;
    for (const auto& e : v.get_array()) {
      if (!e.is_array() || e.get_array().size() != 2) {
        return InvalidArgument("map entry must be [key, value]");
      }
      GOVFLOW_ASSIGN_OR_RETURN(Value k, ValueFromTypedJson(e.get_array()[0]));
      GOVFLOW_ASSIGN_OR_RETURN(Value x, ValueFromTypedJson(e.get_array()[1]));
      entries.emplace_back(std::move(k), std::move(x));
    }
    Value m = Value::Map(std::move(entries));
    if (m.is_error()) return InvalidArgument(std::string(m.error_message()));
    return m;
  }
  if (tag == "type") {
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "type"));
    return Value::Type(s);
  }
  if (tag == "timestamp") {
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "timestamp"));
    GOVFLOW_ASSIGN_OR_RETURN(timeutil::Timestamp t, timeutil::ParseTimestamp(s));
    return Value::Timestamp(t);
  }
  if (tag == "duration") {
    GOVFLOW_ASSIGN_OR_RETURN(std::string_view s, StringField(v, "duration"));
    GOVFLOW_ASSIGN_OR_RETURN(timeutil::Duration d, timeutil::ParseDuration(s));
    return Value::Duration(d);
  }
  if (tag == "optional") {
    if (v.is_null()) return Value::OptionalNone();
    GOVFLOW_ASSIGN_OR_RETURN(Value x, ValueFromTypedJson(v));
    return Value::OptionalOf(std::move(x));
  }
  return InvalidArgument("unknown typed value tag: " + std::string(tag));
}

boost::json::value ValueToTypedJson(const Value& value) {
  boost::json::object o;
  switch (value.kind()) {
    case ValueKind::kNull: o["null"] = nullptr; break;
    case ValueKind::kBool: o["bool"] = value.bool_value(); break;
    case ValueKind::kInt: o["int"] = std::to_string(value.int_value()); break;
    case ValueKind::kUint: o["uint"] = std::to_string(value.uint_value()); break;
    case ValueKind::kDouble: {
      double d = value.double_value();
      if (std::isnan(d)) {
        o["double"] = "NaN";
      } else if (std::isinf(d)) {
        o["double"] = d > 0 ? "Infinity" : "-Infinity";
      } else {
        o["double"] = d;
      }
      break;
    }
    case ValueKind::kString: o["string"] = value.string_value(); break;
    case ValueKind::kBytes: o["bytes"] = Base64Encode(value.string_value()); break;
    case ValueKind::kList: {
      boost::json::array a;
      for (size_t i = 0; i < value.size(); ++i) a.push_back(ValueToTypedJson(value.ListElement(i)));
      o["list"] = std::move(a);
      break;
    }
    case ValueKind::kMap: {
      boost::json::array a;
      for (size_t i = 0; i < value.size(); ++i) {
        a.push_back(boost::json::array{ValueToTypedJson(value.MapKeyAt(i)),
                                       ValueToTypedJson(value.MapValueAt(i))});
      }
      o["map"] = std::move(a);
      break;
    }
    case ValueKind::kTimestamp:
      o["timestamp"] = timeutil::FormatTimestamp(value.timestamp_value());
      break;
    case ValueKind::kDuration:
      o["duration"] = timeutil::FormatDuration(value.duration_value());
      break;
    case ValueKind::kType: o["type"] = value.type_name(); break;
    case ValueKind::kOptional:
      if (value.optional_has_value()) {
        o["optional"] = ValueToTypedJson(value.optional_value());
      } else {
        o["optional"] = nullptr;
      }
      break;
    case ValueKind::kError: o["error"] = value.error_message(); break;
  }
  return o;
}

}  // namespace govflow::expr
