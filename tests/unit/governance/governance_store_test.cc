#include "unit/governance/governance_store_test.h"

#include <unistd.h>

#include <random>

#include "integration/store/postgres_server.h"

namespace govflow::testing {
namespace {

[[maybe_unused]] ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

void GovernanceStoreTest::SetUp() {
  if (GetParam() == StoreKind::kPostgres) {
    Result<std::string> url = PostgresEnvironment::FreshDatabaseUrl();
    if (!url.ok()) GTEST_SKIP() << "PostgreSQL unavailable: " << url.status().ToString();
    url_ = *url;
  } else {
    std::random_device rd;
    temp_dir_ = std::filesystem::temp_directory_path() /
                ("govflow-gov-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(temp_dir_);
    url_ = "sqlite://" + (temp_dir_ / "govflow.db").string();
  }
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
}

void GovernanceStoreTest::TearDown() {
  store_.reset();
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

std::unique_ptr<store::Store> GovernanceStoreTest::OpenAnother() {
  store::StoreOptions options;
  options.url = url_;
  options.clock = &clock_;
  auto opened = store::Store::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return nullptr;
  return std::move(*opened);
}

void GovernanceStoreTest::CreateTenant(const TenantId& id) {
  InTxn([&](store::Txn& txn) {
    store::Tenant t;
    t.id = id;
    t.display_name = id.value();
    t.created_at = clock_.Now();
    return txn.PutTenant(t);
  });
}

void GovernanceStoreTest::InTxn(const std::function<Status(store::Txn&)>& body) {
  Status st = store_->Transact(body);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

}  // namespace govflow::testing
