// The rollup and the dashboards' queries on SQLite and PostgreSQL: buckets, outcomes, latency
// percentiles, SLA attainment, open exceptions by severity, dimensions, idempotence (twice, any
// batch size), late-arriving updates and tenant isolation. Time from a ManualClock.
#include "intel/rollup.h"

#include <gtest/gtest.h>

#include <thread>

#include "governance/access.h"
#include "intel/dimensions.h"
#include "intel/jobs.h"
#include "intel/metrics_query.h"
#include "intel/sku_categories.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::testing {
namespace {

using namespace std::chrono_literals;
using governance::TenantScope;

const TenantId kAcme("acme");
const TenantId kGlobex("globex");

int64_t Us(TimePoint t) {
  return t.time_since_epoch().count();
}

std::string Order(std::string_view source, std::string_view product_type) {
  return R"({"id":1,"source_name":")" + std::string(source) +
         R"(","line_items":[{"sku":"TEE","price":"20.00","quantity":1,"product_type":")" +
         std::string(product_type) + R"("}]})";
}

class IntelRollupTest : public GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const TenantId& t : {kAcme, kGlobex}) {
      CreateTenant(t);
      InTxn([&](store::Txn& txn) -> Status {
        GOVFLOW_RETURN_IF_ERROR(txn.PublishWorkflowVersion(
            {t, "order-capture", 1, "hash-1", "name: order-capture", clock_.Now()}));
        store::Connection c;
        c.tenant = t;
        c.id = ConnectionId("shop");
        c.kind = "shopify.webhooks";
        c.config_json = "{}";
        c.created_at = c.updated_at = clock_.Now();
        return txn.PutConnection(c);
      });
    }
  }

  // A run started by an orders/create webhook on connection "shop" (or by hand: no delivery).
  RunId StartRun(const TenantId& tenant, std::string input, bool from_webhook = true) {
    const RunId id("run_" + std::to_string(++next_id_));
    InTxn([&](store::Txn& txn) -> Status {
      store::Run run;
      run.tenant = tenant;
      run.id = id;
      run.workflow_name = "order-capture";
      run.workflow_version = 1;
      run.state = store::RunState::kRunning;
      run.current_step = "validate";
      run.input_json = input;
      if (from_webhook) {
        store::Delivery d;
        d.tenant = tenant;
        d.id = DeliveryId("dlv_" + std::to_string(next_id_));
        d.connection = ConnectionId("shop");
        d.webhook_id = "wh-" + std::to_string(next_id_);
        d.topic = "orders/create";
        d.body = input;
        d.received_at = clock_.Now();
        d.run_id = id;
        GOVFLOW_RETURN_IF_ERROR(txn.RecordDelivery(d).status());
        run.delivery_id = d.id;
      }
      return txn.CreateRun(run);
    });
    return id;
  }

  void Finish(const TenantId& tenant, const RunId& id, store::RunState state) {
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(tenant, id));
      store::RunUpdate u;
      u.state = state;
      u.current_step = "done";
      u.context_json = "{}";
      return txn.UpdateRun(tenant, id, run.version, u).status();
    });
  }

  // An exception case of `run` with the governance row intake writes: severity and a resolve
  // clock due `resolve_in` from now.
  ExceptionCaseId OpenCase(const TenantId& tenant, const RunId& run, std::string severity,
                           std::chrono::microseconds resolve_in) {
    const ExceptionCaseId id("case_" + std::to_string(++next_id_));
    InTxn([&](store::Txn& txn) -> Status {
      store::ExceptionCase c;
      c.tenant = tenant;
      c.id = id;
      c.run = run;
      c.step = "post";
      c.error_class = "validation";
      c.message = "unknown item";
      GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase(c));
      const int64_t now = Us(clock_.Now());
      return txn.sql()
          .Execute(
              "INSERT INTO exception_governance (tenant_id, case_id, process, category, "
              "root_cause_key, severity, owner_team, assignee, ack_due_at, resolve_due_at, "
              "acknowledged_by, closed_by, resolution, resolution_reason, order_value_minor, "
              "currency, customer_key, escalation_json, policy_note, created_at, updated_at) "
              "VALUES (?, ?, 'order-capture', 'data', 'k', ?, 'ops', '', ?, ?, '', '', '', '', "
              "0, 'USD', '', '[]', '', ?, ?)",
              {tenant.value(), id.value(), severity, now + resolve_in.count() / 2,
               now + resolve_in.count(), now, now})
          .status();
    });
    return id;
  }

  void CloseCase(const TenantId& tenant, const ExceptionCaseId& id) {
    InTxn([&](store::Txn& txn) -> Status {
      const int64_t now = Us(clock_.Now());
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("UPDATE exception_governance SET closed_at = ?, closed_by = 'user:u', "
                       "resolution = 'resolved', updated_at = ? WHERE tenant_id = ? AND case_id "
                       "= ?",
                       {now, now, tenant.value(), id.value()})
              .status());
      return txn.SetExceptionCaseState(tenant, id, store::ExceptionState::kOpen,
                                       store::ExceptionState::kResolved);
    });
  }

  intel::RollupStats Rollup(const TenantId& tenant, intel::RollupOptions options = {}) {
    auto stats = intel::RollupTenant(*store_, tenant, options);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    return stats.ok() ? *stats : intel::RollupStats{};
  }

  intel::Overview Read(const TenantId& tenant, std::string_view window = "1h") {
    auto w = intel::ParseWindow(window);
    EXPECT_TRUE(w.ok());
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto o = intel::ReadOverview(*txn, TenantScope::ForSystem(tenant, "test"), *w, clock_.Now());
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *o : intel::Overview{};
  }

  // Every row of the rollup tables, as text, to compare states.
  std::string Dump() {
    std::string out;
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    for (const char* q :
         {"SELECT * FROM intel_rollups ORDER BY tenant_id, resolution, bucket_start, process, "
          "brand, channel, sku_category",
          "SELECT * FROM intel_latency_bins ORDER BY tenant_id, resolution, bucket_start, "
          "process, brand, channel, sku_category, bin",
          "SELECT * FROM intel_open_exceptions ORDER BY tenant_id, process, brand, channel, "
          "sku_category, severity"}) {
      auto rows = txn->sql().Query(q);
      EXPECT_TRUE(rows.ok());
      for (const auto& r : *rows) {
        for (size_t i = 0; i < r.size(); ++i) out += r.Text(i) + "|";
        out += "\n";
      }
    }
    return out;
  }

  int next_id_ = 0;
};

TEST_P(IntelRollupTest, CountsStartedSucceededAndFailedRunsInTheirMinuteBuckets) {
  const RunId a = StartRun(kAcme, Order("web", "Shirts"));
  const RunId b = StartRun(kAcme, Order("web", "Shirts"));
  StartRun(kAcme, Order("web", "Shirts"));  // still running
  clock_.Advance(2min);
  Finish(kAcme, a, store::RunState::kSucceeded);
  Finish(kAcme, b, store::RunState::kFailed);
  Rollup(kAcme);

  intel::Overview o = Read(kAcme);
  EXPECT_EQ(o.totals.runs_started, 3);
  EXPECT_EQ(o.totals.runs_succeeded, 1);
  EXPECT_EQ(o.totals.runs_failed, 1);
  EXPECT_DOUBLE_EQ(*o.totals.FailureRate(), 0.5);
  EXPECT_EQ(o.totals.deliveries_accepted, 3);
  ASSERT_EQ(o.series.size(), 60u);
  // The last point is the current minute (the outcomes); two minutes before it, the starts.
  EXPECT_EQ(o.series[59].metrics.runs_succeeded, 1);
  EXPECT_EQ(o.series[59].metrics.runs_failed, 1);
  EXPECT_EQ(o.series[57].metrics.runs_started, 3);
  int64_t started = 0;
  for (const auto& p : o.series) started += p.metrics.runs_started;
  EXPECT_EQ(started, 3);
  // Latency from creation to success: two minutes, within one histogram bin.
  EXPECT_GE(*o.totals.LatencyPercentileUs(0.95), 120'000'000);
  EXPECT_LE(*o.totals.LatencyPercentileUs(0.95), 144'000'000);
  ASSERT_TRUE(o.rolled_up_to.has_value());
  EXPECT_EQ(*o.rolled_up_to, clock_.Now());
}

TEST_P(IntelRollupTest, RunningTheRollupTwiceChangesNothing) {
  const RunId a = StartRun(kAcme, Order("web", "Shirts"));
  OpenCase(kAcme, a, "P2", 1h);
  clock_.Advance(30s);
  Finish(kAcme, a, store::RunState::kFailed);
  Rollup(kAcme);
  const std::string once = Dump();
  clock_.Advance(10s);  // within the lateness: everything is read again
  const intel::RollupStats again = Rollup(kAcme);
  EXPECT_GT(again.objects_read, 0);
  EXPECT_EQ(again.objects_changed, 0);
  EXPECT_EQ(Dump(), once);
  EXPECT_EQ(Read(kAcme).totals.runs_started, 1);
}

TEST_P(IntelRollupTest, SmallBatchesGiveTheSameNumbersAsOneBigBatch) {
  for (int i = 0; i < 7; ++i) {
    const RunId r = StartRun(kAcme, Order(i % 2 ? "web" : "pos", "Shirts"));
    if (i % 3 == 0) OpenCase(kAcme, r, "P3", 1h);
    clock_.Advance(7s);
    Finish(kAcme, r, i % 2 ? store::RunState::kSucceeded : store::RunState::kFailed);
  }
  intel::RollupOptions tiny;
  tiny.batch = 2;
  const intel::RollupStats stats = Rollup(kAcme, tiny);
  EXPECT_GT(stats.batches, 5);
  const std::string small = Dump();
  // Rebuild from scratch with one batch: the same tables.
  InTxn([](store::Txn& txn) -> Status {
    for (const char* t : {"intel_rollups", "intel_latency_bins", "intel_open_exceptions",
                          "intel_contributions", "intel_watermarks"}) {
      GOVFLOW_RETURN_IF_ERROR(txn.sql().Execute(std::string("DELETE FROM ") + t).status());
    }
    return Status::Ok();
  });
  Rollup(kAcme);
  EXPECT_EQ(Dump(), small);
  EXPECT_EQ(Read(kAcme).totals.runs_started, 7);
}

TEST_P(IntelRollupTest, ContributionsOfABatchAreAllStoredWhateverTheirNumber) {
  // Contributions are written several rows per statement, in chunks of powers of two: 77 runs
  // and 77 deliveries in one batch take chunks of 64, 8, 4 and 1, and finishing them re-writes
  // every stored row (the upsert's update half). Compared with batches of one object.
  std::vector<RunId> runs;
  for (int i = 0; i < 77; ++i)
    runs.push_back(StartRun(kAcme, Order(i % 2 ? "web" : "pos", "Tees")));
  const intel::RollupStats first = Rollup(kAcme);
  EXPECT_EQ(first.objects_changed, 154);
  clock_.Advance(20s);
  for (const RunId& r : runs) Finish(kAcme, r, store::RunState::kSucceeded);
  const intel::RollupStats second = Rollup(kAcme);
  EXPECT_EQ(second.objects_changed, 77);
  const std::string big = Dump();
  auto stored = [&] {
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto rows = txn->sql().Query(
        "SELECT kind, COUNT(*) FROM intel_contributions WHERE tenant_id = ? GROUP BY kind "
        "ORDER BY kind",
        {kAcme.value()});
    EXPECT_TRUE(rows.ok());
    std::string out;
    for (const auto& r : *rows) out += r.Text(0) + "=" + std::to_string(r.Int(1)) + " ";
    return out;
  };
  EXPECT_EQ(stored(), "delivery=77 run=77 ");
  EXPECT_EQ(Read(kAcme).totals.runs_started, 77);
  EXPECT_EQ(Read(kAcme).totals.runs_succeeded, 77);
  // A third pass finds every stored contribution equal to the current one.
  clock_.Advance(1s);
  EXPECT_EQ(Rollup(kAcme).objects_changed, 0);
  // Rebuilt one object per batch: the same tables.
  InTxn([](store::Txn& txn) -> Status {
    for (const char* t : {"intel_rollups", "intel_latency_bins", "intel_open_exceptions",
                          "intel_contributions", "intel_watermarks"}) {
      GOVFLOW_RETURN_IF_ERROR(txn.sql().Execute(std::string("DELETE FROM ") + t).status());
    }
    return Status::Ok();
  });
  intel::RollupOptions one;
  one.batch = 1;
  Rollup(kAcme, one);
  EXPECT_EQ(Dump(), big);
  EXPECT_EQ(stored(), "delivery=77 run=77 ");
}

TEST_P(IntelRollupTest, ARunRetriedToSuccessMovesFromFailedToSucceededWithoutCountingTwice) {
  const RunId a = StartRun(kAcme, Order("web", "Shirts"));
  clock_.Advance(1min);
  Finish(kAcme, a, store::RunState::kFailed);
  Rollup(kAcme);
  EXPECT_EQ(Read(kAcme).totals.runs_failed, 1);

  clock_.Advance(5min);  // beyond the lateness: a late update, found by its new updated_at
  Finish(kAcme, a, store::RunState::kSucceeded);
  Rollup(kAcme);
  intel::Overview o = Read(kAcme);
  EXPECT_EQ(o.totals.runs_started, 1);
  EXPECT_EQ(o.totals.runs_failed, 0);
  EXPECT_EQ(o.totals.runs_succeeded, 1);
  EXPECT_EQ(o.totals.latency_count, 1);
}

TEST_P(IntelRollupTest, AChangeRecordedBehindTheWatermarkWithinTheLatenessIsCounted) {
  const TimePoint t0 = clock_.Now();
  clock_.Advance(30s);
  Rollup(kAcme);  // watermark: t0 + 30s
  // A run whose transaction took its time: recorded at t0 + 10s, visible only now.
  clock_.Set(t0 + 10s);
  StartRun(kAcme, Order("web", "Shirts"));
  clock_.Set(t0 + 40s);
  Rollup(kAcme);
  EXPECT_EQ(Read(kAcme).totals.runs_started, 1);
}

// The serve job's window: on embedded SQLite (one writer) it re-reads 5 s behind its watermark,
// so runs that did not change are not read again pass after pass; on PostgreSQL, 60 s.
TEST_P(IntelRollupTest, TheJobReReadsOnlyItsStoresLatenessBehindTheWatermark) {
  const intel::RollupOptions job = intel::JobRollupOptions(*store_);
  for (int i = 0; i < 3; ++i) StartRun(kAcme, Order("web", "Shirts"));  // 3 runs, 3 deliveries
  clock_.Advance(6s);
  EXPECT_EQ(Rollup(kAcme, job).objects_changed, 6);
  clock_.Advance(10s);
  const intel::RollupStats again = Rollup(kAcme, job);
  if (store_->dialect() == store::sql::Dialect::kSqlite) {
    EXPECT_EQ(again.objects_read, 0) << "changed 6 s before the watermark: beyond 5 s";
  } else {
    EXPECT_EQ(again.objects_read, 6) << "changed 6 s before the watermark: within 60 s";
  }
  EXPECT_EQ(again.objects_changed, 0);
  EXPECT_EQ(Read(kAcme).totals.runs_started, 3);
}

// The job's memo: a pass re-reading its window skips runs seen at the same time and state and
// deliveries seen at all, without loading or comparing their contributions, and still counts a
// run that changed state, even at the same recorded time.
TEST_P(IntelRollupTest, TheMemoSkipsWhatAnEarlierPassSawUnchangedAndNothingThatChanged) {
  intel::RollupMemo memo;
  intel::RollupOptions options;
  options.memo = &memo;
  const RunId a = StartRun(kAcme, Order("web", "Shirts"));
  StartRun(kAcme, Order("web", "Shirts"));
  StartRun(kAcme, Order("pos", "Mugs"));
  intel::RollupStats first = Rollup(kAcme, options);
  EXPECT_EQ(first.objects_changed, 6);  // 3 runs, 3 deliveries
  EXPECT_EQ(first.objects_skipped, 0);
  // Same clock reading: the run's recorded time does not move, only its state.
  Finish(kAcme, a, store::RunState::kSucceeded);
  clock_.Advance(1s);
  intel::RollupStats second = Rollup(kAcme, options);
  EXPECT_EQ(second.objects_read, 6);
  EXPECT_EQ(second.objects_skipped, 5);
  EXPECT_EQ(second.objects_changed, 1);
  intel::Overview o = Read(kAcme);
  EXPECT_EQ(o.totals.runs_started, 3);
  EXPECT_EQ(o.totals.runs_succeeded, 1);
  // The same tables as passes without a memo, rebuilt from scratch.
  const std::string with_memo = Dump();
  InTxn([](store::Txn& txn) -> Status {
    for (const char* t : {"intel_rollups", "intel_latency_bins", "intel_open_exceptions",
                          "intel_contributions", "intel_watermarks"}) {
      GOVFLOW_RETURN_IF_ERROR(txn.sql().Execute(std::string("DELETE FROM ") + t).status());
    }
    return Status::Ok();
  });
  Rollup(kAcme);
  EXPECT_EQ(Dump(), with_memo);
  // Entries out of every later window are dropped.
  EXPECT_EQ(memo.size(), 6u);
  clock_.Advance(2min);
  Rollup(kAcme, options);
  EXPECT_EQ(memo.size(), 0u);
}

TEST_P(IntelRollupTest, SlaAttainmentCountsCasesClosedInTimeAgainstBreachedClocks) {
  const RunId r = StartRun(kAcme, Order("web", "Shirts"));
  const auto met = OpenCase(kAcme, r, "P2", 10min);
  const auto late = OpenCase(kAcme, r, "P3", 5min);
  OpenCase(kAcme, r, "P1", 8min);  // left open past its clock: breached
  OpenCase(kAcme, r, "P4", 2h);    // open, clock still running: undecided
  clock_.Advance(2min);
  Rollup(kAcme);
  intel::Overview before = Read(kAcme);
  EXPECT_EQ(before.totals.exceptions_opened, 4);
  EXPECT_EQ(before.open_by_severity.at("P1"), 1);
  EXPECT_EQ(before.open_by_severity.at("P2"), 1);
  EXPECT_FALSE(before.totals.SlaAttainment().has_value());

  CloseCase(kAcme, met);  // at +2min, due at +10min: met
  clock_.Advance(5min);   // +7min: `late` is past due
  CloseCase(kAcme, late);
  clock_.Advance(3min);  // +10min: the P1 clock (due +8min) ran out while open
  Rollup(kAcme);
  intel::Overview o = Read(kAcme);
  EXPECT_EQ(o.totals.sla_met, 1);
  EXPECT_EQ(o.totals.sla_breached, 2);
  EXPECT_NEAR(*o.totals.SlaAttainment(), 1.0 / 3.0, 1e-9);
  EXPECT_EQ(o.open_by_severity.at("P1"), 1);
  EXPECT_EQ(o.open_by_severity.at("P2"), 0);
  EXPECT_EQ(o.open_by_severity.at("P3"), 0);
  EXPECT_EQ(o.open_by_severity.at("P4"), 1);
  EXPECT_EQ(intel::JudgeHealth(o.totals, o.open_by_severity).status, intel::Health::kCritical);
}

TEST_P(IntelRollupTest, DimensionsComeFromTheConnectionsBrandAndTheOrder) {
  InTxn([](store::Txn& txn) {
    return intel::SetBrandLabel(txn, TenantScope::ForSystem(kAcme, "test"), ConnectionId("shop"),
                                "Harbor Outdoor");
  });
  StartRun(kAcme, Order("pos", "Jackets"));
  StartRun(kAcme, Order("pos", ""));
  StartRun(kAcme, Order("web", "Jackets"));
  StartRun(kAcme, R"({"sku":"A","price":"1.00"})", /*from_webhook=*/false);
  clock_.Advance(1s);
  Rollup(kAcme);
  intel::Overview o = Read(kAcme);
  auto count = [&](const std::string& dim, const std::string& value) -> int64_t {
    for (const auto& row : o.breakdowns.at(dim)) {
      if (row.value == value) return row.metrics.runs_started;
    }
    return -1;
  };
  EXPECT_EQ(count("brand", "Harbor Outdoor"), 3);
  EXPECT_EQ(count("brand", "-"), 1);
  EXPECT_EQ(count("channel", "pos"), 2);
  EXPECT_EQ(count("channel", "web"), 1);
  EXPECT_EQ(count("channel", "-"), 1);
  EXPECT_EQ(count("sku_category", "Jackets"), 2);
  EXPECT_EQ(count("sku_category", std::string(intel::kUncategorised)), 1);
  EXPECT_EQ(count("process", "order-capture"), 4);
  // Trends: the top values' series add up to their totals.
  ASSERT_FALSE(o.trends.at("channel").empty());
  EXPECT_EQ(o.trends.at("channel")[0].value, "pos");
  int64_t sum = 0;
  for (int64_t n : o.trends.at("channel")[0].runs_started) sum += n;
  EXPECT_EQ(sum, 2);
}

TEST_P(IntelRollupTest, BrandLabelsNeedConnectionsManageAndAreAudited) {
  for (int i = 0; i < 2; ++i) {  // the second time changes nothing and records nothing
    InTxn([](store::Txn& txn) {
      return intel::SetBrandLabel(txn, TenantScope::ForSystem(kAcme, "test"), ConnectionId("shop"),
                                  "Harbor");
    });
  }
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  auto rows = txn->sql().Query(
      "SELECT COUNT(*) FROM audit_events WHERE tenant_id = ? AND action = 'intel.brand_label'",
      {kAcme.value()});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].Int(0), 1);
  EXPECT_EQ(
      intel::SetBrandLabel(*txn, TenantScope::ForSystem(kAcme, "test"), ConnectionId("nope"), "X")
          .code(),
      StatusCode::kNotFound);
}

// Real Shopify order lines carry a SKU but no product_type: the category comes from the
// tenant's SKU categories, looked up by the SKU of the most valuable line.
TEST_P(IntelRollupTest, OrdersWithoutProductTypeTakeTheCategoryOfTheirTopLinesSku) {
  auto set = [&](std::vector<intel::SkuCategory> items) {
    intel::SkuCategoryChange change;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          change, intel::SetSkuCategories(txn, TenantScope::ForSystem(kAcme, "test"), items));
      return Status::Ok();
    });
    return change;
  };
  EXPECT_EQ(set({{"TEE", "Shirts"}, {"CAP", "Hats"}}).set, 2);
  // The same again changes nothing and records nothing.
  const intel::SkuCategoryChange again = set({{"TEE", "Shirts"}});
  EXPECT_EQ(again.set, 0);
  EXPECT_EQ(again.unchanged, 1);
  StartRun(kAcme, Order("web", ""));         // TEE -> Shirts (from the map)
  StartRun(kAcme, Order("web", "Jackets"));  // an app's product_type wins over the map
  StartRun(kAcme,
           R"({"id":2,"source_name":"web","line_items":[{"sku":"CAP","price":"5.00","quantity":1},)"
           R"({"sku":"TEE","price":"20.00","quantity":2}]})");  // top line TEE (40.00) -> Shirts
  StartRun(kAcme, R"({"id":3,"source_name":"web","line_items":[{"sku":"ZZZ","price":"1.00"}]})");
  StartRun(kGlobex, Order("web", ""));  // another tenant's map is not ours
  clock_.Advance(1s);
  Rollup(kAcme);
  Rollup(kGlobex);
  auto count = [&](const TenantId& tenant, const std::string& value) -> int64_t {
    const intel::Overview o = Read(tenant);  // kept alive while its rows are read
    for (const auto& row : o.breakdowns.at("sku_category")) {
      if (row.value == value) return row.metrics.runs_started;
    }
    return 0;
  };
  EXPECT_EQ(count(kAcme, "Shirts"), 2);
  EXPECT_EQ(count(kAcme, "Jackets"), 1);
  EXPECT_EQ(count(kAcme, std::string(intel::kUncategorised)), 1);
  EXPECT_EQ(count(kGlobex, "Shirts"), 0);
  EXPECT_EQ(count(kGlobex, std::string(intel::kUncategorised)), 1);

  // Removing, listing, and the audit trail: one event per call that changed something.
  EXPECT_EQ(set({{"CAP", ""}}).removed, 1);
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  auto listed = intel::ListSkuCategories(*txn, TenantScope::ForSystem(kAcme, "test"), "", 10);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].sku, "TEE");
  auto rows = txn->sql().Query(
      "SELECT COUNT(*) FROM audit_events WHERE tenant_id = ? AND action = 'intel.sku_categories'",
      {kAcme.value()});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].Int(0), 2);
}

TEST_P(IntelRollupTest, BadSkuCategoryEntriesAreRefusedNamingTheEntryAndChangeNothing) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  const TenantScope scope = TenantScope::ForSystem(kAcme, "test");
  Result<intel::SkuCategoryChange> empty =
      intel::SetSkuCategories(*txn, scope, {{"A", "x"}, {"", "y"}});
  ASSERT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("items[1].sku"), std::string::npos);
  Result<intel::SkuCategoryChange> twice =
      intel::SetSkuCategories(*txn, scope, {{"A", "x"}, {"A", "y"}});
  ASSERT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("repeats"), std::string::npos);
  auto listed = intel::ListSkuCategories(*txn, scope, "", 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_P(IntelRollupTest, LatencyPercentilesComeFromTheRolledUpHistogram) {
  std::vector<RunId> runs;
  for (int i = 0; i < 20; ++i) runs.push_back(StartRun(kAcme, Order("web", "Shirts")));
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(1s);
    Finish(kAcme, runs[i], store::RunState::kSucceeded);  // latencies 1s, 2s, ... 20s
  }
  Rollup(kAcme);
  intel::Overview o = Read(kAcme);
  EXPECT_EQ(o.totals.latency_count, 20);
  const int64_t p95 = *o.totals.LatencyPercentileUs(0.95);  // the 19th of 20: 19 s
  EXPECT_GE(p95, 19'000'000);
  EXPECT_LE(p95, 19'000'000 * 12 / 10);
  EXPECT_EQ(o.totals.latency_sum_us, int64_t{210} * 1'000'000);
}

TEST_P(IntelRollupTest, OneTenantsRunsNeverShowInAnothersOverview) {
  const RunId a = StartRun(kAcme, Order("web", "Shirts"));
  OpenCase(kAcme, a, "P1", 1h);
  clock_.Advance(1s);
  ASSERT_TRUE(intel::RollupAllTenants(*store_).ok());
  EXPECT_EQ(Read(kAcme).totals.runs_started, 1);
  intel::Overview g = Read(kGlobex);
  EXPECT_EQ(g.totals.runs_started, 0);
  EXPECT_EQ(g.totals.exceptions_opened, 0);
  EXPECT_EQ(g.open_by_severity.at("P1"), 0);
  EXPECT_TRUE(g.breakdowns.at("brand").empty());
}

TEST_P(IntelRollupTest, LongWindowsReadHourBucketsAndShortOnesSkipOldMinutes) {
  StartRun(kAcme, Order("web", "Shirts"));
  clock_.Advance(3h);
  StartRun(kAcme, Order("web", "Shirts"));
  Rollup(kAcme);
  EXPECT_EQ(Read(kAcme, "1h").totals.runs_started, 1);
  intel::Overview day = Read(kAcme, "24h");
  EXPECT_EQ(day.totals.runs_started, 2);
  EXPECT_EQ(day.series.size(), 96u);
  intel::Overview week = Read(kAcme, "7d");
  EXPECT_EQ(week.totals.runs_started, 2);
  EXPECT_EQ(week.series.size(), 168u);
}

TEST_P(IntelRollupTest, MinuteBucketsAreDroppedAfterTheirRetentionHourBucketsStay) {
  StartRun(kAcme, Order("web", "Shirts"));
  Rollup(kAcme);
  clock_.Advance(50h);
  Rollup(kAcme);
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  auto rows = txn->sql().Query(
      "SELECT resolution, CAST(SUM(runs_started) AS BIGINT) FROM intel_rollups WHERE tenant_id "
      "= ? GROUP BY resolution ORDER BY resolution",
      {kAcme.value()});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Int(0), 3600);
  EXPECT_EQ((*rows)[0].Int(1), 1);
  EXPECT_EQ(Read(kAcme, "7d").totals.runs_started, 1);
}

TEST_P(IntelRollupTest, TwoNodesRollingUpAtOnceCountEveryChangeOnce) {
  for (int i = 0; i < 40; ++i) {
    const RunId r = StartRun(kAcme, Order(i % 3 ? "web" : "pos", "Shirts"));
    if (i % 4 == 0) OpenCase(kAcme, r, "P2", 1h);
    clock_.Advance(1s);
    Finish(kAcme, r, i % 5 ? store::RunState::kSucceeded : store::RunState::kFailed);
  }
  std::unique_ptr<store::Store> other = OpenAnother();
  intel::RollupOptions small;
  small.batch = 7;
  std::vector<Status> results(2);
  std::thread a([&] { results[0] = intel::RollupTenant(*store_, kAcme, small).status(); });
  std::thread b([&] { results[1] = intel::RollupTenant(*other, kAcme, small).status(); });
  a.join();
  b.join();
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  intel::Overview o = Read(kAcme);
  EXPECT_EQ(o.totals.runs_started, 40);
  EXPECT_EQ(o.totals.runs_failed, 8);
  EXPECT_EQ(o.totals.runs_succeeded, 32);
  EXPECT_EQ(o.totals.exceptions_opened, 10);
  EXPECT_EQ(o.open_by_severity.at("P2"), 10);
  EXPECT_EQ(o.totals.deliveries_accepted, 40);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(IntelRollupTest);

}  // namespace
}  // namespace govflow::testing
