// The audit trail: search and verify.
#include <charconv>

#include "api/v1/route_support.h"
#include "governance/audit.h"
#include "governance/audit_verify.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

HttpResponse ListAudit(Services& s, const Context& ctx) {
  governance::AuditQuery query;
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  query.limit = *limit;
  if (auto v = ctx.request.QueryParam("object_type")) query.object_type = std::string(*v);
  if (auto v = ctx.request.QueryParam("object_id")) query.object_id = std::string(*v);
  if (auto v = ctx.request.QueryParam("actor")) query.actor = std::string(*v);
  if (auto v = ctx.request.QueryParam("action")) query.action_prefix = std::string(*v);
  for (std::string_view name : {std::string_view("from"), std::string_view("to")}) {
    if (auto v = ctx.request.QueryParam(name)) {
      std::optional<TimePoint> t = ParseTime(*v);
      if (!t) return FieldProblem(name, "an RFC 3339 UTC time (2026-11-28T05:43:36Z)");
      (name == "from" ? query.from : query.to) = *t;
    }
  }
  if (auto cursor = ctx.request.QueryParam("cursor"); cursor && !cursor->empty()) {
    int64_t after = 0;
    auto [ptr, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), after);
    if (ec != std::errc() || ptr != cursor->data() + cursor->size() || after < 0) {
      return FieldProblem("cursor", "next_cursor of the previous page");
    }
    query.after_seq = after;
  }
  std::vector<governance::AuditEvent> events;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(events, governance::ListAuditEvents(txn, *ctx.scope, query));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const governance::AuditEvent& e : events) {
    items.emplace_back(json::object{
        {"seq", e.seq},
        {"at", FormatTime(e.at)},
        {"actor", e.record.actor},
        {"action", e.record.action},
        {"object_type", e.record.object_type},
        {"object_id", e.record.object_id},
        {"reason", e.record.reason},
        {"before_digest", e.record.before_digest},
        {"after_digest", e.record.after_digest},
        {"details",
         ParseOr(e.record.details_json.empty() ? "{}" : e.record.details_json, json::object())},
        {"hash", e.hash},
    });
  }
  const std::string next = static_cast<int>(events.size()) == query.limit && !events.empty()
                               ? std::to_string(events.back().seq)
                               : std::string();
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

HttpResponse VerifyAudit(Services& s, const Context& ctx) {
  Result<governance::AuditVerification> report =
      governance::VerifyAuditChain(s.store, ctx.scope->tenant(), s.options.audit_public_key);
  if (!report.ok()) return FromStatus(report.status());
  return JsonResponse(200, json::object{{"ok", report->ok()},
                                        {"fault", governance::AuditFaultName(report->fault)},
                                        {"seq", report->seq},
                                        {"message", report->message},
                                        {"first_seq", report->first_seq},
                                        {"last_seq", report->last_seq},
                                        {"events", report->events},
                                        {"checkpoints", report->checkpoints},
                                        {"summary", report->Summary()}});
}

}  // namespace

std::span<const Route> AuditRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/audit", Access::kTenant, governance::perm::kAuditRead,
        "the tenant's audit trail, oldest first, filtered"},
       &ListAudit},
      {{"POST", "/api/v1/tenants/{tenant}/audit/verify", Access::kTenant,
        governance::perm::kAuditRead, "verify the tenant's audit chain as stored"},
       &VerifyAudit},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
