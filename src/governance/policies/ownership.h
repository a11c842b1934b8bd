// The process ownership map (issue 4 item 3): which team owns an exception, by process and error
// class (and optionally category). Rules are tried in file order; the first whose every given
// field matches wins; a field left out matches anything. A governed document of kind
// OwnershipMap:
//
//   apiVersion: govflow/v1
//   kind: OwnershipMap
//   metadata: {name: baseline}
//   spec:
//     default_team: integration-support
//     rules:
//       - process: order-capture
//         error_classes: [rejected, not_found]
//         categories: [master_data]
//         team: master-data
//
// Immutable once parsed; thread-safe to share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "governance/policies/exception_facts.h"

namespace govflow::governance::policies {

struct OwnershipRule {
  std::vector<std::string> processes;      // empty or "*": any
  std::vector<std::string> error_classes;  // empty: any
  std::vector<std::string> categories;     // empty: any
  std::string team;
};

struct OwnershipMap {
  std::string default_team;
  std::vector<OwnershipRule> rules;

  // The owning team of `facts`.
  std::string OwnerOf(const ExceptionFacts& facts) const;
};

Result<OwnershipMap> ParseOwnershipMap(std::string_view yaml, std::string_view file_name);

// The documented fallback: every exception is owned by the team "operations".
const OwnershipMap& FallbackOwnershipMap();

}  // namespace govflow::governance::policies
