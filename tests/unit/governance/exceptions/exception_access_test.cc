// Real people through AccessControl: a viewer reads the inbox but cannot act; an operator of
// tenant A can neither reach tenant B nor act on B's cases with A's scope; actions are audited
// under the person's actor id.
#include <gtest/gtest.h>

#include "governance/access.h"
#include "governance/directory.h"
#include "governance/exceptions/cases.h"
#include "unit/governance/exceptions/exception_fixture.h"
#include "workflow/runtime/exceptions.h"

namespace govflow::governance::exceptions {
namespace {

class ExceptionAccessTest : public testing::ExceptionFixture {
 protected:
  Principal AddUser(const std::string& email, const TenantId& tenant, const std::string& role) {
    InTxn([&](store::Txn& txn) -> Status {
      NewUser u;
      u.email = email;
      GOVFLOW_ASSIGN_OR_RETURN(std::string id, CreateUser(txn, PartnerScope::ForSystem("test"), u));
      return GrantTenantRole(txn, TenantScope::ForSystem(tenant, "test"), id, role);
    });
    auto p = access_->PrincipalForEmail(email);
    EXPECT_TRUE(p.ok()) << p.status().message();
    return *p;
  }
  void SetUp() override {
    ExceptionFixture::SetUp();
    access_ = std::make_unique<AccessControl>(*store_, clock_);
  }
  std::unique_ptr<AccessControl> access_;
};

TEST_P(ExceptionAccessTest, AViewerReadsTheInboxButCannotAct) {
  const TenantId a("a");
  SeedTenant(a);
  ExceptionCaseId id =
      OpenCase(a, Order(1, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  Principal viewer = AddUser("vera@a.test", a, "viewer");
  auto read = access_->Authorize(viewer, a, perm::kExceptionsRead);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_TRUE(GetCase(*store_, *read, id).ok());
  EXPECT_EQ(Acknowledge(*store_, *read, {id}, "").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Resolve(*store_, *read, {id}, "x").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(workflow::runtime::RetryExceptions(*store_, *read, {id}, "").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_FALSE(access_->Authorize(viewer, a, perm::kExceptionsAct).ok());
  auto c = GetCase(*store_, *read, id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, CaseState::kOpen);
}

TEST_P(ExceptionAccessTest, AnOperatorOfTenantACannotReachTenantBsCases) {
  const TenantId a("a"), b("b");
  SeedTenant(a);
  SeedTenant(b);
  ExceptionCaseId bs =
      OpenCase(b, Order(1, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  Principal op = AddUser("olga@a.test", a, "operator");
  EXPECT_FALSE(access_->Authorize(op, b, perm::kExceptionsRead).ok());
  auto scope = access_->Authorize(op, a, perm::kExceptionsAct);
  ASSERT_TRUE(scope.ok()) << scope.status().message();
  EXPECT_EQ(GetCase(*store_, *scope, bs).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Acknowledge(*store_, *scope, {bs}, "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(workflow::runtime::CancelExceptionRuns(*store_, *scope, {bs}, "r").status().code(),
            StatusCode::kNotFound);

  ExceptionCaseId as =
      OpenCase(a, Order(2, "10.00", "c"), "post_sales_order", "rejected", UnknownSku("SKU-1"));
  ASSERT_TRUE(Acknowledge(*store_, *scope, {as}, "mine").ok());
  auto c = GetCase(*store_, *scope, as);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->acknowledged_by, scope->actor().id);
  EXPECT_TRUE(scope->actor().id.starts_with("user:"));
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ExceptionAccessTest);

}  // namespace
}  // namespace govflow::governance::exceptions
