#include "governance/retention.h"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <limits>
#include <map>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/audit_checkpoint.h"
#include "governance/documents/lifecycle.h"

namespace govflow::governance {
namespace json = boost::json;
using store::sql::Blob;
using store::sql::Params;
using store::sql::Rows;

namespace {

constexpr std::string_view kAllClasses = "*";
// Both markers start with these bytes; a body that starts with them is never redacted again.
constexpr std::string_view kMarkerPrefix = "{\"govflow_";
constexpr int kMarkerPrefixLength = 10;
static_assert(kMarkerPrefix.size() == kMarkerPrefixLength);

// A run that no one will touch again: terminal, and without an exception case that is not yet
// resolved (a failed run's open case may retry it, and the retry reads its input and context).
constexpr std::string_view kTerminalStates = "('succeeded', 'failed', 'cancelled')";

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

std::string RunDone(std::string_view alias) {
  const std::string a(alias);
  return a + ".state IN " + std::string(kTerminalStates) +
         " AND NOT EXISTS (SELECT 1 FROM exception_cases oc WHERE oc.tenant_id = " + a +
         ".tenant_id AND oc.run_id = " + a + ".run_id AND oc.state <> 'resolved')";
}

// Rows after (ts, key) in (ts, key) order.
std::string After(std::string_view ts, std::string_view key) {
  return "(" + std::string(ts) + " > ? OR (" + std::string(ts) + " = ? AND " + std::string(key) +
         " > ?))";
}

std::string Marker(RetentionAction action, const RetentionRule& rule, TimePoint now,
                   std::string_view original) {
  json::object inner;
  inner["at"] = Micros(now);
  inner["rule"] = rule.name;
  json::object outer;
  if (action == RetentionAction::kRedact) {
    inner["sha256"] = Sha256Hex(original);
    inner["size"] = static_cast<int64_t>(original.size());
    outer["govflow_redacted"] = std::move(inner);
  } else {
    outer["govflow_purged"] = std::move(inner);
  }
  return CanonicalJson(json::value(std::move(outer)));
}

bool IsMarked(std::string_view body) {
  return body.starts_with(kMarkerPrefix);
}

json::value Record(std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  // Every payload_bodies / run_history record carries the same keys ("" when not applicable),
  // so that one condition can be written for all of a class's records.
  json::object o;
  for (std::string_view k :
       {"source", "workflow", "state", "connection", "topic", "step", "error_class"}) {
    o[k] = "";
  }
  for (const auto& [k, v] : fields) o[k] = v;
  return o;
}

Result<bool> TableExists(store::Txn& txn, std::string_view table) {
  Rows rows;
  if (txn.dialect() == store::sql::Dialect::kPostgres) {
    GOVFLOW_ASSIGN_OR_RETURN(
        rows, txn.sql().Query("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                              "current_schema() AND table_name = ?",
                              {std::string(table)}));
  } else {
    GOVFLOW_ASSIGN_OR_RETURN(
        rows, txn.sql().Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              {std::string(table)}));
  }
  return !rows.empty();
}

// The active hold covering (tenant, class) or the whole tenant; nullopt when none.
Result<std::optional<std::string>> ActiveHoldReason(store::Txn& txn, const TenantId& tenant,
                                                    std::optional<DataClass> data_class) {
  const std::string cls =
      data_class ? std::string(DataClassName(*data_class)) : std::string(kAllClasses);
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT reason, data_class FROM retention_legal_holds WHERE "
                                 "tenant_id = ? AND released_at IS NULL AND data_class IN (?, ?) "
                                 "ORDER BY placed_at",
                                 {tenant.value(), std::string(kAllClasses), cls}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0) + " (hold on " + rows[0].Text(1) + ")");
}

// Counts of one batch, per rule, for its audit event.
struct RuleTally {
  const RetentionRule* rule = nullptr;
  RetentionAction action = RetentionAction::kPurge;
  std::map<std::string, int64_t> counts;  // "deliveries.body" -> n, "runs" -> n, ...
  std::vector<std::string> digests;       // "<table>/<key>/<sha256 of what went>"
  int64_t redacted = 0;
  int64_t purged = 0;
};

struct Batch {
  std::map<std::string, RuleTally> by_rule;
  int64_t condition_errors = 0;
  int64_t kept_referenced = 0;
  RuleTally& For(const RetentionRule& rule, RetentionAction action) {
    RuleTally& t = by_rule[rule.name];
    t.rule = &rule;
    t.action = action;
    return t;
  }
  bool IsEmpty() const { return by_rule.empty(); }
};

// One sweep over one data class of one tenant.
class ClassSweep {
 public:
  ClassSweep(store::Store& store, const TenantScope& scope, const RetentionRules& rules,
             const RetentionOptions& options, TimePoint now, DataClass data_class,
             RetentionClassReport& report)
      : store_(store),
        scope_(scope),
        rules_(rules),
        options_(options),
        now_(now),
        class_(data_class),
        report_(report) {}

  Status Run();

 private:
  // A source: selects up to `limit` candidate rows after the cursor and acts on them in `txn`.
  // Returns how many rows it looked at and moves `cursor` (ts, key) past them.
  using Source = std::function<Result<int>(store::Txn& txn, int64_t& cursor_ts,
                                           std::string& cursor_key, Batch& batch)>;
  Status Drain(std::string_view name, const Source& source);
  Status Audit(store::Txn& txn, const Batch& batch);
  // The rule deciding `record` if it is due at age `ts`; nullptr to keep it.
  const RetentionRule* Due(const json::value& record, int64_t ts, Batch& batch) const;
  int64_t Cutoff() const;  // rows at or after it are young under every rule of the class

  Status SweepPayloadBodies();
  Status SweepRunHistory();
  Status SweepExceptionCases();
  Status SweepAudit();
  Status SweepMetrics();

  store::Store& store_;
  const TenantScope& scope_;
  const RetentionRules& rules_;
  const RetentionOptions& options_;
  TimePoint now_;
  DataClass class_;
  RetentionClassReport& report_;
  bool held_ = false;
};

int64_t ClassSweep::Cutoff() const {
  std::chrono::microseconds shortest = std::chrono::microseconds::max();
  for (const RetentionRule* r : rules_.For(class_)) shortest = std::min(shortest, r->keep_for);
  return Micros(now_) - shortest.count();
}

const RetentionRule* ClassSweep::Due(const json::value& record, int64_t ts, Batch& batch) const {
  bool error = false;
  const RetentionRule* rule = rules_.Decide(class_, record, &error);
  if (error) ++batch.condition_errors;
  if (rule == nullptr) return nullptr;
  if (ts >= Micros(now_) - rule->keep_for.count()) return nullptr;
  return rule;
}

Status ClassSweep::Audit(store::Txn& txn, const Batch& batch) {
  for (const auto& [name, tally] : batch.by_rule) {
    json::object details;
    details["data_class"] = DataClassName(class_);
    details["rule"] = name;
    details["keep_for"] = FormatRetentionDuration(tally.rule->keep_for);
    details["rules_hash"] = rules_.content_hash;
    json::object counts;
    for (const auto& [k, n] : tally.counts) counts[k] = n;
    details["counts"] = std::move(counts);
    std::vector<std::string> digests = tally.digests;
    std::sort(digests.begin(), digests.end());
    std::string joined;
    for (const std::string& d : digests) joined += d + "\n";
    AuditRecord record;
    record.actor = scope_.actor().id;
    record.action =
        tally.action == RetentionAction::kRedact ? "retention.redact" : "retention.purge";
    record.object_type = "retention_rule";
    record.object_id = name;
    record.reason = "retention rule " + name + ": " + std::string(DataClassName(class_)) +
                    " kept for " + FormatRetentionDuration(tally.rule->keep_for);
    // What went, as a digest of "<table>/<key>/<sha256>" lines: an auditor holding a copy of
    // the data can prove which records this batch removed.
    record.before_digest = Sha256Hex(joined);
    record.details_json = json::serialize(details);
    GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, scope_.tenant(), record).status());
  }
  return Status::Ok();
}

Status ClassSweep::Drain(std::string_view name, const Source& source) {
  int64_t cursor_ts = std::numeric_limits<int64_t>::min();
  std::string cursor_key;
  while (!held_) {
    Batch batch;
    int seen = 0;
    int64_t next_ts = cursor_ts;
    std::string next_key = cursor_key;
    auto body = [&](store::Txn& txn) -> Status {
      batch = Batch();
      next_ts = cursor_ts;
      next_key = cursor_key;
      GOVFLOW_ASSIGN_OR_RETURN(std::optional<std::string> hold,
                               ActiveHoldReason(txn, scope_.tenant(), class_));
      if (hold) {
        held_ = true;
        report_.note = "legal hold: " + *hold;
        return Status::Ok();
      }
      GOVFLOW_ASSIGN_OR_RETURN(seen, source(txn, next_ts, next_key, batch));
      if (!options_.dry_run) GOVFLOW_RETURN_IF_ERROR(Audit(txn, batch));
      return Status::Ok();
    };
    if (options_.dry_run) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
      GOVFLOW_RETURN_IF_ERROR(body(txn));
      GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
    } else {
      Status st = store_.Transact(body);
      if (!st.ok()) {
        return Status(st.code(), std::string(DataClassName(class_)) + " (" + std::string(name) +
                                     "): " + st.message());
      }
      if (!batch.IsEmpty()) ++report_.batches;
    }
    if (held_) break;
    for (const auto& [rule, tally] : batch.by_rule) {
      report_.redacted += tally.redacted;
      report_.purged += tally.purged;
    }
    report_.condition_errors += batch.condition_errors;
    report_.kept_referenced += batch.kept_referenced;
    cursor_ts = next_ts;
    cursor_key = next_key;
    if (seen < options_.batch_size) break;
  }
  return Status::Ok();
}

// ---- payload bodies ----------------------------------------------------------------------------

Status ClassSweep::SweepPayloadBodies() {
  const int64_t cutoff = Cutoff();
  const std::string tenant = scope_.tenant().value();
  const int64_t limit = options_.batch_size;
  const bool dry = options_.dry_run;
  const std::string prefix(kMarkerPrefix);
  const Blob prefix_blob{prefix};

  // Replaces one body by its marker; records what went.
  auto body_action = [&](const RetentionRule& rule, std::string_view table, const std::string& key,
                         const std::string& original, Batch& batch) -> std::string {
    RuleTally& t = batch.For(rule, rule.action);
    t.counts[std::string(table)] += 1;
    t.digests.push_back(std::string(table) + "/" + key + "/" + Sha256Hex(original));
    if (rule.action == RetentionAction::kRedact) {
      ++t.redacted;
    } else {
      ++t.purged;
    }
    return Marker(rule.action, rule, now_, original);
  };

  // deliveries.body
  GOVFLOW_RETURN_IF_ERROR(Drain(
      "deliveries",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT d.delivery_id, d.received_at, d.connection_id, d.topic, d.status, "
                "r.workflow_name FROM deliveries d LEFT JOIN runs r ON r.tenant_id = d.tenant_id "
                "AND "
                "r.run_id = d.run_id WHERE d.tenant_id = ? AND d.received_at < ? AND " +
                    After("d.received_at", "d.delivery_id") +
                    " AND length(d.body) > 0 AND substr(d.body, 1, " +
                    std::to_string(kMarkerPrefixLength) + ") <> ? AND (r.run_id IS NULL OR (" +
                    RunDone("r") + ")) ORDER BY d.received_at, d.delivery_id LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, prefix_blob, limit}));
        for (const auto& row : rows) {
          const std::string id = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = id;
          json::value rec = Record({{"source", "delivery"},
                                    {"connection", row.Text(2)},
                                    {"topic", row.Text(3)},
                                    {"state", row.Text(4)},
                                    {"workflow", row.Text(5)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          GOVFLOW_ASSIGN_OR_RETURN(
              Rows b, txn.sql().Query("SELECT body FROM deliveries WHERE tenant_id = ? AND "
                                      "delivery_id = ?",
                                      {tenant, id}));
          if (b.empty() || IsMarked(b[0].Text(0))) continue;
          std::string marker = body_action(*rule, "deliveries.body", id, b[0].Text(0), batch);
          if (dry) continue;
          GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                      .Execute("UPDATE deliveries SET body = ? WHERE tenant_id = ? "
                                               "AND delivery_id = ?",
                                               {Blob{marker}, tenant, id})
                                      .status());
        }
        return static_cast<int>(rows.size());
      }));

  // run_inputs.input_json / runs.context_json
  GOVFLOW_RETURN_IF_ERROR(Drain(
      "runs", [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT r.run_id, r.updated_at, r.workflow_name, r.state, i.input_json, "
                "r.context_json FROM runs r JOIN run_inputs i ON i.tenant_id = r.tenant_id AND "
                "i.run_id = r.run_id WHERE r.tenant_id = ? AND r.updated_at < ? AND " +
                    After("r.updated_at", "r.run_id") + " AND " + RunDone("r") +
                    " AND (substr(i.input_json, 1, 10) <> ? OR substr(r.context_json, 1, 10) <> ?) "
                    "ORDER BY r.updated_at, r.run_id LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, prefix, prefix, limit}));
        for (const auto& row : rows) {
          const std::string id = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = id;
          json::value rec =
              Record({{"source", "run"}, {"workflow", row.Text(2)}, {"state", row.Text(3)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          std::string input = row.Text(4);
          std::string context = row.Text(5);
          if (!IsMarked(input)) input = body_action(*rule, "runs.input_json", id, input, batch);
          if (!IsMarked(context)) {
            context = body_action(*rule, "runs.context_json", id, context, batch);
          }
          if (dry) continue;
          // The run first: only a run still terminal is redacted (its input with it).
          GOVFLOW_ASSIGN_OR_RETURN(
              int64_t redacted,
              txn.sql().Execute("UPDATE runs SET context_json = ? WHERE tenant_id = ? AND "
                                "run_id = ? AND state IN " +
                                    std::string(kTerminalStates),
                                {context, tenant, id}));
          if (redacted == 0) continue;
          GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                      .Execute("UPDATE run_inputs SET input_json = ? WHERE "
                                               "tenant_id = ? AND run_id = ?",
                                               {input, tenant, id})
                                      .status());
        }
        return static_cast<int>(rows.size());
      }));

  // effects.request_json / response_json
  GOVFLOW_RETURN_IF_ERROR(Drain(
      "effects",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT e.idempotency_key, e.updated_at, e.connection_id, e.step, e.state, "
                "r.workflow_name, e.request_json, e.response_json FROM effects e JOIN runs r ON "
                "r.tenant_id = e.tenant_id AND r.run_id = e.run_id WHERE e.tenant_id = ? AND "
                "e.updated_at < ? AND " +
                    After("e.updated_at", "e.idempotency_key") + " AND " + RunDone("r") +
                    " AND (substr(e.request_json, 1, 10) <> ? OR (length(e.response_json) > 0 AND "
                    "substr(e.response_json, 1, 10) <> ?)) ORDER BY e.updated_at, "
                    "e.idempotency_key "
                    "LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, prefix, prefix, limit}));
        for (const auto& row : rows) {
          const std::string key = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = key;
          json::value rec = Record({{"source", "effect"},
                                    {"connection", row.Text(2)},
                                    {"step", row.Text(3)},
                                    {"state", row.Text(4)},
                                    {"workflow", row.Text(5)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          std::string request = row.Text(6);
          std::string response = row.Text(7);
          if (!IsMarked(request)) {
            request = body_action(*rule, "effects.request_json", key, request, batch);
          }
          if (!response.empty() && !IsMarked(response)) {
            response = body_action(*rule, "effects.response_json", key, response, batch);
          }
          if (dry) continue;
          GOVFLOW_RETURN_IF_ERROR(
              txn.sql()
                  .Execute("UPDATE effects SET request_json = ?, response_json = ? "
                           "WHERE tenant_id = ? AND idempotency_key = ?",
                           {request, response, tenant, key})
                  .status());
        }
        return static_cast<int>(rows.size());
      }));

  // exception_cases.payload_json (resolved cases only: an open case may be edited and retried)
  return Drain(
      "exception_cases",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT c.case_id, c.updated_at, c.step, c.error_class, c.state, r.workflow_name, "
                "c.payload_json FROM exception_cases c LEFT JOIN runs r ON r.tenant_id = "
                "c.tenant_id "
                "AND r.run_id = c.run_id WHERE c.tenant_id = ? AND c.state = 'resolved' AND "
                "c.updated_at < ? AND " +
                    After("c.updated_at", "c.case_id") +
                    " AND substr(c.payload_json, 1, 10) <> ? ORDER BY c.updated_at, c.case_id "
                    "LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, prefix, limit}));
        for (const auto& row : rows) {
          const std::string id = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = id;
          json::value rec = Record({{"source", "exception_case"},
                                    {"step", row.Text(2)},
                                    {"error_class", row.Text(3)},
                                    {"state", row.Text(4)},
                                    {"workflow", row.Text(5)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          std::string marker =
              body_action(*rule, "exception_cases.payload_json", id, row.Text(6), batch);
          if (dry) continue;
          GOVFLOW_RETURN_IF_ERROR(
              txn.sql()
                  .Execute("UPDATE exception_cases SET payload_json = ? WHERE "
                           "tenant_id = ? AND case_id = ? AND state = 'resolved'",
                           {marker, tenant, id})
                  .status());
        }
        return static_cast<int>(rows.size());
      });
}

// ---- run history -------------------------------------------------------------------------------

// Deletes `statements` (each "DELETE ... WHERE tenant_id = ? AND <key> = ?") for one record
// inside a savepoint; when one fails because another table still refers to the record (a
// foreign key another module added), rolls
// back to the savepoint and returns false (the record is kept and counted).
Result<bool> DeleteRecord(store::Txn& txn, const std::string& tenant, const std::string& key,
                          const std::vector<std::pair<std::string, std::string>>& statements,
                          std::map<std::string, int64_t>& counts) {
  GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("retention_record"));
  std::map<std::string, int64_t> local;
  for (const auto& [label, sql] : statements) {
    Result<int64_t> n = txn.sql().Execute(sql, {tenant, key});
    if (!n.ok()) {
      // Both engines report a violated foreign key as kFailedPrecondition; anything else (a
      // conflict, a failing disk) fails the batch, which Transact retries or reports.
      if (n.status().code() != StatusCode::kFailedPrecondition) return n.status();
      GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("retention_record"));
      GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("retention_record"));
      return false;
    }
    if (*n > 0) local[label] += *n;
  }
  GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("retention_record"));
  for (const auto& [k, n] : local) counts[k] += n;
  return true;
}

int64_t Sum(const std::map<std::string, int64_t>& counts) {
  int64_t n = 0;
  for (const auto& [k, v] : counts) n += v;
  return n;
}

Status ClassSweep::SweepRunHistory() {
  const int64_t cutoff = Cutoff();
  const std::string tenant = scope_.tenant().value();
  const int64_t limit = options_.batch_size;
  const bool dry = options_.dry_run;

  // Terminal runs, whole, unless an exception case (of any state) still refers to them.
  GOVFLOW_RETURN_IF_ERROR(Drain(
      "runs", [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT r.run_id, r.updated_at, r.workflow_name, r.state FROM runs r WHERE "
                "r.tenant_id = ? AND r.updated_at < ? AND " +
                    After("r.updated_at", "r.run_id") + " AND r.state IN " +
                    std::string(kTerminalStates) +
                    " AND NOT EXISTS (SELECT 1 FROM exception_cases c WHERE c.tenant_id = "
                    "r.tenant_id "
                    "AND c.run_id = r.run_id) ORDER BY r.updated_at, r.run_id LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, limit}));
        for (const auto& row : rows) {
          const std::string id = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = id;
          json::value rec =
              Record({{"source", "run"}, {"workflow", row.Text(2)}, {"state", row.Text(3)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          RuleTally& t = batch.For(*rule, RetentionAction::kPurge);
          if (dry) {
            t.counts["runs"] += 1;
            ++t.purged;
            continue;
          }
          std::map<std::string, int64_t> counts;
          GOVFLOW_ASSIGN_OR_RETURN(
              bool deleted,
              DeleteRecord(
                  txn, tenant, id,
                  {{"run_events", "DELETE FROM run_events WHERE tenant_id = ? AND run_id = ?"},
                   {"effects", "DELETE FROM effects WHERE tenant_id = ? AND run_id = ?"},
                   {"deliveries", "DELETE FROM deliveries WHERE tenant_id = ? AND run_id = ?"},
                   {"runs", "DELETE FROM runs WHERE tenant_id = ? AND run_id = ? AND state IN " +
                                std::string(kTerminalStates)}},
                  counts));
          if (!deleted) {
            ++batch.kept_referenced;
            continue;
          }
          for (const auto& [k, n] : counts) t.counts[k] += n;
          t.purged += Sum(counts);
          t.digests.push_back("runs/" + id);
        }
        return static_cast<int>(rows.size());
      }));

  // Deliveries that started no run (rejected, duplicates).
  return Drain(
      "deliveries",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT d.delivery_id, d.received_at, d.connection_id, d.topic, d.status "
                "FROM deliveries d WHERE d.tenant_id = ? AND d.received_at < ? AND " +
                    After("d.received_at", "d.delivery_id") +
                    " AND d.run_id IS NULL ORDER BY d.received_at, d.delivery_id LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, limit}));
        for (const auto& row : rows) {
          const std::string id = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = id;
          json::value rec = Record({{"source", "delivery"},
                                    {"connection", row.Text(2)},
                                    {"topic", row.Text(3)},
                                    {"state", row.Text(4)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          RuleTally& t = batch.For(*rule, RetentionAction::kPurge);
          if (dry) {
            t.counts["deliveries"] += 1;
            ++t.purged;
            continue;
          }
          std::map<std::string, int64_t> counts;
          GOVFLOW_ASSIGN_OR_RETURN(
              bool deleted,
              DeleteRecord(txn, tenant, id,
                           {{"deliveries",
                             "DELETE FROM deliveries WHERE tenant_id = ? AND delivery_id = ? AND "
                             "run_id IS NULL"}},
                           counts));
          if (!deleted) {
            ++batch.kept_referenced;
            continue;
          }
          for (const auto& [k, n] : counts) t.counts[k] += n;
          t.purged += Sum(counts);
          t.digests.push_back("deliveries/" + id);
        }
        return static_cast<int>(rows.size());
      });
}

// ---- exception cases ---------------------------------------------------------------------------

Status ClassSweep::SweepExceptionCases() {
  const int64_t cutoff = Cutoff();
  const std::string tenant = scope_.tenant().value();
  const int64_t limit = options_.batch_size;
  const bool dry = options_.dry_run;
  // The governance companions of a case (migration 0006): the case's record, purged with it.
  std::vector<std::pair<std::string, std::string>> statements;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
    for (const char* table : {"exception_edits", "exception_escalations", "exception_governance"}) {
      GOVFLOW_ASSIGN_OR_RETURN(bool exists, TableExists(txn, table));
      if (exists) {
        statements.emplace_back(
            table, "DELETE FROM " + std::string(table) + " WHERE tenant_id = ? AND case_id = ?");
      }
    }
    GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
  }
  statements.emplace_back("exception_cases",
                          "DELETE FROM exception_cases WHERE tenant_id = ? AND case_id = ? AND "
                          "state = 'resolved'");

  return Drain(
      "exception_cases",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT c.case_id, c.updated_at, c.step, c.error_class, c.state, r.workflow_name "
                "FROM exception_cases c LEFT JOIN runs r ON r.tenant_id = c.tenant_id AND r.run_id "
                "= "
                "c.run_id WHERE c.tenant_id = ? AND c.state = 'resolved' AND c.updated_at < ? "
                "AND " +
                    After("c.updated_at", "c.case_id") +
                    " ORDER BY c.updated_at, c.case_id LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, limit}));
        for (const auto& row : rows) {
          const std::string id = row.Text(0);
          const int64_t ts = row.Int(1);
          cts = ts;
          ckey = id;
          json::value rec = Record({{"source", "exception_case"},
                                    {"step", row.Text(2)},
                                    {"error_class", row.Text(3)},
                                    {"state", row.Text(4)},
                                    {"workflow", row.Text(5)}});
          const RetentionRule* rule = Due(rec, ts, batch);
          if (rule == nullptr) continue;
          RuleTally& t = batch.For(*rule, RetentionAction::kPurge);
          if (dry) {
            t.counts["exception_cases"] += 1;
            ++t.purged;
            continue;
          }
          std::map<std::string, int64_t> counts;
          GOVFLOW_ASSIGN_OR_RETURN(bool deleted, DeleteRecord(txn, tenant, id, statements, counts));
          if (!deleted) {
            ++batch.kept_referenced;
            continue;
          }
          for (const auto& [k, n] : counts) t.counts[k] += n;
          t.purged += Sum(counts);
          t.digests.push_back("exception_cases/" + id);
        }
        return static_cast<int>(rows.size());
      });
}

// ---- audit -------------------------------------------------------------------------------------

Status ClassSweep::SweepAudit() {
  std::vector<const RetentionRule*> rules = rules_.For(DataClass::kAudit);
  const int64_t cutoff = Micros(now_) - rules.front()->keep_for.count();
  const TenantId& tenant = scope_.tenant();
  while (true) {
    int64_t deleted = 0;
    bool more = false;
    auto body = [&](store::Txn& txn) -> Status {
      deleted = 0;
      more = false;
      GOVFLOW_ASSIGN_OR_RETURN(std::optional<std::string> hold,
                               ActiveHoldReason(txn, tenant, DataClass::kAudit));
      if (hold) {
        held_ = true;
        report_.note = "legal hold: " + *hold;
        return Status::Ok();
      }
      GOVFLOW_ASSIGN_OR_RETURN(std::optional<AuditAnchor> anchor, GetAuditAnchor(txn, tenant));
      const int64_t from = anchor ? anchor->seq : 0;
      GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditCheckpoint> checkpoints,
                               ListAuditCheckpoints(txn, tenant, from + 1, 0));
      // The checkpoints old enough, in seq order; purge through the furthest one within this
      // batch's budget (at least the first), so each transaction stays bounded.
      int64_t target = 0;
      int64_t last_due = 0;
      for (const AuditCheckpoint& c : checkpoints) {
        if (Micros(c.at) >= cutoff) break;
        last_due = c.seq;
        if (target == 0 || c.seq - from <= options_.audit_events_per_batch) target = c.seq;
      }
      if (target == 0) return Status::Ok();
      if (options_.dry_run) {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows n, txn.sql().Query("SELECT COUNT(*) FROM audit_events WHERE tenant_id = ? AND "
                                    "seq <= ?",
                                    {tenant.value(), last_due}));
        deleted = n[0].Int(0);
        return Status::Ok();
      }
      GOVFLOW_ASSIGN_OR_RETURN(deleted, PurgeAuditEventsThrough(txn, tenant, target));
      more = target < last_due;
      return Status::Ok();
    };
    if (options_.dry_run) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
      GOVFLOW_RETURN_IF_ERROR(body(txn));
      GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
    } else {
      GOVFLOW_RETURN_IF_ERROR(store_.Transact(body));
      if (deleted > 0) ++report_.batches;
    }
    report_.purged += deleted;
    if (held_ || !more) break;
  }
  return Status::Ok();
}

Status ClassSweep::Run() {
  switch (class_) {
    case DataClass::kPayloadBodies:
      return SweepPayloadBodies();
    case DataClass::kRunHistory:
      return SweepRunHistory();
    case DataClass::kExceptionCases:
      return SweepExceptionCases();
    case DataClass::kAudit:
      return SweepAudit();
    case DataClass::kMetrics:
      return SweepMetrics();
  }
  return Status::Ok();
}

// ---- metrics ---------------------------------------------------------------------------------

// The rolled-up metrics of src/intel (migration 0012): hour buckets (and any minute buckets still
// inside them) older than the rule, bucket by bucket, then the rollup's bookkeeping of objects
// that are gone (an intel_contributions row of a purged run, case or delivery can never change
// again). The rollup job itself drops minute buckets after two days; what this removes is
// history the tenant's rules say not to keep. Records: {"source": "rollup"} per hour bucket,
// {"source": "contribution", "kind": "run"|"case"|"delivery"} per orphaned row.
Status ClassSweep::SweepMetrics() {
  const int64_t cutoff = Cutoff();
  const std::string tenant = scope_.tenant().value();
  const int64_t limit = options_.batch_size;
  const bool dry = options_.dry_run;
  constexpr int64_t kHourUs = 3'600'000'000;

  GOVFLOW_RETURN_IF_ERROR(Drain(
      "intel_rollups",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query("SELECT DISTINCT bucket_start FROM intel_rollups WHERE tenant_id = ? "
                            "AND resolution = 3600 AND bucket_start < ? AND bucket_start > ? "
                            "ORDER BY bucket_start LIMIT ?",
                            {tenant, cutoff, cts, limit}));
        for (const auto& row : rows) {
          const int64_t bucket = row.Int(0);
          cts = bucket;
          ckey.clear();
          // A bucket is due once its END is older than the rule.
          const RetentionRule* rule =
              Due(Record({{"source", "rollup"}}), bucket + kHourUs - 1, batch);
          if (rule == nullptr) continue;
          RuleTally& t = batch.For(*rule, RetentionAction::kPurge);
          int64_t gone = 0;
          for (std::string_view table : {"intel_rollups", "intel_latency_bins"}) {
            if (dry) {
              GOVFLOW_ASSIGN_OR_RETURN(
                  Rows n, txn.sql().Query("SELECT COUNT(*) FROM " + std::string(table) +
                                              " WHERE tenant_id = ? AND bucket_start >= ? AND "
                                              "bucket_start < ?",
                                          {tenant, bucket, bucket + kHourUs}));
              t.counts[std::string(table)] += n[0].Int(0);
              gone += n[0].Int(0);
              continue;
            }
            GOVFLOW_ASSIGN_OR_RETURN(
                int64_t n, txn.sql().Execute("DELETE FROM " + std::string(table) +
                                                 " WHERE tenant_id = ? AND bucket_start >= ? AND "
                                                 "bucket_start < ?",
                                             {tenant, bucket, bucket + kHourUs}));
            t.counts[std::string(table)] += n;
            gone += n;
          }
          t.purged += gone;
          t.digests.push_back("intel_rollups/" + std::to_string(bucket));
        }
        return static_cast<int>(rows.size());
      }));

  return Drain(
      "intel_contributions",
      [&](store::Txn& txn, int64_t& cts, std::string& ckey, Batch& batch) -> Result<int> {
        GOVFLOW_ASSIGN_OR_RETURN(
            Rows rows,
            txn.sql().Query(
                "SELECT c.kind, c.object_id, c.updated_at FROM intel_contributions c WHERE "
                "c.tenant_id = ? AND c.updated_at < ? AND " +
                    After("c.updated_at", "c.kind || '/' || c.object_id") +
                    " AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.tenant_id = c.tenant_id AND "
                    "c.kind = 'run' AND r.run_id = c.object_id) AND NOT EXISTS (SELECT 1 FROM "
                    "exception_cases x WHERE x.tenant_id = c.tenant_id AND c.kind = 'case' AND "
                    "x.case_id = c.object_id) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE "
                    "d.tenant_id = c.tenant_id AND c.kind = 'delivery' AND d.delivery_id = "
                    "c.object_id) ORDER BY c.updated_at, c.kind || '/' || c.object_id LIMIT ?",
                {tenant, cutoff, cts, cts, ckey, limit}));
        for (const auto& row : rows) {
          const std::string kind = row.Text(0);
          const std::string id = row.Text(1);
          cts = row.Int(2);
          ckey = kind + "/" + id;
          const RetentionRule* rule =
              Due(Record({{"source", "contribution"}, {"kind", kind}}), row.Int(2), batch);
          if (rule == nullptr) continue;
          RuleTally& t = batch.For(*rule, RetentionAction::kPurge);
          t.counts["intel_contributions"] += 1;
          ++t.purged;
          t.digests.push_back("intel_contributions/" + kind + "/" + id);
          if (dry) continue;
          GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                      .Execute("DELETE FROM intel_contributions WHERE tenant_id = "
                                               "? AND kind = ? AND object_id = ?",
                                               {tenant, kind, id})
                                      .status());
        }
        return static_cast<int>(rows.size());
      });
}

json::object ClassReportJson(const RetentionClassReport& c) {
  json::object o;
  o["data_class"] = DataClassName(c.data_class);
  o["outcome"] = c.outcome;
  o["redacted"] = c.redacted;
  o["purged"] = c.purged;
  o["batches"] = c.batches;
  o["condition_errors"] = c.condition_errors;
  o["kept_referenced"] = c.kept_referenced;
  if (!c.note.empty()) o["note"] = c.note;
  return o;
}

std::string OutcomeOf(const TenantRetentionReport& r) {
  if (r.held) return "held";
  if (r.rules_source == "none") return "no_rules";
  return "done";
}

Status RecordSweep(store::Store& store, const TenantRetentionReport& report, TimePoint started,
                   TimePoint finished) {
  return store.Transact([&](store::Txn& txn) -> Status {
    return txn.sql()
        .Execute(
            "INSERT INTO retention_runs (tenant_id, sweep_id, started_at, finished_at, "
            "dry_run, outcome, rules_hash, report_json) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
            {report.tenant.value(), NewUniqueId("ret_"), Micros(started), Micros(finished),
             OutcomeOf(report), report.rules_hash, RetentionReportToJson(report)})
        .status();
  });
}

Status RequireReason(std::string_view reason) {
  bool blank = std::all_of(reason.begin(), reason.end(), [](char c) { return c == ' '; });
  if (reason.empty() || blank) return InvalidArgument("a reason is required");
  return Status::Ok();
}

std::string ClassColumn(std::optional<DataClass> data_class) {
  return data_class ? std::string(DataClassName(*data_class)) : std::string(kAllClasses);
}

}  // namespace

std::string RetentionReportToJson(const TenantRetentionReport& report) {
  json::object o;
  o["tenant"] = report.tenant.value();
  o["held"] = report.held;
  if (report.held) o["hold_reason"] = report.hold_reason;
  o["rules_source"] = report.rules_source;
  o["rules_hash"] = report.rules_hash;
  json::array classes;
  for (const RetentionClassReport& c : report.classes) classes.push_back(ClassReportJson(c));
  o["classes"] = std::move(classes);
  return json::serialize(o);
}

Result<TenantRetentionReport> RunRetentionForTenant(store::Store& store, const Clock& clock,
                                                    const TenantScope& scope,
                                                    const RetentionOptions& options) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  if (options.batch_size < 1) return InvalidArgument("batch_size must be at least 1");
  const TimePoint started = clock.Now();
  TenantRetentionReport report;
  report.tenant = scope.tenant();

  std::shared_ptr<const RetentionRules> rules = options.rules;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
    GOVFLOW_RETURN_IF_ERROR(txn.GetTenant(scope.tenant()).status());
    GOVFLOW_ASSIGN_OR_RETURN(std::optional<std::string> hold,
                             ActiveHoldReason(txn, scope.tenant(), std::nullopt));
    if (rules) {
      report.rules_source = "options";
    } else {
      GOVFLOW_ASSIGN_OR_RETURN(std::optional<TenantRetentionRules> stored,
                               LoadTenantRetentionRules(txn, scope));
      if (stored) {
        rules = stored->rules;
        report.rules_source = stored->source;
      } else {
        report.rules_source = "none";
      }
    }
    GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
    // A hold on the whole tenant: only '*' holds count here (ActiveHoldReason with no class
    // matches exactly those).
    if (hold) {
      report.held = true;
      report.hold_reason = *hold;
    }
  }
  if (rules) report.rules_hash = rules->content_hash;

  // Cases before history (a run is kept while a case refers to it, so purging due cases first
  // frees their runs in the same sweep), and audit last (every other purge appends to it).
  constexpr DataClass kSweepOrder[] = {DataClass::kPayloadBodies, DataClass::kExceptionCases,
                                       DataClass::kRunHistory, DataClass::kAudit,
                                       DataClass::kMetrics};
  for (DataClass c : kSweepOrder) {
    RetentionClassReport cr;
    cr.data_class = c;
    if (report.held) {
      cr.outcome = "held";
      report.classes.push_back(std::move(cr));
      continue;
    }
    if (!rules || rules->For(c).empty()) {
      cr.outcome = "no_rule";
      report.classes.push_back(std::move(cr));
      continue;
    }
    ClassSweep sweep(store, scope, *rules, options, started, c, cr);
    GOVFLOW_RETURN_IF_ERROR(sweep.Run());
    cr.outcome = cr.note.starts_with("legal hold") ? "held" : "done";
    report.classes.push_back(std::move(cr));
  }

  if (!options.dry_run) {
    GOVFLOW_RETURN_IF_ERROR(RecordSweep(store, report, started, clock.Now()));
  }
  return report;
}

Result<RetentionReport> RunRetention(store::Store& store, const Clock& clock,
                                     const RetentionOptions& options) {
  RetentionReport report;
  report.started_at = clock.Now();
  report.dry_run = options.dry_run;
  std::vector<store::Tenant> tenants;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(tenants, txn.ListTenants());
    GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
  }
  for (const store::Tenant& t : tenants) {
    TenantScope scope = TenantScope::ForSystem(t.id, "retention");
    Result<TenantRetentionReport> r = RunRetentionForTenant(store, clock, scope, options);
    if (r.ok()) {
      report.tenants.push_back(std::move(*r));
    } else {
      report.failures.emplace_back(t.id, r.status());
    }
  }
  return report;
}

// ---- Legal holds -------------------------------------------------------------------------------

Result<LegalHold> PlaceLegalHold(store::Txn& txn, const TenantScope& scope,
                                 std::optional<DataClass> data_class, std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  GOVFLOW_RETURN_IF_ERROR(RequireReason(reason));
  GOVFLOW_RETURN_IF_ERROR(txn.GetTenant(scope.tenant()).status());
  const std::string cls = ClassColumn(data_class);
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows existing, txn.sql().Query("SELECT hold_id FROM retention_legal_holds WHERE tenant_id = "
                                     "? AND data_class = ? AND released_at IS NULL",
                                     {scope.tenant().value(), cls}));
  if (!existing.empty()) {
    return AlreadyExists("tenant " + scope.tenant().value() + " already has a legal hold on " +
                         cls + " (" + existing[0].Text(0) + ")");
  }
  LegalHold hold;
  hold.tenant = scope.tenant();
  hold.hold_id = NewUniqueId("hold_");
  hold.data_class = data_class;
  hold.reason = std::string(reason);
  hold.placed_by = scope.actor().id;
  hold.placed_at = txn.Now();
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO retention_legal_holds (tenant_id, hold_id, data_class, reason, "
                   "placed_by, placed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   {hold.tenant.value(), hold.hold_id, cls, hold.reason, hold.placed_by,
                    Micros(hold.placed_at)})
          .status());
  json::object details;
  details["hold_id"] = hold.hold_id;
  details["data_class"] = cls;
  AuditRecord record;
  record.actor = scope.actor().id;
  record.action = "retention.hold";
  record.object_type = "legal_hold";
  record.object_id = hold.hold_id;
  record.reason = hold.reason;
  record.details_json = json::serialize(details);
  GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, scope.tenant(), record).status());
  return hold;
}

Status ReleaseLegalHold(store::Txn& txn, const TenantScope& scope,
                        std::optional<DataClass> data_class, std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  GOVFLOW_RETURN_IF_ERROR(RequireReason(reason));
  const std::string cls = ClassColumn(data_class);
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows existing, txn.sql().Query("SELECT hold_id FROM retention_legal_holds WHERE tenant_id = "
                                     "? AND data_class = ? AND released_at IS NULL",
                                     {scope.tenant().value(), cls}));
  if (existing.empty()) {
    return NotFound("tenant " + scope.tenant().value() + " has no active legal hold on " + cls);
  }
  const std::string hold_id = existing[0].Text(0);
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t n, txn.sql().Execute("UPDATE retention_legal_holds SET released_by = ?, "
                                   "released_at = ?, release_reason = ? WHERE tenant_id = ? AND "
                                   "hold_id = ? AND released_at IS NULL",
                                   {scope.actor().id, Micros(txn.Now()), std::string(reason),
                                    scope.tenant().value(), hold_id}));
  if (n != 1) return Status(StatusCode::kAborted, "legal hold changed concurrently");
  json::object details;
  details["hold_id"] = hold_id;
  details["data_class"] = cls;
  AuditRecord record;
  record.actor = scope.actor().id;
  record.action = "retention.release";
  record.object_type = "legal_hold";
  record.object_id = hold_id;
  record.reason = std::string(reason);
  record.details_json = json::serialize(details);
  return AppendAudit(txn, scope.tenant(), record).status();
}

Result<std::vector<LegalHold>> ListLegalHolds(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT hold_id, data_class, reason, placed_by, placed_at FROM "
                                 "retention_legal_holds WHERE tenant_id = ? AND released_at IS "
                                 "NULL ORDER BY placed_at, hold_id",
                                 {scope.tenant().value()}));
  std::vector<LegalHold> out;
  for (const auto& row : rows) {
    LegalHold h;
    h.tenant = scope.tenant();
    h.hold_id = row.Text(0);
    if (row.Text(1) != kAllClasses) h.data_class = ParseDataClass(row.Text(1));
    h.reason = row.Text(2);
    h.placed_by = row.Text(3);
    h.placed_at = TimePoint(std::chrono::microseconds(row.Int(4)));
    out.push_back(std::move(h));
  }
  return out;
}

// ---- A tenant's rules --------------------------------------------------------------------------

Status SetTenantRetentionRules(store::Txn& txn, const TenantScope& scope, std::string_view yaml,
                               std::string_view file_name, std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  GOVFLOW_RETURN_IF_ERROR(RequireReason(reason));
  GOVFLOW_ASSIGN_OR_RETURN(RetentionRules rules, ParseRetentionRules(yaml, file_name));
  GOVFLOW_RETURN_IF_ERROR(txn.GetTenant(scope.tenant()).status());
  GOVFLOW_ASSIGN_OR_RETURN(Rows before,
                           txn.sql().Query("SELECT content_hash FROM retention_rules WHERE "
                                           "tenant_id = ?",
                                           {scope.tenant().value()}));
  const Params params = {std::string(file_name), std::string(yaml), rules.content_hash,
                         scope.actor().id,       Micros(txn.Now()), scope.tenant().value()};
  if (before.empty()) {
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("INSERT INTO retention_rules (file_name, source_yaml, "
                                         "content_hash, set_by, set_at, tenant_id) VALUES (?, ?, "
                                         "?, ?, ?, ?)",
                                         params)
                                .status());
  } else {
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("UPDATE retention_rules SET file_name = ?, source_yaml = "
                                         "?, content_hash = ?, set_by = ?, set_at = ? WHERE "
                                         "tenant_id = ?",
                                         params)
                                .status());
  }
  json::object details;
  details["rules"] = static_cast<int64_t>(rules.rules.size());
  details["file_name"] = std::string(file_name);
  AuditRecord record;
  record.actor = scope.actor().id;
  record.action = "retention.rules.set";
  record.object_type = "retention_rules";
  record.object_id = scope.tenant().value();
  record.reason = std::string(reason);
  record.before_digest = before.empty() ? "" : before[0].Text(0);
  record.after_digest = rules.content_hash;
  record.details_json = json::serialize(details);
  return AppendAudit(txn, scope.tenant(), record).status();
}

Result<std::optional<TenantRetentionRules>> LoadTenantRetentionRules(store::Txn& txn,
                                                                     const TenantScope& scope) {
  namespace docs = documents;
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  using Out = std::optional<TenantRetentionRules>;
  // The governed document first: what prod runs is what the tenant agreed to.
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<docs::DocumentVersion> documents,
                           docs::ListDocuments(txn, scope, docs::DocumentKind::kRetention));
  std::vector<docs::DocumentVersion> active;
  for (const docs::DocumentVersion& d : documents) {
    GOVFLOW_ASSIGN_OR_RETURN(
        std::optional<docs::DocumentVersion> v,
        docs::ActiveVersion(txn, scope, {docs::DocumentKind::kRetention, d.name},
                            docs::Environment::kProd));
    if (v) active.push_back(std::move(*v));
  }
  if (active.size() > 1) {
    std::string names;
    for (const auto& v : active) names += (names.empty() ? "" : ", ") + v.name;
    return FailedPrecondition("tenant " + scope.tenant().value() +
                              " runs several retention documents in prod (" + names +
                              "); retention needs exactly one");
  }
  if (active.size() == 1) {
    const docs::DocumentVersion& v = active.front();
    GOVFLOW_ASSIGN_OR_RETURN(
        std::string yaml,
        docs::EffectiveYaml(txn, scope, {docs::DocumentKind::kRetention, v.name}, v.version));
    const std::string source = "document " + v.name + "@" + std::to_string(v.version);
    GOVFLOW_ASSIGN_OR_RETURN(RetentionRules rules, ParseRetentionRules(yaml, source));
    return Out(
        TenantRetentionRules{std::make_shared<const RetentionRules>(std::move(rules)), source});
  }
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows,
                           txn.sql().Query("SELECT file_name, source_yaml FROM retention_rules "
                                           "WHERE tenant_id = ?",
                                           {scope.tenant().value()}));
  if (rows.empty()) return Out();
  GOVFLOW_ASSIGN_OR_RETURN(RetentionRules rules,
                           ParseRetentionRules(rows[0].Text(1), rows[0].Text(0)));
  return Out(
      TenantRetentionRules{std::make_shared<const RetentionRules>(std::move(rules)), "tenant"});
}

Result<RetentionStatus> GetRetentionStatus(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kRetentionManage));
  RetentionStatus status;
  status.tenant = scope.tenant();
  GOVFLOW_ASSIGN_OR_RETURN(status.holds, ListLegalHolds(txn, scope));
  // Savepoint: on PostgreSQL a failed lookup statement would poison the transaction.
  GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("retention_status_rules"));
  Result<std::optional<TenantRetentionRules>> rules = LoadTenantRetentionRules(txn, scope);
  if (rules.ok()) {
    GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("retention_status_rules"));
    status.rules_source = *rules ? (*rules)->source : "none";
    if (*rules) status.rules_hash = (*rules)->rules->content_hash;
  } else {
    GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("retention_status_rules"));
    GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("retention_status_rules"));
    status.rules_source = "unusable: " + rules.status().message();
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows last, txn.sql().Query("SELECT started_at, outcome, report_json FROM retention_runs "
                                 "WHERE tenant_id = ? ORDER BY started_at DESC, sweep_id DESC "
                                 "LIMIT 1",
                                 {scope.tenant().value()}));
  if (!last.empty()) {
    status.last_run_at = TimePoint(std::chrono::microseconds(last[0].Int(0)));
    status.last_outcome = last[0].Text(1);
    status.last_report_json = last[0].Text(2);
  }
  return status;
}

}  // namespace govflow::governance
