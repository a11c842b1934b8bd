#include "governance/policies/severity.h"

#include <boost/json.hpp>
#include <cctype>

#include "governance/policies/exception_policy_yaml.h"

namespace govflow::governance::policies {
namespace json = boost::json;

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kP1:
      return "P1";
    case Severity::kP2:
      return "P2";
    case Severity::kP3:
      return "P3";
    case Severity::kP4:
      return "P4";
  }
  return "P3";
}

bool ParseSeverity(std::string_view text, Severity* out) {
  if (text.size() != 2 || (text[0] != 'P' && text[0] != 'p')) return false;
  switch (text[1]) {
    case '1':
      *out = Severity::kP1;
      return true;
    case '2':
      *out = Severity::kP2;
      return true;
    case '3':
      *out = Severity::kP3;
      return true;
    case '4':
      *out = Severity::kP4;
      return true;
    default:
      return false;
  }
}

void BindExceptionFacts(const ExceptionFacts& facts, json::value& exception_doc,
                        json::value& impact_doc, expr::Activation& activation) {
  exception_doc = json::object{{"process", facts.process},           {"step", facts.step},
                               {"error_class", facts.error_class},   {"category", facts.category},
                               {"root_cause", facts.root_cause_key}, {"message", facts.message}};
  impact_doc = json::object{{"order_value", static_cast<double>(facts.order_value_minor) / 100.0},
                            {"currency", facts.currency},
                            {"customer", facts.customer_key}};
  activation.BindJson("exception", exception_doc);
  activation.BindJson("impact", impact_doc);
  static const json::value kEmpty = json::object();
  activation.BindJson("event", facts.event != nullptr ? *facts.event : kEmpty);
}

Severity SeverityPolicy::Classify(const ExceptionFacts& facts, std::string* rule_name) const {
  json::value exception_doc, impact_doc;
  expr::Activation activation;
  BindExceptionFacts(facts, exception_doc, impact_doc, activation);
  for (const SeverityRule& rule : rules) {
    expr::Value v = rule.condition->Evaluate(activation);
    if (v.IsBool() && v.bool_value()) {
      if (rule_name != nullptr) *rule_name = rule.name;
      return rule.severity;
    }
  }
  if (rule_name != nullptr) rule_name->clear();
  return default_severity;
}

Result<SeverityPolicy> ParseSeverityPolicy(std::string_view yaml, std::string_view file_name) {
  PolicyReader r(yaml, file_name, "SeverityPolicy");
  SeverityPolicy policy;
  auto spec = r.Spec();
  if (!spec) return r.Failure();
  r.CheckKeys(*spec, {"default", "rules"}, "spec");
  if (auto d = r.String(*spec, "default", "spec", false)) {
    if (!ParseSeverity(*d, &policy.default_severity)) {
      r.Error((*spec)["default"],
              "spec: 'default' must be one of P1, P2, P3, P4, got '" + *d + "'");
    }
  }
  YAML::Node rules = (*spec)["rules"];
  if (rules.IsDefined() && !rules.IsNull() && !rules.IsSequence()) {
    r.Error(rules, "spec: 'rules' must be a list");
  } else if (rules.IsDefined()) {
    int index = 0;
    for (const YAML::Node& rn : rules) {
      std::string what = "rule " + std::to_string(++index);
      if (!rn.IsMap()) {
        r.Error(rn, what + " must be a mapping with name, when and severity");
        continue;
      }
      r.CheckKeys(rn, {"name", "when", "severity"}, what);
      SeverityRule rule;
      rule.name = r.String(rn, "name", what, true).value_or("");
      rule.when = r.String(rn, "when", what, false).value_or("");
      rule.condition = r.Condition(rn, "when", what);
      if (auto s = r.String(rn, "severity", what, true)) {
        if (!ParseSeverity(*s, &rule.severity)) {
          r.Error(rn["severity"],
                  what + ": 'severity' must be one of P1, P2, P3, P4, got '" + *s + "'");
        }
      }
      policy.rules.push_back(std::move(rule));
    }
  }
  if (r.has_errors()) return r.Failure();
  policy.name = "";
  return policy;
}

const SeverityPolicy& FallbackSeverityPolicy() {
  static const SeverityPolicy* policy = [] {
    auto* p = new SeverityPolicy();
    p->name = "fallback";
    p->default_severity = Severity::kP3;
    SeverityRule rule;
    rule.name = "fallback-platform";
    rule.when = "exception.error_class in ['auth', 'internal']";
    rule.condition = *expr::Compile(rule.when);
    rule.severity = Severity::kP2;
    p->rules.push_back(std::move(rule));
    return p;
  }();
  return *policy;
}

}  // namespace govflow::governance::policies
