// Retention rules: how long each class of a tenant's data is kept and what happens to it when it
// is due (purge or redact), written as a policy document in YAML and parsed once into an
// immutable RetentionRules (with compiled CEL conditions) that the retention job shares.
// Parsing is a pure function; a RetentionRules is immutable and safe to read from many threads.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"

namespace govflow::expr {
class Program;
}  // namespace govflow::expr

namespace govflow::governance {

// The classes of data a retention rule can govern (issue 4 item 7). What each means in the
// schema is in docs/governance/retention.md and retention.h.
enum class DataClass { kPayloadBodies, kRunHistory, kExceptionCases, kAudit, kMetrics };
inline constexpr DataClass kAllDataClasses[] = {DataClass::kPayloadBodies, DataClass::kRunHistory,
                                                DataClass::kExceptionCases, DataClass::kAudit,
                                                DataClass::kMetrics};
// "payload_bodies", "run_history", "exception_cases", "audit", "metrics".
std::string_view DataClassName(DataClass data_class);
std::optional<DataClass> ParseDataClass(std::string_view name);

enum class RetentionAction {
  kPurge,   // the record is deleted (payload bodies: the body is replaced by a bare marker)
  kRedact,  // the body is replaced by a marker holding the original's SHA-256 and size
};
std::string_view RetentionActionName(RetentionAction action);  // "purge", "redact"

struct RetentionRule {
  std::string name;  // `name:`, or "<data class>#<n>" (n counts from 1 in file order)
  DataClass data_class = DataClass::kPayloadBodies;
  // Records older than this are due (age is measured from the record's last change; see
  // retention.h for each class).
  std::chrono::microseconds keep_for{0};
  RetentionAction action = RetentionAction::kPurge;
  // Optional CEL condition over `record` (a map of strings describing the record, never its
  // body); empty source and null program mean "every record of the class".
  std::string when_source;
  std::shared_ptr<const expr::Program> when;
  SourceLocation location;  // the rule's position in the file
};

struct RetentionRules {
  std::string file_name;
  std::string content_hash;  // hex SHA-256 of the YAML text
  std::vector<RetentionRule> rules;

  // The rules of one class, in file order.
  std::vector<const RetentionRule*> For(DataClass data_class) const;
  // The rule that decides `record` (a JSON object bound as `record`): the first rule of the
  // class, in file order, whose condition is true. nullptr when none is: the record is kept.
  // A condition that fails to evaluate (or gives a non-bool) stops the search with nullptr and
  // sets *error when given: retention errs on the side of keeping data.
  const RetentionRule* Decide(DataClass data_class, const boost::json::value& record,
                              bool* error = nullptr) const;
};

// Parses a retention policy:
//
//   apiVersion: govflow/v1          # optional; when present must be govflow/v1
//   kind: RetentionRules            # optional; when present must be RetentionRules
//   metadata: {name: ..., description: ...}   # optional
//   rules:
//     - name: invoices-kept-longer  # optional
//       data: payload_bodies        # payload_bodies | run_history | exception_cases | audit |
//       metrics when: record.workflow == "invoicing"   # optional CEL condition keep_for: 10y #
//       <n>h | <n>d | <n>w | <n>y (a year is 365 days) action: redact              # purge | redact
//       (redact: payload_bodies only)
//
// Errors are kInvalidArgument with one "file:line:column: message" per line, every problem of the
// file at once. `when` is not allowed for audit (a chain prefix is purged whole) and metrics.
Result<RetentionRules> ParseRetentionRules(std::string_view yaml, std::string_view file_name);

// The same checks, reported into `diagnostics` (the governed-document validator of the
// "retention" kind, documents/kind_registry.h).
void CheckRetentionRules(std::string_view yaml, DiagnosticList& diagnostics);

// Parses "<n>h", "<n>d", "<n>w", "<n>y" (n a positive integer; y = 365 days). nullopt otherwise.
std::optional<std::chrono::microseconds> ParseRetentionDuration(std::string_view text);
// The inverse, in the largest unit that divides exactly ("90d", "2y", "36h").
std::string FormatRetentionDuration(std::chrono::microseconds duration);

}  // namespace govflow::governance
