// Conversion of CEL evaluation results into JSON step outputs. Pure functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include "base/status.h"
#include "expr/value.h"

namespace govflow::workflow {

// null, bool, string -> the same; int and uint -> integers; double -> a number (an integral
// double of magnitude below 2^53 becomes an integer, so that 2.0 is written `2`; NaN and
// infinities are an error); list -> array; map -> object (string keys as they are; int, uint and
// bool keys as their decimal/text form); timestamp -> RFC 3339 UTC string; duration -> "1.5s";
// bytes -> base64 string; type -> its name; optional -> its value, or null when empty.
// An error value -> InvalidArgument carrying the CEL error message.
Result<boost::json::value> ValueToJson(const expr::Value& value);

}  // namespace govflow::workflow
