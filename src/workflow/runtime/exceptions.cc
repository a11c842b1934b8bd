#include "workflow/runtime/exceptions.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <memory>

#include "base/canonical_json.h"
#include "governance/exceptions/json_patch.h"
#include "workflow/definition.h"
#include "workflow/loader.h"
#include "workflow/runtime/run_state.h"

namespace govflow::workflow::runtime {
namespace json = boost::json;
namespace {

json::value ParseOr(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return json::value(text);
  return v;
}

json::object CaseObject(const store::ExceptionCase& c) {
  json::object o;
  o["id"] = c.id.value();
  o["tenant"] = c.tenant.value();
  o["run"] = c.run.value();
  o["step"] = c.step;
  o["error_class"] = c.error_class;
  o["message"] = c.message;
  o["state"] = store::ExceptionStateName(c.state);
  o["created_at_us"] = ToMicros(c.created_at);
  o["updated_at_us"] = ToMicros(c.updated_at);
  o["payload"] = ParseOr(c.payload_json);
  return o;
}

namespace gx = governance::exceptions;

json::value EditableOf(const store::Run& run) {
  boost::system::error_code ec;
  json::value input = json::parse(run.input_json, ec);
  if (ec) input = json::value(run.input_json);
  json::object steps;
  ec.clear();
  json::value ctx = json::parse(run.context_json, ec);
  if (!ec && ctx.is_object()) {
    if (const json::value* st = ctx.as_object().if_contains("steps"); st && st->is_object()) {
      for (const auto& [name, entry] : st->get_object()) {
        if (entry.is_object() && entry.get_object().contains("output")) {
          steps[name] = entry.get_object().at("output");
        }
      }
    }
  }
  return json::object{{"input", std::move(input)}, {"steps", std::move(steps)}};
}

// Makes `run` due now at `step` with context `rc` (optionally with a new input), case open ->
// retrying, and records the run event `kind`.
Status ResumeRun(store::Txn& txn, const TenantId& tenant, const store::Run& run, RunContext rc,
                 const std::string& step, const store::ExceptionCase& c, const char* kind,
                 const std::string* new_input) {
  store::Run current = run;
  if (new_input != nullptr) {
    // An edited payload is the one case where a run's input changes, guarded by the run's
    // version like UpdateRun (which then moves it on).
    GOVFLOW_RETURN_IF_ERROR(txn.ReplaceRunInput(tenant, run.id, run.version, *new_input));
  }
  store::RunUpdate update;
  update.state = store::RunState::kPending;
  update.current_step = step;
  update.context_json = rc.ToJson();
  update.next_wake_at = txn.Now();
  update.release_lease = true;
  GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(tenant, current.id, current.version, update).status());
  GOVFLOW_RETURN_IF_ERROR(txn.SetExceptionCaseState(tenant, c.id, store::ExceptionState::kOpen,
                                                    store::ExceptionState::kRetrying));
  store::RunEvent e;
  e.tenant = tenant;
  e.run = run.id;
  e.kind = kind;
  e.step = step;
  e.attempt = rc.attempt;
  e.payload_json = json::serialize(json::object{{"exception", c.id.value()}});
  return txn.AppendRunEvent(e).status();
}

}  // namespace

Result<std::vector<store::ExceptionCase>> ListExceptions(store::Store& store,
                                                         const TenantId& tenant,
                                                         std::optional<store::ExceptionState> state,
                                                         int limit) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  return txn.ListExceptionCases(tenant, state, limit);
}

Result<ExceptionDetail> ShowException(store::Store& store, const TenantId& tenant,
                                      const ExceptionCaseId& id) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  ExceptionDetail d;
  GOVFLOW_ASSIGN_OR_RETURN(d.exception, txn.GetExceptionCase(tenant, id));
  GOVFLOW_ASSIGN_OR_RETURN(d.run, txn.GetRun(tenant, d.exception.run));
  GOVFLOW_ASSIGN_OR_RETURN(d.history, txn.ListRunEvents(tenant, d.exception.run));
  return d;
}

namespace {

// Resets the run of open case `c` to its failed step and makes it due now; case open -> retrying.
Status RetryRunInTxn(store::Txn& txn, const TenantId& tenant, const store::ExceptionCase& c,
                     const std::string* new_input) {
  if (c.state != store::ExceptionState::kOpen) {
    return FailedPrecondition("exception " + c.id.value() + " is " +
                              std::string(store::ExceptionStateName(c.state)) + ", not open");
  }
  GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(tenant, c.run));
  if (run.state != store::RunState::kFailed) {
    return FailedPrecondition("run " + run.id.value() + " is " +
                              std::string(store::RunStateName(run.state)) + ", not failed");
  }
  GOVFLOW_ASSIGN_OR_RETURN(RunContext rc, RunContext::FromJson(run.context_json));
  rc.attempt += 1;
  rc.wait_until_us = 0;
  rc.attempt_base = 0;
  GOVFLOW_ASSIGN_OR_RETURN(auto effects, txn.ListEffectsForRun(tenant, run.id));
  for (const store::Effect& e : effects) {
    if (e.step == c.step) rc.attempt_base = e.attempts;
  }
  return ResumeRun(txn, tenant, run, std::move(rc), c.step.empty() ? run.current_step : c.step, c,
                   "retry", new_input);
}

}  // namespace

Status RetryException(store::Store& store, const TenantId& tenant, const ExceptionCaseId& id) {
  return store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(tenant, id));
    return RetryRunInTxn(txn, tenant, c, nullptr);
  });
}

Result<gx::BulkOutcome> RetryExceptions(store::Store& store, const governance::TenantScope& scope,
                                        const std::vector<ExceptionCaseId>& ids,
                                        std::string_view comment) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kExceptionsAct));
  gx::BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        outcome, gx::ForEachCase(txn, ids, [&](const ExceptionCaseId& id) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(gx::CaseView c, gx::LoadCase(txn, scope, id));
          GOVFLOW_RETURN_IF_ERROR(RetryRunInTxn(txn, scope.tenant(), c.exception, nullptr));
          GOVFLOW_RETURN_IF_ERROR(gx::MarkAcknowledged(txn, scope, c));
          json::object d{{"step", c.exception.step},
                         {"idempotency_key",
                          IdempotencyKey(scope.tenant(), c.exception.run, c.exception.step)}};
          return gx::AuditCaseAction(txn, scope, c, "retry", comment, json::serialize(d));
        }));
    return Status::Ok();
  }));
  return outcome;
}

Result<std::string> EditablePayload(store::Store& store, const governance::TenantScope& scope,
                                    const ExceptionCaseId& id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kExceptionsRead));
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(scope.tenant(), id));
  GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(scope.tenant(), c.run));
  return json::serialize(EditableOf(run));
}

Result<gx::BulkOutcome> EditAndRetryException(store::Store& store,
                                              const governance::TenantScope& scope,
                                              const ExceptionCaseId& id,
                                              std::string_view patch_json,
                                              std::string_view comment) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kExceptionsAct));
  boost::system::error_code ec;
  json::value patch = json::parse(patch_json, ec);
  if (ec) return InvalidArgument("the patch is not JSON: " + ec.message());
  if (!patch.is_array()) return InvalidArgument("the patch must be a JSON Patch array");
  for (const json::value& op : patch.as_array()) {
    const json::value* path = op.is_object() ? op.as_object().if_contains("path") : nullptr;
    if (path == nullptr || !path->is_string() ||
        !(path->get_string().starts_with("/input/") || path->get_string() == "/input" ||
          path->get_string().starts_with("/steps/"))) {
      return InvalidArgument("patch paths must be under /input or /steps");
    }
  }
  gx::BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    outcome = {};
    GOVFLOW_ASSIGN_OR_RETURN(gx::CaseView c, gx::LoadCase(txn, scope, id));
    GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(scope.tenant(), c.exception.run));
    const json::value before = EditableOf(run);
    GOVFLOW_ASSIGN_OR_RETURN(json::value after, gx::ApplyJsonPatch(before, patch));
    json::array diff = gx::DiffJson(before, after);
    if (diff.empty()) return InvalidArgument("the patch changes nothing");
    const std::string before_digest = Sha256Hex(CanonicalJson(before));
    const std::string after_digest = Sha256Hex(CanonicalJson(after));
    // The run resumes from the edited input and step outputs.
    const std::string new_input = json::serialize(after.as_object().at("input"));
    GOVFLOW_ASSIGN_OR_RETURN(RunContext rc, RunContext::FromJson(run.context_json));
    const json::value& steps = after.as_object().at("steps");
    if (steps.is_object()) {
      json::object merged = rc.steps.is_object() ? rc.steps.get_object() : json::object();
      for (const auto& [name, output] : steps.get_object())
        merged[name] = json::object{{"output", output}};
      for (auto it = merged.begin(); it != merged.end();) {
        if (!steps.get_object().contains(it->key()))
          it = merged.erase(it);
        else
          ++it;
      }
      rc.steps = std::move(merged);
    }
    store::ExceptionCase with_steps = c.exception;
    GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(scope.tenant(), run.id, run.version,
                                          [&] {
                                            store::RunUpdate u;
                                            u.state = run.state;
                                            u.current_step = run.current_step;
                                            u.context_json = rc.ToJson();
                                            u.next_wake_at = run.next_wake_at;
                                            return u;
                                          }())
                                .status());
    GOVFLOW_RETURN_IF_ERROR(RetryRunInTxn(txn, scope.tenant(), with_steps, &new_input));
    GOVFLOW_RETURN_IF_ERROR(gx::MarkAcknowledged(txn, scope, c));
    GOVFLOW_ASSIGN_OR_RETURN(
        int64_t seq,
        gx::RecordPayloadEdit(txn, scope, id, json::serialize(diff), before_digest, after_digest));
    json::array paths;
    for (const json::value& op : diff) paths.push_back(op.as_object().at("path"));
    json::object d{{"edit", seq}, {"paths", std::move(paths)}, {"step", c.exception.step}};
    GOVFLOW_RETURN_IF_ERROR(gx::AuditCaseAction(txn, scope, c, "edit_and_retry", comment,
                                                json::serialize(d), before_digest, after_digest));
    outcome.done.push_back(id);
    return Status::Ok();
  }));
  return outcome;
}

Result<gx::BulkOutcome> SkipExceptionSteps(store::Store& store,
                                           const governance::TenantScope& scope,
                                           const std::vector<ExceptionCaseId>& ids,
                                           std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kExceptionsAct));
  if (reason.empty()) return InvalidArgument("skip needs a reason");
  std::map<std::pair<std::string, int64_t>, std::shared_ptr<const WorkflowDefinition>> defs;
  gx::BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        outcome, gx::ForEachCase(txn, ids, [&](const ExceptionCaseId& id) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(gx::CaseView c, gx::LoadCase(txn, scope, id));
          if (c.exception.state != store::ExceptionState::kOpen) {
            return FailedPrecondition("exception " + id.value() + " is " +
                                      std::string(gx::CaseStateName(c.state)) + ", not open");
          }
          GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(scope.tenant(), c.exception.run));
          if (run.state != store::RunState::kFailed) {
            return FailedPrecondition("run " + run.id.value() + " is " +
                                      std::string(store::RunStateName(run.state)) + ", not failed");
          }
          auto key = std::make_pair(run.workflow_name, run.workflow_version);
          if (!defs.contains(key)) {
            GOVFLOW_ASSIGN_OR_RETURN(
                store::WorkflowVersion wv,
                txn.GetWorkflowVersion(scope.tenant(), run.workflow_name, run.workflow_version));
            GOVFLOW_ASSIGN_OR_RETURN(defs[key], LoadWorkflow(wv.source_yaml, run.workflow_name));
          }
          const WorkflowDefinition& def = *defs[key];
          const int index = def.FindStep(c.exception.step);
          if (index < 0) {
            return FailedPrecondition("step '" + c.exception.step + "' is not in " +
                                      run.workflow_name + " version " +
                                      std::to_string(run.workflow_version));
          }
          const int next = def.step(index).next_index;
          GOVFLOW_ASSIGN_OR_RETURN(RunContext rc, RunContext::FromJson(run.context_json));
          rc.wait_until_us = 0;
          rc.attempt_base = 0;
          rc.call_started_us = 0;
          store::RunUpdate u;
          u.release_lease = true;
          u.context_json = rc.ToJson();
          std::string to;
          if (next == kEndOfRun) {
            u.state = store::RunState::kSucceeded;
            to = "";
          } else {
            u.state = store::RunState::kPending;
            to = def.step(next).name;
            u.next_wake_at = txn.Now();
          }
          u.current_step = to;
          GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(scope.tenant(), run.id, run.version, u).status());
          store::RunEvent e;
          e.tenant = scope.tenant();
          e.run = run.id;
          e.kind = "skip";
          e.step = c.exception.step;
          e.attempt = rc.attempt;
          e.payload_json = json::serialize(
              json::object{{"exception", id.value()}, {"to", to.empty() ? "end" : to}});
          GOVFLOW_RETURN_IF_ERROR(txn.AppendRunEvent(e).status());
          GOVFLOW_RETURN_IF_ERROR(gx::MarkAcknowledged(txn, scope, c));
          GOVFLOW_RETURN_IF_ERROR(gx::MarkClosed(txn, scope, c, "skipped", reason));
          json::object d{{"step", c.exception.step}, {"next", to.empty() ? "end" : to}};
          return gx::AuditCaseAction(txn, scope, c, "skip", reason, json::serialize(d));
        }));
    return Status::Ok();
  }));
  if (!outcome.done.empty()) (void)store.NotifyWork();
  return outcome;
}

Result<gx::BulkOutcome> CancelExceptionRuns(store::Store& store,
                                            const governance::TenantScope& scope,
                                            const std::vector<ExceptionCaseId>& ids,
                                            std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kExceptionsAct));
  if (reason.empty()) return InvalidArgument("cancel needs a reason");
  gx::BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        outcome, gx::ForEachCase(txn, ids, [&](const ExceptionCaseId& id) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(gx::CaseView c, gx::LoadCase(txn, scope, id));
          if (c.exception.state != store::ExceptionState::kOpen) {
            return FailedPrecondition("exception " + id.value() + " is " +
                                      std::string(gx::CaseStateName(c.state)) + ", not open");
          }
          GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(scope.tenant(), c.exception.run));
          if (run.state != store::RunState::kFailed) {
            return FailedPrecondition("run " + run.id.value() + " is " +
                                      std::string(store::RunStateName(run.state)) + ", not failed");
          }
          store::RunUpdate u;
          u.state = store::RunState::kCancelled;
          u.current_step = run.current_step;
          u.context_json = run.context_json;
          u.release_lease = true;
          GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(scope.tenant(), run.id, run.version, u).status());
          store::RunEvent e;
          e.tenant = scope.tenant();
          e.run = run.id;
          e.kind = "transition";
          e.step = c.exception.step;
          e.payload_json =
              json::serialize(json::object{{"to", "cancelled"}, {"exception", id.value()}});
          GOVFLOW_RETURN_IF_ERROR(txn.AppendRunEvent(e).status());
          GOVFLOW_RETURN_IF_ERROR(gx::MarkAcknowledged(txn, scope, c));
          GOVFLOW_RETURN_IF_ERROR(gx::MarkClosed(txn, scope, c, "cancelled", reason));
          return gx::AuditCaseAction(txn, scope, c, "cancel", reason,
                                     json::serialize(json::object{{"step", c.exception.step}}));
        }));
    return Status::Ok();
  }));
  return outcome;
}

std::string ExceptionCaseToJson(const store::ExceptionCase& c) {
  return json::serialize(CaseObject(c));
}

std::string ExceptionDetailToJson(const ExceptionDetail& d) {
  json::object o;
  o["exception"] = CaseObject(d.exception);
  json::object run;
  run["id"] = d.run.id.value();
  run["workflow"] = d.run.workflow_name;
  run["version"] = d.run.workflow_version;
  run["state"] = store::RunStateName(d.run.state);
  run["current_step"] = d.run.current_step;
  o["run"] = std::move(run);
  json::array history;
  for (const store::RunEvent& e : d.history) {
    json::object h;
    h["seq"] = e.seq;
    h["kind"] = e.kind;
    h["step"] = e.step;
    h["attempt"] = e.attempt;
    h["at_us"] = ToMicros(e.at);
    h["payload"] = ParseOr(e.payload_json);
    history.push_back(std::move(h));
  }
  o["history"] = std::move(history);
  return json::serialize(o);
}

}  // namespace govflow::workflow::runtime
