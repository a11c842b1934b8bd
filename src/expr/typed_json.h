// Conversions between CEL Values and JSON: the conformance suite's typed JSON format
// ({"int":"5"}, {"list":[...]}, {"map":[[k,v],...]}, {"bytes":base64}, {"double":"NaN"},
// {"timestamp":"RFC3339"}, {"duration":"1.5s"}, {"type":"int"}, {"null":null}) and CEL's plain
// JSON mapping. Pure functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include "base/status.h"
#include "expr/value.h"

namespace govflow::expr {

// Typed JSON -> owned Value. Malformed input -> InvalidArgument naming what is wrong.
Result<Value> ValueFromTypedJson(const boost::json::value& json);
// Value -> typed JSON. Error values become {"error": message}; optionals {"optional": V|null}.
boost::json::value ValueToTypedJson(const Value& value);

// CEL's JSON mapping, viewing `json` in place (see Value::FromJson).
Value ValueFromJson(const boost::json::value& json);

// Base64 (standard alphabet); decoding accepts missing padding.
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace govflow::expr
