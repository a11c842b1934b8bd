// Unit tests of the SQL layer pieces that do not need a database server.
#include "store/sql.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/store.h"

namespace govflow::store::sql {
namespace {

TEST(ToPostgresPlaceholders, NumbersPlaceholdersOutsideQuotes) {
  EXPECT_EQ(ToPostgresPlaceholders("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(ToPostgresPlaceholders("SELECT '?', \"odd?name\", ? FROM t WHERE x = 'it''s ?'"),
            "SELECT '?', \"odd?name\", $1 FROM t WHERE x = 'it''s ?'");
  EXPECT_EQ(ToPostgresPlaceholders("SELECT 1"), "SELECT 1");
}

TEST(SqliteUrlForDataDir, PointsAtGovflowDbInsideTheDirectory) {
  EXPECT_EQ(SqliteUrlForDataDir("/var/lib/govflow/"), "sqlite:///var/lib/govflow/govflow.db");
  const std::string relative = SqliteUrlForDataDir("data");
  EXPECT_TRUE(relative.starts_with("sqlite:///")) << relative;
  EXPECT_TRUE(relative.ends_with("/data/govflow.db")) << relative;
}

TEST(DatabaseOpen, RejectsUnknownSchemes) {
  auto db = Database::Open("mysql://localhost/x");
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
}

TEST(DatabaseOpen, ReportsUnreachablePostgresAsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto db = Database::Open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable) << db.status().ToString();
}

TEST(RenderMigrationSql, ReplacesTheBytesTokenPerDialect) {
  EXPECT_EQ(RenderMigrationSql("a @BYTES@, b @BYTES@", Dialect::kSqlite), "a BLOB, b BLOB");
  EXPECT_EQ(RenderMigrationSql("a @BYTES@", Dialect::kPostgres), "a BYTEA");
}

TEST(EmbeddedMigrations, AreNumberedAscendingAndCarryTheirText) {
  auto migrations = EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  int64_t previous = 0;
  for (const Migration& m : migrations) {
    EXPECT_GT(m.version, previous) << m.name;
    previous = m.version;
    EXPECT_NE(m.sql.find("CREATE"), std::string_view::npos) << m.name;
  }
  EXPECT_EQ(migrations[0].name, "0001_initial");
}

TEST(ResolveStoreUrl, PrefersTheStoreFlagThenTheDataDirectory) {
  EXPECT_EQ(*ResolveStoreUrl("/d", "postgresql://u@h/db"), "postgresql://u@h/db");
  EXPECT_EQ(*ResolveStoreUrl("/d", ""), "sqlite:///d/govflow.db");
  EXPECT_EQ(ResolveStoreUrl("", "").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace govflow::store::sql
