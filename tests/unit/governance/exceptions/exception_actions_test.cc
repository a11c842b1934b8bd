// Actions that manipulate runs (workflow/runtime/exceptions.h): bulk retry of a root-cause
// group, edit-and-retry keeping the diff, skip the step, cancel the run; each audited.
#include <gtest/gtest.h>

#include "base/canonical_json.h"
#include "governance/exceptions/cases.h"
#include "unit/governance/exceptions/exception_fixture.h"
#include "workflow/runtime/exceptions.h"
#include "workflow/runtime/run_state.h"

namespace govflow::workflow::runtime {
namespace {

namespace gx = governance::exceptions;
using governance::TenantScope;

class ExceptionActionsTest : public testing::ExceptionFixture {
 protected:
  store::Run RunOf(const TenantId& t, const ExceptionCaseId& id) {
    store::Run run;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(t, id));
      GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(t, c.run));
      return Status::Ok();
    });
    return run;
  }
};

TEST_P(ExceptionActionsTest, BulkRetryOfAGroupRetriesEveryOpenMemberOnce) {
  const TenantId t("acme");
  SeedTenant(t);
  std::vector<ExceptionCaseId> ids;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(
        OpenCase(t, Order(i, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-404")));
  }
  OpenCase(t, Order(99, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-7"));
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  // One member was already retried on its own: the bulk action passes over it.
  ASSERT_TRUE(RetryExceptions(*store_, scope, {ids[0]}, "").ok());
  auto members = gx::GroupMembers(*store_, scope, "unknown_item:SKU-404", true);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 30u);
  auto outcome = RetryExceptions(*store_, scope, *members, "item SKU-404 created");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->done.size(), 29u);
  ASSERT_EQ(outcome->skipped.size(), 1u);
  EXPECT_EQ(outcome->skipped[0].first, ids[0]);
  EXPECT_EQ(outcome->skipped[0].second.code(), StatusCode::kFailedPrecondition);
  for (const ExceptionCaseId& id : ids) {
    store::Run run = RunOf(t, id);
    EXPECT_EQ(run.state, store::RunState::kPending);
    EXPECT_EQ(run.current_step, "post_sales_order");
    EXPECT_EQ(run.next_wake_at, clock_.Now());
    auto rc = RunContext::FromJson(run.context_json);
    ASSERT_TRUE(rc.ok());
    EXPECT_EQ(rc->attempt, 2);
    auto c = gx::GetCase(*store_, scope, id);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->state, gx::CaseState::kRetrying);
    EXPECT_TRUE(c->acknowledged_at.has_value());
  }
  const store::Run run5 = RunOf(t, ids[5]);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows,
                             txn.sql().Query("SELECT COUNT(*) FROM audit_events WHERE "
                                             "tenant_id = ? AND action = 'exception.retry'",
                                             {t.value()}));
    EXPECT_EQ(rows[0].Int(0), 30);
    GOVFLOW_ASSIGN_OR_RETURN(
        auto keys, txn.sql().Query("SELECT details_json FROM audit_events WHERE tenant_id = ? "
                                   "AND action = 'exception.retry' AND object_id = ?",
                                   {t.value(), ids[5].value()}));
    EXPECT_NE(keys[0].Text(0).find(IdempotencyKey(t, run5.id, "post_sales_order")),
              std::string::npos);
    return Status::Ok();
  });
  auto groups = gx::ListGroups(*store_, scope, {});
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ((*groups)[0].members, 30);  // retrying members are still unresolved
}

TEST_P(ExceptionActionsTest, EditAndRetryChangesTheRunInputKeepsTheDiffAndAuditsDigestsOnly) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId id =
      OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-404"));
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  auto before = EditablePayload(*store_, scope, id);
  ASSERT_TRUE(before.ok());
  const std::string patch =
      R"([{"op":"test","path":"/input/line_items/0/sku","value":"SKU-404"},
          {"op":"replace","path":"/input/line_items/0/sku","value":"SKU-1"}])";
  EXPECT_EQ(
      EditAndRetryException(*store_, scope, id, R"([{"op":"replace","path":"/run","value":1}])", "")
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(EditAndRetryException(*store_, scope, id,
                                  R"([{"op":"test","path":"/input/email","value":"x"}])", "")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  auto outcome = EditAndRetryException(*store_, scope, id, patch, "typo in the SKU");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  store::Run run = RunOf(t, id);
  EXPECT_EQ(run.state, store::RunState::kPending);
  auto input = boost::json::parse(run.input_json);
  EXPECT_EQ(input.at("line_items").at(0).at("sku").as_string(), "SKU-1");
  auto rc = RunContext::FromJson(run.context_json);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->steps.at("map_order").at("output").at("customerNumber").as_string(), "C1");

  auto edits = gx::ListPayloadEdits(*store_, scope, id);
  ASSERT_TRUE(edits.ok());
  ASSERT_EQ(edits->size(), 1u);
  EXPECT_EQ(boost::json::parse((*edits)[0].diff_json),
            boost::json::parse(R"([{"op":"replace","path":"/input/line_items/0/sku",
                                    "value":"SKU-1","old":"SKU-404"}])"));
  EXPECT_EQ((*edits)[0].before_digest, Sha256Hex(CanonicalJson(boost::json::parse(*before))));
  EXPECT_EQ((*edits)[0].actor, "system:operator");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto rows, txn.sql().Query("SELECT details_json, before_digest, after_digest FROM "
                                   "audit_events WHERE tenant_id = ? AND action = "
                                   "'exception.edit_and_retry'",
                                   {t.value()}));
    EXPECT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].Text(1), (*edits)[0].before_digest);
    EXPECT_EQ(rows[0].Text(2), (*edits)[0].after_digest);
    EXPECT_EQ(rows[0].Text(0).find("SKU-1\""), std::string::npos);  // no values, paths only
    EXPECT_NE(rows[0].Text(0).find("/input/line_items/0/sku"), std::string::npos);
    return Status::Ok();
  });
}

TEST_P(ExceptionActionsTest, SkipMovesTheRunToTheNextStepOrCompletesItAndClosesTheCase) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId mid =
      OpenCase(t, Order(1, "10.00", "c"), "validate_order", "validation", "no valid email");
  ExceptionCaseId last =
      OpenCase(t, Order(2, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  EXPECT_EQ(SkipExceptionSteps(*store_, scope, {mid}, "").status().code(),
            StatusCode::kInvalidArgument);
  auto outcome = SkipExceptionSteps(*store_, scope, {mid, last}, "checked by hand");
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->done.size(), 2u);
  store::Run r1 = RunOf(t, mid);
  EXPECT_EQ(r1.state, store::RunState::kPending);
  EXPECT_EQ(r1.current_step, "map_order");
  store::Run r2 = RunOf(t, last);
  EXPECT_EQ(r2.state, store::RunState::kSucceeded);
  auto c = gx::GetCase(*store_, scope, mid);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, gx::CaseState::kResolved);
  EXPECT_EQ(c->resolution, "skipped");
  EXPECT_EQ(c->resolution_reason, "checked by hand");
}

TEST_P(ExceptionActionsTest, CancelCancelsTheRunAndClosesTheCase) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId id =
      OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  ASSERT_TRUE(CancelExceptionRuns(*store_, scope, {id}, "duplicate test order").ok());
  EXPECT_EQ(RunOf(t, id).state, store::RunState::kCancelled);
  auto c = gx::GetCase(*store_, scope, id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->resolution, "cancelled");
  EXPECT_EQ(CancelExceptionRuns(*store_, scope, {id}, "again").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(RetryExceptions(*store_, scope, {id}, "").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(ExceptionActionsTest, ActionsOnAnotherTenantsCaseAreNotFound) {
  SeedTenant(TenantId("a"));
  SeedTenant(TenantId("b"));
  ExceptionCaseId bs = OpenCase(TenantId("b"), Order(1, "10.00", "c"), "post_sales_order",
                                "rejected", UnknownSku("SKU-1"));
  const TenantScope a = TenantScope::ForSystem(TenantId("a"), "operator");
  EXPECT_EQ(RetryExceptions(*store_, a, {bs}, "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(EditAndRetryException(*store_, a, bs,
                                  R"([{"op":"replace","path":"/input/email","value":"x"}])", "")
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(SkipExceptionSteps(*store_, a, {bs}, "r").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CancelExceptionRuns(*store_, a, {bs}, "r").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(EditablePayload(*store_, a, bs).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RunOf(TenantId("b"), bs).state, store::RunState::kFailed);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ExceptionActionsTest);

}  // namespace
}  // namespace govflow::workflow::runtime
