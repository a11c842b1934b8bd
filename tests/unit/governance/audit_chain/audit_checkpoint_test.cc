// Signed checkpoints, the scheduled checkpoint job's policy, and purging audit events through a
// checkpoint (retention of the audit class) while the chain still verifies; on both stores.
#include "governance/audit_checkpoint.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "governance/audit_verify.h"
#include "unit/governance/audit_chain/audit_test_util.h"

namespace govflow::governance {
namespace {

class AuditCheckpointTest : public AuditChainTest {
 protected:
  AuditVerification Verify(const TenantId& tenant) {
    auto r = VerifyAuditChain(*store_, tenant, Signer().public_key());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditVerification{};
  }
  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query(sql));
      n = rows[0].Int(0);
      return Status::Ok();
    });
    return n;
  }
};

TEST_P(AuditCheckpointTest, SignsTheChainHeadAndIsIdempotentAtTheSameHead) {
  const TenantId t("acme");
  std::vector<AuditEvent> events = AppendEvents(t, 3);
  auto c = CreateCheckpoint(*store_, t, Signer());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->seq, 3);
  EXPECT_EQ(c->hash, events[2].hash);
  EXPECT_EQ(c->at, clock_.Now());
  EXPECT_EQ(c->public_key, Signer().PublicKeyBase64());
  EXPECT_TRUE(VerifyAuditCheckpoint(*c, Signer().public_key()));
  EXPECT_FALSE(VerifyAuditCheckpoint(*c, Signer('z').public_key()));
  // The signed bytes are exactly the documented message.
  auto sig = AuditFromBase64(c->signature);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifyAuditSignature(
      Signer().public_key(),
      R"({"at":)" + std::to_string(c->at.time_since_epoch().count()) + R"(,"hash":")" +
          events[2].hash + R"(","seq":3,"tenant":"acme","type":"govflow.audit.checkpoint.v1"})",
      *sig));

  clock_.Advance(std::chrono::minutes(1));
  auto again = CreateCheckpoint(*store_, t, Signer());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at, c->at);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoints"), 1);
}

TEST_P(AuditCheckpointTest, RefusesATenantWithoutEvents) {
  EXPECT_EQ(CreateCheckpoint(*store_, TenantId("empty"), Signer()).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(AuditCheckpointTest, DueChainsFollowTheEventCountAndTimePolicy) {
  const AuditCheckpointPolicy policy{.every_events = 3, .every = std::chrono::hours(1)};
  auto due = [&] {
    auto n = CheckpointDueChains(*store_, clock_, Signer(), policy);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  };
  EXPECT_EQ(due(), 0);  // no chains at all
  AppendEvents(TenantId("a"), 1);
  AppendEvents(TenantId("b"), 1);
  EXPECT_EQ(due(), 2);  // a chain without a checkpoint is due at once
  EXPECT_EQ(due(), 0);  // heads unchanged
  AppendEvents(TenantId("a"), 2);
  EXPECT_EQ(due(), 0);  // 2 new events < 3, and less than an hour
  AppendEvents(TenantId("a"), 1);
  EXPECT_EQ(due(), 1);  // 3 new events
  AppendEvents(TenantId("b"), 1);
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(due(), 0);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(due(), 1);  // b: an hour since its checkpoint, and its head moved
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoints WHERE tenant_id = 'a'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_checkpoints WHERE tenant_id = 'b'"), 2);
  EXPECT_TRUE(Verify(TenantId("a")).ok());
  EXPECT_TRUE(Verify(TenantId("b")).ok());
}

TEST_P(AuditCheckpointTest, CheckpointsTakenWhileOthersAppendAlwaysMatchTheChain) {
  const TenantId t("acme");
  AppendEvents(t, 1);  // the head exists, so appenders only update it
  constexpr int kAppenders = 3;
  constexpr int kEach = 30;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int a = 0; a < kAppenders; ++a) {
    threads.emplace_back([&, a] {
      for (int i = 0; i < kEach; ++i) {
        Status st = store_->Transact(
            [&](store::Txn& txn) {
              AuditRecord r{.actor = "user:u" + std::to_string(a),
                            .action = "run.transition",
                            .object_type = "run",
                            .object_id = std::to_string(i)};
              return AppendAudit(txn, t, r).status();
            },
            20);
        if (!st.ok()) ++failures;
      }
    });
  }
  const AuditCheckpointPolicy every_event{.every_events = 1, .every = std::chrono::hours(1)};
  int made = 0;
  for (int i = 0; i < 20; ++i) {
    auto n = CheckpointDueChains(*store_, clock_, Signer(), every_event);
    if (n.ok()) made += *n;
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(made, 0);
  AuditVerification v = Verify(t);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.events, 1 + kAppenders * kEach);
  EXPECT_EQ(v.checkpoints, Count("SELECT COUNT(*) FROM audit_checkpoints"));
}

TEST_P(AuditCheckpointTest, PurgeNeedsACheckpointAtThatSeq) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  Status st = store_->Transact(
      [&](store::Txn& txn) { return PurgeAuditEventsThrough(txn, t, 3).status(); });
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events"), 5);
}

TEST_P(AuditCheckpointTest, ChainVerifiesFromTheAnchorAfterAPurgeAndRecordsThePurge) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 2);
  int64_t deleted = -1;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(deleted, PurgeAuditEventsThrough(txn, t, 3));
    return Status::Ok();
  });
  EXPECT_EQ(deleted, 3);
  EXPECT_EQ(Count("SELECT MIN(seq) FROM audit_events"), 4);
  AuditVerification v = Verify(t);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.first_seq, 4);
  EXPECT_EQ(v.last_seq, 6);  // 6 is the audit.purge event
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto events, ReadStoredAuditEvents(txn, t, 6, 6, 1));
    EXPECT_EQ(events.at(0).record.action, "audit.purge");
    EXPECT_EQ(events.at(0).record.actor, "system:retention");
    EXPECT_EQ(events.at(0).record.details_json, R"({"through_seq":3,"events_deleted":3})");
    // Purging again through the same checkpoint does nothing.
    GOVFLOW_ASSIGN_OR_RETURN(int64_t again, PurgeAuditEventsThrough(txn, t, 3));
    EXPECT_EQ(again, 0);
    return Status::Ok();
  });
  // And the chain goes on: more events, another checkpoint and purge.
  AppendEvents(t, 2);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  InTxn([&](store::Txn& txn) { return PurgeAuditEventsThrough(txn, t, 8).status(); });
  v = Verify(t);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.first_seq, 9);
}

TEST_P(AuditCheckpointTest, TamperingAfterAPurgeIsStillDetected) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 3);
  InTxn([&](store::Txn& txn) { return PurgeAuditEventsThrough(txn, t, 3).status(); });
  Sql("UPDATE audit_events SET object_id = 'x' WHERE tenant_id = 'acme' AND seq = 5");
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kHashMismatch);
  EXPECT_EQ(v.seq, 5);
}

TEST_P(AuditCheckpointTest, AnchorWithoutItsCheckpointFails) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 1);
  InTxn([&](store::Txn& txn) { return PurgeAuditEventsThrough(txn, t, 3).status(); });
  Sql("DELETE FROM audit_checkpoints WHERE tenant_id = 'acme'");
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kCheckpointMismatch);
  EXPECT_EQ(v.seq, 3);
}

TEST_P(AuditCheckpointTest, AnchorMovedForwardWithoutAPurgeRecordIsDetected) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 2);
  InTxn([&](store::Txn& txn) { return PurgeAuditEventsThrough(txn, t, 3).status(); });
  AppendEvents(t, 2);  // seqs 7, 8 (6 is the purge record)
  auto c = CreateCheckpoint(*store_, t, Signer());
  ASSERT_TRUE(c.ok());
  AppendEvents(t, 1);
  // Someone deletes events 4..8 (with the purge record) and moves the anchor to the checkpoint.
  Sql("DELETE FROM audit_events WHERE tenant_id = 'acme' AND seq <= 8");
  Sql("UPDATE audit_chain_anchors SET seq = 8, hash = ? WHERE tenant_id = 'acme'", {c->hash});
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kUnrecordedPurge) << v.message;
  EXPECT_EQ(v.seq, 9);
}

TEST_P(AuditCheckpointTest, SigningKeyFileIsCreatedOnceWithMode0600) {
  if (GetParam() == testing::StoreKind::kPostgres) GTEST_SKIP() << "store-independent";
  ::unsetenv(std::string(kAuditSigningKeyEnv).c_str());
  const std::string dir = (temp_dir_ / "data").string();
  EXPECT_EQ(LoadAuditSigner(dir, false).status().code(), StatusCode::kFailedPrecondition);
  auto first = LoadAuditSigner(dir, true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat((temp_dir_ / "data" / "audit-signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto second = LoadAuditSigner(dir, true);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->public_key(), second->public_key());
  // The environment variable wins over the file.
  ::setenv(std::string(kAuditSigningKeyEnv).c_str(), AuditBase64(std::string(32, 'k')).c_str(), 1);
  auto from_env = LoadAuditSigner(dir, false);
  ::unsetenv(std::string(kAuditSigningKeyEnv).c_str());
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->public_key(), Signer().public_key());
  EXPECT_EQ(LoadAuditSigner("", false).status().code(), StatusCode::kFailedPrecondition);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AuditCheckpointTest);

}  // namespace
}  // namespace govflow::governance
