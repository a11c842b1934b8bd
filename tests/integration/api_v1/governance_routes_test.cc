// The governance routes of /api/v1 over real HTTP on 127.0.0.1 (port 0), on SQLite and
// PostgreSQL, as the console calls them (session cookie + CSRF token): an exception case's
// detail, edit-and-retry (the run changes, the diff is kept), bulk actions on a root-cause group,
// and approval decisions (the requester may not decide their own request; a pricing manager may).
// A refused request (4xx) changes nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/api.h"
#include "api/v1/console.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "governance/documents/lifecycle.h"
#include "integration/api_v1/http_client.h"
#include "unit/governance/exceptions/exception_fixture.h"

namespace govflow::testing {
namespace {

namespace json = boost::json;
namespace gov = governance;

constexpr char kAnaPassword[] = "ana-password-123";
constexpr char kPamPassword[] = "pam-password-123";

json::value Parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

// The names of a problem's invalid-params.
std::vector<std::string> InvalidParams(const TestResponse& r) {
  std::vector<std::string> names;
  json::value v = Parse(r.body);
  if (!v.is_object()) return names;
  if (const json::value* params = v.as_object().if_contains("invalid-params")) {
    for (const json::value& p : params->as_array()) {
      names.emplace_back(p.at("name").as_string());
    }
  }
  return names;
}

class GovernanceRoutesTest : public ExceptionFixture {
 protected:
  void SetUp() override {
    ExceptionFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(
          gov::InitPartner(txn, {"northwind", "Northwind", "lee@nw.example", "Lee", "lee-pw-12345"})
              .status());
      const auto partner = gov::PartnerScope::ForSystem("test");
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, tenant_, "Acme Retail"));
      GOVFLOW_ASSIGN_OR_RETURN(
          ana_, gov::CreateUser(txn, partner, {"ana@acme.example", "Ana", kAnaPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          pam_, gov::CreateUser(txn, partner, {"pam@acme.example", "Pam", kPamPassword}));
      const auto acme = gov::TenantScope::ForSystem(tenant_, "test");
      // Ana works exceptions and also holds the pricing role, so that only the rule that nobody
      // decides their own request stands between her and her own approval.
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana_, "operator"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana_, "pricing_manager"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, pam_, "pricing_manager"));
      store::WorkflowVersion v;
      v.tenant = tenant_;
      v.name = "order-capture";
      v.version = 1;
      v.content_hash = "h1";
      v.source_yaml = OrderCaptureYaml();
      v.published_at = txn.Now();
      return txn.PublishWorkflowVersion(v);
    });
    if (HasFatalFailure()) return;
    auto router = std::make_shared<api::Router>();
    auto handler = api::v1::MountConsole(router, *store_, clock_, {});
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    auto server = api::HttpServer::Start({}, *handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ana_session_ = SignIn("ana@acme.example", kAnaPassword);
    pam_session_ = SignIn("pam@acme.example", kPamPassword);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
    ExceptionFixture::TearDown();
  }

  struct Session {
    std::string cookie;
    std::string csrf;
  };
  Session SignIn(const std::string& email, const std::string& password) {
    json::object body{{"email", email}, {"password", password}};
    TestResponse r = Fetch(server_->port(), "POST", "/api/v1/session",
                           {"Content-Type: application/json"}, json::serialize(body));
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string set = r.Header("Set-Cookie");
    json::value v = Parse(r.body);
    return {set.substr(0, set.find(';')),
            v.is_object() ? std::string(v.at("csrf_token").as_string()) : ""};
  }

  TestResponse Get(const Session& s, const std::string& path) {
    return Fetch(server_->port(), "GET", "/api/v1/tenants/acme" + path, {"Cookie: " + s.cookie});
  }
  TestResponse Post(const Session& s, const std::string& path, const json::value& body) {
    return Fetch(
        server_->port(), "POST", "/api/v1/tenants/acme" + path,
        {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf, "Content-Type: application/json"},
        json::serialize(body));
  }

  store::Run RunOf(const ExceptionCaseId& id) {
    store::Run run;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(tenant_, id));
      GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(tenant_, c.run));
      return Status::Ok();
    });
    return run;
  }

  ExceptionCaseId OpenUnknownSku(int n, std::string_view sku) {
    return OpenCase(tenant_, Order(n, "10.00", "c" + std::to_string(n)), "post_sales_order",
                    "rejected", UnknownSku(sku));
  }

  const TenantId tenant_{"acme"};
  std::string ana_, pam_;
  Session ana_session_, pam_session_;
  std::unique_ptr<api::HttpServer> server_;
};

// ---- Exceptions --------------------------------------------------------------------------------

TEST_P(GovernanceRoutesTest, EditAndRetryChangesTheRunAndKeepsTheDiff) {
  const ExceptionCaseId id = OpenUnknownSku(1, "SKU-404");
  TestResponse payload = Get(ana_session_, "/exceptions/" + id.value() + "/payload");
  ASSERT_EQ(payload.status, 200) << payload.body;
  EXPECT_EQ(Parse(payload.body).at("input").at("line_items").at(0).at("sku").as_string(),
            "SKU-404");

  const json::value patch = json::parse(
      R"([{"op":"test","path":"/input/line_items/0/sku","value":"SKU-404"},
          {"op":"replace","path":"/input/line_items/0/sku","value":"SKU-1"}])");
  TestResponse r = Post(ana_session_, "/exceptions/" + id.value() + "/edit-and-retry",
                        json::object{{"patch", patch}, {"comment", "typo in the SKU"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json::value outcome = Parse(r.body);
  ASSERT_EQ(outcome.at("done").as_array().size(), 1u) << r.body;
  EXPECT_EQ(outcome.at("done").at(0).as_string(), id.value());
  EXPECT_TRUE(outcome.at("skipped").as_array().empty());

  const store::Run run = RunOf(id);
  EXPECT_EQ(run.state, store::RunState::kPending);
  EXPECT_EQ(json::parse(run.input_json).at("line_items").at(0).at("sku").as_string(), "SKU-1");

  TestResponse detail = Get(ana_session_, "/exceptions/" + id.value());
  ASSERT_EQ(detail.status, 200) << detail.body;
  json::value d = Parse(detail.body);
  EXPECT_EQ(d.at("status").as_string(), "retrying");
  ASSERT_TRUE(d.at("history").is_array());
  const json::array& edits = d.at("edits").as_array();
  ASSERT_EQ(edits.size(), 1u) << detail.body;
  EXPECT_EQ(edits[0].at("actor").as_string(), "user:" + ana_);
  EXPECT_EQ(edits[0].at("diff"), json::parse(R"([{"op":"replace","path":"/input/line_items/0/sku",
                             "value":"SKU-1","old":"SKU-404"}])"));
}

TEST_P(GovernanceRoutesTest, FailingPatchIs400NamingThePatchAndChangesNothing) {
  const ExceptionCaseId id = OpenUnknownSku(1, "SKU-404");
  const store::Run before = RunOf(id);
  TestResponse r = Post(
      ana_session_, "/exceptions/" + id.value() + "/edit-and-retry",
      json::object{{"patch", json::parse(R"([{"op":"test","path":"/input/email","value":"x"}])")}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(InvalidParams(r), std::vector<std::string>{"patch"});
  TestResponse missing =
      Post(ana_session_, "/exceptions/" + id.value() + "/edit-and-retry", json::object{});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(InvalidParams(missing), std::vector<std::string>{"patch"});

  const store::Run after = RunOf(id);
  EXPECT_EQ(after.state, store::RunState::kFailed);
  EXPECT_EQ(after.input_json, before.input_json);
  json::value d = Parse(Get(ana_session_, "/exceptions/" + id.value()).body);
  EXPECT_EQ(d.at("status").as_string(), "open");
  EXPECT_TRUE(d.at("edits").as_array().empty());
}

TEST_P(GovernanceRoutesTest, BulkRetryOfAGroupRetriesEveryUnresolvedMember) {
  std::vector<ExceptionCaseId> group;
  for (int i = 0; i < 3; ++i) group.push_back(OpenUnknownSku(i, "SKU-404"));
  const ExceptionCaseId other = OpenUnknownSku(9, "SKU-7");

  TestResponse groups = Get(ana_session_, "/exception-groups");
  ASSERT_EQ(groups.status, 200) << groups.body;
  const json::value listed = Parse(groups.body);
  const json::array& items = listed.at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << groups.body;
  EXPECT_EQ(items[0].at("root_cause").as_string(), "unknown_item:SKU-404");
  EXPECT_EQ(items[0].at("members").as_int64(), 3);

  TestResponse r = Post(ana_session_, "/exceptions/actions",
                        json::object{{"action", "retry"},
                                     {"group", "unknown_item:SKU-404"},
                                     {"comment", "item SKU-404 created"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json::value outcome = Parse(r.body);
  EXPECT_EQ(outcome.at("done").as_array().size(), 3u) << r.body;
  EXPECT_TRUE(outcome.at("skipped").as_array().empty());
  for (const ExceptionCaseId& id : group) {
    EXPECT_EQ(RunOf(id).state, store::RunState::kPending);
  }
  EXPECT_EQ(RunOf(other).state, store::RunState::kFailed);

  // Retrying members are still unresolved: a second bulk retry passes over each, saying why.
  TestResponse again = Post(ana_session_, "/exceptions/actions",
                            json::object{{"action", "retry"}, {"group", "unknown_item:SKU-404"}});
  ASSERT_EQ(again.status, 200) << again.body;
  json::value second = Parse(again.body);
  EXPECT_TRUE(second.at("done").as_array().empty());
  ASSERT_EQ(second.at("skipped").as_array().size(), 3u);
  EXPECT_FALSE(second.at("skipped").at(0).at("reason").as_string().empty());
}

TEST_P(GovernanceRoutesTest, ActionsByIdsCheckTheirFieldsAndRefusalsChangeNothing) {
  const ExceptionCaseId a = OpenUnknownSku(1, "SKU-404");
  const ExceptionCaseId b = OpenUnknownSku(2, "SKU-404");
  const json::array ids{json::value(a.value()), json::value(b.value())};
  // resolve needs a reason; "ids" and "group" are exclusive; actions are a closed list.
  TestResponse no_reason =
      Post(ana_session_, "/exceptions/actions", json::object{{"action", "resolve"}, {"ids", ids}});
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(InvalidParams(no_reason), std::vector<std::string>{"reason"});
  TestResponse both = Post(ana_session_, "/exceptions/actions",
                           json::object{{"action", "acknowledge"}, {"ids", ids}, {"group", "x"}});
  EXPECT_EQ(InvalidParams(both), std::vector<std::string>{"ids"});
  TestResponse unknown =
      Post(ana_session_, "/exceptions/actions", json::object{{"action", "explode"}, {"ids", ids}});
  EXPECT_EQ(InvalidParams(unknown), std::vector<std::string>{"action"});
  for (const ExceptionCaseId& id : {a, b}) {
    EXPECT_EQ(Parse(Get(ana_session_, "/exceptions/" + id.value()).body).at("status").as_string(),
              "open");
  }

  TestResponse resolved = Post(
      ana_session_, "/exceptions/actions",
      json::object{{"action", "resolve"}, {"ids", ids}, {"reason", "fixed in the ERP by hand"}});
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(Parse(resolved.body).at("done").as_array().size(), 2u);
  EXPECT_EQ(Parse(Get(ana_session_, "/exceptions/" + a.value()).body).at("status").as_string(),
            "resolved");
  // A single case that cannot act is the error, not a silent pass-over.
  TestResponse again =
      Post(ana_session_, "/exceptions/actions",
           json::object{{"action", "retry"}, {"ids", json::array{json::value(a.value())}}});
  EXPECT_EQ(again.status, 409) << again.body;
}

TEST_P(GovernanceRoutesTest, UnknownCaseIs404) {
  EXPECT_EQ(Get(ana_session_, "/exceptions/exc_missing").status, 404);
  EXPECT_EQ(Get(ana_session_, "/exceptions/exc_missing/payload").status, 404);
}

TEST_P(GovernanceRoutesTest, AnotherTenantsCaseIsNotFoundThroughOwnTenantsRoutes) {
  const TenantId globex("globex");
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(
        gov::CreateTenant(txn, gov::PartnerScope::ForSystem("test"), globex, "Globex"));
    store::WorkflowVersion v;
    v.tenant = globex;
    v.name = "order-capture";
    v.version = 1;
    v.content_hash = "h1";
    v.source_yaml = OrderCaptureYaml();
    v.published_at = txn.Now();
    return txn.PublishWorkflowVersion(v);
  });
  const ExceptionCaseId theirs = OpenCase(globex, Order(1, "10.00", "g"), "post_sales_order",
                                          "rejected", UnknownSku("SKU-404"));
  // Ana reaches acme's routes, but globex's case id names nothing there.
  EXPECT_EQ(Get(ana_session_, "/exceptions/" + theirs.value()).status, 404);
  EXPECT_EQ(Get(ana_session_, "/exceptions/" + theirs.value() + "/payload").status, 404);
  const json::value patch =
      json::parse(R"([{"op":"replace","path":"/input/line_items/0/sku","value":"SKU-1"}])");
  EXPECT_EQ(Post(ana_session_, "/exceptions/" + theirs.value() + "/edit-and-retry",
                 json::object{{"patch", patch}})
                .status,
            404);
  EXPECT_EQ(
      Post(ana_session_, "/exceptions/actions",
           json::object{{"action", "retry"}, {"ids", json::array{json::value(theirs.value())}}})
          .status,
      404);
  store::Run run;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase c, txn.GetExceptionCase(globex, theirs));
    GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(globex, c.run));
    return Status::Ok();
  });
  EXPECT_EQ(run.state, store::RunState::kFailed);
  EXPECT_EQ(Get(ana_session_, "/runs/" + run.id.value()).status, 404);
}

// ---- Approvals ---------------------------------------------------------------------------------

TEST_P(GovernanceRoutesTest, RequesterCannotDecideTheirOwnApprovalButThePricingManagerCan) {
  std::string task_id;
  InTxn([&](store::Txn& txn) -> Status {
    gov::ApprovalRequest request;
    request.subject_type = "price_change";
    request.subject_id = "pc_1";
    request.title = "SKU-1: 20.00 -> 10.00 EUR (-50%)";
    request.changes_json = R"({"price":{"from":"20.00","to":"10.00"}})";
    request.required_roles = {"pricing_manager"};
    request.requested_by = "user:" + ana_;
    request.rule = "any change beyond 20%";
    GOVFLOW_ASSIGN_OR_RETURN(
        gov::ApprovalTask task,
        gov::RequestApproval(txn, gov::TenantScope::ForSystem(tenant_, "test"), request));
    task_id = task.id;
    return Status::Ok();
  });

  TestResponse shown = Get(pam_session_, "/approvals/" + task_id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  json::value task = Parse(shown.body);
  EXPECT_EQ(task.at("changes").at("price").at("to").as_string(), "10.00");
  EXPECT_EQ(task.at("requested_by").as_string(), "user:" + ana_);
  EXPECT_EQ(task.at("rule").as_string(), "any change beyond 20%");

  TestResponse own = Post(ana_session_, "/approvals/" + task_id + "/decision",
                          json::object{{"approve", true}, {"comment", "looks fine to me"}});
  EXPECT_EQ(own.status, 403) << own.body;
  EXPECT_NE(Parse(own.body).at("detail").as_string().find("your own request"), std::string::npos)
      << own.body;
  json::value unchanged = Parse(Get(pam_session_, "/approvals/" + task_id).body);
  EXPECT_EQ(unchanged.at("state").as_string(), "pending");
  EXPECT_TRUE(unchanged.at("decisions").as_array().empty());

  TestResponse no_comment =
      Post(pam_session_, "/approvals/" + task_id + "/decision", json::object{{"approve", true}});
  EXPECT_EQ(InvalidParams(no_comment), std::vector<std::string>{"comment"});

  TestResponse decided = Post(pam_session_, "/approvals/" + task_id + "/decision",
                              json::object{{"approve", true}, {"comment", "margin is fine"}});
  ASSERT_EQ(decided.status, 200) << decided.body;
  json::value after = Parse(decided.body);
  EXPECT_EQ(after.at("state").as_string(), "approved");
  ASSERT_EQ(after.at("decisions").as_array().size(), 1u);
  EXPECT_EQ(after.at("decisions").at(0).at("actor").as_string(), "user:" + pam_);
  EXPECT_EQ(after.at("decisions").at(0).at("comment").as_string(), "margin is fine");
}

// ---- Price changes -----------------------------------------------------------------------------

TEST_P(GovernanceRoutesTest, PriceChangeBeyondTheThresholdWaitsForThePricingManager) {
  InTxn([&](store::Txn& txn) -> Status {
    store::Connection c;
    c.tenant = tenant_;
    c.id = ConnectionId("shop");
    c.kind = "shopify.admin";
    c.config_json = R"({"shop_url":"http://127.0.0.1:1","access_token":"shpat_test"})";
    c.created_at = clock_.Now();
    c.updated_at = clock_.Now();
    return txn.PutConnection(c);
  });
  auto change = [](std::string_view new_price) {
    return json::object{{"connection", "shop"},        {"sku", "BEANIE-MER-NAV"},
                        {"variant_id", 4530017},       {"old_price", "24.00"},
                        {"new_price", new_price},      {"currency", "EUR"},
                        {"reason", "winter promotion"}};
  };
  // -5%: below the baseline matrix's threshold, released at once.
  TestResponse small = Post(ana_session_, "/price-changes", change("22.80"));
  ASSERT_EQ(small.status, 201) << small.body;
  EXPECT_EQ(Parse(small.body).at("state").as_string(), "released");
  EXPECT_TRUE(Parse(small.body).at("approval_ids").as_array().empty());

  // -25%: waits for a pricing manager; the task shows exactly what changes.
  TestResponse big = Post(ana_session_, "/price-changes", change("18.00"));
  ASSERT_EQ(big.status, 201) << big.body;
  json::value held = Parse(big.body);
  EXPECT_EQ(held.at("state").as_string(), "pending_approval");
  EXPECT_EQ(held.at("rule").as_string(), "price-change-beyond-threshold");
  ASSERT_EQ(held.at("approval_ids").as_array().size(), 1u);
  const std::string task(held.at("approval_ids").at(0).as_string());
  json::value shown = Parse(Get(pam_session_, "/approvals/" + task).body);
  EXPECT_EQ(shown.at("changes").at("price").at("to").as_string(), "18.00");
  EXPECT_EQ(shown.at("requested_by").as_string(), "user:" + ana_);

  // Refused requests name the field and record nothing.
  json::object bad = change("abc");
  TestResponse refused = Post(ana_session_, "/price-changes", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(InvalidParams(refused), std::vector<std::string>{"new_price"});
  bad = change("20.00");
  bad.erase("reason");
  EXPECT_EQ(InvalidParams(Post(ana_session_, "/price-changes", bad)),
            std::vector<std::string>{"reason"});
  TestResponse listed = Get(ana_session_, "/price-changes");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Parse(listed.body).at("items").as_array().size(), 2u);

  EXPECT_EQ(Post(ana_session_, "/approvals/" + task + "/decision",
                 json::object{{"approve", true}, {"comment", "mine"}})
                .status,
            403);
  TestResponse approved = Post(pam_session_, "/approvals/" + task + "/decision",
                               json::object{{"approve", true}, {"comment", "within margin"}});
  ASSERT_EQ(approved.status, 200) << approved.body;
  TestResponse after = Get(ana_session_, "/price-changes?state=released");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(Parse(after.body).at("items").as_array().size(), 2u) << after.body;
}

// ---- Runs and the audit trail ------------------------------------------------------------------

TEST_P(GovernanceRoutesTest, RunsListAndShowTheTenantsRunWithItsInput) {
  const ExceptionCaseId id = OpenUnknownSku(1, "SKU-404");
  const store::Run run = RunOf(id);
  TestResponse listed = Get(ana_session_, "/runs?state=failed");
  ASSERT_EQ(listed.status, 200) << listed.body;
  json::value runs = Parse(listed.body);
  ASSERT_EQ(runs.at("items").as_array().size(), 1u);
  EXPECT_EQ(runs.at("items").at(0).at("id").as_string(), run.id.value());
  EXPECT_TRUE(
      Parse(Get(ana_session_, "/runs?state=succeeded").body).at("items").as_array().empty());
  EXPECT_EQ(InvalidParams(Get(ana_session_, "/runs?state=bogus")),
            std::vector<std::string>{"state"});

  TestResponse shown = Get(ana_session_, "/runs/" + run.id.value());
  ASSERT_EQ(shown.status, 200) << shown.body;
  json::value r = Parse(shown.body);
  EXPECT_EQ(r.at("state").as_string(), "failed");
  EXPECT_EQ(r.at("current_step").as_string(), "post_sales_order");
  EXPECT_EQ(r.at("input").at("line_items").at(0).at("sku").as_string(), "SKU-404");
  EXPECT_TRUE(r.at("history").is_array());
  EXPECT_EQ(Get(ana_session_, "/runs/run_missing").status, 404);
}

TEST_P(GovernanceRoutesTest, AuditTrailIsSearchableAndVerifiesUntilTamperedWith) {
  InTxn([&](store::Txn& txn) {
    return gov::GrantTenantRole(txn, gov::TenantScope::ForSystem(tenant_, "test"), ana_, "auditor");
  });
  const ExceptionCaseId id = OpenUnknownSku(1, "SKU-404");
  ASSERT_EQ(Post(ana_session_, "/exceptions/actions",
                 json::object{{"action", "resolve"},
                              {"ids", json::array{json::value(id.value())}},
                              {"reason", "fixed by hand"}})
                .status,
            200);
  TestResponse found = Get(ana_session_, "/audit?action=exception.&object_id=" + id.value());
  ASSERT_EQ(found.status, 200) << found.body;
  json::value page = Parse(found.body);
  bool resolved = false;
  for (const json::value& e : page.at("items").as_array()) {
    EXPECT_EQ(e.at("object_id").as_string(), id.value());
    if (e.at("action").as_string() == "exception.resolve") {
      resolved = true;
      EXPECT_EQ(e.at("actor").as_string(), "user:" + ana_);
      EXPECT_EQ(e.at("reason").as_string(), "fixed by hand");
    }
  }
  EXPECT_TRUE(resolved) << found.body;
  EXPECT_EQ(InvalidParams(Get(ana_session_, "/audit?from=yesterday")),
            std::vector<std::string>{"from"});
  TestResponse later = Get(ana_session_, "/audit?from=2099-01-01T00:00:00Z");
  ASSERT_EQ(later.status, 200);
  EXPECT_TRUE(Parse(later.body).at("items").as_array().empty());
  // Paging: one event per page, the cursor moves on.
  json::value first = Parse(Get(ana_session_, "/audit?limit=1").body);
  const std::string cursor(first.at("next_cursor").as_string());
  ASSERT_FALSE(cursor.empty());
  json::value second = Parse(Get(ana_session_, "/audit?limit=1&cursor=" + cursor).body);
  EXPECT_GT(second.at("items").at(0).at("seq").as_int64(),
            first.at("items").at(0).at("seq").as_int64());

  TestResponse verified = Post(ana_session_, "/audit/verify", json::object{});
  ASSERT_EQ(verified.status, 200) << verified.body;
  EXPECT_TRUE(Parse(verified.body).at("ok").as_bool()) << verified.body;
  InTxn([&](store::Txn& txn) {
    return txn.sql()
        .Execute(
            "UPDATE audit_events SET reason = 'nothing happened' WHERE tenant_id = ? AND "
            "action = 'exception.resolve'",
            {tenant_.value()})
        .status();
  });
  json::value broken = Parse(Post(ana_session_, "/audit/verify", json::object{}).body);
  EXPECT_FALSE(broken.at("ok").as_bool());
  EXPECT_EQ(broken.at("fault").as_string(), "hash_mismatch");
}

// ---- Governed documents ------------------------------------------------------------------------

constexpr char kRulesV1[] = R"(apiVersion: govflow/v1
kind: ValidationRules
metadata:
  name: price-rules
rules:
  - name: price_positive
    applies_to: master_data:price
    condition: record.price > 0.0
    message: the price must be positive
)";

constexpr char kRulesV2[] = R"(apiVersion: govflow/v1
kind: ValidationRules
metadata:
  name: price-rules
rules:
  - name: price_positive
    applies_to: master_data:price
    condition: record.price >= 0.01
    message: the price must be positive
  - name: sku_present
    applies_to: master_data:price
    condition: has(record.sku)
    message: no SKU
    severity: warning
)";

class DocumentRoutesTest : public GovernanceRoutesTest {
 protected:
  void SetUp() override {
    GovernanceRoutesTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    InTxn([&](store::Txn& txn) -> Status {
      const auto partner = gov::PartnerScope::ForSystem("test");
      const auto acme = gov::TenantScope::ForSystem(tenant_, "test");
      for (const auto& [email, role] : {std::pair{"olga@acme.example", "process_owner"},
                                        std::pair{"bob@acme.example", "process_owner"},
                                        std::pair{"rita@acme.example", "release_manager"}}) {
        GOVFLOW_ASSIGN_OR_RETURN(std::string id,
                                 gov::CreateUser(txn, partner, {email, email, "doc-password-123"}));
        GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, id, role));
      }
      return Status::Ok();
    });
    olga_ = SignIn("olga@acme.example", "doc-password-123");
    bob_ = SignIn("bob@acme.example", "doc-password-123");
    rita_ = SignIn("rita@acme.example", "doc-password-123");
  }

  // Olga drafts a version (drafting has no route yet; the CLI and the governance API do it).
  void Draft(const char* yaml) {
    gov::AccessControl access(*store_, clock_);
    auto principal = access.PrincipalForEmail("olga@acme.example");
    ASSERT_TRUE(principal.ok());
    auto scope = access.Authorize(*principal, tenant_, gov::perm::kDocumentsEdit);
    ASSERT_TRUE(scope.ok()) << scope.status().ToString();
    InTxn([&](store::Txn& txn) {
      return gov::documents::CreateDraft(txn, *scope, {kKind, "price-rules"}, yaml, "rules.yaml")
          .status();
    });
  }

  TestResponse PostIfMatch(const Session& s, const std::string& path, const json::value& body,
                           const std::string& etag) {
    return Fetch(server_->port(), "POST", "/api/v1/tenants/acme" + path,
                 {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf,
                  "Content-Type: application/json", "If-Match: " + etag},
                 json::serialize(body));
  }

  static constexpr gov::documents::DocumentKind kKind =
      gov::documents::DocumentKind::kValidationRules;
  const std::string doc_ =
      "/documents/" + std::string(gov::documents::DocumentKindName(kKind)) + "/price-rules";
  Session olga_, bob_, rita_;
};

TEST_P(DocumentRoutesTest, PromotionNeedsAnotherPersonsApprovalThenPublishes) {
  Draft(kRulesV1);
  const json::object comment{{"comment", "ok"}};
  ASSERT_EQ(Post(olga_, doc_ + "/versions/1/submit", comment).status, 200);
  // The author does not approve their own version; another process owner does.
  EXPECT_EQ(Post(olga_, doc_ + "/versions/1/approve", comment).status, 403);
  ASSERT_EQ(Post(bob_, doc_ + "/versions/1/approve", comment).status, 200);
  TestResponse published =
      Post(olga_, doc_ + "/versions/1/publish", json::object{{"environment", "dev"}});
  ASSERT_EQ(published.status, 200) << published.body;

  TestResponse asked = Post(olga_, doc_ + "/promote", json::object{{"from", "dev"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  json::value first = Parse(asked.body);
  EXPECT_FALSE(first.at("promoted").as_bool());
  EXPECT_EQ(first.at("to").as_string(), "staging");
  const std::string task(first.at("approval_id").as_string());
  ASSERT_FALSE(task.empty());
  // Asking again before anyone decided neither promotes nor opens a second approval.
  json::value again = Parse(Post(olga_, doc_ + "/promote", json::object{{"from", "dev"}}).body);
  EXPECT_FALSE(again.at("promoted").as_bool());
  EXPECT_EQ(again.at("approval_id").as_string(), task);
  json::value staging = Parse(Get(olga_, doc_).body).at("publications").at("staging");
  EXPECT_TRUE(staging.as_array().empty());

  // The promoter cannot decide it; the release manager can, and then the promotion publishes.
  EXPECT_EQ(Post(olga_, "/approvals/" + task + "/decision",
                 json::object{{"approve", true}, {"comment", "mine"}})
                .status,
            403);
  ASSERT_EQ(Post(rita_, "/approvals/" + task + "/decision",
                 json::object{{"approve", true}, {"comment", "release it"}})
                .status,
            200);
  TestResponse promoted = Post(olga_, doc_ + "/promote", json::object{{"from", "dev"}});
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_TRUE(Parse(promoted.body).at("promoted").as_bool());
  TestResponse shown = Get(olga_, doc_);
  ASSERT_EQ(shown.status, 200);
  json::value doc = Parse(shown.body);
  ASSERT_EQ(doc.at("publications").at("staging").as_array().size(), 1u) << shown.body;
  EXPECT_EQ(doc.at("publications").at("staging").at(0).at("approval_id").as_string(), task);
  const json::array& live = doc.at("versions").at(0).at("live_in").as_array();
  EXPECT_EQ(live.size(), 2u) << shown.body;  // dev and staging
}

TEST_P(DocumentRoutesTest, ChangesHonourIfMatchAndAStaleETagIs412ChangingNothing) {
  Draft(kRulesV1);
  TestResponse v1 = Get(olga_, doc_);
  ASSERT_EQ(v1.status, 200) << v1.body;
  const std::string etag1 = v1.Header("ETag");
  ASSERT_FALSE(etag1.empty());
  EXPECT_NE(
      etag1.find(std::string(Parse(v1.body).at("versions").at(0).at("content_hash").as_string())),
      std::string::npos);

  // Bob drafts v2 meanwhile (through the API: validated, so broken YAML is refused naming it);
  // the ETag Olga holds is stale now.
  TestResponse broken = Post(bob_, doc_ + "/versions", json::object{{"yaml", "rules: [unclosed"}});
  EXPECT_EQ(broken.status, 400) << broken.body;
  EXPECT_EQ(InvalidParams(broken), std::vector<std::string>{"yaml"});
  TestResponse drafted =
      PostIfMatch(bob_, doc_ + "/versions", json::object{{"yaml", kRulesV2}}, etag1);
  ASSERT_EQ(drafted.status, 201) << drafted.body;
  EXPECT_EQ(Parse(drafted.body).at("version").as_int64(), 2);
  EXPECT_EQ(Parse(drafted.body).at("author").as_string().rfind("user:", 0), 0u);
  // A second draft against the ETag of v1 is refused: v2 came in between.
  EXPECT_EQ(PostIfMatch(bob_, doc_ + "/versions", json::object{{"yaml", kRulesV1}}, etag1).status,
            412);
  TestResponse stale = PostIfMatch(olga_, doc_ + "/versions/1/submit", json::object{}, etag1);
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(stale.Header("Content-Type"), "application/problem+json");
  TestResponse now = Get(olga_, doc_);
  EXPECT_EQ(Parse(now.body).at("versions").at(0).at("state").as_string(), "draft");
  const std::string etag2 = now.Header("ETag");
  EXPECT_NE(etag2, etag1);
  EXPECT_EQ(PostIfMatch(olga_, doc_ + "/versions/1/submit", json::object{}, etag2).status, 200);
  EXPECT_EQ(Parse(Get(olga_, doc_).body).at("versions").at(0).at("state").as_string(), "submitted");

  // Reading: one version's YAML, and the diff between two.
  TestResponse version = Get(olga_, doc_ + "/versions/2");
  ASSERT_EQ(version.status, 200) << version.body;
  EXPECT_EQ(Parse(version.body).at("yaml").as_string(), kRulesV2);
  TestResponse diff = Get(olga_, doc_ + "/diff?from=1&to=2");
  ASSERT_EQ(diff.status, 200) << diff.body;
  EXPECT_NE(Parse(diff.body).at("text").as_string().find("sku_present"), std::string::npos)
      << diff.body;
  EXPECT_EQ(InvalidParams(Get(olga_, doc_ + "/diff?from=1")), std::vector<std::string>{"to"});
  TestResponse listed = Get(olga_, "/documents");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(Parse(listed.body).at("items").as_array().size(), 1u);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(GovernanceRoutesTest);
GOVFLOW_INSTANTIATE_ON_BOTH_STORES(DocumentRoutesTest);

}  // namespace
}  // namespace govflow::testing
