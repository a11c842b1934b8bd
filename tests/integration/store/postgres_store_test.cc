// Runs the store conformance suite against a throwaway PostgreSQL 15 server (one server for the
// whole binary, a fresh database per test). Skips with a message when PostgreSQL is absent.
#include "integration/store/postgres_server.h"
#include "unit/store/store_conformance.h"

namespace govflow::store::testing {
namespace {

[[maybe_unused]] ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new govflow::testing::PostgresEnvironment);

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreBackend{
                             "Postgres", govflow::testing::PostgresEnvironment::FreshDatabaseUrl}),
                         BackendName);

}  // namespace
}  // namespace govflow::store::testing
