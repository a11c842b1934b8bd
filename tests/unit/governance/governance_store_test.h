// A fixture for governance tests that must hold on both stores: each TEST_P runs once against a
// fresh SQLite database in a temporary directory and once against a fresh database on a
// throwaway PostgreSQL 15 server (skipped with a message when PostgreSQL is absent). Time comes
// from a ManualClock. Instantiate in each binary with
//   GOVFLOW_INSTANTIATE_ON_BOTH_STORES(MyTest);
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/ids.h"
#include "store/store.h"

namespace govflow::testing {

enum class StoreKind { kSqlite, kPostgres };

class GovernanceStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens another Store on the same database (a second node, or a CLI process).
  std::unique_ptr<store::Store> OpenAnother();
  // Inserts tenant `id` (display name = id).
  void CreateTenant(const TenantId& id);
  // Runs `body` in one transaction and commits; fails the test on error.
  void InTxn(const std::function<Status(store::Txn&)>& body);

  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  std::string url_;
  std::filesystem::path temp_dir_;
  std::unique_ptr<store::Store> store_;
};

std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info);

}  // namespace govflow::testing

#define GOVFLOW_INSTANTIATE_ON_BOTH_STORES(Fixture)                                           \
  INSTANTIATE_TEST_SUITE_P(Stores, Fixture,                                                   \
                           ::testing::Values(::govflow::testing::StoreKind::kSqlite,          \
                                             ::govflow::testing::StoreKind::kPostgres),       \
                           ::govflow::testing::StoreKindName)
