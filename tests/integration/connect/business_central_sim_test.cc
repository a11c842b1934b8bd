// The Business Central connector against the ERP simulator (sim/erp_simulator.h) over loopback:
// OAuth2 token, deep-insert sales orders, lookup by externalDocumentNumber, BC-shaped errors,
// faults, and many creates in flight through the one-thread multi client.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <condition_variable>
#include <future>
#include <mutex>

#include "connect/erp/business_central/client.h"
#include "connect/http/curl_http_client.h"
#include "connect/registry.h"
#include "connect/settlement.h"
#include "sim/catalogue.h"
#include "sim/erp_simulator.h"

namespace govflow::connect::business_central {
namespace {

using std::chrono::milliseconds;

class BusinessCentralSimTest : public ::testing::Test {
 protected:
  void StartSim(const std::string& faults = "") {
    sim::ErpSimulatorOptions options;
    options.client_id = "govflow-app";
    options.client_secret = "s3cret";
    options.seed = 7;
    auto spec = sim::FaultSpec::Parse(faults);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    options.faults = *spec;
    auto s = sim::ErpSimulator::Start(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sim_ = std::move(*s);
    auto http = CurlHttpClient::Create();
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
  }

  std::unique_ptr<Client> MakeClient(const std::string& secret = "s3cret",
                                     milliseconds timeout = milliseconds(5000),
                                     size_t max_concurrent = 64) {
    Config c;
    c.base_url = sim_->base_url();
    c.company_id = sim::Catalogue::kCompanyId;
    c.client_id = "govflow-app";
    c.client_secret = secret;
    c.token_url = sim_->base_url() + "/token";
    c.request_timeout = timeout;
    c.max_concurrent_requests = max_concurrent;
    c.circuit_breaker.failure_threshold = 1000;
    auto client = Client::Create(c, *http_, SystemClock::Get());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  static boost::json::object Order(const std::string& key, const std::string& item_number,
                                   const std::string& customer_number) {
    boost::json::object line;
    line["lineType"] = "Item";
    line["lineObjectNumber"] = item_number;
    line["quantity"] = 2;
    boost::json::object order;
    order["externalDocumentNumber"] = key;
    order["customerNumber"] = customer_number;
    order["orderDate"] = "2025-01-02";
    order["salesOrderLines"] = boost::json::array{line, line};
    return order;
  }
  static const sim::CatalogueCustomer& ActiveCustomer() {
    const auto& cat = sim::Catalogue::Default();
    return cat.customers()[cat.active_customers().front()];
  }
  static const std::string& AnItem() { return sim::Catalogue::Default().items().front().number; }
  boost::json::object GoodOrder(const std::string& key) {
    return Order(key, AnItem(), ActiveCustomer().number);
  }

  CallResult<SalesOrderRef> CreateAndWait(Client& client, boost::json::object order) {
    std::promise<CallResult<SalesOrderRef>> p;
    client.CreateSalesOrder(std::move(order), "idem",
                            [&](CallResult<SalesOrderRef> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  CallResult<std::vector<SalesOrderRef>> FindAndWait(Client& client, const std::string& key) {
    std::promise<CallResult<std::vector<SalesOrderRef>>> p;
    client.FindSalesOrdersByExternalDocumentNumber(
        key, [&](CallResult<std::vector<SalesOrderRef>> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  // Declared first so it is destroyed last: in-flight callbacks end before the simulator goes.
  std::unique_ptr<sim::ErpSimulator> sim_;
  std::unique_ptr<CurlHttpClient> http_;
};

TEST_F(BusinessCentralSimTest, CreatesSalesOrderWithLinesAndFindsItByExternalDocumentNumber) {
  StartSim();
  auto client = MakeClient();
  auto created = CreateAndWait(*client, GoodOrder("SHOP-1001"));
  ASSERT_TRUE(created.ok()) << created.failure().ToString();
  EXPECT_FALSE(created.value().id.empty());
  EXPECT_FALSE(created.value().number.empty());
  EXPECT_EQ(created.value().external_document_number, "SHOP-1001");
  EXPECT_EQ(sim_->CountSalesOrders("SHOP-1001"), 1);
  EXPECT_EQ(sim_->stats().sales_order_lines, 2u);

  auto found = FindAndWait(*client, "SHOP-1001");
  ASSERT_TRUE(found.ok()) << found.failure().ToString();
  ASSERT_EQ(found.value().size(), 1u);
  EXPECT_EQ(found.value()[0].id, created.value().id);
  EXPECT_EQ(found.value()[0].number, created.value().number);

  auto none = FindAndWait(*client, "SHOP-9999");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
  EXPECT_EQ(client->token_fetches(), 1u);
}

TEST_F(BusinessCentralSimTest, FindsKeysWithQuotesAndSpaces) {
  StartSim();
  auto client = MakeClient();
  const std::string key = "O'Brien #7 & co";
  ASSERT_TRUE(CreateAndWait(*client, GoodOrder(key)).ok());
  auto found = FindAndWait(*client, key);
  ASSERT_TRUE(found.ok()) << found.failure().ToString();
  ASSERT_EQ(found.value().size(), 1u);
  EXPECT_EQ(found.value()[0].external_document_number, key);
}

TEST_F(BusinessCentralSimTest, BadSecretIsAnAuthFailureAndCreatesNothing) {
  StartSim();
  auto client = MakeClient("wrong-secret");
  auto r = CreateAndWait(*client, GoodOrder("SHOP-1002"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().error_class, ErrorClass::kAuth);
  EXPECT_EQ(r.failure().http_status, 401);
  EXPECT_EQ(sim_->stats().sales_orders, 0u);
}

TEST_F(BusinessCentralSimTest, UnknownItemAndBlockedCustomerAreMasterData) {
  StartSim();
  auto client = MakeClient();
  auto unknown =
      CreateAndWait(*client, Order("SHOP-1003", "NO-SUCH-ITEM", ActiveCustomer().number));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.failure().error_class, ErrorClass::kMasterData) << unknown.failure().ToString();
  const auto& cat = sim::Catalogue::Default();
  ASSERT_FALSE(cat.blocked_customers().empty());
  const auto& blocked = cat.customers()[cat.blocked_customers().front()];
  auto b = CreateAndWait(*client, Order("SHOP-1004", AnItem(), blocked.number));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.failure().error_class, ErrorClass::kMasterData) << b.failure().ToString();
  EXPECT_EQ(sim_->stats().sales_orders, 0u);
}

TEST_F(BusinessCentralSimTest, ThrottlingCarriesRetryAfter) {
  StartSim("throttle=1,retry_after=2");
  auto client = MakeClient();
  auto r = CreateAndWait(*client, GoodOrder("SHOP-1005"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().error_class, ErrorClass::kThrottled) << r.failure().ToString();
  EXPECT_EQ(r.failure().retry_after, milliseconds(2000));
}

// The effectively-once protocol end to end: a create whose answer is lost is "unknown"; after
// in-flight requests are waited out, the lookup finds the order, so it is not created again.
TEST_F(BusinessCentralSimTest, UnknownOutcomeIsSettledByLookupWithoutADuplicate) {
  StartSim("timeout=0.5,timeout_after_create=1,timeout_hold=20ms");
  auto client = MakeClient("s3cret", milliseconds(2000));
  std::string key;
  for (int i = 0; i < 40 && key.empty(); ++i) {
    const std::string k = "SHOP-U" + std::to_string(i);
    auto r = CreateAndWait(*client, GoodOrder(k));
    if (!r.ok() && r.failure().error_class == ErrorClass::kUnknown) key = k;
  }
  ASSERT_FALSE(key.empty()) << "no create had an unknown outcome";
  // Lookups are reads: a timeout there is transient, so retry until one answers.
  std::optional<std::vector<SalesOrderRef>> found;
  for (int i = 0; i < 40 && !found; ++i) {
    auto f = FindAndWait(*client, key);
    if (f.ok()) found = f.value();
  }
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->size(), 1u) << "the lost create did happen; the lookup must see it";
  EXPECT_EQ(sim_->CountSalesOrders(key), 1);
  EXPECT_EQ(sim_->stats().duplicate_external_document_numbers, 0u);
}

// The same protocol through what the engine uses: the registry's connector, the generic Call and
// SettleUnknownOutcome.
TEST_F(BusinessCentralSimTest, RegistryConnectorSettlesUnknownOutcomeGenerically) {
  StartSim("timeout=0.5,timeout_after_create=1,timeout_hold=20ms");
  boost::json::object config;
  config["base_url"] = sim_->base_url();
  config["token_url"] = sim_->base_url() + "/token";
  config["company_id"] = sim::Catalogue::kCompanyId;
  config["client_id"] = "govflow-app";
  config["client_secret"] = "s3cret";
  config["request_timeout_ms"] = 2000;
  config["circuit_failure_threshold"] = 1000;
  auto created = CreateConnector("erp.business_central", config,
                                 ConnectorContext{http_.get(), &SystemClock::Get()});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  OutboundConnector& erp = *(*created)->AsOutbound();

  auto call = [&](ConnectorCall c) {
    std::promise<CallResult<boost::json::value>> p;
    erp.Call(std::move(c), [&](CallResult<boost::json::value> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  std::optional<ConnectorCall> unknown;
  for (int i = 0; i < 40 && !unknown; ++i) {
    ConnectorCall c{"create_sales_order",
                    boost::json::value(GoodOrder("SHOP-G" + std::to_string(i))), "idem"};
    auto r = call(c);
    if (!r.ok() && r.failure().error_class == ErrorClass::kUnknown) unknown = c;
  }
  ASSERT_TRUE(unknown.has_value()) << "no create had an unknown outcome";
  std::optional<Settlement> settled;
  for (int i = 0; i < 40 && !settled; ++i) {
    std::promise<CallResult<Settlement>> p;
    SettleUnknownOutcome(erp, *unknown,
                         [&](CallResult<Settlement> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (r.ok()) settled = r.value();
  }
  ASSERT_TRUE(settled.has_value());
  EXPECT_TRUE(settled->already_applied);
  EXPECT_EQ(settled->matches, 1);
  const std::string key(unknown->payload.at("externalDocumentNumber").as_string());
  EXPECT_EQ(settled->record.at("externalDocumentNumber").as_string(), key);
  EXPECT_EQ(sim_->CountSalesOrders(key), 1);
}

TEST_F(BusinessCentralSimTest, TwoHundredConcurrentCreatesThroughTheMultiClient) {
  StartSim();
  auto client = MakeClient("s3cret", milliseconds(10'000), /*max_concurrent=*/200);
  constexpr int kOrders = 200;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, ok = 0;
  std::string first_error;
  for (int i = 0; i < kOrders; ++i) {
    client->CreateSalesOrder(GoodOrder("SHOP-C" + std::to_string(i)), "idem-" + std::to_string(i),
                             [&](CallResult<SalesOrderRef> r) {
                               std::lock_guard lock(mu);
                               ++done;
                               if (r.ok()) {
                                 ++ok;
                               } else if (first_error.empty()) {
                                 first_error = r.failure().ToString();
                               }
                               cv.notify_all();
                             });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == kOrders; }));
  EXPECT_EQ(ok, kOrders) << first_error;
  const auto stats = sim_->stats();
  EXPECT_EQ(stats.sales_orders, static_cast<uint64_t>(kOrders));
  EXPECT_EQ(stats.distinct_external_document_numbers, static_cast<uint64_t>(kOrders));
  EXPECT_EQ(stats.duplicate_external_document_numbers, 0u);
  EXPECT_EQ(client->token_fetches(), 1u);
}

}  // namespace
}  // namespace govflow::connect::business_central
