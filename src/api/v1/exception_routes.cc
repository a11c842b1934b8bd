// The exceptions inbox: list, groups, a case, its payload, edit-and-retry, bulk actions.
#include "api/v1/route_support.h"
#include "governance/exceptions/cases.h"
#include "workflow/runtime/exceptions.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

json::object OutcomeJson(const governance::exceptions::BulkOutcome& outcome) {
  json::array done;
  for (const ExceptionCaseId& id : outcome.done) done.emplace_back(id.value());
  json::array skipped;
  for (const auto& [id, status] : outcome.skipped) {
    skipped.emplace_back(json::object{{"id", id.value()}, {"reason", status.message()}});
  }
  return json::object{{"done", std::move(done)}, {"skipped", std::move(skipped)}};
}

HttpResponse ListExceptions(Services& s, const Context& ctx) {
  namespace ex = governance::exceptions;
  ex::CaseFilter filter;
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  filter.limit = *limit;
  if (auto cursor = ctx.request.QueryParam("cursor")) filter.cursor = std::string(*cursor);
  if (auto team = ctx.request.QueryParam("team")) filter.team = std::string(*team);
  if (auto assignee = ctx.request.QueryParam("assignee")) filter.assignee = std::string(*assignee);
  if (auto root = ctx.request.QueryParam("root_cause")) filter.root_cause_key = std::string(*root);
  if (auto q = ctx.request.QueryParam("q")) {
    if (q->size() > 200) return FieldProblem("q", "at most 200 characters");
    filter.text = std::string(*q);
  }
  if (auto risk = ctx.request.QueryParam("sla_risk")) {
    filter.sla_risk = ex::ParseSlaRisk(*risk);
    if (!filter.sla_risk) return FieldProblem("sla_risk", "one of breached, at_risk, ok, closed");
  }
  // The total is counted up to kCountLimit (one index step per case); above it the answer says
  // "more than" (total_capped) rather than walk a whole huge backlog for a page.
  constexpr int64_t kCountLimit = 10'000;
  filter.count_limit = kCountLimit;
  if (auto count = ctx.request.QueryParam("count")) {
    if (*count != "true" && *count != "false") return FieldProblem("count", "true or false");
    if (*count == "false") filter.count_limit = 0;
  }
  if (auto severity = ctx.request.QueryParam("severity")) {
    if (*severity != "P1" && *severity != "P2" && *severity != "P3" && *severity != "P4") {
      return FieldProblem("severity", "one of P1, P2, P3, P4");
    }
    filter.severity = std::string(*severity);
  }
  if (auto state = ctx.request.QueryParam("state")) {
    if (*state == "unresolved") {
      filter.unresolved_only = true;
    } else {
      filter.state = ex::ParseCaseState(*state);
      if (!filter.state) {
        return FieldProblem("state", "one of open, acknowledged, retrying, resolved, unresolved");
      }
    }
  }
  if (auto sort = ctx.request.QueryParam("sort")) {
    if (*sort == "sla_risk")
      filter.sort = ex::CaseSort::kSlaRisk;
    else if (*sort == "business_impact")
      filter.sort = ex::CaseSort::kBusinessImpact;
    else if (*sort == "oldest")
      filter.sort = ex::CaseSort::kOldest;
    else
      return FieldProblem("sort", "one of sla_risk, business_impact, oldest");
  }
  Result<ex::CasePage> page = ex::ListCases(s.store, *ctx.scope, filter);
  if (!page.ok()) {
    const bool bad_cursor = page.status().code() == StatusCode::kInvalidArgument;
    return FromStatus(page.status(), bad_cursor ? "cursor" : "");
  }
  json::array items;
  for (const ex::CaseView& c : page->cases) {
    items.emplace_back(json::object{
        {"id", c.exception.id.value()},
        {"run_id", c.exception.run.value()},
        {"step", c.exception.step},
        {"error_class", c.exception.error_class},
        {"message", c.exception.message},
        {"state", ex::CaseStateName(c.state)},
        {"process", c.process},
        {"category", c.category},
        {"root_cause_key", c.root_cause_key},
        {"severity", c.severity},
        {"owner_team", c.owner_team},
        {"assignee", c.assignee},
        {"sla_risk", ex::SlaRiskName(c.sla_risk)},
        {"next_due_at", OptionalTime(c.next_due_at)},
        {"order_value_minor", c.order_value_minor},
        {"currency", c.currency},
        {"created_at", FormatTime(c.exception.created_at)},
        {"updated_at", FormatTime(c.exception.updated_at)},
    });
  }
  json::object out{{"items", std::move(items)}, {"next_cursor", page->next_cursor}};
  if (page->total) {
    out["total"] = *page->total;
    out["total_capped"] = page->total_capped;
  }
  return JsonResponse(200, std::move(out));
}

namespace gx = governance::exceptions;
namespace rt = workflow::runtime;

HttpResponse GetException(Services& s, const Context& ctx) {
  const ExceptionCaseId id{std::string(ctx.request.Param("id"))};
  Result<gx::CaseView> view = gx::GetCase(s.store, *ctx.scope, id);
  if (!view.ok()) return FromStatus(view.status(), "id");
  Result<rt::ExceptionDetail> detail = rt::ShowException(s.store, ctx.scope->tenant(), id);
  if (!detail.ok()) return FromStatus(detail.status(), "id");
  Result<std::vector<gx::PayloadEdit>> edits = gx::ListPayloadEdits(s.store, *ctx.scope, id);
  if (!edits.ok()) return FromStatus(edits.status(), "id");
  json::value out = ParseOr(gx::CaseViewToJson(*view, /*with_payload=*/true), json::object());
  if (!out.is_object()) return Problem(500).Detail("internal error").ToResponse();
  json::array history;
  for (const store::RunEvent& e : detail->history) {
    history.emplace_back(json::object{{"seq", e.seq},
                                      {"kind", e.kind},
                                      {"step", e.step},
                                      {"attempt", e.attempt},
                                      {"payload", ParseOr(e.payload_json, json::object())},
                                      {"at", FormatTime(e.at)}});
  }
  json::array edit_list;
  for (const gx::PayloadEdit& e : *edits) {
    edit_list.emplace_back(json::object{{"seq", e.seq},
                                        {"actor", e.actor},
                                        {"diff", ParseOr(e.diff_json, json::array())},
                                        {"before_digest", e.before_digest},
                                        {"after_digest", e.after_digest},
                                        {"at", FormatTime(e.at)}});
  }
  out.as_object()["history"] = std::move(history);
  out.as_object()["edits"] = std::move(edit_list);
  return JsonResponse(200, out);
}

HttpResponse GetExceptionPayload(Services& s, const Context& ctx) {
  const ExceptionCaseId id{std::string(ctx.request.Param("id"))};
  Result<std::string> payload = rt::EditablePayload(s.store, *ctx.scope, id);
  if (!payload.ok()) return FromStatus(payload.status(), "id");
  return JsonResponse(200, ParseOr(*payload, json::object()));
}

HttpResponse EditAndRetryException(Services& s, const Context& ctx) {
  const ExceptionCaseId id{std::string(ctx.request.Param("id"))};
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  const json::value* patch = body->if_contains("patch");
  if (patch == nullptr || !patch->is_array() || patch->as_array().empty()) {
    return FieldProblem("patch", "required: a non-empty JSON Patch (RFC 6902) array");
  }
  Result<std::string> comment = OptionalString(*body, "comment");
  if (!comment.ok()) return FieldProblem("comment", comment.status().message());
  Result<gx::BulkOutcome> outcome =
      rt::EditAndRetryException(s.store, *ctx.scope, id, json::serialize(*patch), *comment);
  if (!outcome.ok()) {
    const StatusCode code = outcome.status().code();
    return FromStatus(outcome.status(), code == StatusCode::kInvalidArgument ? "patch"
                                        : code == StatusCode::kNotFound      ? "id"
                                                                             : "");
  }
  return JsonResponse(200, OutcomeJson(*outcome));
}

HttpResponse ExceptionActions(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> action = OptionalString(*body, "action");
  if (!action.ok() || action->empty()) {
    return FieldProblem("action",
                        "required: one of acknowledge, assign, retry, resolve, skip, cancel");
  }
  static constexpr std::string_view kTextFields[4] = {"comment", "reason", "team", "assignee"};
  std::string text[4];
  for (int i = 0; i < 4; ++i) {
    Result<std::string> v = OptionalString(*body, kTextFields[i]);
    if (!v.ok()) return FieldProblem(kTextFields[i], v.status().message());
    text[i] = std::move(*v);
  }
  // "comment" and "reason" are one note; each action takes whichever was given.
  const std::string& comment = text[0].empty() ? text[1] : text[0];
  const std::string& reason = text[1].empty() ? text[0] : text[1];
  const json::value* ids_value = body->if_contains("ids");
  Result<std::string> group = OptionalString(*body, "group");
  if (!group.ok()) return FieldProblem("group", group.status().message());
  if ((ids_value != nullptr) == !group->empty()) {
    return FieldProblem("ids", "give either \"ids\" (an array of case ids) or \"group\"");
  }
  static constexpr std::string_view kActions[] = {"acknowledge", "assign", "retry",
                                                  "resolve",     "skip",   "cancel"};
  if (std::find(std::begin(kActions), std::end(kActions), *action) == std::end(kActions)) {
    return FieldProblem("action", "one of acknowledge, assign, retry, resolve, skip, cancel");
  }
  if (*action == "assign" && text[2].empty() && text[3].empty()) {
    return FieldProblem("team", "assign needs \"team\" and/or \"assignee\"");
  }
  if ((*action == "resolve" || *action == "skip" || *action == "cancel") && reason.empty()) {
    return FieldProblem("reason", *action + " needs a reason");
  }
  std::vector<ExceptionCaseId> ids;
  if (ids_value != nullptr) {
    if (!ids_value->is_array() || ids_value->as_array().empty()) {
      return FieldProblem("ids", "must be a non-empty array of case ids");
    }
    for (const json::value& v : ids_value->as_array()) {
      if (!v.is_string() || v.as_string().empty()) {
        return FieldProblem("ids", "must be a non-empty array of case ids");
      }
      ids.emplace_back(std::string(v.as_string()));
    }
  } else {
    Result<std::vector<ExceptionCaseId>> members =
        gx::GroupMembers(s.store, *ctx.scope, *group, /*unresolved_only=*/true);
    if (!members.ok()) return FromStatus(members.status(), "group");
    if (members->empty()) return FieldProblem("group", "no unresolved cases in this group", 404);
    ids = std::move(*members);
  }
  Result<gx::BulkOutcome> outcome = gx::BulkOutcome{};
  if (*action == "acknowledge") {
    outcome = gx::Acknowledge(s.store, *ctx.scope, ids, comment);
  } else if (*action == "assign") {
    outcome = gx::Assign(s.store, *ctx.scope, ids, text[2], text[3], comment);
  } else if (*action == "retry") {
    outcome = rt::RetryExceptions(s.store, *ctx.scope, ids, comment);
  } else if (*action == "resolve") {
    outcome = gx::Resolve(s.store, *ctx.scope, ids, reason);
  } else if (*action == "skip") {
    outcome = rt::SkipExceptionSteps(s.store, *ctx.scope, ids, reason);
  } else {
    outcome = rt::CancelExceptionRuns(s.store, *ctx.scope, ids, reason);
  }
  if (!outcome.ok()) {
    return FromStatus(outcome.status(),
                      outcome.status().code() == StatusCode::kNotFound ? "ids" : "");
  }
  return JsonResponse(200, OutcomeJson(*outcome));
}

HttpResponse ListExceptionGroups(Services& s, const Context& ctx) {
  gx::GroupFilter filter;
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  filter.limit = *limit;
  if (auto team = ctx.request.QueryParam("team")) filter.team = std::string(*team);
  if (auto unresolved = ctx.request.QueryParam("unresolved_only")) {
    if (*unresolved != "true" && *unresolved != "false") {
      return FieldProblem("unresolved_only", "true or false");
    }
    filter.unresolved_only = *unresolved == "true";
  }
  Result<std::vector<gx::GroupView>> groups = gx::ListGroups(s.store, *ctx.scope, filter);
  if (!groups.ok()) return FromStatus(groups.status());
  json::array items;
  for (const gx::GroupView& g : *groups) {
    items.emplace_back(ParseOr(gx::GroupViewToJson(g), json::object()));
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

}  // namespace

std::span<const Route> ExceptionRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/exceptions", Access::kTenant,
        governance::perm::kExceptionsRead, "the exceptions inbox, one page"},
       &ListExceptions},
      {{"GET", "/api/v1/tenants/{tenant}/exceptions/{id}", Access::kTenant,
        governance::perm::kExceptionsRead,
        "one exception case with its payload, the run's history and the payload edits"},
       &GetException},
      {{"GET", "/api/v1/tenants/{tenant}/exceptions/{id}/payload", Access::kTenant,
        governance::perm::kExceptionsRead, "the editable payload of a case ({input, steps})"},
       &GetExceptionPayload},
      {{"POST", "/api/v1/tenants/{tenant}/exceptions/{id}/edit-and-retry", Access::kTenant,
        governance::perm::kExceptionsAct,
        "apply a JSON Patch to the case's payload and retry its run (the diff is kept)"},
       &EditAndRetryException},
      {{"POST", "/api/v1/tenants/{tenant}/exceptions/actions", Access::kTenant,
        governance::perm::kExceptionsAct,
        "acknowledge, assign, retry, resolve, skip or cancel cases (by ids or root-cause group)"},
       &ExceptionActions},
      {{"GET", "/api/v1/tenants/{tenant}/exception-groups", Access::kTenant,
        governance::perm::kExceptionsRead, "exception cases grouped by root cause"},
       &ListExceptionGroups},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
