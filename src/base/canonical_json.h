// The canonical JSON text of a value (what content hashes are computed over) and SHA-256.
// Canonical: object members sorted by key bytes, no insignificant whitespace, integers in decimal,
// other numbers in the shortest form that reads back to the same double, strings with only `"`,
// `\` and control characters escaped. Two equal JSON values always give the same text. Pure
// functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace govflow {

std::string CanonicalJson(const boost::json::value& value);

// Lower-case hex SHA-256 of `bytes` (64 characters).
std::string Sha256Hex(std::string_view bytes);

}  // namespace govflow
