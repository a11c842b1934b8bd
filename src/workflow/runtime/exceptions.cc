#include "workflow/runtime/exceptions.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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

Status RetryException(store::Store& store, const TenantId& tenant, const ExceptionCaseId& id) {
  return store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(tenant, id));
    if (c.state != store::ExceptionState::kOpen) {
      return FailedPrecondition("exception " + id.value() + " is " +
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
    store::RunUpdate update;
    update.state = store::RunState::kPending;
    update.current_step = c.step.empty() ? run.current_step : c.step;
    update.context_json = rc.ToJson();
    update.next_wake_at = txn.Now();
    GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(tenant, run.id, run.version, update).status());
    GOVFLOW_RETURN_IF_ERROR(txn.SetExceptionCaseState(tenant, id, store::ExceptionState::kOpen,
                                                      store::ExceptionState::kRetrying));
    store::RunEvent e;
    e.tenant = tenant;
    e.run = run.id;
    e.kind = "retry";
    e.step = update.current_step;
    e.attempt = rc.attempt;
    e.payload_json = json::serialize(json::object{{"exception", id.value()}});
    return txn.AppendRunEvent(e).status();
  });
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
