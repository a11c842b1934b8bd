// The administration routes (src/api/v1/admin_routes.cc) over real HTTP on 127.0.0.1 (port 0),
// on SQLite and PostgreSQL: each route's behaviour, its validation errors (400 naming the field,
// nothing changed), the permission rules (a tenant_admin manages its own tenant's people only, a
// viewer manages nothing, nobody grants a role they do not hold or escalates themselves), the
// audit events written, and that secrets (passwords, connection credentials, tokens) are never
// answered again nor audited.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/api.h"
#include "api/v1/console.h"
#include "governance/access.h"
#include "governance/audit.h"
#include "governance/directory.h"
#include "governance/secrets.h"
#include "integration/api_v1/http_client.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::testing {
namespace {

namespace json = boost::json;
namespace gov = governance;

constexpr char kAnaPassword[] = "ana-password-123";
constexpr char kVicPassword[] = "vic-password-123";
constexpr char kLeePassword[] = "lee-password-123";
const std::string kMasterKey(32, 'k');

json::value Parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

// The first invalid-params name of a problem body, "" if none.
std::string FieldOf(const TestResponse& r) {
  json::value v = Parse(r.body);
  if (!v.is_object() || !v.as_object().contains("invalid-params")) return "";
  return std::string(v.at("invalid-params").at(0).at("name").as_string());
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class AdminRoutesTest : public GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Its own directory per test (the PostgreSQL fixture has no temp_dir_).
    branding_dir_ =
        std::filesystem::temp_directory_path() / ("govflow-admin-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(std::random_device{}()));
    branding_file_ = branding_dir_ / "branding.json";
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          auto init,
          gov::InitPartner(txn, {"northwind", "Northwind", "lee@nw.example", "Lee", kLeePassword}));
      lee_ = init.admin_user_id;
      const auto partner = gov::PartnerScope::ForSystem("test");
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, TenantId("acme"), "Acme Retail"));
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, TenantId("globex"), "Globex"));
      GOVFLOW_ASSIGN_OR_RETURN(
          ana_, gov::CreateUser(txn, partner, {"ana@acme.example", "Ana Admin", kAnaPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          vic_, gov::CreateUser(txn, partner, {"vic@acme.example", "Vic Viewer", kVicPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          gus_, gov::CreateUser(txn, partner, {"gus@globex.example", "Gus", "gus-password-123"}));
      GOVFLOW_ASSIGN_OR_RETURN(
          bea_,
          gov::CreateUser(txn, partner, {"bea@both.example", "Bea Both", "bea-password-123"}));
      const auto acme = gov::TenantScope::ForSystem(TenantId("acme"), "test");
      const auto globex = gov::TenantScope::ForSystem(TenantId("globex"), "test");
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana_, "tenant_admin"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, vic_, "viewer"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, globex, gus_, "tenant_admin"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, bea_, "operator"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, globex, bea_, "operator"));
      GOVFLOW_ASSIGN_OR_RETURN(auto t1, gov::IssueTenantToken(txn, acme, ana_, "ci", std::nullopt));
      ana_token_ = t1.token;
      ana_token_id_ = t1.token_id;
      GOVFLOW_ASSIGN_OR_RETURN(auto t2, gov::IssueTenantToken(txn, acme, vic_, "ci", std::nullopt));
      vic_token_ = t2.token;
      GOVFLOW_ASSIGN_OR_RETURN(auto t3,
                               gov::IssueTenantToken(txn, globex, gus_, "ci", std::nullopt));
      gus_token_ = t3.token;
      GOVFLOW_ASSIGN_OR_RETURN(auto t4,
                               gov::IssuePartnerToken(txn, partner, lee_, "ops", std::nullopt));
      lee_token_ = t4.token;
      return Status::Ok();
    });
    if (HasFatalFailure()) return;
    auto router = std::make_shared<api::Router>();
    api::v1::ConsoleOptions options;
    options.api.branding_file = branding_file_;
    options.api.master_key = kMasterKey;
    auto handler = api::v1::MountConsole(router, *store_, clock_, options);
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    auto server = api::HttpServer::Start({}, *handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
    std::error_code ec;
    if (!branding_dir_.empty()) std::filesystem::remove_all(branding_dir_, ec);
    GovernanceStoreTest::TearDown();
  }

  TestResponse Call(const std::string& token, const std::string& method, const std::string& target,
                    const json::value& body = nullptr) {
    std::vector<std::string> headers = {"Authorization: Bearer " + token};
    std::string text;
    if (!body.is_null()) {
      headers.push_back("Content-Type: application/json");
      text = json::serialize(body);
    }
    return Fetch(server_->port(), method, target, headers, text);
  }

  std::vector<gov::AuditEvent> Events(const std::string& chain) {
    std::vector<gov::AuditEvent> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, gov::ReadStoredAuditEvents(txn, TenantId(chain), 1, 0, 10000));
      return Status::Ok();
    });
    return out;
  }
  // The events of `chain` with `action`, about `object_id` when given.
  std::vector<gov::AuditEvent> EventsFor(const std::string& chain, const std::string& action,
                                         const std::string& object_id = "") {
    std::vector<gov::AuditEvent> out;
    for (auto& e : Events(chain)) {
      if (e.record.action == action && (object_id.empty() || e.record.object_id == object_id)) {
        out.push_back(std::move(e));
      }
    }
    return out;
  }
  int64_t UserCount() {
    int64_t n = 0;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query("SELECT COUNT(*) FROM users", {}));
      n = rows[0].Int(0);
      return Status::Ok();
    });
    return n;
  }
  TestResponse SignIn(const std::string& email, const std::string& password) {
    json::object o{{"email", email}, {"password", password}};
    return Fetch(server_->port(), "POST", "/api/v1/session", {"Content-Type: application/json"},
                 json::serialize(o));
  }
  // The user ids listed by GET users on acme.
  std::vector<std::string> AcmeUserEmails() {
    TestResponse r = Call(ana_token_, "GET", "/api/v1/tenants/acme/users");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const json::value parsed_r_body = Parse(r.body);
    for (const auto& u : parsed_r_body.at("items").as_array()) {
      out.emplace_back(u.at("email").as_string());
    }
    return out;
  }

  std::filesystem::path branding_dir_;
  std::filesystem::path branding_file_;
  std::string lee_, ana_, vic_, gus_, bea_;
  std::string ana_token_, vic_token_, gus_token_, lee_token_;
  std::string ana_token_id_;
  std::unique_ptr<api::HttpServer> server_;
};

// ---- Users ------------------------------------------------------------------------------------

TEST_P(AdminRoutesTest, CreatesUserWithOneTimePasswordShownOnceAndAuditsWithoutIt) {
  TestResponse r =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/users",
           json::object{
               {"email", "Olga@Acme.example"}, {"display_name", "Olga Ops"}, {"role", "operator"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json::value created = Parse(r.body);
  const std::string id(created.at("id").as_string());
  const std::string otp(created.at("one_time_password").as_string());
  EXPECT_GE(otp.size(), 20u);
  // The one-time password signs in, and is nowhere to be read back.
  EXPECT_EQ(SignIn("olga@acme.example", otp).status, 200);
  TestResponse list = Call(ana_token_, "GET", "/api/v1/tenants/acme/users?q=olga");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(otp), std::string::npos);
  json::value item = Parse(list.body).at("items").at(0);
  EXPECT_EQ(item.at("id").as_string(), id);
  EXPECT_EQ(item.at("email").as_string(), "olga@acme.example");
  EXPECT_EQ(item.at("roles").at(0).as_string(), "operator");
  EXPECT_FALSE(item.at("disabled").as_bool());
  EXPECT_FALSE(item.at("locked").as_bool());
  // Audited in acme's chain, by Ana's token, without the password.
  auto creates = EventsFor("acme", "user.create", id);
  ASSERT_EQ(creates.size(), 1u);
  EXPECT_EQ(creates[0].record.actor, "token:" + ana_token_id_);
  EXPECT_EQ(EventsFor("acme", "role.grant", id).size(), 1u);
  for (const auto& e : Events("acme")) {
    EXPECT_EQ(e.record.details_json.find(otp), std::string::npos) << e.record.action;
  }
}

TEST_P(AdminRoutesTest, GivenPasswordIsNeverEchoed) {
  TestResponse r = Call(ana_token_, "POST", "/api/v1/tenants/acme/users",
                        json::object{{"email", "pat@acme.example"},
                                     {"role", "viewer"},
                                     {"password", "pat-chosen-password-1"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.find("pat-chosen-password-1"), std::string::npos);
  EXPECT_FALSE(Parse(r.body).as_object().contains("one_time_password"));
  EXPECT_EQ(SignIn("pat@acme.example", "pat-chosen-password-1").status, 200);
}

TEST_P(AdminRoutesTest, BadUserRequestsAre400NamingTheFieldAndCreateNobody) {
  const int64_t before = UserCount();
  const size_t events = Events("acme").size();
  for (const auto& [body, field] : std::vector<std::pair<json::object, std::string>>{
           {json::object{{"role", "viewer"}}, "email"},
           {json::object{{"email", "not-an-address"}, {"role", "viewer"}}, "email"},
           {json::object{{"email", "x@acme.example"}}, "role"},
           {json::object{{"email", "x@acme.example"}, {"role", "no_such_role"}}, "role"},
           {json::object{{"email", "x@acme.example"}, {"role", "viewer"}, {"password", "short"}},
            "password"},
           {json::object{{"email", 7}, {"role", "viewer"}}, "email"}}) {
    TestResponse r = Call(ana_token_, "POST", "/api/v1/tenants/acme/users", body);
    EXPECT_EQ(r.status, 400) << json::serialize(body) << " " << r.body;
    EXPECT_EQ(FieldOf(r), field) << json::serialize(body) << " " << r.body;
  }
  // A taken e-mail is a conflict naming the e-mail.
  TestResponse taken = Call(ana_token_, "POST", "/api/v1/tenants/acme/users",
                            json::object{{"email", "vic@acme.example"}, {"role", "viewer"}});
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_EQ(FieldOf(taken), "email");
  EXPECT_EQ(UserCount(), before);
  EXPECT_EQ(Events("acme").size(), events);
}

TEST_P(AdminRoutesTest, NobodyGrantsARoleTheyDoNotHoldOrEscalatesThemselves) {
  // pricing_manager carries approvals.decide, which a tenant_admin does not hold.
  TestResponse grant = Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/roles",
                            json::object{{"role", "pricing_manager"}});
  EXPECT_EQ(grant.status, 403) << grant.body;
  TestResponse create =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/users",
           json::object{{"email", "sly@acme.example"}, {"role", "pricing_manager"}});
  EXPECT_EQ(create.status, 403) << create.body;
  // Not even a role she holds, to herself; nor take one of hers away.
  TestResponse self = Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + ana_ + "/roles",
                           json::object{{"role", "auditor"}});
  EXPECT_EQ(self.status, 403) << self.body;
  TestResponse self_revoke =
      Call(ana_token_, "DELETE", "/api/v1/tenants/acme/users/" + ana_ + "/roles/tenant_admin");
  EXPECT_EQ(self_revoke.status, 403) << self_revoke.body;
  // Nothing changed.
  EXPECT_TRUE(EventsFor("acme", "role.grant", vic_).size() == 1u);  // the fixture's viewer grant
  EXPECT_TRUE(EventsFor("acme", "role.revoke").empty());
  const auto emails = AcmeUserEmails();
  EXPECT_EQ(std::count(emails.begin(), emails.end(), "sly@acme.example"), 0);
  // The roles catalogue says so.
  TestResponse roles = Call(ana_token_, "GET", "/api/v1/tenants/acme/roles");
  ASSERT_EQ(roles.status, 200) << roles.body;
  const json::value parsed_roles_body = Parse(roles.body);
  for (const auto& r : parsed_roles_body.at("items").as_array()) {
    if (r.at("name").as_string() == "pricing_manager") {
      EXPECT_FALSE(r.at("grantable_by_you").as_bool());
      EXPECT_TRUE(r.at("approver").as_bool());
    }
    if (r.at("name").as_string() == "operator") {
      EXPECT_TRUE(r.at("grantable_by_you").as_bool());
    }
  }
  // A partner administrator holds every permission and may grant it.
  TestResponse lee = Call(lee_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/roles",
                          json::object{{"role", "pricing_manager"}});
  EXPECT_EQ(lee.status, 204) << lee.body;
  EXPECT_EQ(EventsFor("acme", "role.grant", vic_).size(), 2u);
}

TEST_P(AdminRoutesTest, GrantsAndRevokesARoleWithAuditAndNamesBadInput) {
  TestResponse grant = Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/roles",
                            json::object{{"role", "operator"}});
  ASSERT_EQ(grant.status, 204) << grant.body;
  TestResponse unknown_role =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/roles",
           json::object{{"role", "wizard"}});
  EXPECT_EQ(unknown_role.status, 400);
  EXPECT_EQ(FieldOf(unknown_role), "role");
  TestResponse unknown_user =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/users/usr_nobody/roles",
           json::object{{"role", "operator"}});
  EXPECT_EQ(unknown_user.status, 404) << unknown_user.body;
  EXPECT_EQ(FieldOf(unknown_user), "user");
  TestResponse again = Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/roles",
                            json::object{{"role", "operator"}});
  EXPECT_EQ(again.status, 409);
  TestResponse revoke =
      Call(ana_token_, "DELETE", "/api/v1/tenants/acme/users/" + vic_ + "/roles/operator");
  EXPECT_EQ(revoke.status, 204) << revoke.body;
  auto revokes = EventsFor("acme", "role.revoke", vic_);
  ASSERT_EQ(revokes.size(), 1u);
  EXPECT_EQ(revokes[0].record.actor, "token:" + ana_token_id_);
}

TEST_P(AdminRoutesTest, ViewerManagesNothingButSeesNames) {
  EXPECT_EQ(Call(vic_token_, "GET", "/api/v1/tenants/acme/users").status, 403);
  EXPECT_EQ(Call(vic_token_, "POST", "/api/v1/tenants/acme/users",
                 json::object{{"email", "z@acme.example"}, {"role", "viewer"}})
                .status,
            403);
  EXPECT_EQ(Call(vic_token_, "POST", "/api/v1/tenants/acme/teams",
                 json::object{{"id", "ops"}, {"display_name", "Ops"}})
                .status,
            403);
  EXPECT_EQ(Call(vic_token_, "GET", "/api/v1/tenants/acme/connections").status, 403);
  EXPECT_EQ(Call(vic_token_, "GET", "/api/v1/tenants/acme/tokens").status, 403);
  // The people lookup: names for everyone who can act here, e-mails only with users.read.
  TestResponse people = Call(vic_token_, "GET", "/api/v1/tenants/acme/people");
  ASSERT_EQ(people.status, 200) << people.body;
  std::map<std::string, std::string> names;
  const json::value parsed_people_body = Parse(people.body);
  for (const auto& p : parsed_people_body.at("items").as_array()) {
    names[std::string(p.at("principal").as_string())] = p.at("display_name").as_string();
    EXPECT_FALSE(p.as_object().contains("email")) << people.body;
  }
  EXPECT_EQ(names["user:" + ana_], "Ana Admin");
  EXPECT_EQ(names["user:" + vic_], "Vic Viewer");
  EXPECT_EQ(names["user:" + lee_], "Lee");  // the partner's staff act on every tenant
  EXPECT_EQ(names["token:" + ana_token_id_], "Ana Admin (API token ci)");
  EXPECT_FALSE(names.contains("user:" + gus_)) << "globex's admin is not acme's business";
  TestResponse admin_view = Call(ana_token_, "GET", "/api/v1/tenants/acme/people");
  EXPECT_NE(admin_view.body.find("ana@acme.example"), std::string::npos);
}

TEST_P(AdminRoutesTest, TenantAdminChangesAccountsOfHerTenantsOwnPeopleOnly) {
  // Vic works for acme alone: Ana may disable him; he can then not sign in.
  TestResponse disable =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/disable");
  ASSERT_EQ(disable.status, 204) << disable.body;
  EXPECT_EQ(SignIn("vic@acme.example", kVicPassword).status, 401);
  EXPECT_EQ(EventsFor("acme", "user.disable", vic_).size(), 1u);
  ASSERT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/enable").status, 204);
  EXPECT_EQ(SignIn("vic@acme.example", kVicPassword).status, 200);
  // Bea also works for globex: hers to change only with users.manage on the partner.
  TestResponse bea = Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + bea_ + "/disable");
  EXPECT_EQ(bea.status, 403) << bea.body;
  EXPECT_EQ(SignIn("bea@both.example", "bea-password-123").status, 200);
  TestResponse by_lee = Call(lee_token_, "POST", "/api/v1/tenants/acme/users/" + bea_ + "/disable");
  EXPECT_EQ(by_lee.status, 204) << by_lee.body;
  EXPECT_EQ(EventsFor(std::string(gov::kPartnerAuditChain), "user.disable", bea_).size(), 1u);
  // Not one's own account; not another tenant's user; not from another tenant.
  EXPECT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + ana_ + "/disable").status,
            403);
  EXPECT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + gus_ + "/disable").status,
            404);
  TestResponse gus = Call(gus_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/disable");
  EXPECT_TRUE(gus.status == 403 || gus.status == 404) << gus.status;
  EXPECT_EQ(SignIn("vic@acme.example", kVicPassword).status, 200);
}

TEST_P(AdminRoutesTest, UnlocksALockedAccountAndSetsAPasswordWithoutEchoingIt) {
  for (int i = 0; i < gov::AccessControl::kMaxFailedLogins; ++i) {
    SignIn("vic@acme.example", "wrong-password-000");
  }
  EXPECT_EQ(SignIn("vic@acme.example", kVicPassword).status, 401);
  TestResponse users = Call(ana_token_, "GET", "/api/v1/tenants/acme/users?q=vic");
  ASSERT_EQ(users.status, 200);
  EXPECT_TRUE(Parse(users.body).at("items").at(0).at("locked").as_bool()) << users.body;
  ASSERT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/unlock").status, 204);
  EXPECT_EQ(SignIn("vic@acme.example", kVicPassword).status, 200);
  EXPECT_EQ(EventsFor("acme", "user.unlock", vic_).size(), 1u);

  TestResponse short_pw =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/password",
           json::object{{"password", "short"}});
  EXPECT_EQ(short_pw.status, 400);
  EXPECT_EQ(FieldOf(short_pw), "password");
  EXPECT_EQ(SignIn("vic@acme.example", kVicPassword).status, 200);  // unchanged
  TestResponse set = Call(ana_token_, "POST", "/api/v1/tenants/acme/users/" + vic_ + "/password",
                          json::object{{"password", "vic-new-password-42"}});
  EXPECT_EQ(set.status, 204) << set.body;
  EXPECT_EQ(SignIn("vic@acme.example", "vic-new-password-42").status, 200);
  for (const auto& e : Events("acme")) {
    EXPECT_EQ(e.record.details_json.find("vic-new-password-42"), std::string::npos);
  }
}

TEST_P(AdminRoutesTest, ListsUsersByPageWithFilters) {
  TestResponse first = Call(ana_token_, "GET", "/api/v1/tenants/acme/users?limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  json::value p1 = Parse(first.body);
  ASSERT_EQ(p1.at("items").as_array().size(), 2u);
  const std::string cursor(p1.at("next_cursor").as_string());
  ASSERT_FALSE(cursor.empty());
  TestResponse second =
      Call(ana_token_, "GET", "/api/v1/tenants/acme/users?limit=2&cursor=" + cursor);
  json::value p2 = Parse(second.body);
  ASSERT_EQ(p2.at("items").as_array().size(), 1u);  // ana, bea, vic
  EXPECT_EQ(p2.at("next_cursor").as_string(), "");
  TestResponse viewers = Call(ana_token_, "GET", "/api/v1/tenants/acme/users?role=viewer");
  ASSERT_EQ(Parse(viewers.body).at("items").as_array().size(), 1u);
  EXPECT_EQ(Parse(viewers.body).at("items").at(0).at("id").as_string(), vic_);
  TestResponse bad = Call(ana_token_, "GET", "/api/v1/tenants/acme/users?disabled=maybe");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(FieldOf(bad), "disabled");
  EXPECT_EQ(FieldOf(Call(ana_token_, "GET", "/api/v1/tenants/acme/users?limit=0")), "limit");
}

// ---- Teams ------------------------------------------------------------------------------------

TEST_P(AdminRoutesTest, CreatesTeamsAndManagesMembers) {
  TestResponse bad = Call(ana_token_, "POST", "/api/v1/tenants/acme/teams",
                          json::object{{"id", "Order Ops"}, {"display_name", "Order ops"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(FieldOf(bad), "id");
  TestResponse created = Call(ana_token_, "POST", "/api/v1/tenants/acme/teams",
                              json::object{{"id", "order_ops"}, {"display_name", "Order ops"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/teams",
                 json::object{{"id", "order_ops"}, {"display_name", "Again"}})
                .status,
            409);
  ASSERT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/teams/order_ops/members",
                 json::object{{"user_id", "user:" + vic_}})
                .status,
            204);
  // Gus holds no role on acme: he cannot join its teams.
  EXPECT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/teams/order_ops/members",
                 json::object{{"user_id", gus_}})
                .status,
            409);
  EXPECT_EQ(Call(ana_token_, "POST", "/api/v1/tenants/acme/teams/nope/members",
                 json::object{{"user_id", vic_}})
                .status,
            404);
  TestResponse teams = Call(ana_token_, "GET", "/api/v1/tenants/acme/teams");
  ASSERT_EQ(teams.status, 200);
  json::value team = Parse(teams.body).at("items").at(0);
  EXPECT_EQ(team.at("id").as_string(), "order_ops");
  ASSERT_EQ(team.at("members").as_array().size(), 1u);
  EXPECT_EQ(team.at("members").at(0).as_string(), "user:" + vic_);
  TestResponse users = Call(ana_token_, "GET", "/api/v1/tenants/acme/users?team=order_ops");
  ASSERT_EQ(Parse(users.body).at("items").as_array().size(), 1u);
  ASSERT_EQ(
      Call(ana_token_, "DELETE", "/api/v1/tenants/acme/teams/order_ops/members/" + vic_).status,
      204);
  EXPECT_EQ(EventsFor("acme", "team.create", "order_ops").size(), 1u);
  // Globex sees none of acme's teams.
  TestResponse globex = Call(gus_token_, "GET", "/api/v1/tenants/globex/teams");
  EXPECT_EQ(Parse(globex.body).at("items").as_array().size(), 0u);
}

// ---- Connections ------------------------------------------------------------------------------

TEST_P(AdminRoutesTest, ConnectionSecretsAreSealedNeverShownAndRotated) {
  const std::string secret = "whsec-TOPSECRET-one";
  TestResponse created =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/connections",
           json::object{{"id", "shop"},
                        {"kind", "shopify.webhooks"},
                        {"config", json::object{{"shop_domain", "acme.myshopify.com"}}},
                        {"secret", json::object{{"secret", secret}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find("TOPSECRET"), std::string::npos);
  json::value c = Parse(created.body);
  EXPECT_EQ(c.at("url").as_string(), "acme.myshopify.com");
  const std::string fp1(c.at("secret_fingerprint").as_string());
  EXPECT_EQ(fp1.size(), 16u);
  EXPECT_TRUE(c.at("secret_rotated_at").is_null());

  TestResponse list = Call(ana_token_, "GET", "/api/v1/tenants/acme/connections");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(Parse(list.body).at("items").at(0).at("secret_fingerprint").as_string(), fp1);

  clock_.Advance(std::chrono::minutes(5));
  TestResponse rotated =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/connections/shop/secret",
           json::object{{"secret", json::object{{"secret", "whsec-TOPSECRET-two"}}}});
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(rotated.body.find("TOPSECRET"), std::string::npos);
  json::value r = Parse(rotated.body);
  EXPECT_NE(r.at("secret_fingerprint").as_string(), fp1);
  EXPECT_FALSE(r.at("secret_rotated_at").is_null());
  // What the store holds opens (with the master key) to the new secret.
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(auto stored,
                             txn.GetConnection(TenantId("acme"), ConnectionId("shop")));
    GOVFLOW_ASSIGN_OR_RETURN(std::string opened,
                             gov::OpenSecret(kMasterKey, stored.secret_ciphertext));
    EXPECT_NE(opened.find("whsec-TOPSECRET-two"), std::string::npos);
    return Status::Ok();
  });
  EXPECT_EQ(EventsFor("acme", "connection.create", "shop").size(), 1u);
  EXPECT_EQ(EventsFor("acme", "connection.rotate_secret", "shop").size(), 1u);
  for (const auto& e : Events("acme")) {
    EXPECT_EQ(e.record.details_json.find("TOPSECRET"), std::string::npos) << e.record.action;
  }
}

TEST_P(AdminRoutesTest, BadConnectionRequestsAre400NamingTheFieldAndStoreNothing) {
  for (const auto& [body, field] : std::vector<std::pair<json::object, std::string>>{
           {json::object{{"kind", "shopify.webhooks"}, {"secret", json::object{{"secret", "s"}}}},
            "id"},
           {json::object{
                {"id", "shop"}, {"kind", "ftp.upload"}, {"secret", json::object{{"secret", "s"}}}},
            "kind"},
           {json::object{{"id", "shop"}, {"kind", "shopify.webhooks"}}, "secret"},
           {json::object{{"id", "shop"},
                         {"kind", "shopify.webhooks"},
                         {"config", json::object{{"secret", "in-the-clear"}}},
                         {"secret", json::object{{"secret", "s"}}}},
            "config.secret"},
           {json::object{{"id", "shop"},
                         {"kind", "shopify.webhooks"},
                         {"secret", json::object{{"secret", 5}}}},
            "secret"}}) {
    TestResponse r = Call(ana_token_, "POST", "/api/v1/tenants/acme/connections", body);
    EXPECT_EQ(r.status, 400) << json::serialize(body) << " " << r.body;
    EXPECT_EQ(FieldOf(r), field) << json::serialize(body) << " " << r.body;
  }
  TestResponse rotate_missing =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/connections/nope/secret",
           json::object{{"secret", json::object{{"secret", "s"}}}});
  EXPECT_EQ(rotate_missing.status, 404);
  TestResponse list = Call(ana_token_, "GET", "/api/v1/tenants/acme/connections");
  EXPECT_EQ(Parse(list.body).at("items").as_array().size(), 0u);
  EXPECT_TRUE(EventsFor("acme", "connection.create").empty());
  // A viewer may not add one.
  EXPECT_EQ(Call(vic_token_, "POST", "/api/v1/tenants/acme/connections",
                 json::object{{"id", "shop"},
                              {"kind", "shopify.webhooks"},
                              {"secret", json::object{{"secret", "s"}}}})
                .status,
            403);
}

// ---- Tokens -----------------------------------------------------------------------------------

TEST_P(AdminRoutesTest, TokenIsShownOnceWorksAndStopsWhenRevoked) {
  TestResponse created =
      Call(ana_token_, "POST", "/api/v1/tenants/acme/tokens", json::object{{"name", "deploy"}});
  ASSERT_EQ(created.status, 201) << created.body;
  json::value t = Parse(created.body);
  const std::string token(t.at("token").as_string());
  const std::string id(t.at("id").as_string());
  ASSERT_TRUE(token.starts_with("gft_"));
  EXPECT_EQ(t.at("user").as_string(), "user:" + ana_);
  EXPECT_EQ(Call(token, "GET", "/api/v1/tenants/acme/users").status, 200);
  TestResponse list = Call(ana_token_, "GET", "/api/v1/tenants/acme/tokens?mine=true");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token), std::string::npos);
  EXPECT_NE(list.body.find(id), std::string::npos);
  TestResponse bad = Call(ana_token_, "POST", "/api/v1/tenants/acme/tokens",
                          json::object{{"name", "x"}, {"expires_at", "yesterday"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(FieldOf(bad), "expires_at");
  EXPECT_EQ(FieldOf(Call(ana_token_, "POST", "/api/v1/tenants/acme/tokens", json::object{})),
            "name");
  ASSERT_EQ(Call(ana_token_, "DELETE", "/api/v1/tenants/acme/tokens/" + id).status, 204);
  EXPECT_EQ(Call(token, "GET", "/api/v1/tenants/acme/users").status, 401);
  EXPECT_EQ(Call(gus_token_, "DELETE", "/api/v1/tenants/globex/tokens/" + ana_token_id_).status,
            404);
  EXPECT_EQ(Call(ana_token_, "GET", "/api/v1/tenants/acme/users").status, 200);
}

// ---- Tenants ----------------------------------------------------------------------------------

TEST_P(AdminRoutesTest, PartnerCreatesTenantsAndEachSeesOnlyItsOwn) {
  TestResponse ana = Call(ana_token_, "GET", "/api/v1/tenants");
  ASSERT_EQ(ana.status, 200) << ana.body;
  ASSERT_EQ(Parse(ana.body).at("items").as_array().size(), 1u);
  EXPECT_EQ(Parse(ana.body).at("items").at(0).at("id").as_string(), "acme");
  EXPECT_EQ(Call(ana_token_, "POST", "/api/v1/tenants",
                 json::object{{"id", "initech"}, {"display_name", "Initech"}})
                .status,
            403);
  TestResponse bad = Call(lee_token_, "POST", "/api/v1/tenants",
                          json::object{{"id", "Bad Id"}, {"display_name", "Initech"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(FieldOf(bad), "id");
  TestResponse created = Call(lee_token_, "POST", "/api/v1/tenants",
                              json::object{{"id", "initech"}, {"display_name", "Initech"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Call(lee_token_, "POST", "/api/v1/tenants",
                 json::object{{"id", "initech"}, {"display_name", "Again"}})
                .status,
            409);
  TestResponse lee = Call(lee_token_, "GET", "/api/v1/tenants?limit=2");
  json::value page = Parse(lee.body);
  EXPECT_EQ(page.at("items").as_array().size(), 2u);
  EXPECT_EQ(page.at("next_cursor").as_string(), "globex");
  TestResponse one = Call(ana_token_, "GET", "/api/v1/tenants/acme");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(Parse(one.body).at("display_name").as_string(), "Acme Retail");
  EXPECT_FALSE(EventsFor(std::string(gov::kPartnerAuditChain), "tenant.create").empty());
}

// ---- Branding ---------------------------------------------------------------------------------

TEST_P(AdminRoutesTest, PartnerAdminChangesBrandingAtomicallyAndAudited) {
  const json::object brand{{"product_name", "Northwind Ops"},
                           {"colors", json::object{{"primary", "#112233"}}}};
  EXPECT_EQ(Call(ana_token_, "PUT", "/api/v1/branding", brand).status, 403);
  EXPECT_FALSE(std::filesystem::exists(branding_file_));
  TestResponse put = Call(lee_token_, "PUT", "/api/v1/branding", brand);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(ReadFile(branding_file_).find("Northwind Ops"), std::string::npos);
  TestResponse served = Fetch(server_->port(), "GET", "/api/v1/branding");
  EXPECT_NE(served.body.find("#112233"), std::string::npos) << served.body;
  auto events = EventsFor(std::string(gov::kPartnerAuditChain), "branding.update");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].record.after_digest.empty());
  // Nothing but the file itself is left in its directory (the temporary file was renamed).
  int files = 0;
  for ([[maybe_unused]] const auto& f :
       std::filesystem::directory_iterator(branding_file_.parent_path())) {
    ++files;
  }
  EXPECT_EQ(files, 1);

  // A small inline raster logo is accepted; an SVG one (it may carry script) is not.
  TestResponse inline_logo =
      Call(lee_token_, "PUT", "/api/v1/branding",
           json::object{{"product_name", "Northwind Ops"},
                        {"logo_url", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}});
  EXPECT_EQ(inline_logo.status, 200) << inline_logo.body;

  const std::string before = ReadFile(branding_file_);
  for (const auto& [body, field] : std::vector<std::pair<json::object, std::string>>{
           {json::object{{"product_name", ""}}, "product_name"},
           {json::object{{"product_name", "X"}, {"colors", json::object{{"primary", "blue"}}}},
            "colors.primary"},
           {json::object{{"product_name", "X"}, {"logo_url", "javascript:alert(1)"}}, "logo_url"},
           {json::object{{"product_name", "X"}, {"logo_url", "data:image/svg+xml;base64,PHN2Zz4="}},
            "logo_url"},
           {json::object{{"product_name", "X"}, {"fonts", "serif"}}, "fonts"}}) {
    TestResponse r = Call(lee_token_, "PUT", "/api/v1/branding", body);
    EXPECT_EQ(r.status, 400) << json::serialize(body) << " " << r.body;
    EXPECT_EQ(FieldOf(r), field) << r.body;
  }
  EXPECT_EQ(ReadFile(branding_file_), before);
  EXPECT_EQ(EventsFor(std::string(gov::kPartnerAuditChain), "branding.update").size(), 2u);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AdminRoutesTest);

}  // namespace
}  // namespace govflow::testing
