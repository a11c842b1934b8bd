// Audit appends inside the group committer's batch transactions are buffered per tenant and
// written at commit (one head read, one multi-row insert): the chain they leave must be exactly
// the chain of one-by-one appends, and units that fail or roll back to a savepoint must leave no
// trace in it. On both stores.
#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "governance/access.h"
#include "governance/audit.h"
#include "governance/audit_verify.h"
#include "store/committer.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {
namespace {

class AuditBatchTest : public testing::GovernanceStoreTest {
 protected:
  // A committer whose batches linger long enough that units submitted back to back share one.
  std::unique_ptr<store::Committer> LingeringCommitter() {
    store::CommitterOptions options;
    options.max_delay = std::chrono::milliseconds(300);
    return std::make_unique<store::Committer>(*store_, options);
  }

  static AuditRecord Record(std::string action, std::string object_id) {
    return AuditRecord{.actor = "system:test",
                       .action = std::move(action),
                       .object_type = "run",
                       .object_id = std::move(object_id),
                       .details_json = R"({"step":"post"})"};
  }

  std::vector<AuditEvent> Stored(const TenantId& tenant) {
    std::vector<AuditEvent> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, ReadStoredAuditEvents(txn, tenant, 1, 0, 1000));
      return Status::Ok();
    });
    return out;
  }

  void ExpectVerifies(const TenantId& tenant, int64_t events) {
    auto report = VerifyAuditChain(*store_, tenant, "");
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->Summary();
    EXPECT_EQ(report->events, events);
  }
};

TEST_P(AuditBatchTest, AppendsOfOneBatchChainExactlyAsOneByOneAppendsAcrossTenants) {
  const TenantId a("a"), b("b");
  CreateTenant(a);
  CreateTenant(b);
  // One event before the batch, so that the batch continues an existing head.
  InTxn([&](store::Txn& txn) { return AppendAudit(txn, a, Record("run.created", "r0")).status(); });

  auto committer = LingeringCommitter();
  std::vector<std::future<Status>> done;
  std::vector<AuditEvent> returned(20);
  for (int i = 0; i < 20; ++i) {
    const TenantId& tenant = i % 3 == 0 ? b : a;
    done.push_back(committer->Submit([&, i, tenant](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          returned[i], AppendAudit(txn, tenant, Record("run.started", "r" + std::to_string(i))));
      return Status::Ok();
    }));
  }
  for (auto& f : done) ASSERT_TRUE(f.get().ok());
  EXPECT_EQ(committer->stats().batches, 1);  // the 20 units really shared a transaction
  committer->Stop();

  const std::vector<AuditEvent> stored_a = Stored(a);
  const std::vector<AuditEvent> stored_b = Stored(b);
  ASSERT_EQ(stored_a.size(), 14u);  // r0 + 13 of the batch
  ASSERT_EQ(stored_b.size(), 7u);
  for (size_t i = 0; i < stored_a.size(); ++i) {
    EXPECT_EQ(stored_a[i].seq, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(stored_a[i].hash, ComputeAuditHash(stored_a[i]));
    if (i > 0) {
      EXPECT_EQ(stored_a[i].prev_hash, stored_a[i - 1].hash);
    }
  }
  // What AppendAudit returned inside the batch is what was stored.
  for (int i = 0; i < 20; ++i) {
    const std::vector<AuditEvent>& chain = i % 3 == 0 ? stored_b : stored_a;
    const AuditEvent& r = returned[i];
    ASSERT_GE(r.seq, 1);
    ASSERT_LE(r.seq, static_cast<int64_t>(chain.size()));
    EXPECT_EQ(chain[r.seq - 1].hash, r.hash);
    EXPECT_EQ(chain[r.seq - 1].record.object_id, "r" + std::to_string(i));
  }
  ExpectVerifies(a, 14);
  ExpectVerifies(b, 7);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto head, GetAuditChainHead(txn, a));
    EXPECT_TRUE(head.has_value());
    if (head) {
      EXPECT_EQ(head->hash, stored_a.back().hash);
    }
    return Status::Ok();
  });
}

TEST_P(AuditBatchTest, FailedUnitLeavesNoEventAndSiblingsChainWithoutAGap) {
  const TenantId a("a");
  CreateTenant(a);
  auto committer = LingeringCommitter();
  auto first = committer->Submit(
      [&](store::Txn& txn) { return AppendAudit(txn, a, Record("run.started", "ok-1")).status(); });
  auto failing = committer->Submit([&](store::Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, a, Record("run.started", "doomed")).status());
    return FailedPrecondition("this unit fails after appending");
  });
  auto last = committer->Submit(
      [&](store::Txn& txn) { return AppendAudit(txn, a, Record("run.started", "ok-2")).status(); });
  EXPECT_TRUE(first.get().ok());
  EXPECT_EQ(failing.get().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(last.get().ok());
  committer->Stop();

  const std::vector<AuditEvent> stored = Stored(a);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].record.object_id, "ok-1");
  EXPECT_EQ(stored[1].record.object_id, "ok-2");
  EXPECT_EQ(stored[1].seq, 2);
  ExpectVerifies(a, 2);
}

TEST_P(AuditBatchTest, RollbackToASavepointInsideAUnitDropsOnlyTheEventsAfterIt) {
  const TenantId a("a");
  CreateTenant(a);
  auto committer = LingeringCommitter();
  Status s = committer->SubmitAndWait([&](store::Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, a, Record("run.started", "kept-1")).status());
    GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("inner_step"));
    GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, a, Record("run.waiting", "undone")).status());
    GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("inner_step"));
    GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("inner_step"));
    return AppendAudit(txn, a, Record("run.succeeded", "kept-2")).status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  committer->Stop();
  const std::vector<AuditEvent> stored = Stored(a);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].record.object_id, "kept-1");
  EXPECT_EQ(stored[1].record.object_id, "kept-2");
  ExpectVerifies(a, 2);
}

TEST_P(AuditBatchTest, ReadersInsideTheBatchSeeBufferedEvents) {
  const TenantId a("a");
  CreateTenant(a);
  auto committer = LingeringCommitter();
  Status s = committer->SubmitAndWait([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(AuditEvent e, AppendAudit(txn, a, Record("run.started", "r1")));
    GOVFLOW_ASSIGN_OR_RETURN(auto head, GetAuditChainHead(txn, a));
    EXPECT_TRUE(head.has_value());
    if (head) {
      EXPECT_EQ(head->hash, e.hash);
    }
    const TenantScope scope = TenantScope::ForSystem(a, "test");
    GOVFLOW_ASSIGN_OR_RETURN(auto listed, ListAuditEvents(txn, scope, AuditQuery{}));
    EXPECT_EQ(listed.size(), 1u);
    // Appending after the read continues the chain.
    GOVFLOW_ASSIGN_OR_RETURN(AuditEvent e2, AppendAudit(txn, a, Record("run.succeeded", "r1")));
    EXPECT_EQ(e2.seq, 2);
    EXPECT_EQ(e2.prev_hash, e.hash);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  committer->Stop();
  ExpectVerifies(a, 2);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AuditBatchTest);

}  // namespace
}  // namespace govflow::governance
