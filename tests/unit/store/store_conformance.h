// The store conformance suite: one set of TEST_Ps that every Store back end must pass. Each test
// binary instantiates it with its back end (SQLite in tests/unit/store, PostgreSQL in
// tests/integration/store), so both engines are held to exactly the same behaviour.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "store/fault_injection.h"
#include "store/store.h"

namespace govflow::store::testing {

struct StoreBackend {
  std::string name;
  // A URL of a fresh, empty database, or why there is none (the test is then skipped).
  std::function<Result<std::string>()> fresh_database_url;
};

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens another Store on the same database (e.g. to simulate a second node).
  std::unique_ptr<Store> OpenAnother();
  // Opens another Store on the same database through a fault injector (left in *faults).
  std::unique_ptr<Store> OpenWithFaults(sql::FaultInjectingDatabase** faults);
  // Creates tenant `tenant` with workflow "order-capture" version 1.
  void SeedTenant(const TenantId& tenant);
  // A pending, due run of "order-capture" v1.
  store::Run NewRun(const TenantId& tenant, const std::string& id);

  std::string url_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  std::unique_ptr<Store> store_;
};

// Back end helpers for the instantiations.
std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info);

}  // namespace govflow::store::testing
