// The validation-rules policy (a governed document of kind "validation_rules"): named CEL
// conditions that events and master-data changes must satisfy before they flow on. Loaded once
// per published version into an immutable ValidationRules (each condition compiled once) that
// any number of threads evaluate. Document shape (docs/governance/documents.md):
//   apiVersion: govflow/v1
//   kind: ValidationRules
//   metadata: {name: ..., description: ...}
//   rules:
//     - name: price_positive
//       applies_to: master_data:price      # or event:orders/create, event:*, master_data:*
//       condition: record.price > 0.0      # must hold; false (or an evaluation error) violates
//       message: the price must be positive
//       severity: error                    # error (blocks) or warning (recorded, passes)
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "expr/program.h"

namespace govflow::governance::policies {

enum class RuleSeverity { kError, kWarning };
std::string_view RuleSeverityName(RuleSeverity severity);

struct ValidationRule {
  std::string name;
  // "event:<topic>" / "event:*" binds the event payload as `event`; "master_data:<entity>" /
  // "master_data:*" binds the changed record as `record` and its previous value as `previous`
  // (null for a creation).
  std::string applies_to;
  std::string condition_source;
  std::shared_ptr<const expr::Program> condition;
  std::string message;
  RuleSeverity severity = RuleSeverity::kError;
};

struct RuleViolation {
  std::string rule;
  RuleSeverity severity = RuleSeverity::kError;
  std::string message;  // the rule's message, or why the condition could not be evaluated
};

class ValidationRules {
 public:
  // Parses and compiles. kInvalidArgument with every problem, one per line, as
  // "file_name:line:column: message".
  static Result<std::shared_ptr<const ValidationRules>> Load(std::string_view yaml_text,
                                                             std::string_view file_name);
  // The document validator registered for kind validation_rules: reports every problem.
  static void Check(std::string_view yaml_text, DiagnosticList& diagnostics);

  const std::vector<ValidationRule>& rules() const { return rules_; }

  // Evaluates every rule that applies to `subject` ("event:orders/create",
  // "master_data:price"), in document order, and returns the violations (empty: all hold).
  // A condition that does not evaluate to a bool, or fails, is a violation (fail closed).
  // `previous` is only bound for master-data subjects (nullptr binds null).
  std::vector<RuleViolation> Evaluate(std::string_view subject, const boost::json::value& value,
                                      const boost::json::value* previous = nullptr) const;
  // True when some violation has severity error.
  static bool Blocks(const std::vector<RuleViolation>& violations);

 private:
  ValidationRules() = default;
  std::vector<ValidationRule> rules_;
};

}  // namespace govflow::governance::policies
