// Escalation chains (issue 4 item 3): who is told when an SLA clock (acknowledge or resolve) is
// breached, level by level: level 1 at the breach, level 2 `after` a further delay, ... A chain
// applies to the severities and teams it names (none named: any); the first matching chain wins.
// A governed document of kind EscalationPolicy:
//
//   apiVersion: govflow/v1
//   kind: EscalationPolicy
//   metadata: {name: baseline}
//   spec:
//     chains:
//       - name: urgent
//         severities: [P1, P2]
//         levels:
//           - after: 0m
//             notify:
//               - webhook: https://ops.example.com/hooks/govflow
//           - after: 30m
//             notify:
//               - email: duty-manager@example.com
//
// `after` is measured from the breach. Immutable once parsed; thread-safe to share.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "governance/policies/exception_facts.h"

namespace govflow::governance::policies {

struct EscalationTarget {
  std::string channel;  // "webhook" or "email"
  std::string address;  // URL or e-mail address
};

struct EscalationLevel {
  std::chrono::seconds after{0};
  std::vector<EscalationTarget> notify;
};

struct EscalationChain {
  std::string name;
  std::vector<Severity> severities;  // empty: any
  std::vector<std::string> teams;    // empty: any
  std::vector<EscalationLevel> levels;
};

struct EscalationPolicy {
  std::vector<EscalationChain> chains;
  // The chain for a case of `severity` owned by `team`, or nullptr.
  const EscalationChain* ChainFor(Severity severity, std::string_view team) const;
};

Result<EscalationPolicy> ParseEscalationPolicy(std::string_view yaml, std::string_view file_name);

// The documented fallback: no chains (breaches still show in the inbox and the audit trail, but
// nobody is notified until the tenant publishes a chain).
const EscalationPolicy& FallbackEscalationPolicy();

// A chain as JSON (the snapshot kept with each case) and back.
std::string EscalationChainToJson(const EscalationChain& chain);
Result<EscalationChain> EscalationChainFromJson(std::string_view json);

}  // namespace govflow::governance::policies
