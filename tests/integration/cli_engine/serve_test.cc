// `govflow serve` as a child process over loopback: the configuration applied with `govflow
// apply`, the in-process ERP simulator injecting faults, signed Shopify orders from the sim's
// sender. Every order ends in the ERP exactly once or in an open exception with its reason;
// a bad signature gets 401 and is recorded; `exceptions list --json` shows bad-SKU orders;
// SIGTERM stops cleanly; and orders survive the server being SIGKILLed mid-stream.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "integration/cli_engine/process.h"
#include "integration/store/postgres_server.h"
#include "sim/erp_simulator.h"
#include "sim/shopify_order.h"
#include "sim/shopify_sender.h"
#include "store/store.h"

namespace govflow::testing {
namespace {

using std::chrono::seconds;
namespace json = boost::json;

constexpr char kSecret[] = "serve-test-secret";
// 32 zero bytes: with --store there is no data directory for master.key.
constexpr char kMasterKey[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

[[maybe_unused]] ::testing::Environment* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new govflow::testing::PostgresEnvironment);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("govflow-serve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void StartErp(const std::string& faults) {
    sim::ErpSimulatorOptions options;
    options.seed = 3;
    auto spec = sim::FaultSpec::Parse(faults);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    options.faults = *spec;
    auto erp = sim::ErpSimulator::Start(options);
    ASSERT_TRUE(erp.ok()) << erp.status().ToString();
    erp_ = std::move(*erp);
  }

  // The quickstart as shipped, with its order-capture template.
  void Apply() {
    std::string workflow =
        ReadFile(std::string(GOVFLOW_SOURCE_DIR) + "/templates/workflows/order-capture.yaml");
    std::ofstream(dir_ / "order-capture.yaml") << workflow;
    std::string config =
        ReadFile(std::string(GOVFLOW_SOURCE_DIR) + "/examples/quickstart/govflow.yaml");
    const std::string path = "../../templates/workflows/order-capture.yaml";
    config.replace(config.find(path), path.size(), "order-capture.yaml");
    std::ofstream(dir_ / "govflow.yaml") << config;
    RunOutput r =
        RunProgram(Command({GOVFLOW_BINARY, "apply", "-f", (dir_ / "govflow.yaml").string()}),
                   Env({{"SHOPIFY_SECRET", kSecret}, {"ERP_URL", erp_->base_url()}}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string data() const { return (dir_ / "data").string(); }

  // --data DIR (SQLite) or --store URL (PostgreSQL, master key from the environment).
  std::vector<std::string> StoreArgs() const {
    if (store_url_.empty()) return {"--data", data()};
    return {"--store", store_url_};
  }
  std::map<std::string, std::string> Env(std::map<std::string, std::string> env = {}) const {
    if (!store_url_.empty()) env["GOVFLOW_MASTER_KEY"] = kMasterKey;
    return env;
  }
  std::vector<std::string> Command(std::vector<std::string> args) const {
    for (const auto& a : StoreArgs()) args.push_back(a);
    return args;
  }

  // Starts `govflow serve`; returns its address.
  std::string Serve(const std::string& listen = "127.0.0.1:0") {
    server_ = std::make_unique<Child>(
        Command({GOVFLOW_BINARY, "serve", "--listen", listen, "--lease-ms", "2000"}), Env());
    auto address = server_->WaitForLine("govflow listening on ", seconds(30));
    EXPECT_TRUE(address.has_value()) << "serve did not start";
    return address.value_or("");
  }

  std::unique_ptr<store::Store> OpenStore() {
    store::StoreOptions options;
    options.url = store_url_.empty() ? "sqlite://" + data() + "/govflow.db" : store_url_;
    auto s = store::Store::Open(options);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  int64_t NonTerminalRuns(store::Store& store) {
    auto txn = store.Begin(store::sql::TxnMode::kReadOnly);
    if (!txn.ok()) return -1;
    auto counts = txn->CountRunsByState(TenantId("acme"));
    if (!counts.ok()) return -1;
    int64_t n = 0;
    for (auto [state, count] : *counts) {
      if (!store::IsTerminal(state)) n += count;
    }
    return n;
  }

  // For a failure message: each unfinished run with its state, step and when it wakes next.
  std::string UnfinishedRuns(store::Store& store) {
    auto txn = store.Begin(store::sql::TxnMode::kReadOnly);
    if (!txn.ok()) return txn.status().ToString();
    auto rows = txn->sql().Query(
        "SELECT run_id, state, current_step, next_wake_at, updated_at FROM runs WHERE tenant_id = "
        "'acme' AND state NOT IN ('succeeded', 'failed', 'cancelled') ORDER BY run_id LIMIT 20");
    if (!rows.ok()) return rows.status().ToString();
    std::string out;
    for (const auto& r : *rows) {
      out += "\n  " + r.Text(0) + " state=" + r.Text(1) + " step=" + r.Text(2) +
             " next_wake_at=" + (r.IsNull(3) ? std::string("none") : std::to_string(r.Int(3))) +
             " updated_at=" + std::to_string(r.Int(4));
    }
    return out;
  }

  bool WaitAllTerminal(store::Store& store, seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (NonTerminalRuns(store) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // Every order 0..n-1: in the ERP exactly once, or absent with an open exception for its run.
  // Returns how many are excepted.
  int CheckEveryOrderOnceOrExcepted(store::Store& store, const sim::ShopifySenderOptions& so,
                                    uint64_t n) {
    EXPECT_EQ(erp_->stats().duplicate_external_document_numbers, 0u) << erp_->stats().ToJson();
    std::map<std::string, std::string> open;  // order name -> reason
    auto txn = store.Begin(store::sql::TxnMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto cases = txn->ListExceptionCases(TenantId("acme"), store::ExceptionState::kOpen, 100000);
    EXPECT_TRUE(cases.ok());
    for (const auto& c : *cases) {
      auto run = txn->GetRun(TenantId("acme"), c.run);
      EXPECT_TRUE(run.ok());
      json::value input = json::parse(run->input_json);
      const json::value* name = input.is_object() ? input.as_object().if_contains("name") : nullptr;
      if (name == nullptr) {
        // The event may be nested (e.g. {"event": {...}}); find the name in the text.
        open[run->input_json] = c.error_class + ": " + c.message;
      } else {
        open[std::string(name->as_string())] = c.error_class + ": " + c.message;
      }
    }
    sim::ShopifyOrderOptions oo;
    oo.seed = so.seed;
    oo.bad_sku = so.bad_sku;
    oo.shop_domain = so.shop_domain;
    int excepted = 0;
    for (uint64_t i = 0; i < n; ++i) {
      sim::ShopifyOrder order = sim::MakeShopifyOrder(oo, i);
      std::string key = "SHOP-" + order.name.substr(1);
      const int count = erp_->CountSalesOrders(key);
      bool has_case = open.count(order.name) > 0;
      if (!has_case) {
        for (const auto& [k, v] : open)
          has_case = has_case || k.find("\"" + order.name + "\"") != std::string::npos;
      }
      if (count == 1) {
        EXPECT_FALSE(has_case) << key << " is in the ERP and also excepted";
      } else {
        EXPECT_EQ(count, 0) << key << " posted " << count << " times";
        EXPECT_TRUE(has_case) << key << " is neither in the ERP nor in an open exception";
        ++excepted;
      }
      if (order.has_bad_sku) {
        EXPECT_EQ(count, 0) << key << " has a bad SKU but was posted";
      }
    }
    return excepted;
  }

  std::filesystem::path dir_;
  std::unique_ptr<sim::ErpSimulator> erp_;
  std::unique_ptr<Child> server_;
  std::string store_url_;  // empty: SQLite in data()

  void KillAndRestartMidStream();
};

std::string Curl(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunProgram(args, {}).out;
}

TEST_F(ServeTest, TakesSignedOrdersOnceRejectsBadSignatureAndListsExceptions) {
  StartErp("error=0.03,throttle=0.02,retry_after=1,latency=1ms..5ms");
  if (HasFatalFailure()) return;
  Apply();
  if (HasFatalFailure()) return;
  const std::string address = Serve();
  ASSERT_FALSE(address.empty());
  EXPECT_EQ(Curl({"http://" + address + "/healthz"}), "200");
  EXPECT_EQ(Curl({"http://" + address + "/readyz"}), "200");

  sim::ShopifySenderOptions so;
  so.target_url = "http://" + address + "/hooks/acme/shop";
  so.secret = kSecret;
  so.orders = 120;
  so.rate_per_second = 200;
  so.bad_sku = 0.1;
  so.redeliver = 0.1;
  auto report = sim::SendShopifyOrders(so);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->acked, 120u) << report->Details();

  EXPECT_EQ(Curl({"-X", "POST", "-H", "X-Shopify-Topic: orders/create", "-H",
                  "X-Shopify-Hmac-Sha256: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "-H",
                  "X-Shopify-Shop-Domain: x.myshopify.com", "-H", "X-Shopify-Webhook-Id: forged-1",
                  "-H", "X-Shopify-API-Version: 2026-07", "-d", "{\"name\":\"#forged\"}",
                  "http://" + address + "/hooks/acme/shop"}),
            "401");

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  // The workflow's own retry schedule (8 attempts, backoff from 2 s doubling, 30 s wait-outs
  // after a 504) lets an unlucky run (a 504, then a 429 burst) take several minutes; which run
  // draws that sequence depends on request order.
  ASSERT_TRUE(WaitAllTerminal(*store, seconds(300)))
      << NonTerminalRuns(*store) << " unfinished:" << UnfinishedRuns(*store);
  const int excepted = CheckEveryOrderOnceOrExcepted(*store, so, so.orders);
  EXPECT_GT(excepted, 0) << "bad-SKU orders should be excepted";
  EXPECT_LT(excepted, 60);
  {
    auto txn = store->Begin(store::sql::TxnMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    auto counts = txn->CountDeliveriesByStatus(TenantId("acme"));
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ((*counts)[store::DeliveryStatus::kRejected], 1);
    EXPECT_EQ((*counts)[store::DeliveryStatus::kAccepted], 120);
  }

  RunOutput list =
      RunProgram({GOVFLOW_BINARY, "exceptions", "list", "--data", data(), "--json"}, {});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json::value cases = json::parse(list.out);
  ASSERT_TRUE(cases.is_array());
  EXPECT_EQ(cases.as_array().size(), static_cast<size_t>(excepted));
  bool saw_bad_sku = false;
  for (const auto& c : cases.as_array()) {
    const auto& o = c.as_object();
    for (const char* field :
         {"id", "tenant", "run", "step", "error_class", "message", "state", "created_at"}) {
      EXPECT_TRUE(o.contains(field)) << field << " missing in " << json::serialize(o);
    }
    const std::string message(o.at("message").as_string());
    if (message.find("DISC-") != std::string::npos || message.find("Item") != std::string::npos) {
      saw_bad_sku = true;
    }
  }
  EXPECT_TRUE(saw_bad_sku) << cases.as_array().size() << " cases, none about an unknown item";

  // show and retry go through the exceptions API.
  const std::string id(cases.as_array().at(0).as_object().at("id").as_string());
  RunOutput show = RunProgram({GOVFLOW_BINARY, "exceptions", "show", id, "--data", data()}, {});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("error class:"), std::string::npos);
  RunOutput retry = RunProgram({GOVFLOW_BINARY, "exceptions", "retry", id, "--data", data()}, {});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  RunOutput again = RunProgram({GOVFLOW_BINARY, "exceptions", "retry", id, "--data", data()}, {});
  EXPECT_EQ(again.exit_code, 1) << "a case already retrying cannot be retried again";

  EXPECT_EQ(server_->Signal(SIGTERM), 0);
}

// The "Done when": the server is SIGKILLed at random moments (seeded) while orders flow
// with the ERP injecting faults, restarted each time; then every order is in the ERP exactly once
// or in an open exception with its reason.
void ServeTest::KillAndRestartMidStream() {
  StartErp(
      "error=0.03,throttle=0.02,retry_after=1,timeout=0.01,timeout_after_create=0.5,"
      "timeout_hold=2s,latency=1ms..10ms");
  if (HasFatalFailure()) return;
  Apply();
  if (HasFatalFailure()) return;
  const std::string address = Serve();
  ASSERT_FALSE(address.empty());

  sim::ShopifySenderOptions so;
  so.target_url = "http://" + address + "/hooks/acme/shop";
  so.secret = kSecret;
  so.orders = 2000;
  so.rate_per_second = 300;
  so.bad_sku = 0.03;
  so.redeliver = 0.05;
  so.max_attempts = 60;  // the sender keeps retrying while the server restarts
  so.backoff_max = std::chrono::milliseconds(500);
  auto sender = sim::ShopifySender::Start(so);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();

  const uint32_t seed = std::random_device{}();
  std::mt19937 random(seed);
  SCOPED_TRACE("kill schedule seed " + std::to_string(seed));
  std::uniform_int_distribution<int> pause_ms(200, 1200);
  for (int kill = 0; kill < 6; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    EXPECT_EQ(server_->Signal(SIGKILL), 128 + SIGKILL);
    ASSERT_EQ(Serve(address), address) << "restart on the same address";
  }
  sim::ShopifySendReport report = (*sender)->Wait();
  EXPECT_EQ(report.acked, so.orders) << report.Details();

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(WaitAllTerminal(*store, seconds(180))) << NonTerminalRuns(*store) << " unfinished";
  const int excepted = CheckEveryOrderOnceOrExcepted(*store, so, so.orders);
  EXPECT_LT(excepted, static_cast<int>(so.orders / 2));
  EXPECT_EQ(server_->Signal(SIGTERM), 0);
}

TEST_F(ServeTest, EveryOrderOnceOrExceptedAcrossSigkillRestartsOnSqlite) {
  KillAndRestartMidStream();
}

TEST_F(ServeTest, EveryOrderOnceOrExceptedAcrossSigkillRestartsOnPostgres) {
  auto url = PostgresEnvironment::FreshDatabaseUrl();
  if (!url.ok()) GTEST_SKIP() << url.status().ToString();
  store_url_ = *url;
  KillAndRestartMidStream();
}

}  // namespace
}  // namespace govflow::testing
