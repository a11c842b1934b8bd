// Price changes behind the approval gate (src/governance/price_changes.h) on both stores: a
// change beyond the threshold is held with its diff, rule and requester and gets no outbox row
// (so nothing can publish it) until the quorum of the roles the policy names approved it; the
// requester never approves their own change; a rejection or expiry cancels it for good; a change
// within the threshold is released at once; tenants never see each other's changes; every step
// is audited.
#include "governance/price_changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "governance/approvals.h"
#include "governance/documents/lifecycle.h"
#include "unit/governance/pricing/pricing_fixture.h"

namespace govflow::governance::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class PriceChangesTest : public PricingTest {
 protected:
  ApprovalTask Task(const PriceChange& c) {
    ApprovalTask t;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          t, GetApproval(txn, TenantScope::ForSystem(c.tenant, "test"), c.approval_id.value()));
      return Status::Ok();
    });
    return t;
  }
  std::string UserIdOf(const std::string& email) {
    auto p = access_->PrincipalForEmail(email);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->user_id : "";
  }
};

TEST(PriceArithmeticTest, ParsesDecimalPricesIntoCents) {
  EXPECT_EQ(*ParsePriceCents("19.99"), 1999);
  EXPECT_EQ(*ParsePriceCents("20"), 2000);
  EXPECT_EQ(*ParsePriceCents("0.5"), 50);
  for (std::string_view bad : {"", "-1.00", "1.999", "1.", ".5", "abc", "1,00", "1e3"}) {
    EXPECT_EQ(ParsePriceCents(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(FormatPriceCents(1820), "18.20");
  EXPECT_EQ(FormatPriceCents(5), "0.05");
}

TEST(PriceArithmeticTest, MeasuresChangeInBasisPoints) {
  EXPECT_EQ(PriceChangeBasisPoints(2800, 1820), -3500);
  EXPECT_EQ(PriceChangeBasisPoints(2800, 2240), -2000);
  EXPECT_EQ(PriceChangeBasisPoints(1000, 1500), 5000);
  EXPECT_EQ(PriceChangeBasisPoints(300, 200), -3333);
}

TEST_P(PriceChangesTest, HoldsChangeBeyondThresholdWithDiffRuleAndRequester) {
  auto c = Request("olivia@acme.test", "15.60");  // -35%
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(c->change_bp, -3500);
  EXPECT_EQ(c->rule, "price_change abs(percent) > 20");
  ASSERT_TRUE(c->approval_id.has_value());
  EXPECT_EQ(OutboxRows(c->id), 0);

  ApprovalTask task = Task(*c);
  EXPECT_EQ(task.state, ApprovalState::kPending);
  EXPECT_EQ(task.request.subject_type, "price_change");
  EXPECT_EQ(task.request.subject_id, c->id);
  EXPECT_EQ(task.request.rule, "price_change abs(percent) > 20");
  EXPECT_EQ(task.request.requested_by, "user:" + UserIdOf("olivia@acme.test"));
  EXPECT_EQ(task.request.required_roles, std::vector<std::string>{"pricing_manager"});
  EXPECT_EQ(task.request.quorum, 2);
  boost::json::value diff = boost::json::parse(task.request.changes_json);
  EXPECT_EQ(diff.at("price").at("from").as_string(), "24.00");
  EXPECT_EQ(diff.at("price").at("to").as_string(), "15.60");
  EXPECT_DOUBLE_EQ(diff.at("percent").to_number<double>(), -35.0);
  EXPECT_EQ(diff.at("sku").as_string(), "BEANIE-MER-NAV");
  EXPECT_EQ(diff.at("reason").as_string(), "Black Friday promotion");
  EXPECT_THAT(task.request.title, HasSubstr("-35.00%"));
}

TEST_P(PriceChangesTest, ReleasesChangeWithinThresholdAtOnce) {
  auto c = Request("olivia@acme.test", "21.60");  // -10%
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state, PriceChangeState::kReleased);
  EXPECT_FALSE(c->approval_id.has_value());
  EXPECT_EQ(c->rule, "");
  EXPECT_EQ(OutboxRows(c->id), 1);
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kReleased);
  auto trail = AuditTrail(*c);
  ASSERT_EQ(trail.size(), 2u);
  EXPECT_THAT(trail[0], HasSubstr("price_change.request by user:"));
  EXPECT_THAT(trail[1], HasSubstr("price_change.release by user:"));
}

TEST_P(PriceChangesTest, ThresholdIsStrictSoExactlyTwentyPercentPasses) {
  auto c = Request("olivia@acme.test", "19.20");  // exactly -20%
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state, PriceChangeState::kReleased);
  auto up = Request("olivia@acme.test", "28.81");  // +20.04% (28.81 from 24.00)
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->state, PriceChangeState::kPendingApproval);
}

TEST_P(PriceChangesTest, RefusesRequesterApprovingOwnChangeAndKeepsItHeld) {
  auto c = Request("carl@acme.test", "15.60");  // carl is operator and pricing_manager
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto own = Decide("carl@acme.test", *c, true, "looks fine to me");
  EXPECT_EQ(own.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(OutboxRows(c->id), 0);
  EXPECT_EQ(Task(*c).state, ApprovalState::kPending);
}

TEST_P(PriceChangesTest, StaysHeldAfterOneOfTwoApprovalsAndReleasesAfterTheSecond) {
  auto c = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto first = Decide("pam@acme.test", *c, true);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->state, ApprovalState::kPending);
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(OutboxRows(c->id), 0);

  // The same approver twice does not make a quorum.
  EXPECT_EQ(Decide("pam@acme.test", *c, true).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(OutboxRows(c->id), 0);

  auto second = Decide("pete@acme.test", *c, true, "margin still positive");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->state, ApprovalState::kApproved);
  PriceChange released = Get(c->id);
  EXPECT_EQ(released.state, PriceChangeState::kReleased);
  EXPECT_THAT(released.outcome, HasSubstr("margin still positive"));
  EXPECT_EQ(OutboxRows(c->id), 1);

  auto trail = AuditTrail(*c);
  EXPECT_THAT(trail, Contains(HasSubstr("price_change.request by user:")));
  EXPECT_THAT(trail, Contains(HasSubstr("approval.request by user:")));
  EXPECT_EQ(trail.back(), "price_change.release by system:price_changes");
  EXPECT_EQ(std::count_if(trail.begin(), trail.end(),
                          [](const std::string& s) { return s.starts_with("approval.approve"); }),
            2);
}

TEST_P(PriceChangesTest, RejectedChangeIsNeverReleased) {
  auto c = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(Decide("pam@acme.test", *c, true).ok());
  auto no = Decide("pete@acme.test", *c, false, "below cost");
  ASSERT_TRUE(no.ok()) << no.status().ToString();
  EXPECT_EQ(no->state, ApprovalState::kRejected);
  PriceChange rejected = Get(c->id);
  EXPECT_EQ(rejected.state, PriceChangeState::kRejected);
  EXPECT_THAT(rejected.outcome, HasSubstr("below cost"));
  EXPECT_EQ(OutboxRows(c->id), 0);
  // Decisions are final: a later approval changes nothing.
  EXPECT_FALSE(Decide("carl@acme.test", *c, true).ok());
  auto swept = ReleaseDecidedPriceChanges(*store_);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0);
  EXPECT_EQ(OutboxRows(c->id), 0);
  EXPECT_THAT(AuditTrail(*c), Contains("price_change.reject by system:price_changes"));
}

TEST_P(PriceChangesTest, ExpiredApprovalCancelsTheChange) {
  policy_ = [](const TenantId&,
               const PriceChangeFacts& f) -> Result<std::vector<PriceApprovalRequirement>> {
    if (f.abs_percent <= 20) return std::vector<PriceApprovalRequirement>{};
    PriceApprovalRequirement r;
    r.rule = "price_change abs(percent) > 20";
    r.roles = {"pricing_manager"};
    r.quorum = 1;
    r.expires_after = std::chrono::hours(24);
    return std::vector<PriceApprovalRequirement>{r};
  };
  auto c = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  clock_.Advance(std::chrono::hours(25));
  auto expired = ExpireApprovals(*store_, clock_);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(*expired, 1);
  auto swept = ReleaseDecidedPriceChanges(*store_);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 1);
  PriceChange after = Get(c->id);
  EXPECT_EQ(after.state, PriceChangeState::kRejected);
  EXPECT_THAT(after.outcome, HasSubstr("expired"));
  EXPECT_EQ(OutboxRows(c->id), 0);
}

TEST_P(PriceChangesTest, ApplyingTheOutcomeTwiceReleasesOnce) {
  auto c = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(Decide("pam@acme.test", *c, true).ok());
  ASSERT_TRUE(Decide("pete@acme.test", *c, true).ok());
  ApprovalTask task = Task(*c);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(bool moved, ApplyPriceApprovalOutcome(txn, kAcme, task));
    EXPECT_FALSE(moved);
    return Status::Ok();
  });
  EXPECT_EQ(OutboxRows(c->id), 1);
}

TEST_P(PriceChangesTest, ViewerMayNotRequestPriceChanges) {
  auto scope = ScopeFor("vic@acme.test", kAcme, perm::kApprovalsRead);
  ASSERT_TRUE(scope.ok());
  PriceChangeRequest r;
  r.connection = kShop;
  r.sku = "BEANIE-MER-NAV";
  r.variant_id = 45300000000017;
  r.old_price = "24.00";
  r.new_price = "15.60";
  r.reason = "x";
  Status st = store_->Transact(
      [&](store::Txn& txn) { return RequestPriceChange(txn, *scope, r, policy_).status(); });
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
}

TEST_P(PriceChangesTest, AnotherTenantCannotSeeOrApproveTheChange) {
  auto c = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(c.ok());
  // globex's pricing manager, acting on globex, cannot reach acme's change or task.
  auto scope = ScopeFor("gus@globex.test", kGlobex, perm::kApprovalsDecide);
  ASSERT_TRUE(scope.ok());
  Status st = store_->Transact([&](store::Txn& txn) -> Status {
    EXPECT_EQ(GetPriceChange(txn, *scope, c->id).status().code(), StatusCode::kNotFound);
    auto list = ListPriceChanges(txn, *scope, std::nullopt);
    EXPECT_TRUE(list.ok() && list->empty());
    return DecideApproval(txn, *scope, *c->approval_id, true, "sure").status();
  });
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  // ...and cannot get a scope on acme at all.
  EXPECT_FALSE(ScopeFor("gus@globex.test", kAcme, perm::kApprovalsDecide).ok());
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(OutboxRows(c->id), 0);
}

TEST_P(PriceChangesTest, RejectsBadRequestsNamingTheFieldAndWritesNothing) {
  auto bad_price = Request("olivia@acme.test", "18.2.0");
  EXPECT_EQ(bad_price.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_price.status().message(), HasSubstr("'new_price'"));
  auto same = Request("olivia@acme.test", "24.00");
  EXPECT_THAT(same.status().message(), HasSubstr("equals the current price"));
  auto no_variant = Request("olivia@acme.test", "15.60", kAcme, 0);
  EXPECT_THAT(no_variant.status().message(), HasSubstr("'variant_id'"));
  auto scope = ScopeFor("olivia@acme.test", kAcme, perm::kApprovalsRequest);
  ASSERT_TRUE(scope.ok());
  PriceChangeRequest r;
  r.connection = ConnectionId("no-such-shop");
  r.sku = "BEANIE-MER-NAV";
  r.variant_id = 1;
  r.old_price = "24.00";
  r.new_price = "15.60";
  r.reason = "promo";
  Status st = store_->Transact(
      [&](store::Txn& txn) { return RequestPriceChange(txn, *scope, r, policy_).status(); });
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query("SELECT COUNT(*) FROM price_changes"));
    EXPECT_EQ(rows[0].Int(0), 0);
    return Status::Ok();
  });
}

TEST_P(PriceChangesTest, ApprovalMatrixRowsNameTheRolesAndEachMustApprove) {
  // The shipped matrix: -20% or more needs a pricing_manager; -50% or more also needs two
  // finance_controllers who are not operators.
  policy_ = MatrixPriceApprovalPolicy(std::shared_ptr<const policies::ApprovalMatrix>(
      &policies::FallbackApprovalMatrix(), [](const policies::ApprovalMatrix*) {}));
  AddUser("fran@acme.test", kAcme, {"finance_controller"});
  AddUser("fred@acme.test", kAcme, {"finance_controller"});

  auto small = Request("olivia@acme.test", "21.60");  // -10%: no row applies
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->state, PriceChangeState::kReleased);

  auto deep = Request("olivia@acme.test", "10.80");  // -55%: both rows apply
  ASSERT_TRUE(deep.ok()) << deep.status().ToString();
  ASSERT_EQ(deep->approval_ids.size(), 2u) << deep->rule;
  EXPECT_EQ(Get(deep->id).approval_ids, deep->approval_ids);
  std::vector<ApprovalTask> tasks;
  for (const auto& id : deep->approval_ids) {
    PriceChange one = *deep;
    one.approval_id = id;
    tasks.push_back(Task(one));
  }
  const ApprovalTask& pm =
      tasks[0].request.required_roles[0] == "pricing_manager" ? tasks[0] : tasks[1];
  const ApprovalTask& fc = &pm == &tasks[0] ? tasks[1] : tasks[0];
  EXPECT_EQ(fc.request.quorum, 2);
  EXPECT_EQ(fc.request.required_roles, std::vector<std::string>{"finance_controller"});

  auto Decide1 = [&](const std::string& email, const ApprovalTask& t, bool approve) {
    PriceChange target = *deep;
    target.approval_id = t.id;
    return Decide(email, target, approve);
  };
  ASSERT_TRUE(Decide1("pam@acme.test", pm, true).ok());
  EXPECT_EQ(Get(deep->id).state, PriceChangeState::kPendingApproval);
  ASSERT_TRUE(Decide1("fran@acme.test", fc, true).ok());
  EXPECT_EQ(Get(deep->id).state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(OutboxRows(deep->id), 0);
  ASSERT_TRUE(Decide1("fred@acme.test", fc, true).ok());
  EXPECT_EQ(Get(deep->id).state, PriceChangeState::kReleased);
  EXPECT_EQ(OutboxRows(deep->id), 1);

  // Another deep cut rejected by the pricing manager: the finance task is withdrawn.
  auto again = Request("olivia@acme.test", "10.80");
  ASSERT_TRUE(again.ok());
  PriceChange first = *again;
  ASSERT_TRUE(Decide("pam@acme.test", first, false, "too deep").ok() ||
              Decide("fran@acme.test", first, false, "too deep").ok());
  EXPECT_EQ(Get(again->id).state, PriceChangeState::kRejected);
  for (const auto& id : again->approval_ids) {
    PriceChange one = *again;
    one.approval_id = id;
    EXPECT_TRUE(IsFinal(Task(one).state));
  }
  EXPECT_EQ(OutboxRows(again->id), 0);
}

TEST_P(PriceChangesTest, TenantPolicyIsThePublishedMatrixElseTheBaseline) {
  auto policy_for = [&]() {
    PriceApprovalPolicy p;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(p, TenantPriceApprovalPolicy(txn, kAcme));
      return Status::Ok();
    });
    return p;
  };
  // Nothing published: the shipped baseline (-20% or more needs a pricing manager).
  policy_ = policy_for();
  auto baseline = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
  EXPECT_EQ(baseline->rule, "price-change-beyond-threshold");

  // acme publishes a stricter matrix to prod: any cut of 5% or more needs a finance controller.
  namespace docs = documents;
  InTxn([](store::Txn& txn) -> Status {
    return SeedDefaultRoles(txn, kAcme);  // release_manager decides promotions
  });
  AddUser("rita@acme.test", kAcme, {"release_manager"});
  const docs::DocumentRef ref{docs::DocumentKind::kApprovalMatrix, "pricing"};
  const std::string yaml =
      "apiVersion: govflow/v1\nkind: ApprovalMatrix\nmetadata: {name: pricing}\nspec:\n"
      "  rows:\n    - name: any-cut-of-5-percent\n      applies_to: price_change\n"
      "      when: 'change.percent_change <= -5.0'\n      required_roles: [finance_controller]\n";
  TenantScope author = TenantScope::ForSystem(kAcme, "author");
  TenantScope publisher = TenantScope::ForSystem(kAcme, "publisher");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto v, docs::CreateDraft(txn, author, ref, yaml, "pricing.yaml"));
    GOVFLOW_RETURN_IF_ERROR(docs::Submit(txn, author, ref, v.version).status());
    GOVFLOW_RETURN_IF_ERROR(
        docs::Approve(txn, TenantScope::ForSystem(kAcme, "reviewer"), ref, v.version, "ok")
            .status());
    return docs::Publish(txn, publisher, ref, v.version, docs::Environment::kDev).status();
  });
  // Only prod counts: published to dev, the baseline still applies.
  policy_ = policy_for();
  auto dev_only = Request("olivia@acme.test", "22.80");  // -5%
  ASSERT_TRUE(dev_only.ok());
  EXPECT_EQ(dev_only->state, PriceChangeState::kReleased);

  for (docs::Environment from : {docs::Environment::kDev, docs::Environment::kStaging}) {
    docs::PromotionResult asked;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(asked, docs::Promote(txn, publisher, ref, from));
      return Status::Ok();
    });
    auto rita = ScopeFor("rita@acme.test", kAcme, perm::kApprovalsDecide);
    ASSERT_TRUE(rita.ok()) << rita.status().ToString();
    InTxn([&](store::Txn& txn) -> Status {
      return DecideApproval(txn, *rita, asked.approval_id, true, "promote").status();
    });
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto done, docs::Promote(txn, publisher, ref, from));
      EXPECT_TRUE(done.promoted) << done.note;
      return Status::Ok();
    });
  }
  policy_ = policy_for();
  auto strict = Request("olivia@acme.test", "22.80");  // -5%: now held
  ASSERT_TRUE(strict.ok()) << strict.status().ToString();
  EXPECT_EQ(strict->state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(strict->rule, "any-cut-of-5-percent");
  EXPECT_EQ(OutboxRows(strict->id), 0);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(PriceChangesTest);

}  // namespace
}  // namespace govflow::governance::testing
