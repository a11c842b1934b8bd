// `govflow apply` against the real binary: the quickstart applies, applying it again changes
// nothing, the master key is created 0600, and errors in the file name file:line:column.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "integration/cli_engine/process.h"

namespace govflow::testing {
namespace {

const std::string kQuickstart =
    std::string(GOVFLOW_SOURCE_DIR) + "/examples/quickstart/govflow.yaml";

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("govflow-apply-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunOutput Apply(const std::string& file,
                  std::map<std::string, std::string> env = {{"SHOPIFY_SECRET", "s3cret"},
                                                            {"ERP_URL", "http://127.0.0.1:9"}}) {
    return RunProgram({GOVFLOW_BINARY, "apply", "-f", file, "--data", (dir_ / "data").string()},
                      env);
  }

  std::string Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ApplyTest, AppliesQuickstartAndSecondApplyChangesNothing) {
  RunOutput first = Apply(kQuickstart);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("tenant acme: created"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("connection acme/shop (shopify.webhooks): created"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("connection acme/erp (erp.business_central): created"),
            std::string::npos);
  EXPECT_NE(first.out.find("version 1 published"), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find("s3cret"), std::string::npos) << "secret printed";

  RunOutput second = Apply(kQuickstart);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("applied: 0 changes"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("version 1 unchanged"), std::string::npos) << second.out;

  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "data" / "master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The secret is sealed: its plaintext is nowhere in the database file.
  std::ifstream db(dir_ / "data" / "govflow.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("s3cret"), std::string::npos);
}

TEST_F(ApplyTest, ChangedSecretUpdatesOnlyThatConnection) {
  ASSERT_EQ(Apply(kQuickstart).exit_code, 0);
  RunOutput again =
      Apply(kQuickstart, {{"SHOPIFY_SECRET", "rotated"}, {"ERP_URL", "http://127.0.0.1:9"}});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("connection acme/shop (shopify.webhooks): updated"), std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("connection acme/erp (erp.business_central): unchanged"),
            std::string::npos);
  EXPECT_NE(again.out.find("applied: 1 changes"), std::string::npos) << again.out;
}

TEST_F(ApplyTest, MissingEnvironmentVariableIsNamedWithItsPosition) {
  RunOutput r = Apply(kQuickstart, {{"ERP_URL", "http://127.0.0.1:9"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(kQuickstart + ":14:17: environment variable SHOPIFY_SECRET is not set"),
            std::string::npos)
      << r.err;
}

TEST_F(ApplyTest, UnknownKeyGivesFileLineColumnAndWhatWasExpected) {
  const std::string file = Write("broken.yaml",
                                 "apiVersion: govflow/v1\n"
                                 "kind: Config\n"
                                 "tenants:\n"
                                 "  - id: acme\n"
                                 "    conections: []\n");
  RunOutput r = Apply(file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":5:5: unknown key 'conections'; expected one of: id, name, "
                              "connections, workflows"),
            std::string::npos)
      << r.err;
}

TEST_F(ApplyTest, BadConnectorConfigNamesTheEntryAndField) {
  const std::string file = Write("badurl.yaml",
                                 "apiVersion: govflow/v1\n"
                                 "kind: Config\n"
                                 "tenants:\n"
                                 "  - id: acme\n"
                                 "    connections:\n"
                                 "      - id: erp\n"
                                 "        kind: erp.business_central\n"
                                 "        base_url: not-a-url\n"
                                 "        company_id: c\n"
                                 "        client_id: a\n"
                                 "        client_secret: b\n"
                                 "        token_url: http://127.0.0.1:9/token\n");
  RunOutput r = Apply(file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":6:9: connection acme/erp: erp.business_central: field 'base_url'"),
            std::string::npos)
      << r.err;
}

TEST_F(ApplyTest, YamlSyntaxErrorGivesFileLineColumn) {
  const std::string file = Write("syntax.yaml", "apiVersion: govflow/v1\ntenants: [\n");
  RunOutput r = Apply(file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":"), std::string::npos) << r.err;
}

TEST_F(ApplyTest, BrokenWorkflowIsReportedWithTheLoadersPosition) {
  Write("wf.yaml", "apiVersion: govflow/v1\nkind: Workflow\nmetadata:\n  name: x\nsteps: 3\n");
  const std::string file = Write("cfg.yaml",
                                 "apiVersion: govflow/v1\n"
                                 "kind: Config\n"
                                 "tenants:\n"
                                 "  - id: acme\n"
                                 "    workflows:\n"
                                 "      - path: wf.yaml\n");
  RunOutput r = Apply(file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":6:9: workflow: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wf.yaml:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace govflow::testing
