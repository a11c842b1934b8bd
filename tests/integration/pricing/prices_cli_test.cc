// `govflow prices` against the Shopify simulator's Admin API, through the real binary on an
// embedded store: a -35% promotion requested by an operator waits for the pricing manager the
// shipped approval matrix names, `prices publish` leaves the storefront alone until the approval
// and sets the price (and compare-at price) after it; a -10% change goes straight through; the
// trail shows request, approval, release and publish.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "integration/cli_engine/process.h"
#include "sim/shopify_admin_simulator.h"

namespace govflow::testing {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kBeanieNavy = 45300000000017;  // BEANIE-MER-NAV, 24.00

class PricesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("govflow-prices-cli-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    sim::ShopifyAdminOptions options;
    options.access_token = "shpat_cli";
    auto shop = sim::ShopifyAdminSimulator::Start(options);
    ASSERT_TRUE(shop.ok()) << shop.status().ToString();
    shop_ = std::move(*shop);
  }
  void TearDown() override {
    if (shop_) shop_->Stop();
    std::filesystem::remove_all(dir_);
  }

  RunOutput Govflow(std::vector<std::string> args) {
    args.insert(args.begin(), GOVFLOW_BINARY);
    args.push_back("--data");
    args.push_back(dir_.string());
    return RunProgram(args, {{"GOVFLOW_ADMIN_PASSWORD", "correct-horse-battery"}});
  }
  void MustRun(std::vector<std::string> args) {
    RunOutput r = Govflow(args);
    ASSERT_EQ(r.exit_code, 0) << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": "
                              << r.out << r.err;
  }

  std::filesystem::path dir_;
  std::unique_ptr<sim::ShopifyAdminSimulator> shop_;
};

TEST_F(PricesCliTest, PromotionWaitsForThePricingManagerThenReachesTheStorefront) {
  MustRun({"partner", "init", "--id", "northwind", "--admin-email", "admin@nw.test"});
  const std::filesystem::path config = dir_ / "config.yaml";
  {
    std::ofstream out(config);
    out << "apiVersion: govflow/v1\nkind: Config\ntenants:\n  - id: acme\n    name: Acme\n"
           "    connections:\n      - id: storefront\n        kind: shopify.admin\n"
           "        shop_url: "
        << shop_->shop_url() << "\n        access_token: shpat_cli\n";
  }
  // apply seeds the tenant's default approver roles, pricing_manager among them.
  MustRun({"apply", "-f", config.string()});
  MustRun({"users", "create", "--as", "admin@nw.test", "olivia@acme.test", "--tenant", "acme",
           "--role", "operator"});
  MustRun({"users", "create", "--as", "admin@nw.test", "pam@acme.test", "--tenant", "acme",
           "--role", "pricing_manager"});

  RunOutput req = Govflow({"prices", "request", "--as", "olivia@acme.test", "--sku",
                           "BEANIE-MER-NAV", "--price", "15.60", "--compare-at", "24.00",
                           "--reason", "Black Friday", "--json"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  boost::json::object change = boost::json::parse(req.out).as_object();
  EXPECT_EQ(change["state"].as_string(), "pending_approval");
  EXPECT_EQ(change["old_price"].as_string(), "24.00");  // read from the storefront
  EXPECT_EQ(change["rule"].as_string(), "price-change-beyond-threshold");
  const std::string task(change["approval_ids"].as_array()[0].as_string());

  MustRun({"prices", "publish"});
  EXPECT_EQ(shop_->Variant(kBeanieNavy)->price_cents, 2400);

  // The requester may not decide; the pricing manager approves.
  RunOutput own = Govflow({"approvals", "approve", "--as", "olivia@acme.test", "--tenant", "acme",
                           task, "--comment", "mine"});
  EXPECT_NE(own.exit_code, 0);
  MustRun({"prices", "publish"});
  EXPECT_EQ(shop_->Variant(kBeanieNavy)->price_cents, 2400);
  MustRun({"approvals", "approve", "--as", "pam@acme.test", "--tenant", "acme", task,
           "--comment", "checked against the promo plan"});
  // The decision released the change in its own transaction (no release sweep needed) ...
  RunOutput released =
      Govflow({"prices", "list", "--as", "pam@acme.test", "--state", "released"});
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_THAT(released.out, HasSubstr("BEANIE-MER-NAV"));
  // ... and only the publisher sends it to the storefront.
  EXPECT_EQ(shop_->Variant(kBeanieNavy)->price_cents, 2400);
  RunOutput pub = Govflow({"prices", "publish"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_THAT(pub.out, HasSubstr("published=1"));
  EXPECT_EQ(shop_->Variant(kBeanieNavy)->price_cents, 1560);
  EXPECT_EQ(shop_->Variant(kBeanieNavy)->compare_at_cents, 2400);

  // Within the matrix's threshold: straight through.
  RunOutput small = Govflow({"prices", "request", "--as", "olivia@acme.test", "--sku",
                             "MUG-CER-WHT", "--price", "14.40", "--reason", "rounding"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_THAT(small.out, HasSubstr("released"));
  MustRun({"prices", "publish"});
  EXPECT_EQ(shop_->VariantBySku("MUG-CER-WHT")->price_cents, 1440);

  RunOutput list = Govflow({"prices", "list", "--as", "pam@acme.test", "--state", "published"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("BEANIE-MER-NAV  24.00 -> 15.60 USD (-35.00%)"));
  EXPECT_THAT(list.out, HasSubstr("MUG-CER-WHT  16.00 -> 14.40 USD (-10.00%)"));

  RunOutput audit = Govflow({"audit", "list", "--as", "admin@nw.test", "--tenant", "acme"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  for (const char* action : {"price_change.request", "approval.request", "approval.approve",
                             "price_change.release", "price_change.publish"}) {
    EXPECT_THAT(audit.out, HasSubstr(action));
  }
}

}  // namespace
}  // namespace govflow::testing
