#include "governance/policies/sla.h"

#include "governance/policies/exception_policy_yaml.h"

namespace govflow::governance::policies {

Result<SlaPolicy> ParseSlaPolicy(std::string_view yaml, std::string_view file_name) {
  PolicyReader r(yaml, file_name, "SlaPolicy");
  SlaPolicy policy;
  auto spec = r.Spec();
  if (!spec) return r.Failure();
  r.CheckKeys(*spec, {"targets"}, "spec");
  YAML::Node targets = (*spec)["targets"];
  if (!targets.IsDefined() || !targets.IsMap()) {
    r.Error(targets.IsDefined() ? targets : *spec,
            "spec: 'targets' must be a mapping from P1..P4 to {acknowledge, resolve}");
    return r.Failure();
  }
  std::array<bool, 4> seen{};
  for (auto it = targets.begin(); it != targets.end(); ++it) {
    Severity s;
    std::string key = it->first.Scalar();
    if (!ParseSeverity(key, &s)) {
      r.Error(it->first, "targets: '" + key + "' is not a severity; expected P1, P2, P3 or P4");
      continue;
    }
    std::string what = "target " + key;
    const YAML::Node tn = it->second;  // a copy: `it->second` belongs to a temporary
    if (!tn.IsMap()) {
      r.Error(tn, what + " must be a mapping with acknowledge and resolve");
      continue;
    }
    r.CheckKeys(tn, {"acknowledge", "resolve"}, what);
    SlaTarget t;
    auto ack = r.Duration(tn, "acknowledge", what, true);
    auto res = r.Duration(tn, "resolve", what, true);
    if (ack) t.acknowledge = *ack;
    if (res) t.resolve = *res;
    if (ack && res && *res < *ack) {
      r.Error(tn["resolve"], what + ": 'resolve' (" + FormatPolicyDuration(*res) +
                                 ") is shorter than 'acknowledge' (" + FormatPolicyDuration(*ack) +
                                 ")");
    }
    seen[static_cast<int>(s) - 1] = true;
    policy.targets[static_cast<int>(s) - 1] = t;
  }
  for (int i = 0; i < 4; ++i) {
    if (!seen[i]) {
      r.Error(targets, "targets: missing P" + std::to_string(i + 1));
    }
  }
  if (r.has_errors()) return r.Failure();
  return policy;
}

const SlaPolicy& FallbackSlaPolicy() {
  using std::chrono::hours;
  using std::chrono::minutes;
  static const SlaPolicy policy{{SlaTarget{minutes(15), hours(4)}, SlaTarget{hours(1), hours(8)},
                                 SlaTarget{hours(4), hours(48)}, SlaTarget{hours(24), hours(120)}}};
  return policy;
}

}  // namespace govflow::governance::policies
