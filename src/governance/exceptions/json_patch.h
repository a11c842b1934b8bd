// Payload edits for exception cases: RFC 6902 JSON Patch (add, remove, replace, test; move and
// copy too) applied to a document, and the structural diff of two documents in the same
// operation form, each "replace"/"remove" carrying the value it replaced under "old" so that the
// edit can be reviewed and undone. Pure functions; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "base/status.h"

namespace govflow::governance::exceptions {

// Applies `patch` (a JSON array of operations) to a copy of `document`. kInvalidArgument naming
// the operation's index and path when an operation is malformed, a path does not exist or a
// "test" fails; the document is then unchanged.
Result<boost::json::value> ApplyJsonPatch(const boost::json::value& document,
                                          const boost::json::value& patch);

// The operations that turn `before` into `after`: objects are compared member by member, arrays
// of equal length element by element, anything else is replaced whole. Empty when equal.
boost::json::array DiffJson(const boost::json::value& before, const boost::json::value& after);

}  // namespace govflow::governance::exceptions
