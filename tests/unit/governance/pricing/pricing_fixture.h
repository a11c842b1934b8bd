// The people and the storefront connection of the pricing tests, shared by the unit tests
// (tests/unit/governance/pricing/) and the end-to-end test against the Shopify simulator
// (tests/integration/pricing/). Tenant "acme" has an operator who requests price changes, two
// pricing managers, an operator who is also a pricing manager (a maker who could check their own
// work), a viewer; tenant "globex" has its own pricing manager. People get their scopes from
// AccessControl, as in production. The policy holds changes beyond 20% for two pricing managers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/audit.h"
#include "governance/directory.h"
#include "governance/price_changes.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance::testing {

inline const TenantId kAcme("acme");
inline const TenantId kGlobex("globex");
inline const ConnectionId kShop("shop-admin");

class PricingTest : public govflow::testing::GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    access_ = std::make_unique<AccessControl>(*store_, clock_);
    CreateTenant(kAcme);
    CreateTenant(kGlobex);
    InTxn([](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(SeedDefaultRoles(txn, kAcme));
      return SeedDefaultRoles(txn, kGlobex);
    });
    AddUser("olivia@acme.test", kAcme, {"operator"});
    AddUser("carl@acme.test", kAcme, {"operator", "pricing_manager"});
    AddUser("pam@acme.test", kAcme, {"pricing_manager"});
    AddUser("pete@acme.test", kAcme, {"pricing_manager"});
    AddUser("vic@acme.test", kAcme, {"viewer"});
    AddUser("gus@globex.test", kGlobex, {"pricing_manager", "operator"});
    PutShopConnection(kAcme, "http://127.0.0.1:9");
    PutShopConnection(kGlobex, "http://127.0.0.1:9");
    policy_ = ThresholdPriceApprovalPolicy(20.0, {"pricing_manager"}, 2);
  }

  void AddUser(const std::string& email, const TenantId& tenant,
               const std::vector<std::string>& roles) {
    InTxn([&](store::Txn& txn) -> Status {
      NewUser u;
      u.email = email;
      GOVFLOW_ASSIGN_OR_RETURN(std::string id, CreateUser(txn, PartnerScope::ForSystem("test"), u));
      for (const auto& role : roles) {
        GOVFLOW_RETURN_IF_ERROR(
            GrantTenantRole(txn, TenantScope::ForSystem(tenant, "test"), id, role));
      }
      return Status::Ok();
    });
  }

  // A shopify.admin connection; the access token sits in plain config (the tests' store has no
  // sealed secrets).
  void PutShopConnection(const TenantId& tenant, const std::string& shop_url,
                         const std::string& token = "shpat_test") {
    InTxn([&](store::Txn& txn) -> Status {
      store::Connection c;
      c.tenant = tenant;
      c.id = kShop;
      c.kind = "shopify.admin";
      c.config_json = R"({"shop_url":")" + shop_url + R"(","access_token":")" + token +
                      R"(","request_timeout_ms":3000})";
      c.created_at = clock_.Now();
      c.updated_at = clock_.Now();
      return txn.PutConnection(c);
    });
  }

  Result<TenantScope> ScopeFor(const std::string& email, const TenantId& tenant,
                               std::string_view permission) {
    GOVFLOW_ASSIGN_OR_RETURN(Principal p, access_->PrincipalForEmail(email));
    return access_->Authorize(p, tenant, permission);
  }

  // "BEANIE-MER-NAV" at 24.00 -> `new_price`, requested by `email`.
  Result<PriceChange> Request(const std::string& email, const std::string& new_price,
                              const TenantId& tenant = kAcme, int64_t variant_id = 45300000000017,
                              const std::string& old_price = "24.00",
                              const std::string& sku = "BEANIE-MER-NAV") {
    GOVFLOW_ASSIGN_OR_RETURN(TenantScope scope, ScopeFor(email, tenant, perm::kApprovalsRequest));
    PriceChangeRequest r;
    r.connection = kShop;
    r.sku = sku;
    r.variant_id = variant_id;
    r.old_price = old_price;
    r.new_price = new_price;
    r.currency = "USD";
    r.reason = "Black Friday promotion";
    Result<PriceChange> out = Internal("not run");
    Status st = store_->Transact([&](store::Txn& txn) -> Status {
      out = RequestPriceChange(txn, scope, r, policy_);
      return out.status();
    });
    if (!st.ok()) return st;
    return out;
  }

  // Decides the change's task in its own transaction, then applies the outcome as the serve
  // loop's sweep does.
  Result<ApprovalTask> Decide(const std::string& email, const PriceChange& change, bool approve,
                              const std::string& comment = "checked against the promo plan",
                              const TenantId& tenant = kAcme) {
    GOVFLOW_ASSIGN_OR_RETURN(TenantScope scope, ScopeFor(email, tenant, perm::kApprovalsDecide));
    if (!change.approval_id) return FailedPrecondition("change has no approval task");
    Result<ApprovalTask> out = Internal("not run");
    Status st = store_->Transact([&](store::Txn& txn) -> Status {
      out = DecideApproval(txn, scope, *change.approval_id, approve, comment);
      return out.status();
    });
    if (!st.ok()) return st;
    auto swept = ReleaseDecidedPriceChanges(*store_);
    if (!swept.ok()) return swept.status();
    return out;
  }

  PriceChange Get(const std::string& id, const TenantId& tenant = kAcme) {
    PriceChange c;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(c, GetPriceChange(txn, TenantScope::ForSystem(tenant, "test"), id));
      return Status::Ok();
    });
    return c;
  }

  int64_t OutboxRows(const std::string& change_id) {
    int64_t n = 0;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          store::sql::Rows rows,
          txn.sql().Query("SELECT COUNT(*) FROM price_change_outbox WHERE change_id = ?",
                          {change_id}));
      n = rows[0].Int(0);
      return Status::Ok();
    });
    return n;
  }

  // The audit actions recorded on a price change and its approval task, oldest first.
  std::vector<std::string> AuditTrail(const PriceChange& change) {
    std::vector<std::string> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          store::sql::Rows rows,
          txn.sql().Query("SELECT action, actor FROM audit_events WHERE tenant_id = ? AND "
                          "(object_id = ? OR object_id = ?) ORDER BY seq",
                          {change.tenant.value(), change.id, change.approval_id.value_or("-")}));
      for (const auto& r : rows) out.push_back(r.Text(0) + " by " + r.Text(1));
      return Status::Ok();
    });
    return out;
  }

  std::unique_ptr<AccessControl> access_;
  PriceApprovalPolicy policy_;
};

}  // namespace govflow::governance::testing
