// The engine of `govflow serve` runs the intel.rollup job: with a ManualClock, a delivery
// recorded before the engine starts is in the dashboards' tables once the loop has run, and the
// job reports its runs without failures.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/engine.h"
#include "governance/access.h"
#include "intel/metrics_query.h"
#include "store/store.h"

namespace govflow::cli {
namespace {

TEST(IntelEngineJobTest, ServeRollsUpNewDeliveriesIntoTheDashboardTables) {
  char tmpl[] = "/tmp/govflow-intel-job-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ManualClock clock{TimePoint(std::chrono::seconds(1'800'000'000))};
  {
    store::StoreOptions so;
    so.url = "sqlite://" + dir + "/govflow.db";
    so.clock = &clock;
    auto store = store::Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const TenantId tenant("acme");
    ASSERT_TRUE((*store)
                    ->Transact([&](store::Txn& txn) -> Status {
                      GOVFLOW_RETURN_IF_ERROR(txn.PutTenant({tenant, "Acme", clock.Now()}));
                      store::Delivery d;
                      d.tenant = tenant;
                      d.id = DeliveryId("dlv_1");
                      d.connection = ConnectionId("shop");
                      d.topic = "orders/create";
                      d.status = store::DeliveryStatus::kRejected;
                      d.reason = "bad signature";
                      d.received_at = clock.Now();
                      return txn.RecordDelivery(d).status();
                    })
                    .ok());
    auto rejected = [&]() -> int64_t {
      auto txn = (*store)->Begin(store::sql::TxnMode::kReadOnly);
      EXPECT_TRUE(txn.ok());
      auto o = intel::ReadOverview(*txn, governance::TenantScope::ForSystem(tenant, "test"),
                                   *intel::ParseWindow("1h"), clock.Now());
      EXPECT_TRUE(o.ok()) << o.status().ToString();
      return o.ok() ? o->totals.deliveries_rejected : -1;
    };
    EXPECT_EQ(rejected(), 0);

    EngineOptions options;
    options.clock = &clock;
    options.data_dir = dir;
    auto engine = Engine::Start(**store, std::string(32, 'k'), options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    // The job runs at start; give the loop a moment of real time.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (rejected() != 1 && std::chrono::steady_clock::now() < until) {
      (*engine)->PokeJobs();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(rejected(), 1);
    auto stats = (*engine)->job_stats();
    ASSERT_TRUE(stats.contains("intel.rollup"));
    EXPECT_GE(stats.at("intel.rollup").runs, 1);
    EXPECT_EQ(stats.at("intel.rollup").failures, 0) << stats.at("intel.rollup").last_error;
    (*engine)->Stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace govflow::cli
