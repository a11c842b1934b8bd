// Orders end to end over loopback: signed Shopify deliveries -> ingestion -> runtime -> the
// Business Central connector (libcurl multi) -> the in-process ERP simulator injecting errors,
// throttling, timeouts (some after the sales order was created) and master-data faults. Every
// order must end in the ERP exactly once or in an open exception with its reason; the simulator
// must count no duplicate externalDocumentNumber. Once straight through, once with the runtime
// destroyed abruptly mid-flight (no graceful stop) and a new one started on the reopened store.
// On SQLite, and on a throwaway PostgreSQL server when its binaries are installed.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <thread>

#include "connect/erp/business_central/client.h"
#include "connect/http/curl_http_client.h"
#include "connect/shopify/webhook_verifier.h"
#include "integration/store/postgres_server.h"
#include "sim/catalogue.h"
#include "sim/erp_simulator.h"
#include "store/store.h"
#include "workflow/runtime/catalog.h"
#include "workflow/runtime/runtime.h"

namespace govflow::workflow::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace json = boost::json;

[[maybe_unused]] ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new govflow::testing::PostgresEnvironment);

constexpr char kSecret[] = "integration-secret";

constexpr char kWorkflow[] = R"(apiVersion: govflow/v1
kind: Workflow
metadata:
  name: order-to-erp
trigger:
  connection: shop
  topic: orders/create
steps:
  - name: check
    kind: validate
    rules:
      - name: has_lines
        condition: has(event.lines) && size(event.lines) > 0
        message: "order {{ event.name }} has no lines"
  - name: build
    kind: map
    output: sales_order
    fields:
      externalDocumentNumber: event.name
      customerNumber: event.customer
      orderDate: "'2026-11-28'"
      salesOrderLines: event.lines
  - name: post
    kind: call
    connection: erp
    operation: create_sales_order
    input: sales_order
    business_key: sales_order.externalDocumentNumber
    output: erp_order
    timeout: 5s
    retry:
      attempts: 10
      backoff:
        initial: 50ms
        max: 1s
        multiplier: 2
      jitter: 0.2
)";

class OrderFlow {
 public:
  explicit OrderFlow(std::string url) : url_(std::move(url)) {}

  void Setup(const std::string& faults) {
    sim::ErpSimulatorOptions options;
    options.seed = 11;
    auto spec = sim::FaultSpec::Parse(faults);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    options.faults = *spec;
    auto s = sim::ErpSimulator::Start(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sim_ = std::move(*s);
    auto http = connect::CurlHttpClient::Create();
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    OpenStore();
    const TimePoint now = SystemClock::Get().Now();
    ASSERT_TRUE(store_
                    ->Transact([&](store::Txn& txn) -> Status {
                      GOVFLOW_RETURN_IF_ERROR(txn.PutTenant({tenant_, "Acme", now}));
                      GOVFLOW_RETURN_IF_ERROR(txn.PutConnection(
                          {tenant_, ConnectionId("shop"), "shopify.webhooks", "{}", "", now, now}));
                      return txn.PutConnection({tenant_, ConnectionId("erp"),
                                                "erp.business_central", "{}", "", now, now});
                    })
                    .ok());
    ASSERT_TRUE(PublishWorkflow(*store_, tenant_, kWorkflow, "order-to-erp.yaml").ok());
  }

  void OpenStore() {
    store::StoreOptions options;
    options.url = url_;
    auto s = store::Store::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  void StartRuntime(const std::string& owner) {
    RuntimeOptions options;
    options.owner = owner;
    options.lease_for = seconds(3);
    options.poll_interval = milliseconds(10);
    options.seed = 5;
    runtime_ = std::make_unique<Runtime>(*store_, SystemClock::Get(), options);
    ASSERT_TRUE(runtime_->catalog().Activate(tenant_, "order-to-erp").ok());
    connect::shopify::WebhookConfig shop;
    shop.secret = kSecret;
    auto inbound = connect::shopify::WebhookConnector::Create(shop);
    ASSERT_TRUE(inbound.ok());
    runtime_->catalog().AddConnector(tenant_, ConnectionId("shop"),
                                     std::shared_ptr<connect::Connector>(std::move(*inbound)));
    connect::business_central::Config bc;
    bc.base_url = sim_->base_url();
    bc.company_id = sim::Catalogue::kCompanyId;
    bc.client_id = "govflow";
    bc.client_secret = "secret";
    bc.token_url = sim_->base_url() + "/token";
    bc.request_timeout = milliseconds(2000);
    bc.in_flight_bound = milliseconds(3000);
    bc.max_concurrent_requests = 32;
    bc.circuit_breaker.failure_threshold = 100000;
    connect::ConnectorContext context{http_.get(), &SystemClock::Get()};
    auto erp = connect::business_central::Connector::Create(bc, context);
    ASSERT_TRUE(erp.ok()) << erp.status().ToString();
    runtime_->catalog().AddConnector(tenant_, ConnectionId("erp"),
                                     std::shared_ptr<connect::Connector>(std::move(*erp)));
    ASSERT_TRUE(runtime_->Start().ok());
  }

  std::string OrderBody(int i) const {
    const auto& cat = sim::Catalogue::Default();
    json::object line;
    line["lineType"] = "Item";
    line["lineObjectNumber"] = cat.items()[static_cast<size_t>(i) % cat.items().size()].number;
    line["quantity"] = 1 + i % 3;
    json::object order;
    order["name"] = Key(i);
    order["email"] = "buyer@example.com";
    order["customer"] = cat.customers()[cat.active_customers()[static_cast<size_t>(i) %
                                                               cat.active_customers().size()]]
                            .number;
    order["lines"] = json::array{line};
    return json::serialize(order);
  }
  static std::string Key(int i) { return "IT-" + std::to_string(10000 + i); }

  // Sends order i; true when acknowledged 2xx.
  bool Send(int i) {
    WebhookRequest r;
    r.tenant = tenant_;
    r.connection = ConnectionId("shop");
    r.path = "/hooks/acme/shop";
    r.body = OrderBody(i);
    r.headers = {{"X-Shopify-Hmac-Sha256", connect::shopify::ComputeWebhookHmac(kSecret, r.body)},
                 {"X-Shopify-Topic", "orders/create"},
                 {"X-Shopify-Shop-Domain", "acme.myshopify.com"},
                 {"X-Shopify-API-Version", "2025-01"},
                 {"X-Shopify-Webhook-Id", "wh-" + std::to_string(i)}};
    std::promise<WebhookAnswer> p;
    runtime_->ingestion().Ingest(std::move(r), [&](WebhookAnswer a) { p.set_value(std::move(a)); });
    WebhookAnswer a = p.get_future().get();
    if (a.http_status == 200 && a.run) runs_[i] = *a.run;
    return a.http_status == 200;
  }

  int64_t NonTerminal() {
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    if (!txn.ok()) return -1;
    auto counts = txn->CountRunsByState(tenant_);
    if (!counts.ok()) return -1;
    int64_t n = 0;
    for (auto [state, count] : *counts) {
      if (!store::IsTerminal(state)) n += count;
    }
    return n;
  }

  bool WaitAllTerminal(std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (NonTerminal() == 0) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return NonTerminal() == 0;
  }

  // Every order: in the ERP exactly once, or absent with an open exception for its run.
  void CheckEveryOrderOnceOrExcepted(int orders) {
    sim::ErpStats stats = sim_->stats();
    EXPECT_EQ(stats.duplicate_external_document_numbers, 0u) << stats.ToJson();
    std::map<std::string, std::string> open;  // run -> reason
    {
      auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
      ASSERT_TRUE(txn.ok());
      auto cases = txn->ListExceptionCases(tenant_, store::ExceptionState::kOpen, 100000);
      ASSERT_TRUE(cases.ok());
      for (const auto& c : *cases) open[c.run.value()] = c.error_class + ": " + c.message;
    }
    int in_erp = 0;
    for (int i = 0; i < orders; ++i) {
      ASSERT_TRUE(runs_.count(i)) << "order " << i << " was never acknowledged";
      const int count = sim_->CountSalesOrders(Key(i));
      auto it = open.find(runs_[i].value());
      if (count == 1) {
        ++in_erp;
        EXPECT_EQ(it, open.end()) << Key(i) << " is in the ERP and also excepted: " << it->second;
      } else {
        EXPECT_EQ(count, 0) << Key(i) << " posted " << count << " times";
        EXPECT_NE(it, open.end()) << Key(i) << " is neither in the ERP nor in an exception";
        if (it != open.end()) {
          EXPECT_FALSE(it->second.empty());
        }
      }
    }
    EXPECT_GT(in_erp, orders / 2);
    std::cout << "orders=" << orders << " in_erp=" << in_erp << " excepted=" << open.size()
              << " sim=" << stats.ToJson() << "\n";
    if (runtime_) {
      RuntimeStats r = runtime_->stats();
      std::cout << "runtime: claimed=" << r.claimed << " completed=" << r.completed
                << " failed=" << r.failed << " calls=" << r.calls << " lookups=" << r.lookups
                << " adopted=" << r.adopted << " unknown=" << r.unknown_outcomes
                << " parked=" << r.parked << " commit_failures=" << r.commit_failures << "\n";
    }
  }

  TenantId tenant_{"acme"};
  std::string url_;
  std::unique_ptr<sim::ErpSimulator> sim_;
  std::unique_ptr<connect::CurlHttpClient> http_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Runtime> runtime_;
  std::map<int, RunId> runs_;
};

constexpr char kFaults[] =
    "error=0.05,throttle=0.02,retry_after=1,timeout=0.03,timeout_after_create=0.5,"
    "timeout_hold=1s,latency=1ms..5ms,unknown_item=0.02";
constexpr int kOrders = 200;

void StraightThrough(const std::string& url) {
  OrderFlow flow(url);
  flow.Setup(kFaults);
  if (::testing::Test::HasFatalFailure()) return;
  flow.StartRuntime("node-a");
  for (int i = 0; i < kOrders; ++i) ASSERT_TRUE(flow.Send(i)) << i;
  // Redeliveries start nothing.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(flow.Send(i));
  ASSERT_TRUE(flow.WaitAllTerminal(seconds(120))) << flow.NonTerminal() << " runs unfinished";
  flow.CheckEveryOrderOnceOrExcepted(kOrders);
  RuntimeStats stats = flow.runtime_->stats();
  // New runs go from ingestion straight to this node's executor; retries come back by claim.
  EXPECT_GE(stats.claimed + stats.handed_off, kOrders);
  EXPECT_GT(stats.handed_off, kOrders / 2);
  flow.runtime_->Stop();
}

void CrashAndRestart(const std::string& url) {
  OrderFlow flow(url);
  flow.Setup(kFaults);
  if (::testing::Test::HasFatalFailure()) return;
  flow.StartRuntime("node-a");
  for (int i = 0; i < kOrders / 2; ++i) ASSERT_TRUE(flow.Send(i)) << i;
  std::this_thread::sleep_for(milliseconds(20));
  // Abrupt end mid-flight: no graceful stop, leases held, requests in flight still land.
  flow.runtime_->Abandon();
  flow.runtime_.reset();
  flow.store_.reset();
  flow.OpenStore();
  flow.StartRuntime("node-b");
  for (int i = kOrders / 2; i < kOrders; ++i) ASSERT_TRUE(flow.Send(i)) << i;
  // Shopify redelivers some of the orders acknowledged before the crash: nothing new starts.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(flow.Send(i));
  ASSERT_TRUE(flow.WaitAllTerminal(seconds(120))) << flow.NonTerminal() << " runs unfinished";
  flow.CheckEveryOrderOnceOrExcepted(kOrders);
  flow.runtime_->Stop();
}

std::string SqliteUrl(const std::string& name) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("govflow-rt-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return "sqlite://" + dir + "/govflow.db";
}

TEST(OrderFlowSqlite, EveryOrderOnceOrExceptedUnderFaults) {
  StraightThrough(SqliteUrl("a"));
}
TEST(OrderFlowSqlite, CrashMidFlightAndRestartPostsNothingTwice) {
  CrashAndRestart(SqliteUrl("b"));
}

TEST(OrderFlowPostgres, EveryOrderOnceOrExceptedUnderFaults) {
  auto url = govflow::testing::PostgresEnvironment::FreshDatabaseUrl();
  if (!url.ok()) GTEST_SKIP() << url.status().ToString();
  StraightThrough(*url);
}
TEST(OrderFlowPostgres, CrashMidFlightAndRestartPostsNothingTwice) {
  auto url = govflow::testing::PostgresEnvironment::FreshDatabaseUrl();
  if (!url.ok()) GTEST_SKIP() << url.status().ToString();
  CrashAndRestart(*url);
}

}  // namespace
}  // namespace govflow::workflow::runtime
