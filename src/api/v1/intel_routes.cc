// Dashboards: the partner portfolio (every tenant the caller may read metrics of, with its
// health) and a tenant's overview (src/intel reads the rollup tables; docs/intel.md).
#include <cmath>

#include "api/v1/route_support.h"
#include "intel/metrics_query.h"
#include "intel/rollup.h"
#include "intel/sku_categories.h"

namespace govflow::api::v1 {

namespace json = boost::json;

namespace {

json::value Rate(const std::optional<double>& v) {
  if (!v) return nullptr;
  return std::round(*v * 10000.0) / 10000.0;  // 4 decimals: 0.0125 = 1.25%
}

json::value Millis(const std::optional<int64_t>& us) {
  if (!us) return nullptr;
  return static_cast<double>(*us) / 1000.0;
}

json::object TotalsJson(const intel::MetricTotals& m, std::chrono::seconds length) {
  return json::object{
      {"runs_started", m.runs_started},
      {"runs_succeeded", m.runs_succeeded},
      {"runs_failed", m.runs_failed},
      {"runs_cancelled", m.runs_cancelled},
      {"throughput_per_hour", std::round(m.ThroughputPerHour(length) * 100.0) / 100.0},
      {"failure_rate", Rate(m.FailureRate())},
      {"latency_p50_ms", Millis(m.LatencyPercentileUs(0.50))},
      {"latency_p95_ms", Millis(m.LatencyPercentileUs(0.95))},
      {"latency_avg_ms", m.latency_count > 0
                             ? json::value(static_cast<double>(m.latency_sum_us) /
                                           static_cast<double>(m.latency_count) / 1000.0)
                             : json::value(nullptr)},
      {"exceptions_opened", m.exceptions_opened},
      {"sla_met", m.sla_met},
      {"sla_breached", m.sla_breached},
      {"sla_attainment", Rate(m.SlaAttainment())},
      {"deliveries_accepted", m.deliveries_accepted},
      {"deliveries_rejected", m.deliveries_rejected},
      {"deliveries_duplicate", m.deliveries_duplicate},
  };
}

json::object SeverityJson(const std::map<std::string, int64_t>& open) {
  json::object o;
  for (const auto& [severity, n] : open) o[severity] = n;
  return o;
}

json::object WindowJson(const intel::Window& w) {
  return json::object{
      {"name", w.name}, {"seconds", w.length.count()}, {"step_seconds", w.step.count()}};
}

json::object HealthJson(const intel::HealthVerdict& h) {
  json::array reasons;
  for (const std::string& r : h.reasons) reasons.emplace_back(r);
  return json::object{{"status", intel::HealthName(h.status)}, {"reasons", std::move(reasons)}};
}

// ?window=1h|24h|7d (default 24h).
Result<intel::Window> WindowOf(const HttpRequest& request) {
  std::optional<std::string_view> text = request.QueryParam("window");
  return intel::ParseWindow(text ? *text : "24h");
}

HttpResponse Overview(Services& s, const Context& ctx) {
  Result<intel::Window> window = WindowOf(ctx.request);
  if (!window.ok()) return FieldProblem("window", window.status().message());
  // A read-only transaction: on SQLite it does not queue behind the engine's writers.
  Result<store::Txn> txn = s.store.Begin(store::sql::TxnMode::kReadOnly);
  if (!txn.ok()) return FromStatus(txn.status());
  Result<intel::Overview> overview = intel::ReadOverview(*txn, *ctx.scope, *window, s.clock.Now());
  if (!overview.ok()) return FromStatus(overview.status());
  const intel::Overview& o = *overview;
  json::array series;
  for (const intel::SeriesPoint& p : o.series) {
    const intel::MetricTotals& m = p.metrics;
    series.emplace_back(json::object{{"start", FormatTime(p.start)},
                                     {"runs_started", m.runs_started},
                                     {"runs_succeeded", m.runs_succeeded},
                                     {"runs_failed", m.runs_failed},
                                     {"latency_p95_ms", Millis(m.LatencyPercentileUs(0.95))},
                                     {"exceptions_opened", m.exceptions_opened},
                                     {"sla_met", m.sla_met},
                                     {"sla_breached", m.sla_breached}});
  }
  json::object breakdowns;
  for (const auto& [dim, rows] : o.breakdowns) {
    json::array items;
    for (const intel::BreakdownRow& r : rows) {
      json::object row = TotalsJson(r.metrics, o.window.length);
      row["value"] = r.value;
      row["open_exceptions"] = r.open_exceptions;
      items.emplace_back(std::move(row));
    }
    breakdowns[dim] = std::move(items);
  }
  json::object trends;
  for (const auto& [dim, values] : o.trends) {
    json::array items;
    for (const intel::Trend& t : values) {
      json::array points;
      for (int64_t n : t.runs_started) points.emplace_back(n);
      items.emplace_back(json::object{{"value", t.value}, {"runs_started", std::move(points)}});
    }
    trends[dim] = std::move(items);
  }
  return JsonResponse(
      200, json::object{{"tenant", ctx.scope->tenant().value()},
                        {"window", WindowJson(o.window)},
                        {"from", FormatTime(o.from)},
                        {"to", FormatTime(o.to)},
                        {"rolled_up_to", OptionalTime(o.rolled_up_to)},
                        {"totals", TotalsJson(o.totals, o.window.length)},
                        {"open_exceptions", SeverityJson(o.open_by_severity)},
                        {"health", HealthJson(intel::JudgeHealth(o.totals, o.open_by_severity))},
                        {"series", std::move(series)},
                        {"breakdowns", std::move(breakdowns)},
                        {"trends", std::move(trends)}});
}

// Every tenant the caller can see and may read metrics of (others are left out, not refused:
// a tenant's own user gets a portfolio of one).
HttpResponse Portfolio(Services& s, const Context& ctx) {
  Result<intel::Window> window = WindowOf(ctx.request);
  if (!window.ok()) return FieldProblem("window", window.status().message());
  Result<std::vector<TenantId>> visible = s.access.VisibleTenants(*ctx.principal);
  if (!visible.ok()) return FromStatus(visible.status());
  const TimePoint now = s.clock.Now();
  json::array tenants;
  json::object counts{{"ok", 0}, {"warning", 0}, {"critical", 0}};
  for (const TenantId& tenant : *visible) {
    Result<governance::TenantScope> scope =
        s.access.Authorize(*ctx.principal, tenant, governance::perm::kMetricsRead);
    if (!scope.ok()) {
      if (scope.status().code() == StatusCode::kPermissionDenied ||
          scope.status().code() == StatusCode::kNotFound) {
        continue;
      }
      return FromStatus(scope.status());
    }
    Result<store::Txn> txn = s.store.Begin(store::sql::TxnMode::kReadOnly);
    if (!txn.ok()) return FromStatus(txn.status());
    Result<intel::TenantHealth> health = intel::ReadTenantHealth(*txn, *scope, *window, now);
    if (!health.ok()) return FromStatus(health.status());
    json::array workflows;
    for (const intel::WorkflowInUse& w : health->workflows) {
      workflows.emplace_back(json::object{{"name", w.name}, {"version", w.version}});
    }
    json::array spark;
    for (int64_t n : health->runs_started_series) spark.emplace_back(n);
    const std::string_view status_name = intel::HealthName(health->health.status);
    counts[status_name] = counts[status_name].as_int64() + 1;
    tenants.emplace_back(json::object{{"id", tenant.value()},
                                      {"name", health->display_name},
                                      {"health", HealthJson(health->health)},
                                      {"totals", TotalsJson(health->totals, window->length)},
                                      {"open_exceptions", SeverityJson(health->open_by_severity)},
                                      {"workflows", std::move(workflows)},
                                      {"runs_started_series", std::move(spark)}});
  }
  return JsonResponse(200, json::object{{"window", WindowJson(*window)},
                                        {"to", FormatTime(now)},
                                        {"health_counts", std::move(counts)},
                                        {"tenants", std::move(tenants)}});
}

json::object BrandJson(const intel::ConnectionBrand& b) {
  return json::object{{"connection", b.connection.value()},
                      {"kind", b.kind},
                      {"label", b.label},
                      {"brand", b.brand}};
}

HttpResponse ListBrands(Services& s, const Context& ctx) {
  Result<store::Txn> txn = s.store.Begin(store::sql::TxnMode::kReadOnly);
  if (!txn.ok()) return FromStatus(txn.status());
  Result<std::vector<intel::ConnectionBrand>> brands =
      intel::ListConnectionBrands(*txn, *ctx.scope);
  if (!brands.ok()) return FromStatus(brands.status());
  json::array items;
  for (const intel::ConnectionBrand& b : *brands) items.emplace_back(BrandJson(b));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

// Body {"brand": "Harbor & Pine"}; "" removes the label. Audited (intel.brand_label).
HttpResponse PutBrand(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FromStatus(body.status(), "(body)");
  const json::value* brand = body->if_contains("brand");
  if (brand == nullptr || !brand->is_string()) {
    return FieldProblem("brand", "a string: the brand this connection sells (\"\" removes it)");
  }
  if (brand->as_string().size() > 80) return FieldProblem("brand", "at most 80 characters");
  const ConnectionId connection{std::string(ctx.request.Param("connection"))};
  std::optional<intel::ConnectionBrand> updated;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(
        intel::SetBrandLabel(txn, *ctx.scope, connection, std::string(brand->as_string())));
    GOVFLOW_ASSIGN_OR_RETURN(auto all, intel::ListConnectionBrands(txn, *ctx.scope));
    for (const intel::ConnectionBrand& b : all) {
      if (b.connection == connection) updated = b;
    }
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "connection");
  if (!updated) return FromStatus(NotFound("no such connection"), "connection");
  return JsonResponse(200, BrandJson(*updated));
}

// ?after=SKU&limit=N (SKU order; next_cursor = the last SKU of a full page).
HttpResponse ListSkuCategories(Services& s, const Context& ctx) {
  Result<int> limit = ParseLimit(ctx.request, 500, 5000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  const std::string after(ctx.request.QueryParam("cursor").value_or(""));
  Result<store::Txn> txn = s.store.Begin(store::sql::TxnMode::kReadOnly);
  if (!txn.ok()) return FromStatus(txn.status());
  Result<std::vector<intel::SkuCategory>> page =
      intel::ListSkuCategories(*txn, *ctx.scope, after, *limit);
  if (!page.ok()) return FromStatus(page.status());
  json::array items;
  for (const intel::SkuCategory& c : *page) {
    items.emplace_back(json::object{{"sku", c.sku}, {"category", c.category}});
  }
  const std::string next =
      static_cast<int>(page->size()) == *limit && !page->empty() ? page->back().sku : "";
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

// Body {"items": [{"sku": "...", "category": "..."}]}: sets categories ("" removes one).
// Audited (intel.sku_categories). Answers how many were set, removed and unchanged.
HttpResponse PutSkuCategories(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FromStatus(body.status(), "(body)");
  const json::value* items = body->if_contains("items");
  if (items == nullptr || !items->is_array()) {
    return FieldProblem("items", "an array of {\"sku\": string, \"category\": string}");
  }
  std::vector<intel::SkuCategory> entries;
  for (size_t i = 0; i < items->as_array().size(); ++i) {
    const json::value& v = items->as_array()[i];
    const std::string where = "items[" + std::to_string(i) + "]";
    if (!v.is_object()) return FieldProblem(where, "an object {\"sku\", \"category\"}");
    const json::value* sku = v.as_object().if_contains("sku");
    const json::value* category = v.as_object().if_contains("category");
    if (sku == nullptr || !sku->is_string()) return FieldProblem(where + ".sku", "a string");
    if (category == nullptr || !category->is_string()) {
      return FieldProblem(where + ".category", "a string (\"\" removes the SKU's category)");
    }
    if (category->as_string().size() > 80) {
      return FieldProblem(where + ".category", "at most 80 characters");
    }
    entries.push_back({std::string(sku->as_string()), std::string(category->as_string())});
  }
  intel::SkuCategoryChange change;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(change, intel::SetSkuCategories(txn, *ctx.scope, entries));
    return Status::Ok();
  });
  if (!status.ok()) {
    if (status.code() == StatusCode::kInvalidArgument) {
      // "items[3].sku: required" names its field before the colon.
      const std::string message(status.message());
      const size_t colon = message.find(": ");
      if (colon != std::string::npos) {
        return FieldProblem(message.substr(0, colon), message.substr(colon + 2));
      }
    }
    return FromStatus(status, "items");
  }
  return JsonResponse(
      200, json::object{
               {"set", change.set}, {"removed", change.removed}, {"unchanged", change.unchanged}});
}

}  // namespace

std::span<const Route> IntelRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/portfolio", Access::kAuthenticated, "",
        "every tenant the caller may read metrics of, with its health"},
       Portfolio},
      {{"GET", "/api/v1/tenants/{tenant}/metrics/overview", Access::kTenant,
        governance::perm::kMetricsRead,
        "a tenant's throughput, failure rate, latency, SLA attainment, open exceptions, trends"},
       Overview},
      {{"GET", "/api/v1/tenants/{tenant}/metrics/brands", Access::kTenant,
        governance::perm::kMetricsRead,
        "the tenant's connections and the brand each one's metrics carry"},
       ListBrands},
      {{"PUT", "/api/v1/tenants/{tenant}/metrics/brands/{connection}", Access::kTenant,
        governance::perm::kConnectionsManage, "label a storefront connection with its brand"},
       PutBrand},
      {{"GET", "/api/v1/tenants/{tenant}/metrics/sku-categories", Access::kTenant,
        governance::perm::kMetricsRead, "the tenant's SKU categories, by SKU"},
       ListSkuCategories},
      {{"PUT", "/api/v1/tenants/{tenant}/metrics/sku-categories", Access::kTenant,
        governance::perm::kConnectionsManage,
        "set the categories of SKUs (master data for the SKU-category breakdown)"},
       PutSkuCategories},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
