#include "governance/policies/escalation.h"

#include <algorithm>
#include <boost/json.hpp>

#include "governance/policies/exception_policy_yaml.h"

namespace govflow::governance::policies {
namespace json = boost::json;

const EscalationChain* EscalationPolicy::ChainFor(Severity severity, std::string_view team) const {
  for (const EscalationChain& c : chains) {
    bool sev_ok = c.severities.empty() || std::find(c.severities.begin(), c.severities.end(),
                                                    severity) != c.severities.end();
    bool team_ok =
        c.teams.empty() || std::find(c.teams.begin(), c.teams.end(), team) != c.teams.end();
    if (sev_ok && team_ok) return &c;
  }
  return nullptr;
}

Result<EscalationPolicy> ParseEscalationPolicy(std::string_view yaml, std::string_view file_name) {
  PolicyReader r(yaml, file_name, "EscalationPolicy");
  EscalationPolicy policy;
  auto spec = r.Spec();
  if (!spec) return r.Failure();
  r.CheckKeys(*spec, {"chains"}, "spec");
  YAML::Node chains = (*spec)["chains"];
  if (!chains.IsDefined() || !chains.IsSequence()) {
    r.Error(chains.IsDefined() ? chains : *spec, "spec: 'chains' must be a list");
    return r.Failure();
  }
  int ci = 0;
  for (const YAML::Node& cn : chains) {
    std::string what = "chain " + std::to_string(++ci);
    if (!cn.IsMap()) {
      r.Error(cn, what + " must be a mapping with name, levels and optional severities, teams");
      continue;
    }
    r.CheckKeys(cn, {"name", "severities", "teams", "levels"}, what);
    EscalationChain chain;
    chain.name = r.String(cn, "name", what, true).value_or("");
    if (!chain.name.empty()) what = "chain '" + chain.name + "'";
    for (const std::string& s : r.StringList(cn, "severities", what)) {
      Severity sev;
      if (!ParseSeverity(s, &sev)) {
        r.Error(cn["severities"], what + ": '" + s + "' is not a severity; expected P1..P4");
        continue;
      }
      chain.severities.push_back(sev);
    }
    chain.teams = r.StringList(cn, "teams", what);
    YAML::Node levels = cn["levels"];
    if (!levels.IsDefined() || !levels.IsSequence() || levels.size() == 0) {
      r.Error(levels.IsDefined() ? levels : cn, what + ": 'levels' must be a non-empty list");
      continue;
    }
    std::chrono::seconds previous{-1};
    int li = 0;
    for (const YAML::Node& ln : levels) {
      std::string lwhat = what + " level " + std::to_string(++li);
      if (!ln.IsMap()) {
        r.Error(ln, lwhat + " must be a mapping with after and notify");
        continue;
      }
      r.CheckKeys(ln, {"after", "notify"}, lwhat);
      EscalationLevel level;
      level.after = r.Duration(ln, "after", lwhat, true).value_or(std::chrono::seconds(0));
      if (level.after <= previous) {
        r.Error(ln["after"], lwhat + ": 'after' must be later than the previous level's");
      }
      previous = level.after;
      YAML::Node notify = ln["notify"];
      if (!notify.IsDefined() || !notify.IsSequence() || notify.size() == 0) {
        r.Error(notify.IsDefined() ? notify : ln, lwhat + ": 'notify' must be a non-empty list");
        continue;
      }
      for (const YAML::Node& tn : notify) {
        if (!tn.IsMap() || tn.size() != 1) {
          r.Error(tn, lwhat + ": each notify entry is one of {webhook: URL} or {email: ADDRESS}");
          continue;
        }
        auto it = tn.begin();
        EscalationTarget t;
        t.channel = it->first.Scalar();
        t.address = it->second.IsScalar() ? it->second.Scalar() : "";
        if (t.channel == "webhook") {
          if (!t.address.starts_with("http://") && !t.address.starts_with("https://")) {
            r.Error(it->second, lwhat + ": webhook must be an http:// or https:// URL");
          }
        } else if (t.channel == "email") {
          if (t.address.find('@') == std::string::npos) {
            r.Error(it->second, lwhat + ": email must be an e-mail address");
          }
        } else {
          r.Error(it->first,
                  lwhat + ": unknown channel '" + t.channel + "'; expected webhook or email");
        }
        level.notify.push_back(std::move(t));
      }
      chain.levels.push_back(std::move(level));
    }
    policy.chains.push_back(std::move(chain));
  }
  if (r.has_errors()) return r.Failure();
  return policy;
}

const EscalationPolicy& FallbackEscalationPolicy() {
  static const EscalationPolicy policy;
  return policy;
}

std::string EscalationChainToJson(const EscalationChain& chain) {
  json::object o;
  o["name"] = chain.name;
  json::array levels;
  for (const EscalationLevel& l : chain.levels) {
    json::array notify;
    for (const EscalationTarget& t : l.notify) {
      notify.push_back(json::object{{"channel", t.channel}, {"address", t.address}});
    }
    levels.push_back(json::object{{"after_s", l.after.count()}, {"notify", std::move(notify)}});
  }
  o["levels"] = std::move(levels);
  return json::serialize(o);
}

Result<EscalationChain> EscalationChainFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("escalation snapshot is not a JSON object");
  EscalationChain chain;
  try {
    const json::object& o = v.as_object();
    if (const auto* n = o.if_contains("name")) chain.name = json::value_to<std::string>(*n);
    if (const auto* ls = o.if_contains("levels")) {
      for (const json::value& lv : ls->as_array()) {
        EscalationLevel l;
        l.after = std::chrono::seconds(lv.at("after_s").to_number<int64_t>());
        for (const json::value& tv : lv.at("notify").as_array()) {
          l.notify.push_back({json::value_to<std::string>(tv.at("channel")),
                              json::value_to<std::string>(tv.at("address"))});
        }
        chain.levels.push_back(std::move(l));
      }
    }
  } catch (const std::exception& e) {
    return Internal(std::string("escalation snapshot: ") + e.what());
  }
  return chain;
}

}  // namespace govflow::governance::policies
