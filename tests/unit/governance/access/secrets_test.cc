// Connection secrets at rest: what the store holds is sealed under a key kept outside it.
#include "governance/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "unit/governance/governance_store_test.h"

namespace govflow::governance {
namespace {

class SecretsTest : public testing::GovernanceStoreTest {};

TEST_P(SecretsTest, StoredConnectionSecretNeverContainsThePlaintext) {
  CreateTenant(TenantId("a"));
  auto key = GenerateMasterKey();
  ASSERT_TRUE(key.ok());
  const std::string plaintext = R"({"access_token":"shpat_0123456789abcdef"})";
  auto sealed = SealSecret(*key, plaintext);
  ASSERT_TRUE(sealed.ok());
  InTxn([&](store::Txn& txn) {
    store::Connection c;
    c.tenant = TenantId("a");
    c.id = ConnectionId("shop");
    c.kind = "shopify.webhooks";
    c.config_json = "{}";
    c.secret_ciphertext = *sealed;
    c.created_at = c.updated_at = clock_.Now();
    return txn.PutConnection(c);
  });
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto rows, txn.sql().Query("SELECT secret_ciphertext, config_json FROM connections"));
    const std::string stored = rows[0].Text(0);
    EXPECT_EQ(stored.find("shpat_0123456789abcdef"), std::string::npos);
    EXPECT_EQ(stored.find("access_token"), std::string::npos);
    auto opened = OpenSecret(*key, stored);
    EXPECT_TRUE(opened.ok());
    EXPECT_EQ(*opened, plaintext);
    // A wrong key opens nothing.
    auto other = GenerateMasterKey();
    auto wrong = OpenSecret(*other, stored);
    EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
    return Status::Ok();
  });
}

TEST_P(SecretsTest, TamperedOrTruncatedSealFailsToOpen) {
  auto key = GenerateMasterKey();
  auto sealed = SealSecret(*key, "hunter2hunter2");
  ASSERT_TRUE(sealed.ok());
  std::string tampered = *sealed;
  tampered.back() ^= 1;
  EXPECT_EQ(OpenSecret(*key, tampered).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(OpenSecret(*key, sealed->substr(0, 20)).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(SealSecret("short", "x").status().code(), StatusCode::kInvalidArgument);
  // Two seals of one plaintext differ (fresh nonce each time).
  EXPECT_NE(*SealSecret(*key, "same"), *SealSecret(*key, "same"));
}

TEST(MasterKeyFileTest, IsCreatedOnceWithOwnerOnlyMode) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("govflow-key-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = dir / "keys" / "master.key";
  EXPECT_EQ(LoadMasterKeyFile(path, false).status().code(), StatusCode::kFailedPrecondition);
  auto created = LoadMasterKeyFile(path, true);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->size(), kMasterKeyBytes);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadMasterKeyFile(path, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *created);
  auto parsed = MasterKeyFromBase64(MasterKeyToBase64(*created) + "\n", "env");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, *created);
  EXPECT_EQ(MasterKeyFromBase64("bm90IGEga2V5", "GOVFLOW_MASTER_KEY").status().message(),
            "GOVFLOW_MASTER_KEY: not the base64 of 32 bytes");
  std::filesystem::remove_all(dir);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(SecretsTest);

}  // namespace
}  // namespace govflow::governance
