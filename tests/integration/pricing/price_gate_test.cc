// The price-change approval gate end to end, on both stores, against the Shopify simulator's
// Admin API over real HTTP on loopback (govflow-sim's ShopifyAdminSimulator): a -35% change
// waits; the storefront keeps its price while the change is pending, after the requester's own
// approval attempt (refused) and after one of two required approvals; it changes only after the
// second; a rejected change never reaches the storefront; a change within the threshold goes
// straight through; the publisher never applies a change twice (read-before-write after a lost
// answer), retries throttling and outages, never overwrites a price someone changed meanwhile,
// and every step is in the audit trail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <future>
#include <memory>

#include "connect/http/curl_http_client.h"
#include "connect/registry.h"
#include "connect/shopify/admin_client.h"
#include "governance/price_publisher.h"
#include "sim/shopify_admin_simulator.h"
#include "unit/governance/pricing/pricing_fixture.h"

namespace govflow::governance::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

constexpr int64_t kBeanieNavy = 45300000000017;  // BEANIE-MER-NAV, 24.00 in the catalogue

class PriceGateTest : public PricingTest {
 protected:
  void SetUp() override {
    PricingTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sim::ShopifyAdminOptions options;
    options.access_token = "shpat_test";
    auto sim = sim::ShopifyAdminSimulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    shop_ = std::move(*sim);
    PutShopConnection(kAcme, shop_->shop_url());
    auto http = connect::CurlHttpClient::Create();
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    clients_ = std::make_unique<StoredStorefrontClients>(*store_, *http_, clock_, "");
    PricePublisherOptions po;
    po.owner = "node-test";
    po.on_failure = [this](store::Txn&, const PriceChange& c, const connect::CallFailure& f) {
      failures_.push_back(c.id + " " + std::string(connect::ErrorClassName(f.error_class)));
      return Status::Ok();
    };
    publisher_ = std::make_unique<PricePublisher>(*store_, *clients_, po);
  }
  void TearDown() override {
    publisher_.reset();
    clients_.reset();
    http_.reset();
    if (shop_) shop_->Stop();
    PricingTest::TearDown();
  }

  PublishReport Publish() {
    auto r = publisher_->PublishDue();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PublishReport{};
  }
  int64_t StorefrontCents() { return shop_->Variant(kBeanieNavy)->price_cents; }

  std::unique_ptr<sim::ShopifyAdminSimulator> shop_;
  std::unique_ptr<connect::CurlHttpClient> http_;
  std::unique_ptr<StoredStorefrontClients> clients_;
  std::unique_ptr<PricePublisher> publisher_;
  std::vector<std::string> failures_;
};

TEST_P(PriceGateTest, PromotionOfMinus35PercentReachesStorefrontOnlyAfterTwoApprovals) {
  auto c = Request("carl@acme.test", "15.60");  // carl: operator and pricing_manager
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->state, PriceChangeState::kPendingApproval);
  EXPECT_EQ(Publish().published, 0);
  EXPECT_EQ(StorefrontCents(), 2400);

  // The requester's own approval is refused and changes nothing.
  EXPECT_EQ(Decide("carl@acme.test", *c, true).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Publish().published, 0);
  EXPECT_EQ(StorefrontCents(), 2400);

  // One of two required approvals.
  ASSERT_TRUE(Decide("pam@acme.test", *c, true).ok());
  EXPECT_EQ(Publish().published, 0);
  EXPECT_EQ(StorefrontCents(), 2400);
  EXPECT_EQ(shop_->stats().price_updates, 0u);

  // The second: released, then published on the next pass.
  ASSERT_TRUE(Decide("pete@acme.test", *c, true, "approved for Black Friday").ok());
  PublishReport report = Publish();
  EXPECT_EQ(report.published, 1);
  EXPECT_EQ(StorefrontCents(), 1560);
  EXPECT_EQ(shop_->stats().price_updates, 1u);
  PriceChange done = Get(c->id);
  EXPECT_EQ(done.state, PriceChangeState::kPublished);
  EXPECT_TRUE(done.published_at.has_value());

  // Nothing left to publish: a second pass writes nothing.
  EXPECT_EQ(Publish().published, 0);
  EXPECT_EQ(shop_->stats().price_updates, 1u);

  auto trail = AuditTrail(*c);
  EXPECT_THAT(trail, Contains(HasSubstr("price_change.request by user:")));
  EXPECT_THAT(trail, Contains(HasSubstr("approval.request by user:")));
  EXPECT_EQ(std::count_if(trail.begin(), trail.end(),
                          [](const std::string& s) { return s.starts_with("approval.approve"); }),
            2);
  EXPECT_THAT(trail, Contains("price_change.release by system:price_changes"));
  EXPECT_EQ(trail.back(), "price_change.publish by system:price_publisher");
}

TEST_P(PriceGateTest, RejectedChangeNeverReachesStorefront) {
  auto c = Request("olivia@acme.test", "15.60");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(Decide("pam@acme.test", *c, true).ok());
  ASSERT_TRUE(Decide("pete@acme.test", *c, false, "below cost").ok());
  EXPECT_EQ(Publish().published, 0);
  EXPECT_EQ(StorefrontCents(), 2400);
  EXPECT_EQ(shop_->stats().price_updates, 0u);
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kRejected);
}

TEST_P(PriceGateTest, ChangeWithinThresholdGoesStraightThrough) {
  auto c = Request("olivia@acme.test", "21.60");  // -10%
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state, PriceChangeState::kReleased);
  EXPECT_EQ(Publish().published, 1);
  EXPECT_EQ(StorefrontCents(), 2160);
  auto trail = AuditTrail(*c);
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_THAT(trail[0], HasSubstr("price_change.request"));
  EXPECT_THAT(trail[1], HasSubstr("price_change.release"));
  EXPECT_EQ(trail[2], "price_change.publish by system:price_publisher");
}

TEST_P(PriceGateTest, LostAnswerAfterTheWriteIsSettledByReadingNotByWritingAgain) {
  auto c = Request("olivia@acme.test", "21.60");
  ASSERT_TRUE(c.ok());
  // The PUT is applied, then answered 500: the publisher cannot know it happened.
  shop_->QueueFault({.status = 500, .writes_only = true, .apply_first = true});
  PublishReport first = Publish();
  EXPECT_EQ(first.retrying, 1);
  EXPECT_EQ(StorefrontCents(), 2160);
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kReleased);
  EXPECT_EQ(Publish().retrying, 0);  // not due before its backoff
  clock_.Advance(std::chrono::seconds(3));
  PublishReport second = Publish();
  EXPECT_EQ(second.published, 1);
  EXPECT_EQ(second.already_applied, 1);
  EXPECT_EQ(shop_->stats().price_updates, 1u);  // written once
  EXPECT_EQ(Get(c->id).state, PriceChangeState::kPublished);
}

TEST_P(PriceGateTest, RetriesThrottlingAndOutagesAfterTheirWait) {
  auto c = Request("olivia@acme.test", "21.60");
  ASSERT_TRUE(c.ok());
  shop_->QueueFault({.status = 429});
  EXPECT_EQ(Publish().retrying, 1);
  clock_.Advance(std::chrono::seconds(3));
  shop_->QueueFault({.status = 503});
  EXPECT_EQ(Publish().retrying, 1);
  EXPECT_EQ(StorefrontCents(), 2400);
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Publish().published, 1);
  EXPECT_EQ(StorefrontCents(), 2160);
  EXPECT_TRUE(failures_.empty());
}

TEST_P(PriceGateTest, NeverOverwritesAPriceChangedOutsideGovflow) {
  auto c = Request("olivia@acme.test", "21.60");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(shop_->SetPrice(kBeanieNavy, 2500));  // someone edits it in the Shopify admin
  PublishReport r = Publish();
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(StorefrontCents(), 2500);
  PriceChange after = Get(c->id);
  EXPECT_EQ(after.state, PriceChangeState::kFailed);
  EXPECT_THAT(after.outcome, HasSubstr("25.00"));
  EXPECT_THAT(failures_, Contains(c->id + " conflict"));
  EXPECT_EQ(AuditTrail(*c).back(), "price_change.publish_failed by system:price_publisher");
}

TEST_P(PriceGateTest, RejectedTokenFailsForGoodWithoutRetrying) {
  PutShopConnection(kAcme, shop_->shop_url(), "shpat_wrong");
  auto c = Request("olivia@acme.test", "21.60");
  ASSERT_TRUE(c.ok());
  PublishReport r = Publish();
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(shop_->stats().unauthorized, 1u);
  EXPECT_THAT(failures_, Contains(c->id + " auth"));
  EXPECT_EQ(StorefrontCents(), 2400);
}

TEST_P(PriceGateTest, ExpiredClaimOfACrashedPublisherIsTakenOver) {
  auto c = Request("olivia@acme.test", "21.60");
  ASSERT_TRUE(c.ok());
  // A publisher that claimed the row and died before sending anything.
  InTxn([&](store::Txn& txn) -> Status {
    return txn.sql()
        .Execute(
            "UPDATE price_change_outbox SET state = 'in_flight', claimed_by = 'dead', "
            "claimed_until = ?, attempts = 1 WHERE change_id = ?",
            {std::chrono::duration_cast<std::chrono::microseconds>(
                 (clock_.Now() + std::chrono::minutes(2)).time_since_epoch())
                 .count(),
             c->id})
        .status();
  });
  EXPECT_EQ(Publish().published, 0);  // the claim is still live
  EXPECT_EQ(StorefrontCents(), 2400);
  clock_.Advance(std::chrono::minutes(3));
  EXPECT_EQ(Publish().published, 1);
  EXPECT_EQ(StorefrontCents(), 2160);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(PriceGateTest);

// ---- the Admin client against the simulator, and its outcome table ---------------------------

TEST(ShopifyAdminClientTest, ReadsUpdatesAndFindsVariantsOnTheSimulator) {
  sim::ShopifyAdminOptions options;
  options.access_token = "shpat_x";
  auto shop = sim::ShopifyAdminSimulator::Start(options);
  ASSERT_TRUE(shop.ok());
  auto http = connect::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  connect::shopify::AdminConfig config;
  config.shop_url = (*shop)->shop_url();
  config.access_token = "shpat_x";
  SystemClock clock;
  auto client = connect::shopify::AdminClient::Create(config, **http, clock);
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  std::promise<connect::CallResult<std::optional<connect::shopify::VariantPrice>>> found;
  (*client)->FindVariantBySku("BLKT-THR-SKY", [&](auto r) { found.set_value(std::move(r)); });
  auto f = found.get_future().get();
  ASSERT_TRUE(f.ok()) << f.failure().ToString();
  ASSERT_TRUE(f.value().has_value());
  EXPECT_EQ(f.value()->price, "74.00");
  const int64_t id = f.value()->variant_id;

  std::promise<connect::CallResult<connect::shopify::VariantPrice>> put;
  (*client)->UpdateVariantPrice({.variant_id = id, .price = "48.10", .compare_at_price = "74.00"},
                                "t/price_change/x", [&](auto r) { put.set_value(std::move(r)); });
  auto p = put.get_future().get();
  ASSERT_TRUE(p.ok()) << p.failure().ToString();
  EXPECT_EQ(p.value().price, "48.10");
  EXPECT_EQ(p.value().compare_at_price, "74.00");
  EXPECT_EQ((*shop)->Variant(id)->price_cents, 4810);
  ASSERT_TRUE((*client)->last_call_limit().has_value());
  EXPECT_EQ((*client)->last_call_limit()->limit, 40);

  std::promise<connect::CallResult<std::optional<connect::shopify::VariantPrice>>> missing;
  (*client)->FindVariantBySku("NO-SUCH-SKU", [&](auto r) { missing.set_value(std::move(r)); });
  auto m = missing.get_future().get();
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m.value().has_value());

  std::promise<connect::CallResult<connect::shopify::VariantPrice>> bad;
  (*client)->UpdateVariantPrice({.variant_id = 999, .price = "1.00"}, "",
                                [&](auto r) { bad.set_value(std::move(r)); });
  auto b = bad.get_future().get();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.failure().error_class, connect::ErrorClass::kNotFound);
  EXPECT_EQ(b.failure().message, "Not Found");
}

TEST(ShopifyAdminClientTest, RegisteredAsShopifyAdminWithValidatedConfig) {
  auto bad = connect::ValidateConnectorConfig(
      "shopify.admin", boost::json::parse(R"({"shop_url":"ftp://x","access_token":"t"})"));
  EXPECT_THAT(bad.message(), HasSubstr("'shop_url'"));
  auto no_token = connect::ValidateConnectorConfig(
      "shopify.admin", boost::json::parse(R"({"shop_url":"https://s.myshopify.com"})"));
  EXPECT_THAT(no_token.message(), HasSubstr("'access_token'"));
  auto version = connect::ValidateConnectorConfig(
      "shopify.admin",
      boost::json::parse(
          R"({"shop_url":"https://s.myshopify.com","access_token":"t","api_version":"v1"})"));
  EXPECT_THAT(version.message(), HasSubstr("'api_version'"));

  auto shop = sim::ShopifyAdminSimulator::Start({});
  ASSERT_TRUE(shop.ok());
  auto http = connect::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  SystemClock clock;
  connect::ConnectorContext context{http->get(), &clock};
  auto connector = connect::CreateConnector(
      "shopify.admin",
      boost::json::parse(R"({"shop_url":")" + (*shop)->shop_url() + R"(","access_token":"t"})"),
      context);
  ASSERT_TRUE(connector.ok()) << connector.status().ToString();
  connect::OutboundConnector* out = (*connector)->AsOutbound();
  ASSERT_NE(out, nullptr);
  std::promise<connect::CallResult<boost::json::value>> done;
  out->Call({"update_variant_price",
             boost::json::parse(R"({"variant_id":45300000000017,"price":"20.00"})"), "k"},
            [&](auto r) { done.set_value(std::move(r)); });
  auto r = done.get_future().get();
  ASSERT_TRUE(r.ok()) << r.failure().ToString();
  EXPECT_EQ(r.value().at("price").as_string(), "20.00");
  EXPECT_EQ((*shop)->Variant(45300000000017)->price_cents, 2000);
}

TEST(ShopifyAdminClassificationTest, FollowsTheTable) {
  using connect::ErrorClass;
  using connect::HttpResponse;
  using connect::shopify::AdminRequestKind;
  using connect::shopify::ClassifyAdminResponse;
  const TimePoint now{};
  HttpResponse r;
  r.status = 429;
  r.headers = {{"Retry-After", "2.0"}};
  r.body = R"({"errors":"Exceeded 2 calls per second for api client."})";
  auto f = ClassifyAdminResponse(r, AdminRequestKind::kWrite, now);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->error_class, ErrorClass::kThrottled);
  EXPECT_EQ(f->retry_after, std::chrono::milliseconds(2000));
  EXPECT_EQ(f->message, "Exceeded 2 calls per second for api client.");

  r = {};
  r.status = 422;
  r.body = R"({"errors":{"price":["must be greater than or equal to 0"]}})";
  f = ClassifyAdminResponse(r, AdminRequestKind::kWrite, now);
  EXPECT_EQ(f->error_class, ErrorClass::kValidation);
  EXPECT_EQ(f->message, "price: must be greater than or equal to 0");

  r = {};
  r.error = connect::TransportError::kTimeout;
  r.may_have_reached_server = true;
  EXPECT_EQ(ClassifyAdminResponse(r, AdminRequestKind::kWrite, now)->error_class,
            ErrorClass::kUnknown);
  EXPECT_EQ(ClassifyAdminResponse(r, AdminRequestKind::kRead, now)->error_class,
            ErrorClass::kTransient);
  r = {};
  r.status = 200;
  EXPECT_FALSE(ClassifyAdminResponse(r, AdminRequestKind::kRead, now).has_value());

  EXPECT_EQ(connect::shopify::ParseCallLimit("32/40")->used, 32);
  EXPECT_FALSE(connect::shopify::ParseCallLimit("32").has_value());
  EXPECT_FALSE(connect::shopify::ParseCallLimit("a/40").has_value());
}

}  // namespace
}  // namespace govflow::governance::testing
