// AccessControl: authentication (passwords, tokens, the CLI's --as) and the permission checks
// that hand out TenantScopes and PartnerScopes. The only place that builds scopes for people.
#include "governance/access.h"

#include <algorithm>
#include <cctype>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/passwords.h"
#include "governance/permissions.h"
#include "store/store.h"

namespace govflow::governance {
namespace {

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  size_t start = 0;
  while (start < out.size() && std::isspace(static_cast<unsigned char>(out[start]))) ++start;
  return out.substr(start);
}

// Spends the time of one argon2id verification when there is no hash to check (unknown e-mail,
// disabled or locked user), so that response times do not tell which logins exist.
void VerifyAgainstDummy(std::string_view password) {
  static const std::string kDummy = [] {
    auto h = HashPassword("govflow dummy password for timing");
    return h.ok() ? *h : std::string();
  }();
  (void)VerifyPassword(kDummy, password);
}

// One message for every failed login, so that a caller cannot tell an unknown email from a wrong
// password, a disabled user or a locked account.
Status LoginFailed() {
  return Status(StatusCode::kUnauthenticated, "invalid credentials");
}

Principal UserPrincipal(std::string user_id, std::string email, std::string display_name) {
  Principal p;
  p.actor.id = "user:" + user_id;
  p.actor.user_id = user_id;
  p.actor.display_name = display_name;
  p.user_id = std::move(user_id);
  p.email = std::move(email);
  p.display_name = std::move(display_name);
  return p;
}

Result<std::set<std::string>> PartnerRolesOf(store::Txn& txn, const std::string& user_id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT role FROM partner_role_grants WHERE user_id = ?", {user_id}));
  std::set<std::string> roles;
  for (const auto& r : rows) {
    if (FindPartnerRole(r.Text(0)) != nullptr) roles.insert(r.Text(0));
  }
  return roles;
}

void AddPartnerPermissions(const std::set<std::string>& roles, std::set<std::string>& perms) {
  for (const std::string& role : roles) {
    if (const BuiltinRole* r = FindPartnerRole(role)) {
      for (std::string_view p : r->permissions) perms.emplace(p);
    }
  }
}

// Checks that the principal still stands: the user is enabled and, for a token, the token is
// neither revoked nor expired (revocation takes effect on the next request, even for a
// Principal held in memory).
Status CheckPrincipalValid(store::Txn& txn, const Principal& principal) {
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows users,
      txn.sql().Query("SELECT disabled FROM users WHERE user_id = ?", {principal.user_id}));
  if (users.empty() || users[0].Int(0) != 0) {
    return Status(StatusCode::kUnauthenticated, "the user no longer exists or is disabled");
  }
  if (!principal.token_id.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows tokens,
        txn.sql().Query("SELECT revoked_at, expires_at FROM api_tokens WHERE token_id = ? AND "
                        "user_id = ?",
                        {principal.token_id, principal.user_id}));
    if (tokens.empty() || !tokens[0].IsNull(0) ||
        (!tokens[0].IsNull(1) && tokens[0].Int(1) <= Micros(txn.Now()))) {
      return Status(StatusCode::kUnauthenticated, "the token is revoked or expired");
    }
  }
  return Status::Ok();
}

}  // namespace

Status PartnerScope::Require(std::string_view permission) const {
  if (Has(permission)) return Status::Ok();
  return PermissionDenied(actor_.id + " lacks partner permission " + std::string(permission));
}

PartnerScope PartnerScope::ForSystem(std::string_view component) {
  Actor actor;
  actor.id = "system:" + std::string(component);
  actor.display_name = std::string(component);
  std::set<std::string> all;
  for (std::string_view p : AllPermissions()) all.emplace(p);
  return PartnerScope(std::move(actor), {}, std::move(all));
}

AccessControl::AccessControl(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock) {}

Result<Principal> AccessControl::AuthenticatePassword(std::string_view email,
                                                      std::string_view password) {
  const std::string normalized = Lower(email);
  std::string user_id, stored_email, display_name, hash;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("SELECT user_id, email, display_name, password_hash, disabled, "
                        "locked_until FROM users WHERE email = ?",
                        {normalized}));
    GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
    const bool locked =
        !rows.empty() && !rows[0].IsNull(5) && rows[0].Int(5) > Micros(clock_.Now());
    if (rows.empty() || rows[0].Int(4) != 0 || locked || rows[0].Text(3).empty()) {
      VerifyAgainstDummy(password);
      return LoginFailed();
    }
    const auto& r = rows[0];
    user_id = r.Text(0);
    stored_email = r.Text(1);
    display_name = r.Text(2);
    hash = r.Text(3);
  }
  // The slow argon2id check runs outside any transaction (no lock held while hashing).
  const bool matches = VerifyPassword(hash, password);
  const int64_t now = Micros(clock_.Now());
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    if (matches) {
      return txn.sql()
          .Execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE user_id = ?",
                   {user_id})
          .status();
    }
    // Counted in SQL so that concurrent wrong guesses all count.
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE user_id = ? "
                        "RETURNING failed_attempts",
                        {user_id}));
    if (rows.empty() || rows[0].Int(0) < kMaxFailedLogins) return Status::Ok();
    const TimePoint until = clock_.Now() + kLockoutPeriod;
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("UPDATE users SET failed_attempts = 0, locked_until = ?, updated_at = ? "
                     "WHERE user_id = ?",
                     {Micros(until), now, user_id})
            .status());
    AuditRecord rec{.actor = "system:access",
                    .action = "user.lock",
                    .object_type = "user",
                    .object_id = user_id,
                    .reason = std::to_string(kMaxFailedLogins) + " failed logins",
                    .details_json = "{\"locked_until_us\":" + std::to_string(Micros(until)) + "}"};
    return AppendAudit(txn, TenantId(std::string(kPartnerAuditChain)), rec).status();
  }));
  if (!matches) return LoginFailed();
  Principal principal = UserPrincipal(user_id, stored_email, display_name);
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(std::set<std::string> roles, PartnerRolesOf(txn, user_id));
  principal.partner_level = !roles.empty();
  return principal;
}

Result<Principal> AccessControl::AuthenticateToken(std::string_view token) {
  if (!token.starts_with("gft_")) return Status(StatusCode::kUnauthenticated, "invalid token");
  const std::string hash = Sha256Hex(token);
  Principal principal;
  bool valid = false;
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    valid = false;
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query(
            "SELECT t.token_id, t.tenant_id, t.user_id, t.expires_at, t.revoked_at, "
            "t.last_used_at, u.email, u.display_name, u.disabled "
            "FROM api_tokens t JOIN users u ON u.user_id = t.user_id WHERE t.token_hash = ?",
            {hash}));
    if (rows.empty()) return Status::Ok();
    const auto& r = rows[0];
    const int64_t now = Micros(txn.Now());
    if (!r.IsNull(4) || (!r.IsNull(3) && r.Int(3) <= now) || r.Int(8) != 0) return Status::Ok();
    principal = UserPrincipal(r.Text(2), r.Text(6), r.Text(7));
    principal.token_id = r.Text(0);
    principal.token_tenant = TenantId(r.Text(1));
    principal.actor.id = "token:" + principal.token_id;
    valid = true;
    // last_used_at at minute resolution: one write per token and minute, not per request.
    if (r.IsNull(5) || now - r.Int(5) >= 60'000'000) {
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?",
                       {now, principal.token_id})
              .status());
    }
    return Status::Ok();
  }));
  if (!valid) return Status(StatusCode::kUnauthenticated, "invalid token");
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(std::set<std::string> roles, PartnerRolesOf(txn, principal.user_id));
  principal.partner_level = !roles.empty() && principal.token_tenant.empty();
  return principal;
}

Result<Principal> AccessControl::PrincipalForEmail(std::string_view email) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT user_id, email, display_name FROM users WHERE email = ? AND "
                      "disabled = 0",
                      {Lower(email)}));
  if (rows.empty()) {
    return Status(StatusCode::kUnauthenticated, "no enabled user " + std::string(email));
  }
  Principal p = UserPrincipal(rows[0].Text(0), rows[0].Text(1), rows[0].Text(2));
  GOVFLOW_ASSIGN_OR_RETURN(std::set<std::string> roles, PartnerRolesOf(txn, p.user_id));
  p.partner_level = !roles.empty();
  return p;
}

Result<std::vector<TenantId>> AccessControl::VisibleTenants(const Principal& principal) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_RETURN_IF_ERROR(CheckPrincipalValid(txn, principal));
  GOVFLOW_ASSIGN_OR_RETURN(std::set<std::string> partner_roles,
                           PartnerRolesOf(txn, principal.user_id));
  store::sql::Rows rows;
  if (!partner_roles.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(rows,
                             txn.sql().Query("SELECT tenant_id FROM tenants ORDER BY tenant_id"));
  } else {
    GOVFLOW_ASSIGN_OR_RETURN(
        rows, txn.sql().Query("SELECT DISTINCT g.tenant_id FROM tenant_role_grants g "
                              "WHERE g.user_id = ? ORDER BY g.tenant_id",
                              {principal.user_id}));
  }
  std::vector<TenantId> out;
  for (const auto& r : rows) {
    TenantId t(r.Text(0));
    // A tenant token sees its own tenant only.
    if (!principal.token_tenant.empty() && t != principal.token_tenant) continue;
    out.push_back(std::move(t));
  }
  return out;
}

Result<TenantScope> AccessControl::Authorize(const Principal& principal, const TenantId& tenant,
                                             std::string_view permission) {
  if (!IsKnownPermission(permission)) {
    return InvalidArgument("unknown permission " + std::string(permission));
  }
  // One message for "no such tenant" and "not yours": a user of A learns nothing about B.
  const Status not_found = NotFound("no tenant " + tenant.value());
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_RETURN_IF_ERROR(CheckPrincipalValid(txn, principal));
  if (!principal.token_tenant.empty() && principal.token_tenant != tenant) return not_found;
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows tenants,
      txn.sql().Query("SELECT tenant_id FROM tenants WHERE tenant_id = ?", {tenant.value()}));
  if (tenants.empty()) return not_found;

  GOVFLOW_ASSIGN_OR_RETURN(std::set<std::string> roles, PartnerRolesOf(txn, principal.user_id));
  std::set<std::string> permissions;
  AddPartnerPermissions(roles, permissions);

  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows grants,
      txn.sql().Query("SELECT role FROM tenant_role_grants WHERE tenant_id = ? AND user_id = ?",
                      {tenant.value(), principal.user_id}));
  for (const auto& g : grants) {
    const std::string role = g.Text(0);
    roles.insert(role);
    if (const BuiltinRole* r = FindBuiltinTenantRole(role)) {
      for (std::string_view p : r->permissions) permissions.emplace(p);
    }
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows custom,
      txn.sql().Query("SELECT p.permission FROM tenant_role_grants g "
                      "JOIN tenant_role_permissions p ON p.tenant_id = g.tenant_id AND "
                      "p.role = g.role WHERE g.tenant_id = ? AND g.user_id = ?",
                      {tenant.value(), principal.user_id}));
  for (const auto& c : custom) {
    // Defence in depth: a tenant's data never carries partner-only permissions.
    if (!IsPartnerOnlyPermission(c.Text(0))) permissions.insert(c.Text(0));
  }
  if (roles.empty()) return not_found;
  GOVFLOW_RETURN_IF_ERROR(txn.Rollback());

  TenantScope scope(tenant, principal.actor, std::move(roles), std::move(permissions));
  GOVFLOW_RETURN_IF_ERROR(scope.Require(permission));
  return scope;
}

Result<PartnerScope> AccessControl::AuthorizePartner(const Principal& principal,
                                                     std::string_view permission) {
  if (!IsKnownPermission(permission)) {
    return InvalidArgument("unknown permission " + std::string(permission));
  }
  if (!principal.token_tenant.empty()) {
    return PermissionDenied(principal.actor.id + " is limited to tenant " +
                            principal.token_tenant.value());
  }
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_RETURN_IF_ERROR(CheckPrincipalValid(txn, principal));
  GOVFLOW_ASSIGN_OR_RETURN(std::set<std::string> roles, PartnerRolesOf(txn, principal.user_id));
  GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
  std::set<std::string> permissions;
  AddPartnerPermissions(roles, permissions);
  PartnerScope scope(principal.actor, std::move(roles), std::move(permissions));
  GOVFLOW_RETURN_IF_ERROR(scope.Require(permission));
  return scope;
}

}  // namespace govflow::governance
