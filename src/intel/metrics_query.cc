#include "intel/metrics_query.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "intel/latency_histogram.h"

namespace govflow::intel {
namespace sql = store::sql;

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr size_t kTopTrendValues = 5;
constexpr size_t kMaxBreakdownRows = 25;

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

int64_t AlignDown(int64_t us, int64_t width) {
  int64_t b = us - us % width;
  if (us < 0 && us % width != 0) b -= width;
  return b;
}

// Which rollup resolution a window reads: minute rows up to a day, hour rows beyond.
int64_t SourceResolution(const Window& w) {
  return w.length <= std::chrono::hours(24) ? 60 : 3600;
}

struct Range {
  int64_t resolution;  // seconds
  int64_t step_us;
  int64_t from_us;  // first point's start
  int64_t to_us;    // now
  size_t points;
};

Range RangeOf(const Window& w, TimePoint now) {
  Range r;
  r.resolution = SourceResolution(w);
  r.step_us = w.step.count() * kMicrosPerSecond;
  r.points = static_cast<size_t>(w.length.count() / w.step.count());
  r.to_us = Micros(now);
  r.from_us = AlignDown(r.to_us, r.step_us) - static_cast<int64_t>(r.points - 1) * r.step_us;
  return r;
}

bool IsDimension(std::string_view d) {
  return std::find(std::begin(kDimensionNames), std::end(kDimensionNames), d) !=
         std::end(kDimensionNames);
}

using GroupKey = std::pair<std::string, int64_t>;  // (dimension value or "", point start or 0)

// Sums of the rollup rows (and latency bins) in `range`, grouped by `dimension` (a column from
// kDimensionNames, or "" for none) and, with `by_point`, by series point.
Result<std::map<GroupKey, MetricTotals>> Sum(store::Txn& txn, const TenantId& tenant,
                                             const Range& range, std::string_view dimension,
                                             bool by_point) {
  if (!dimension.empty() && !IsDimension(dimension)) {
    return InvalidArgument("unknown dimension " + std::string(dimension));
  }
  const std::string dim = dimension.empty() ? "''" : std::string(dimension);
  const std::string point =
      by_point ? "bucket_start - (bucket_start % " + std::to_string(range.step_us) + ")" : "0";
  std::string group;
  if (!dimension.empty() && by_point) {
    group = " GROUP BY 1, 2";
  } else if (!dimension.empty()) {
    group = " GROUP BY 1";
  } else if (by_point) {
    group = " GROUP BY 2";
  }
  const std::string where =
      " WHERE tenant_id = ? AND resolution = ? AND bucket_start >= ? AND bucket_start <= ?";
  const sql::Params params{tenant.value(), range.resolution, range.from_us, range.to_us};
  std::map<GroupKey, MetricTotals> out;
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query(
          "SELECT " + dim + ", " + point +
              ", CAST(SUM(runs_started) AS BIGINT), CAST(SUM(runs_succeeded) AS BIGINT), "
              "CAST(SUM(runs_failed) AS BIGINT), CAST(SUM(runs_cancelled) AS BIGINT), "
              "CAST(SUM(latency_count) AS BIGINT), CAST(SUM(latency_sum_us) AS BIGINT), "
              "CAST(SUM(exceptions_opened) AS BIGINT), CAST(SUM(sla_met) AS BIGINT), "
              "CAST(SUM(sla_breached) AS BIGINT), CAST(SUM(deliveries_accepted) AS BIGINT), "
              "CAST(SUM(deliveries_rejected) AS BIGINT), CAST(SUM(deliveries_duplicate) AS "
              "BIGINT) FROM intel_rollups" +
              where + group,
          params));
  for (const sql::Row& r : rows) {
    MetricTotals& m = out[{r.Text(0), r.Int(1)}];
    m.runs_started += r.Int(2);
    m.runs_succeeded += r.Int(3);
    m.runs_failed += r.Int(4);
    m.runs_cancelled += r.Int(5);
    m.latency_count += r.Int(6);
    m.latency_sum_us += r.Int(7);
    m.exceptions_opened += r.Int(8);
    m.sla_met += r.Int(9);
    m.sla_breached += r.Int(10);
    m.deliveries_accepted += r.Int(11);
    m.deliveries_rejected += r.Int(12);
    m.deliveries_duplicate += r.Int(13);
  }
  const std::string bin_group = group.empty() ? " GROUP BY 3" : group + ", 3";
  GOVFLOW_ASSIGN_OR_RETURN(sql::Rows bins,
                           txn.sql().Query("SELECT " + dim + ", " + point +
                                               ", bin, CAST(SUM(samples) AS BIGINT) FROM "
                                               "intel_latency_bins" +
                                               where + bin_group,
                                           params));
  for (const sql::Row& r : bins) {
    if (r.Int(3) == 0) continue;
    out[{r.Text(0), r.Int(1)}].latency_bins[static_cast<int>(r.Int(2))] += r.Int(3);
  }
  // An empty aggregate without GROUP BY still yields one row of NULLs: drop an all-zero total.
  return out;
}

Result<std::map<std::string, int64_t>> OpenExceptions(store::Txn& txn, const TenantId& tenant,
                                                      std::string_view column) {
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows, txn.sql().Query("SELECT " + std::string(column) +
                                          ", CAST(SUM(open_cases) AS BIGINT) FROM "
                                          "intel_open_exceptions WHERE tenant_id = ? GROUP BY 1",
                                      {tenant.value()}));
  std::map<std::string, int64_t> out;
  for (const sql::Row& r : rows) {
    if (r.Int(1) != 0) out[r.Text(0)] = r.Int(1);
  }
  return out;
}

Result<std::map<std::string, int64_t>> OpenBySeverity(store::Txn& txn, const TenantId& tenant) {
  GOVFLOW_ASSIGN_OR_RETURN(auto open, OpenExceptions(txn, tenant, "severity"));
  for (const char* s : {"P1", "P2", "P3", "P4"}) open.try_emplace(s, 0);
  return open;
}

std::vector<int64_t> StartedSeries(const std::map<GroupKey, MetricTotals>& by_point,
                                   const Range& range, const std::string& value) {
  std::vector<int64_t> out(range.points, 0);
  for (const auto& [key, m] : by_point) {
    if (key.first != value) continue;
    const int64_t i = (key.second - range.from_us) / range.step_us;
    if (i >= 0 && i < static_cast<int64_t>(range.points)) out[i] += m.runs_started;
  }
  return out;
}

std::string Percent(double v) {
  return std::to_string(static_cast<int>(std::lround(v * 1000)) / 10) + "." +
         std::to_string(static_cast<int>(std::lround(v * 1000)) % 10) + "%";
}

}  // namespace

Result<Window> ParseWindow(std::string_view text) {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  if (text == "1h") return Window{"1h", hours(1), minutes(1)};
  if (text == "24h") return Window{"24h", hours(24), minutes(15)};
  if (text == "7d") return Window{"7d", hours(24 * 7), hours(1)};
  return InvalidArgument("window must be one of 1h, 24h, 7d");
}

std::vector<std::string> WindowNames() {
  return {"1h", "24h", "7d"};
}

std::optional<double> MetricTotals::FailureRate() const {
  const int64_t finished = runs_succeeded + runs_failed;
  if (finished <= 0) return std::nullopt;
  return static_cast<double>(runs_failed) / static_cast<double>(finished);
}

std::optional<double> MetricTotals::SlaAttainment() const {
  const int64_t decided = sla_met + sla_breached;
  if (decided <= 0) return std::nullopt;
  return static_cast<double>(sla_met) / static_cast<double>(decided);
}

std::optional<int64_t> MetricTotals::LatencyPercentileUs(double q) const {
  return LatencyPercentile(latency_bins, q);
}

double MetricTotals::ThroughputPerHour(std::chrono::seconds length) const {
  if (length.count() <= 0) return 0;
  return static_cast<double>(runs_succeeded) * 3600.0 / static_cast<double>(length.count());
}

std::string_view HealthName(Health health) {
  switch (health) {
    case Health::kOk:
      return "ok";
    case Health::kWarning:
      return "warning";
    case Health::kCritical:
      return "critical";
  }
  return "ok";
}

HealthVerdict JudgeHealth(const MetricTotals& m,
                          const std::map<std::string, int64_t>& open_by_severity) {
  HealthVerdict v;
  std::vector<std::string> critical, warning;
  auto open = [&](const char* s) {
    auto it = open_by_severity.find(s);
    return it == open_by_severity.end() ? int64_t{0} : it->second;
  };
  if (open("P1") > 0) critical.push_back(std::to_string(open("P1")) + " open P1 exception(s)");
  if (open("P2") > 0) warning.push_back(std::to_string(open("P2")) + " open P2 exception(s)");
  if (m.runs_succeeded + m.runs_failed >= 10) {
    const double rate = *m.FailureRate();
    if (rate >= 0.10) {
      critical.push_back("failure rate " + Percent(rate) + " (>= 10%)");
    } else if (rate >= 0.02) {
      warning.push_back("failure rate " + Percent(rate) + " (>= 2%)");
    }
  }
  if (m.sla_met + m.sla_breached >= 5) {
    const double attained = *m.SlaAttainment();
    if (attained < 0.80) {
      critical.push_back("SLA attainment " + Percent(attained) + " (< 80%)");
    } else if (attained < 0.95) {
      warning.push_back("SLA attainment " + Percent(attained) + " (< 95%)");
    }
  }
  v.status = !critical.empty()  ? Health::kCritical
             : !warning.empty() ? Health::kWarning
                                : Health::kOk;
  v.reasons = std::move(critical);
  v.reasons.insert(v.reasons.end(), warning.begin(), warning.end());
  return v;
}

Result<Overview> ReadOverview(store::Txn& txn, const governance::TenantScope& scope,
                              const Window& window, TimePoint now) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kMetricsRead));
  const TenantId& tenant = scope.tenant();
  const Range range = RangeOf(window, now);
  Overview o;
  o.window = window;
  o.from = TimePoint(std::chrono::microseconds(range.from_us));
  o.to = now;
  GOVFLOW_ASSIGN_OR_RETURN(auto totals, Sum(txn, tenant, range, "", false));
  if (!totals.empty()) o.totals = totals.begin()->second;
  GOVFLOW_ASSIGN_OR_RETURN(auto points, Sum(txn, tenant, range, "", true));
  for (size_t i = 0; i < range.points; ++i) {
    const int64_t start = range.from_us + static_cast<int64_t>(i) * range.step_us;
    SeriesPoint p{TimePoint(std::chrono::microseconds(start)), {}};
    if (auto it = points.find({"", start}); it != points.end()) p.metrics = it->second;
    o.series.push_back(std::move(p));
  }
  GOVFLOW_ASSIGN_OR_RETURN(o.open_by_severity, OpenBySeverity(txn, tenant));
  for (std::string_view dim : kDimensionNames) {
    const std::string d(dim);
    GOVFLOW_ASSIGN_OR_RETURN(auto by_value, Sum(txn, tenant, range, d, false));
    GOVFLOW_ASSIGN_OR_RETURN(auto open, OpenExceptions(txn, tenant, d));
    std::vector<BreakdownRow> rows;
    std::set<std::string> seen;
    for (const auto& [key, m] : by_value) {
      // Rows holding only deliveries (process "-") are not a process, brand, ... of runs.
      if (m.runs_started == 0 && m.exceptions_opened == 0 && !open.contains(key.first)) continue;
      seen.insert(key.first);
      rows.push_back({key.first, m, open.contains(key.first) ? open[key.first] : 0});
    }
    for (const auto& [value, n] : open) {
      if (!seen.contains(value)) rows.push_back({value, {}, n});
    }
    std::sort(rows.begin(), rows.end(), [](const BreakdownRow& a, const BreakdownRow& b) {
      if (a.metrics.runs_started != b.metrics.runs_started) {
        return a.metrics.runs_started > b.metrics.runs_started;
      }
      return a.value < b.value;
    });
    if (rows.size() > kMaxBreakdownRows) rows.resize(kMaxBreakdownRows);
    if (dim != "process") {
      GOVFLOW_ASSIGN_OR_RETURN(auto by_point, Sum(txn, tenant, range, d, true));
      std::vector<Trend> trends;
      for (const BreakdownRow& row : rows) {
        if (trends.size() == kTopTrendValues || row.metrics.runs_started == 0) break;
        trends.push_back({row.value, StartedSeries(by_point, range, row.value)});
      }
      o.trends[d] = std::move(trends);
    }
    o.breakdowns[d] = std::move(rows);
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows wm, txn.sql().Query("SELECT watermark FROM intel_watermarks WHERE tenant_id = ? "
                                    "AND source = 'runs'",
                                    {tenant.value()}));
  if (!wm.empty()) o.rolled_up_to = TimePoint(std::chrono::microseconds(wm[0].Int(0)));
  return o;
}

Result<TenantHealth> ReadTenantHealth(store::Txn& txn, const governance::TenantScope& scope,
                                      const Window& window, TimePoint now) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kMetricsRead));
  const TenantId& tenant = scope.tenant();
  const Range range = RangeOf(window, now);
  TenantHealth t;
  t.tenant = tenant;
  GOVFLOW_ASSIGN_OR_RETURN(store::Tenant record, txn.GetTenant(tenant));
  t.display_name = record.display_name;
  GOVFLOW_ASSIGN_OR_RETURN(auto totals, Sum(txn, tenant, range, "", false));
  if (!totals.empty()) t.totals = totals.begin()->second;
  GOVFLOW_ASSIGN_OR_RETURN(auto points, Sum(txn, tenant, range, "", true));
  t.runs_started_series = StartedSeries(points, range, "");
  GOVFLOW_ASSIGN_OR_RETURN(t.open_by_severity, OpenBySeverity(txn, tenant));
  t.health = JudgeHealth(t.totals, t.open_by_severity);
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT name, MAX(version) FROM workflow_versions WHERE tenant_id = ? GROUP "
                      "BY name ORDER BY name",
                      {tenant.value()}));
  for (const sql::Row& r : rows) t.workflows.push_back({r.Text(0), r.Int(1)});
  return t;
}

}  // namespace govflow::intel
