// /api/v1 and the console over real HTTP on 127.0.0.1 (port 0), on SQLite and PostgreSQL: the
// sign-in rules (cookie attributes, lockout, rate limit), CSRF on changes made with the cookie,
// sign-out (this session, everywhere), API tokens, and the route table's checks applied to EVERY
// route of api::v1::Routes() (so a new route is covered without touching this file). Then the
// console's static files (caching, SPA fallback, no path traversal) and the branding file.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <thread>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/api.h"
#include "api/v1/console.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/audit.h"
#include "governance/directory.h"
#include "integration/api_v1/http_client.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::testing {
namespace {

namespace json = boost::json;
namespace gov = governance;
using api::v1::Access;

constexpr char kAnaPassword[] = "ana-password-123";
constexpr char kGusPassword[] = "gus-password-123";
constexpr char kLeePassword[] = "lee-password-123";

std::string Json(std::initializer_list<std::pair<std::string, std::string>> members) {
  json::object o;
  for (const auto& [k, v] : members) o[k] = v;
  return json::serialize(o);
}

json::value Parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

// The cookie "session=..." from a Set-Cookie header.
std::string CookieOf(const TestResponse& r) {
  const std::string set = r.Header("Set-Cookie");
  return set.substr(0, set.find(';'));
}

void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

class ApiV1Test : public GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (temp_dir_.empty()) {
      temp_dir_ =
          std::filesystem::temp_directory_path() / ("govflow-apiv1-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(std::random_device{}()));
    }
    web_root_ = temp_dir_ / "web";
    WriteFile(web_root_ / "index.html", "<!doctype html><title>console</title>");
    WriteFile(web_root_ / "assets" / "index-3f2a1b.js", "console.log(1)");
    WriteFile(web_root_ / "favicon.svg", "<svg/>");
    WriteFile(temp_dir_ / "secret.txt", "TOP-SECRET");
    branding_file_ = temp_dir_ / "branding.json";

    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          auto init,
          gov::InitPartner(txn, {"northwind", "Northwind", "lee@nw.example", "Lee", kLeePassword}));
      lee_ = init.admin_user_id;
      const auto partner = gov::PartnerScope::ForSystem("test");
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, TenantId("acme"), "Acme Retail"));
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, TenantId("globex"), "Globex"));
      GOVFLOW_ASSIGN_OR_RETURN(
          ana_, gov::CreateUser(txn, partner, {"ana@acme.example", "Ana", kAnaPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          gus_, gov::CreateUser(txn, partner, {"gus@globex.example", "Gus", kGusPassword}));
      const auto acme = gov::TenantScope::ForSystem(TenantId("acme"), "test");
      const auto globex = gov::TenantScope::ForSystem(TenantId("globex"), "test");
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana_, "tenant_admin"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, globex, gus_, "tenant_admin"));
      GOVFLOW_ASSIGN_OR_RETURN(auto ana_token,
                               gov::IssueTenantToken(txn, acme, ana_, "ci", std::nullopt));
      ana_token_ = ana_token.token;
      GOVFLOW_ASSIGN_OR_RETURN(auto gus_token,
                               gov::IssueTenantToken(txn, globex, gus_, "ci", std::nullopt));
      gus_token_ = gus_token.token;
      return Status::Ok();
    });
    if (HasFatalFailure()) return;
    StartServer(10);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
    GovernanceStoreTest::TearDown();
  }

  void StartServer(int login_attempts) {
    if (server_) server_->Stop(std::chrono::seconds(2));
    auto router = std::make_shared<api::Router>();
    api::v1::ConsoleOptions options;
    options.web_root = web_root_;
    options.api.branding_file = branding_file_;
    options.api.login_attempts_per_window = login_attempts;
    auto handler = api::v1::MountConsole(router, *store_, clock_, options);
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    auto server = api::HttpServer::Start({}, *handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  TestResponse Get(const std::string& target, const std::vector<std::string>& headers = {}) {
    return Fetch(server_->port(), "GET", target, headers);
  }

  TestResponse SignIn(const std::string& email, const std::string& password) {
    return Fetch(server_->port(), "POST", "/api/v1/session", {"Content-Type: application/json"},
                 Json({{"email", email}, {"password", password}}));
  }

  struct Session {
    std::string cookie;  // "session=..."
    std::string csrf;
  };
  Session SignedIn(const std::string& email, const std::string& password) {
    TestResponse r = SignIn(email, password);
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = Parse(r.body);
    return {CookieOf(r), v.is_object() ? std::string(v.at("csrf_token").as_string()) : ""};
  }

  std::filesystem::path web_root_;
  std::filesystem::path branding_file_;
  std::string lee_, ana_, gus_;
  std::string ana_token_, gus_token_;
  std::unique_ptr<api::HttpServer> server_;
};

// ---- Sign-in ---------------------------------------------------------------------------------

TEST_P(ApiV1Test, SignsInAndSetsHttpOnlyStrictCookieThatAuthenticatesMe) {
  TestResponse r = SignIn("ana@acme.example", kAnaPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cookie = r.Header("Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("session=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "no TLS here: " << cookie;
  json::value created = Parse(r.body);
  ASSERT_TRUE(created.is_object()) << r.body;
  EXPECT_EQ(created.at("user").at("email").as_string(), "ana@acme.example");
  const std::string csrf(created.at("csrf_token").as_string());
  EXPECT_EQ(csrf.size(), 64u);

  TestResponse me = Get("/api/v1/me", {"Cookie: " + CookieOf(r)});
  ASSERT_EQ(me.status, 200) << me.body;
  json::value v = Parse(me.body);
  EXPECT_EQ(v.at("user").at("id").as_string(), ana_);
  EXPECT_EQ(v.at("csrf_token").as_string(), csrf);
  const json::array& tenants = v.at("tenants").as_array();
  ASSERT_EQ(tenants.size(), 1u) << me.body;  // acme only, never globex
  EXPECT_EQ(tenants[0].at("id").as_string(), "acme");
  EXPECT_EQ(tenants[0].at("display_name").as_string(), "Acme Retail");
  EXPECT_NE(me.body.find("\"exceptions.read\""), std::string::npos);
}

TEST_P(ApiV1Test, SessionCookieIsSecureWhenTlsIsOn) {
  auto router = std::make_shared<api::Router>();
  api::v1::ConsoleOptions options;
  options.api.secure_cookies = true;
  auto handler = api::v1::MountConsole(router, *store_, clock_, options);
  ASSERT_TRUE(handler.ok());
  auto server = api::HttpServer::Start({}, *handler);
  ASSERT_TRUE(server.ok());
  TestResponse r =
      Fetch((*server)->port(), "POST", "/api/v1/session", {"Content-Type: application/json"},
            Json({{"email", "ana@acme.example"}, {"password", kAnaPassword}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Header("Set-Cookie").find("; Secure"), std::string::npos) << r.Header("Set-Cookie");
}

TEST_P(ApiV1Test, WrongPasswordGets401ProblemJsonAndNoCookie) {
  TestResponse r = SignIn("ana@acme.example", "not-the-password");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.Header("Set-Cookie"), "");
  EXPECT_EQ(Parse(r.body).at("status").as_int64(), 401);
}

TEST_P(ApiV1Test, MissingPasswordIs400NamingTheField) {
  TestResponse r = Fetch(server_->port(), "POST", "/api/v1/session",
                         {"Content-Type: application/json"}, Json({{"email", "ana@acme.example"}}));
  EXPECT_EQ(r.status, 400);
  json::value v = Parse(r.body);
  ASSERT_TRUE(v.is_object()) << r.body;
  EXPECT_EQ(v.at("invalid-params").at(0).at("name").as_string(), "password");
}

TEST_P(ApiV1Test, SignInAcceptsOnlyJsonSoCrossSiteFormsCannotSignAnyoneIn) {
  TestResponse r = Fetch(server_->port(), "POST", "/api/v1/session",
                         {"Content-Type: application/x-www-form-urlencoded"},
                         "email=ana%40acme.example&password=ana-password-123");
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(r.Header("Set-Cookie"), "");
  EXPECT_NE(r.body.find("Content-Type"), std::string::npos) << r.body;
}

TEST_P(ApiV1Test, SessionStartAndEndAreAuditedInThePartnerChainWithoutTheToken) {
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  ASSERT_EQ(Fetch(server_->port(), "DELETE", "/api/v1/session",
                  {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf})
                .status,
            204);
  ASSERT_EQ(
      Fetch(server_->port(), "DELETE", "/api/v1/sessions", {"Authorization: Bearer " + ana_token_})
          .status,
      204);
  std::vector<std::string> actions;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto events, gov::ReadStoredAuditEvents(txn, TenantId(std::string(gov::kPartnerAuditChain)),
                                                1, 0, 1000));
    for (const auto& e : events) {
      if (!e.record.action.starts_with("session.")) continue;
      actions.push_back(e.record.action + " " + e.record.actor + " " + e.record.object_id);
      const std::string all = e.record.details_json + e.record.reason + e.record.object_id;
      EXPECT_EQ(all.find(s.cookie.substr(8)), std::string::npos) << "the token leaked";
      EXPECT_EQ(all.find(s.csrf), std::string::npos) << "the CSRF token leaked";
    }
    return Status::Ok();
  });
  ASSERT_EQ(actions.size(), 3u);
  EXPECT_EQ(actions[0], "session.start user:" + ana_ + " " + ana_);
  EXPECT_EQ(actions[1], "session.end user:" + ana_ + " " + ana_);
  EXPECT_TRUE(actions[2].starts_with("session.end_all token:")) << actions[2];
}

TEST_P(ApiV1Test, LocksTheAccountAfterRepeatedWrongPasswordsEvenForTheRightOne) {
  for (int i = 0; i < gov::AccessControl::kMaxFailedLogins; ++i) {
    EXPECT_EQ(SignIn("ana@acme.example", "wrong-password-" + std::to_string(i)).status, 401);
  }
  EXPECT_EQ(SignIn("ana@acme.example", kAnaPassword).status, 401);
  // Another person is not affected.
  EXPECT_EQ(SignIn("gus@globex.example", kGusPassword).status, 200);
  clock_.Advance(gov::AccessControl::kLockoutPeriod + std::chrono::seconds(1));
  EXPECT_EQ(SignIn("ana@acme.example", kAnaPassword).status, 200);
}

TEST_P(ApiV1Test, RateLimitsSignInAttemptsPerClientAddressWithRetryAfter) {
  StartServer(3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(SignIn("nobody@example.com", "whatever-password").status, 401);
  }
  TestResponse limited = SignIn("ana@acme.example", kAnaPassword);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.Header("Content-Type"), "application/problem+json");
  const std::string retry = limited.Header("Retry-After");
  ASSERT_FALSE(retry.empty());
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 60);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(SignIn("ana@acme.example", kAnaPassword).status, 200);
}

// ---- CSRF and sign-out -------------------------------------------------------------------------

TEST_P(ApiV1Test, DeleteSessionWithCookieRequiresTheCsrfToken) {
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  TestResponse none = Fetch(server_->port(), "DELETE", "/api/v1/session", {"Cookie: " + s.cookie});
  EXPECT_EQ(none.status, 403) << none.body;
  EXPECT_NE(none.body.find("X-CSRF-Token"), std::string::npos) << none.body;
  TestResponse wrong = Fetch(server_->port(), "DELETE", "/api/v1/session",
                             {"Cookie: " + s.cookie, "X-CSRF-Token: " + std::string(64, 'a')});
  EXPECT_EQ(wrong.status, 403);
  // Still signed in after the refused attempts.
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + s.cookie}).status, 200);
}

TEST_P(ApiV1Test, SignOutEndsTheSessionAndClearsTheCookie) {
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  TestResponse out = Fetch(server_->port(), "DELETE", "/api/v1/session",
                           {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf});
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_NE(out.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + s.cookie}).status, 401);
}

TEST_P(ApiV1Test, SignOutEverywhereEndsEverySessionOfTheUserOnly) {
  Session laptop = SignedIn("ana@acme.example", kAnaPassword);
  Session phone = SignedIn("ana@acme.example", kAnaPassword);
  Session other = SignedIn("gus@globex.example", kGusPassword);
  TestResponse out = Fetch(server_->port(), "DELETE", "/api/v1/sessions",
                           {"Cookie: " + laptop.cookie, "X-CSRF-Token: " + laptop.csrf});
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + laptop.cookie}).status, 401);
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + phone.cookie}).status, 401);
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + other.cookie}).status, 200);
}

TEST_P(ApiV1Test, SessionEndsAfterItsIdleTimeout) {
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  clock_.Advance(api::v1::SessionLimits{}.idle + std::chrono::seconds(1));
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + s.cookie}).status, 401);
}

TEST_P(ApiV1Test, SessionEndsAtItsAbsoluteLifetimeEvenWhenActive) {
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  const auto limits = api::v1::SessionLimits{};
  auto elapsed = std::chrono::microseconds(0);
  const auto step = limits.idle - std::chrono::minutes(1);
  while (elapsed + step < limits.lifetime) {
    clock_.Advance(step);
    elapsed += step;
    ASSERT_EQ(Get("/api/v1/me", {"Cookie: " + s.cookie}).status, 200)
        << "active session ended early";
  }
  clock_.Advance(limits.lifetime - elapsed + std::chrono::seconds(1));
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + s.cookie}).status, 401);
}

TEST_P(ApiV1Test, BearerTokenAuthenticatesAndNeedsNoCsrfToken) {
  TestResponse me = Get("/api/v1/me", {"Authorization: Bearer " + ana_token_});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Parse(me.body).at("user").at("id").as_string(), ana_);
  EXPECT_EQ(Get("/api/v1/tenants/acme/approvals", {"Authorization: Bearer " + ana_token_}).status,
            200);
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  // A change with the token and no CSRF header: accepted, and it ends the user's sessions.
  TestResponse out =
      Fetch(server_->port(), "DELETE", "/api/v1/sessions", {"Authorization: Bearer " + ana_token_});
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_EQ(Get("/api/v1/me", {"Cookie: " + s.cookie}).status, 401);
  EXPECT_EQ(Get("/api/v1/me", {"Authorization: Bearer gft_not-a-real-token"}).status, 401);
}

// ---- The route table: every route -------------------------------------------------------------

std::string Target(const api::v1::RouteSpec& route, std::string_view tenant) {
  std::string path(route.pattern);
  const size_t at = path.find("{tenant}");
  if (at != std::string::npos) path.replace(at, 8, tenant);
  return path;
}

TEST_P(ApiV1Test, EveryNonPublicRouteWithoutCredentialsGets401) {
  int checked = 0;
  for (const api::v1::RouteSpec& route : api::v1::Routes()) {
    if (route.access == Access::kPublic) continue;
    const std::string target = Target(route, "acme");
    for (const std::vector<std::string>& creds : {std::vector<std::string>{},
                                                  {"Cookie: session=" + std::string(64, '0')},
                                                  {"Authorization: Bearer gft_unknown"},
                                                  {"Authorization: Basic YTpi"}}) {
      TestResponse r = Fetch(server_->port(), std::string(route.method), target, creds);
      EXPECT_EQ(r.status, 401) << route.method << " " << target << " " << r.body;
      EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    }
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST_P(ApiV1Test, EveryTenantRouteAsAnotherTenantsUserGets403Or404) {
  Session gus = SignedIn("gus@globex.example", kGusPassword);
  Session ana = SignedIn("ana@acme.example", kAnaPassword);
  int checked = 0;
  for (const api::v1::RouteSpec& route : api::v1::Routes()) {
    if (route.access != Access::kTenant) continue;
    const std::string target = Target(route, "acme");
    for (const std::vector<std::string>& creds :
         {std::vector<std::string>{"Cookie: " + gus.cookie, "X-CSRF-Token: " + gus.csrf},
          {"Authorization: Bearer " + gus_token_}}) {
      TestResponse r = Fetch(server_->port(), std::string(route.method), target, creds);
      EXPECT_TRUE(r.status == 403 || r.status == 404)
          << route.method << " " << target << " -> " << r.status << " " << r.body;
    }
    // A tenant token never reaches another tenant, not even through a role its user holds.
    // And the tenant's own user does get through (so the refusal above is the check's doing).
    // Routes naming an object ({id}, {kind}, ...) are called with the placeholder itself, which
    // names no object: the tenant's own user gets past the access check to 404 (no such object)
    // or 400 (not a valid kind or version), never 403.
    if (route.method == "GET") {
      TestResponse own = Fetch(server_->port(), "GET", target, {"Cookie: " + ana.cookie});
      if (target.find('{') != std::string::npos) {
        EXPECT_TRUE(own.status == 404 || own.status == 400) << target << " " << own.body;
        EXPECT_EQ(own.Header("Content-Type"), "application/problem+json") << target;
      } else {
        EXPECT_EQ(own.status, 200) << target << " " << own.body;
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST_P(ApiV1Test, TenantTokenDoesNotReachItsUsersOtherTenant) {
  // Ana also gets a role on globex; her acme token still cannot read globex.
  InTxn([&](store::Txn& txn) {
    return gov::GrantTenantRole(txn, gov::TenantScope::ForSystem(TenantId("globex"), "test"), ana_,
                                "tenant_admin");
  });
  TestResponse r =
      Get("/api/v1/tenants/globex/exceptions", {"Authorization: Bearer " + ana_token_});
  EXPECT_TRUE(r.status == 403 || r.status == 404) << r.status;
  Session s = SignedIn("ana@acme.example", kAnaPassword);
  EXPECT_EQ(Get("/api/v1/tenants/globex/exceptions", {"Cookie: " + s.cookie}).status, 200);
}

TEST_P(ApiV1Test, PartnerAdminSeesEveryTenant) {
  Session lee = SignedIn("lee@nw.example", kLeePassword);
  TestResponse me = Get("/api/v1/me", {"Cookie: " + lee.cookie});
  ASSERT_EQ(me.status, 200);
  json::value v = Parse(me.body);
  EXPECT_EQ(v.at("tenants").as_array().size(), 2u) << me.body;
  EXPECT_EQ(v.at("partner_roles").at(0).as_string(), "partner_admin");
}

// ---- Tenant routes: pagination and parameters ---------------------------------------------------

TEST_P(ApiV1Test, ApprovalsArePagedByCursor) {
  InTxn([&](store::Txn& txn) -> Status {
    const auto acme = gov::TenantScope::ForSystem(TenantId("acme"), "test");
    for (int i = 0; i < 3; ++i) {
      gov::ApprovalRequest req;
      req.subject_type = "price_change";
      req.subject_id = "chg-" + std::to_string(i);
      req.title = "price change " + std::to_string(i);
      req.required_roles = {"tenant_admin"};
      GOVFLOW_RETURN_IF_ERROR(gov::RequestApproval(txn, acme, req).status());
    }
    return Status::Ok();
  });
  const std::vector<std::string> auth = {"Authorization: Bearer " + ana_token_};
  TestResponse first = Get("/api/v1/tenants/acme/approvals?limit=2", auth);
  ASSERT_EQ(first.status, 200) << first.body;
  json::value p1 = Parse(first.body);
  ASSERT_EQ(p1.at("items").as_array().size(), 2u);
  const std::string cursor(p1.at("next_cursor").as_string());
  ASSERT_FALSE(cursor.empty());
  TestResponse second = Get("/api/v1/tenants/acme/approvals?limit=2&cursor=" + cursor, auth);
  ASSERT_EQ(second.status, 200) << second.body;
  json::value p2 = Parse(second.body);
  ASSERT_EQ(p2.at("items").as_array().size(), 1u);
  EXPECT_EQ(p2.at("items").at(0).at("subject_id").as_string(), "chg-2");
  EXPECT_EQ(p2.at("next_cursor").as_string(), "");
  // Globex sees none of them.
  TestResponse globex =
      Get("/api/v1/tenants/globex/approvals", {"Authorization: Bearer " + gus_token_});
  ASSERT_EQ(globex.status, 200);
  EXPECT_EQ(Parse(globex.body).at("items").as_array().size(), 0u);
}

TEST_P(ApiV1Test, BadListParametersAre400NamingTheParameter) {
  const std::vector<std::string> auth = {"Authorization: Bearer " + ana_token_};
  for (const auto& [target, field] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/tenants/acme/exceptions?limit=0", "limit"},
           {"/api/v1/tenants/acme/exceptions?limit=abc", "limit"},
           {"/api/v1/tenants/acme/exceptions?severity=P9", "severity"},
           {"/api/v1/tenants/acme/exceptions?cursor=%21%21garbage", "cursor"},
           {"/api/v1/tenants/acme/approvals?limit=501", "limit"},
           {"/api/v1/tenants/acme/approvals?state=maybe", "state"},
           {"/api/v1/tenants/acme/approvals?cursor=%21%21garbage", "cursor"}}) {
    TestResponse r = Get(target, auth);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    json::value v = Parse(r.body);
    ASSERT_TRUE(v.is_object()) << target << " " << r.body;
    ASSERT_TRUE(v.as_object().contains("invalid-params")) << target << " " << r.body;
    EXPECT_EQ(v.at("invalid-params").at(0).at("name").as_string(), field) << target;
  }
}

// ---- Static files -------------------------------------------------------------------------------

TEST_P(ApiV1Test, ServesTheConsoleWithCachingRulesAndSpaFallback) {
  TestResponse index = Get("/");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("Cache-Control"), "no-cache");
  TestResponse js = Get("/assets/index-3f2a1b.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.Header("Cache-Control").find("immutable"), std::string::npos);
  EXPECT_EQ(Get("/favicon.svg").Header("Content-Type"), "image/svg+xml");
  TestResponse route = Get("/exceptions/42");  // a console route: the app's index
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, index.body);
  EXPECT_EQ(Get("/assets/missing-0000.js").status, 404);
  TestResponse api = Get("/api/v1/no-such-route");  // never the index under /api/
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.Header("Content-Type"), "application/problem+json");
}

TEST_P(ApiV1Test, RefusesPathTraversalOutOfTheWebRoot) {
  std::filesystem::create_symlink(temp_dir_ / "secret.txt", web_root_ / "link.txt");
  for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
                             "/assets/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/link.txt",
                             "/.%2e/secret.txt", "//../secret.txt"}) {
    TestResponse r = Get(target);
    EXPECT_NE(r.status, 200) << target;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << target;
  }
}

// ---- Branding -----------------------------------------------------------------------------------

TEST_P(ApiV1Test, BrandingIsNeutralWithoutAFileAndFollowsTheFileWhenItChanges) {
  TestResponse neutral = Get("/api/v1/branding");
  ASSERT_EQ(neutral.status, 200);
  EXPECT_EQ(Parse(neutral.body).at("product_name").as_string(), "Console");
  EXPECT_EQ(neutral.body.find("ovflow"), std::string::npos);

  WriteFile(branding_file_, R"({"product_name":"Northwind Ops","colors":{"primary":"#0a7d4f"},)"
                            R"("support":{"email":"help@northwind.example"}})");
  json::value v = Parse(Get("/api/v1/branding").body);
  EXPECT_EQ(v.at("product_name").as_string(), "Northwind Ops");
  EXPECT_EQ(v.at("colors").at("primary").as_string(), "#0a7d4f");

  WriteFile(branding_file_, R"({"product_name":"Northwind Operations Hub"})");
  EXPECT_EQ(Parse(Get("/api/v1/branding").body).at("product_name").as_string(),
            "Northwind Operations Hub");

  // An invalid file keeps the last good brand rather than unbranding every screen.
  WriteFile(branding_file_,
            R"j({"product_name":"X","colors":{"primary":"red; background:url(x)"}})j");
  EXPECT_EQ(Parse(Get("/api/v1/branding").body).at("product_name").as_string(),
            "Northwind Operations Hub");
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ApiV1Test);

}  // namespace
}  // namespace govflow::testing
