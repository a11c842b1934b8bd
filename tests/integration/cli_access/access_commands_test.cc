// The access commands against the real binary: bootstrap, tenant isolation through --as, a viewer
// refused, tokens printed once and stored only hashed, revocation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/cli_engine/process.h"

namespace govflow::testing {
namespace {

class AccessCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("govflow-access-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunOutput Govflow(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), GOVFLOW_BINARY);
    args.push_back("--data");
    args.push_back((dir_ / "data").string());
    return RunProgram(args, env);
  }
  // partner init + tenants acme and beta + ana (tenant_admin of acme) + vic (viewer of acme).
  void Bootstrap() {
    RunOutput init = Govflow({"partner", "init", "--id", "northwind", "--name", "Northwind",
                              "--admin-email", "lee@northwind.example"},
                             {{"GOVFLOW_ADMIN_PASSWORD", "a long enough secret"}});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    for (const char* t : {"acme", "beta"}) {
      RunOutput r = Govflow({"tenants", "create", t, "--as", "lee@northwind.example"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    RunOutput ana = Govflow({"users", "create", "ana@acme.example", "--tenant", "acme", "--role",
                             "tenant_admin", "--as", "lee@northwind.example"});
    ASSERT_EQ(ana.exit_code, 0) << ana.err;
    RunOutput vic = Govflow({"users", "create", "vic@acme.example", "--tenant", "acme", "--role",
                             "viewer", "--as", "ana@acme.example"});
    ASSERT_EQ(vic.exit_code, 0) << vic.err;
  }

  std::filesystem::path dir_;
};

TEST_F(AccessCommandsTest, TenantAdminSeesOnlyTheirTenant) {
  Bootstrap();
  RunOutput mine = Govflow({"tenants", "list", "--as", "ana@acme.example"});
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  EXPECT_EQ(mine.out, "acme  tenant_admin\n");
  RunOutput all = Govflow({"tenants", "list", "--as", "lee@northwind.example"});
  EXPECT_EQ(all.out, "acme  partner_admin\nbeta  partner_admin\n");

  RunOutput other = Govflow({"users", "list", "--tenant", "beta", "--as", "ana@acme.example"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(other.err, "govflow users list: no tenant beta\n");
  RunOutput create = Govflow({"tenants", "create", "gamma", "--as", "ana@acme.example"});
  EXPECT_EQ(create.exit_code, 1);
  EXPECT_NE(create.err.find("lacks partner permission tenants.manage"), std::string::npos)
      << create.err;
}

TEST_F(AccessCommandsTest, ViewerCannotChangeAnything) {
  Bootstrap();
  RunOutput team =
      Govflow({"teams", "create", "desk", "--tenant", "acme", "--as", "vic@acme.example"});
  EXPECT_EQ(team.exit_code, 1);
  EXPECT_NE(team.err.find("lacks permission users.manage on tenant acme"), std::string::npos)
      << team.err;
  RunOutput grant = Govflow({"users", "grant", "vic@acme.example", "tenant_admin", "--tenant",
                             "acme", "--as", "vic@acme.example"});
  EXPECT_EQ(grant.exit_code, 1);
  RunOutput roles = Govflow({"roles", "list", "--tenant", "acme", "--as", "vic@acme.example"});
  EXPECT_EQ(roles.exit_code, 0) << roles.err;
  EXPECT_NE(roles.out.find("pricing_manager  custom  approvals.decide,approvals.read,tenants.read"),
            std::string::npos)
      << roles.out;
}

TEST_F(AccessCommandsTest, TokenIsPrintedOnceStoredHashedAndRevocable) {
  Bootstrap();
  RunOutput issue = Govflow({"tokens", "issue", "--name", "erp sync", "--user", "vic@acme.example",
                             "--tenant", "acme", "--as", "ana@acme.example"});
  ASSERT_EQ(issue.exit_code, 0) << issue.err;
  ASSERT_TRUE(issue.out.starts_with("gft_")) << issue.out;
  const std::string token = issue.out.substr(0, issue.out.size() - 1);
  const size_t id_at = issue.err.find("tok_");
  ASSERT_NE(id_at, std::string::npos) << issue.err;
  const std::string token_id = issue.err.substr(id_at, issue.err.find(' ', id_at) - id_at);

  // The database files never hold the token itself.
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "data")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(token.substr(4)), std::string::npos) << entry.path();
  }
  RunOutput list = Govflow({"tokens", "list", "--tenant", "acme", "--as", "ana@acme.example"});
  EXPECT_NE(list.out.find(token_id + "  acme  erp sync"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("gft_"), std::string::npos);

  RunOutput revoke =
      Govflow({"tokens", "revoke", token_id, "--tenant", "acme", "--as", "ana@acme.example"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  RunOutput again =
      Govflow({"tokens", "revoke", token_id, "--tenant", "acme", "--as", "ana@acme.example"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.err;
  RunOutput listed = Govflow({"tokens", "list", "--tenant", "acme", "--as", "ana@acme.example"});
  EXPECT_NE(listed.out.find("revoked"), std::string::npos) << listed.out;
}

TEST_F(AccessCommandsTest, BootstrapRunsOnceAndUnknownActorsAreRefused) {
  Bootstrap();
  RunOutput again = Govflow({"partner", "init", "--id", "other", "--admin-email", "x@o.example"},
                            {{"GOVFLOW_ADMIN_PASSWORD", "a long enough secret"}});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already has partner northwind"), std::string::npos) << again.err;
  RunOutput nobody = Govflow({"tenants", "list", "--as", "nobody@x.example"});
  EXPECT_EQ(nobody.exit_code, 1);
  RunOutput no_password = Govflow({"partner", "init", "--id", "p", "--admin-email", "a@b.c"});
  EXPECT_EQ(no_password.exit_code, 2);
}

}  // namespace
}  // namespace govflow::testing
