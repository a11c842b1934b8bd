#include "governance/sla_monitor.h"

#include <boost/json.hpp>
#include <set>
#include <tuple>

#include "governance/access.h"
#include "governance/audit.h"
#include "governance/exception_intake.h"
#include "governance/policies/escalation.h"
#include "governance/policies/sla.h"

namespace govflow::governance {
namespace json = boost::json;
namespace sql = store::sql;
namespace {

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

std::string Rfc3339(TimePoint t) {
  const int64_t us = Micros(t);
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Candidate {
  TenantId tenant;
  ExceptionCaseId id;
  std::string severity, team, root_cause, process, message, error_class, currency, chain_json;
  TimePoint ack_due, resolve_due;
  bool acknowledged = false;
  int64_t order_value_minor = 0;
};

Status TakeInUngoverned(store::Store& store, EscalationRunStats& stats) {
  std::vector<std::pair<TenantId, ExceptionCaseId>> ids;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
    // Cross-tenant by design (a system job, like the scheduler's ClaimDueRuns): each case is
    // then handled with its own tenant.
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows rows,
        txn.sql().Query("SELECT c.tenant_id, c.case_id FROM exception_cases c LEFT JOIN "
                        "exception_governance g ON g.tenant_id = c.tenant_id AND g.case_id = "
                        "c.case_id WHERE g.case_id IS NULL AND c.state <> 'resolved' "
                        "ORDER BY c.created_at LIMIT 500"));
    for (const sql::Row& r : rows)
      ids.emplace_back(TenantId(r.Text(0)), ExceptionCaseId(r.Text(1)));
  }
  for (const auto& [tenant, id] : ids) {
    GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(tenant, id));
      GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(tenant, c.run));
      return OnExceptionOpened(txn, c, run);
    }));
    ++stats.cases_taken_in;
  }
  return Status::Ok();
}

connect::notify::Notification Notice(const Candidate& c, std::string_view clock, int level,
                                     TimePoint due, const policies::EscalationTarget& target,
                                     std::string_view chain) {
  connect::notify::Notification n;
  n.id = c.tenant.value() + "/" + c.id.value() + "/" + std::string(clock) + "/" +
         std::to_string(level);
  n.channel = target.channel;
  n.address = target.address;
  // No product name here: an e-mail adds the partner's (connect/notify/notifier.h).
  n.subject = c.severity + " exception " + c.id.value() + " breached its " +
              std::string(clock) + " SLA (" + c.root_cause + ", team " + c.team + ")";
  n.text = "Exception case " + c.id.value() + " of tenant " + c.tenant.value() + " was not " +
           (clock == "acknowledge" ? "acknowledged" : "resolved") + " by " + Rfc3339(due) +
           ".\n\n" + "Escalation level " + std::to_string(level) + " of chain '" +
           std::string(chain) + "'.\n" + "Severity:   " + c.severity + "\n" +
           "Team:       " + c.team + "\n" + "Process:    " + c.process + "\n" +
           "Root cause: " + c.root_cause + "\n" + "Error:      " + c.error_class + ": " +
           c.message + "\n";
  json::object o{{"type", "exception.escalation"},
                 {"notification_id", n.id},
                 {"tenant", c.tenant.value()},
                 {"case", c.id.value()},
                 {"clock", clock},
                 {"level", level},
                 {"chain", chain},
                 {"due_at", Rfc3339(due)},
                 {"severity", c.severity},
                 {"team", c.team},
                 {"process", c.process},
                 {"root_cause", c.root_cause},
                 {"error_class", c.error_class},
                 {"message", c.message},
                 {"order_value_minor", c.order_value_minor},
                 {"currency", c.currency}};
  n.json = json::serialize(o);
  return n;
}

// Records (case, clock, level) and audits it, once. Returns false when it was recorded already
// or the clock stopped meanwhile.
Result<bool> Record(store::Store& store, const Candidate& c, std::string_view clock, int level,
                    TimePoint breached_at, TimePoint now, const std::string& targets,
                    std::string_view chain) {
  bool recorded = false;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    recorded = false;
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows live,
        txn.sql().Query("SELECT c.state, g.acknowledged_at FROM exception_cases c JOIN "
                        "exception_governance g ON g.tenant_id = c.tenant_id AND g.case_id = "
                        "c.case_id WHERE c.tenant_id = ? AND c.case_id = ?",
                        {c.tenant.value(), c.id.value()}));
    if (live.empty() || live[0].Text(0) == "resolved") return Status::Ok();
    if (clock == "acknowledge" && !live[0].IsNull(1)) return Status::Ok();
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows exists,
        txn.sql().Query(
            "SELECT 1 FROM exception_escalations WHERE tenant_id = ? AND case_id = ? "
            "AND clock = ? AND level = ?",
            {c.tenant.value(), c.id.value(), std::string(clock), static_cast<int64_t>(level)}));
    if (!exists.empty()) return Status::Ok();
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("INSERT INTO exception_escalations (tenant_id, case_id, clock, level, "
                     "breached_at, notified_at, targets) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     {c.tenant.value(), c.id.value(), std::string(clock),
                      static_cast<int64_t>(level), Micros(breached_at), Micros(now), targets})
            .status());
    const TenantScope scope = TenantScope::ForSystem(c.tenant, "sla_monitor");
    AuditRecord record;
    record.actor = scope.actor().id;
    record.action = level == 0 ? "exception.sla_breach" : "exception.escalate";
    record.object_type = "exception_case";
    record.object_id = c.id.value();
    record.reason = level == 0 ? std::string(clock) + " SLA breached"
                               : "escalation level " + std::to_string(level) + " of chain '" +
                                     std::string(chain) + "'";
    json::object d{
        {"clock", clock},         {"level", level}, {"breached_at_us", Micros(breached_at)},
        {"severity", c.severity}, {"team", c.team}, {"chain", chain}};
    boost::system::error_code ec;
    json::value t = json::parse(targets, ec);
    d["targets"] = ec ? json::value(json::array()) : t;
    record.details_json = json::serialize(d);
    GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, c.tenant, record).status());
    recorded = true;
    return Status::Ok();
  }));
  return recorded;
}

}  // namespace

Result<EscalationRunStats> RunDueEscalationsWithStats(store::Store& store, const Clock& clock,
                                                      connect::notify::Notifier& notifier) {
  EscalationRunStats stats;
  GOVFLOW_RETURN_IF_ERROR(TakeInUngoverned(store, stats));
  const TimePoint now = clock.Now();
  std::vector<Candidate> candidates;
  std::set<std::tuple<std::string, std::string, std::string, int64_t>> done;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
    // Cross-tenant by design (a system job): every row read carries its tenant.
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows rows,
        txn.sql().Query(
            "SELECT g.tenant_id, g.case_id, g.severity, g.owner_team, g.root_cause_key, "
            "g.process, c.message, c.error_class, g.currency, g.escalation_json, g.ack_due_at, "
            "g.resolve_due_at, g.acknowledged_at, g.order_value_minor FROM exception_governance g "
            "JOIN exception_cases c ON c.tenant_id = g.tenant_id AND c.case_id = g.case_id "
            "WHERE c.state <> 'resolved' AND ((g.acknowledged_at IS NULL AND g.ack_due_at <= ?) "
            "OR g.resolve_due_at <= ?) ORDER BY g.tenant_id, g.case_id LIMIT 5000",
            {Micros(now), Micros(now)}));
    for (const sql::Row& r : rows) {
      Candidate c;
      c.tenant = TenantId(r.Text(0));
      c.id = ExceptionCaseId(r.Text(1));
      c.severity = r.Text(2);
      c.team = r.Text(3);
      c.root_cause = r.Text(4);
      c.process = r.Text(5);
      c.message = r.Text(6);
      c.error_class = r.Text(7);
      c.currency = r.Text(8);
      c.chain_json = r.Text(9);
      c.ack_due = FromMicros(r.Int(10));
      c.resolve_due = FromMicros(r.Int(11));
      c.acknowledged = !r.IsNull(12);
      c.order_value_minor = r.Int(13);
      candidates.push_back(std::move(c));
    }
    if (!candidates.empty()) {
      GOVFLOW_ASSIGN_OR_RETURN(
          sql::Rows sent,
          txn.sql().Query("SELECT e.tenant_id, e.case_id, e.clock, e.level FROM "
                          "exception_escalations e JOIN exception_cases c ON c.tenant_id = "
                          "e.tenant_id AND c.case_id = e.case_id WHERE c.state <> 'resolved'"));
      for (const sql::Row& r : sent) done.emplace(r.Text(0), r.Text(1), r.Text(2), r.Int(3));
    }
  }
  for (const Candidate& c : candidates) {
    auto chain = policies::EscalationChainFromJson(c.chain_json);
    if (!chain.ok()) return chain.status();
    for (std::string_view clock_name :
         {std::string_view("acknowledge"), std::string_view("resolve")}) {
      const bool ack = clock_name == "acknowledge";
      if (ack && c.acknowledged) continue;
      const TimePoint breach = ack ? c.ack_due : c.resolve_due;
      if (breach > now) continue;
      auto seen = [&](int level) {
        return done.contains(
            {c.tenant.value(), c.id.value(), std::string(clock_name), static_cast<int64_t>(level)});
      };
      if (!seen(0)) {
        GOVFLOW_ASSIGN_OR_RETURN(bool r,
                                 Record(store, c, clock_name, 0, breach, now, "[]", chain->name));
        if (r) ++stats.breaches_recorded;
      }
      for (size_t i = 0; i < chain->levels.size(); ++i) {
        const int level = static_cast<int>(i) + 1;
        const policies::EscalationLevel& l = chain->levels[i];
        if (breach + l.after > now) break;  // levels are ordered by `after`
        if (seen(level)) continue;
        bool all_ok = true;
        json::array targets;
        for (const policies::EscalationTarget& t : l.notify) {
          Status st = notifier.Send(Notice(c, clock_name, level, breach, t, chain->name));
          if (!st.ok()) {
            all_ok = false;
            break;
          }
          targets.push_back(json::object{{"channel", t.channel}, {"address", t.address}});
        }
        if (!all_ok) {
          ++stats.notices_failed;
          break;  // the later levels wait for this one
        }
        GOVFLOW_ASSIGN_OR_RETURN(bool r, Record(store, c, clock_name, level, breach, now,
                                                json::serialize(targets), chain->name));
        if (r) ++stats.notices_sent;
      }
    }
  }
  return stats;
}

Result<int> RunDueEscalations(store::Store& store, const Clock& clock,
                              connect::notify::Notifier& notifier) {
  GOVFLOW_ASSIGN_OR_RETURN(EscalationRunStats stats,
                           RunDueEscalationsWithStats(store, clock, notifier));
  return stats.notices_sent;
}

}  // namespace govflow::governance
