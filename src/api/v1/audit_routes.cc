// The audit trail: search (filters, cursor), verify the chain, and export the filtered trail as
// CSV or JSON lines.
#include <charconv>

#include "api/v1/route_support.h"
#include "governance/audit.h"
#include "governance/audit_verify.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

// The filters of GET .../audit (and of its export) from the query; an error names the field.
Result<governance::AuditQuery> ParseAuditQuery(const HttpRequest& request, std::string* field) {
  governance::AuditQuery query;
  if (auto v = request.QueryParam("object_type")) query.object_type = std::string(*v);
  if (auto v = request.QueryParam("object_id")) query.object_id = std::string(*v);
  if (auto v = request.QueryParam("actor")) query.actor = std::string(*v);
  if (auto v = request.QueryParam("action")) query.action_prefix = std::string(*v);
  for (std::string_view name : {std::string_view("from"), std::string_view("to")}) {
    if (auto v = request.QueryParam(name); v && !v->empty()) {
      std::optional<TimePoint> t = ParseTime(*v);
      if (!t) {
        *field = std::string(name);
        return Status(StatusCode::kInvalidArgument, "an RFC 3339 UTC time (2026-11-28T05:43:36Z)");
      }
      (name == "from" ? query.from : query.to) = *t;
    }
  }
  if (query.from && query.to && *query.to <= *query.from) {
    *field = "to";
    return Status(StatusCode::kInvalidArgument, "must be later than from");
  }
  if (auto cursor = request.QueryParam("cursor"); cursor && !cursor->empty()) {
    int64_t after = 0;
    auto [ptr, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), after);
    if (ec != std::errc() || ptr != cursor->data() + cursor->size() || after < 0) {
      *field = "cursor";
      return Status(StatusCode::kInvalidArgument, "next_cursor of the previous page");
    }
    query.after_seq = after;
  }
  return query;
}

json::object AuditEventJson(const governance::AuditEvent& e) {
  return json::object{
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
      {"prev_hash", e.prev_hash},
      {"hash", e.hash},
  };
}

HttpResponse ListAudit(Services& s, const Context& ctx) {
  std::string field;
  Result<governance::AuditQuery> query = ParseAuditQuery(ctx.request, &field);
  if (!query.ok()) return FieldProblem(field, query.status().message());
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  query->limit = *limit;
  std::vector<governance::AuditEvent> events;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(events, governance::ListAuditEvents(txn, *ctx.scope, *query));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const governance::AuditEvent& e : events) items.emplace_back(AuditEventJson(e));
  const std::string next = static_cast<int>(events.size()) == query->limit && !events.empty()
                               ? std::to_string(events.back().seq)
                               : std::string();
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

// Most events one export returns; a longer trail is exported in several ranges (from/to), or
// with `govflow audit export` (signed, for offline verification).
constexpr int kExportMaxEvents = 50'000;

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The filtered trail as a file: CSV (one row per event, details as JSON) or JSON lines (the
// list's event objects). Not signed: the auditor's verifiable copy is `govflow audit export`.
HttpResponse ExportAudit(Services& s, const Context& ctx) {
  std::string field;
  Result<governance::AuditQuery> query = ParseAuditQuery(ctx.request, &field);
  if (!query.ok()) return FieldProblem(field, query.status().message());
  const std::string format(ctx.request.QueryParam("format").value_or("csv"));
  if (format != "csv" && format != "jsonl") return FieldProblem("format", "csv or jsonl");
  std::vector<governance::AuditEvent> events;
  bool truncated = false;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    events.clear();
    governance::AuditQuery page = *query;
    page.limit = 5000;
    while (true) {
      GOVFLOW_ASSIGN_OR_RETURN(std::vector<governance::AuditEvent> batch,
                               governance::ListAuditEvents(txn, *ctx.scope, page));
      for (auto& e : batch) {
        if (static_cast<int>(events.size()) == kExportMaxEvents) {
          truncated = true;
          return Status::Ok();
        }
        events.push_back(std::move(e));
      }
      if (static_cast<int>(batch.size()) < page.limit) return Status::Ok();
      page.after_seq = events.back().seq;
    }
  });
  if (!status.ok()) return FromStatus(status);
  std::string body;
  if (format == "csv") {
    body =
        "seq,at,actor,action,object_type,object_id,reason,before_digest,after_digest,details,"
        "prev_hash,hash\r\n";
    for (const governance::AuditEvent& e : events) {
      for (const std::string& f :
           {std::to_string(e.seq), FormatTime(e.at), e.record.actor, e.record.action,
            e.record.object_type, e.record.object_id, e.record.reason, e.record.before_digest,
            e.record.after_digest, e.record.details_json.empty() ? "{}" : e.record.details_json,
            e.prev_hash}) {
        body += CsvField(f);
        body += ',';
      }
      body += CsvField(e.hash) + "\r\n";
    }
  } else {
    for (const governance::AuditEvent& e : events) {
      body += json::serialize(AuditEventJson(e));
      body += '\n';
    }
  }
  const std::string name = "audit-" + ctx.scope->tenant().value() + "." + format;
  HttpResponse r{200, {}, std::move(body)};
  r.WithHeader("Content-Type",
               format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8")
      .WithHeader("Content-Disposition", "attachment; filename=\"" + name + "\"")
      .WithHeader("Cache-Control", "no-store")
      .WithHeader("X-Govflow-Export-Truncated", truncated ? "true" : "false");
  return r;
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
      {{"GET", "/api/v1/tenants/{tenant}/audit/export", Access::kTenant,
        governance::perm::kAuditExport,
        "the filtered audit trail as a CSV or JSON lines file (unsigned; at most 50,000 events)"},
       &ExportAudit},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
