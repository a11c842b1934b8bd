// Approval tasks (src/governance/approvals.h) on both stores: segregation of duties, quorum,
// roles, comments, finality, tenant isolation, expiry and escalation with a ManualClock,
// delegation, waking the run of a workflow step, the inbox. People and their roles come from the
// directory and AccessControl, as in production.
#include "governance/approvals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "governance/access.h"
#include "governance/directory.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TenantId kA("acme");
const TenantId kB("globex");

class ApprovalsTest : public testing::GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    access_ = std::make_unique<AccessControl>(*store_, clock_);
    CreateTenant(kA);
    CreateTenant(kB);
    InTxn([](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(SeedDefaultRoles(txn, kA));
      return SeedDefaultRoles(txn, kB);
    });
    // acme: an operator who requests, pricing managers, finance controllers, a viewer; an
    // operator who also holds pricing_manager (a maker who could check their own work).
    operator_ = AddUser("olivia@acme.test", kA, {"operator"});
    maker_checker_ = AddUser("carl@acme.test", kA, {"operator", "pricing_manager"});
    pm1_ = AddUser("pam@acme.test", kA, {"pricing_manager"});
    pm2_ = AddUser("pete@acme.test", kA, {"pricing_manager"});
    fc1_ = AddUser("fran@acme.test", kA, {"finance_controller"});
    fc2_ = AddUser("fred@acme.test", kA, {"finance_controller"});
    viewer_ = AddUser("vic@acme.test", kA, {"viewer"});
    other_pm_ = AddUser("gus@globex.test", kB, {"pricing_manager", "operator"});
  }

  std::string AddUser(const std::string& email, const TenantId& tenant,
                      const std::vector<std::string>& roles) {
    std::string id;
    InTxn([&](store::Txn& txn) -> Status {
      NewUser u;
      u.email = email;
      GOVFLOW_ASSIGN_OR_RETURN(id, CreateUser(txn, PartnerScope::ForSystem("test"), u));
      for (const auto& role : roles) {
        GOVFLOW_RETURN_IF_ERROR(
            GrantTenantRole(txn, TenantScope::ForSystem(tenant, "test"), id, role));
      }
      return Status::Ok();
    });
    return id;
  }

  // The scope a person gets from AccessControl for `permission` on `tenant`.
  TenantScope Scope(const std::string& email, const TenantId& tenant,
                    std::string_view permission = perm::kApprovalsRead) {
    auto principal = access_->PrincipalForEmail(email);
    EXPECT_TRUE(principal.ok()) << principal.status().ToString();
    auto scope = access_->Authorize(*principal, tenant, permission);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    if (!scope.ok()) return TenantScope::ForSystem(tenant, "broken-test");
    return *scope;
  }

  ApprovalRequest PriceChange(std::string sku, int quorum = 1) {
    ApprovalRequest r;
    r.subject_type = "price_change";
    r.subject_id = std::move(sku);
    r.title = "price change -35%";
    r.changes_json = R"({"sku":"TSHIRT-RED","old_price":40.0,"new_price":26.0})";
    r.required_roles = {"pricing_manager"};
    r.quorum = quorum;
    r.rule = "price_drop_beyond_20_percent";
    return r;
  }

  ApprovalRequest Payment() {
    ApprovalRequest r;
    r.subject_type = "payment_run";
    r.subject_id = "pay-2026-11";
    r.title = "November supplier payments";
    r.required_roles = {"finance_controller"};
    r.quorum = 2;
    r.rule = "two_of_finance_controller";
    return r;
  }

  ApprovalTask Request(const std::string& email, const ApprovalRequest& r,
                       const TenantId& tenant = kA) {
    ApprovalTask task;
    TenantScope scope = Scope(email, tenant, perm::kApprovalsRequest);
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(task, RequestApproval(txn, scope, r));
      return Status::Ok();
    });
    return task;
  }

  // Decides in its own transaction; the transaction commits only when the decision succeeded.
  Result<ApprovalTask> Decide(const std::string& email, const std::string& id, bool approve,
                              const std::string& comment, const TenantId& tenant = kA) {
    auto principal = access_->PrincipalForEmail(email);
    if (!principal.ok()) return principal.status();
    auto scope = access_->Authorize(*principal, tenant, perm::kApprovalsDecide);
    if (!scope.ok()) return scope.status();
    Result<ApprovalTask> out = Internal("not run");
    Status st = store_->Transact([&](store::Txn& txn) -> Status {
      out = DecideApproval(txn, *scope, id, approve, comment);
      return out.status();
    });
    if (!st.ok()) return st;
    return out;
  }

  ApprovalTask Load(const std::string& id, const TenantId& tenant = kA) {
    ApprovalTask task;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(task, GetApproval(txn, TenantScope::ForSystem(tenant, "test"), id));
      return Status::Ok();
    });
    return task;
  }

  // The audit actions recorded for an object, oldest first.
  std::vector<std::string> AuditActions(const TenantId& tenant, const std::string& object_id) {
    std::vector<std::string> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          auto rows, txn.sql().Query("SELECT action FROM audit_events WHERE tenant_id = ? AND "
                                     "object_id = ? ORDER BY seq",
                                     {tenant.value(), object_id}));
      for (const auto& r : rows) out.push_back(r.Text(0));
      return Status::Ok();
    });
    return out;
  }

  std::unique_ptr<AccessControl> access_;
  std::string operator_, maker_checker_, pm1_, pm2_, fc1_, fc2_, viewer_, other_pm_;
};

TEST_P(ApprovalsTest, RejectsApprovalBySameUserWhoRequested) {
  ApprovalTask task = Request("carl@acme.test", PriceChange("TSHIRT-RED"));
  EXPECT_EQ(task.request.requested_by, "user:" + maker_checker_);
  // carl holds pricing_manager, the very role that decides, and still may not check his own work.
  auto own = Decide("carl@acme.test", task.id, true, "looks right to me");
  EXPECT_EQ(own.status().code(), StatusCode::kPermissionDenied) << own.status().ToString();
  auto own_reject = Decide("carl@acme.test", task.id, false, "never mind");
  EXPECT_EQ(own_reject.status().code(), StatusCode::kPermissionDenied);
  ApprovalTask after = Load(task.id);
  EXPECT_EQ(after.state, ApprovalState::kPending);
  EXPECT_TRUE(after.decisions.empty());
  // Someone else with the role may.
  auto other = Decide("pam@acme.test", task.id, true, "margin still positive");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->state, ApprovalState::kApproved);
}

TEST_P(ApprovalsTest, RequesterCannotDecideThroughTheirApiToken) {
  ApprovalTask task = Request("carl@acme.test", PriceChange("TSHIRT-RED"));
  IssuedToken token;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        token, IssueTenantToken(txn, TenantScope::ForSystem(kA, "test"), maker_checker_,
                                "carl's script", std::nullopt));
    return Status::Ok();
  });
  auto principal = access_->AuthenticateToken(token.token);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  auto scope = access_->Authorize(*principal, kA, perm::kApprovalsDecide);
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_TRUE(scope->actor().id.starts_with("token:"));
  Status st = store_->Transact([&](store::Txn& txn) {
    return DecideApproval(txn, *scope, task.id, true, "via the API").status();
  });
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_TRUE(Load(task.id).decisions.empty());
}

TEST_P(ApprovalsTest, RequesterCannotDecideThroughADelegation) {
  ApprovalTask task = Request("olivia@acme.test", PriceChange("MUG"));
  // pam lends pricing_manager to olivia (who requested): olivia still may not decide.
  TenantScope pam_scope1 = Scope("pam@acme.test", kA, perm::kApprovalsDecide);
  InTxn([&](store::Txn& txn) -> Status {
    return DelegateApprovals(txn, pam_scope1, "user:" + operator_, {}, clock_.Now(),
                             clock_.Now() + hours(48), "on holiday")
        .status();
  });
  // olivia has no approvals.decide herself, so even the authorisation fails; grant her a decide
  // role (finance_controller) to prove it is the SoD rule that stops her.
  InTxn([&](store::Txn& txn) -> Status {
    return GrantTenantRole(txn, TenantScope::ForSystem(kA, "test"), operator_,
                           "finance_controller");
  });
  auto own = Decide("olivia@acme.test", task.id, true, "approving via pam");
  EXPECT_EQ(own.status().code(), StatusCode::kPermissionDenied) << own.status().ToString();
  EXPECT_NE(own.status().message().find("segregation of duties"), std::string::npos);
}

TEST_P(ApprovalsTest, QuorumTwoOfFinanceControllerNeedsTwoDistinctPeople) {
  ApprovalTask task = Request("olivia@acme.test", Payment());
  auto first = Decide("fran@acme.test", task.id, true, "invoices match the POs");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->state, ApprovalState::kPending);
  EXPECT_EQ(first->approvals(), 1);
  // The same person twice does not count twice.
  auto again = Decide("fran@acme.test", task.id, true, "really, approve it");
  EXPECT_EQ(again.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Load(task.id).state, ApprovalState::kPending);
  EXPECT_EQ(Load(task.id).approvals(), 1);
  auto second = Decide("fred@acme.test", task.id, true, "checked the bank details");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->state, ApprovalState::kApproved);
  ASSERT_EQ(second->decisions.size(), 2u);
  EXPECT_EQ(second->decisions[0].actor, "user:" + fc1_);
  EXPECT_EQ(second->decisions[1].actor, "user:" + fc2_);
  EXPECT_EQ(second->decisions[1].comment, "checked the bank details");
}

TEST_P(ApprovalsTest, ConcurrentApprovalsReachQuorumExactlyOnce) {
  // Two finance controllers approve at the same moment: the second waits for the first (the
  // task's row lock on PostgreSQL, the single writer on SQLite) and then sees its approval, so
  // the quorum of two is reached, not left pending with two approvals.
  ApprovalTask task = Request("olivia@acme.test", Payment());
  TenantScope fran = Scope("fran@acme.test", kA, perm::kApprovalsDecide);
  TenantScope fred = Scope("fred@acme.test", kA, perm::kApprovalsDecide);
  auto first_txn = store_->Begin();
  ASSERT_TRUE(first_txn.ok()) << first_txn.status().ToString();
  auto first = DecideApproval(*first_txn, fran, task.id, true, "first");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->state, ApprovalState::kPending);
  Status second_status;
  ApprovalState second_state = ApprovalState::kPending;
  std::thread second([&] {
    second_status = store_->Transact([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask t, DecideApproval(txn, fred, task.id, true, "second"));
      second_state = t.state;
      return Status::Ok();
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(first_txn->Commit().ok());
  second.join();
  ASSERT_TRUE(second_status.ok()) << second_status.ToString();
  EXPECT_EQ(second_state, ApprovalState::kApproved);
  ApprovalTask after = Load(task.id);
  EXPECT_EQ(after.state, ApprovalState::kApproved);
  EXPECT_EQ(after.decisions.size(), 2u);
}

TEST_P(ApprovalsTest, DeniesDecidersWithoutARequiredRole) {
  ApprovalTask task = Request("olivia@acme.test", Payment());
  // A pricing manager may decide price changes, not payments.
  auto wrong_role = Decide("pam@acme.test", task.id, true, "fine by me");
  EXPECT_EQ(wrong_role.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(wrong_role.status().message().find("finance_controller"), std::string::npos);
  // A viewer lacks approvals.decide altogether.
  auto viewer = Decide("vic@acme.test", task.id, true, "fine by me");
  EXPECT_EQ(viewer.status().code(), StatusCode::kPermissionDenied);
  // A system component is not a person.
  Status system = store_->Transact([&](store::Txn& txn) {
    return DecideApproval(txn, TenantScope::ForSystem(kA, "runtime"), task.id, true, "auto")
        .status();
  });
  EXPECT_EQ(system.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Load(task.id).decisions.empty());
}

TEST_P(ApprovalsTest, ApproverHoldingAnExcludedRoleMayNotDecide) {
  // Maker-checker by role: no operator (a maker of price changes) checks anyone's price change.
  ApprovalRequest r = PriceChange("MUG");
  r.excluded_roles = {"operator"};
  ApprovalTask task = Request("olivia@acme.test", r);
  auto carl = Decide("carl@acme.test", task.id, true, "I am a pricing manager too");
  EXPECT_EQ(carl.status().code(), StatusCode::kPermissionDenied) << carl.status().ToString();
  EXPECT_NE(carl.status().message().find("operator"), std::string::npos);
  auto pam = Decide("pam@acme.test", task.id, true, "fine");
  ASSERT_TRUE(pam.ok()) << pam.status().ToString();
  EXPECT_EQ(pam->state, ApprovalState::kApproved);
}

TEST_P(ApprovalsTest, RejectsADecisionWithoutAComment) {
  ApprovalTask task = Request("olivia@acme.test", PriceChange("MUG"));
  EXPECT_EQ(Decide("pam@acme.test", task.id, true, "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide("pam@acme.test", task.id, false, " \t\n").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Load(task.id).decisions.empty());
  EXPECT_EQ(Load(task.id).state, ApprovalState::kPending);
}

TEST_P(ApprovalsTest, OneRejectionRejectsAndDecisionsAreFinal) {
  ApprovalTask task = Request("olivia@acme.test", Payment());
  auto rejected = Decide("fran@acme.test", task.id, false, "duplicate invoice 4711");
  ASSERT_TRUE(rejected.ok()) << rejected.status().ToString();
  EXPECT_EQ(rejected->state, ApprovalState::kRejected);
  auto late = Decide("fred@acme.test", task.id, true, "approve anyway");
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Load(task.id).state, ApprovalState::kRejected);
  EXPECT_EQ(Load(task.id).decisions.size(), 1u);

  ApprovalTask price = Request("olivia@acme.test", PriceChange("MUG"));
  ASSERT_TRUE(Decide("pam@acme.test", price.id, true, "ok").ok());
  auto overturn = Decide("pete@acme.test", price.id, false, "I disagree");
  EXPECT_EQ(overturn.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Load(price.id).state, ApprovalState::kApproved);
}

TEST_P(ApprovalsTest, TenantBCannotSeeListOrDecideTenantAsTask) {
  ApprovalTask task = Request("olivia@acme.test", PriceChange("TSHIRT-RED"));
  // gus is a pricing manager, but on globex.
  TenantScope gus = Scope("gus@globex.test", kB, perm::kApprovalsDecide);
  Status get =
      store_->Transact([&](store::Txn& txn) { return GetApproval(txn, gus, task.id).status(); });
  EXPECT_EQ(get.code(), StatusCode::kNotFound);
  Status find = store_->Transact([&](store::Txn& txn) {
    return FindApprovalForSubject(txn, gus, "price_change", "TSHIRT-RED").status();
  });
  EXPECT_EQ(find.code(), StatusCode::kNotFound);
  Status decide = store_->Transact([&](store::Txn& txn) {
    return DecideApproval(txn, gus, task.id, true, "from the wrong tenant").status();
  });
  EXPECT_EQ(decide.code(), StatusCode::kNotFound);
  ApprovalPage page;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(page, ListApprovals(txn, gus, ApprovalFilter{}));
    return Status::Ok();
  });
  EXPECT_TRUE(page.tasks.empty());
  // Nor can gus get a scope on acme at all.
  auto principal = access_->PrincipalForEmail("gus@globex.test");
  ASSERT_TRUE(principal.ok());
  EXPECT_FALSE(access_->Authorize(*principal, kA, perm::kApprovalsDecide).ok());
  EXPECT_EQ(Load(task.id).state, ApprovalState::kPending);
  EXPECT_TRUE(Load(task.id).decisions.empty());
}

TEST_P(ApprovalsTest, ExpiryRejectsAtTheRightTime) {
  ApprovalRequest r = PriceChange("MUG");
  r.expires_at = clock_.Now() + hours(4);
  ApprovalTask task = Request("olivia@acme.test", r);
  clock_.Advance(hours(4) - seconds(1));
  auto early = ExpireApprovals(*store_, clock_);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(*early, 0);
  EXPECT_EQ(Load(task.id).state, ApprovalState::kPending);
  clock_.Advance(seconds(1));
  // Past expiry, a decision is refused even before the sweep has run.
  EXPECT_EQ(Decide("pam@acme.test", task.id, true, "just in time?").status().code(),
            StatusCode::kFailedPrecondition);
  auto due = ExpireApprovals(*store_, clock_);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(*due, 1);
  EXPECT_EQ(Load(task.id).state, ApprovalState::kExpired);
  EXPECT_EQ(Decide("pam@acme.test", task.id, true, "late").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(*ExpireApprovals(*store_, clock_), 0);  // nothing twice
  EXPECT_EQ(AuditActions(kA, task.id),
            (std::vector<std::string>{"approval.request", "approval.expire"}));
}

TEST_P(ApprovalsTest, EscalatesOnExpiryWhenThePolicySaysSoThenRejects) {
  ApprovalRequest r = PriceChange("SOFA");
  r.expires_at = clock_.Now() + hours(24);
  r.on_expiry = ExpiryAction::kEscalate;
  r.escalate_to_roles = {"finance_controller"};
  r.escalation_window = hours(8);
  ApprovalTask task = Request("olivia@acme.test", r);
  // Before the escalation only pricing managers decide.
  EXPECT_EQ(Decide("fran@acme.test", task.id, true, "ok").status().code(),
            StatusCode::kPermissionDenied);
  clock_.Advance(hours(24));
  ASSERT_EQ(*ExpireApprovals(*store_, clock_), 1);
  ApprovalTask escalated = Load(task.id);
  EXPECT_EQ(escalated.state, ApprovalState::kPending);
  EXPECT_EQ(escalated.escalations, 1);
  EXPECT_EQ(escalated.request.required_roles,
            (std::vector<std::string>{"finance_controller", "pricing_manager"}));
  ASSERT_TRUE(escalated.request.expires_at.has_value());
  EXPECT_EQ(*escalated.request.expires_at, clock_.Now() + hours(8));
  // Escalated once; at the new expiry it is rejected.
  clock_.Advance(hours(8));
  ASSERT_EQ(*ExpireApprovals(*store_, clock_), 1);
  EXPECT_EQ(Load(task.id).state, ApprovalState::kExpired);
  EXPECT_EQ(AuditActions(kA, task.id),
            (std::vector<std::string>{"approval.request", "approval.escalate", "approval.expire"}));
}

TEST_P(ApprovalsTest, EscalatedTaskCanBeDecidedByTheEscalationRole) {
  ApprovalRequest r = PriceChange("SOFA");
  r.expires_at = clock_.Now() + hours(1);
  r.on_expiry = ExpiryAction::kEscalate;
  r.escalate_to_roles = {"finance_controller"};
  ApprovalTask task = Request("olivia@acme.test", r);
  clock_.Advance(hours(1));
  ASSERT_EQ(*ExpireApprovals(*store_, clock_), 1);
  auto decided = Decide("fran@acme.test", task.id, true, "pricing team away; margin ok");
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->state, ApprovalState::kApproved);
  // The new window defaults to the original one.
  EXPECT_EQ(*Load(task.id).request.expires_at, clock_.Now() + hours(1));
}

TEST_P(ApprovalsTest, DelegateDecidesOnBehalfOfTheDelegatorWithinTheWindow) {
  // pam is away next week and lends pricing_manager to fran (a finance controller).
  const TimePoint start = clock_.Now() + hours(24);
  const TimePoint end = start + hours(24 * 7);
  ApprovalDelegation delegation;
  TenantScope pam_scope2 = Scope("pam@acme.test", kA, perm::kApprovalsDecide);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        delegation, DelegateApprovals(txn, pam_scope2, "user:" + fc1_, {"pricing_manager"}, start,
                                      end, "annual leave"));
    return Status::Ok();
  });
  EXPECT_EQ(delegation.from_actor, "user:" + pm1_);
  EXPECT_EQ(delegation.roles, std::vector<std::string>{"pricing_manager"});
  EXPECT_EQ(AuditActions(kA, delegation.id), std::vector<std::string>{"approval.delegate"});

  ApprovalTask task = Request("olivia@acme.test", PriceChange("LAMP"));
  // Not yet in the window.
  EXPECT_EQ(Decide("fran@acme.test", task.id, true, "covering for pam").status().code(),
            StatusCode::kPermissionDenied);
  clock_.Advance(hours(25));
  auto decided = Decide("fran@acme.test", task.id, true, "covering for pam");
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->state, ApprovalState::kApproved);
  ASSERT_EQ(decided->decisions.size(), 1u);
  EXPECT_EQ(decided->decisions[0].actor, "user:" + fc1_);
  EXPECT_EQ(decided->decisions[0].on_behalf_of, "user:" + pm1_);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto rows, txn.sql().Query("SELECT details_json FROM audit_events WHERE tenant_id = ? "
                                   "AND object_id = ? AND action = 'approval.approve'",
                                   {kA.value(), task.id}));
    EXPECT_EQ(rows.size(), 1u);
    if (!rows.empty()) {
      EXPECT_NE(rows[0].Text(0).find("\"on_behalf_of\":\"user:" + pm1_ + "\""), std::string::npos);
    }
    return Status::Ok();
  });

  // After the window, the delegation lends nothing.
  ApprovalTask later = Request("olivia@acme.test", PriceChange("CHAIR"));
  clock_.Advance(hours(24 * 7));
  EXPECT_EQ(Decide("fran@acme.test", later.id, true, "still covering").status().code(),
            StatusCode::kPermissionDenied);
}

TEST_P(ApprovalsTest, RevokedDelegationLendsNothing) {
  ApprovalDelegation delegation;
  TenantScope pam_scope3 = Scope("pam@acme.test", kA, perm::kApprovalsDecide);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(delegation,
                             DelegateApprovals(txn, pam_scope3, "user:" + fc1_, {}, clock_.Now(),
                                               clock_.Now() + hours(48), "away"));
    return Status::Ok();
  });
  TenantScope pam_scope4 = Scope("pam@acme.test", kA, perm::kApprovalsDecide);
  InTxn([&](store::Txn& txn) -> Status {
    return RevokeDelegation(txn, pam_scope4, delegation.id).status();
  });
  ApprovalTask task = Request("olivia@acme.test", PriceChange("LAMP"));
  EXPECT_EQ(Decide("fran@acme.test", task.id, true, "covering").status().code(),
            StatusCode::kPermissionDenied);
  // Nobody can delegate a role they do not hold.
  TenantScope pam_scope5 = Scope("pam@acme.test", kA, perm::kApprovalsDecide);
  Status not_held = store_->Transact([&](store::Txn& txn) {
    return DelegateApprovals(txn, pam_scope5, "user:" + fc1_, {"finance_controller"}, clock_.Now(),
                             clock_.Now() + hours(1), "")
        .status();
  });
  EXPECT_EQ(not_held.code(), StatusCode::kPermissionDenied);
}

TEST_P(ApprovalsTest, APersonCountsOnceWhetherDecidingInTheirOwnNameOrOnBehalf) {
  // fran lends finance_controller to pam; pam approves on fran's behalf; fran then may not add
  // a second approval of her own: the quorum of two needs two people.
  TenantScope fran_scope6 = Scope("fran@acme.test", kA, perm::kApprovalsDecide);
  InTxn([&](store::Txn& txn) -> Status {
    return DelegateApprovals(txn, fran_scope6, "user:" + pm1_, {}, clock_.Now(),
                             clock_.Now() + hours(48), "away")
        .status();
  });
  ApprovalTask task = Request("olivia@acme.test", Payment());
  auto by_delegate = Decide("pam@acme.test", task.id, true, "for fran");
  ASSERT_TRUE(by_delegate.ok()) << by_delegate.status().ToString();
  EXPECT_EQ(by_delegate->decisions[0].on_behalf_of, "user:" + fc1_);
  EXPECT_EQ(Decide("fran@acme.test", task.id, true, "back early").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Decide("pam@acme.test", task.id, true, "again").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Load(task.id).state, ApprovalState::kPending);
  auto second = Decide("fred@acme.test", task.id, true, "second pair of eyes");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state, ApprovalState::kApproved);
}

TEST_P(ApprovalsTest, RequestingAgainReturnsThePendingTaskAndEveryStepIsAudited) {
  ApprovalTask first = Request("olivia@acme.test", PriceChange("MUG"));
  ApprovalTask again = Request("olivia@acme.test", PriceChange("MUG"));
  EXPECT_EQ(first.id, again.id);
  ASSERT_TRUE(Decide("pam@acme.test", first.id, false, "too deep a cut").ok());
  // Once final, a new request opens a new task; FindApprovalForSubject gives the newest.
  clock_.Advance(seconds(1));
  ApprovalTask next = Request("olivia@acme.test", PriceChange("MUG"));
  EXPECT_NE(next.id, first.id);
  ApprovalTask found;
  TenantScope olivia_scope7 = Scope("olivia@acme.test", kA);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(found,
                             FindApprovalForSubject(txn, olivia_scope7, "price_change", "MUG"));
    return Status::Ok();
  });
  EXPECT_EQ(found.id, next.id);
  EXPECT_EQ(AuditActions(kA, first.id),
            (std::vector<std::string>{"approval.request", "approval.reject"}));
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto rows, txn.sql().Query("SELECT reason, after_digest, details_json FROM audit_events "
                                   "WHERE tenant_id = ? AND object_id = ? ORDER BY seq",
                                   {kA.value(), first.id}));
    EXPECT_EQ(rows.size(), 2u);
    if (rows.size() == 2) {
      EXPECT_EQ(rows[0].Text(1).size(), 64u);  // the change, as a digest only
      EXPECT_EQ(rows[0].Text(2).find("old_price"), std::string::npos);
      EXPECT_EQ(rows[1].Text(0), "too deep a cut");
    }
    return Status::Ok();
  });
}

TEST_P(ApprovalsTest, ValidatesRequests) {
  TenantScope olivia = Scope("olivia@acme.test", kA, perm::kApprovalsRequest);
  auto code_of = [&](ApprovalRequest r) {
    return store_
        ->Transact([&](store::Txn& txn) { return RequestApproval(txn, olivia, r).status(); })
        .code();
  };
  ApprovalRequest no_roles = PriceChange("X");
  no_roles.required_roles.clear();
  EXPECT_EQ(code_of(no_roles), StatusCode::kInvalidArgument);
  ApprovalRequest zero = PriceChange("X", 0);
  EXPECT_EQ(code_of(zero), StatusCode::kInvalidArgument);
  ApprovalRequest bad_changes = PriceChange("X");
  bad_changes.changes_json = "[1,2]";
  EXPECT_EQ(code_of(bad_changes), StatusCode::kInvalidArgument);
  ApprovalRequest past = PriceChange("X");
  past.expires_at = clock_.Now();
  EXPECT_EQ(code_of(past), StatusCode::kInvalidArgument);
  ApprovalRequest escalate_nowhere = PriceChange("X");
  escalate_nowhere.on_expiry = ExpiryAction::kEscalate;
  EXPECT_EQ(code_of(escalate_nowhere), StatusCode::kInvalidArgument);
  // A viewer may not request approvals.
  TenantScope vic_scope8 = Scope("vic@acme.test", kA);
  Status viewer = store_->Transact(
      [&](store::Txn& txn) { return RequestApproval(txn, vic_scope8, PriceChange("X")).status(); });
  EXPECT_EQ(viewer.code(), StatusCode::kPermissionDenied);
}

// A run of a published workflow, waiting at its approve step (no timer).
void CreateWaitingRun(store::Txn& txn, const RunId& run, const TimePoint now) {
  store::WorkflowVersion v;
  v.tenant = kA;
  v.name = "pricing-updates";
  v.version = 1;
  v.content_hash = "h1";
  v.source_yaml = "name: pricing-updates";
  v.published_at = now;
  ASSERT_TRUE(txn.PublishWorkflowVersion(v).ok());
  store::Run r;
  r.tenant = kA;
  r.id = run;
  r.workflow_name = "pricing-updates";
  r.workflow_version = 1;
  r.state = store::RunState::kWaiting;
  r.current_step = "approve_price";
  ASSERT_TRUE(txn.CreateRun(r).ok());
}

TEST_P(ApprovalsTest, FinalWorkflowStepTaskWakesItsRun) {
  const RunId run("run_approve_1");
  InTxn([&](store::Txn& txn) -> Status {
    CreateWaitingRun(txn, run, clock_.Now());
    return Status::Ok();
  });
  ApprovalRequest r = PriceChange("unused");
  r.subject_type = "workflow_step";
  r.subject_id = run.value() + "/approve_price";
  r.quorum = 2;
  ApprovalTask task;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(task, RequestApproval(txn, TenantScope::ForSystem(kA, "runtime"), r));
    return Status::Ok();
  });
  EXPECT_EQ(task.request.requested_by, "system:runtime");
  clock_.Advance(minutes(5));
  // Not woken by a decision that leaves the task pending (quorum 2).
  auto run_wake = [&] {
    std::optional<TimePoint> wake;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::Run after, txn.GetRun(kA, run));
      wake = after.next_wake_at;
      return Status::Ok();
    });
    return wake;
  };
  ASSERT_TRUE(Decide("pam@acme.test", task.id, true, "go").ok());
  EXPECT_EQ(run_wake(), std::nullopt);
  clock_.Advance(minutes(1));
  ASSERT_TRUE(Decide("pete@acme.test", task.id, true, "go too").ok());
  EXPECT_EQ(run_wake(), std::optional<TimePoint>(clock_.Now()));
}

TEST_P(ApprovalsTest, ExpiryOfAWorkflowStepTaskWakesItsRun) {
  const RunId run("run_approve_2");
  InTxn([&](store::Txn& txn) -> Status {
    CreateWaitingRun(txn, run, clock_.Now());
    return Status::Ok();
  });
  ApprovalRequest r = PriceChange("unused");
  r.subject_type = "workflow_step";
  r.subject_id = run.value() + "/approve_price";
  r.expires_at = clock_.Now() + hours(2);
  InTxn([&](store::Txn& txn) -> Status {
    return RequestApproval(txn, TenantScope::ForSystem(kA, "runtime"), r).status();
  });
  clock_.Advance(hours(2));
  ASSERT_EQ(*ExpireApprovals(*store_, clock_), 1);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::Run after, txn.GetRun(kA, run));
    EXPECT_EQ(after.next_wake_at, std::optional<TimePoint>(clock_.Now()));
    return Status::Ok();
  });
}

TEST_P(ApprovalsTest, InboxListsWhatICanDecideAndPages) {
  ApprovalTask p1 = Request("olivia@acme.test", PriceChange("A"));
  clock_.Advance(seconds(1));
  ApprovalTask pay = Request("olivia@acme.test", Payment());
  clock_.Advance(seconds(1));
  ApprovalTask p2 = Request("carl@acme.test", PriceChange("B"));
  clock_.Advance(seconds(1));
  ApprovalTask p3 = Request("olivia@acme.test", PriceChange("C"));
  ASSERT_TRUE(Decide("pam@acme.test", p3.id, true, "ok").ok());

  auto ids = [](const ApprovalPage& page) {
    std::vector<std::string> out;
    for (const auto& t : page.tasks) out.push_back(t.id);
    return out;
  };
  ApprovalFilter mine;
  mine.decidable_by_me = true;
  ApprovalPage carl_page, pete_page, all1, all2, finance, pending_prices;
  TenantScope carl_scope9 = Scope("carl@acme.test", kA);
  TenantScope pete_scope10 = Scope("pete@acme.test", kA);
  TenantScope vic_scope11 = Scope("vic@acme.test", kA);
  TenantScope vic_scope12 = Scope("vic@acme.test", kA);
  InTxn([&](store::Txn& txn) -> Status {
    // carl: a pricing manager, but p2 is his own request; p3 is decided.
    GOVFLOW_ASSIGN_OR_RETURN(carl_page, ListApprovals(txn, carl_scope9, mine));
    GOVFLOW_ASSIGN_OR_RETURN(pete_page, ListApprovals(txn, pete_scope10, mine));
    ApprovalFilter all;
    all.limit = 3;
    GOVFLOW_ASSIGN_OR_RETURN(all1, ListApprovals(txn, vic_scope11, all));
    ApprovalFilter by_role;
    by_role.role = "finance_controller";
    GOVFLOW_ASSIGN_OR_RETURN(finance, ListApprovals(txn, vic_scope11, by_role));
    ApprovalFilter pending;
    pending.state = ApprovalState::kPending;
    pending.subject_type = "price_change";
    GOVFLOW_ASSIGN_OR_RETURN(pending_prices, ListApprovals(txn, vic_scope11, pending));
    GOVFLOW_ASSIGN_OR_RETURN(all2, ListApprovals(txn, vic_scope12, all, all1.next_cursor));
    return Status::Ok();
  });
  EXPECT_EQ(ids(carl_page), std::vector<std::string>{p1.id});
  EXPECT_EQ(ids(pete_page), (std::vector<std::string>{p1.id, p2.id}));
  EXPECT_EQ(ids(all1), (std::vector<std::string>{p1.id, pay.id, p2.id}));
  EXPECT_FALSE(all1.next_cursor.empty());
  EXPECT_EQ(ids(all2), std::vector<std::string>{p3.id});
  EXPECT_EQ(ids(finance), std::vector<std::string>{pay.id});
  EXPECT_EQ(ids(pending_prices), (std::vector<std::string>{p1.id, p2.id}));
  EXPECT_TRUE(all2.next_cursor.empty());
  TenantScope vic_scope13 = Scope("vic@acme.test", kA);
  Status bad_cursor = store_->Transact([&](store::Txn& txn) {
    return ListApprovals(txn, vic_scope13, ApprovalFilter{}, "nonsense").status();
  });
  EXPECT_EQ(bad_cursor.code(), StatusCode::kInvalidArgument);
}

TEST_P(ApprovalsTest, OnlyTheRequesterOrTheSystemCancels) {
  ApprovalTask task = Request("olivia@acme.test", PriceChange("MUG"));
  TenantScope pam_scope14 = Scope("pam@acme.test", kA);
  Status by_other = store_->Transact([&](store::Txn& txn) {
    return CancelApproval(txn, pam_scope14, task.id, "not needed").status();
  });
  EXPECT_EQ(by_other.code(), StatusCode::kPermissionDenied);
  TenantScope olivia_scope15 = Scope("olivia@acme.test", kA);
  InTxn([&](store::Txn& txn) -> Status {
    return CancelApproval(txn, olivia_scope15, task.id, "price change withdrawn").status();
  });
  EXPECT_EQ(Load(task.id).state, ApprovalState::kCancelled);
  EXPECT_EQ(Decide("pam@acme.test", task.id, true, "ok").status().code(),
            StatusCode::kFailedPrecondition);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ApprovalsTest);

}  // namespace
}  // namespace govflow::governance
