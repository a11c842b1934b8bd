// Intake and the inbox: classification, severity/ownership/SLA from the policies, root-cause
// groups with summed business impact, filters, sorting and cursor pages, tenant isolation.
#include <gtest/gtest.h>

#include "base/canonical_json.h"
#include "governance/exceptions/cases.h"
#include "unit/governance/exceptions/exception_fixture.h"

namespace govflow::governance::exceptions {
namespace {

using testing::ExceptionFixture;

class ExceptionCasesTest : public ExceptionFixture {};

PolicySet Policies() {
  PolicySet p;
  p.severity = std::make_shared<policies::SeverityPolicy>(*policies::ParseSeverityPolicy(
      R"(apiVersion: govflow/v1
kind: SeverityPolicy
spec:
  default: P3
  rules:
    - name: large
      when: impact.order_value >= 500.0
      severity: P1
    - name: master-data
      when: exception.category == "master_data"
      severity: P2
)",
      "severity.yaml"));
  p.ownership = std::make_shared<policies::OwnershipMap>(*policies::ParseOwnershipMap(
      R"(apiVersion: govflow/v1
kind: OwnershipMap
spec:
  default_team: integration-support
  rules:
    - process: order-capture
      categories: [master_data]
      team: master-data
)",
      "ownership.yaml"));
  return p;
}

TEST_P(ExceptionCasesTest, ThreeHundredOrdersFailingOnOneUnknownSkuAreOneGroupWithSummedImpact) {
  const TenantId t("acme");
  SeedTenant(t);
  int64_t expected_minor = 0;
  for (int i = 0; i < 300; ++i) {
    const int cents = 1000 + i;  // 10.00, 10.01, ...
    expected_minor += cents;
    std::string total = std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
                        std::to_string(cents % 100);
    OpenCase(t, Order(i, total, "cust-" + std::to_string(i % 120)), "post_sales_order", "rejected",
             UnknownSku("SKU-404"), Policies());
  }
  OpenCase(t, Order(999, "5.00", "other"), "post_sales_order", "transient",
           "connection reset by peer", Policies());
  const TenantScope scope = TenantScope::ForSystem(t, "test");
  auto groups = ListGroups(*store_, scope, {});
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 2u);
  const GroupView& g = (*groups)[0];
  EXPECT_EQ(g.root_cause_key, "unknown_item:SKU-404");
  EXPECT_EQ(g.category, "master_data");
  EXPECT_EQ(g.members, 300);
  EXPECT_EQ(g.unresolved, 300);
  EXPECT_EQ(g.customers, 120);
  ASSERT_EQ(g.order_value.size(), 1u);
  EXPECT_EQ(g.order_value[0].currency, "EUR");
  EXPECT_EQ(g.order_value[0].value_minor, expected_minor);
  EXPECT_EQ(g.highest_severity, "P2");
  EXPECT_EQ(g.teams, std::vector<std::string>{"master-data"});
  EXPECT_EQ((*groups)[1].members, 1);
  EXPECT_EQ((*groups)[1].teams, std::vector<std::string>{"integration-support"});

  auto members = GroupMembers(*store_, scope, "unknown_item:SKU-404", true);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 300u);
}

TEST_P(ExceptionCasesTest, IntakeGivesSeverityTeamSlaClocksImpactAndAuditsTheOpening) {
  const TenantId t("acme");
  SeedTenant(t);
  const TimePoint opened = clock_.Now();
  ExceptionCaseId big = OpenCase(t, Order(1, "1250.50", "c1"), "post_sales_order", "rejected",
                                 UnknownSku("SKU-9"), Policies());
  ExceptionCaseId small = OpenCase(t, Order(2, "12.00", "c2"), "validate_order", "validation",
                                   "order #1002: no valid customer email", Policies());
  const TenantScope scope = TenantScope::ForSystem(t, "test");
  auto b = GetCase(*store_, scope, big);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->severity, "P1");
  EXPECT_EQ(b->owner_team, "master-data");
  EXPECT_EQ(b->root_cause_key, "unknown_item:SKU-9");
  EXPECT_EQ(b->order_value_minor, 125050);
  EXPECT_EQ(b->currency, "EUR");
  EXPECT_EQ(b->customer_key, "c1");
  // The fallback SLA policy (none published): P1 acknowledge 15m, resolve 4h.
  EXPECT_EQ(b->ack_due_at, opened + std::chrono::minutes(15));
  EXPECT_EQ(b->resolve_due_at, opened + std::chrono::hours(4));
  EXPECT_EQ(b->state, CaseState::kOpen);
  EXPECT_NE(b->policy_note.find("fallback: sla, escalation"), std::string::npos);

  auto s = GetCase(*store_, scope, small);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->severity, "P3");
  EXPECT_EQ(s->category, "data");
  EXPECT_EQ(s->owner_team, "integration-support");
  EXPECT_EQ(s->ack_due_at, opened + std::chrono::hours(4));

  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows,
                             txn.sql().Query("SELECT action, details_json FROM audit_events WHERE "
                                             "tenant_id = ? AND object_id = ?",
                                             {t.value(), big.value()}));
    EXPECT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].Text(0), "exception.open");
    EXPECT_NE(rows[0].Text(1).find("\"severity\":\"P1\""), std::string::npos);
    EXPECT_EQ(rows[0].Text(1).find("SKU-404\",\"quantity"), std::string::npos);  // no payload
    return Status::Ok();
  });
}

TEST_P(ExceptionCasesTest, TakingInTheSameCaseTwiceChangesNothing) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId id =
      OpenCase(t, Order(1, "10.00", "c1"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(t, id));
    GOVFLOW_ASSIGN_OR_RETURN(store::Run r, txn.GetRun(t, c.run));
    GOVFLOW_RETURN_IF_ERROR(OnExceptionOpened(txn, c, r, Policies()));
    GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query("SELECT COUNT(*) FROM audit_events WHERE "
                                                        "tenant_id = ? AND object_id = ?",
                                                        {t.value(), id.value()}));
    EXPECT_EQ(rows[0].Int(0), 1);
    return Status::Ok();
  });
}

TEST_P(ExceptionCasesTest, ListSortsBySlaRiskOrImpactAndPagesWithACursor) {
  const TenantId t("acme");
  SeedTenant(t);
  // P1 (15m to acknowledge) for the large order, P3 (4h) for the others.
  std::vector<ExceptionCaseId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(OpenCase(t, Order(i, std::to_string(10 + i) + ".00", "c"), "post_sales_order",
                           "transient", "timeout " + std::to_string(i), Policies()));
    clock_.Advance(std::chrono::seconds(1));
  }
  ExceptionCaseId urgent =
      OpenCase(t, Order(9, "900.00", "c"), "post_sales_order", "transient", "reset", Policies());
  const TenantScope scope = TenantScope::ForSystem(t, "test");
  CaseFilter f;
  f.limit = 4;
  auto page1 = ListCases(*store_, scope, f);
  ASSERT_TRUE(page1.ok()) << page1.status().message();
  ASSERT_EQ(page1->cases.size(), 4u);
  EXPECT_EQ(page1->cases[0].exception.id, urgent);
  EXPECT_EQ(page1->cases[1].exception.id, ids[0]);
  EXPECT_FALSE(page1->next_cursor.empty());
  f.cursor = page1->next_cursor;
  auto page2 = ListCases(*store_, scope, f);
  ASSERT_TRUE(page2.ok()) << page2.status().message();
  ASSERT_EQ(page2->cases.size(), 2u);
  EXPECT_EQ(page2->cases[0].exception.id, ids[3]);
  EXPECT_EQ(page2->cases[1].exception.id, ids[4]);
  EXPECT_TRUE(page2->next_cursor.empty());

  f = {};
  f.sort = CaseSort::kBusinessImpact;
  f.limit = 2;
  auto by_value = ListCases(*store_, scope, f);
  ASSERT_TRUE(by_value.ok());
  EXPECT_EQ(by_value->cases[0].exception.id, urgent);
  EXPECT_EQ(by_value->cases[1].exception.id, ids[4]);
  f.cursor = by_value->next_cursor;
  auto next = ListCases(*store_, scope, f);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->cases[0].exception.id, ids[3]);

  // SLA risk filter: after 16 minutes the P1 case is breached, the rest are not.
  clock_.Advance(std::chrono::minutes(16));
  f = {};
  f.sla_risk = SlaRisk::kBreached;
  auto breached = ListCases(*store_, scope, f);
  ASSERT_TRUE(breached.ok());
  ASSERT_EQ(breached->cases.size(), 1u);
  EXPECT_EQ(breached->cases[0].exception.id, urgent);
  f = {};
  f.severity = "P3";
  f.team = "integration-support";
  auto p3 = ListCases(*store_, scope, f);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->cases.size(), 5u);
}

TEST_P(ExceptionCasesTest, TenantScopeCannotReadOrActOnAnotherTenantsCase) {
  SeedTenant(TenantId("a"));
  SeedTenant(TenantId("b"));
  ExceptionCaseId bs = OpenCase(TenantId("b"), Order(1, "10.00", "c"), "post_sales_order",
                                "rejected", UnknownSku("SKU-1"));
  const TenantScope a = TenantScope::ForSystem(TenantId("a"), "test");
  EXPECT_EQ(GetCase(*store_, a, bs).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Acknowledge(*store_, a, {bs}, "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Resolve(*store_, a, {bs}, "fixed").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Assign(*store_, a, {bs}, "x", "", "").status().code(), StatusCode::kNotFound);
  auto list = ListCases(*store_, a, {});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->cases.empty());
  auto groups = ListGroups(*store_, a, {});
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty());
  auto members = GroupMembers(*store_, a, "unknown_item:SKU-1", false);
  ASSERT_TRUE(members.ok());
  EXPECT_TRUE(members->empty());
  // Bulk: tenant B's case is passed over as not found; nothing of B changes.
  ExceptionCaseId as = OpenCase(TenantId("a"), Order(2, "10.00", "c"), "post_sales_order",
                                "rejected", UnknownSku("SKU-1"));
  auto bulk = Acknowledge(*store_, a, {as, bs}, "");
  ASSERT_TRUE(bulk.ok());
  EXPECT_EQ(bulk->done, std::vector<ExceptionCaseId>{as});
  ASSERT_EQ(bulk->skipped.size(), 1u);
  EXPECT_EQ(bulk->skipped[0].second.code(), StatusCode::kNotFound);
  auto b_case = GetCase(*store_, TenantScope::ForSystem(TenantId("b"), "test"), bs);
  ASSERT_TRUE(b_case.ok());
  EXPECT_FALSE(b_case->acknowledged_at.has_value());
}

TEST_P(ExceptionCasesTest, AcknowledgeAssignResolveMoveTheStateAndAreAudited) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId id =
      OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  clock_.Advance(std::chrono::minutes(3));
  ASSERT_TRUE(Acknowledge(*store_, scope, {id}, "looking").ok());
  EXPECT_EQ(Acknowledge(*store_, scope, {id}, "again").status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Assign(*store_, scope, {id}, "master-data", "mia@example.com", "hers").ok());
  EXPECT_EQ(Resolve(*store_, scope, {id}, "").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Resolve(*store_, scope, {id}, "item created in the ERP").ok());
  auto c = GetCase(*store_, scope, id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, CaseState::kResolved);
  EXPECT_EQ(c->exception.state, store::ExceptionState::kResolved);
  EXPECT_EQ(c->owner_team, "master-data");
  EXPECT_EQ(c->assignee, "mia@example.com");
  EXPECT_EQ(*c->acknowledged_at, clock_.Now());
  EXPECT_EQ(c->resolution, "resolved");
  EXPECT_EQ(c->resolution_reason, "item created in the ERP");
  EXPECT_EQ(c->sla_risk, SlaRisk::kMet);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows,
                             txn.sql().Query("SELECT action, actor FROM audit_events WHERE "
                                             "tenant_id = ? AND object_id = ? ORDER BY seq",
                                             {t.value(), id.value()}));
    std::vector<std::string> actions;
    for (const auto& r : rows) actions.push_back(r.Text(0));
    EXPECT_EQ(actions, (std::vector<std::string>{"exception.open", "exception.acknowledge",
                                                 "exception.assign", "exception.resolve"}));
    EXPECT_EQ(rows[1].Text(1), "system:operator");
    return Status::Ok();
  });
}

TEST_P(ExceptionCasesTest, IntakeUsesTheTenantsPoliciesPublishedToProdElseThePartners) {
  const TenantId t("acme");
  SeedTenant(t);
  auto publish = [&](const std::string& owner, const std::string& kind, const std::string& name,
                     const std::string& yaml, const std::string& env) {
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("INSERT INTO governance_documents (tenant_id, kind, name, version, "
                       "content_hash, source_yaml, inherits, state, author, submitted_by, "
                       "reviewed_by, review_comment, created_at, updated_at) VALUES (?, ?, ?, 1, "
                       "?, ?, '', 'approved', 'a', 'a', 'b', '', 0, 0)",
                       {owner, kind, name, Sha256Hex(yaml), yaml})
              .status());
      return txn.sql()
          .Execute(
              "INSERT INTO document_environments (tenant_id, kind, name, env, version, "
              "content_hash, runtime_version, published_by, published_at) VALUES (?, ?, ?, "
              "?, 1, ?, NULL, 'b', 0)",
              {owner, kind, name, env, Sha256Hex(yaml)})
          .status();
    });
  };
  publish(t.value(), "severity", "sev",
          "apiVersion: govflow/v1\nkind: SeverityPolicy\nspec:\n  default: P1\n", "prod");
  // Staging is not what the engine runs.
  publish(t.value(), "ownership", "own-staging",
          "apiVersion: govflow/v1\nkind: OwnershipMap\nspec:\n  default_team: staging-team\n",
          "staging");
  publish("_partner", "ownership", "own",
          "apiVersion: govflow/v1\nkind: OwnershipMap\nspec:\n  default_team: partner-noc\n",
          "prod");
  ExceptionCaseId id = OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset",
                                {}, /*load_published=*/true);
  auto c = GetCase(*store_, TenantScope::ForSystem(t, "test"), id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->severity, "P1");
  EXPECT_EQ(c->owner_team, "partner-noc");
  EXPECT_EQ(c->policy_note, "published: severity, ownership; fallback: sla, escalation");
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ExceptionCasesTest);

}  // namespace
}  // namespace govflow::governance::exceptions
