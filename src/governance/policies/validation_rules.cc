#include "governance/policies/validation_rules.h"

#include <set>

#include "governance/documents/yaml_reader.h"

namespace govflow::governance::policies {
namespace {

using documents::YamlReader;

constexpr std::string_view kApiVersion = "govflow/v1";
constexpr std::string_view kKind = "ValidationRules";

bool ValidAppliesTo(std::string_view s) {
  for (std::string_view prefix : {"event:", "master_data:"}) {
    if (s.starts_with(prefix) && s.size() > prefix.size()) return true;
  }
  return false;
}

// Parses into `rules` (when non-null); reports every problem.
void Parse(std::string_view text, DiagnosticList& diagnostics, std::vector<ValidationRule>* out) {
  YamlReader reader(text, diagnostics);
  if (!reader.Parse()) return;
  const YAML::Node& root = reader.root();
  static const std::set<std::string> kTop = {"apiVersion", "kind", "metadata", "rules"};
  for (auto it = root.begin(); it != root.end(); ++it) {
    YAML::Node key = it->first;
    if (!key.IsScalar() || !kTop.contains(key.Scalar())) {
      reader.Error(key, "validation rules: unknown field '" + (key.IsScalar() ? key.Scalar() : "") +
                            "' (expected apiVersion, kind, metadata, rules)");
    }
  }
  if (YAML::Node v = root["apiVersion"]; !v.IsDefined()) {
    reader.Error(root, "validation rules: missing field 'apiVersion'");
  } else if (auto s = reader.Text(v, "apiVersion"); s && *s != kApiVersion) {
    reader.Error(v, "apiVersion: expected " + std::string(kApiVersion) + ", got '" + *s + "'");
  }
  if (YAML::Node v = root["kind"]; !v.IsDefined()) {
    reader.Error(root, "validation rules: missing field 'kind'");
  } else if (auto s = reader.Text(v, "kind"); s && *s != kKind) {
    reader.Error(v, "kind: expected " + std::string(kKind) + ", got '" + *s + "'");
  }
  YAML::Node rules = root["rules"];
  if (!rules.IsDefined()) {
    reader.Error(root, "validation rules: missing field 'rules'");
    return;
  }
  if (!rules.IsSequence()) {
    reader.Error(rules, "rules: expected a list of rules");
    return;
  }
  static const std::set<std::string> kRuleFields = {"name",    "applies_to", "condition",
                                                    "message", "severity",   "description"};
  std::set<std::string> names;
  int index = 0;
  for (const YAML::Node& node : rules) {
    std::string what = "rules[" + std::to_string(index++) + "]";
    if (!node.IsMap()) {
      reader.Error(node, what + ": expected a mapping (name, applies_to, condition, message)");
      continue;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      YAML::Node key = it->first;
      if (!key.IsScalar() || !kRuleFields.contains(key.Scalar())) {
        reader.Error(key, what + ": unknown field '" + (key.IsScalar() ? key.Scalar() : "") +
                              "' (expected name, applies_to, condition, message, severity, "
                              "description)");
      }
    }
    ValidationRule rule;
    bool ok = true;
    for (std::string_view field : {"name", "applies_to", "condition", "message"}) {
      if (!node[std::string(field)].IsDefined()) {
        reader.Error(node, what + ": missing field '" + std::string(field) + "'");
        ok = false;
      }
    }
    if (!ok) continue;
    if (auto name = reader.Text(node["name"], what + " name")) {
      rule.name = *name;
      what = "rule '" + rule.name + "'";
      if (!names.insert(rule.name).second) {
        reader.Error(node["name"], "rules: duplicate rule name '" + rule.name + "'");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto applies = reader.Text(node["applies_to"], what + " applies_to")) {
      if (!ValidAppliesTo(*applies)) {
        reader.Error(node["applies_to"],
                     what +
                         " applies_to: expected event:<topic>, event:*, master_data:<entity> "
                         "or master_data:*, got '" +
                         *applies + "'");
        ok = false;
      }
      rule.applies_to = *applies;
    } else {
      ok = false;
    }
    if (auto message = reader.Text(node["message"], what + " message")) {
      rule.message = *message;
    } else {
      ok = false;
    }
    if (YAML::Node sev = node["severity"]; sev.IsDefined()) {
      auto s = reader.Text(sev, what + " severity");
      if (s && *s == "error") {
        rule.severity = RuleSeverity::kError;
      } else if (s && *s == "warning") {
        rule.severity = RuleSeverity::kWarning;
      } else {
        if (s) reader.Error(sev, what + " severity: expected error or warning, got '" + *s + "'");
        ok = false;
      }
    }
    rule.condition = reader.CompileCel(node["condition"], what + " condition");
    if (!rule.condition) ok = false;
    if (ok && out != nullptr) {
      rule.condition_source = node["condition"].Scalar();
      out->push_back(std::move(rule));
    }
  }
}

bool Applies(std::string_view applies_to, std::string_view subject) {
  if (applies_to == subject) return true;
  if (applies_to.ends_with(":*")) {
    std::string_view prefix = applies_to.substr(0, applies_to.size() - 1);  // "event:"
    return subject.starts_with(prefix);
  }
  return false;
}

}  // namespace

std::string_view RuleSeverityName(RuleSeverity severity) {
  return severity == RuleSeverity::kError ? "error" : "warning";
}

void ValidationRules::Check(std::string_view yaml_text, DiagnosticList& diagnostics) {
  Parse(yaml_text, diagnostics, nullptr);
}

Result<std::shared_ptr<const ValidationRules>> ValidationRules::Load(std::string_view yaml_text,
                                                                     std::string_view file_name) {
  DiagnosticList diagnostics;
  std::shared_ptr<ValidationRules> rules(new ValidationRules());
  Parse(yaml_text, diagnostics, &rules->rules_);
  if (diagnostics.has_errors()) return InvalidArgument(diagnostics.Format(file_name));
  return std::shared_ptr<const ValidationRules>(std::move(rules));
}

std::vector<RuleViolation> ValidationRules::Evaluate(std::string_view subject,
                                                     const boost::json::value& value,
                                                     const boost::json::value* previous) const {
  static const boost::json::value kNull = nullptr;
  expr::Activation activation;
  if (subject.starts_with("master_data:")) {
    activation.BindJson("record", value);
    activation.BindJson("previous", previous != nullptr ? *previous : kNull);
  } else {
    activation.BindJson("event", value);
  }
  std::vector<RuleViolation> violations;
  for (const ValidationRule& rule : rules_) {
    if (!Applies(rule.applies_to, subject)) continue;
    expr::Value result = rule.condition->Evaluate(activation);
    if (result.is_error()) {
      violations.push_back({rule.name, rule.severity,
                            rule.message + " (condition could not be evaluated: " +
                                std::string(result.error_message()) + ")"});
    } else if (!result.IsBool()) {
      violations.push_back(
          {rule.name, rule.severity, rule.message + " (condition did not evaluate to a bool)"});
    } else if (!result.bool_value()) {
      violations.push_back({rule.name, rule.severity, rule.message});
    }
  }
  return violations;
}

bool ValidationRules::Blocks(const std::vector<RuleViolation>& violations) {
  for (const RuleViolation& v : violations) {
    if (v.severity == RuleSeverity::kError) return true;
  }
  return false;
}

}  // namespace govflow::governance::policies
