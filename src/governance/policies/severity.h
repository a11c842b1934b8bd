// Severity definitions (issue 4 item 3): an ordered list of CEL conditions, each giving a
// severity P1..P4; the first rule whose condition holds wins, else the policy's default. A
// governed document of kind SeverityPolicy:
//
//   apiVersion: govflow/v1
//   kind: SeverityPolicy
//   metadata: {name: baseline}
//   spec:
//     default: P3
//     rules:
//       - name: large-order-blocked
//         when: 'impact.order_value >= 1000.0 && exception.category == "master_data"'
//         severity: P1
//
// Conditions see `exception` (process, step, error_class, category, root_cause, message),
// `impact` (order_value as a double in major units, currency, customer) and `event` (the run's
// input). A condition that fails to evaluate (e.g. a missing field) counts as false. The parsed
// policy is immutable (CEL compiled once) and safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/program.h"
#include "governance/policies/exception_facts.h"

namespace govflow::governance::policies {

struct SeverityRule {
  std::string name;
  std::string when;  // the CEL source
  std::shared_ptr<const expr::Program> condition;
  Severity severity = Severity::kP3;
};

struct SeverityPolicy {
  std::string name;
  Severity default_severity = Severity::kP3;
  std::vector<SeverityRule> rules;

  // The severity for `facts` and the rule that gave it ("" for the default).
  Severity Classify(const ExceptionFacts& facts, std::string* rule_name = nullptr) const;
};

// kInvalidArgument with "file:line:column: message" lines for every problem.
Result<SeverityPolicy> ParseSeverityPolicy(std::string_view yaml, std::string_view file_name);

// The documented fallback when a tenant has published none: P3 for everything, except P2 for
// the classes that stop every order alike (auth, internal).
const SeverityPolicy& FallbackSeverityPolicy();

// Binds `exception`, `impact` and `event` for a condition (shared by the exception policies).
void BindExceptionFacts(const ExceptionFacts& facts, boost::json::value& exception_doc,
                        boost::json::value& impact_doc, expr::Activation& activation);

}  // namespace govflow::governance::policies
