// Administration: tenants, the people lookup, users and their roles, teams, the role catalogue,
// connections (secrets sealed, never shown), API tokens and the partner's branding.
// The governance functions of src/governance/directory.h do the changes and their audit events;
// this file adds the rules that belong to acting through the API on behalf of a person:
//  - nobody grants a role carrying a permission they do not hold themselves, and nobody grants
//    roles to themselves (no self-escalation); a tenant administrator therefore cannot hand out
//    approver roles (approvals.decide), which stay a partner-visible grant;
//  - a tenant administrator changes the account (disable, enable, unlock, password) only of a
//    person who works for that tenant alone; someone who also works for another tenant or the
//    partner is the partner's to change (users.manage on the partner);
//  - secrets (passwords, connection credentials, tokens) travel in a request or a response
//    once, are never echoed later, and never reach the audit trail (digests of ciphertext only).
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "api/v1/route_support.h"
#include "base/canonical_json.h"
#include "base/ids.h"
#include "connect/registry.h"
#include "governance/audit.h"
#include "governance/directory.h"
#include "governance/passwords.h"
#include "governance/secrets.h"

namespace govflow::api::v1 {

namespace json = boost::json;
namespace gov = governance;
using governance::TenantScope;
namespace perm = governance::perm;

namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 500;

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Case-insensitive substring match of the `q` filter ("" matches everything).
bool Matches(std::string_view q, std::initializer_list<std::string_view> fields) {
  if (q.empty()) return true;
  const std::string needle = Lower(q);
  for (std::string_view f : fields) {
    if (Lower(f).find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Details(const json::object& o) {
  return CanonicalJson(o);
}

Status Audit(store::Txn& txn, const TenantId& chain, const gov::Actor& actor, std::string action,
             std::string object_type, std::string object_id, const json::object& details) {
  gov::AuditRecord rec;
  rec.actor = actor.id;
  rec.action = std::move(action);
  rec.object_type = std::move(object_type);
  rec.object_id = std::move(object_id);
  rec.details_json = Details(details);
  return gov::AppendAudit(txn, chain, rec).status();
}

// A page of `items` (already sorted by `key`) after `cursor` (the last key of the previous
// page). next_cursor is "" on the last page.
template <typename T, typename Key>
json::object Page(const std::vector<T>& items, Key key, const std::string& cursor, int limit,
                  const std::function<json::value(const T&)>& to_json) {
  json::array out;
  std::string next;
  for (const T& item : items) {
    const std::string k = key(item);
    if (!cursor.empty() && k <= cursor) continue;
    if (static_cast<int>(out.size()) == limit) {
      next = key(*(&item - 1));
      break;
    }
    out.push_back(to_json(item));
  }
  return json::object{{"items", std::move(out)}, {"next_cursor", next}};
}

// The common list parameters: limit, cursor, q.
struct ListParams {
  int limit = kDefaultLimit;
  std::string cursor;
  std::string q;
};

Result<ListParams> ParseList(const HttpRequest& request) {
  ListParams p;
  Result<int> limit = ParseLimit(request, kDefaultLimit, kMaxLimit);
  if (!limit.ok()) return limit.status();
  p.limit = *limit;
  p.cursor = std::string(request.QueryParam("cursor").value_or(""));
  p.q = std::string(request.QueryParam("q").value_or(""));
  return p;
}

// A required non-empty string member; the error names it.
Result<std::string> RequiredString(const json::object& o, std::string_view key) {
  GOVFLOW_ASSIGN_OR_RETURN(std::string v, OptionalString(o, key));
  if (v.empty()) return InvalidArgument("required");
  return v;
}

// Runs `fn` in one transaction; a failing Status becomes problem+json naming `field` for the
// codes where a field is to blame (400, 404).
// `field_on_error` is read after `fn` ran, so `fn` may change it to name what failed.
HttpResponse InTxn(Services& s, const std::function<Status(store::Txn&)>& fn,
                   const std::string& field_on_error, const std::function<HttpResponse()>& ok) {
  Status status = s.store.Transact(fn);
  if (!status.ok()) {
    const bool names_field = status.code() == StatusCode::kInvalidArgument ||
                             status.code() == StatusCode::kNotFound ||
                             status.code() == StatusCode::kAlreadyExists;
    return FromStatus(status, names_field ? field_on_error : "");
  }
  return ok();
}

// ---- Tenants ----------------------------------------------------------------------------------

json::object TenantJson(const store::Tenant& t) {
  return json::object{{"id", t.id.value()},
                      {"display_name", t.display_name},
                      {"created_at", FormatTime(t.created_at)}};
}

// GET /tenants: the tenants the caller may see (every tenant for the partner's staff, else those
// where they hold a role; a tenant token sees its tenant), by id.
HttpResponse ListTenants(Services& s, const Context& ctx) {
  Result<ListParams> params = ParseList(ctx.request);
  if (!params.ok()) return FieldProblem("limit", params.status().message());
  Result<std::vector<TenantId>> visible = s.access.VisibleTenants(*ctx.principal);
  if (!visible.ok()) return FromStatus(visible.status());
  std::vector<store::Tenant> tenants;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    for (const TenantId& id : *visible) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Tenant t, txn.GetTenant(id));
      if (Matches(params->q, {t.id.value(), t.display_name})) tenants.push_back(std::move(t));
    }
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  return JsonResponse(
      200, Page<store::Tenant>(
               tenants, [](const store::Tenant& t) { return t.id.value(); }, params->cursor,
               params->limit, [](const store::Tenant& t) -> json::value { return TenantJson(t); }));
}

HttpResponse CreateTenant(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> id = RequiredString(*body, "id");
  if (!id.ok()) return FieldProblem("id", id.status().message());
  if (!gov::IsValidTenantId(*id)) {
    return FieldProblem("id",
                        "lower-case letters, digits, '-' and '_', starting with a letter or "
                        "digit, at most 63 characters");
  }
  Result<std::string> name = RequiredString(*body, "display_name");
  if (!name.ok()) return FieldProblem("display_name", name.status().message());
  Result<gov::PartnerScope> partner =
      s.access.AuthorizePartner(*ctx.principal, perm::kTenantsManage);
  if (!partner.ok()) return FromStatus(partner.status());
  store::Tenant created;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, *partner, TenantId(*id), *name));
        GOVFLOW_ASSIGN_OR_RETURN(created, txn.GetTenant(TenantId(*id)));
        return Status::Ok();
      },
      "id", [&] { return JsonResponse(201, TenantJson(created)); });
}

HttpResponse GetTenant(Services& s, const Context& ctx) {
  json::object out;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(store::Tenant t, txn.GetTenant(ctx.scope->tenant()));
        out = TenantJson(t);
        json::array roles;
        for (const std::string& r : ctx.scope->roles()) roles.emplace_back(r);
        out["your_roles"] = std::move(roles);
        return Status::Ok();
      },
      "tenant", [&] { return JsonResponse(200, out); });
}

// ---- People -----------------------------------------------------------------------------------

// GET /tenants/{tenant}/people (tenants.read, which every role holds): who can act in the
// tenant, so that the console names them: the holders of a role on the tenant, the partner's
// staff (they act on every tenant) and the API tokens that can act here (the tenant's and the
// partner's, named after their user). E-mail
// addresses only for callers holding users.read.
HttpResponse ListPeople(Services& s, const Context& ctx) {
  const bool with_email = ctx.scope->Has(perm::kUsersRead);
  json::array items;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows users,
            txn.sql().Query(
                "SELECT user_id, display_name, email FROM users WHERE user_id IN ("
                "SELECT user_id FROM tenant_role_grants WHERE tenant_id = ? UNION "
                "SELECT user_id FROM partner_role_grants) ORDER BY display_name, user_id",
                {ctx.scope->tenant().value()}));
        std::map<std::string, std::string> names;
        for (const auto& u : users) {
          names[u.Text(0)] = u.Text(1);
          json::object p{{"principal", "user:" + u.Text(0)}, {"display_name", u.Text(1)}};
          if (with_email) p["email"] = u.Text(2);
          items.push_back(std::move(p));
        }
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows tokens,
            txn.sql().Query(
                "SELECT t.token_id, t.name, u.display_name FROM api_tokens t JOIN "
                "users u ON u.user_id = t.user_id WHERE t.tenant_id = ? OR t.tenant_id IS NULL "
                "ORDER BY t.token_id",
                {ctx.scope->tenant().value()}));
        for (const auto& t : tokens) {
          items.push_back(
              json::object{{"principal", "token:" + t.Text(0)},
                           {"display_name", t.Text(2) + " (API token " + t.Text(1) + ")"}});
        }
        return Status::Ok();
      },
      "",
      [&] {
        return JsonResponse(200, json::object{{"items", std::move(items)}});
      });
}

// ---- Users ------------------------------------------------------------------------------------

struct UserRow {
  gov::TenantMember member;
  std::vector<std::string> teams;
};

json::object UserJson(const UserRow& u, TimePoint now) {
  json::array roles;
  for (const std::string& r : u.member.roles) roles.emplace_back(r);
  json::array teams;
  for (const std::string& t : u.teams) teams.emplace_back(t);
  json::array partner_roles;
  for (const std::string& r : u.member.user.partner_roles) partner_roles.emplace_back(r);
  const bool locked = u.member.user.locked_until && *u.member.user.locked_until > now;
  return json::object{
      {"id", u.member.user.user_id},
      {"principal", "user:" + u.member.user.user_id},
      {"email", u.member.user.email},
      {"display_name", u.member.user.display_name},
      {"roles", std::move(roles)},
      {"partner_roles", std::move(partner_roles)},
      {"teams", std::move(teams)},
      {"disabled", u.member.user.disabled},
      {"locked", locked},
      {"locked_until", locked ? OptionalTime(u.member.user.locked_until) : json::value(nullptr)},
      {"has_password", u.member.user.has_password},
      {"created_at", FormatTime(u.member.user.created_at)}};
}

Result<std::vector<UserRow>> TenantUsers(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::TenantMember> members,
                           gov::ListTenantMembers(txn, scope));
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::TeamInfo> teams, gov::ListTeams(txn, scope));
  std::map<std::string, std::vector<std::string>> teams_of;
  for (const gov::TeamInfo& t : teams) {
    for (const std::string& m : t.member_user_ids) teams_of[m].push_back(t.id);
  }
  std::vector<UserRow> out;
  for (gov::TenantMember& m : members) {
    UserRow row{std::move(m), {}};
    row.teams = teams_of[row.member.user.user_id];
    out.push_back(std::move(row));
  }
  return out;
}

// GET /tenants/{tenant}/users?q=&role=&team=&disabled=&limit=&cursor= — by e-mail.
HttpResponse ListUsers(Services& s, const Context& ctx) {
  Result<ListParams> params = ParseList(ctx.request);
  if (!params.ok()) return FieldProblem("limit", params.status().message());
  const std::string role(ctx.request.QueryParam("role").value_or(""));
  const std::string team(ctx.request.QueryParam("team").value_or(""));
  std::optional<bool> disabled;
  if (auto d = ctx.request.QueryParam("disabled")) {
    if (*d != "true" && *d != "false") return FieldProblem("disabled", "true or false");
    disabled = *d == "true";
  }
  std::vector<UserRow> rows;
  const TimePoint now = s.clock.Now();
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<UserRow> all, TenantUsers(txn, *ctx.scope));
        for (UserRow& r : all) {
          const gov::UserInfo& u = r.member.user;
          if (!Matches(params->q, {u.email, u.display_name, u.user_id})) continue;
          if (!role.empty() && std::find(r.member.roles.begin(), r.member.roles.end(), role) ==
                                   r.member.roles.end()) {
            continue;
          }
          if (!team.empty() && std::find(r.teams.begin(), r.teams.end(), team) == r.teams.end()) {
            continue;
          }
          if (disabled && u.disabled != *disabled) continue;
          rows.push_back(std::move(r));
        }
        return Status::Ok();
      },
      "",
      [&] {
        return JsonResponse(
            200, Page<UserRow>(
                     rows, [](const UserRow& r) { return r.member.user.email; }, params->cursor,
                     params->limit,
                     [now](const UserRow& r) -> json::value { return UserJson(r, now); }));
      });
}

// The permissions of `role` on the scope's tenant; kNotFound for an unknown role.
Result<std::vector<std::string>> RolePermissions(store::Txn& txn, const TenantScope& scope,
                                                 std::string_view role) {
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::RoleInfo> roles, gov::ListRoles(txn, scope));
  for (const gov::RoleInfo& r : roles) {
    if (r.name == role) return r.permissions;
  }
  // The role is named by the request: a bad request, not a missing object.
  return InvalidArgument("no role " + std::string(role) + " on tenant " + scope.tenant().value());
}

// The API's grant rule (governance itself leaves it to the caller): the caller may grant `role`
// only when they hold every permission it carries, and never to themselves.
Status CheckMayGrant(store::Txn& txn, const Context& ctx, const std::string& user_id,
                     std::string_view role) {
  if (user_id == ctx.principal->user_id) {
    return PermissionDenied("you cannot change your own roles: ask another administrator");
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<std::string> perms, RolePermissions(txn, *ctx.scope, role));
  for (const std::string& p : perms) {
    if (!ctx.scope->Has(p)) {
      return PermissionDenied("role " + std::string(role) + " carries " + p +
                              ", which you do not hold: you cannot grant it");
    }
  }
  return Status::Ok();
}

// A readable random password for an invitation: 20 characters from an alphabet without
// look-alikes (about 110 bits), shown to the inviting administrator once.
std::string OneTimePassword() {
  static constexpr std::string_view kAlphabet =
      "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 20; ++i) {
    out.push_back(kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))]);
    if (i % 5 == 4 && i != 19) out.push_back('-');
  }
  return out;
}

// POST /tenants/{tenant}/users {email, display_name?, role, password?}: creates the person with
// one role on the tenant. Without a password one is generated and answered ONCE as
// one_time_password (only its argon2id hash is stored); with one, nothing is echoed.
HttpResponse CreateUser(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> email = RequiredString(*body, "email");
  if (!email.ok()) return FieldProblem("email", email.status().message());
  if (email->find('@') == std::string::npos || email->find(' ') != std::string::npos) {
    return FieldProblem("email", "not an e-mail address");
  }
  Result<std::string> name = OptionalString(*body, "display_name");
  if (!name.ok()) return FieldProblem("display_name", name.status().message());
  Result<std::string> role = RequiredString(*body, "role");
  if (!role.ok()) return FieldProblem("role", role.status().message());
  Result<std::string> password = OptionalString(*body, "password");
  if (!password.ok()) return FieldProblem("password", password.status().message());
  if (!password->empty() && password->size() < gov::kMinPasswordLength) {
    return FieldProblem("password",
                        "at least " + std::to_string(gov::kMinPasswordLength) + " characters");
  }
  const bool generated = password->empty();
  const std::string secret = generated ? OneTimePassword() : *password;
  std::string user_id;
  std::string failing_field = "role";
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        // The grant rule before anything is written (the new user is not the caller).
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<std::string> perms,
                                 RolePermissions(txn, *ctx.scope, *role));
        for (const std::string& p : perms) {
          if (!ctx.scope->Has(p)) {
            return PermissionDenied("role " + *role + " carries " + p +
                                    ", which you do not hold: you cannot grant it");
          }
        }
        failing_field = "email";
        GOVFLOW_ASSIGN_OR_RETURN(
            user_id, gov::CreateTenantUser(txn, *ctx.scope, {*email, *name, secret}, *role));
        return Status::Ok();
      },
      failing_field,
      [&] {
        json::object out{
            {"id", user_id}, {"principal", "user:" + user_id}, {"email", Lower(*email)}};
        if (generated) out["one_time_password"] = secret;
        return JsonResponse(201, out);
      });
}

// POST /tenants/{tenant}/users/{user}/roles {role}
HttpResponse GrantRole(Services& s, const Context& ctx) {
  const std::string user_id(ctx.request.Param("user"));
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> role = RequiredString(*body, "role");
  if (!role.ok()) return FieldProblem("role", role.status().message());
  std::string field = "role";
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_RETURN_IF_ERROR(CheckMayGrant(txn, ctx, user_id, *role));
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows user,
            txn.sql().Query("SELECT 1 FROM users WHERE user_id = ?", {user_id}));
        if (user.empty()) {
          field = "user";
          return NotFound("no user " + user_id);
        }
        return gov::GrantTenantRole(txn, *ctx.scope, user_id, *role);
      },
      field, [&] { return HttpResponse::Empty(204); });
}

// DELETE /tenants/{tenant}/users/{user}/roles/{role}
HttpResponse RevokeRole(Services& s, const Context& ctx) {
  const std::string user_id(ctx.request.Param("user"));
  const std::string role(ctx.request.Param("role"));
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        // Revoking is checked like granting: a role you could not grant you cannot take away,
        // and your own roles are another administrator's to change.
        GOVFLOW_RETURN_IF_ERROR(CheckMayGrant(txn, ctx, user_id, role));
        return gov::RevokeTenantRole(txn, *ctx.scope, user_id, role);
      },
      "role", [&] { return HttpResponse::Empty(204); });
}

enum class AccountChange { kDisable, kEnable, kUnlock, kPassword };

std::string_view ActionName(AccountChange c) {
  switch (c) {
    case AccountChange::kDisable:
      return "user.disable";
    case AccountChange::kEnable:
      return "user.enable";
    case AccountChange::kUnlock:
      return "user.unlock";
    case AccountChange::kPassword:
      return "user.set_password";
  }
  return "";
}

// The account changes of a user of the tenant (see the file comment for who may make them).
HttpResponse ChangeAccount(Services& s, const Context& ctx, AccountChange change,
                           const std::string& password) {
  const std::string user_id(ctx.request.Param("user"));
  if (user_id == ctx.principal->user_id && change != AccountChange::kPassword) {
    return Problem(403)
        .Detail("you cannot disable, enable or unlock your own account")
        .InvalidParam("user", "is you")
        .ToResponse();
  }
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows here,
            txn.sql().Query("SELECT 1 FROM tenant_role_grants WHERE tenant_id = ? AND user_id = ?",
                            {ctx.scope->tenant().value(), user_id}));
        if (here.empty()) return NotFound("no user " + user_id + " on this tenant");
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows elsewhere,
            txn.sql().Query("SELECT 1 FROM tenant_role_grants WHERE user_id = ? AND tenant_id <> ? "
                            "UNION SELECT 1 FROM partner_role_grants WHERE user_id = ?",
                            {user_id, ctx.scope->tenant().value(), user_id}));
        const gov::Actor& actor = ctx.scope->actor();
        if (!elsewhere.empty()) {
          // Someone who works elsewhere too is the partner's to change.
          Result<gov::PartnerScope> partner =
              s.access.AuthorizePartner(*ctx.principal, perm::kUsersManage);
          if (!partner.ok()) {
            return PermissionDenied(
                "this person also works for another tenant or the partner: a partner "
                "administrator must change their account");
          }
          if (change == AccountChange::kDisable || change == AccountChange::kEnable) {
            return gov::SetUserDisabled(txn, *partner, user_id, change == AccountChange::kDisable);
          }
          if (change == AccountChange::kPassword) {
            return gov::SetPassword(txn, *partner, user_id, password);
          }
        }
        const int64_t now = Micros(txn.Now());
        switch (change) {
          case AccountChange::kDisable:
            GOVFLOW_RETURN_IF_ERROR(
                txn.sql()
                    .Execute("UPDATE users SET disabled = 1, updated_at = ? WHERE user_id = ?",
                             {now, user_id})
                    .status());
            break;
          case AccountChange::kEnable:
            GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                        .Execute("UPDATE users SET disabled = 0, failed_attempts = "
                                                 "0, locked_until = NULL, updated_at = ? WHERE "
                                                 "user_id = ?",
                                                 {now, user_id})
                                        .status());
            break;
          case AccountChange::kUnlock:
            GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                        .Execute("UPDATE users SET failed_attempts = 0, "
                                                 "locked_until = NULL, updated_at = ? WHERE "
                                                 "user_id = ?",
                                                 {now, user_id})
                                        .status());
            break;
          case AccountChange::kPassword: {
            GOVFLOW_ASSIGN_OR_RETURN(std::string hash, gov::HashPassword(password));
            GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                        .Execute("UPDATE users SET password_hash = ?, "
                                                 "failed_attempts = 0, locked_until = NULL, "
                                                 "updated_at = ? WHERE user_id = ?",
                                                 {hash, now, user_id})
                                        .status());
            break;
          }
        }
        // A person who works for this tenant alone: chained in the tenant's trail (and the
        // partner's chain for a partner administrator's change, as governance does).
        return Audit(txn,
                     !elsewhere.empty() ? TenantId(std::string(gov::kPartnerAuditChain))
                                        : ctx.scope->tenant(),
                     actor, std::string(ActionName(change)), "user", user_id, json::object{});
      },
      "user", [&] { return HttpResponse::Empty(204); });
}

HttpResponse DisableUser(Services& s, const Context& ctx) {
  return ChangeAccount(s, ctx, AccountChange::kDisable, "");
}
HttpResponse EnableUser(Services& s, const Context& ctx) {
  return ChangeAccount(s, ctx, AccountChange::kEnable, "");
}
HttpResponse UnlockUser(Services& s, const Context& ctx) {
  return ChangeAccount(s, ctx, AccountChange::kUnlock, "");
}
// POST .../users/{user}/password {password}: sets a new password (never echoed, never audited).
HttpResponse SetUserPassword(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> password = RequiredString(*body, "password");
  if (!password.ok()) return FieldProblem("password", password.status().message());
  if (password->size() < gov::kMinPasswordLength) {
    return FieldProblem("password",
                        "at least " + std::to_string(gov::kMinPasswordLength) + " characters");
  }
  return ChangeAccount(s, ctx, AccountChange::kPassword, *password);
}

// ---- Teams ------------------------------------------------------------------------------------

HttpResponse ListTeams(Services& s, const Context& ctx) {
  Result<ListParams> params = ParseList(ctx.request);
  if (!params.ok()) return FieldProblem("limit", params.status().message());
  std::vector<gov::TeamInfo> teams;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::TeamInfo> all, gov::ListTeams(txn, *ctx.scope));
        for (gov::TeamInfo& t : all) {
          if (Matches(params->q, {t.id, t.display_name})) teams.push_back(std::move(t));
        }
        return Status::Ok();
      },
      "",
      [&] {
        return JsonResponse(200, Page<gov::TeamInfo>(
                                     teams, [](const gov::TeamInfo& t) { return t.id; },
                                     params->cursor, params->limit,
                                     [](const gov::TeamInfo& t) -> json::value {
                                       json::array members;
                                       for (const std::string& m : t.member_user_ids) {
                                         members.emplace_back("user:" + m);
                                       }
                                       return json::object{{"id", t.id},
                                                           {"display_name", t.display_name},
                                                           {"members", std::move(members)}};
                                     }));
      });
}

HttpResponse CreateTeam(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> id = RequiredString(*body, "id");
  if (!id.ok()) return FieldProblem("id", id.status().message());
  if (!gov::IsValidRoleName(*id)) {
    return FieldProblem("id", "lower-case letters, digits and '_', starting with a letter");
  }
  Result<std::string> name = RequiredString(*body, "display_name");
  if (!name.ok()) return FieldProblem("display_name", name.status().message());
  return InTxn(
      s, [&](store::Txn& txn) { return gov::CreateTeam(txn, *ctx.scope, *id, *name); }, "id",
      [&] {
        return JsonResponse(
            201, json::object{{"id", *id}, {"display_name", *name}, {"members", json::array()}});
      });
}

// POST /tenants/{tenant}/teams/{team}/members {user_id}
HttpResponse AddTeamMember(Services& s, const Context& ctx) {
  const std::string team(ctx.request.Param("team"));
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> user = RequiredString(*body, "user_id");
  if (!user.ok()) return FieldProblem("user_id", user.status().message());
  std::string user_id = *user;
  if (user_id.starts_with("user:")) user_id = user_id.substr(5);
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::TeamInfo> teams, gov::ListTeams(txn, *ctx.scope));
        if (std::none_of(teams.begin(), teams.end(),
                         [&](const gov::TeamInfo& t) { return t.id == team; })) {
          return NotFound("no team " + team);
        }
        return gov::AddTeamMember(txn, *ctx.scope, team, user_id);
      },
      "user_id", [&] { return HttpResponse::Empty(204); });
}

HttpResponse RemoveTeamMember(Services& s, const Context& ctx) {
  const std::string team(ctx.request.Param("team"));
  const std::string user_id(ctx.request.Param("user"));
  return InTxn(
      s, [&](store::Txn& txn) { return gov::RemoveTeamMember(txn, *ctx.scope, team, user_id); },
      "user", [&] { return HttpResponse::Empty(204); });
}

// ---- Roles ------------------------------------------------------------------------------------

// GET /tenants/{tenant}/roles: the catalogue (built-in tenant roles from permissions.cc, then the
// tenant's own roles, approver roles among them), each with its permissions; plus every
// permission govflow knows and which of them only partner roles hold.
HttpResponse ListRoles(Services& s, const Context& ctx) {
  json::object out;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::RoleInfo> roles, gov::ListRoles(txn, *ctx.scope));
        json::array items;
        for (const gov::RoleInfo& r : roles) {
          json::array perms;
          bool approver = false;
          bool grantable = true;
          for (const std::string& p : r.permissions) {
            perms.emplace_back(p);
            approver = approver || p == perm::kApprovalsDecide;
            grantable = grantable && ctx.scope->Has(p);
          }
          items.push_back(json::object{{"name", r.name},
                                       {"description", r.description},
                                       {"builtin", r.builtin},
                                       {"approver", approver},
                                       {"grantable_by_you", grantable},
                                       {"permissions", std::move(perms)}});
        }
        json::array partner;
        for (const gov::BuiltinRole& r : gov::PartnerRoles()) {
          json::array perms;
          for (std::string_view p : r.permissions) perms.emplace_back(p);
          partner.push_back(json::object{
              {"name", r.name}, {"description", r.description}, {"permissions", std::move(perms)}});
        }
        json::array all;
        for (std::string_view p : gov::AllPermissions()) {
          all.push_back(
              json::object{{"name", p}, {"partner_only", gov::IsPartnerOnlyPermission(p)}});
        }
        out = json::object{{"items", std::move(items)},
                           {"partner_roles", std::move(partner)},
                           {"permissions", std::move(all)}};
        return Status::Ok();
      },
      "", [&] { return JsonResponse(200, out); });
}

// ---- Connections ------------------------------------------------------------------------------

// Connector config members that hold credentials: accepted only under "secret", sealed, never
// answered.
bool IsSecretMember(std::string_view key) {
  return key == "secret" || key == "client_secret" || key == "previous_secrets" ||
         key == "access_token" || key == "password" || key == "api_key";
}

// Identifies the stored secret without revealing anything about it: the first 16 hex digits of
// the SHA-256 of the sealed bytes (a fresh random nonce each time, so it changes with every
// rotation and cannot be brute-forced back to a weak secret).
std::string Fingerprint(std::string_view sealed) {
  if (sealed.empty()) return "";
  return Sha256Hex(sealed).substr(0, 16);
}

std::string ConnectionUrl(const json::object& config) {
  for (const char* key : {"url", "base_url", "shop_url", "endpoint", "shop_domain", "host"}) {
    if (const json::value* v = config.if_contains(key); v && v->is_string()) {
      return std::string(v->as_string());
    }
  }
  return "";
}

Result<json::object> ConnectionJson(store::Txn& txn, const store::Connection& c) {
  json::value config = ParseOr(c.config_json, json::object());
  if (!config.is_object()) config = json::object();
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rotated,
      txn.sql().Query("SELECT MAX(at) FROM audit_events WHERE tenant_id = ? AND object_type = "
                      "'connection' AND object_id = ? AND action = 'connection.rotate_secret'",
                      {c.tenant.value(), c.id.value()}));
  std::optional<TimePoint> rotated_at;
  if (!rotated.empty() && !rotated[0].IsNull(0)) rotated_at = FromMicros(rotated[0].Int(0));
  return json::object{{"id", c.id.value()},
                      {"kind", c.kind},
                      {"url", ConnectionUrl(config.as_object())},
                      {"config", config},
                      {"has_secret", !c.secret_ciphertext.empty()},
                      {"secret_fingerprint", Fingerprint(c.secret_ciphertext)},
                      {"secret_rotated_at", OptionalTime(rotated_at)},
                      {"created_at", FormatTime(c.created_at)},
                      {"updated_at", FormatTime(c.updated_at)}};
}

// GET /tenants/{tenant}/connections?kind=&q=&limit=&cursor= — by id.
HttpResponse ListConnections(Services& s, const Context& ctx) {
  Result<ListParams> params = ParseList(ctx.request);
  if (!params.ok()) return FieldProblem("limit", params.status().message());
  const std::string kind(ctx.request.QueryParam("kind").value_or(""));
  json::array items;
  std::string next;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows ids,
            txn.sql().Query("SELECT connection_id FROM connections WHERE tenant_id = ? AND "
                            "connection_id > ? ORDER BY connection_id",
                            {ctx.scope->tenant().value(), params->cursor}));
        std::string last;
        for (const auto& row : ids) {
          GOVFLOW_ASSIGN_OR_RETURN(
              store::Connection c,
              txn.GetConnection(ctx.scope->tenant(), ConnectionId(row.Text(0))));
          if (!kind.empty() && c.kind != kind) continue;
          if (!Matches(params->q, {c.id.value(), c.kind, c.config_json})) continue;
          if (static_cast<int>(items.size()) == params->limit) {
            next = last;
            break;
          }
          GOVFLOW_ASSIGN_OR_RETURN(json::object j, ConnectionJson(txn, c));
          items.push_back(std::move(j));
          last = c.id.value();
        }
        return Status::Ok();
      },
      "cursor",
      [&] {
        return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
      });
}

// The "secret" member: an object of string credentials (e.g. {"secret": "..."} for Shopify
// webhooks, {"client_secret": "..."} for Business Central). Sealed as one JSON document, as
// `govflow apply` does.
Result<json::object> SecretMember(const json::object& body) {
  const json::value* v = body.if_contains("secret");
  if (v == nullptr || !v->is_object() || v->as_object().empty()) {
    return InvalidArgument("required: an object of credential fields, e.g. {\"secret\": \"...\"}");
  }
  for (const auto& kv : v->as_object()) {
    if (!kv.value().is_string() || kv.value().as_string().empty()) {
      return InvalidArgument(std::string(kv.key()) + ": must be a non-empty string");
    }
  }
  return v->as_object();
}

Result<std::string> Seal(const Services& s, const json::object& secrets) {
  if (s.options.master_key.empty()) {
    return Status(StatusCode::kUnavailable,
                  "this server has no master key to seal connection secrets with");
  }
  return gov::SealSecret(s.options.master_key, json::serialize(secrets));
}

// POST /tenants/{tenant}/connections {id, kind, config, secret}
HttpResponse CreateConnection(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> id = RequiredString(*body, "id");
  if (!id.ok()) return FieldProblem("id", id.status().message());
  if (!gov::IsValidTenantId(*id)) {
    return FieldProblem("id", "lower-case letters, digits, '-' and '_', at most 63 characters");
  }
  Result<std::string> kind = RequiredString(*body, "kind");
  if (!kind.ok()) return FieldProblem("kind", kind.status().message());
  if (connect::FindConnectorType(*kind) == nullptr) {
    std::string known;
    for (const connect::ConnectorType& t : connect::ConnectorTypes()) {
      known += (known.empty() ? "" : ", ") + std::string(t.name);
    }
    return FieldProblem("kind", "unknown connector type (known: " + known + ")");
  }
  json::object config;
  if (const json::value* c = body->if_contains("config")) {
    if (!c->is_object()) return FieldProblem("config", "must be an object");
    config = c->as_object();
  }
  for (const auto& kv : config) {
    if (IsSecretMember(kv.key())) {
      return FieldProblem("config." + std::string(kv.key()),
                          "a credential: send it in \"secret\", where it is sealed");
    }
  }
  Result<json::object> secrets = SecretMember(*body);
  if (!secrets.ok()) return FieldProblem("secret", secrets.status().message());
  json::object merged = config;
  for (const auto& kv : *secrets) merged[kv.key()] = kv.value();
  if (Status valid = connect::ValidateConnectorConfig(*kind, merged); !valid.ok()) {
    return FieldProblem("config", valid.message());
  }
  Result<std::string> sealed = Seal(s, *secrets);
  if (!sealed.ok()) return FromStatus(sealed.status());
  json::object out;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        auto existing = txn.GetConnection(ctx.scope->tenant(), ConnectionId(*id));
        if (existing.ok()) return AlreadyExists("a connection " + *id + " exists");
        if (existing.status().code() != StatusCode::kNotFound) return existing.status();
        const TimePoint now = txn.Now();
        const store::Connection c{ctx.scope->tenant(),
                                  ConnectionId(*id),
                                  *kind,
                                  json::serialize(config),
                                  *sealed,
                                  now,
                                  now};
        GOVFLOW_RETURN_IF_ERROR(txn.PutConnection(c));
        json::array fields;
        for (const auto& kv : *secrets) fields.emplace_back(kv.key());
        GOVFLOW_RETURN_IF_ERROR(Audit(txn, ctx.scope->tenant(), ctx.scope->actor(),
                                      "connection.create", "connection", *id,
                                      json::object{{"kind", *kind},
                                                   {"config_sha256", Sha256Hex(c.config_json)},
                                                   {"secret_fields", std::move(fields)},
                                                   {"secret_fingerprint", Fingerprint(*sealed)}}));
        GOVFLOW_ASSIGN_OR_RETURN(out, ConnectionJson(txn, c));
        return Status::Ok();
      },
      "id", [&] { return JsonResponse(201, out); });
}

// POST /tenants/{tenant}/connections/{connection}/secret {secret}: replaces the sealed
// credentials. Answers the connection (fingerprint, rotation time), never the secret.
HttpResponse RotateConnectionSecret(Services& s, const Context& ctx) {
  const std::string id(ctx.request.Param("connection"));
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<json::object> secrets = SecretMember(*body);
  if (!secrets.ok()) return FieldProblem("secret", secrets.status().message());
  json::object out;
  std::string field = "connection";
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(store::Connection c,
                                 txn.GetConnection(ctx.scope->tenant(), ConnectionId(id)));
        json::value config = ParseOr(c.config_json, json::object());
        json::object merged = config.is_object() ? config.as_object() : json::object();
        for (const auto& kv : *secrets) merged[kv.key()] = kv.value();
        field = "secret";
        GOVFLOW_RETURN_IF_ERROR(connect::ValidateConnectorConfig(c.kind, merged));
        GOVFLOW_ASSIGN_OR_RETURN(std::string sealed, Seal(s, *secrets));
        const std::string before = Fingerprint(c.secret_ciphertext);
        c.secret_ciphertext = sealed;
        c.updated_at = txn.Now();
        GOVFLOW_RETURN_IF_ERROR(txn.PutConnection(c));
        json::array fields;
        for (const auto& kv : *secrets) fields.emplace_back(kv.key());
        GOVFLOW_RETURN_IF_ERROR(Audit(txn, ctx.scope->tenant(), ctx.scope->actor(),
                                      "connection.rotate_secret", "connection", id,
                                      json::object{{"secret_fields", std::move(fields)},
                                                   {"fingerprint_before", before},
                                                   {"fingerprint_after", Fingerprint(sealed)}}));
        GOVFLOW_ASSIGN_OR_RETURN(out, ConnectionJson(txn, c));
        return Status::Ok();
      },
      field, [&] { return JsonResponse(200, out); });
}

// ---- API tokens -------------------------------------------------------------------------------

json::object TokenJson(const gov::TokenInfo& t, TimePoint now) {
  const bool expired = t.expires_at && *t.expires_at <= now;
  return json::object{{"id", t.token_id},
                      {"name", t.name},
                      {"user", "user:" + t.user_id},
                      {"created_by", t.created_by},
                      {"created_at", FormatTime(t.created_at)},
                      {"expires_at", OptionalTime(t.expires_at)},
                      {"last_used_at", OptionalTime(t.last_used_at)},
                      {"revoked_at", OptionalTime(t.revoked_at)},
                      {"state", t.revoked_at ? "revoked"
                                : expired    ? "expired"
                                             : "active"}};
}

// GET /tenants/{tenant}/tokens?mine=true&state=active — newest first; ids and names only (the
// token itself is shown once, at creation, and only its hash is stored).
HttpResponse ListTokens(Services& s, const Context& ctx) {
  Result<ListParams> params = ParseList(ctx.request);
  if (!params.ok()) return FieldProblem("limit", params.status().message());
  bool mine = false;
  if (auto m = ctx.request.QueryParam("mine")) {
    if (*m != "true" && *m != "false") return FieldProblem("mine", "true or false");
    mine = *m == "true";
  }
  const std::string state(ctx.request.QueryParam("state").value_or(""));
  if (!state.empty() && state != "active" && state != "revoked" && state != "expired") {
    return FieldProblem("state", "one of active, revoked, expired");
  }
  const TimePoint now = s.clock.Now();
  json::array items;
  std::string next;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::TokenInfo> tokens,
                                 gov::ListTenantTokens(txn, *ctx.scope));
        bool past_cursor = params->cursor.empty();
        std::string last;
        for (const gov::TokenInfo& t : tokens) {
          if (!past_cursor) {
            past_cursor = t.token_id == params->cursor;
            continue;
          }
          if (mine && t.user_id != ctx.principal->user_id) continue;
          json::object j = TokenJson(t, now);
          if (!state.empty() && j["state"].as_string() != state) continue;
          if (!Matches(params->q, {t.name, t.token_id})) continue;
          if (static_cast<int>(items.size()) == params->limit) {
            next = last;
            break;
          }
          items.push_back(std::move(j));
          last = t.token_id;
        }
        return Status::Ok();
      },
      "cursor",
      [&] {
        return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
      });
}

// POST /tenants/{tenant}/tokens {name, expires_at?}: a token acting for the caller on this
// tenant only. The token is in this answer once. Tokens act for their creator only: issuing one
// for someone else would let an administrator act as them.
HttpResponse CreateToken(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> name = RequiredString(*body, "name");
  if (!name.ok()) return FieldProblem("name", name.status().message());
  if (name->size() > 80) return FieldProblem("name", "at most 80 characters");
  Result<std::string> expires = OptionalString(*body, "expires_at");
  if (!expires.ok()) return FieldProblem("expires_at", expires.status().message());
  std::optional<TimePoint> expires_at;
  if (!expires->empty()) {
    expires_at = ParseTime(*expires);
    if (!expires_at) return FieldProblem("expires_at", "an RFC 3339 UTC time");
    if (*expires_at <= s.clock.Now()) return FieldProblem("expires_at", "must be in the future");
  }
  if (ctx.principal->user_id.empty()) return FieldProblem("name", "no user to act for", 403);
  gov::IssuedToken issued;
  std::optional<gov::TokenInfo> info;
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(
            issued,
            gov::IssueTenantToken(txn, *ctx.scope, ctx.principal->user_id, *name, expires_at));
        GOVFLOW_ASSIGN_OR_RETURN(std::vector<gov::TokenInfo> all,
                                 gov::ListTenantTokens(txn, *ctx.scope));
        for (const gov::TokenInfo& t : all) {
          if (t.token_id == issued.token_id) info = t;
        }
        return Status::Ok();
      },
      "name",
      [&] {
        json::object out = info ? TokenJson(*info, s.clock.Now()) : json::object{};
        out["id"] = issued.token_id;
        out["token"] = issued.token;
        return JsonResponse(201, out);
      });
}

HttpResponse RevokeToken(Services& s, const Context& ctx) {
  const std::string id(ctx.request.Param("token"));
  return InTxn(
      s, [&](store::Txn& txn) { return gov::RevokeTenantToken(txn, *ctx.scope, id); }, "token",
      [&] { return HttpResponse::Empty(204); });
}

// ---- Branding ---------------------------------------------------------------------------------

// PUT /branding (branding.manage on the partner): validates the document (problem naming the
// member), writes the branding file atomically (temp file + rename, so a reader never sees half
// a file) in the audit event's transaction; BrandingSource re-reads it on its next request.
HttpResponse PutBranding(Services& s, const Context& ctx) {
  if (s.options.branding_file.empty()) {
    return Problem(409)
        .Detail("this server has no branding file (serve --branding FILE or a data directory)")
        .ToResponse();
  }
  Result<std::string> normalised = NormaliseBranding(ctx.request.body);
  if (!normalised.ok()) {
    // "branding: <member>: <reason>"
    std::string message = normalised.status().message();
    constexpr std::string_view kPrefix = "branding: ";
    if (message.starts_with(kPrefix)) message = message.substr(kPrefix.size());
    const size_t colon = message.find(": ");
    const std::string member = colon == std::string::npos ? "(body)" : message.substr(0, colon);
    return FieldProblem(member, colon == std::string::npos ? message : message.substr(colon + 2));
  }
  Result<gov::PartnerScope> partner =
      s.access.AuthorizePartner(*ctx.principal, perm::kBrandingManage);
  if (!partner.ok()) return FromStatus(partner.status());
  const std::string before = s.branding.Json();
  return InTxn(
      s,
      [&](store::Txn& txn) -> Status {
        gov::AuditRecord rec;
        rec.actor = partner->actor().id;
        rec.action = "branding.update";
        rec.object_type = "branding";
        rec.object_id = "partner";
        rec.before_digest = Sha256Hex(before);
        rec.after_digest = Sha256Hex(*normalised);
        GOVFLOW_RETURN_IF_ERROR(
            gov::AppendAudit(txn, TenantId(std::string(gov::kPartnerAuditChain)), rec).status());
        // Last, so that a failed write rolls the audit event back with it.
        return WriteBrandingFile(s.options.branding_file, *normalised);
      },
      "", [&] { return HttpResponse::Json(200, s.branding.Json()); });
}

}  // namespace

std::span<const Route> AdminRoutes() {
  using governance::perm::kBrandingManage;
  using governance::perm::kConnectionsManage;
  using governance::perm::kConnectionsRead;
  using governance::perm::kTenantsManage;
  using governance::perm::kTenantsRead;
  using governance::perm::kTokensManage;
  using governance::perm::kUsersManage;
  using governance::perm::kUsersRead;
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants", Access::kAuthenticated, "",
        "the tenants the caller may see, one page"},
       &ListTenants},
      {{"POST", "/api/v1/tenants", Access::kAuthenticated, kTenantsManage, "create a tenant"},
       &CreateTenant},
      {{"PUT", "/api/v1/branding", Access::kAuthenticated, kBrandingManage,
        "replace the partner's branding"},
       &PutBranding},
      {{"GET", "/api/v1/tenants/{tenant}", Access::kTenant, kTenantsRead, "one tenant"},
       &GetTenant},
      {{"GET", "/api/v1/tenants/{tenant}/people", Access::kTenant, kTenantsRead,
        "names of the people who can act in the tenant"},
       &ListPeople},
      {{"GET", "/api/v1/tenants/{tenant}/users", Access::kTenant, kUsersRead,
        "the tenant's users with roles and teams, one page"},
       &ListUsers},
      {{"POST", "/api/v1/tenants/{tenant}/users", Access::kTenant, kUsersManage,
        "create a user with a role on the tenant"},
       &CreateUser},
      {{"POST", "/api/v1/tenants/{tenant}/users/{user}/roles", Access::kTenant, kUsersManage,
        "grant a role"},
       &GrantRole},
      {{"DELETE", "/api/v1/tenants/{tenant}/users/{user}/roles/{role}", Access::kTenant,
        kUsersManage, "revoke a role"},
       &RevokeRole},
      {{"POST", "/api/v1/tenants/{tenant}/users/{user}/disable", Access::kTenant, kUsersManage,
        "disable a user"},
       &DisableUser},
      {{"POST", "/api/v1/tenants/{tenant}/users/{user}/enable", Access::kTenant, kUsersManage,
        "enable a user"},
       &EnableUser},
      {{"POST", "/api/v1/tenants/{tenant}/users/{user}/unlock", Access::kTenant, kUsersManage,
        "clear a user's lockout"},
       &UnlockUser},
      {{"POST", "/api/v1/tenants/{tenant}/users/{user}/password", Access::kTenant, kUsersManage,
        "set a user's password"},
       &SetUserPassword},
      {{"GET", "/api/v1/tenants/{tenant}/teams", Access::kTenant, kUsersRead,
        "the tenant's teams, one page"},
       &ListTeams},
      {{"POST", "/api/v1/tenants/{tenant}/teams", Access::kTenant, kUsersManage, "create a team"},
       &CreateTeam},
      {{"POST", "/api/v1/tenants/{tenant}/teams/{team}/members", Access::kTenant, kUsersManage,
        "add a member to a team"},
       &AddTeamMember},
      {{"DELETE", "/api/v1/tenants/{tenant}/teams/{team}/members/{user}", Access::kTenant,
        kUsersManage, "remove a member from a team"},
       &RemoveTeamMember},
      {{"GET", "/api/v1/tenants/{tenant}/roles", Access::kTenant, kUsersRead,
        "the role catalogue with permissions"},
       &ListRoles},
      {{"GET", "/api/v1/tenants/{tenant}/connections", Access::kTenant, kConnectionsRead,
        "the tenant's connections (never their secrets), one page"},
       &ListConnections},
      {{"POST", "/api/v1/tenants/{tenant}/connections", Access::kTenant, kConnectionsManage,
        "create a connection"},
       &CreateConnection},
      {{"POST", "/api/v1/tenants/{tenant}/connections/{connection}/secret", Access::kTenant,
        kConnectionsManage, "rotate a connection's secret"},
       &RotateConnectionSecret},
      {{"GET", "/api/v1/tenants/{tenant}/tokens", Access::kTenant, kTokensManage,
        "the tenant's API tokens (ids and names), one page"},
       &ListTokens},
      {{"POST", "/api/v1/tenants/{tenant}/tokens", Access::kTenant, kTokensManage,
        "create an API token for yourself on the tenant"},
       &CreateToken},
      {{"DELETE", "/api/v1/tenants/{tenant}/tokens/{token}", Access::kTenant, kTokensManage,
        "revoke an API token"},
       &RevokeToken},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
