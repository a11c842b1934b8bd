#include "sim/shopify_sender.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "integration/sim/http_test_util.h"
#include "sim/erp_simulator.h"
#include "sim/shopify_order.h"

namespace govflow::sim {
namespace {
using testing::ReceivedRequest;
using testing::TinyReceiver;

ShopifySenderOptions Options(int port, uint64_t orders) {
  ShopifySenderOptions o;
  o.target_url = "http://127.0.0.1:" + std::to_string(port) + "/hooks/acme/shop";
  o.secret = "hush";
  o.orders = orders;
  o.concurrency = 4;
  o.backoff_initial = std::chrono::milliseconds(5);
  o.backoff_max = std::chrono::milliseconds(20);
  return o;
}

TEST(ShopifySenderTest, SendsDistinctSignedOrdersAndReportsSentAndAcked) {
  TinyReceiver receiver;
  auto report = SendShopifyOrders(Options(receiver.port(), 50));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->Summary(), "sent=50 acked=50");
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 50u);
  std::set<std::string> webhook_ids, order_ids;
  for (const ReceivedRequest& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hooks/acme/shop");
    EXPECT_EQ(r.headers.at("x-shopify-topic"), "orders/create");
    EXPECT_EQ(r.headers.at("x-shopify-hmac-sha256"), ShopifyHmacBase64("hush", r.body));
    EXPECT_EQ(r.headers.at("x-shopify-shop-domain"), "govflow-demo.myshopify.com");
    EXPECT_EQ(r.headers.at("x-shopify-api-version"), "2026-07");
    EXPECT_FALSE(r.headers.at("x-shopify-triggered-at").empty());
    EXPECT_FALSE(r.headers.at("x-shopify-event-id").empty());
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    webhook_ids.insert(r.headers.at("x-shopify-webhook-id"));
    order_ids.insert(std::to_string(boost::json::parse(r.body).at("id").as_int64()));
  }
  EXPECT_EQ(webhook_ids.size(), 50u);
  EXPECT_EQ(order_ids.size(), 50u);
}

TEST(ShopifySenderTest, RetriesNon2xxWithTheSameWebhookIdUntilAcknowledged) {
  std::mutex mu;
  std::map<std::string, int> seen;
  TinyReceiver receiver([&](const ReceivedRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    return ++seen[r.headers.at("x-shopify-webhook-id")] < 3 ? 503 : 200;
  });
  auto report = SendShopifyOrders(Options(receiver.port(), 10));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Summary(), "sent=10 acked=10");
  EXPECT_EQ(report->retries, 20u);
  EXPECT_EQ(report->non_2xx, 20u);
  EXPECT_EQ(receiver.requests().size(), 30u);
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 3) << id;
}

TEST(ShopifySenderTest, GivesUpAfterMaxAttemptsAndDoesNotCountThoseAsAcked) {
  TinyReceiver receiver([](const ReceivedRequest&) { return 500; });
  ShopifySenderOptions o = Options(receiver.port(), 4);
  o.max_attempts = 3;
  auto report = SendShopifyOrders(o);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Summary(), "sent=4 acked=0");
  EXPECT_EQ(report->failed, 4u);
  EXPECT_EQ(receiver.requests().size(), 12u);
}

TEST(ShopifySenderTest, RedeliversAcknowledgedOrdersWithTheSameWebhookIdAndBody) {
  TinyReceiver receiver;
  ShopifySenderOptions o = Options(receiver.port(), 20);
  o.redeliver = 1.0;
  auto report = SendShopifyOrders(o);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Summary(), "sent=20 acked=20");
  EXPECT_EQ(report->redeliveries, 20u);
  std::map<std::string, std::set<std::string>> bodies;
  for (const ReceivedRequest& r : receiver.requests()) {
    bodies[r.headers.at("x-shopify-webhook-id")].insert(r.body);
  }
  EXPECT_EQ(receiver.requests().size(), 40u);
  EXPECT_EQ(bodies.size(), 20u);
  for (const auto& [id, b] : bodies) EXPECT_EQ(b.size(), 1u) << id;
}

TEST(ShopifySenderTest, PacesNewOrdersAtTheRequestedRate) {
  TinyReceiver receiver;
  ShopifySenderOptions o = Options(receiver.port(), 20);
  o.rate_per_second = 100;
  auto report = SendShopifyOrders(o);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->acked, 20u);
  EXPECT_GE(report->elapsed_seconds, 0.18);
}

TEST(ShopifySenderTest, RetriesWhenTheReceiverIsDown) {
  int port = 0;
  {
    TinyReceiver gone;
    port = gone.port();
  }
  ShopifySenderOptions o = Options(port, 2);
  o.max_attempts = 2;
  auto report = SendShopifyOrders(o);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Summary(), "sent=2 acked=0");
  EXPECT_EQ(report->connection_errors, 4u);
}

TEST(ShopifySenderTest, RefusesNonLoopbackTargetsAndEmptySecret) {
  ShopifySenderOptions o = Options(80, 1);
  o.target_url = "http://192.168.1.10/hooks/acme/shop";
  EXPECT_FALSE(ShopifySender::Start(o).ok());
  o = Options(80, 1);
  o.secret = "";
  EXPECT_FALSE(ShopifySender::Start(o).ok());
}

TEST(ShopifySenderTest, CancelStopsASlowRun) {
  TinyReceiver receiver;
  ShopifySenderOptions o = Options(receiver.port(), 100000);
  o.rate_per_second = 50;
  auto sender = ShopifySender::Start(o);
  ASSERT_TRUE(sender.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*sender)->Cancel();
  ShopifySendReport report = (*sender)->Wait();
  EXPECT_TRUE(report.cancelled);
  EXPECT_LT(report.sent, 100u);
}

}  // namespace
}  // namespace govflow::sim
