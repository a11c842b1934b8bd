#include "governance/exception_intake.h"

#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>

#include "base/canonical_json.h"
#include "governance/audit.h"

namespace govflow::governance {
namespace json = boost::json;
namespace {

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Replaces quoted strings and digit runs by '#', so messages of one shape compare equal.
std::string MessageShape(std::string_view message) {
  std::string out;
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\'' || c == '"') {
      size_t end = message.find(c, i + 1);
      if (end != std::string_view::npos) {
        out += '#';
        i = end;
        continue;
      }
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i + 1 < message.size() && std::isdigit(static_cast<unsigned char>(message[i + 1])))
        ++i;
      out += '#';
      continue;
    }
    out += c;
  }
  return out;
}

// Money in major units ("123.45", 123.45) -> minor units, without floating point for strings.
int64_t ToMinor(const json::value& v) {
  if (v.is_int64()) return v.get_int64() * 100;
  if (v.is_uint64()) return static_cast<int64_t>(v.get_uint64()) * 100;
  if (v.is_double())
    return static_cast<int64_t>(v.get_double() * 100.0 + (v.get_double() >= 0 ? 0.5 : -0.5));
  if (!v.is_string()) return 0;
  std::string_view s = v.get_string();
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  int64_t whole = 0, frac = 0;
  int frac_digits = 0;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    if (!dot) {
      if (whole > 9'000'000'000'000'000) return 0;
      whole = whole * 10 + (c - '0');
    } else if (frac_digits < 2) {
      frac = frac * 10 + (c - '0');
      ++frac_digits;
    }
  }
  if (frac_digits == 1) frac *= 10;
  int64_t minor = whole * 100 + frac;
  return negative ? -minor : minor;
}

std::string ScalarText(const json::value* v) {
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return "";
}

}  // namespace

const policies::SeverityPolicy& PolicySet::severity_or_fallback() const {
  return severity ? *severity : policies::FallbackSeverityPolicy();
}
const policies::OwnershipMap& PolicySet::ownership_or_fallback() const {
  return ownership ? *ownership : policies::FallbackOwnershipMap();
}
const policies::SlaPolicy& PolicySet::sla_or_fallback() const {
  return sla ? *sla : policies::FallbackSlaPolicy();
}
const policies::EscalationPolicy& PolicySet::escalation_or_fallback() const {
  return escalation ? *escalation : policies::FallbackEscalationPolicy();
}

std::string PolicySet::Describe() const {
  std::string published, fallback;
  auto add = [](std::string& to, const char* name) {
    if (!to.empty()) to += ", ";
    to += name;
  };
  (severity ? add(published, "severity") : add(fallback, "severity"));
  (ownership ? add(published, "ownership") : add(fallback, "ownership"));
  (sla ? add(published, "sla") : add(fallback, "sla"));
  (escalation ? add(published, "escalation") : add(fallback, "escalation"));
  std::string out;
  if (!published.empty()) out = "published: " + published;
  if (!fallback.empty()) out += (out.empty() ? "" : "; ") + std::string("fallback: ") + fallback;
  return out;
}

namespace {

// Parsed policies by content hash: a published version is immutable, so it is parsed (and its
// CEL compiled) once per process and shared (STYLE.md habit 8).
std::mutex policy_cache_mu;
std::map<std::string, std::shared_ptr<const void>>& PolicyCache() {
  static auto* cache = new std::map<std::string, std::shared_ptr<const void>>();
  return *cache;
}

template <typename T, typename Parse>
Result<std::shared_ptr<const T>> Published(store::Txn& txn, const TenantId& tenant,
                                           std::string_view kind, Parse parse) {
  // The tenant's own document published to prod, else the partner's (templates live under the
  // reserved tenant "_partner"). One document per kind is expected; if several are published
  // the first by name wins.
  for (const std::string& owner : {tenant.value(), std::string("_partner")}) {
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("SELECT d.content_hash, d.source_yaml, d.name FROM document_environments "
                        "e JOIN governance_documents d ON d.tenant_id = e.tenant_id AND d.kind = "
                        "e.kind AND d.name = e.name AND d.version = e.version WHERE e.tenant_id "
                        "= ? AND e.kind = ? AND e.env = 'prod' ORDER BY e.name LIMIT 1",
                        {owner, std::string(kind)}));
    if (rows.empty()) continue;
    const std::string key = std::string(kind) + ":" + rows[0].Text(0);
    {
      std::lock_guard lock(policy_cache_mu);
      auto it = PolicyCache().find(key);
      if (it != PolicyCache().end()) return std::static_pointer_cast<const T>(it->second);
    }
    auto parsed = parse(rows[0].Text(1), rows[0].Text(2) + ".yaml");
    if (!parsed.ok()) {
      return Internal("published " + std::string(kind) + " document '" + rows[0].Text(2) + "' of " +
                      owner + " does not parse: " + parsed.status().message());
    }
    auto shared = std::make_shared<const T>(std::move(*parsed));
    std::lock_guard lock(policy_cache_mu);
    PolicyCache()[key] = shared;
    return shared;
  }
  return std::shared_ptr<const T>();
}

}  // namespace

Result<PolicySet> LoadPolicySet(store::Txn& txn, const TenantId& tenant) {
  PolicySet set;
  GOVFLOW_ASSIGN_OR_RETURN(set.severity,
                           (Published<policies::SeverityPolicy>(txn, tenant, "severity",
                                                                policies::ParseSeverityPolicy)));
  GOVFLOW_ASSIGN_OR_RETURN(
      set.ownership,
      (Published<policies::OwnershipMap>(txn, tenant, "ownership", policies::ParseOwnershipMap)));
  GOVFLOW_ASSIGN_OR_RETURN(
      set.sla, (Published<policies::SlaPolicy>(txn, tenant, "sla", policies::ParseSlaPolicy)));
  GOVFLOW_ASSIGN_OR_RETURN(
      set.escalation, (Published<policies::EscalationPolicy>(txn, tenant, "escalation",
                                                             policies::ParseEscalationPolicy)));
  return set;
}

Classification ClassifyException(const store::ExceptionCase& c, const store::Run& run) {
  Classification out;
  out.error_class = c.error_class;
  const std::string& m = c.message;
  const std::string m_padded = m + " ";
  static const std::regex kRelated(
      R"(contains a value \(([^)]*)\) that cannot be found in the related table \(([A-Za-z ]+)\))");
  static const std::regex kDoesNotExist(
      R"(The ([A-Za-z ]+) does not exist\. Identification fields and values: [A-Za-z.]+='([^']*)')");
  static const std::regex kBlocked(
      R"(Blocked must be equal to 'No'\s+in ([A-Za-z ]+): No\.=([^ ]+?)\.? )");
  std::smatch match;
  auto object_name = [](std::string s) {
    s = Lower(std::move(s));
    for (char& ch : s)
      if (ch == ' ') ch = '_';
    return s;
  };
  if (std::regex_search(m, match, kRelated)) {
    out.root_cause_key = "unknown_" + object_name(match[2]) + ":" + std::string(match[1]);
    out.category = "master_data";
  } else if (std::regex_search(m, match, kDoesNotExist)) {
    out.root_cause_key = "unknown_" + object_name(match[1]) + ":" + std::string(match[2]);
    out.category = "master_data";
  } else if (std::regex_search(m_padded, match, kBlocked)) {
    out.root_cause_key = "blocked_" + object_name(match[1]) + ":" + std::string(match[2]);
    out.category = "master_data";
  }
  if (out.root_cause_key.empty() && (c.error_class == "validation" || c.error_class == "mapping")) {
    boost::system::error_code ec;
    json::value payload = json::parse(c.payload_json, ec);
    std::string rule;
    if (!ec && payload.is_object()) {
      if (const json::value* v = payload.as_object().if_contains("violations");
          v != nullptr && v->is_array() && !v->as_array().empty() &&
          v->as_array().front().is_object()) {
        rule = ScalarText(v->as_array().front().as_object().if_contains("rule"));
      }
    }
    if (!rule.empty()) out.root_cause_key = c.error_class + ":" + rule;
  }
  if (out.root_cause_key.empty()) {
    out.root_cause_key = c.error_class + ":" + run.workflow_name + "/" + c.step + ":" +
                         Sha256Hex(MessageShape(m)).substr(0, 12);
  }
  if (out.category.empty()) {
    const std::string& e = c.error_class;
    if (e == "validation" || e == "mapping" || e == "conflict")
      out.category = "data";
    else if (e == "not_found")
      out.category = "master_data";
    else if (e == "rejected")
      out.category = "remote_rejection";
    else if (e == "transient" || e == "throttled" || e == "timeout")
      out.category = "connectivity";
    else if (e == "auth")
      out.category = "credentials";
    else if (e == "policy")
      out.category = "governance";
    else if (e == "internal")
      out.category = "platform";
    else
      out.category = "unknown";
  }
  return out;
}

BusinessImpact ImpactOfEvent(const json::value& event) {
  BusinessImpact impact;
  if (!event.is_object()) return impact;
  const json::object& o = event.as_object();
  const json::value* total = o.if_contains("total_price");
  if (total == nullptr) total = o.if_contains("current_total_price");
  if (total != nullptr) impact.order_value_minor = ToMinor(*total);
  impact.currency = ScalarText(o.if_contains("currency"));
  if (impact.currency.empty()) impact.currency = ScalarText(o.if_contains("presentment_currency"));
  if (const json::value* cust = o.if_contains("customer"); cust != nullptr && cust->is_object()) {
    impact.customer_key = ScalarText(cust->as_object().if_contains("id"));
    if (impact.customer_key.empty()) {
      impact.customer_key = ScalarText(cust->as_object().if_contains("email"));
    }
  }
  if (impact.customer_key.empty()) impact.customer_key = ScalarText(o.if_contains("email"));
  return impact;
}

Status OnExceptionOpened(store::Txn& txn, const store::ExceptionCase& exception_case,
                         const store::Run& run) {
  GOVFLOW_ASSIGN_OR_RETURN(PolicySet policies, LoadPolicySet(txn, exception_case.tenant));
  return OnExceptionOpened(txn, exception_case, run, policies);
}

Status OnExceptionOpened(store::Txn& txn, const store::ExceptionCase& c, const store::Run& run,
                         const PolicySet& policies) {
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows existing,
      txn.sql().Query("SELECT 1 FROM exception_governance WHERE tenant_id = ? AND case_id = ?",
                      {c.tenant.value(), c.id.value()}));
  if (!existing.empty()) return Status::Ok();

  Classification cls = ClassifyException(c, run);
  boost::system::error_code ec;
  json::value event;
  json::value payload = json::parse(c.payload_json, ec);
  if (!ec && payload.is_object() && payload.as_object().contains("input")) {
    event = payload.as_object().at("input");
  } else {
    event = json::parse(run.input_json, ec);
    if (ec) event = json::object();
  }
  BusinessImpact impact = ImpactOfEvent(event);

  policies::ExceptionFacts facts;
  facts.process = run.workflow_name;
  facts.step = c.step;
  facts.error_class = cls.error_class;
  facts.category = cls.category;
  facts.root_cause_key = cls.root_cause_key;
  facts.message = c.message;
  facts.order_value_minor = impact.order_value_minor;
  facts.currency = impact.currency;
  facts.customer_key = impact.customer_key;
  facts.event = &event;

  std::string severity_rule;
  const policies::Severity severity =
      policies.severity_or_fallback().Classify(facts, &severity_rule);
  const std::string team = policies.ownership_or_fallback().OwnerOf(facts);
  const policies::SlaTarget& target = policies.sla_or_fallback().For(severity);
  const policies::EscalationChain* chain =
      policies.escalation_or_fallback().ChainFor(severity, team);
  const std::string chain_json =
      chain != nullptr ? policies::EscalationChainToJson(*chain) : "{\"name\":\"\",\"levels\":[]}";
  const TimePoint opened = c.created_at.time_since_epoch().count() != 0 ? c.created_at : txn.Now();
  const TimePoint now = txn.Now();
  const std::string note = policies.Describe();

  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute(
              "INSERT INTO exception_governance (tenant_id, case_id, process, category, "
              "root_cause_key, severity, owner_team, assignee, ack_due_at, resolve_due_at, "
              "acknowledged_at, acknowledged_by, closed_at, closed_by, resolution, "
              "resolution_reason, order_value_minor, currency, customer_key, escalation_json, "
              "policy_note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, NULL, "
              "'', NULL, '', '', '', ?, ?, ?, ?, ?, ?, ?)",
              {c.tenant.value(), c.id.value(), run.workflow_name, cls.category, cls.root_cause_key,
               std::string(policies::SeverityName(severity)), team,
               Micros(opened + target.acknowledge), Micros(opened + target.resolve),
               impact.order_value_minor, impact.currency, impact.customer_key, chain_json, note,
               Micros(now), Micros(now)})
          .status());

  json::object details;
  details["run"] = run.id.value();
  details["workflow"] = run.workflow_name;
  details["step"] = c.step;
  details["error_class"] = c.error_class;
  details["category"] = cls.category;
  details["root_cause"] = cls.root_cause_key;
  details["severity"] = policies::SeverityName(severity);
  details["severity_rule"] = severity_rule;
  details["team"] = team;
  details["ack_due_at_us"] = Micros(opened + target.acknowledge);
  details["resolve_due_at_us"] = Micros(opened + target.resolve);
  details["escalation_chain"] = chain != nullptr ? chain->name : "";
  details["policies"] = note;
  details["order_value_minor"] = impact.order_value_minor;
  details["currency"] = impact.currency;
  AuditRecord record;
  record.actor = "system:runtime";
  record.action = "exception.open";
  record.object_type = "exception_case";
  record.object_id = c.id.value();
  record.reason = c.message;
  record.after_digest = Sha256Hex(c.payload_json);
  record.details_json = json::serialize(details);
  return AppendAudit(txn, c.tenant, record).status();
}

}  // namespace govflow::governance
