// GET /api/v1/portfolio and GET /api/v1/tenants/{tenant}/metrics/overview over real HTTP, on
// SQLite and PostgreSQL: the numbers the rollup computed, the JSON shape the console reads, the
// window parameter (400 naming `window`), and who sees which tenant in the portfolio. (401
// without credentials and 403/404 across tenants: the route-table tests in api_v1_test.cc.)
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/console.h"
#include "governance/access.h"
#include "governance/directory.h"
#include "integration/api_v1/http_client.h"
#include "intel/rollup.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::testing {
namespace {

namespace json = boost::json;
namespace gov = governance;
using namespace std::chrono_literals;

constexpr char kPassword[] = "a-long-password-123";

json::value Parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

class IntelRoutesTest : public GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(
          gov::InitPartner(txn, {"northwind", "Northwind", "lee@nw.example", "Lee", kPassword})
              .status());
      const auto partner = gov::PartnerScope::ForSystem("test");
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, TenantId("acme"), "Acme Retail"));
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, TenantId("globex"), "Globex"));
      GOVFLOW_ASSIGN_OR_RETURN(
          std::string ana, gov::CreateUser(txn, partner, {"ana@acme.example", "Ana", kPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          std::string gus, gov::CreateUser(txn, partner, {"gus@globex.example", "Gus", kPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          std::string pia, gov::CreateUser(txn, partner, {"pia@acme.example", "Pia", kPassword}));
      const auto acme = gov::TenantScope::ForSystem(TenantId("acme"), "test");
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana, "viewer"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(
          txn, gov::TenantScope::ForSystem(TenantId("globex"), "test"), gus, "tenant_admin"));
      // An approver only: sees acme, may not read its metrics.
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, pia, "pricing_manager"));
      GOVFLOW_RETURN_IF_ERROR(txn.PublishWorkflowVersion(
          {TenantId("acme"), "order-capture", 3, "hash-3", "name: order-capture", clock_.Now()}));
      store::Connection shop;
      shop.tenant = TenantId("acme");
      shop.id = ConnectionId("shop-coastal");
      shop.kind = "shopify.webhooks";
      shop.config_json = "{}";
      shop.created_at = shop.updated_at = clock_.Now();
      return txn.PutConnection(shop);
    });
    if (HasFatalFailure()) return;
    auto router = std::make_shared<api::Router>();
    auto handler = api::v1::MountConsole(router, *store_, clock_, api::v1::ConsoleOptions{});
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    auto server = api::HttpServer::Start({}, *handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
    GovernanceStoreTest::TearDown();
  }

  // `ok` succeeded and `failed` failed runs of acme's order capture, created a minute ago.
  void SeedRuns(int ok, int failed) {
    std::vector<RunId> ids;
    InTxn([&](store::Txn& txn) -> Status {
      for (int i = 0; i < ok + failed; ++i) {
        store::Run run;
        run.tenant = TenantId("acme");
        run.id = RunId("run_" + std::to_string(i));
        run.workflow_name = "order-capture";
        run.workflow_version = 3;
        run.current_step = "validate";
        run.input_json = R"({"source_name":"pos","line_items":[{"price":"5.00","quantity":1,)"
                         R"("product_type":"Shoes"}]})";
        GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(run));
        ids.push_back(run.id);
      }
      return Status::Ok();
    });
    clock_.Advance(1min);
    InTxn([&](store::Txn& txn) -> Status {
      for (size_t i = 0; i < ids.size(); ++i) {
        GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(TenantId("acme"), ids[i]));
        store::RunUpdate u;
        u.state = static_cast<int>(i) < ok ? store::RunState::kSucceeded : store::RunState::kFailed;
        u.current_step = "done";
        u.context_json = "{}";
        GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(TenantId("acme"), ids[i], run.version, u).status());
      }
      return Status::Ok();
    });
    auto stats = intel::RollupAllTenants(*store_);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }

  std::string Cookie(const std::string& email, std::string* csrf = nullptr) {
    TestResponse r =
        Fetch(server_->port(), "POST", "/api/v1/session", {"Content-Type: application/json"},
              json::serialize(json::object{{"email", email}, {"password", kPassword}}));
    EXPECT_EQ(r.status, 200) << r.body;
    if (csrf != nullptr) {
      json::value v = Parse(r.body);
      *csrf = v.is_object() ? std::string(v.at("csrf_token").as_string()) : "";
    }
    const std::string set = r.Header("Set-Cookie");
    return "Cookie: " + set.substr(0, set.find(';'));
  }

  TestResponse PutBrand(const std::string& email, const std::string& connection,
                        const std::string& body) {
    std::string csrf;
    const std::string cookie = Cookie(email, &csrf);
    return Fetch(server_->port(), "PUT", "/api/v1/tenants/acme/metrics/brands/" + connection,
                 {cookie, "X-CSRF-Token: " + csrf, "Content-Type: application/json"}, body);
  }

  TestResponse Get(const std::string& target, const std::string& cookie) {
    return Fetch(server_->port(), "GET", target, {cookie});
  }

  std::unique_ptr<api::HttpServer> server_;
};

TEST_P(IntelRoutesTest, OverviewReportsTheRolledUpRunsExceptionsAndBreakdowns) {
  SeedRuns(9, 3);
  TestResponse r =
      Get("/api/v1/tenants/acme/metrics/overview?window=1h", Cookie("ana@acme.example"));
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Parse(r.body);
  const json::object& totals = v.at("totals").as_object();
  EXPECT_EQ(totals.at("runs_started").as_int64(), 12);
  EXPECT_EQ(totals.at("runs_succeeded").as_int64(), 9);
  EXPECT_EQ(totals.at("runs_failed").as_int64(), 3);
  EXPECT_DOUBLE_EQ(totals.at("failure_rate").as_double(), 0.25);
  EXPECT_DOUBLE_EQ(totals.at("throughput_per_hour").as_double(), 9.0);
  EXPECT_GE(totals.at("latency_p95_ms").as_double(), 60'000.0);
  EXPECT_TRUE(totals.at("sla_attainment").is_null());  // no exception clocks decided
  EXPECT_EQ(v.at("window").at("name").as_string(), "1h");
  EXPECT_EQ(v.at("series").as_array().size(), 60u);
  for (const char* s : {"P1", "P2", "P3", "P4"}) {
    EXPECT_EQ(v.at("open_exceptions").at(s).as_int64(), 0) << s;
  }
  EXPECT_EQ(v.at("health").at("status").as_string(), "critical") << r.body;  // 25% failed
  const json::array& channels = v.at("breakdowns").at("channel").as_array();
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].at("value").as_string(), "pos");
  EXPECT_EQ(channels[0].at("runs_started").as_int64(), 12);
  EXPECT_EQ(v.at("breakdowns").at("sku_category").at(0).at("value").as_string(), "Shoes");
  EXPECT_EQ(v.at("trends").at("sku_category").at(0).at("runs_started").as_array().size(), 60u);
  EXPECT_FALSE(v.at("rolled_up_to").is_null());
}

TEST_P(IntelRoutesTest, OverviewDefaultsToTwentyFourHoursAndRefusesOtherWindowsNamingWindow) {
  const std::string ana = Cookie("ana@acme.example");
  TestResponse def = Get("/api/v1/tenants/acme/metrics/overview", ana);
  ASSERT_EQ(def.status, 200) << def.body;
  EXPECT_EQ(Parse(def.body).at("window").at("name").as_string(), "24h");
  EXPECT_EQ(Parse(def.body).at("series").as_array().size(), 96u);
  for (const char* bad : {"2h", "", "24", "7d%20"}) {
    TestResponse r = Get(std::string("/api/v1/tenants/acme/metrics/overview?window=") + bad, ana);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    json::value p = Parse(r.body);
    ASSERT_TRUE(p.is_object()) << r.body;
    EXPECT_EQ(p.at("invalid-params").at(0).at("name").as_string(), "window") << r.body;
  }
  EXPECT_EQ(Get("/api/v1/portfolio?window=1y", ana).status, 400);
}

TEST_P(IntelRoutesTest, PortfolioShowsThePartnerEveryTenantAndATenantUserOnlyTheirOwn) {
  SeedRuns(10, 0);
  TestResponse lee = Get("/api/v1/portfolio?window=24h", Cookie("lee@nw.example"));
  ASSERT_EQ(lee.status, 200) << lee.body;
  json::value v = Parse(lee.body);
  const json::array& tenants = v.at("tenants").as_array();
  ASSERT_EQ(tenants.size(), 2u) << lee.body;
  EXPECT_EQ(tenants[0].at("id").as_string(), "acme");
  EXPECT_EQ(tenants[0].at("name").as_string(), "Acme Retail");
  EXPECT_EQ(tenants[0].at("totals").at("runs_succeeded").as_int64(), 10);
  EXPECT_EQ(tenants[0].at("health").at("status").as_string(), "ok");
  EXPECT_EQ(tenants[0].at("workflows").at(0).at("name").as_string(), "order-capture");
  EXPECT_EQ(tenants[0].at("workflows").at(0).at("version").as_int64(), 3);
  EXPECT_EQ(tenants[1].at("id").as_string(), "globex");
  EXPECT_EQ(tenants[1].at("totals").at("runs_started").as_int64(), 0);
  EXPECT_EQ(v.at("health_counts").at("ok").as_int64(), 2);

  TestResponse gus = Get("/api/v1/portfolio", Cookie("gus@globex.example"));
  ASSERT_EQ(gus.status, 200) << gus.body;
  const json::value mine = Parse(gus.body);
  const json::array& own = mine.at("tenants").as_array();
  ASSERT_EQ(own.size(), 1u) << gus.body;
  EXPECT_EQ(own[0].at("id").as_string(), "globex");

  // Sees acme (an approver there) but may not read its metrics: left out.
  TestResponse pia = Get("/api/v1/portfolio", Cookie("pia@acme.example"));
  ASSERT_EQ(pia.status, 200) << pia.body;
  EXPECT_TRUE(Parse(pia.body).at("tenants").as_array().empty()) << pia.body;
  EXPECT_EQ(Get("/api/v1/tenants/acme/metrics/overview", Cookie("pia@acme.example")).status, 403);
}

TEST_P(IntelRoutesTest, SkuCategoriesAreSetByWhoManagesConnectionsAndBadEntriesChangeNothing) {
  auto put = [&](const std::string& email, const std::string& body) {
    std::string csrf;
    const std::string cookie = Cookie(email, &csrf);
    return Fetch(server_->port(), "PUT", "/api/v1/tenants/acme/metrics/sku-categories",
                 {cookie, "X-CSRF-Token: " + csrf, "Content-Type: application/json"}, body);
  };
  // A viewer may read metrics, not change their master data.
  EXPECT_EQ(put("ana@acme.example", R"({"items":[{"sku":"TEE","category":"Shirts"}]})").status,
            403);
  TestResponse bad =
      put("lee@nw.example",
          R"({"items":[{"sku":"TEE","category":"Shirts"},{"sku":"","category":"Hats"}]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(Parse(bad.body).at("invalid-params").at(0).at("name").as_string(), "items[1].sku");
  TestResponse not_a_string = put("lee@nw.example", R"({"items":[{"sku":"TEE","category":3}]})");
  EXPECT_EQ(not_a_string.status, 400) << not_a_string.body;
  EXPECT_EQ(Parse(not_a_string.body).at("invalid-params").at(0).at("name").as_string(),
            "items[0].category");
  TestResponse empty =
      Get("/api/v1/tenants/acme/metrics/sku-categories", Cookie("ana@acme.example"));
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(Parse(empty.body).at("items").as_array().empty()) << "a refused call changed data";

  TestResponse ok =
      put("lee@nw.example",
          R"({"items":[{"sku":"TEE","category":"Shirts"},{"sku":"CAP","category":"Hats"}]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Parse(ok.body).at("set").as_int64(), 2);
  TestResponse page =
      Get("/api/v1/tenants/acme/metrics/sku-categories?limit=1", Cookie("ana@acme.example"));
  ASSERT_EQ(page.status, 200) << page.body;
  const json::value first = Parse(page.body);
  EXPECT_EQ(first.at("items").at(0).at("sku").as_string(), "CAP");
  EXPECT_EQ(first.at("next_cursor").as_string(), "CAP");
  TestResponse next = Get("/api/v1/tenants/acme/metrics/sku-categories?limit=1&cursor=CAP",
                          Cookie("ana@acme.example"));
  EXPECT_EQ(Parse(next.body).at("items").at(0).at("category").as_string(), "Shirts");
}

TEST_P(IntelRoutesTest, BrandLabelsAreSetByWhoManagesConnectionsAndShowInTheMetrics) {
  TestResponse before = Get("/api/v1/tenants/acme/metrics/brands", Cookie("ana@acme.example"));
  ASSERT_EQ(before.status, 200) << before.body;
  const json::value listed = Parse(before.body);
  ASSERT_EQ(listed.at("items").as_array().size(), 1u) << before.body;
  EXPECT_EQ(listed.at("items").at(0).at("brand").as_string(), "shop-coastal");  // no label yet
  EXPECT_EQ(listed.at("items").at(0).at("label").as_string(), "");

  // A viewer may read metrics, not label connections.
  EXPECT_EQ(PutBrand("ana@acme.example", "shop-coastal", R"({"brand":"Coastal"})").status, 403);
  TestResponse bad = PutBrand("lee@nw.example", "shop-coastal", R"({"brand":7})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(Parse(bad.body).at("invalid-params").at(0).at("name").as_string(), "brand");
  TestResponse unknown = PutBrand("lee@nw.example", "nope", R"({"brand":"X"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Parse(unknown.body).at("invalid-params").at(0).at("name").as_string(), "connection");

  TestResponse put = PutBrand("lee@nw.example", "shop-coastal", R"({"brand":"Coastal Co."})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Parse(put.body).at("brand").as_string(), "Coastal Co.");

  // A run delivered through the connection now carries the brand.
  InTxn([&](store::Txn& txn) -> Status {
    store::Delivery d;
    d.tenant = TenantId("acme");
    d.id = DeliveryId("dlv_1");
    d.connection = ConnectionId("shop-coastal");
    d.topic = "orders/create";
    d.body = "{}";
    d.received_at = clock_.Now();
    GOVFLOW_RETURN_IF_ERROR(txn.RecordDelivery(d).status());
    store::Run run;
    run.tenant = TenantId("acme");
    run.id = RunId("run_brand");
    run.workflow_name = "order-capture";
    run.workflow_version = 3;
    run.current_step = "validate";
    run.delivery_id = d.id;
    run.input_json = R"({"source_name":"web","line_items":[]})";
    return txn.CreateRun(run);
  });
  ASSERT_TRUE(intel::RollupAllTenants(*store_).ok());
  TestResponse o =
      Get("/api/v1/tenants/acme/metrics/overview?window=1h", Cookie("ana@acme.example"));
  ASSERT_EQ(o.status, 200) << o.body;
  const json::value v = Parse(o.body);
  EXPECT_EQ(v.at("breakdowns").at("brand").at(0).at("value").as_string(), "Coastal Co.") << o.body;
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(IntelRoutesTest);

}  // namespace
}  // namespace govflow::testing
