// A readable structural diff between two versions of a document (parsed to JSON), by path:
//   ~ steps[name=post].call.retry.attempts: 3 -> 5
//   + steps[name=notify]: {"kind":"notify","name":"notify"}
//   - vars.max_lines: 500
//   ~ steps: order [a, b] -> [b, a]
// Maps are compared key by key (in key order). Lists whose items are all mappings with a
// unique text `name` (else `id`, else `decision_type`, the AI oversight policy's key) in both
// versions are matched by that key, so inserting a step does not show every later step as changed;
// other lists are compared by index. Values are shown as canonical JSON. Pure functions;
// thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

namespace govflow::governance::documents {

struct DiffEntry {
  enum class Op { kAdded, kRemoved, kChanged, kReordered };
  Op op = Op::kChanged;
  std::string path;                          // "" is the whole document
  std::optional<boost::json::value> before;  // absent for kAdded
  std::optional<boost::json::value> after;   // absent for kRemoved
  // For kReordered: the common items' keys, in the old and the new order.
  std::vector<std::string> order_before;
  std::vector<std::string> order_after;
};

std::vector<DiffEntry> StructuralDiff(const boost::json::value& before,
                                      const boost::json::value& after);

// One line per entry as shown above, each ending in '\n'; "" when there are no differences.
std::string FormatDiff(const std::vector<DiffEntry>& entries);

// Merges a tenant's override over a partner template: mappings merge key by key (recursively),
// lists of named items (as above) merge item by item by key (template order, new items
// appended), anything else in the override replaces the template's value.
boost::json::value MergeOverTemplate(const boost::json::value& base,
                                     const boost::json::value& override_doc);

// Block-style YAML for a JSON value (strings double-quoted, so it reads back to the same JSON):
// how merged documents are handed to validators and to the runtime.
std::string RenderYaml(const boost::json::value& value);

}  // namespace govflow::governance::documents
