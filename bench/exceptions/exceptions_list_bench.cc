// The exceptions inbox at 10,000 and 100,000 open cases on SQLite (issue 5, "fast lists"): the
// first page (with its bounded total), a page deep in the keyset, filtered pages (team and
// severity, free text), the business-impact sort, and the root-cause groups. Cases are written
// the way the engine writes them: a failed run, its exception case (Txn::OpenExceptionCase) and
// governance's intake (OnExceptionOpened: classification, severity, owner, SLA clocks, impact,
// audit), plus one closed case for every five open ones. Results: docs/performance.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "base/clock.h"
#include "base/ids.h"
#include "governance/exception_intake.h"
#include "governance/exceptions/cases.h"
#include "governance/policies/ownership.h"
#include "governance/policies/severity.h"
#include "store/store.h"

namespace govflow {
namespace {

namespace gx = governance::exceptions;

constexpr const char* kSeverity = R"(apiVersion: govflow/v1
kind: SeverityPolicy
spec:
  default: P4
  rules:
    - name: large
      when: impact.order_value >= 800.0
      severity: P1
    - name: medium
      when: impact.order_value >= 400.0
      severity: P2
    - name: master-data
      when: exception.category == "master_data"
      severity: P3
)";
constexpr const char* kOwnership = R"(apiVersion: govflow/v1
kind: OwnershipMap
spec:
  default_team: integration-support
  rules:
    - process: order-capture
      categories: [master_data]
      team: master-data
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::cerr << what << ": " << st.ToString() << "\n";
    std::abort();
  }
}

// One SQLite inbox of `open` unresolved cases (and open / 5 closed ones), built once per size.
struct Inbox {
  std::filesystem::path dir;
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<store::Store> store;
  TenantId tenant{"acme"};

  ~Inbox() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Inbox> BuildInbox(int open) {
  auto inbox = std::make_unique<Inbox>();
  inbox->dir = std::filesystem::temp_directory_path() /
               ("govflow-inbox-bench-" + std::to_string(::getpid()) + "-" + std::to_string(open));
  std::filesystem::create_directories(inbox->dir);
  inbox->clock = std::make_unique<ManualClock>(TimePoint(std::chrono::seconds(1'800'000'000)));
  store::StoreOptions options;
  options.url = "sqlite://" + (inbox->dir / "govflow.db").string();
  options.clock = inbox->clock.get();
  auto opened = store::Store::Open(options);
  Check(opened.status(), "open store");
  inbox->store = std::move(*opened);
  store::Store& st = *inbox->store;
  const TenantId& tenant = inbox->tenant;
  Check(st.Transact([&](store::Txn& txn) -> Status {
    store::Tenant t;
    t.id = tenant;
    t.display_name = "Acme";
    t.created_at = txn.Now();
    GOVFLOW_RETURN_IF_ERROR(txn.PutTenant(t));
    store::WorkflowVersion v;
    v.tenant = tenant;
    v.name = "order-capture";
    v.version = 1;
    v.content_hash = "h1";
    v.source_yaml =
        ReadFile(std::string(GOVFLOW_SOURCE_DIR) + "/templates/workflows/order-capture.yaml");
    v.published_at = txn.Now();
    return txn.PublishWorkflowVersion(v);
  }),
        "seed tenant");
  governance::PolicySet policies;
  policies.severity = std::make_shared<governance::policies::SeverityPolicy>(
      *governance::policies::ParseSeverityPolicy(kSeverity, "severity.yaml"));
  policies.ownership = std::make_shared<governance::policies::OwnershipMap>(
      *governance::policies::ParseOwnershipMap(kOwnership, "ownership.yaml"));

  std::mt19937 rng(42);
  const int total = open + open / 5;
  std::vector<ExceptionCaseId> to_close;
  constexpr int kBatch = 1000;
  for (int first = 0; first < total; first += kBatch) {
    Check(st.Transact([&](store::Txn& txn) -> Status {
      for (int n = first; n < std::min(total, first + kBatch); ++n) {
        const int cents = 1000 + static_cast<int>(rng() % 100000);  // 10.00 .. 1009.99
        const bool unknown_item = rng() % 3 == 0;
        const std::string sku = "SKU-" + std::to_string(rng() % 50);
        boost::json::object order{
            {"id", 100000 + n},
            {"name", "#" + std::to_string(100000 + n)},
            {"currency", "EUR"},
            {"total_price", std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
                                std::to_string(cents % 100)},
            {"customer", boost::json::object{{"id", "cust-" + std::to_string(rng() % 3000)}}},
            {"line_items", boost::json::array{boost::json::object{
                               {"sku", sku}, {"quantity", 1}, {"price", "10.00"}}}}};
        const std::string input = boost::json::serialize(order);
        const RunId run(NewUniqueId("run_"));
        const ExceptionCaseId id(NewUniqueId("exc_"));
        store::Run r;
        r.tenant = tenant;
        r.id = run;
        r.workflow_name = "order-capture";
        r.workflow_version = 1;
        r.state = store::RunState::kPending;
        r.current_step = "post_sales_order";
        r.input_json = input;
        r.context_json = "{}";
        GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(r));
        store::RunUpdate u;
        u.state = store::RunState::kFailed;
        u.current_step = "post_sales_order";
        u.context_json = "{}";
        GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(tenant, run, 1, u).status());
        store::ExceptionCase c;
        c.tenant = tenant;
        c.id = id;
        c.run = run;
        c.step = "post_sales_order";
        c.error_class = unknown_item ? "rejected" : "transient";
        c.message = unknown_item
                        ? "The field No. of table Sales Line contains a value (" + sku +
                              ") that cannot be found in the related table (Item)."
                        : "connection reset by peer (attempt " + std::to_string(n % 5) + ")";
        c.payload_json = "{\"input\":" + input + ",\"steps\":{}}";
        GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase(c));
        GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase stored, txn.GetExceptionCase(tenant, id));
        GOVFLOW_ASSIGN_OR_RETURN(store::Run stored_run, txn.GetRun(tenant, run));
        GOVFLOW_RETURN_IF_ERROR(governance::OnExceptionOpened(txn, stored, stored_run, policies));
        if (n % 6 == 5) to_close.push_back(id);
      }
      return Status::Ok();
    }),
          "seed cases");
    inbox->clock->Advance(std::chrono::seconds(7));
  }
  const governance::TenantScope actor =
      governance::TenantScope::ForSystem(tenant, "bench@example.com");
  for (size_t i = 0; i < to_close.size(); i += kBatch) {
    std::vector<ExceptionCaseId> batch(
        to_close.begin() + static_cast<ptrdiff_t>(i),
        to_close.begin() + static_cast<ptrdiff_t>(std::min(to_close.size(), i + kBatch)));
    Check(gx::Resolve(st, actor, batch, "closed for the benchmark").status(), "close cases");
  }
  return inbox;
}

Inbox& InboxOf(int open) {
  static std::map<int, std::unique_ptr<Inbox>> inboxes;
  auto it = inboxes.find(open);
  if (it == inboxes.end()) it = inboxes.emplace(open, BuildInbox(open)).first;
  return *it->second;
}

governance::TenantScope Scope(const Inbox& inbox) {
  return governance::TenantScope::ForSystem(inbox.tenant, "bench");
}

void RunList(benchmark::State& state, gx::CaseFilter filter) {
  Inbox& inbox = InboxOf(static_cast<int>(state.range(0)));
  const governance::TenantScope scope = Scope(inbox);
  int64_t total = 0;
  size_t rows = 0;
  for (auto _ : state) {
    auto page = gx::ListCases(*inbox.store, scope, filter);
    Check(page.status(), "list");
    rows = page->cases.size();
    total = page->total.value_or(-1);
    benchmark::DoNotOptimize(page);
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["total"] = static_cast<double>(total);
}

gx::CaseFilter Inbox100() {
  gx::CaseFilter f;
  f.unresolved_only = true;
  f.limit = 100;
  f.count_limit = 10'000;
  return f;
}

void BM_FirstPageBySlaRiskWithCount(benchmark::State& state) {
  RunList(state, Inbox100());
}

void BM_FirstPageBySlaRiskNoCount(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.count_limit = 0;
  RunList(state, f);
}

void BM_FirstPageByImpactWithCount(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.sort = gx::CaseSort::kBusinessImpact;
  RunList(state, f);
}

void BM_FirstPageOldestWithCount(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.sort = gx::CaseSort::kOldest;
  RunList(state, f);
}

// Page 51: the cursor of page 50 (keyset: no offset is walked).
void BM_Page51BySlaRisk(benchmark::State& state) {
  Inbox& inbox = InboxOf(static_cast<int>(state.range(0)));
  gx::CaseFilter f = Inbox100();
  f.count_limit = 0;
  for (int i = 0; i < 50; ++i) {
    auto page = gx::ListCases(*inbox.store, Scope(inbox), f);
    Check(page.status(), "walk");
    f.cursor = page->next_cursor;
  }
  RunList(state, f);
}

void BM_FilteredTeamAndSeverityWithCount(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.team = "integration-support";
  f.severity = "P2";
  RunList(state, f);
}

void BM_FilteredTextSkuWithCount(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.text = "sku-17)";
  RunList(state, f);
}

void BM_FilteredTextNoMatchWithCount(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.text = "no such order";
  RunList(state, f);
}

void BM_AllStatesBySlaRisk(benchmark::State& state) {
  gx::CaseFilter f = Inbox100();
  f.unresolved_only = false;
  RunList(state, f);
}

void BM_GroupsUnresolved(benchmark::State& state) {
  Inbox& inbox = InboxOf(static_cast<int>(state.range(0)));
  const governance::TenantScope scope = Scope(inbox);
  size_t groups = 0;
  for (auto _ : state) {
    auto g = gx::ListGroups(*inbox.store, scope, {});
    Check(g.status(), "groups");
    groups = g->size();
    benchmark::DoNotOptimize(g);
  }
  state.counters["groups"] = static_cast<double>(groups);
}

#define INBOX_BENCH(fn) BENCHMARK(fn)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)
INBOX_BENCH(BM_FirstPageBySlaRiskWithCount);
INBOX_BENCH(BM_FirstPageBySlaRiskNoCount);
INBOX_BENCH(BM_FirstPageByImpactWithCount);
INBOX_BENCH(BM_FirstPageOldestWithCount);
INBOX_BENCH(BM_Page51BySlaRisk);
INBOX_BENCH(BM_FilteredTeamAndSeverityWithCount);
INBOX_BENCH(BM_FilteredTextSkuWithCount);
INBOX_BENCH(BM_FilteredTextNoMatchWithCount);
INBOX_BENCH(BM_AllStatesBySlaRisk);
INBOX_BENCH(BM_GroupsUnresolved);

}  // namespace
}  // namespace govflow

BENCHMARK_MAIN();
