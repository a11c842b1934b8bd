// The engine's governance job loop, in process: a running Engine expires an approval task on its
// own once the (manual) clock passes the task's expiry, and reports the job's runs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/engine.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "store/store.h"

namespace govflow::cli {
namespace {

TEST(EngineJobsTest, RunningEngineExpiresAnOverdueApproval) {
  char tmpl[] = "/tmp/govflow-engine-jobs-XXXXXX";
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
    std::string task_id;
    ASSERT_TRUE((*store)
                    ->Transact([&](store::Txn& txn) -> Status {
                      GOVFLOW_RETURN_IF_ERROR(txn.PutTenant({tenant, "Acme", clock.Now()}));
                      governance::ApprovalRequest r;
                      r.subject_type = "price_change";
                      r.subject_id = "SKU-1";
                      r.title = "price of SKU-1 -35%";
                      r.required_roles = {"pricing_manager"};
                      r.expires_at = clock.Now() + std::chrono::hours(1);
                      GOVFLOW_ASSIGN_OR_RETURN(
                          auto task,
                          governance::RequestApproval(
                              txn, governance::TenantScope::ForSystem(tenant, "test"), r));
                      task_id = task.id;
                      return Status::Ok();
                    })
                    .ok());

    EngineOptions options;
    options.clock = &clock;
    options.data_dir = dir;
    options.jobs.approvals = std::chrono::minutes(1);
    auto engine = Engine::Start(**store, std::string(32, 'k'), options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    auto state = [&] {
      governance::ApprovalState s = governance::ApprovalState::kPending;
      EXPECT_TRUE((*store)
                      ->Transact([&](store::Txn& txn) -> Status {
                        GOVFLOW_ASSIGN_OR_RETURN(
                            auto t, governance::GetApproval(
                                        txn, governance::TenantScope::ForSystem(tenant, "test"),
                                        task_id));
                        s = t.state;
                        return Status::Ok();
                      })
                      .ok());
      return s;
    };
    // Not yet due: the job runs (every minute of the clock) but leaves the task alone.
    clock.Advance(std::chrono::minutes(2));
    (*engine)->PokeJobs();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_EQ(state(), governance::ApprovalState::kPending);

    clock.Advance(std::chrono::hours(1));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (state() != governance::ApprovalState::kExpired &&
           std::chrono::steady_clock::now() < until) {
      (*engine)->PokeJobs();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(state(), governance::ApprovalState::kExpired);
    auto stats = (*engine)->job_stats();
    ASSERT_TRUE(stats.contains("approvals.expire"));
    EXPECT_GE(stats.at("approvals.expire").runs, 2);
    EXPECT_EQ(stats.at("approvals.expire").failures, 0);
    // Every governance job whose header is in the tree is wired.
    for (const char* job : {"exceptions.escalate", "prices.publish", "audit.checkpoint",
                            "retention.run"}) {
      EXPECT_TRUE(stats.contains(job)) << job;
    }
    // And the heap trim (EngineOptions::trim_heap_every, on by default), which runs at start.
    ASSERT_TRUE(stats.contains("memory.trim"));
    EXPECT_GE(stats.at("memory.trim").runs, 1);
    EXPECT_EQ(stats.at("memory.trim").failures, 0);
    (*engine)->Stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace govflow::cli
