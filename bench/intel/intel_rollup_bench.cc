// The intel rollup job's cost per object (issue 3, engine throughput: the job took about 15% of
// govflow's CPU under the end-to-end load). ReadOrderDimensions over the load's own orders
// (sim/shopify_order.h, about 6 KB each), the streaming reading against the DOM reading it
// replaced; and one rollup pass over N succeeded webhook runs on SQLite with the serve job's
// options (batches of 64, 5 s lateness): a first pass (every run new), a pass over runs an
// earlier pass saw running (what most runs go through under load: seen once running, once
// finished) and a pass re-reading them all unchanged without the memo. Results: docs/intel.md,
// "Cost under load".
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "intel/contribution.h"
#include "intel/dimensions.h"
#include "intel/jobs.h"
#include "intel/rollup.h"
#include "sim/shopify_order.h"
#include "store/store.h"

namespace govflow {
namespace {

namespace json = boost::json;
using intel::OrderDimensions;

// The reading ReadOrderDimensions replaced: a full DOM parse, then lookups.
double DomMoney(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_string()) {
    try {
      return std::stod(std::string(v->as_string()));
    } catch (...) {
      return 0;
    }
  }
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return 0;
}

double DomQuantity(const json::value* v) {
  if (v == nullptr) return 1;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return 1;
}

std::string DomString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->as_string());
}

OrderDimensions DomReadOrderDimensions(std::string_view text) {
  OrderDimensions d;
  d.channel = std::string(intel::kNoDimension);
  d.sku_category = std::string(intel::kNoDimension);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return d;
  const json::object& order = v.as_object();
  const json::value* lines = order.if_contains("line_items");
  if (lines == nullptr || !lines->is_array()) return d;
  d.is_order = true;
  const std::string source = DomString(order, "source_name");
  d.channel = source.empty() ? std::string(intel::kNoDimension) : intel::CleanDimension(source);
  const json::object* best = nullptr;
  double best_value = -1;
  for (const json::value& line : lines->as_array()) {
    if (!line.is_object()) continue;
    const json::object& o = line.as_object();
    const double value = DomMoney(o.if_contains("price")) * DomQuantity(o.if_contains("quantity"));
    if (value > best_value) {
      best_value = value;
      best = &o;
    }
  }
  std::string category;
  if (best != nullptr) {
    category = DomString(*best, "product_type");
    d.top_sku = DomString(*best, "sku");
  }
  d.sku_category =
      category.empty() ? std::string(intel::kUncategorised) : intel::CleanDimension(category);
  return d;
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::cerr << what << ": " << st.ToString() << "\n";
    std::abort();
  }
}

// The first 1,000 orders of the load's stream (seed 7, as bench/e2e/run-load.sh sends them).
const std::vector<std::string>& LoadOrders() {
  static const std::vector<std::string> orders = [] {
    std::vector<std::string> out;
    sim::ShopifyOrderOptions options;
    options.seed = 7;
    options.bad_sku = 0.05;
    for (uint64_t i = 0; i < 1000; ++i) out.push_back(sim::MakeShopifyOrder(options, i).body);
    return out;
  }();
  return orders;
}

template <OrderDimensions (*Read)(std::string_view)>
void BM_ReadOrderDimensions(benchmark::State& state) {
  const std::vector<std::string>& orders = LoadOrders();
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& order = orders[i++ % orders.size()];
    OrderDimensions d = Read(order);
    benchmark::DoNotOptimize(d);
    bytes += static_cast<int64_t>(order.size());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations());
}
void BM_ReadOrderDimensionsDom(benchmark::State& state) {
  BM_ReadOrderDimensions<DomReadOrderDimensions>(state);
}
void BM_ReadOrderDimensionsStreaming(benchmark::State& state) {
  BM_ReadOrderDimensions<intel::ReadOrderDimensions>(state);
}
BENCHMARK(BM_ReadOrderDimensionsDom);
BENCHMARK(BM_ReadOrderDimensionsStreaming);

// A finished run's contribution, as the rollup writes and reads them (once per changed run
// each, more for a run first seen running).
intel::Contribution RunContribution() {
  intel::Contribution c;
  c.dims = {"order-capture", "shop", "web", "uncategorised"};
  c.counts = {{0, 1'800'000'000'123'456}, {1, 1'800'000'000'163'456}};
  c.latency.emplace(1'800'000'000'163'456, 40'000);
  return c;
}

// The writing and reading the rollup used before intel/contribution.h.
std::string BoostContributionToJson(const intel::Contribution& c) {
  json::array counts;
  for (const auto& [counter, at] : c.counts) counts.push_back(json::array{counter, at});
  json::object o{
      {"d", json::array{c.dims.process, c.dims.brand, c.dims.channel, c.dims.sku_category}},
      {"c", std::move(counts)}};
  if (c.latency) o["l"] = json::array{c.latency->first, c.latency->second};
  if (!c.open_severity.empty()) o["o"] = c.open_severity;
  return json::serialize(o);
}

std::optional<intel::Contribution> DomContributionFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  try {
    intel::Contribution out;
    const json::array& d = v.at("d").as_array();
    out.dims = {std::string(d.at(0).as_string()), std::string(d.at(1).as_string()),
                std::string(d.at(2).as_string()), std::string(d.at(3).as_string())};
    for (const json::value& e : v.at("c").as_array()) {
      out.counts.emplace_back(static_cast<int>(e.as_array().at(0).to_number<int64_t>()),
                              e.as_array().at(1).to_number<int64_t>());
    }
    if (const json::value* l = v.as_object().if_contains("l")) {
      out.latency.emplace(l->as_array().at(0).to_number<int64_t>(),
                          l->as_array().at(1).to_number<int64_t>());
    }
    if (const json::value* o = v.as_object().if_contains("o")) {
      out.open_severity = std::string(o->as_string());
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void BM_ContributionToJsonBoost(benchmark::State& state) {
  const intel::Contribution c = RunContribution();
  for (auto _ : state) benchmark::DoNotOptimize(BoostContributionToJson(c));
}
void BM_ContributionToJson(benchmark::State& state) {
  const intel::Contribution c = RunContribution();
  for (auto _ : state) benchmark::DoNotOptimize(intel::ContributionToJson(c));
}
void BM_ContributionFromJsonDom(benchmark::State& state) {
  const std::string text = intel::ContributionToJson(RunContribution());
  for (auto _ : state) benchmark::DoNotOptimize(DomContributionFromJson(text));
}
void BM_ContributionFromJson(benchmark::State& state) {
  const std::string text = intel::ContributionToJson(RunContribution());
  for (auto _ : state) benchmark::DoNotOptimize(intel::ContributionFromJson(text));
}
BENCHMARK(BM_ContributionToJsonBoost);
BENCHMARK(BM_ContributionToJson);
BENCHMARK(BM_ContributionFromJsonDom);
BENCHMARK(BM_ContributionFromJson);

// One SQLite store with `runs` succeeded runs, each started by an orders/create delivery of
// connection "shop" carrying one of the load's orders, built once per size.
struct Runs {
  std::filesystem::path dir;
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<store::Store> store;
  TenantId tenant{"acme"};

  ~Runs() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Runs> BuildRuns(int runs) {
  auto out = std::make_unique<Runs>();
  out->dir = std::filesystem::temp_directory_path() /
             ("govflow-intel-bench-" + std::to_string(::getpid()) + "-" + std::to_string(runs));
  std::filesystem::create_directories(out->dir);
  out->clock = std::make_unique<ManualClock>(TimePoint(std::chrono::seconds(1'800'000'000)));
  store::StoreOptions options;
  options.url = "sqlite://" + (out->dir / "govflow.db").string();
  options.clock = out->clock.get();
  auto opened = store::Store::Open(options);
  Check(opened.status(), "open store");
  out->store = std::move(*opened);
  store::Store& st = *out->store;
  const TenantId& tenant = out->tenant;
  Check(st.Transact([&](store::Txn& txn) -> Status {
    store::Tenant t;
    t.id = tenant;
    t.display_name = "Acme";
    t.created_at = txn.Now();
    GOVFLOW_RETURN_IF_ERROR(txn.PutTenant(t));
    GOVFLOW_RETURN_IF_ERROR(txn.PublishWorkflowVersion(
        {tenant, "order-capture", 1, "hash-1", "name: order-capture", txn.Now()}));
    store::Connection c;
    c.tenant = tenant;
    c.id = ConnectionId("shop");
    c.kind = "shopify.webhooks";
    c.config_json = "{}";
    c.created_at = c.updated_at = txn.Now();
    return txn.PutConnection(c);
  }),
        "seed tenant");
  const std::vector<std::string>& orders = LoadOrders();
  // Runs are written 16 to a transaction (as the engine's group commit writes them) and finish
  // 40 ms after they start.
  constexpr int kBatch = 16;
  for (int first = 0; first < runs; first += kBatch) {
    const int last = std::min(runs, first + kBatch);
    Check(st.Transact([&](store::Txn& txn) -> Status {
      for (int n = first; n < last; ++n) {
        const RunId id("run_" + std::to_string(n));
        store::Delivery d;
        d.tenant = tenant;
        d.id = DeliveryId("dlv_" + std::to_string(n));
        d.connection = ConnectionId("shop");
        d.webhook_id = "wh-" + std::to_string(n);
        d.topic = "orders/create";
        d.body = orders[static_cast<size_t>(n) % orders.size()];
        d.received_at = txn.Now();
        d.run_id = id;
        GOVFLOW_RETURN_IF_ERROR(txn.RecordDelivery(d).status());
        store::Run run;
        run.tenant = tenant;
        run.id = id;
        run.workflow_name = "order-capture";
        run.workflow_version = 1;
        run.state = store::RunState::kRunning;
        run.current_step = "validate";
        run.input_json = d.body;
        run.delivery_id = d.id;
        GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(run));
      }
      return Status::Ok();
    }),
          "create runs");
    out->clock->Advance(std::chrono::milliseconds(40));
    Check(st.Transact([&](store::Txn& txn) -> Status {
      for (int n = first; n < last; ++n) {
        const RunId id("run_" + std::to_string(n));
        GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(tenant, id));
        store::RunUpdate u;
        u.state = store::RunState::kSucceeded;
        u.current_step = "done";
        u.context_json = "{}";
        GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(tenant, id, run.version, u).status());
      }
      return Status::Ok();
    }),
          "finish runs");
    out->clock->Advance(std::chrono::milliseconds(1));
  }
  out->clock->Advance(std::chrono::seconds(1));
  return out;
}

Runs& RunsOf(int runs) {
  static std::map<int, std::unique_ptr<Runs>> all;
  auto it = all.find(runs);
  if (it == all.end()) it = all.emplace(runs, BuildRuns(runs)).first;
  return *it->second;
}

// Forgets every rollup of the tenant, so that the next pass finds every object new.
void ForgetRollups(Runs& runs) {
  Check(runs.store->Transact([&](store::Txn& txn) -> Status {
    for (const char* table : {"intel_contributions", "intel_rollups", "intel_latency_bins",
                              "intel_open_exceptions", "intel_watermarks"}) {
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute(std::string("DELETE FROM ") + table + " WHERE tenant_id = ?",
                       {runs.tenant.value()})
              .status());
    }
    return Status::Ok();
  }),
        "forget rollups");
}

// A pass over N new runs (and their N deliveries).
void BM_RollupPassNewRuns(benchmark::State& state) {
  Runs& runs = RunsOf(static_cast<int>(state.range(0)));
  const intel::RollupOptions options = intel::JobRollupOptions(*runs.store);
  int64_t changed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ForgetRollups(runs);
    state.ResumeTiming();
    auto stats = intel::RollupTenant(*runs.store, runs.tenant, options);
    Check(stats.status(), "rollup");
    changed = stats->objects_changed;
  }
  state.counters["objects_changed"] = static_cast<double>(changed);
  state.SetItemsProcessed(state.iterations() * state.range(0));  // runs per second
}
BENCHMARK(BM_RollupPassNewRuns)->Arg(2000)->Unit(benchmark::kMillisecond);

// A pass over N runs an earlier pass rolled up while they were running (their stored
// contribution counts the start only) and that have succeeded since: each run's contribution is
// loaded, compared, replaced and its difference applied. The stored contributions are put back
// to the running form before each pass (not timed).
void BM_RollupPassFinishedRuns(benchmark::State& state) {
  Runs& runs = RunsOf(static_cast<int>(state.range(0)));
  const intel::RollupOptions options = intel::JobRollupOptions(*runs.store);
  ForgetRollups(runs);
  Check(intel::RollupTenant(*runs.store, runs.tenant, options).status(), "first pass");
  std::vector<std::pair<std::string, std::string>> running;  // run id -> running contribution
  Check(runs.store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("SELECT object_id, contribution_json FROM intel_contributions WHERE "
                        "tenant_id = ? AND kind = 'run'",
                        {runs.tenant.value()}));
    for (const store::sql::Row& r : rows) {
      std::optional<intel::Contribution> c = intel::ContributionFromJson(r.Text(1));
      if (!c) return Status(StatusCode::kInternal, "unreadable contribution");
      c->counts.resize(1);  // started only
      c->latency.reset();
      running.emplace_back(r.Text(0), intel::ContributionToJson(*c));
    }
    return Status::Ok();
  }),
        "read contributions");
  int64_t changed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Check(runs.store->Transact([&](store::Txn& txn) -> Status {
      for (const auto& [id, text] : running) {
        GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                    .Execute("UPDATE intel_contributions SET contribution_json = "
                                             "? WHERE tenant_id = ? AND kind = 'run' AND "
                                             "object_id = ?",
                                             {text, runs.tenant.value(), id})
                                    .status());
      }
      return txn.sql()
          .Execute("DELETE FROM intel_watermarks WHERE tenant_id = ?", {runs.tenant.value()})
          .status();
    }),
          "reset contributions");
    state.ResumeTiming();
    auto stats = intel::RollupTenant(*runs.store, runs.tenant, options);
    Check(stats.status(), "rollup");
    changed = stats->objects_changed;
  }
  state.counters["objects_changed"] = static_cast<double>(changed);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RollupPassFinishedRuns)->Arg(2000)->Unit(benchmark::kMillisecond);

// A pass re-reading N rolled-up runs (and deliveries) unchanged, without the memo: what every
// pass over its lateness window did before the memo, and still does on a restart.
void BM_RollupPassUnchangedRuns(benchmark::State& state) {
  Runs& runs = RunsOf(static_cast<int>(state.range(0)));
  const intel::RollupOptions options = intel::JobRollupOptions(*runs.store);
  ForgetRollups(runs);
  Check(intel::RollupTenant(*runs.store, runs.tenant, options).status(), "first pass");
  intel::RollupOptions reread = options;
  reread.lateness = std::chrono::hours(1);  // the whole store is in the window
  int64_t read = 0;
  for (auto _ : state) {
    auto stats = intel::RollupTenant(*runs.store, runs.tenant, reread);
    Check(stats.status(), "rollup");
    read = stats->objects_read;
    if (stats->objects_changed != 0) Check(Status(StatusCode::kInternal, "changed"), "re-read");
  }
  state.counters["objects_read"] = static_cast<double>(read);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RollupPassUnchangedRuns)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace govflow

BENCHMARK_MAIN();
