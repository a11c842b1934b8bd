// Reading the rollup tables for the dashboards: a tenant's overview for a window (totals, a
// series, breakdowns and trends by process, brand, channel and SKU category, open exceptions by
// severity), the health verdict of a tenant, and the portfolio line of each tenant. Reads only
// the rollup tables of migration 0012 (and the tiny workflow_versions table), never raw runs.
// Thread-safety: pure functions over the Txn they are given.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::intel {

// A dashboard window: "1h" (minute points), "24h" (15-minute points) or "7d" (hourly points).
struct Window {
  std::string name;
  std::chrono::seconds length;
  std::chrono::seconds step;  // width of one series point
};
// kInvalidArgument naming the accepted values for anything else.
Result<Window> ParseWindow(std::string_view text);
// The names ParseWindow accepts, in order.
std::vector<std::string> WindowNames();

struct MetricTotals {
  int64_t runs_started = 0;
  int64_t runs_succeeded = 0;
  int64_t runs_failed = 0;
  int64_t runs_cancelled = 0;
  int64_t latency_count = 0;
  int64_t latency_sum_us = 0;
  int64_t exceptions_opened = 0;
  int64_t sla_met = 0;
  int64_t sla_breached = 0;
  int64_t deliveries_accepted = 0;
  int64_t deliveries_rejected = 0;
  int64_t deliveries_duplicate = 0;
  std::map<int, int64_t> latency_bins;  // intel/latency_histogram.h

  // failed / (succeeded + failed); nullopt when no run finished.
  std::optional<double> FailureRate() const;
  // met / (met + breached); nullopt when no SLA clock was decided.
  std::optional<double> SlaAttainment() const;
  // Percentile of the latency from a run's creation to its success (microseconds).
  std::optional<int64_t> LatencyPercentileUs(double q) const;
  // Succeeded runs per hour over `length`.
  double ThroughputPerHour(std::chrono::seconds length) const;
};

struct SeriesPoint {
  TimePoint start;
  MetricTotals metrics;
};

// One value of a dimension over the window.
struct BreakdownRow {
  std::string value;
  MetricTotals metrics;
  int64_t open_exceptions = 0;
};

// Runs started per series point for one value of a dimension (the top values by runs started).
struct Trend {
  std::string value;
  std::vector<int64_t> runs_started;  // aligned with Overview::series
};

inline constexpr std::string_view kDimensionNames[] = {"process", "brand", "channel",
                                                       "sku_category"};

struct Overview {
  Window window;
  TimePoint from;  // start of the first series point
  TimePoint to;    // now
  MetricTotals totals;
  std::vector<SeriesPoint> series;
  std::map<std::string, int64_t> open_by_severity;              // P1..P4 always present
  std::map<std::string, std::vector<BreakdownRow>> breakdowns;  // by kDimensionNames
  std::map<std::string, std::vector<Trend>> trends;             // brand, channel, sku_category
  // Changes up to this time are in the numbers (the runs watermark); nullopt before the first
  // rollup.
  std::optional<TimePoint> rolled_up_to;
};

// Needs metrics.read on the scope's tenant.
Result<Overview> ReadOverview(store::Txn& txn, const governance::TenantScope& scope,
                              const Window& window, TimePoint now);

enum class Health { kOk, kWarning, kCritical };
std::string_view HealthName(Health health);

struct HealthVerdict {
  Health status = Health::kOk;
  std::vector<std::string> reasons;  // why it is not ok, worst first
};

// The rule (docs/intel.md "Health"):
//   critical: an open P1 exception; or failure rate >= 10% over >= 10 finished runs; or SLA
//             attainment < 80% over >= 5 decided clocks
//   warning:  an open P2 exception; or failure rate >= 2% over >= 10 finished runs; or SLA
//             attainment < 95% over >= 5 decided clocks
//   ok:       otherwise (also when there is no traffic)
HealthVerdict JudgeHealth(const MetricTotals& totals,
                          const std::map<std::string, int64_t>& open_by_severity);

struct WorkflowInUse {
  std::string name;
  int64_t version = 0;  // the latest published version
};

// One tenant's line in the partner portfolio.
struct TenantHealth {
  TenantId tenant;
  std::string display_name;
  MetricTotals totals;
  std::map<std::string, int64_t> open_by_severity;
  HealthVerdict health;
  std::vector<WorkflowInUse> workflows;
  std::vector<int64_t> runs_started_series;  // per window step, for a sparkline
};

// Needs metrics.read on the scope's tenant.
Result<TenantHealth> ReadTenantHealth(store::Txn& txn, const governance::TenantScope& scope,
                                      const Window& window, TimePoint now);

}  // namespace govflow::intel
