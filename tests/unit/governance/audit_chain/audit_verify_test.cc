// Tampering with a stored audit chain is detected and the first bad event is named, on both
// stores: one flipped byte in any column, a deleted event (middle or last), two events swapped,
// a rewritten chain caught by a signed checkpoint, and checkpoints forged or signed by another key.
#include "governance/audit_verify.h"

#include <gtest/gtest.h>

#include "governance/audit_checkpoint.h"
#include "unit/governance/audit_chain/audit_test_util.h"

namespace govflow::governance {
namespace {

class AuditVerifyTest : public AuditChainTest {
 protected:
  AuditVerification Verify(const TenantId& tenant, char key = 'k') {
    auto r = VerifyAuditChain(*store_, tenant, Signer(key).public_key());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditVerification{};
  }
};

TEST_P(AuditVerifyTest, IntactChainVerifiesWithItsCheckpoints) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 2);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 1);
  AuditVerification v = Verify(t);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.first_seq, 1);
  EXPECT_EQ(v.last_seq, 6);
  EXPECT_EQ(v.events, 6);
  EXPECT_EQ(v.checkpoints, 2);
  EXPECT_EQ(v.Summary(),
            "audit chain of tenant acme verified: events 1..6 (6 events, 2 signed checkpoints)");
}

TEST_P(AuditVerifyTest, EmptyChainVerifies) {
  AuditVerification v = Verify(TenantId("nobody"));
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.events, 0);
}

TEST_P(AuditVerifyTest, OneFlippedByteInAnyColumnNamesTheEvent) {
  struct Case {
    const char* column;
    AuditFault fault;
  };
  const Case cases[] = {
      {"actor", AuditFault::kHashMismatch},
      {"action", AuditFault::kHashMismatch},
      {"object_type", AuditFault::kHashMismatch},
      {"object_id", AuditFault::kHashMismatch},
      {"reason", AuditFault::kHashMismatch},
      {"before_digest", AuditFault::kHashMismatch},
      {"after_digest", AuditFault::kHashMismatch},
      {"details_json", AuditFault::kHashMismatch},
      {"at", AuditFault::kHashMismatch},
      {"hash", AuditFault::kHashMismatch},
      {"prev_hash", AuditFault::kPrevHashMismatch},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.column);
    const TenantId t(std::string("t-") + c.column);
    AppendEvents(t, 5);
    ASSERT_TRUE(Verify(t).ok());
    const std::string col = c.column;
    if (col == "at") {
      Sql("UPDATE audit_events SET at = at + 1 WHERE tenant_id = ? AND seq = 3", {t.value()});
    } else {
      const std::string before =
          Text("SELECT " + col + " FROM audit_events WHERE tenant_id = ? AND seq = 3", {t.value()});
      Sql("UPDATE audit_events SET " + col + " = ? WHERE tenant_id = ? AND seq = 3",
          {FlipByte(before), t.value()});
    }
    AuditVerification v = Verify(t);
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.fault, c.fault) << v.message;
    EXPECT_EQ(v.seq, 3) << v.message;
  }
}

TEST_P(AuditVerifyTest, FlippedContentByteSaysTheEventWasChanged) {
  const TenantId t("acme");
  AppendEvents(t, 4);
  Sql("UPDATE audit_events SET actor = 'user:mallory' WHERE tenant_id = 'acme' AND seq = 2");
  EXPECT_EQ(Verify(t).Summary(),
            "audit chain of tenant acme does not verify: event 2: its hash does not match its "
            "content (the event was changed)");
}

TEST_P(AuditVerifyTest, DeletedMiddleEventIsNamed) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  Sql("DELETE FROM audit_events WHERE tenant_id = 'acme' AND seq = 3");
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kMissingEvent);
  EXPECT_EQ(v.seq, 3);
  EXPECT_EQ(v.message, "event 3 is missing (the next event is 4)");
}

TEST_P(AuditVerifyTest, DeletedLastEventIsDetectedAgainstTheChainHead) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  Sql("DELETE FROM audit_events WHERE tenant_id = 'acme' AND seq = 5");
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kMissingEvent);
  EXPECT_EQ(v.seq, 5);
  EXPECT_EQ(v.message, "event 5 is missing (the chain head is at seq 5)");
}

TEST_P(AuditVerifyTest, DeletedLastEventWithHeadRewoundIsDetectedAgainstTheLatestCheckpoint) {
  const TenantId t("acme");
  std::vector<AuditEvent> events = AppendEvents(t, 5);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  // Someone with write access removes the last event and makes the head agree.
  Sql("DELETE FROM audit_events WHERE tenant_id = 'acme' AND seq = 5");
  Sql("UPDATE audit_chain_heads SET last_seq = 4, last_hash = ? WHERE tenant_id = 'acme'",
      {events[3].hash});
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kMissingEvent);
  EXPECT_EQ(v.seq, 5);
  EXPECT_EQ(v.message, "event 5 is missing (a signed checkpoint covers the chain through seq 5)");
}

TEST_P(AuditVerifyTest, SwappedEventContentsAreDetectedAtTheFirstOfThem) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  // Swap every column but the key between seq 2 and seq 4.
  Sql("UPDATE audit_events SET seq = -4 WHERE tenant_id = 'acme' AND seq = 4");
  Sql("UPDATE audit_events SET seq = 4 WHERE tenant_id = 'acme' AND seq = 2");
  Sql("UPDATE audit_events SET seq = 2 WHERE tenant_id = 'acme' AND seq = -4");
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kPrevHashMismatch);
  EXPECT_EQ(v.seq, 2);
  EXPECT_EQ(v.message,
            "event 2: prev_hash is not the hash of the event before it (events were reordered, "
            "inserted or removed)");
}

TEST_P(AuditVerifyTest, SwappedAdjacentEventsAreDetected) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  Sql("UPDATE audit_events SET seq = -1 WHERE tenant_id = 'acme' AND seq = 4");
  Sql("UPDATE audit_events SET seq = 4 WHERE tenant_id = 'acme' AND seq = 3");
  Sql("UPDATE audit_events SET seq = 3 WHERE tenant_id = 'acme' AND seq = -1");
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kPrevHashMismatch);
  EXPECT_EQ(v.seq, 3);
}

TEST_P(AuditVerifyTest, InsertedEventPastTheHeadIsNamed) {
  const TenantId t("acme");
  std::vector<AuditEvent> events = AppendEvents(t, 3);
  AuditEvent forged = events[2];
  forged.seq = 4;
  forged.prev_hash = events[2].hash;
  forged.hash = ComputeAuditHash(forged);
  Sql("INSERT INTO audit_events (tenant_id, seq, at, actor, action, object_type, object_id, "
      "reason, before_digest, after_digest, details_json, prev_hash, hash) SELECT tenant_id, 4, "
      "at, actor, action, object_type, object_id, reason, before_digest, after_digest, "
      "details_json, ?, ? FROM audit_events WHERE tenant_id = 'acme' AND seq = 3",
      {forged.prev_hash, forged.hash});
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kUnexpectedEvent);
  EXPECT_EQ(v.seq, 4);
}

TEST_P(AuditVerifyTest, RewrittenChainWithRecomputedHashesIsCaughtByTheSignedCheckpoint) {
  const TenantId t("acme");
  AppendEvents(t, 4);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 2);
  // An attacker with database access changes event 2 and recomputes every later hash and the
  // head, so that the hash chain alone is consistent again.
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto events, ReadStoredAuditEvents(txn, t, 1, 0, 100));
    std::string prev = events[0].hash;
    for (size_t i = 1; i < events.size(); ++i) {
      AuditEvent& e = events[i];
      if (e.seq == 2) e.record.reason = "nothing to see";
      e.prev_hash = prev;
      e.hash = ComputeAuditHash(e);
      prev = e.hash;
      GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                  .Execute("UPDATE audit_events SET reason = ?, prev_hash = ?, "
                                           "hash = ? WHERE tenant_id = ? AND seq = ?",
                                           {e.record.reason, e.prev_hash, e.hash, t.value(), e.seq})
                                  .status());
    }
    return txn.sql()
        .Execute("UPDATE audit_chain_heads SET last_hash = ? WHERE tenant_id = ?",
                 {prev, t.value()})
        .status();
  });
  AuditVerification v = Verify(t);
  EXPECT_EQ(v.fault, AuditFault::kCheckpointMismatch);
  EXPECT_EQ(v.seq, 4);
  EXPECT_EQ(v.message,
            "event 4: its hash is not the one the signed checkpoint at seq 4 records (the chain "
            "was rewritten)");
}

TEST_P(AuditVerifyTest, CheckpointSignedByAnotherKeyFails) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer('z')).ok());
  AuditVerification v = Verify(t, 'k');
  EXPECT_EQ(v.fault, AuditFault::kBadCheckpointSignature);
  EXPECT_EQ(v.seq, 3);
  EXPECT_EQ(v.message,
            "checkpoint at seq 3: the signature does not verify with the given public key");
  EXPECT_TRUE(Verify(t, 'z').ok());
}

TEST_P(AuditVerifyTest, TamperedCheckpointFieldsBreakItsSignature) {
  for (const std::string col : {"hash", "at", "signature"}) {
    SCOPED_TRACE(col);
    const TenantId t("t-" + col);
    AppendEvents(t, 3);
    ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
    if (col == "at") {
      Sql("UPDATE audit_checkpoints SET at = at + 1 WHERE tenant_id = ?", {t.value()});
    } else {
      const std::string before =
          Text("SELECT " + col + " FROM audit_checkpoints WHERE tenant_id = ?", {t.value()});
      Sql("UPDATE audit_checkpoints SET " + col + " = ? WHERE tenant_id = ?",
          {FlipByte(before), t.value()});
    }
    AuditVerification v = Verify(t);
    EXPECT_EQ(v.fault, AuditFault::kBadCheckpointSignature) << v.message;
    EXPECT_EQ(v.seq, 3);
  }
}

TEST_P(AuditVerifyTest, ChainsOfOtherTenantsAreUnaffectedByTampering) {
  AppendEvents(TenantId("a"), 3);
  AppendEvents(TenantId("b"), 3);
  Sql("DELETE FROM audit_events WHERE tenant_id = 'a' AND seq = 2");
  EXPECT_FALSE(Verify(TenantId("a")).ok());
  EXPECT_TRUE(Verify(TenantId("b")).ok());
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AuditVerifyTest);

}  // namespace
}  // namespace govflow::governance
