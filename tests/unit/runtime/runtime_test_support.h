// Shared fixture for runtime unit tests: a temporary SQLite store, a ManualClock, a Shopify
// webhook connection "shop" (real verifier), a scripted fake ERP "erp", and a Runtime over them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "base/clock.h"
#include "connect/shopify/webhook_verifier.h"
#include "store/store.h"
#include "unit/runtime/fake_erp_connector.h"
#include "workflow/runtime/catalog.h"
#include "workflow/runtime/ingestion.h"
#include "workflow/runtime/run_state.h"
#include "workflow/runtime/runtime.h"

namespace govflow::workflow::runtime::testing {

inline constexpr char kSecret[] = "hush";

// validate -> map -> call, with a short retry policy.
inline constexpr char kOrderWorkflow[] = R"(apiVersion: govflow/v1
kind: Workflow
metadata:
  name: test-orders
trigger:
  connection: shop
  topic: orders/create
steps:
  - name: check
    kind: validate
    rules:
      - name: has_email
        condition: has(event.email) && event.email != ""
        message: "order {{ event.name }} has no email"
  - name: build
    kind: map
    output: order
    fields:
      externalDocumentNumber: "'SHOP-' + event.name"
      email: event.email
  - name: post
    kind: call
    connection: erp
    operation: create_sales_order
    input: order
    business_key: order.externalDocumentNumber
    output: posted
    timeout: 10s
    retry:
      attempts: 3
      backoff:
        initial: 1s
        max: 10s
        multiplier: 2
      jitter: 0.2
)";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/govflow-runtime-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    OpenStore();
    ASSERT_TRUE(store_
                    ->Transact([&](store::Txn& txn) -> Status {
                      GOVFLOW_RETURN_IF_ERROR(txn.PutTenant({tenant_, "Acme", clock_.Now()}));
                      GOVFLOW_RETURN_IF_ERROR(
                          txn.PutConnection({tenant_, ConnectionId("shop"), "shopify.webhooks",
                                             "{}", "", clock_.Now(), clock_.Now()}));
                      return txn.PutConnection({tenant_, ConnectionId("erp"), "erp.fake", "{}", "",
                                                clock_.Now(), clock_.Now()});
                    })
                    .ok());
    auto v = PublishWorkflow(*store_, tenant_, kOrderWorkflow, "test-orders.yaml");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    erp_ = std::make_shared<FakeErpConnector>();
    StartRuntime("test-orders");
  }

  void TearDown() override {
    runtime_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenStore() {
    store::StoreOptions options;
    options.url = "sqlite://" + dir_ + "/govflow.db";
    options.clock = &clock_;
    auto s = store::Store::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  void StartRuntime(const std::string& workflow) {
    RuntimeOptions options;
    options.lease_for = std::chrono::seconds(60);
    options.poll_interval = std::chrono::milliseconds(5);
    options.seed = 42;
    options.committer.max_delay = std::chrono::microseconds(200);
    runtime_ = std::make_unique<Runtime>(*store_, clock_, options);
    ASSERT_TRUE(runtime_->catalog().Activate(tenant_, workflow).ok());
    connect::shopify::WebhookConfig config;
    config.secret = kSecret;
    auto shop = connect::shopify::WebhookConnector::Create(config);
    ASSERT_TRUE(shop.ok());
    runtime_->catalog().AddConnector(tenant_, ConnectionId("shop"),
                                     std::shared_ptr<connect::Connector>(std::move(*shop)));
    runtime_->catalog().AddConnector(tenant_, ConnectionId("erp"), erp_);
    ASSERT_TRUE(runtime_->Start().ok());
  }

  WebhookAnswer Send(const std::string& body, const std::string& webhook_id,
                     const std::string& secret = kSecret) {
    WebhookRequest r;
    r.tenant = tenant_;
    r.connection = ConnectionId("shop");
    r.path = "/hooks/acme/shop";
    r.body = body;
    r.headers = {{"X-Shopify-Hmac-Sha256", connect::shopify::ComputeWebhookHmac(secret, body)},
                 {"X-Shopify-Topic", "orders/create"},
                 {"X-Shopify-Shop-Domain", "acme.myshopify.com"},
                 {"X-Shopify-API-Version", "2025-01"},
                 {"X-Shopify-Webhook-Id", webhook_id}};
    std::promise<WebhookAnswer> p;
    runtime_->ingestion().Ingest(std::move(r), [&](WebhookAnswer a) { p.set_value(std::move(a)); });
    return p.get_future().get();
  }

  static std::string Order(const std::string& name, const std::string& email = "a@b.example") {
    return R"({"name":")" + name + R"(","email":")" + email + R"("})";
  }

  RunId StartOrder(const std::string& name, const std::string& email = "a@b.example") {
    WebhookAnswer a = Send(Order(name, email), "wh-" + name);
    EXPECT_EQ(a.http_status, 200) << a.message;
    EXPECT_TRUE(a.run.has_value());
    return a.run.value_or(RunId());
  }

  store::Run GetRun(const RunId& id) {
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto r = txn->GetRun(tenant_, id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : store::Run{};
  }

  std::vector<store::ExceptionCase> Exceptions(std::optional<store::ExceptionState> state = {}) {
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    auto r = txn->ListExceptionCases(tenant_, state, 100);
    return r.ok() ? *r : std::vector<store::ExceptionCase>{};
  }

  store::Effect GetEffect(const RunId& run) {
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    auto e = txn->GetEffect(tenant_, IdempotencyKey(tenant_, run, "post"));
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : store::Effect{};
  }

  // Polls (real time) until `pred` holds, poking the runtime.
  bool WaitFor(const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      if (runtime_) runtime_->Poke();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
  }

  bool WaitForState(const RunId& run, store::RunState state) {
    return WaitFor([&] { return GetRun(run).state == state; });
  }

  // Waits until the run is parked (waiting, no lease) and returns its wake time.
  TimePoint WaitParked(const RunId& run) {
    EXPECT_TRUE(WaitFor([&] {
      store::Run r = GetRun(run);
      return r.state == store::RunState::kWaiting && r.lease_owner.empty();
    }));
    return GetRun(run).next_wake_at.value_or(TimePoint{});
  }

  ManualClock clock_{FromMicros(1'750'000'000'000'000)};
  TenantId tenant_{"acme"};
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<FakeErpConnector> erp_;
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace govflow::workflow::runtime::testing
