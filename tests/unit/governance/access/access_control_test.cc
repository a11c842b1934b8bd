// AccessControl: who may obtain which scope. Tenant isolation, the built-in roles, roles as data,
// passwords (argon2id, lockout) and tokens (hashed, revocable, expiring, tenant-limited).
#include <gtest/gtest.h>

#include <set>

#include "base/canonical_json.h"
#include "governance/permissions.h"
#include "unit/governance/access/access_test_fixture.h"

namespace govflow::governance {
namespace {

using std::chrono::minutes;

std::set<std::string> PermissionsOf(AccessControl& ac, const Principal& p, const TenantId& t) {
  std::set<std::string> out;
  for (std::string_view perm : AllPermissions()) {
    if (ac.Authorize(p, t, perm).ok()) out.emplace(perm);
  }
  return out;
}

class AccessControlTest : public AccessTest {};

TEST_P(AccessControlTest, UserOfTenantACannotObtainAnyScopeOnTenantB) {
  NewTenant("a");
  NewTenant("b");
  NewUserWithRole("admin@a.example", TenantId("a"), "tenant_admin");
  NewUserWithRole("bob@b.example", TenantId("b"), "tenant_admin");
  const Principal alice = As("admin@a.example");
  for (std::string_view perm : AllPermissions()) {
    auto scope = access().Authorize(alice, TenantId("b"), perm);
    ASSERT_FALSE(scope.ok()) << perm;
    EXPECT_EQ(scope.status().code(), StatusCode::kNotFound) << perm;
    // The same answer as for a tenant that does not exist: B's existence does not leak.
    EXPECT_EQ(scope.status().message(), "no tenant b");
  }
  EXPECT_EQ(access().Authorize(alice, TenantId("nope"), perm::kRunsRead).status().message(),
            "no tenant nope");
  auto visible = access().VisibleTenants(alice);
  ASSERT_TRUE(visible.ok());
  EXPECT_EQ(*visible, std::vector<TenantId>{TenantId("a")});
  // Her own tenant works.
  auto own = access().Authorize(alice, TenantId("a"), perm::kUsersManage);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->tenant(), TenantId("a"));
  EXPECT_TRUE(own->HasRole("tenant_admin"));
  EXPECT_EQ(own->actor().id, "user:" + alice.user_id);
}

TEST_P(AccessControlTest, ViewerReadsButCannotAct) {
  NewTenant("a");
  NewUserWithRole("viewer@a.example", TenantId("a"), "viewer");
  const Principal v = As("viewer@a.example");
  for (std::string_view read : {perm::kRunsRead, perm::kExceptionsRead, perm::kApprovalsRead,
                                perm::kDocumentsRead, perm::kMetricsRead}) {
    EXPECT_TRUE(access().Authorize(v, TenantId("a"), read).ok()) << read;
  }
  for (std::string_view act :
       {perm::kRunsAct, perm::kExceptionsAct, perm::kApprovalsDecide, perm::kApprovalsRequest,
        perm::kDocumentsEdit, perm::kDocumentsPublish, perm::kUsersManage, perm::kTokensManage,
        perm::kConnectionsManage, perm::kRetentionManage, perm::kAuditExport}) {
    auto scope = access().Authorize(v, TenantId("a"), act);
    EXPECT_EQ(scope.status().code(), StatusCode::kPermissionDenied) << act;
    EXPECT_NE(scope.status().message().find(std::string(act)), std::string::npos);
  }
}

TEST_P(AccessControlTest, PartnerAuditorReadsEveryTenantButChangesNothing) {
  NewTenant("a");
  NewTenant("b");
  NewPartnerUser("auditor@partner.example", "partner_auditor");
  const Principal p = As("auditor@partner.example");
  EXPECT_TRUE(p.partner_level);
  auto visible = access().VisibleTenants(p);
  ASSERT_TRUE(visible.ok());
  EXPECT_EQ(*visible, (std::vector<TenantId>{TenantId("a"), TenantId("b")}));
  for (const TenantId& t : *visible) {
    const std::set<std::string> got = PermissionsOf(access(), p, t);
    for (const std::string& perm : got) {
      EXPECT_TRUE(perm.ends_with(".read") || perm == perm::kAuditExport) << perm;
    }
    EXPECT_TRUE(got.contains(std::string(perm::kAuditExport)));
    EXPECT_TRUE(got.contains(std::string(perm::kRunsRead)));
    EXPECT_FALSE(got.contains(std::string(perm::kExceptionsAct)));
  }
  EXPECT_EQ(access().AuthorizePartner(p, perm::kUsersManage).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(access().AuthorizePartner(p, perm::kTenantsManage).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_P(AccessControlTest, PartnerOperatorActsOnOperationsButNotOnConfiguration) {
  NewTenant("a");
  NewPartnerUser("ops@partner.example", "partner_operator");
  const Principal p = As("ops@partner.example");
  for (std::string_view ok :
       {perm::kRunsAct, perm::kExceptionsAct, perm::kApprovalsDecide, perm::kDocumentsRead}) {
    EXPECT_TRUE(access().Authorize(p, TenantId("a"), ok).ok()) << ok;
  }
  for (std::string_view no : {perm::kDocumentsEdit, perm::kDocumentsPublish, perm::kUsersManage,
                              perm::kTokensManage, perm::kConnectionsManage}) {
    EXPECT_EQ(access().Authorize(p, TenantId("a"), no).status().code(),
              StatusCode::kPermissionDenied)
        << no;
  }
}

TEST_P(AccessControlTest, PartnerAdminMayDoEverythingOnEveryTenant) {
  NewTenant("a");
  NewPartnerUser("root@partner.example", "partner_admin");
  const Principal p = As("root@partner.example");
  EXPECT_EQ(PermissionsOf(access(), p, TenantId("a")).size(), AllPermissions().size());
  EXPECT_TRUE(access().AuthorizePartner(p, perm::kTenantsManage).ok());
}

TEST_P(AccessControlTest, TenantRolesNeverGrantPartnerLevelScopes) {
  NewTenant("a");
  NewUserWithRole("admin@a.example", TenantId("a"), "tenant_admin");
  const Principal p = As("admin@a.example");
  EXPECT_FALSE(p.partner_level);
  EXPECT_EQ(access().AuthorizePartner(p, perm::kTenantsRead).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(access().Authorize(p, TenantId("a"), perm::kTenantsManage).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_P(AccessControlTest, RoleDefinedAsDataGrantsExactlyItsPermissions) {
  NewTenant("a");
  NewUserWithRole("pm@a.example", TenantId("a"), "pricing_manager");
  const Principal pm = As("pm@a.example");
  EXPECT_EQ(PermissionsOf(access(), pm, TenantId("a")),
            (std::set<std::string>{"approvals.decide", "approvals.read", "tenants.read"}));

  // A custom role: exactly what it lists; changing its permissions changes what holders may do.
  InTxn([&](store::Txn& txn) {
    return CreateRole(txn, TenantScope::ForSystem(TenantId("a"), "test"), "returns_clerk",
                      "handles returns", {"exceptions.read", "exceptions.act"});
  });
  NewUserWithRole("clerk@a.example", TenantId("a"), "returns_clerk");
  const Principal clerk = As("clerk@a.example");
  EXPECT_EQ(PermissionsOf(access(), clerk, TenantId("a")),
            (std::set<std::string>{"exceptions.act", "exceptions.read"}));
  InTxn([&](store::Txn& txn) {
    return SetRolePermissions(txn, TenantScope::ForSystem(TenantId("a"), "test"), "returns_clerk",
                              {"exceptions.read"});
  });
  EXPECT_EQ(PermissionsOf(access(), clerk, TenantId("a")),
            (std::set<std::string>{"exceptions.read"}));
  auto scope = access().Authorize(clerk, TenantId("a"), perm::kExceptionsRead);
  ASSERT_TRUE(scope.ok());
  EXPECT_EQ(scope->roles(), (std::set<std::string>{"returns_clerk"}));
}

TEST_P(AccessControlTest, RejectsUnknownPermissionNames) {
  NewTenant("a");
  NewUserWithRole("admin@a.example", TenantId("a"), "tenant_admin");
  EXPECT_EQ(
      access().Authorize(As("admin@a.example"), TenantId("a"), "runs.explode").status().code(),
      StatusCode::kInvalidArgument);
}

TEST_P(AccessControlTest, DisabledUserIsRefusedEvenWithAPrincipalInHand) {
  NewTenant("a");
  const std::string id = NewUserWithRole("op@a.example", TenantId("a"), "operator");
  const Principal p = As("op@a.example");
  InTxn([&](store::Txn& txn) {
    return SetUserDisabled(txn, PartnerScope::ForSystem("test"), id, true);
  });
  EXPECT_EQ(access().Authorize(p, TenantId("a"), perm::kRunsRead).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(access().PrincipalForEmail("op@a.example").status().code(),
            StatusCode::kUnauthenticated);
}

// ---- Passwords -----------------------------------------------------------------------------

class PasswordTest : public AccessTest {
 protected:
  std::string CreateWithPassword(const std::string& email, const std::string& password) {
    std::string id;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          id, CreateUser(txn, PartnerScope::ForSystem("test"), NewUser{email, "Pat", password}));
      return Status::Ok();
    });
    return id;
  }
};

TEST_P(PasswordTest, StoresAnArgon2idHashNeverThePassword) {
  CreateWithPassword("pat@a.example", "correct horse battery");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query("SELECT password_hash FROM users"));
    EXPECT_TRUE(rows[0].Text(0).starts_with("$argon2id$")) << rows[0].Text(0);
    EXPECT_EQ(rows[0].Text(0).find("correct horse"), std::string::npos);
    return Status::Ok();
  });
  auto ok = access().AuthenticatePassword("PAT@a.example", "correct horse battery");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->email, "pat@a.example");
  EXPECT_EQ(ok->actor.id, "user:" + ok->user_id);
}

TEST_P(PasswordTest, RejectsShortPasswords) {
  Status st = store_->Transact([&](store::Txn& txn) {
    return CreateUser(txn, PartnerScope::ForSystem("test"), NewUser{"x@a.example", "", "short"})
        .status();
  });
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

TEST_P(PasswordTest, WrongPasswordAndUnknownEmailFailAlike) {
  CreateWithPassword("pat@a.example", "correct horse battery");
  auto wrong = access().AuthenticatePassword("pat@a.example", "incorrect horse battery");
  auto unknown = access().AuthenticatePassword("nobody@a.example", "correct horse battery");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
}

TEST_P(PasswordTest, LocksAfterFiveFailuresUntilThePeriodEnds) {
  CreateWithPassword("pat@a.example", "correct horse battery");
  for (int i = 0; i < AccessControl::kMaxFailedLogins; ++i) {
    EXPECT_FALSE(access().AuthenticatePassword("pat@a.example", "guess " + std::to_string(i)).ok());
  }
  // Locked: even the right password fails.
  EXPECT_EQ(access().AuthenticatePassword("pat@a.example", "correct horse battery").status().code(),
            StatusCode::kUnauthenticated);
  clock_.Advance(AccessControl::kLockoutPeriod - minutes(1));
  EXPECT_FALSE(access().AuthenticatePassword("pat@a.example", "correct horse battery").ok());
  clock_.Advance(minutes(1));
  EXPECT_TRUE(access().AuthenticatePassword("pat@a.example", "correct horse battery").ok());
  const auto trail = AuditLines(std::string(kPartnerAuditChain));
  ASSERT_FALSE(trail.empty());
  EXPECT_EQ(trail.back(), "user.lock user " + access().PrincipalForEmail("pat@a.example")->user_id +
                              " by system:access");
}

TEST_P(PasswordTest, SuccessfulLoginResetsTheFailureCount) {
  CreateWithPassword("pat@a.example", "correct horse battery");
  for (int i = 0; i < AccessControl::kMaxFailedLogins - 1; ++i) {
    EXPECT_FALSE(access().AuthenticatePassword("pat@a.example", "guess").ok());
  }
  EXPECT_TRUE(access().AuthenticatePassword("pat@a.example", "correct horse battery").ok());
  for (int i = 0; i < AccessControl::kMaxFailedLogins - 1; ++i) {
    EXPECT_FALSE(access().AuthenticatePassword("pat@a.example", "guess").ok());
  }
  EXPECT_TRUE(access().AuthenticatePassword("pat@a.example", "correct horse battery").ok());
}

TEST_P(PasswordTest, DisabledUserCannotLogIn) {
  const std::string id = CreateWithPassword("pat@a.example", "correct horse battery");
  InTxn([&](store::Txn& txn) {
    return SetUserDisabled(txn, PartnerScope::ForSystem("test"), id, true);
  });
  EXPECT_EQ(access().AuthenticatePassword("pat@a.example", "correct horse battery").status().code(),
            StatusCode::kUnauthenticated);
}

// ---- Tokens --------------------------------------------------------------------------------

class TokenTest : public AccessTest {
 protected:
  IssuedToken Issue(const TenantId& tenant, const std::string& user_id,
                    std::optional<TimePoint> expires = std::nullopt) {
    IssuedToken out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, IssueTenantToken(txn, TenantScope::ForSystem(tenant, "test"),
                                                     user_id, "erp sync", expires));
      return Status::Ok();
    });
    return out;
  }
};

TEST_P(TokenTest, StoresOnlyTheHashOfTheToken) {
  NewTenant("a");
  const std::string id = NewUserWithRole("svc@a.example", TenantId("a"), "operator");
  const IssuedToken t = Issue(TenantId("a"), id);
  EXPECT_TRUE(t.token.starts_with("gft_"));
  EXPECT_GE(t.token.size(), 40u);
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query("SELECT * FROM api_tokens"));
    EXPECT_EQ(rows.size(), 1u);
    for (size_t i = 0; i < rows[0].size(); ++i) {
      EXPECT_EQ(rows[0].Text(i).find(t.token.substr(4)), std::string::npos) << "column " << i;
    }
    GOVFLOW_ASSIGN_OR_RETURN(auto hash, txn.sql().Query("SELECT token_hash FROM api_tokens"));
    EXPECT_EQ(hash[0].Text(0), Sha256Hex(t.token));
    GOVFLOW_ASSIGN_OR_RETURN(auto audit, txn.sql().Query("SELECT details_json FROM audit_events"));
    for (const auto& r : audit) EXPECT_EQ(r.Text(0).find(t.token.substr(4)), std::string::npos);
    return Status::Ok();
  });
  auto p = access().AuthenticateToken(t.token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->actor.id, "token:" + t.token_id);
  EXPECT_EQ(p->actor.user_id, id);
  EXPECT_TRUE(access().Authorize(*p, TenantId("a"), perm::kRunsAct).ok());
}

TEST_P(TokenTest, RevokedTokenFailsAtOnce) {
  NewTenant("a");
  const std::string id = NewUserWithRole("svc@a.example", TenantId("a"), "operator");
  const IssuedToken t = Issue(TenantId("a"), id);
  auto held = access().AuthenticateToken(t.token);
  ASSERT_TRUE(held.ok());
  InTxn([&](store::Txn& txn) {
    return RevokeTenantToken(txn, TenantScope::ForSystem(TenantId("a"), "test"), t.token_id);
  });
  EXPECT_EQ(access().AuthenticateToken(t.token).status().code(), StatusCode::kUnauthenticated);
  // A principal authenticated before the revocation is refused too.
  EXPECT_EQ(access().Authorize(*held, TenantId("a"), perm::kRunsRead).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(AuditLines("a").back(), "token.revoke api_token " + t.token_id + " by system:test");
}

TEST_P(TokenTest, ExpiredTokenFails) {
  NewTenant("a");
  const std::string id = NewUserWithRole("svc@a.example", TenantId("a"), "operator");
  const IssuedToken t = Issue(TenantId("a"), id, clock_.Now() + minutes(10));
  EXPECT_TRUE(access().AuthenticateToken(t.token).ok());
  clock_.Advance(minutes(10));
  EXPECT_EQ(access().AuthenticateToken(t.token).status().code(), StatusCode::kUnauthenticated);
}

TEST_P(TokenTest, UnknownOrMalformedTokenFails) {
  EXPECT_EQ(access().AuthenticateToken("gft_nothing").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(access().AuthenticateToken("").status().code(), StatusCode::kUnauthenticated);
}

TEST_P(TokenTest, TenantTokenNeverReachesAnotherTenantOfItsUser) {
  NewTenant("a");
  NewTenant("b");
  const std::string id = NewUserWithRole("both@x.example", TenantId("a"), "operator");
  InTxn([&](store::Txn& txn) {
    return GrantTenantRole(txn, TenantScope::ForSystem(TenantId("b"), "test"), id, "operator");
  });
  auto p = access().AuthenticateToken(Issue(TenantId("a"), id).token);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(access().Authorize(*p, TenantId("a"), perm::kRunsRead).ok());
  EXPECT_EQ(access().Authorize(*p, TenantId("b"), perm::kRunsRead).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(*access().VisibleTenants(*p), std::vector<TenantId>{TenantId("a")});
  // The user themself (not the token) sees both.
  EXPECT_EQ(access().VisibleTenants(As("both@x.example"))->size(), 2u);
}

TEST_P(TokenTest, PartnerTokenActsWithThePartnerRoles) {
  NewTenant("a");
  const std::string id = NewPartnerUser("ops@partner.example", "partner_operator");
  IssuedToken t;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        t, IssuePartnerToken(txn, PartnerScope::ForSystem("test"), id, "monitoring", std::nullopt));
    return Status::Ok();
  });
  auto p = access().AuthenticateToken(t.token);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->partner_level);
  EXPECT_TRUE(access().Authorize(*p, TenantId("a"), perm::kExceptionsAct).ok());
  EXPECT_EQ(access().Authorize(*p, TenantId("a"), perm::kUsersManage).status().code(),
            StatusCode::kPermissionDenied);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AccessControlTest);
GOVFLOW_INSTANTIATE_ON_BOTH_STORES(PasswordTest);
GOVFLOW_INSTANTIATE_ON_BOTH_STORES(TokenTest);

}  // namespace
}  // namespace govflow::governance
