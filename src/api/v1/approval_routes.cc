// The approvals inbox: list, a task, a decision.
#include "api/v1/route_support.h"
#include "governance/approvals.h"
#include "governance/price_changes.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

json::object ApprovalJson(const governance::ApprovalTask& t) {
  json::array roles;
  for (const std::string& r : t.request.required_roles) roles.emplace_back(r);
  json::array decisions;
  for (const governance::ApprovalDecision& d : t.decisions) {
    decisions.emplace_back(json::object{{"actor", d.actor},
                                        {"approve", d.approve},
                                        {"comment", d.comment},
                                        {"at", FormatTime(d.at)},
                                        {"on_behalf_of", d.on_behalf_of}});
  }
  return json::object{
      {"id", t.id},
      {"subject_type", t.request.subject_type},
      {"subject_id", t.request.subject_id},
      {"title", t.request.title},
      {"state", governance::ApprovalStateName(t.state)},
      {"required_roles", std::move(roles)},
      {"quorum", t.request.quorum},
      {"approvals", t.approvals()},
      {"requested_by", t.request.requested_by},
      {"rule", t.request.rule},
      {"changes",
       ParseOr(t.request.changes_json.empty() ? "{}" : t.request.changes_json, json::object())},
      {"expires_at", OptionalTime(t.request.expires_at)},
      {"decisions", std::move(decisions)},
      {"created_at", FormatTime(t.created_at)},
      {"updated_at", FormatTime(t.updated_at)},
  };
}

HttpResponse ListApprovals(Services& s, const Context& ctx) {
  governance::ApprovalFilter filter;
  Result<int> limit = ParseLimit(ctx.request, 50, 500);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  filter.limit = *limit;
  if (auto state = ctx.request.QueryParam("state")) {
    for (auto s : {governance::ApprovalState::kPending, governance::ApprovalState::kApproved,
                   governance::ApprovalState::kRejected, governance::ApprovalState::kExpired,
                   governance::ApprovalState::kCancelled}) {
      if (governance::ApprovalStateName(s) == *state) filter.state = s;
    }
    if (!filter.state) {
      return FieldProblem("state", "one of pending, approved, rejected, expired, cancelled");
    }
  }
  if (auto type = ctx.request.QueryParam("subject_type")) filter.subject_type = std::string(*type);
  if (auto mine = ctx.request.QueryParam("decidable_by_me")) {
    if (*mine != "true" && *mine != "false")
      return FieldProblem("decidable_by_me", "true or false");
    filter.decidable_by_me = *mine == "true";
  }
  const std::string cursor(ctx.request.QueryParam("cursor").value_or(""));
  std::optional<governance::ApprovalPage> page;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(page, governance::ListApprovals(txn, *ctx.scope, filter, cursor));
    return Status::Ok();
  });
  if (!status.ok()) {
    return FromStatus(status, status.code() == StatusCode::kInvalidArgument ? "cursor" : "");
  }
  json::array items;
  for (const governance::ApprovalTask& t : page->tasks) items.emplace_back(ApprovalJson(t));
  return JsonResponse(
      200, json::object{{"items", std::move(items)}, {"next_cursor", page->next_cursor}});
}

HttpResponse GetApproval(Services& s, const Context& ctx) {
  const std::string id(ctx.request.Param("id"));
  std::optional<governance::ApprovalTask> task;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(task, governance::GetApproval(txn, *ctx.scope, id));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "id");
  return JsonResponse(200, ApprovalJson(*task));
}

HttpResponse DecideApproval(Services& s, const Context& ctx) {
  const std::string id(ctx.request.Param("id"));
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  const json::value* approve = body->if_contains("approve");
  if (approve == nullptr || !approve->is_bool()) return FieldProblem("approve", "true or false");
  Result<std::string> comment = OptionalString(*body, "comment");
  if (!comment.ok()) return FieldProblem("comment", comment.status().message());
  if (comment->empty()) return FieldProblem("comment", "required: say why");
  std::optional<governance::ApprovalTask> task;
  bool own_request = false;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(governance::ApprovalTask current,
                             governance::GetApproval(txn, *ctx.scope, id));
    own_request = current.request.requested_by == "user:" + ctx.principal->user_id;
    GOVFLOW_ASSIGN_OR_RETURN(
        task, governance::DecideApproval(txn, *ctx.scope, id, approve->as_bool(), *comment));
    // A decided price change is released (or rejected) in the decision's own transaction, so
    // the console shows the outcome at once rather than after the serve loop's next sweep.
    if (task->request.subject_type == "price_change") {
      GOVFLOW_RETURN_IF_ERROR(
          governance::ApplyPriceApprovalOutcome(txn, ctx.scope->tenant(), *task).status());
    }
    return Status::Ok();
  });
  if (!status.ok()) {
    if (own_request && status.code() == StatusCode::kPermissionDenied) {
      return Problem(403)
          .Type("urn:govflow:problem:own-request")
          .Detail("you cannot decide your own request: another person must approve or reject it")
          .InvalidParam("id", "requested by you")
          .ToResponse();
    }
    return FromStatus(status, status.code() == StatusCode::kNotFound ? "id" : "");
  }
  return JsonResponse(200, ApprovalJson(*task));
}

}  // namespace

std::span<const Route> ApprovalRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/approvals", Access::kTenant,
        governance::perm::kApprovalsRead, "the approvals inbox, one page"},
       &ListApprovals},
      {{"GET", "/api/v1/tenants/{tenant}/approvals/{id}", Access::kTenant,
        governance::perm::kApprovalsRead, "one approval task with its request and decisions"},
       &GetApproval},
      {{"POST", "/api/v1/tenants/{tenant}/approvals/{id}/decision", Access::kTenant,
        governance::perm::kApprovalsDecide, "approve or reject an approval task, with a comment"},
       &DecideApproval},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
