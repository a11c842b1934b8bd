// Runs the store conformance suite against SQLite (WAL), one temporary directory per test.
#include <cstdlib>
#include <filesystem>

#include "store/sql.h"
#include "unit/store/store_conformance.h"

namespace govflow::store::testing {
namespace {

Result<std::string> FreshSqliteUrl() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "govflow-store-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Unavailable("mkdtemp failed");
  return sql::SqliteUrlForDataDir(tmpl);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"Sqlite", FreshSqliteUrl}), BackendName);

}  // namespace
}  // namespace govflow::store::testing
