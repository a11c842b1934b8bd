// Shared set-up for the access tests: users with roles on tenants, made through the directory
// under system scopes, and an AccessControl on the fixture's store and clock.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "governance/access.h"
#include "governance/directory.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {

class AccessTest : public testing::GovernanceStoreTest {
 protected:
  void TearDown() override {
    access_.reset();  // it refers to store_
    GovernanceStoreTest::TearDown();
  }

  // A user without a password (logs in through --as or tokens).
  std::string NewUserWithRole(const std::string& email, const TenantId& tenant,
                              const std::string& role) {
    std::string id = NewPartnerUser(email, "");
    InTxn([&](store::Txn& txn) {
      return GrantTenantRole(txn, TenantScope::ForSystem(tenant, "test"), id, role);
    });
    return id;
  }
  std::string NewPartnerUser(const std::string& email, const std::string& partner_role) {
    std::string id;
    InTxn([&](store::Txn& txn) -> Status {
      const PartnerScope sys = PartnerScope::ForSystem("test");
      GOVFLOW_ASSIGN_OR_RETURN(id, CreateUser(txn, sys, NewUser{email, email, ""}));
      if (!partner_role.empty())
        GOVFLOW_RETURN_IF_ERROR(GrantPartnerRole(txn, sys, id, partner_role));
      return Status::Ok();
    });
    return id;
  }
  void NewTenant(const std::string& id) {
    InTxn([&](store::Txn& txn) {
      return governance::CreateTenant(txn, PartnerScope::ForSystem("test"), TenantId(id), id);
    });
  }
  Principal As(const std::string& email) {
    auto p = access().PrincipalForEmail(email);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Principal{};
  }
  AccessControl& access() {
    if (!access_) access_ = std::make_unique<AccessControl>(*store_, clock_);
    return *access_;
  }
  // The audit events of one chain, as "action object_type object_id" lines, oldest first.
  std::vector<std::string> AuditLines(const std::string& chain) {
    std::vector<std::string> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows,
                               txn.sql().Query("SELECT action, object_type, object_id, actor FROM "
                                               "audit_events WHERE tenant_id = ? ORDER BY seq",
                                               {chain}));
      for (const auto& r : rows) {
        out.push_back(r.Text(0) + " " + r.Text(1) + " " + r.Text(2) + " by " + r.Text(3));
      }
      return Status::Ok();
    });
    return out;
  }

  std::unique_ptr<AccessControl> access_;
};

}  // namespace govflow::governance
