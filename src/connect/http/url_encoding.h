// Percent-encoding for URL query values and application/x-www-form-urlencoded bodies, and OData
// string literals. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace govflow::connect {

// RFC 3986 percent-encoding: everything except unreserved characters (A-Z a-z 0-9 - . _ ~) is
// encoded as %XX (uppercase hex). Safe for a query value or a path segment.
std::string PercentEncode(std::string_view text);

// application/x-www-form-urlencoded body from name/value pairs ("a=1&b=x%20y").
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// An OData string literal: wrapped in single quotes, embedded single quotes doubled
// ("O'Brien" -> "'O''Brien'"). Not yet URL-encoded.
std::string ODataStringLiteral(std::string_view text);

}  // namespace govflow::connect
