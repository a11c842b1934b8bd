#include "governance/policies/ownership.h"

#include <algorithm>

#include "governance/policies/exception_policy_yaml.h"

namespace govflow::governance::policies {
namespace {

bool Matches(const std::vector<std::string>& allowed, const std::string& value) {
  if (allowed.empty()) return true;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return a == "*" || a == value; });
}

constexpr std::string_view kErrorClasses[] = {"validation", "mapping",   "rejected", "transient",
                                              "throttled",  "timeout",   "unknown",  "auth",
                                              "conflict",   "not_found", "policy",   "internal"};

}  // namespace

std::string OwnershipMap::OwnerOf(const ExceptionFacts& facts) const {
  for (const OwnershipRule& rule : rules) {
    if (Matches(rule.processes, facts.process) && Matches(rule.error_classes, facts.error_class) &&
        Matches(rule.categories, facts.category)) {
      return rule.team;
    }
  }
  return default_team;
}

Result<OwnershipMap> ParseOwnershipMap(std::string_view yaml, std::string_view file_name) {
  PolicyReader r(yaml, file_name, "OwnershipMap");
  OwnershipMap map;
  auto spec = r.Spec();
  if (!spec) return r.Failure();
  r.CheckKeys(*spec, {"default_team", "rules"}, "spec");
  map.default_team = r.String(*spec, "default_team", "spec", true).value_or("");
  YAML::Node rules = (*spec)["rules"];
  if (rules.IsDefined() && !rules.IsNull() && !rules.IsSequence()) {
    r.Error(rules, "spec: 'rules' must be a list");
  } else if (rules.IsDefined()) {
    int index = 0;
    for (const YAML::Node& rn : rules) {
      std::string what = "rule " + std::to_string(++index);
      if (!rn.IsMap()) {
        r.Error(rn, what +
                        " must be a mapping with team and optional process, error_classes, "
                        "categories");
        continue;
      }
      r.CheckKeys(rn,
                  {"process", "processes", "error_class", "error_classes", "category", "categories",
                   "team"},
                  what);
      OwnershipRule rule;
      rule.processes = r.StringList(rn, "process", what);
      for (auto& p : r.StringList(rn, "processes", what)) rule.processes.push_back(p);
      rule.error_classes = r.StringList(rn, "error_class", what);
      for (auto& c : r.StringList(rn, "error_classes", what)) rule.error_classes.push_back(c);
      rule.categories = r.StringList(rn, "category", what);
      for (auto& c : r.StringList(rn, "categories", what)) rule.categories.push_back(c);
      for (const std::string& c : rule.error_classes) {
        if (std::find(std::begin(kErrorClasses), std::end(kErrorClasses), c) ==
            std::end(kErrorClasses)) {
          YAML::Node at = rn["error_classes"].IsDefined() ? rn["error_classes"] : rn["error_class"];
          r.Error(at, what + ": unknown error class '" + c +
                          "'; expected one of validation, mapping, rejected, transient, "
                          "throttled, timeout, unknown, auth, conflict, not_found, policy, "
                          "internal");
        }
      }
      rule.team = r.String(rn, "team", what, true).value_or("");
      map.rules.push_back(std::move(rule));
    }
  }
  if (r.has_errors()) return r.Failure();
  return map;
}

const OwnershipMap& FallbackOwnershipMap() {
  static const OwnershipMap map{"operations", {}};
  return map;
}

}  // namespace govflow::governance::policies
