// The directory's operations: bootstrap, tenants, grants, teams, roles; each checked against its
// scope's permission and recorded in the right audit chain.
#include <gtest/gtest.h>

#include <algorithm>

#include "governance/permissions.h"
#include "unit/governance/access/access_test_fixture.h"

namespace govflow::governance {
namespace {

class DirectoryTest : public AccessTest {
 protected:
  // A scope of `email` on `tenant` obtained through the real check.
  TenantScope ScopeOf(const std::string& email, const std::string& tenant,
                      std::string_view permission) {
    auto scope = access().Authorize(As(email), TenantId(tenant), permission);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    return std::move(*scope);
  }
  Status Try(const std::function<Status(store::Txn&)>& body) { return store_->Transact(body); }
};

TEST_P(DirectoryTest, InitPartnerCreatesTheFirstPartnerAdminOnce) {
  PartnerInitResult first;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        first, InitPartner(txn, PartnerInit{"northwind", "Northwind", "lead@northwind.example",
                                            "Lee", "a long enough secret"}));
    return Status::Ok();
  });
  auto p = access().AuthenticatePassword("lead@northwind.example", "a long enough secret");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->partner_level);
  EXPECT_TRUE(access().AuthorizePartner(*p, perm::kTenantsManage).ok());
  Status again = Try([&](store::Txn& txn) {
    return InitPartner(txn,
                       PartnerInit{"other", "Other", "x@o.example", "X", "a long enough secret"})
        .status();
  });
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(AuditLines(std::string(kPartnerAuditChain)),
            (std::vector<std::string>{
                "partner.init partner northwind by system:bootstrap",
                "user.create user " + first.admin_user_id + " by system:bootstrap",
                "role.grant user " + first.admin_user_id + " by system:bootstrap"}));
}

TEST_P(DirectoryTest, CreateTenantNeedsTenantsManageAndIsChainedInBothTrails) {
  NewPartnerUser("root@partner.example", "partner_admin");
  NewPartnerUser("ops@partner.example", "partner_operator");
  auto denied = access().AuthorizePartner(As("ops@partner.example"), perm::kTenantsManage);
  EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied);
  auto admin = access().AuthorizePartner(As("root@partner.example"), perm::kTenantsManage);
  ASSERT_TRUE(admin.ok());
  InTxn([&](store::Txn& txn) {
    return governance::CreateTenant(txn, *admin, TenantId("acme"), "Acme");
  });
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return governance::CreateTenant(txn, *admin, TenantId("acme"), "Acme");
            }).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return governance::CreateTenant(txn, *admin, TenantId("_partner"), "sneaky");
            }).code(),
            StatusCode::kInvalidArgument);
  const std::string actor = "user:" + As("root@partner.example").user_id;
  EXPECT_EQ(AuditLines(std::string(kPartnerAuditChain)).back(),
            "tenant.create tenant acme by " + actor);
  const auto tenant_trail = AuditLines("acme");
  ASSERT_GE(tenant_trail.size(), 1u);
  EXPECT_EQ(tenant_trail[0], "tenant.create tenant acme by " + actor);
  // The default approver roles came with it.
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto roles,
                             ListRoles(txn, TenantScope::ForSystem(TenantId("acme"), "test")));
    std::vector<std::string> custom;
    for (const auto& r : roles) {
      if (!r.builtin) custom.push_back(r.name);
    }
    EXPECT_EQ(custom, (std::vector<std::string>{"finance_controller", "pricing_manager",
                                                "release_manager"}));
    return Status::Ok();
  });
}

TEST_P(DirectoryTest, TenantAdminManagesOwnTenantAndEveryChangeIsAudited) {
  NewTenant("a");
  NewUserWithRole("admin@a.example", TenantId("a"), "tenant_admin");
  const TenantScope admin = ScopeOf("admin@a.example", "a", perm::kUsersManage);
  std::string pat;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        pat, CreateTenantUser(txn, admin, NewUser{"pat@a.example", "Pat", ""}, "operator"));
    GOVFLOW_RETURN_IF_ERROR(GrantTenantRole(txn, admin, pat, "pricing_manager"));
    GOVFLOW_RETURN_IF_ERROR(CreateTeam(txn, admin, "order_desk", "Order desk"));
    GOVFLOW_RETURN_IF_ERROR(AddTeamMember(txn, admin, "order_desk", pat));
    return RevokeTenantRole(txn, admin, pat, "pricing_manager");
  });
  const std::string by = " by " + admin.actor().id;
  const auto trail = AuditLines("a");
  ASSERT_GE(trail.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(trail.end() - 6, trail.end()),
            (std::vector<std::string>{
                "user.create user " + pat + by, "role.grant user " + pat + by,
                "role.grant user " + pat + by, "team.create team order_desk" + by,
                "team.add_member team order_desk" + by, "role.revoke user " + pat + by}));
  auto members = [&] {
    std::vector<TenantMember> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, ListTenantMembers(txn, admin));
      return Status::Ok();
    });
    return out;
  }();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[1].user.email, "pat@a.example");
  EXPECT_EQ(members[1].roles, std::vector<std::string>{"operator"});
}

TEST_P(DirectoryTest, ViewerCannotChangeTheDirectory) {
  NewTenant("a");
  NewUserWithRole("viewer@a.example", TenantId("a"), "viewer");
  const std::string other = NewUserWithRole("op@a.example", TenantId("a"), "operator");
  const TenantScope viewer = ScopeOf("viewer@a.example", "a", perm::kTenantsRead);
  const size_t before = AuditLines("a").size();
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return GrantTenantRole(txn, viewer, other, "tenant_admin");
            }).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Try([&](store::Txn& txn) { return CreateTeam(txn, viewer, "t", "T"); }).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return IssueTenantToken(txn, viewer, other, "x", std::nullopt).status();
            }).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return CreateRole(txn, viewer, "boss", "", {"runs.act"});
            }).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(AuditLines("a").size(), before);
}

TEST_P(DirectoryTest, AdminOfTenantACannotTouchTokensOfTenantB) {
  NewTenant("a");
  NewTenant("b");
  NewUserWithRole("admin@a.example", TenantId("a"), "tenant_admin");
  const std::string svc = NewUserWithRole("svc@b.example", TenantId("b"), "operator");
  IssuedToken b_token;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        b_token, IssueTenantToken(txn, TenantScope::ForSystem(TenantId("b"), "t"), svc, "erp",
                                  std::nullopt));
    return Status::Ok();
  });
  const TenantScope admin = ScopeOf("admin@a.example", "a", perm::kTokensManage);
  EXPECT_EQ(
      Try([&](store::Txn& txn) { return RevokeTenantToken(txn, admin, b_token.token_id); }).code(),
      StatusCode::kNotFound);
  // Nor issue a token for B's user on A (B's user holds no role on A).
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return IssueTenantToken(txn, admin, svc, "x", std::nullopt).status();
            }).code(),
            StatusCode::kFailedPrecondition);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto tokens, ListTenantTokens(txn, admin));
    EXPECT_TRUE(tokens.empty());
    return Status::Ok();
  });
  EXPECT_TRUE(access().AuthenticateToken(b_token.token).ok());
}

TEST_P(DirectoryTest, CustomRolesCannotCarryPartnerOnlyOrUnknownPermissions) {
  NewTenant("a");
  const TenantScope sys = TenantScope::ForSystem(TenantId("a"), "test");
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return CreateRole(txn, sys, "boss", "", {"tenants.manage"});
            }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Try([&](store::Txn& txn) { return CreateRole(txn, sys, "boss", "", {"runs.fly"}); }).code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(Try([&](store::Txn& txn) { return CreateRole(txn, sys, "viewer", "", {}); }).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return SetRolePermissions(txn, sys, "viewer", {"runs.act"});
            }).code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(DirectoryTest, TeamsTakeOnlyMembersAndLosingTheLastRoleLeavesTheTeams) {
  NewTenant("a");
  NewTenant("b");
  const std::string pat = NewUserWithRole("pat@a.example", TenantId("a"), "operator");
  const std::string outsider = NewUserWithRole("o@b.example", TenantId("b"), "operator");
  const TenantScope sys = TenantScope::ForSystem(TenantId("a"), "test");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(CreateTeam(txn, sys, "order_desk", "Order desk"));
    return AddTeamMember(txn, sys, "order_desk", pat);
  });
  EXPECT_EQ(
      Try([&](store::Txn& txn) { return AddTeamMember(txn, sys, "order_desk", outsider); }).code(),
      StatusCode::kFailedPrecondition);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto teams, TeamsOfUser(txn, sys, pat));
    EXPECT_EQ(teams, std::vector<std::string>{"order_desk"});
    return RevokeTenantRole(txn, sys, pat, "operator");
  });
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto teams, ListTeams(txn, sys));
    EXPECT_EQ(teams.size(), 1u);
    EXPECT_TRUE(teams[0].member_user_ids.empty());
    return Status::Ok();
  });
  EXPECT_EQ(
      access().Authorize(As("pat@a.example"), TenantId("a"), perm::kTenantsRead).status().code(),
      StatusCode::kNotFound);
}

TEST_P(DirectoryTest, UsersWithTenantRoleListsEnabledHolders) {
  NewTenant("a");
  const std::string p1 = NewUserWithRole("p1@a.example", TenantId("a"), "finance_controller");
  const std::string p2 = NewUserWithRole("p2@a.example", TenantId("a"), "finance_controller");
  NewUserWithRole("p3@a.example", TenantId("a"), "operator");
  InTxn([&](store::Txn& txn) {
    return SetUserDisabled(txn, PartnerScope::ForSystem("test"), p2, true);
  });
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto users,
        UsersWithTenantRole(txn, TenantScope::ForSystem(TenantId("a"), "t"), "finance_controller"));
    EXPECT_EQ(users, std::vector<std::string>{p1});
    return Status::Ok();
  });
}

TEST_P(DirectoryTest, RejectsDuplicateEmailsWhateverTheCase) {
  NewPartnerUser("pat@a.example", "");
  EXPECT_EQ(Try([&](store::Txn& txn) {
              return CreateUser(txn, PartnerScope::ForSystem("t"), NewUser{"PAT@A.example", "", ""})
                  .status();
            }).code(),
            StatusCode::kAlreadyExists);
}

TEST_P(DirectoryTest, TenantsCreatedOutsideCreateTenantGetTheDefaultApproverRolesOnFirstGrant) {
  CreateTenant(TenantId("a"));  // the store's own upsert, as `govflow apply` does
  const TenantScope sys = TenantScope::ForSystem(TenantId("a"), "test");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto roles, ListRoles(txn, sys));
    auto pm = std::find_if(roles.begin(), roles.end(),
                           [](const auto& r) { return r.name == "pricing_manager"; });
    EXPECT_NE(pm, roles.end());
    if (pm == roles.end()) return Status::Ok();
    EXPECT_EQ(pm->permissions,
              (std::vector<std::string>{"approvals.decide", "approvals.read", "tenants.read"}));
    return Status::Ok();
  });
  NewUserWithRole("pm@a.example", TenantId("a"), "pricing_manager");
  EXPECT_TRUE(access().Authorize(As("pm@a.example"), TenantId("a"), perm::kApprovalsDecide).ok());
  // Nothing else is seeded lazily.
  const std::string other = NewPartnerUser("o@a.example", "");
  EXPECT_EQ(Try([&](store::Txn& txn) { return GrantTenantRole(txn, sys, other, "wizard"); }).code(),
            StatusCode::kNotFound);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(DirectoryTest);

}  // namespace
}  // namespace govflow::governance
