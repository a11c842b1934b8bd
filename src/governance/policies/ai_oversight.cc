#include "governance/policies/ai_oversight.h"

#include <cstdio>
#include <set>

#include "governance/documents/yaml_reader.h"

namespace govflow::governance::policies {
namespace {

using documents::YamlReader;

constexpr std::string_view kApiVersion = "govflow/v1";
constexpr std::string_view kKind = "AiOversight";

void CheckKeys(YamlReader& reader, const YAML::Node& map, const std::set<std::string>& allowed,
               const std::string& what) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node key = it->first;
    if (!key.IsScalar() || !allowed.contains(key.Scalar())) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      reader.Error(key, what + ": unknown field '" + (key.IsScalar() ? key.Scalar() : "") +
                            "' (expected " + list + ")");
    }
  }
}

void Parse(std::string_view text, DiagnosticList& diagnostics,
           std::vector<DecisionOversight>* out) {
  YamlReader reader(text, diagnostics);
  if (!reader.Parse()) return;
  const YAML::Node& root = reader.root();
  CheckKeys(reader, root, {"apiVersion", "kind", "metadata", "decisions"}, "ai oversight");
  if (YAML::Node v = root["apiVersion"]; !v.IsDefined()) {
    reader.Error(root, "ai oversight: missing field 'apiVersion'");
  } else if (auto s = reader.Text(v, "apiVersion"); s && *s != kApiVersion) {
    reader.Error(v, "apiVersion: expected " + std::string(kApiVersion) + ", got '" + *s + "'");
  }
  if (YAML::Node v = root["kind"]; !v.IsDefined()) {
    reader.Error(root, "ai oversight: missing field 'kind'");
  } else if (auto s = reader.Text(v, "kind"); s && *s != kKind) {
    reader.Error(v, "kind: expected " + std::string(kKind) + ", got '" + *s + "'");
  }
  YAML::Node decisions = root["decisions"];
  if (!decisions.IsDefined()) {
    reader.Error(root, "ai oversight: missing field 'decisions'");
    return;
  }
  if (!decisions.IsSequence()) {
    reader.Error(decisions, "decisions: expected a list");
    return;
  }
  std::set<std::string> types;
  int index = 0;
  for (const YAML::Node& node : decisions) {
    std::string what = "decisions[" + std::to_string(index++) + "]";
    if (!node.IsMap()) {
      reader.Error(node, what + ": expected a mapping (decision_type, min_confidence, ...)");
      continue;
    }
    CheckKeys(reader, node,
              {"decision_type", "min_confidence", "always_human_review", "human_review_when",
               "description"},
              what);
    DecisionOversight d;
    bool ok = true;
    if (!node["decision_type"].IsDefined()) {
      reader.Error(node, what + ": missing field 'decision_type'");
      ok = false;
    } else if (auto t = reader.Text(node["decision_type"], what + " decision_type")) {
      d.decision_type = *t;
      what = "decision '" + d.decision_type + "'";
      if (!types.insert(*t).second) {
        reader.Error(node["decision_type"], "decisions: duplicate decision_type '" + *t + "'");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (YAML::Node mc = node["min_confidence"]; !mc.IsDefined()) {
      reader.Error(node, what + ": missing field 'min_confidence'");
      ok = false;
    } else {
      auto v = reader.ToJson(mc);
      if (!v || !(v->is_double() || v->is_int64()) || v->to_number<double>() < 0.0 ||
          v->to_number<double>() > 1.0) {
        reader.Error(mc, what + " min_confidence: expected a number from 0 to 1");
        ok = false;
      } else {
        d.min_confidence = v->to_number<double>();
      }
    }
    if (YAML::Node a = node["always_human_review"]; a.IsDefined()) {
      auto v = reader.ToJson(a);
      if (!v || !v->is_bool()) {
        reader.Error(a, what + " always_human_review: expected true or false");
        ok = false;
      } else {
        d.always_human_review = v->as_bool();
      }
    }
    if (YAML::Node when = node["human_review_when"]; when.IsDefined()) {
      if (!when.IsSequence()) {
        reader.Error(when, what + " human_review_when: expected a list of {name, condition}");
        ok = false;
      } else {
        std::set<std::string> names;
        for (const YAML::Node& c : when) {
          if (!c.IsMap() || !c["name"].IsDefined() || !c["condition"].IsDefined()) {
            reader.Error(c, what + " human_review_when: each entry needs name and condition");
            ok = false;
            continue;
          }
          CheckKeys(reader, c, {"name", "condition", "description"}, what + " human_review_when");
          HumanReviewCondition h;
          auto name = reader.Text(c["name"], what + " human_review_when name");
          if (!name) {
            ok = false;
            continue;
          }
          h.name = *name;
          if (!names.insert(h.name).second) {
            reader.Error(c["name"], what + ": duplicate condition name '" + h.name + "'");
            ok = false;
          }
          h.condition = reader.CompileCel(c["condition"], what + " condition '" + h.name + "'");
          if (!h.condition) {
            ok = false;
            continue;
          }
          h.condition_source = c["condition"].Scalar();
          d.human_review_when.push_back(std::move(h));
        }
      }
    }
    if (ok && out != nullptr) out->push_back(std::move(d));
  }
}

std::string Fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

void AiOversightPolicy::Check(std::string_view yaml_text, DiagnosticList& diagnostics) {
  Parse(yaml_text, diagnostics, nullptr);
}

Result<std::shared_ptr<const AiOversightPolicy>> AiOversightPolicy::Load(
    std::string_view yaml_text, std::string_view file_name) {
  DiagnosticList diagnostics;
  std::shared_ptr<AiOversightPolicy> policy(new AiOversightPolicy());
  Parse(yaml_text, diagnostics, &policy->decisions_);
  if (diagnostics.has_errors()) return InvalidArgument(diagnostics.Format(file_name));
  return std::shared_ptr<const AiOversightPolicy>(std::move(policy));
}

OversightVerdict AiOversightPolicy::Evaluate(std::string_view decision_type,
                                             const boost::json::value& decision) const {
  const DecisionOversight* d = nullptr;
  for (const DecisionOversight& candidate : decisions_) {
    if (candidate.decision_type == decision_type) d = &candidate;
  }
  if (d == nullptr) {
    return {true, "decision type '" + std::string(decision_type) + "' is not in the policy"};
  }
  if (d->always_human_review)
    return {true, "the policy requires human review for every " + std::string(decision_type) +
                      " decision"};
  const boost::json::value* confidence =
      decision.is_object() ? decision.as_object().if_contains("confidence") : nullptr;
  if (confidence == nullptr || !(confidence->is_double() || confidence->is_int64())) {
    return {true, "the decision carries no numeric confidence"};
  }
  const double c = confidence->to_number<double>();
  if (c < d->min_confidence) {
    return {true, "confidence " + Fixed2(c) + " is below the bar " + Fixed2(d->min_confidence)};
  }
  expr::Activation activation;
  activation.BindJson("decision", decision);
  for (const HumanReviewCondition& h : d->human_review_when) {
    expr::Value result = h.condition->Evaluate(activation);
    if (result.is_error() || !result.IsBool()) {
      return {true, "condition '" + h.name + "' could not be evaluated (review required)"};
    }
    if (result.bool_value()) return {true, "condition '" + h.name + "' holds"};
  }
  return {false, "confidence " + Fixed2(c) + " meets the bar " + Fixed2(d->min_confidence)};
}

}  // namespace govflow::governance::policies
