// The audit chain's append path: seqs and hashes link per tenant, on both stores.
#include <gtest/gtest.h>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {
namespace {

class AuditAppendTest : public testing::GovernanceStoreTest {};

TEST_P(AuditAppendTest, ChainsEventsPerTenantWithPrevHashAndSeq) {
  CreateTenant(TenantId("a"));
  CreateTenant(TenantId("b"));
  AuditEvent a1, a2, b1;
  InTxn([&](store::Txn& txn) -> Status {
    AuditRecord r{.actor = "user:alice",
                  .action = "document.submit",
                  .object_type = "document",
                  .object_id = "d1"};
    GOVFLOW_ASSIGN_OR_RETURN(a1, AppendAudit(txn, TenantId("a"), r));
    GOVFLOW_ASSIGN_OR_RETURN(b1, AppendAudit(txn, TenantId("b"), r));
    r.action = "document.approve";
    r.details_json = R"({"version":2})";
    GOVFLOW_ASSIGN_OR_RETURN(a2, AppendAudit(txn, TenantId("a"), r));
    return Status::Ok();
  });
  EXPECT_EQ(a1.seq, 1);
  EXPECT_EQ(a2.seq, 2);
  EXPECT_EQ(b1.seq, 1);
  EXPECT_EQ(a1.prev_hash, kAuditGenesisHash);
  EXPECT_EQ(a2.prev_hash, a1.hash);
  EXPECT_EQ(a2.hash, Sha256Hex(a1.hash + CanonicalAuditEvent(a2)));
  EXPECT_NE(a1.hash, b1.hash);  // the tenant is part of the canonical event
}

TEST_P(AuditAppendTest, RejectsDetailsThatAreNotAJsonObjectAndWritesNothing) {
  CreateTenant(TenantId("a"));
  Status st = store_->Transact([&](store::Txn& txn) {
    AuditRecord r{.actor = "user:alice", .action = "x.y", .details_json = "[1]"};
    return AppendAudit(txn, TenantId("a"), r).status();
  });
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query("SELECT COUNT(*) FROM audit_events"));
    EXPECT_EQ(rows[0].Int(0), 0);
    return Status::Ok();
  });
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AuditAppendTest);

}  // namespace
}  // namespace govflow::governance
