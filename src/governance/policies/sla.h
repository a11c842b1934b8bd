// SLA targets (issue 4 item 3): per severity, the time to acknowledge and the time to resolve an
// exception, counted from when the case opened. A governed document of kind SlaPolicy:
//
//   apiVersion: govflow/v1
//   kind: SlaPolicy
//   metadata: {name: baseline}
//   spec:
//     targets:
//       P1: {acknowledge: 15m, resolve: 4h}
//       P2: {acknowledge: 1h,  resolve: 8h}
//       P3: {acknowledge: 4h,  resolve: 2d}
//       P4: {acknowledge: 1d,  resolve: 5d}
//
// Every severity must have a target. Immutable once parsed; thread-safe to share.
#pragma once

#include <array>
#include <chrono>
#include <string_view>

#include "base/status.h"
#include "governance/policies/exception_facts.h"

namespace govflow::governance::policies {

struct SlaTarget {
  std::chrono::seconds acknowledge{0};
  std::chrono::seconds resolve{0};
};

struct SlaPolicy {
  std::array<SlaTarget, 4> targets;  // index = severity - 1
  const SlaTarget& For(Severity s) const { return targets[static_cast<int>(s) - 1]; }
};

Result<SlaPolicy> ParseSlaPolicy(std::string_view yaml, std::string_view file_name);

// The documented fallback (the shipped template's values): P1 15m/4h, P2 1h/8h, P3 4h/2d,
// P4 1d/5d.
const SlaPolicy& FallbackSlaPolicy();

}  // namespace govflow::governance::policies
