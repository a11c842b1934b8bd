// Runs the real `govflow audit` binary on --data (SQLite) and --store (PostgreSQL): verify passes,
// then names the event whose row was changed in the database (exit 1); an export verifies offline
// with only the published key, and a changed line in it is named; users need audit.read to verify.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "governance/access.h"
#include "governance/audit.h"
#include "governance/audit_signer.h"
#include "governance/directory.h"
#include "integration/cli_engine/process.h"
#include "integration/store/postgres_server.h"
#include "store/store.h"

namespace govflow {
namespace {

using testing::RunOutput;
using testing::RunProgram;

[[maybe_unused]] ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new testing::PostgresEnvironment);

enum class Where { kData, kStore };

// Each test runs on `--data DIR` (SQLite, key file in DIR) and on `--store URL` (a throwaway
// PostgreSQL database, key in GOVFLOW_AUDIT_SIGNING_KEY).
class AuditCommandTest : public ::testing::TestWithParam<Where> {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("govflow-cli-audit-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    store::StoreOptions options;
    if (GetParam() == Where::kStore) {
      auto url = testing::PostgresEnvironment::FreshDatabaseUrl();
      if (!url.ok()) GTEST_SKIP() << "PostgreSQL unavailable: " << url.status().ToString();
      options.url = *url;
      store_args_ = {"--store", *url};
      env_["GOVFLOW_AUDIT_SIGNING_KEY"] = governance::AuditBase64(std::string(32, 's'));
    } else {
      options.url = store::sql::SqliteUrlForDataDir(dir_.string());
      store_args_ = {"--data", dir_.string()};
      env_["GOVFLOW_AUDIT_SIGNING_KEY"] = "";
    }
    auto opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    Status st = store_->Transact([&](store::Txn& txn) -> Status {
      const auto sys = governance::PartnerScope::ForSystem("test");
      GOVFLOW_RETURN_IF_ERROR(governance::CreateTenant(txn, sys, TenantId("acme"), "Acme"));
      GOVFLOW_ASSIGN_OR_RETURN(std::string auditor,
                               governance::CreateUser(txn, sys, {"auditor@acme.example", "", ""}));
      GOVFLOW_ASSIGN_OR_RETURN(std::string partner_auditor,
                               governance::CreateUser(txn, sys, {"pa@partner.example", "", ""}));
      GOVFLOW_RETURN_IF_ERROR(
          governance::GrantPartnerRole(txn, sys, partner_auditor, "partner_auditor"));
      GOVFLOW_ASSIGN_OR_RETURN(std::string op,
                               governance::CreateUser(txn, sys, {"op@acme.example", "", ""}));
      const auto tenant = governance::TenantScope::ForSystem(TenantId("acme"), "test");
      GOVFLOW_RETURN_IF_ERROR(governance::GrantTenantRole(txn, tenant, auditor, "auditor"));
      GOVFLOW_RETURN_IF_ERROR(governance::GrantTenantRole(txn, tenant, op, "operator"));
      for (int i = 0; i < 4; ++i) {
        governance::AuditRecord r{.actor = "user:alice",
                                  .action = "exception.acknowledge",
                                  .object_type = "exception_case",
                                  .object_id = "exc-" + std::to_string(i),
                                  .reason = "on it"};
        GOVFLOW_RETURN_IF_ERROR(governance::AppendAudit(txn, TenantId("acme"), r).status());
      }
      return Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs govflow with `args`; "@store" stands for --data DIR or --store URL.
  RunOutput Govflow(std::vector<std::string> args) {
    std::vector<std::string> full{GOVFLOW_BINARY};
    for (const std::string& a : args) {
      if (a == "@store") {
        full.insert(full.end(), store_args_.begin(), store_args_.end());
      } else {
        full.push_back(a);
      }
    }
    return RunProgram(full, env_);
  }
  int64_t Head() {
    int64_t seq = 0;
    Status st = store_->Transact([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto head, governance::GetAuditChainHead(txn, TenantId("acme")));
      seq = head ? head->seq : 0;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok());
    return seq;
  }
  void Sql(const std::string& sql) {
    Status st = store_->Transact([&](store::Txn& txn) { return txn.sql().Execute(sql).status(); });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::vector<std::string> store_args_;
  std::map<std::string, std::string> env_;
};

TEST_P(AuditCommandTest, VerifyPassesThenNamesTheEventChangedInTheDatabaseFile) {
  RunOutput key = Govflow({"audit", "public-key", "@store"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(key.out.size(), 45u);  // base64 of 32 bytes and a newline
  if (GetParam() == Where::kData) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "audit-signing.key"));
  } else {
    auto signer = governance::AuditSigner::FromSeed(std::string(32, 's'));
    ASSERT_TRUE(signer.ok());
    EXPECT_EQ(key.out, signer->PublicKeyBase64() + "\n");  // the key from the environment
  }

  RunOutput cp = Govflow({"audit", "checkpoint", "@store", "--tenant", "acme"});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  const int64_t head = Head();
  EXPECT_EQ(cp.out, "checkpoint of tenant acme at seq " + std::to_string(head) + "\n");

  RunOutput ok =
      Govflow({"audit", "verify", "@store", "--tenant", "acme", "--as", "auditor@acme.example"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "audit chain of tenant acme verified: events 1.." + std::to_string(head) +
                        " (" + std::to_string(head) + " events, 1 signed checkpoint)\n");

  const int64_t victim = head - 2;
  Sql("UPDATE audit_events SET object_id = 'exc-9' WHERE tenant_id = 'acme' AND seq = " +
      std::to_string(victim));
  RunOutput bad =
      Govflow({"audit", "verify", "@store", "--tenant", "acme", "--as", "auditor@acme.example"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "audit chain of tenant acme does not verify: event " + std::to_string(victim) +
                         ": its hash does not match its content (the event was changed)\n");
}

TEST_P(AuditCommandTest, DeletedLastEventIsNamed) {
  const int64_t head = Head();
  Sql("DELETE FROM audit_events WHERE tenant_id = 'acme' AND seq = " + std::to_string(head));
  RunOutput bad =
      Govflow({"audit", "verify", "@store", "--tenant", "acme", "--as", "auditor@acme.example"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "audit chain of tenant acme does not verify: event " + std::to_string(head) +
                         " is missing (the chain head is at seq " + std::to_string(head) + ")\n");
}

TEST_P(AuditCommandTest, ExportVerifiesOfflineWithOnlyThePublicKey) {
  ASSERT_EQ(Govflow({"audit", "checkpoint", "@store"}).exit_code, 0);
  const std::string file = (dir_ / "acme.jsonl").string();
  RunOutput exp = Govflow({"audit", "export", "@store", "--tenant", "acme", "--as",
                           "auditor@acme.example", "--out", file});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  RunOutput key = Govflow({"audit", "public-key", "@store"});
  const std::string pub = key.out.substr(0, key.out.size() - 1);
  // Nothing but the file and the key: the data directory is gone.
  const std::filesystem::path copy = std::filesystem::temp_directory_path() /
                                     ("govflow-audit-export-" + std::to_string(::getpid()));
  std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
  const int64_t head = Head();
  TearDown();

  RunOutput ok = Govflow({"audit", "verify", "--file", copy.string(), "--public-key", pub});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "audit chain of tenant acme verified: events 1.." + std::to_string(head) +
                        " (" + std::to_string(head) + " events, 1 signed checkpoint)\n");

  // Change one byte of the second-to-last event's line.
  std::ifstream in(copy);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string needle = "\"object_id\":\"exc-2\"";
  const size_t at = s.find(needle);
  ASSERT_NE(at, std::string::npos);
  s[at + needle.size() - 2] = '7';
  std::ofstream(copy, std::ios::trunc) << s;
  RunOutput bad = Govflow({"audit", "verify", "--file", copy.string(), "--public-key", pub});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "audit chain of tenant acme does not verify: event " +
                         std::to_string(head - 1) +
                         ": its hash does not match its content (the event was changed)\n");

  // A key that is not the publisher's.
  RunOutput other = Govflow({"audit", "verify", "--file", copy.string(), "--public-key",
                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="});
  EXPECT_EQ(other.exit_code, 1);
  std::filesystem::remove(copy);
}

TEST_P(AuditCommandTest, VerifyActsAsAUserWithAuditRead) {
  RunOutput none = Govflow({"audit", "verify", "@store", "--tenant", "acme"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err,
            "govflow audit verify: --as EMAIL is required: audit commands act as a user\n");
  RunOutput op =
      Govflow({"audit", "verify", "@store", "--tenant", "acme", "--as", "op@acme.example"});
  EXPECT_EQ(op.exit_code, 1);
  EXPECT_NE(op.err.find("audit.read"), std::string::npos) << op.err;
  RunOutput list = Govflow({"audit", "list", "@store", "--tenant", "acme", "--as",
                            "auditor@acme.example", "--object-id", "exc-3"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("user:alice  exception.acknowledge  exception_case/exc-3  \"on it\""),
            std::string::npos)
      << list.out;
}

TEST_P(AuditCommandTest, VerifyWithoutTenantChecksEveryChainTheUserMayRead) {
  RunOutput all = Govflow({"audit", "verify", "@store", "--as", "pa@partner.example"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out.find("audit chain of tenant _partner verified: events 1.."), 0u) << all.out;
  EXPECT_NE(all.out.find("\naudit chain of tenant acme verified: events 1.."), std::string::npos)
      << all.out;
  // A tenant auditor reads only its tenant's chain.
  RunOutput own = Govflow({"audit", "verify", "@store", "--as", "auditor@acme.example"});
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(own.out.find("audit chain of tenant acme verified"), 0u) << own.out;
  EXPECT_EQ(own.out.find("_partner"), std::string::npos) << own.out;
  // One bad chain makes the whole run fail, naming it.
  Sql("DELETE FROM audit_events WHERE tenant_id = 'acme' AND seq = 1");
  RunOutput bad = Govflow({"audit", "verify", "@store", "--as", "pa@partner.example"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err,
            "audit chain of tenant acme does not verify: event 1 is missing (the next "
            "event is 2)\n");
}

INSTANTIATE_TEST_SUITE_P(Stores, AuditCommandTest, ::testing::Values(Where::kData, Where::kStore),
                         [](const ::testing::TestParamInfo<Where>& info) {
                           return info.param == Where::kData ? "Data" : "Store";
                         });

}  // namespace
}  // namespace govflow
