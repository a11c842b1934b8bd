// The runs and audit routes of /api/v1 over real HTTP on 127.0.0.1 (port 0), on SQLite and
// PostgreSQL, as the console calls them: the runs list (keyset pages, filters, search by business
// key, 400 naming the field for bad values), a run's step timeline (attempts with durations,
// outcomes, error classes, request/response summaries; purged payloads named as such; links to
// the exception case and audit events), and the audit trail's filters and export.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/api.h"
#include "api/v1/console.h"
#include "governance/access.h"
#include "governance/audit.h"
#include "governance/directory.h"
#include "integration/api_v1/http_client.h"
#include "unit/governance/exceptions/exception_fixture.h"

namespace govflow::testing {
namespace {

namespace json = boost::json;
namespace gov = governance;

constexpr char kAnaPassword[] = "ana-password-123";
constexpr char kVicPassword[] = "vic-password-123";

json::value Parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

std::vector<std::string> InvalidParams(const TestResponse& r) {
  std::vector<std::string> names;
  json::value v = Parse(r.body);
  if (!v.is_object()) return names;
  if (const json::value* params = v.as_object().if_contains("invalid-params")) {
    for (const json::value& p : params->as_array()) names.emplace_back(p.at("name").as_string());
  }
  return names;
}

std::vector<std::string> Ids(const json::value& page) {
  std::vector<std::string> ids;
  for (const json::value& r : page.at("items").as_array()) ids.emplace_back(r.at("id").as_string());
  return ids;
}

class RunsAuditRoutesTest : public ExceptionFixture {
 protected:
  void SetUp() override {
    ExceptionFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    SeedTenant(tenant_);
    SeedTenant(globex_);
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(
          gov::InitPartner(txn, {"northwind", "Northwind", "lee@nw.example", "Lee", "lee-pw-12345"})
              .status());
      const auto partner = gov::PartnerScope::ForSystem("test");
      GOVFLOW_ASSIGN_OR_RETURN(
          ana_, gov::CreateUser(txn, partner, {"ana@acme.example", "Ana", kAnaPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          vic_, gov::CreateUser(txn, partner, {"vic@acme.example", "Vic", kVicPassword}));
      const auto acme = gov::TenantScope::ForSystem(tenant_, "test");
      // Ana audits (reads everything, exports the trail); Vic only views the operation.
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana_, "auditor"));
      return gov::GrantTenantRole(txn, acme, vic_, "viewer");
    });
    if (HasFatalFailure()) return;
    auto router = std::make_shared<api::Router>();
    auto handler = api::v1::MountConsole(router, *store_, clock_, {});
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    auto server = api::HttpServer::Start({}, *handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ana_cookie_ = SignIn("ana@acme.example", kAnaPassword);
    vic_cookie_ = SignIn("vic@acme.example", kVicPassword);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
    ExceptionFixture::TearDown();
  }

  std::string SignIn(const std::string& email, const std::string& password) {
    json::object body{{"email", email}, {"password", password}};
    TestResponse r = Fetch(server_->port(), "POST", "/api/v1/session",
                           {"Content-Type: application/json"}, json::serialize(body));
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string set = r.Header("Set-Cookie");
    return set.substr(0, set.find(';'));
  }

  TestResponse Get(const std::string& path, const std::string& cookie = "") {
    return Fetch(server_->port(), "GET", "/api/v1/tenants/acme" + path,
                 {"Cookie: " + (cookie.empty() ? ana_cookie_ : cookie)});
  }

  // Order n as a failed run with an open case; returns the run.
  store::Run FailedOrder(const TenantId& tenant, int n) {
    const ExceptionCaseId id = OpenCase(tenant, Order(n, "10.00", "c" + std::to_string(n)),
                                        "post_sales_order", "rejected", UnknownSku("SKU-404"));
    store::Run run;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(tenant, id));
      GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(tenant, c.run));
      return Status::Ok();
    });
    return run;
  }

  // A succeeded run of order n, created now.
  store::Run SucceededOrder(int n) {
    store::Run r;
    r.tenant = tenant_;
    r.id = RunId("run_ok_" + std::to_string(n));
    r.workflow_name = "order-capture";
    r.workflow_version = 1;
    r.state = store::RunState::kSucceeded;
    r.current_step = "";
    r.input_json = Order(n, "10.00", "s");
    InTxn([&](store::Txn& txn) { return txn.CreateRun(r); });
    return r;
  }

  const TenantId tenant_{"acme"};
  const TenantId globex_{"globex"};
  std::string ana_, vic_;
  std::string ana_cookie_, vic_cookie_;
  std::unique_ptr<api::HttpServer> server_;
};

// ---- The runs list -----------------------------------------------------------------------------

TEST_P(RunsAuditRoutesTest, RunsPageNewestFirstByCursorWithoutGapsOrRepeats) {
  std::vector<std::string> created;
  for (int n = 1; n <= 5; ++n) {
    clock_.Advance(std::chrono::seconds(1));
    created.push_back(SucceededOrder(n).id.value());
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    TestResponse r = Get("/runs?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    json::value v = Parse(r.body);
    for (const std::string& id : Ids(v)) seen.push_back(id);
    cursor = std::string(v.at("next_cursor").as_string());
    if (cursor.empty()) break;
  }
  std::vector<std::string> newest_first(created.rbegin(), created.rend());
  EXPECT_EQ(seen, newest_first);
  // A run created while paging does not shift the pages already read.
  json::value oldest = Parse(Get("/runs?order=oldest&limit=10").body);
  EXPECT_EQ(Ids(oldest), created);
}

TEST_P(RunsAuditRoutesTest, RunsFilterByStateWorkflowAndCreationTime) {
  const std::string start = "2027-01-15T08:00:00Z";  // clock_ starts at 1'800'000'000 s
  const store::Run failed = FailedOrder(tenant_, 1);
  clock_.Advance(std::chrono::minutes(10));
  const store::Run ok = SucceededOrder(2);
  EXPECT_EQ(Ids(Parse(Get("/runs?state=failed").body)),
            std::vector<std::string>{failed.id.value()});
  EXPECT_EQ(Ids(Parse(Get("/runs?state=succeeded&workflow=order-capture").body)),
            std::vector<std::string>{ok.id.value()});
  EXPECT_TRUE(Ids(Parse(Get("/runs?workflow=returns").body)).empty());
  EXPECT_EQ(Ids(Parse(Get("/runs?created_to=2027-01-15T08:05:00Z").body)),
            std::vector<std::string>{failed.id.value()});
  EXPECT_EQ(Ids(Parse(Get("/runs?created_from=2027-01-15T08:05:00Z").body)),
            std::vector<std::string>{ok.id.value()});
  EXPECT_EQ(Ids(Parse(Get("/runs?created_from=" + start + "&created_to=2027-01-15T09:00:00Z").body))
                .size(),
            2u);
}

TEST_P(RunsAuditRoutesTest, BadRunsQueryIs400NamingTheField) {
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"state=bogus", "state"},
           {"created_from=yesterday", "created_from"},
           {"created_to=31/12/2027", "created_to"},
           {"created_to=2027-13-01T00:00:00Z", "created_to"},
           {"created_from=2027-02-30T00:00:00Z", "created_from"},
           {"created_from=2027-01-01T24:00:00Z", "created_from"},
           {"created_from=2027-01-02T00:00:00Z&created_to=2027-01-01T00:00:00Z", "created_to"},
           {"cursor=nonsense", "cursor"},
           {"order=sideways", "order"},
           {"limit=0", "limit"},
           {"limit=501", "limit"},
       }) {
    TestResponse r = Get("/runs?" + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << query;
    EXPECT_EQ(InvalidParams(r), std::vector<std::string>{field}) << query;
  }
}

TEST_P(RunsAuditRoutesTest, RunIsFoundByOrderNameNumberOrIdAndOnlyInItsTenant) {
  const store::Run mine = FailedOrder(tenant_, 7);  // order #1007, id 1007
  FailedOrder(globex_, 7);                          // the same order number at another tenant
  SucceededOrder(8);
  for (std::string_view q : {"%231007", "1007", "%20%231007%20"}) {
    TestResponse r = Get("/runs?q=" + std::string(q));
    ASSERT_EQ(r.status, 200) << r.body;
    json::value v = Parse(r.body);
    EXPECT_EQ(Ids(v), std::vector<std::string>{mine.id.value()}) << q;
    EXPECT_EQ(v.at("items").at(0).at("reference").as_string(), "#1007");
  }
  EXPECT_TRUE(Ids(Parse(Get("/runs?q=%239999").body)).empty());
  EXPECT_TRUE(Ids(Parse(Get("/runs?q=1007&state=succeeded").body)).empty());
}

// ---- One run -----------------------------------------------------------------------------------

TEST_P(RunsAuditRoutesTest, RunShowsItsTimelineWithAttemptsCallsAndLinks) {
  const store::Run run = FailedOrder(tenant_, 3);
  InTxn([&](store::Txn& txn) -> Status {
    store::Effect e;
    e.tenant = tenant_;
    e.idempotency_key = "acme:" + run.id.value() + ":post_sales_order";
    e.run = run.id;
    e.step = "post_sales_order";
    e.connection = ConnectionId("erp");
    e.business_key = "SHOP-1003";
    e.request_json = R"({"externalDocumentNumber":"SHOP-1003","customerNumber":"C1"})";
    GOVFLOW_RETURN_IF_ERROR(txn.BeginEffect(e).status());
    store::RunEvent attempt;
    attempt.tenant = tenant_;
    attempt.run = run.id;
    attempt.kind = "attempt";
    attempt.step = "post_sales_order";
    attempt.attempt = 1;
    attempt.payload_json = R"({"business_key":"SHOP-1003"})";
    return txn.AppendRunEvent(attempt).status();
  });
  clock_.Advance(std::chrono::milliseconds(1500));
  InTxn([&](store::Txn& txn) -> Status {
    store::RunEvent result;
    result.tenant = tenant_;
    result.run = run.id;
    result.kind = "attempt_result";
    result.step = "post_sales_order";
    result.attempt = 1;
    result.payload_json =
        R"({"outcome":"failed","error_class":"rejected","detail":"HTTP 400: Item SKU-404"})";
    GOVFLOW_RETURN_IF_ERROR(txn.AppendRunEvent(result).status());
    store::RunEvent failed;
    failed.tenant = tenant_;
    failed.run = run.id;
    failed.kind = "transition";
    failed.step = "post_sales_order";
    failed.payload_json =
        R"({"to":"failed","error_class":"rejected","message":"the ERP refused the order"})";
    return txn.AppendRunEvent(failed).status();
  });

  TestResponse r = Get("/runs/" + run.id.value());
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Parse(r.body);
  EXPECT_EQ(v.at("reference").as_string(), "#1003");
  EXPECT_EQ(v.at("input").at("name").as_string(), "#1003");
  EXPECT_TRUE(v.at("input_retention").is_null());
  const json::array& timeline = v.at("timeline").as_array();
  ASSERT_EQ(timeline.size(), 3u) << r.body;
  EXPECT_EQ(timeline[0].at("kind").as_string(), "attempt");
  EXPECT_EQ(timeline[0].at("outcome").as_string(), "sent");
  EXPECT_NE(timeline[0].at("request_summary").as_string().find("SHOP-1003"), std::string::npos);
  EXPECT_EQ(timeline[1].at("kind").as_string(), "attempt_result");
  EXPECT_EQ(timeline[1].at("attempt").as_int64(), 1);
  EXPECT_EQ(timeline[1].at("outcome").as_string(), "failed");
  EXPECT_EQ(timeline[1].at("error_class").as_string(), "rejected");
  EXPECT_EQ(timeline[1].at("duration_ms").as_int64(), 1500);
  EXPECT_EQ(timeline[1].at("response_summary").as_string(), "HTTP 400: Item SKU-404");
  EXPECT_EQ(timeline[1].at("message").as_string(), "");  // the detail is shown once
  EXPECT_EQ(timeline[2].at("outcome").as_string(), "failed");
  EXPECT_EQ(timeline[2].at("message").as_string(), "the ERP refused the order");
  ASSERT_EQ(v.at("calls").as_array().size(), 1u);
  EXPECT_EQ(v.at("calls").at(0).at("business_key").as_string(), "SHOP-1003");
  EXPECT_EQ(v.at("calls").at(0).at("request").at("customerNumber").as_string(), "C1");
  ASSERT_EQ(v.at("exception_cases").as_array().size(), 1u);
  EXPECT_EQ(v.at("exception_cases").at(0).at("state").as_string(), "open");
  EXPECT_EQ(v.at("audit").at("object_id").as_string(), run.id.value());
  // The effect's business key finds the run too.
  EXPECT_EQ(Ids(Parse(Get("/runs?q=SHOP-1003").body)), std::vector<std::string>{run.id.value()});
}

TEST_P(RunsAuditRoutesTest, TimelineEntriesNameTheirApprovalAndExceptionCase) {
  const store::Run run = FailedOrder(tenant_, 6);
  InTxn([&](store::Txn& txn) -> Status {
    for (const auto& [kind, payload] : std::vector<std::pair<std::string, std::string>>{
             {"approval", R"({"task":"apr_42","state":"approved"})"},
             {"retry", R"({"exception":"exc_42"})"}}) {
      store::RunEvent e;
      e.tenant = tenant_;
      e.run = run.id;
      e.kind = kind;
      e.step = "post_sales_order";
      e.payload_json = payload;
      GOVFLOW_RETURN_IF_ERROR(txn.AppendRunEvent(e).status());
    }
    return Status::Ok();
  });
  json::value v = Parse(Get("/runs/" + run.id.value()).body);
  const json::array& timeline = v.at("timeline").as_array();
  ASSERT_EQ(timeline.size(), 2u);
  EXPECT_EQ(timeline[0].at("approval_id").as_string(), "apr_42");
  EXPECT_EQ(timeline[0].at("outcome").as_string(), "approved");
  EXPECT_EQ(timeline[0].at("exception_id").as_string(), "");
  EXPECT_EQ(timeline[1].at("exception_id").as_string(), "exc_42");
  EXPECT_EQ(timeline[1].at("approval_id").as_string(), "");
}

TEST_P(RunsAuditRoutesTest, PayloadPurgedByRetentionIsShownAsPurgedWithItsDate) {
  const store::Run run = FailedOrder(tenant_, 4);
  // The marker governance/retention.cc writes in place of a purged body (at = 2027-01-20).
  InTxn([&](store::Txn& txn) {
    return txn.sql()
        .Execute("UPDATE run_inputs SET input_json = ? WHERE tenant_id = ? AND run_id = ?",
                 {R"({"govflow_purged":{"at":1800403200000000,"rule":"payloads-90-days"}})",
                  tenant_.value(), run.id.value()})
        .status();
  });
  json::value v = Parse(Get("/runs/" + run.id.value()).body);
  EXPECT_TRUE(v.at("input").is_null());
  EXPECT_EQ(v.at("input_note").as_string(), "purged by retention on 2027-01-20");
  EXPECT_EQ(v.at("input_retention").at("rule").as_string(), "payloads-90-days");
  EXPECT_EQ(v.at("reference").as_string(), "");
  // Its keys stay searchable: ids are never purged with the body.
  EXPECT_EQ(Ids(Parse(Get("/runs?q=1004").body)), std::vector<std::string>{run.id.value()});
}

TEST_P(RunsAuditRoutesTest, AnotherTenantsRunIsNotFound) {
  const store::Run theirs = FailedOrder(globex_, 5);
  EXPECT_EQ(Get("/runs/" + theirs.id.value()).status, 404);
  EXPECT_TRUE(Ids(Parse(Get("/runs").body)).empty());
}

// ---- The audit trail ---------------------------------------------------------------------------

TEST_P(RunsAuditRoutesTest, AuditFiltersByActorActionPrefixObjectAndTime) {
  InTxn([&](store::Txn& txn) -> Status {
    for (const auto& [actor, action, id] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"user:ana", "price_change.request", "pc_1"},
             {"user:bob", "price_change.request", "pc_2"},
             {"user:ana", "exception.resolve", "exc_1"}}) {
      gov::AuditRecord rec;
      rec.actor = actor;
      rec.action = action;
      rec.object_type = action.substr(0, action.find('.'));
      rec.object_id = id;
      rec.after_digest = "ab";
      GOVFLOW_RETURN_IF_ERROR(gov::AppendAudit(txn, tenant_, rec).status());
    }
    return Status::Ok();
  });
  auto objects = [&](const std::string& query) {
    std::vector<std::string> ids;
    json::value v = Parse(Get("/audit?" + query).body);
    for (const json::value& e : v.at("items").as_array()) {
      if (e.at("object_id").as_string().starts_with("pc_") ||
          e.at("object_id").as_string().starts_with("exc_1")) {
        ids.emplace_back(e.at("object_id").as_string());
      }
    }
    return ids;
  };
  EXPECT_EQ(objects("actor=user:ana"), (std::vector<std::string>{"pc_1", "exc_1"}));
  EXPECT_EQ(objects("action=price_change."), (std::vector<std::string>{"pc_1", "pc_2"}));
  EXPECT_EQ(objects("object_type=price_change&object_id=pc_2"), std::vector<std::string>{"pc_2"});
  EXPECT_TRUE(objects("to=2000-01-01T00:00:00Z").empty());
  json::value one = Parse(Get("/audit?object_id=pc_1").body);
  const json::value& e = one.at("items").at(0);
  EXPECT_EQ(e.at("hash").as_string().size(), 64u);
  EXPECT_EQ(e.at("prev_hash").as_string().size(), 64u);
  EXPECT_EQ(e.at("after_digest").as_string(), "ab");
  EXPECT_EQ(InvalidParams(Get("/audit?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z")),
            std::vector<std::string>{"to"});
  EXPECT_EQ(InvalidParams(Get("/audit?cursor=-3")), std::vector<std::string>{"cursor"});
}

TEST_P(RunsAuditRoutesTest, AuditExportIsCsvOrJsonLinesOfTheFilteredTrailForExportersOnly) {
  FailedOrder(tenant_, 1);
  FailedOrder(tenant_, 2);
  json::value listed = Parse(Get("/audit?limit=1000").body);
  const size_t events = listed.at("items").as_array().size();
  ASSERT_GT(events, 1u);

  TestResponse csv = Get("/audit/export?format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv.Header("Content-Disposition").find("audit-acme.csv"), std::string::npos);
  EXPECT_TRUE(csv.body.starts_with("seq,at,actor,action,")) << csv.body;
  size_t rows = 0;
  for (size_t at = 0; (at = csv.body.find("\r\n", at)) != std::string::npos; at += 2) ++rows;
  EXPECT_EQ(rows, events + 1);  // the header and one row per event

  TestResponse lines = Get("/audit/export?format=jsonl&action=exception.");
  ASSERT_EQ(lines.status, 200) << lines.body;
  size_t n = 0;
  for (size_t start = 0, nl; (nl = lines.body.find('\n', start)) != std::string::npos;
       start = nl + 1, ++n) {
    json::value e = Parse(lines.body.substr(start, nl - start));
    ASSERT_TRUE(e.is_object());
    EXPECT_TRUE(e.at("action").as_string().starts_with("exception.")) << e;
  }
  EXPECT_GT(n, 0u);

  EXPECT_EQ(InvalidParams(Get("/audit/export?format=xml")), std::vector<std::string>{"format"});
  EXPECT_EQ(InvalidParams(Get("/audit/export?from=soon")), std::vector<std::string>{"from"});
  // A viewer holds neither audit.read nor audit.export.
  EXPECT_EQ(Get("/audit/export", vic_cookie_).status, 403);
  EXPECT_EQ(Get("/audit", vic_cookie_).status, 403);
  EXPECT_EQ(Get("/runs", vic_cookie_).status, 200);
}

// ---- Price changes: the console's request form names no connection ----------------------------

TEST_P(RunsAuditRoutesTest, PriceChangeWithoutConnectionGoesToTheTenantsOnlyStorefront) {
  InTxn([&](store::Txn& txn) {
    return gov::GrantTenantRole(txn, gov::TenantScope::ForSystem(tenant_, "test"), ana_,
                                "operator");
  });
  const std::string csrf = [&] {
    TestResponse me = Fetch(server_->port(), "GET", "/api/v1/me", {"Cookie: " + ana_cookie_});
    return std::string(Parse(me.body).at("csrf_token").as_string());
  }();
  auto request = [&] {
    json::object body{{"sku", "BEANIE-MER-NAV"}, {"variant_id", 4530017}, {"old_price", "24.00"},
                      {"new_price", "23.00"},    {"currency", "EUR"},     {"reason", "promotion"}};
    return Fetch(
        server_->port(), "POST", "/api/v1/tenants/acme/price-changes",
        {"Cookie: " + ana_cookie_, "X-CSRF-Token: " + csrf, "Content-Type: application/json"},
        json::serialize(body));
  };
  auto add_storefront = [&](const std::string& id) {
    InTxn([&](store::Txn& txn) {
      store::Connection c;
      c.tenant = tenant_;
      c.id = ConnectionId(id);
      c.kind = "shopify.admin";
      c.config_json = R"({"shop_url":"http://127.0.0.1:1","access_token":"shpat_test"})";
      c.created_at = clock_.Now();
      c.updated_at = clock_.Now();
      return txn.PutConnection(c);
    });
  };
  // None: the field is named.
  TestResponse none = request();
  EXPECT_EQ(none.status, 400) << none.body;
  EXPECT_EQ(InvalidParams(none), std::vector<std::string>{"connection"});
  add_storefront("storefront");
  TestResponse one = request();
  ASSERT_EQ(one.status, 201) << one.body;
  EXPECT_EQ(Parse(one.body).at("connection").as_string(), "storefront");
  // Two: which one is meant must be said.
  add_storefront("outlet");
  TestResponse two = request();
  EXPECT_EQ(two.status, 400) << two.body;
  EXPECT_EQ(InvalidParams(two), std::vector<std::string>{"connection"});
  json::value listed = Parse(Get("/price-changes").body);
  EXPECT_EQ(listed.at("items").as_array().size(), 1u);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(RunsAuditRoutesTest);

}  // namespace
}  // namespace govflow::testing
