// `govflow demo --duration` as a child process on a fresh data directory, then the store it left:
// the partner, both tenants and a user for every role exist and sign in with the password the
// demo printed; exceptions were opened, a price change waits for approval, orders reached the
// ERP simulator; after the pricing manager approves a waiting change, a second run on the same
// directory publishes it to the storefront and re-creates nothing. The release manager has a
// promotion of the demo approval matrix to decide.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "governance/price_changes.h"
#include "integration/cli_engine/process.h"
#include "store/store.h"

namespace govflow::testing {
namespace {

namespace gov = governance;

struct PrintedUser {
  std::string email, role, tenant, password;
};

// The rows of the demo's users table: "  EMAIL  ROLE  TENANT|(all)  PASSWORD".
std::vector<PrintedUser> PrintedUsers(const std::string& out) {
  std::vector<PrintedUser> users;
  std::istringstream lines(out);
  std::string line;
  const std::regex row(R"(^  (\S+@\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$)");
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, row)) {
      users.push_back({m[1], m[2], m[3] == "(all)" ? "" : std::string(m[3]), m[4]});
    }
  }
  return users;
}

int64_t ErpSalesOrders(const std::string& out) {
  std::smatch m;
  const std::regex summary(R"(ERP sales orders (\d+), duplicate business keys (\d+))");
  if (!std::regex_search(out, m, summary)) return -1;
  EXPECT_EQ(m[2], "0") << "an order reached the ERP twice";
  return std::stoll(m[1]);
}

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("govflow-demo-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunOutput RunDemo(const std::string& duration) {
    return RunProgram({GOVFLOW_BINARY, "demo", "--data", dir_.string(), "--listen", "127.0.0.1:0",
                       "--duration", duration, "--price-every", "5", "--rate", "5", "--seed", "11"},
                      {});
  }

  std::unique_ptr<store::Store> OpenStore() {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "govflow.db").string();
    auto opened = store::Store::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  std::filesystem::path dir_;
};

TEST_F(DemoTest, SeedsEveryRoleAndShowsExceptionsWaitingApprovalsAndOrdersInTheErp) {
  RunOutput first = RunDemo("20s");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "branding.json"));
  EXPECT_GT(ErpSalesOrders(first.out), 0) << first.out;

  const std::vector<PrintedUser> printed = PrintedUsers(first.out);
  std::set<std::string> roles;
  for (const auto& u : printed) roles.insert(u.role);
  for (const char* role : {"partner_admin", "partner_operator", "partner_auditor", "tenant_admin",
                           "process_owner", "operator", "pricing_manager", "finance_controller",
                           "release_manager", "viewer", "auditor"}) {
    EXPECT_TRUE(roles.count(role)) << "no demo user printed for " << role << "\n" << first.out;
  }

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const TenantId harbor("harbor"), forge("forge");
  {
    auto txn = store->Begin(store::sql::TxnMode::kReadOnly);
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    auto partner = gov::GetPartner(*txn);
    ASSERT_TRUE(partner.ok()) << partner.status().ToString();
    EXPECT_EQ(partner->display_name, "Northwind Digital");
    EXPECT_TRUE(txn->GetTenant(harbor).ok());
    EXPECT_TRUE(txn->GetTenant(forge).ok());

    // Every printed user holds the printed role where the table says.
    auto all = gov::ListUsers(*txn, gov::PartnerScope::ForSystem("demo_test"));
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    std::map<std::string, std::vector<std::string>> partner_roles;
    for (const auto& u : all.value()) partner_roles[u.email] = u.partner_roles;
    std::map<std::string, std::map<std::string, std::vector<std::string>>> tenant_roles;
    for (const TenantId& t : {harbor, forge}) {
      auto members = gov::ListTenantMembers(*txn, gov::TenantScope::ForSystem(t, "demo_test"));
      ASSERT_TRUE(members.ok()) << members.status().ToString();
      for (const auto& m : members.value()) tenant_roles[t.value()][m.user.email] = m.roles;
    }
    for (const auto& u : printed) {
      const auto& held =
          u.tenant.empty() ? partner_roles[u.email] : tenant_roles[u.tenant][u.email];
      EXPECT_NE(std::find(held.begin(), held.end(), u.role), held.end())
          << u.email << " lacks " << u.role << " on "
          << (u.tenant.empty() ? "the partner" : u.tenant);
    }

    auto cases = txn->ListExceptionCases(harbor, store::ExceptionState::kOpen, 1000);
    ASSERT_TRUE(cases.ok()) << cases.status().ToString();
    EXPECT_FALSE(cases->empty()) << "no open exception on the retailer";
    for (const TenantId& t : {harbor, forge}) {
      auto runs = txn->CountRunsByState(t);
      ASSERT_TRUE(runs.ok());
      EXPECT_GT((*runs)[store::RunState::kSucceeded], 0)
          << "no order of " << t.value() << " reached the ERP";
    }
    auto pending = gov::ListPriceChanges(*txn, gov::TenantScope::ForSystem(harbor, "demo_test"),
                                         gov::PriceChangeState::kPendingApproval);
    ASSERT_TRUE(pending.ok()) << pending.status().ToString();
    EXPECT_FALSE(pending->empty()) << "no price change waits for the pricing manager";

    // The release manager has a promotion of the proposed approval matrix to decide.
    gov::ApprovalFilter promotions;
    promotions.state = gov::ApprovalState::kPending;
    promotions.subject_type = "document_promotion";
    auto waiting =
        gov::ListApprovals(*txn, gov::TenantScope::ForSystem(harbor, "demo_test"), promotions);
    ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
    ASSERT_EQ(waiting->tasks.size(), 1u);
    EXPECT_NE(std::find(waiting->tasks[0].request.required_roles.begin(),
                        waiting->tasks[0].request.required_roles.end(), "release_manager"),
              waiting->tasks[0].request.required_roles.end());
  }

  gov::AccessControl access(*store, SystemClock::Get());
  for (const auto& u : printed) {
    auto who = access.AuthenticatePassword(u.email, u.password);
    EXPECT_TRUE(who.ok()) << u.email << ": " << who.status().ToString();
  }
  size_t users_after_first = 0;
  {
    auto txn = store->Begin(store::sql::TxnMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    users_after_first = gov::ListUsers(*txn, gov::PartnerScope::ForSystem("demo_test"))->size();
  }
  // The story the demo tells: the pricing manager approves a change the operator asked for (the
  // operator may not); the next run releases it and the engine publishes it to the storefront.
  std::string approved_change;
  {
    auto pricing = std::find_if(printed.begin(), printed.end(),
                                [](const PrintedUser& u) { return u.role == "pricing_manager"; });
    auto op = std::find_if(printed.begin(), printed.end(), [](const PrintedUser& u) {
      return u.role == "operator" && u.tenant == "harbor";
    });
    ASSERT_NE(pricing, printed.end());
    ASSERT_NE(op, printed.end());
    auto operator_principal = access.AuthenticatePassword(op->email, op->password);
    ASSERT_TRUE(operator_principal.ok());
    EXPECT_FALSE(access.Authorize(*operator_principal, harbor, gov::perm::kApprovalsDecide).ok());
    auto principal = access.AuthenticatePassword(pricing->email, pricing->password);
    ASSERT_TRUE(principal.ok()) << principal.status().ToString();
    auto scope = access.Authorize(*principal, harbor, gov::perm::kApprovalsDecide);
    ASSERT_TRUE(scope.ok()) << scope.status().ToString();
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok());
    auto pending = gov::ListPriceChanges(*txn, *scope, gov::PriceChangeState::kPendingApproval);
    ASSERT_TRUE(pending.ok() && !pending->empty());
    const gov::PriceChange& change = pending->front();
    ASSERT_EQ(change.approval_ids.size(), 1u);
    auto decided = gov::DecideApproval(*txn, *scope, change.approval_ids[0], true, "approved");
    ASSERT_TRUE(decided.ok()) << decided.status().ToString();
    ASSERT_TRUE(txn->Commit().ok());
    approved_change = change.id;
  }
  store.reset();

  // Continues on the same directory: same people, same passwords, nothing created twice.
  RunOutput second = RunDemo("8s");
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  {
    auto txn = store->Begin(store::sql::TxnMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    EXPECT_EQ(gov::ListUsers(*txn, gov::PartnerScope::ForSystem("demo_test"))->size(),
              users_after_first);
  }
  {
    auto txn = store->Begin(store::sql::TxnMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    auto change = gov::GetPriceChange(*txn, gov::TenantScope::ForSystem(harbor, "demo_test"),
                                      approved_change);
    ASSERT_TRUE(change.ok()) << change.status().ToString();
    EXPECT_EQ(change->state, gov::PriceChangeState::kPublished)
        << gov::PriceChangeStateName(change->state) << "\n"
        << second.out;
  }
  {
    auto txn = store->Begin(store::sql::TxnMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    gov::ApprovalFilter promotions;
    promotions.subject_type = "document_promotion";
    auto all =
        gov::ListApprovals(*txn, gov::TenantScope::ForSystem(harbor, "demo_test"), promotions);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->tasks.size(), 1u) << "the matrix document was seeded twice";
  }
  gov::AccessControl again(*store, SystemClock::Get());
  for (const auto& u : PrintedUsers(second.out)) {
    EXPECT_TRUE(again.AuthenticatePassword(u.email, u.password).ok()) << u.email;
  }
}

}  // namespace
}  // namespace govflow::testing
