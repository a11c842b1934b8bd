// Runs: list and a run with its history.
#include "api/v1/route_support.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

json::object RunJson(const store::Run& r) {
  return json::object{{"id", r.id.value()},
                      {"workflow", r.workflow_name},
                      {"workflow_version", r.workflow_version},
                      {"state", store::RunStateName(r.state)},
                      {"current_step", r.current_step},
                      {"next_wake_at", OptionalTime(r.next_wake_at)},
                      {"created_at", FormatTime(r.created_at)},
                      {"updated_at", FormatTime(r.updated_at)}};
}

HttpResponse ListRuns(Services& s, const Context& ctx) {
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  std::optional<store::RunState> state;
  if (auto text = ctx.request.QueryParam("state")) {
    for (auto s :
         {store::RunState::kPending, store::RunState::kRunning, store::RunState::kWaiting,
          store::RunState::kSucceeded, store::RunState::kFailed, store::RunState::kCancelled}) {
      if (store::RunStateName(s) == *text) state = s;
    }
    if (!state) {
      return FieldProblem("state",
                          "one of pending, running, waiting, succeeded, failed, cancelled");
    }
  }
  std::vector<store::Run> runs;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(runs, txn.ListRuns(ctx.scope->tenant(), state, *limit));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const store::Run& r : runs) items.emplace_back(RunJson(r));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

HttpResponse GetRun(Services& s, const Context& ctx) {
  const RunId id{std::string(ctx.request.Param("id"))};
  std::optional<store::Run> run;
  std::vector<store::RunEvent> events;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(ctx.scope->tenant(), id));
    GOVFLOW_ASSIGN_OR_RETURN(events, txn.ListRunEvents(ctx.scope->tenant(), id));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "id");
  json::object out = RunJson(*run);
  out["input"] = ParseOr(run->input_json, json::object());
  out["context"] = ParseOr(run->context_json, json::object());
  json::array history;
  for (const store::RunEvent& e : events) {
    history.emplace_back(json::object{{"seq", e.seq},
                                      {"kind", e.kind},
                                      {"step", e.step},
                                      {"attempt", e.attempt},
                                      {"payload", ParseOr(e.payload_json, json::object())},
                                      {"at", FormatTime(e.at)}});
  }
  out["history"] = std::move(history);
  return JsonResponse(200, out);
}

}  // namespace

std::span<const Route> RunRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/runs", Access::kTenant, governance::perm::kRunsRead,
        "runs, oldest first"},
       &ListRuns},
      {{"GET", "/api/v1/tenants/{tenant}/runs/{id}", Access::kTenant, governance::perm::kRunsRead,
        "one run with its input, context and history"},
       &GetRun},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
