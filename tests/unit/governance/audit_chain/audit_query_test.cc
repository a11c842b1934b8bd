// ListAuditEvents: filters, paging, the audit.read permission and tenant isolation; both stores.
#include <gtest/gtest.h>

#include "governance/audit.h"
#include "unit/governance/access/access_test_fixture.h"

namespace govflow::governance {
namespace {

class AuditQueryTest : public AccessTest {
 protected:
  void SetUp() override {
    AccessTest::SetUp();
    if (IsSkipped()) return;
    NewTenant("a");
    NewTenant("b");
    InTxn([&](store::Txn& txn) -> Status {
      for (int i = 0; i < 6; ++i) {
        clock_.Advance(std::chrono::seconds(10));
        AuditRecord r{.actor = i % 2 == 0 ? "user:alice" : "user:bob",
                      .action = i < 3 ? "exception.acknowledge" : "document.publish",
                      .object_type = i < 3 ? "exception_case" : "document",
                      .object_id = "o" + std::to_string(i % 3)};
        GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, TenantId("a"), r).status());
      }
      AuditRecord other{.actor = "user:carol",
                        .action = "exception.acknowledge",
                        .object_type = "exception_case",
                        .object_id = "o0"};
      return AppendAudit(txn, TenantId("b"), other).status();
    });
    NewUserWithRole("auditor@a.example", TenantId("a"), "auditor");
    NewUserWithRole("operator@a.example", TenantId("a"), "operator");
  }

  std::vector<std::string> List(const std::string& email, const TenantId& tenant,
                                const AuditQuery& q) {
    auto scope = access().Authorize(As(email), tenant, perm::kTenantsRead);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    std::vector<std::string> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto events, ListAuditEvents(txn, *scope, q));
      for (const auto& e : events) {
        out.push_back(e.record.action + " " + e.record.object_id + " " + e.record.actor);
      }
      return Status::Ok();
    });
    return out;
  }
};

TEST_P(AuditQueryTest, FiltersByObjectActorActionPrefixAndTime) {
  using V = std::vector<std::string>;
  const TenantId a("a");
  EXPECT_EQ(List("auditor@a.example", a, {.object_type = "exception_case", .object_id = "o0"}),
            V{"exception.acknowledge o0 user:alice"});
  EXPECT_EQ(List("auditor@a.example", a, {.object_type = "document", .actor = "user:bob"}),
            (V{"document.publish o0 user:bob", "document.publish o2 user:bob"}));
  EXPECT_EQ(List("auditor@a.example", a, {.action_prefix = "document."}).size(), 3u);
  EXPECT_EQ(List("auditor@a.example", a, {.actor = "user:bob", .action_prefix = "exception."}),
            V{"exception.acknowledge o1 user:bob"});
  // The six events are 10 s apart, the last one (i = 5) at now; [now - 20 s, now) holds i = 3, 4.
  const TimePoint now = clock_.Now();
  EXPECT_EQ(List("auditor@a.example", a,
                 {.object_type = "document", .from = now - std::chrono::seconds(20), .to = now}),
            (V{"document.publish o0 user:bob", "document.publish o1 user:alice"}));
}

TEST_P(AuditQueryTest, PagesWithTheSeqCursor) {
  const TenantId a("a");
  auto scope = access().Authorize(As("auditor@a.example"), a, perm::kAuditRead);
  ASSERT_TRUE(scope.ok());
  std::vector<int64_t> seqs;
  int64_t cursor = 0;
  while (true) {
    std::vector<AuditEvent> page;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          page, ListAuditEvents(txn, *scope,
                                {.action_prefix = "document.", .after_seq = cursor, .limit = 2}));
      return Status::Ok();
    });
    if (page.empty()) break;
    EXPECT_LE(page.size(), 2u);
    for (const auto& e : page) seqs.push_back(e.seq);
    cursor = page.back().seq;
  }
  ASSERT_EQ(seqs.size(), 3u);
  EXPECT_LT(seqs[0], seqs[1]);
  EXPECT_LT(seqs[1], seqs[2]);
}

TEST_P(AuditQueryTest, RequiresAuditReadPermission) {
  auto scope = access().Authorize(As("operator@a.example"), TenantId("a"), perm::kTenantsRead);
  ASSERT_TRUE(scope.ok());
  Status st =
      store_->Transact([&](store::Txn& txn) { return ListAuditEvents(txn, *scope, {}).status(); });
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
}

TEST_P(AuditQueryTest, SeesOnlyTheScopesTenant) {
  // The auditor of a cannot obtain a scope on b; b's events never show up in a's listing.
  EXPECT_FALSE(access().Authorize(As("auditor@a.example"), TenantId("b"), perm::kAuditRead).ok());
  for (const std::string& line :
       List("auditor@a.example", TenantId("a"), {.object_type = "exception_case"})) {
    EXPECT_EQ(line.find("carol"), std::string::npos) << line;
  }
}

TEST_P(AuditQueryTest, RejectsALimitOutOfRange) {
  auto scope = access().Authorize(As("auditor@a.example"), TenantId("a"), perm::kAuditRead);
  ASSERT_TRUE(scope.ok());
  Status st = store_->Transact(
      [&](store::Txn& txn) { return ListAuditEvents(txn, *scope, {.limit = 0}).status(); });
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AuditQueryTest);

}  // namespace
}  // namespace govflow::governance
