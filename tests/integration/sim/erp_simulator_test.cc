#include "sim/erp_simulator.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/sim/http_test_util.h"
#include "sim/catalogue.h"

namespace govflow::sim {
namespace {
namespace json = boost::json;
using testing::FetchToken;
using testing::HttpCall;
using testing::HttpResult;

std::unique_ptr<ErpSimulator> StartErp(const std::string& faults = "", uint64_t seed = 1) {
  ErpSimulatorOptions options;
  auto spec = FaultSpec::Parse(faults);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  options.faults = *spec;
  options.seed = seed;
  auto sim = ErpSimulator::Start(options);
  EXPECT_TRUE(sim.ok()) << sim.status().ToString();
  return std::move(sim).value();
}

const CatalogueCustomer& ActiveCustomer() {
  const Catalogue& c = Catalogue::Default();
  return c.customers()[c.active_customers().front()];
}
const CatalogueCustomer& BlockedCustomer() {
  const Catalogue& c = Catalogue::Default();
  return c.customers()[c.blocked_customers().front()];
}

std::string OrderBody(const std::string& key, const std::string& customer_number,
                      const std::string& sku, double quantity = 2) {
  json::object line{{"lineType", "Item"}, {"lineObjectNumber", sku}, {"quantity", quantity}};
  json::object order{{"externalDocumentNumber", key},
                     {"customerNumber", customer_number},
                     {"orderDate", "2026-07-01"},
                     {"salesOrderLines", json::array{line}}};
  return json::serialize(order);
}

class ErpSimulatorTest : public ::testing::Test {
 protected:
  void Start(const std::string& faults = "", uint64_t seed = 1) {
    sim_ = StartErp(faults, seed);
    token_ = FetchToken(sim_->base_url());
    ASSERT_FALSE(token_.empty());
  }
  HttpResult Post(const std::string& body, const std::string& path = "/salesOrders",
                  long timeout_ms = 5000) {
    return HttpCall("POST", sim_->company_url() + path, body,
                    {"Authorization: Bearer " + token_, "Content-Type: application/json"},
                    timeout_ms);
  }
  HttpResult Get(const std::string& path) {
    return HttpCall("GET", sim_->company_url() + path, "", {"Authorization: Bearer " + token_});
  }
  static json::object Json(const HttpResult& r) {
    json::error_code ec;
    json::value v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
    return v.is_object() ? v.as_object() : json::object{};
  }
  std::string sku_ = Catalogue::Default().items().front().number;
  std::unique_ptr<ErpSimulator> sim_;
  std::string token_;
};

TEST_F(ErpSimulatorTest, AnswersWithoutBearerTokenWith401AndBcErrorBody) {
  Start();
  HttpResult r = HttpCall("GET", sim_->company_url() + "/salesOrders");
  EXPECT_EQ(r.status, 401);
  json::object body = Json(r);
  EXPECT_EQ(body.at("error").at("code").as_string(), "Authentication_InvalidCredentials");
  EXPECT_EQ(r.headers.count("www-authenticate"), 1u);
  HttpResult forged = HttpCall("GET", sim_->company_url() + "/salesOrders", "",
                               {"Authorization: Bearer not-a-token"});
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(sim_->stats().unauthorized, 2u);
}

TEST_F(ErpSimulatorTest, IssuesClientCredentialsTokensOnBothTokenPaths) {
  Start();
  HttpResult r = HttpCall("POST", sim_->base_url() + "/contoso-tenant/oauth2/v2.0/token",
                          "grant_type=client_credentials&client_id=a&client_secret=b&scope="
                          "https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object body = Json(r);
  EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
  EXPECT_GT(body.at("expires_in").as_int64(), 0);
  std::string token(body.at("access_token").as_string());
  HttpResult ok = HttpCall("GET", sim_->company_url() + "/items?$top=1", "",
                           {"Authorization: Bearer " + token});
  EXPECT_EQ(ok.status, 200);
  HttpResult bad_grant = HttpCall("POST", sim_->base_url() + "/token",
                                  "grant_type=password&client_id=a&client_secret=b");
  EXPECT_EQ(bad_grant.status, 400);
  EXPECT_EQ(Json(bad_grant).at("error").as_string(), "unsupported_grant_type");
}

TEST_F(ErpSimulatorTest, CreatesSalesOrderAndListsItByExternalDocumentNumber) {
  Start();
  HttpResult created = Post(OrderBody("#1001", ActiveCustomer().number, sku_, 3));
  ASSERT_EQ(created.status, 201) << created.body;
  json::object order = Json(created);
  EXPECT_EQ(order.at("externalDocumentNumber").as_string(), "#1001");
  EXPECT_EQ(order.at("customerNumber").as_string(), ActiveCustomer().number);
  EXPECT_EQ(order.at("status").as_string(), "Draft");
  EXPECT_TRUE(order.contains("@odata.context"));
  EXPECT_TRUE(order.contains("@odata.etag"));
  EXPECT_EQ(order.at("salesOrderLines").as_array().size(), 1u);
  const json::object& line = order.at("salesOrderLines").as_array()[0].as_object();
  EXPECT_EQ(line.at("lineObjectNumber").as_string(), sku_);
  EXPECT_DOUBLE_EQ(line.at("quantity").to_number<double>(), 3.0);
  EXPECT_DOUBLE_EQ(line.at("unitPrice").to_number<double>(),
                   Catalogue::Default().items().front().price_cents / 100.0);
  EXPECT_EQ(created.headers.count("etag"), 1u);
  EXPECT_EQ(created.headers.count("location"), 1u);

  ASSERT_EQ(Post(OrderBody("#1002", ActiveCustomer().number, sku_)).status, 201);
  // %23 is '#', %20 a space; '' inside the literal is a quote.
  HttpResult list = Get("/salesOrders?$filter=externalDocumentNumber%20eq%20'%231001'");
  ASSERT_EQ(list.status, 200) << list.body;
  json::object listed = Json(list);
  EXPECT_NE(std::string(listed.at("@odata.context").as_string()).find("/salesOrders"),
            std::string::npos);
  ASSERT_EQ(listed.at("value").as_array().size(), 1u);
  EXPECT_EQ(listed.at("value").as_array()[0].at("id"), order.at("id"));
  EXPECT_EQ(Json(Get("/salesOrders?$filter=externalDocumentNumber%20eq%20'nope'"))
                .at("value")
                .as_array()
                .size(),
            0u);

  std::string id(order.at("id").as_string());
  HttpResult by_id = Get("/salesOrders(" + id + ")");
  ASSERT_EQ(by_id.status, 200);
  EXPECT_EQ(Json(by_id).at("number"), order.at("number"));
  HttpResult lines = Get("/salesOrders(" + id + ")/salesOrderLines");
  ASSERT_EQ(lines.status, 200);
  EXPECT_EQ(Json(lines).at("value").as_array().size(), 1u);
  EXPECT_EQ(Get("/salesOrders(00000000-0000-0000-0000-000000000001)").status, 404);
}

TEST_F(ErpSimulatorTest, PostingSameExternalDocumentNumberTwiceCreatesTwoOrders) {
  Start();
  ASSERT_EQ(Post(OrderBody("#2001", ActiveCustomer().number, sku_)).status, 201);
  ASSERT_EQ(Post(OrderBody("#2001", ActiveCustomer().number, sku_)).status, 201);
  ASSERT_EQ(Post(OrderBody("#2002", ActiveCustomer().number, sku_)).status, 201);
  EXPECT_EQ(sim_->CountSalesOrders("#2001"), 2);
  EXPECT_EQ(sim_->CountSalesOrders("#2002"), 1);
  ErpStats stats = sim_->stats();
  EXPECT_EQ(stats.sales_orders, 3u);
  EXPECT_EQ(stats.duplicate_external_document_numbers, 1u);
  EXPECT_EQ(stats.duplicate_examples, std::vector<std::string>{"#2001"});
  EXPECT_EQ(Json(Get("/salesOrders?$filter=externalDocumentNumber%20eq%20'%232001'"))
                .at("value")
                .as_array()
                .size(),
            2u);

  HttpResult served = HttpCall("GET", sim_->base_url() + "/_sim/stats");
  ASSERT_EQ(served.status, 200);
  json::object s = Json(served);
  EXPECT_EQ(s.at("salesOrders").as_int64(), 3);
  EXPECT_EQ(s.at("duplicateExternalDocumentNumbers").as_int64(), 1);
  EXPECT_TRUE(s.at("faults").is_object());
}

TEST_F(ErpSimulatorTest, RejectsUnknownItemBlockedCustomerAndMissingFieldsLikeBc) {
  Start();
  HttpResult unknown = Post(OrderBody("#3001", ActiveCustomer().number, "NO-SUCH-SKU"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Json(unknown).at("error").at("code").as_string(), "Internal_InvalidTableRelation");
  EXPECT_NE(unknown.body.find("NO-SUCH-SKU"), std::string::npos);

  HttpResult blocked = Post(OrderBody("#3002", BlockedCustomer().number, sku_));
  EXPECT_EQ(blocked.status, 400);
  EXPECT_EQ(Json(blocked).at("error").at("code").as_string(),
            "Application_FieldValidationException");

  HttpResult no_customer = Post("{\"externalDocumentNumber\":\"#3003\"}");
  EXPECT_EQ(no_customer.status, 400);
  EXPECT_NE(no_customer.body.find("A customerNumber or a customerID must be provided"),
            std::string::npos);

  HttpResult bad_property =
      Post("{\"customerNumber\":\"" + ActiveCustomer().number + "\",\"shopifyId\":1}");
  EXPECT_EQ(bad_property.status, 400);
  EXPECT_NE(bad_property.body.find("'shopifyId' does not exist"), std::string::npos);

  // Money as a JSON string is refused unless the client declares IEEE754Compatible.
  std::string string_price = "{\"customerNumber\":\"" + ActiveCustomer().number +
                             "\",\"salesOrderLines\":[{\"lineObjectNumber\":\"" + sku_ +
                             "\",\"quantity\":1,\"unitPrice\":\"9.99\"}]}";
  EXPECT_EQ(Post(string_price).status, 400);

  EXPECT_EQ(Post("not json").status, 400);
  ErpStats stats = sim_->stats();
  EXPECT_EQ(stats.sales_orders, 0u);
  EXPECT_EQ(stats.unknown_item, 1u);
  EXPECT_EQ(stats.blocked_customer, 1u);
  EXPECT_EQ(stats.missing_field, 1u);
  EXPECT_EQ(stats.validation_errors, 6u);
}

TEST_F(ErpSimulatorTest, AddedItemMakesAFailedOrderPostable) {
  Start();
  ASSERT_EQ(Post(OrderBody("#3101", ActiveCustomer().number, "NEW-SKU-1")).status, 400);
  HttpResult item =
      Post("{\"number\":\"NEW-SKU-1\",\"displayName\":\"New\",\"unitPrice\":5}", "/items");
  ASSERT_EQ(item.status, 201) << item.body;
  EXPECT_EQ(Post(OrderBody("#3101", ActiveCustomer().number, "NEW-SKU-1")).status, 201);
}

TEST_F(ErpSimulatorTest, FindsCustomersByEmailAndItemsByNumber) {
  Start();
  HttpResult c = Get("/customers?$filter=email%20eq%20'" + ActiveCustomer().email + "'");
  ASSERT_EQ(c.status, 200);
  ASSERT_EQ(Json(c).at("value").as_array().size(), 1u);
  EXPECT_EQ(Json(c).at("value").as_array()[0].at("number").as_string(), ActiveCustomer().number);
  HttpResult i = Get("/items?$filter=number%20eq%20'" + sku_ + "'");
  ASSERT_EQ(i.status, 200);
  EXPECT_EQ(Json(i).at("value").as_array().size(), 1u);
  EXPECT_EQ(Get("/items?$filter=colour%20eq%20'red'").status, 400);
}

std::vector<long> StatusSequence(uint64_t seed) {
  auto sim = StartErp("error=0.2,throttle=0.1,throttle_burst=3", seed);
  std::string token = FetchToken(sim->base_url());
  std::vector<long> statuses;
  for (int i = 0; i < 60; ++i) {
    statuses.push_back(HttpCall("GET", sim->company_url() + "/items?$top=1", "",
                                {"Authorization: Bearer " + token})
                           .status);
  }
  return statuses;
}

TEST(ErpSimulatorFaultTest, FaultSequenceIsReproducibleForASeed) {
  std::vector<long> a = StatusSequence(7);
  std::vector<long> b = StatusSequence(7);
  std::vector<long> c = StatusSequence(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  int faults = 0;
  for (long s : a) faults += s != 200;
  EXPECT_GT(faults, 5);
  for (long s : a) EXPECT_TRUE(s == 200 || s == 429 || s == 500 || s == 503 || s == 504) << s;
}

TEST(ErpSimulatorFaultTest, ThrottleAnswers429WithRetryAfterAndBcBody) {
  auto sim = StartErp("throttle=1,retry_after=2");
  std::string token = FetchToken(sim->base_url());
  HttpResult r =
      HttpCall("GET", sim->company_url() + "/items", "", {"Authorization: Bearer " + token});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["retry-after"], "2");
  EXPECT_NE(r.body.find("\"code\":\"Application_TooManyRequests\""), std::string::npos);
  EXPECT_EQ(sim->stats().throttled, 1u);
}

// Business Central throttles in a time window: a client that waits out Retry-After is served
// again, even if the burst had more 429s to give. (Counting the burst in requests made the last
// order of a test, retrying alone, absorb a whole burst over minutes of backoff.)
TEST(ErpSimulatorFaultTest, ThrottleBurstEndsWhenRetryAfterHasPassed) {
  auto sim = StartErp("throttle=0.05,throttle_burst=1000,retry_after=1", 5);
  std::string token = FetchToken(sim->base_url());
  auto get = [&] {
    return HttpCall("GET", sim->company_url() + "/items?$top=1", "",
                    {"Authorization: Bearer " + token})
        .status;
  };
  int first_429 = -1;
  for (int i = 0; i < 500 && first_429 < 0; ++i) {
    if (get() == 429) first_429 = i;
  }
  ASSERT_GE(first_429, 0) << "no burst began in 500 requests";
  EXPECT_EQ(get(), 429) << "within Retry-After the burst goes on";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(get(), 200) << "after Retry-After the burst is over";
  EXPECT_EQ(sim->stats().throttle_bursts, 1u);
}

TEST(ErpSimulatorFaultTest, ServerErrorsCarryBcErrorBodies) {
  auto sim = StartErp("error=1");
  std::string token = FetchToken(sim->base_url());
  for (int i = 0; i < 20; ++i) {
    HttpResult r =
        HttpCall("GET", sim->company_url() + "/items", "", {"Authorization: Bearer " + token});
    EXPECT_TRUE(r.status == 500 || r.status == 503 || r.status == 504) << r.status;
    json::value v = json::parse(r.body);
    EXPECT_TRUE(v.at("error").at("code").is_string());
    EXPECT_TRUE(v.at("error").at("message").is_string());
  }
  ErpStats s = sim->stats();
  EXPECT_EQ(s.error_500 + s.error_503 + s.error_504, 20u);
  EXPECT_EQ(s.sales_orders, 0u);
}

TEST(ErpSimulatorFaultTest, TimeoutAfterCreateLeavesTheOrderBehindWithoutAnAnswer) {
  auto sim = StartErp("timeout=1,timeout_after_create=1,timeout_hold=300ms");
  std::string token = FetchToken(sim->base_url());
  HttpResult r =
      HttpCall("POST", sim->company_url() + "/salesOrders",
               OrderBody("#4001", ActiveCustomer().number, Catalogue::Default().items()[3].number),
               {"Authorization: Bearer " + token, "Content-Type: application/json"}, 5000);
  EXPECT_EQ(r.status, 0) << "the caller must not learn the outcome";
  EXPECT_GE(r.seconds, 0.25);
  EXPECT_EQ(sim->CountSalesOrders("#4001"), 1);
  ErpStats s = sim->stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.timeouts_after_create, 1u);
}

TEST(ErpSimulatorFaultTest, TimeoutBeforeCreateLeavesNothing) {
  auto sim = StartErp("timeout=1,timeout_after_create=0,timeout_hold=100ms");
  std::string token = FetchToken(sim->base_url());
  HttpResult r =
      HttpCall("POST", sim->company_url() + "/salesOrders",
               OrderBody("#4002", ActiveCustomer().number, Catalogue::Default().items()[3].number),
               {"Authorization: Bearer " + token, "Content-Type: application/json"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(sim->CountSalesOrders("#4002"), 0);
  EXPECT_EQ(sim->stats().timeouts_after_create, 0u);
}

TEST(ErpSimulatorFaultTest, LatencyDelaysEveryApiAnswer) {
  auto sim = StartErp("latency=60ms..80ms");
  std::string token = FetchToken(sim->base_url());
  HttpResult r =
      HttpCall("GET", sim->company_url() + "/items?$top=1", "", {"Authorization: Bearer " + token});
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(r.seconds, 0.055);
  EXPECT_EQ(sim->stats().delayed, 1u);
}

TEST(ErpSimulatorFaultTest, DataFaultsFollowTheBusinessKeyAcrossRetries) {
  auto sim = StartErp("unknown_item=0.5", 3);
  std::string token = FetchToken(sim->base_url());
  std::string sku = Catalogue::Default().items()[5].number;
  int rejected = 0;
  for (int i = 0; i < 40; ++i) {
    std::string key = "#K" + std::to_string(i);
    std::vector<long> statuses;
    for (int attempt = 0; attempt < 2; ++attempt) {
      statuses.push_back(
          HttpCall("POST", sim->company_url() + "/salesOrders",
                   OrderBody(key, ActiveCustomer().number, sku),
                   {"Authorization: Bearer " + token, "Content-Type: application/json"})
              .status);
    }
    EXPECT_EQ(statuses[0], statuses[1]) << key;
    rejected += statuses[0] == 400;
  }
  EXPECT_GT(rejected, 5);
  EXPECT_LT(rejected, 35);
  EXPECT_EQ(sim->stats().injected_unknown_item, static_cast<uint64_t>(rejected) * 2);
}

TEST(ErpSimulatorFaultTest, ResetForgetsOrdersAndRestartsTheFaultSequence) {
  auto sim = StartErp("error=0.3", 11);
  std::string token = FetchToken(sim->base_url());
  auto run = [&] {
    std::vector<long> statuses;
    for (int i = 0; i < 20; ++i) {
      statuses.push_back(
          HttpCall("POST", sim->company_url() + "/salesOrders",
                   OrderBody("#R" + std::to_string(i), ActiveCustomer().number,
                             Catalogue::Default().items()[0].number),
                   {"Authorization: Bearer " + token, "Content-Type: application/json"})
              .status);
    }
    return statuses;
  };
  std::vector<long> first = run();
  EXPECT_GT(sim->stats().sales_orders, 0u);
  ASSERT_EQ(HttpCall("POST", sim->base_url() + "/_sim/reset").status, 200);
  EXPECT_EQ(sim->stats().sales_orders, 0u);
  EXPECT_EQ(run(), first);
}

TEST(ErpSimulatorStartTest, RefusesNonLoopbackListenAddress) {
  ErpSimulatorOptions options;
  options.host = "0.0.0.0";
  EXPECT_FALSE(ErpSimulator::Start(options).ok());
}

}  // namespace
}  // namespace govflow::sim

namespace govflow::sim {
namespace {

TEST(ErpSimulatorHttpTest, AnswersExpect100ContinueWithoutMakingTheClientWait) {
  auto sim = StartErp();
  std::string token = FetchToken(sim->base_url());
  std::string body =
      OrderBody("#5001", ActiveCustomer().number, Catalogue::Default().items()[1].number);
  body.insert(1, "\"shipToContact\":\"" + std::string(3000, 'x') + "\",");
  HttpResult r = HttpCall(
      "POST", sim->company_url() + "/salesOrders", body,
      {"Authorization: Bearer " + token, "Content-Type: application/json", "Expect: 100-continue"});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_LT(r.seconds, 0.5) << "the client waited for 100 Continue";
}

}  // namespace
}  // namespace govflow::sim

namespace govflow::sim {
namespace {

TEST(ErpSimulatorHttpTest, StopClosesHeldConnectionsAtOnceAndKeepsStatsReadable) {
  auto sim = StartErp("timeout=1,timeout_after_create=1,timeout_hold=30s");
  std::string token = FetchToken(sim->base_url());
  HttpResult held;
  std::thread client([&] {
    held = HttpCall(
        "POST", sim->company_url() + "/salesOrders",
        OrderBody("#6001", ActiveCustomer().number, Catalogue::Default().items()[2].number),
        {"Authorization: Bearer " + token, "Content-Type: application/json"}, 20000);
  });
  while (sim->stats().timeouts == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  sim->Stop();
  client.join();
  EXPECT_EQ(held.status, 0);
  EXPECT_LT(held.seconds, 5.0);
  EXPECT_EQ(sim->CountSalesOrders("#6001"), 1);
  EXPECT_EQ(HttpCall("GET", sim->base_url() + "/_sim/stats", "", {}, 1000).status, 0);
}

}  // namespace
}  // namespace govflow::sim
