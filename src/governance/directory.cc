// The directory's operations. Each change: check the scope's permission, validate, write, append
// the audit event, all in the caller's transaction.
#include "governance/directory.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <set>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/passwords.h"
#include "governance/permissions.h"

namespace govflow::governance {
namespace {

using store::sql::Rows;

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}
std::optional<TimePoint> OptionalTime(const store::sql::Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return FromMicros(r.Int(i));
}

const TenantId& PartnerChain() {
  static const TenantId kChain{std::string(kPartnerAuditChain)};
  return kChain;
}

std::string NormalizeEmail(std::string_view email) {
  std::string out;
  for (char c : email) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

bool IsValidEmail(std::string_view email) {
  const size_t at = email.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos && email.size() <= 254;
}

// details_json from string facts.
std::string Details(std::initializer_list<std::pair<std::string_view, std::string>> facts) {
  boost::json::object o;
  for (const auto& [k, v] : facts) o[k] = v;
  return CanonicalJson(o);
}

Status Audit(store::Txn& txn, const TenantId& chain, const Actor& actor, std::string action,
             std::string object_type, std::string object_id, std::string details_json,
             std::string reason = "") {
  AuditRecord rec;
  rec.actor = actor.id;
  rec.action = std::move(action);
  rec.object_type = std::move(object_type);
  rec.object_id = std::move(object_id);
  rec.reason = std::move(reason);
  rec.details_json = std::move(details_json);
  return AppendAudit(txn, chain, rec).status();
}

Status CheckPassword(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return InvalidArgument("a password needs at least " + std::to_string(kMinPasswordLength) +
                           " characters");
  }
  return Status::Ok();
}

Result<bool> UserExists(store::Txn& txn, const std::string& user_id) {
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows,
                           txn.sql().Query("SELECT 1 FROM users WHERE user_id = ?", {user_id}));
  return !rows.empty();
}

Status RequireUser(store::Txn& txn, const std::string& user_id) {
  GOVFLOW_ASSIGN_OR_RETURN(bool exists, UserExists(txn, user_id));
  if (!exists) return NotFound("no user " + user_id);
  return Status::Ok();
}

Result<bool> HoldsAnyTenantRole(store::Txn& txn, const TenantId& tenant,
                                const std::string& user_id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT 1 FROM tenant_role_grants WHERE tenant_id = ? AND "
                                 "user_id = ?",
                                 {tenant.value(), user_id}));
  return !rows.empty();
}

// Inserts the user row; returns the new id. Hashes the password (argon2id) when given.
Result<std::string> InsertUser(store::Txn& txn, const NewUser& user) {
  const std::string email = NormalizeEmail(user.email);
  if (!IsValidEmail(email)) return InvalidArgument("not an e-mail address: " + user.email);
  std::string hash;
  if (!user.password.empty()) {
    GOVFLOW_RETURN_IF_ERROR(CheckPassword(user.password));
    GOVFLOW_ASSIGN_OR_RETURN(hash, HashPassword(user.password));
  }
  GOVFLOW_ASSIGN_OR_RETURN(Rows existing,
                           txn.sql().Query("SELECT 1 FROM users WHERE email = ?", {email}));
  if (!existing.empty()) return AlreadyExists("a user with e-mail " + email + " exists");
  const std::string user_id = NewUniqueId("usr_");
  const int64_t now = Micros(txn.Now());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO users (user_id, email, display_name, password_hash, disabled, "
                   "failed_attempts, locked_until, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, 0, 0, NULL, ?, ?)",
                   {user_id, email, user.display_name.empty() ? email : user.display_name, hash,
                    now, now})
          .status());
  return user_id;
}

Result<bool> TenantRoleExists(store::Txn& txn, const TenantId& tenant, std::string_view role) {
  if (FindBuiltinTenantRole(role) != nullptr) return true;
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT 1 FROM tenant_roles WHERE tenant_id = ? AND role = ?",
                                 {tenant.value(), std::string(role)}));
  return !rows.empty();
}

bool IsDefaultApproverRole(std::string_view role) {
  for (const BuiltinRole& r : DefaultApproverRoles()) {
    if (r.name == role) return true;
  }
  return false;
}

Status InsertTenantGrant(store::Txn& txn, const TenantScope& scope, const std::string& user_id,
                         std::string_view role) {
  GOVFLOW_ASSIGN_OR_RETURN(bool role_exists, TenantRoleExists(txn, scope.tenant(), role));
  if (!role_exists && IsDefaultApproverRole(role)) {
    // A tenant created outside CreateTenant (e.g. by `govflow apply`) gets its default approver
    // roles when one is first granted.
    GOVFLOW_RETURN_IF_ERROR(SeedDefaultRoles(txn, scope.tenant()));
    role_exists = true;
  }
  if (!role_exists) {
    return NotFound("no role " + std::string(role) + " on tenant " + scope.tenant().value());
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows held, txn.sql().Query("SELECT 1 FROM tenant_role_grants WHERE tenant_id = ? AND "
                                 "user_id = ? AND role = ?",
                                 {scope.tenant().value(), user_id, std::string(role)}));
  if (!held.empty()) return AlreadyExists(user_id + " already holds " + std::string(role));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO tenant_role_grants (tenant_id, user_id, role, granted_by, "
                   "granted_at) VALUES (?, ?, ?, ?, ?)",
                   {scope.tenant().value(), user_id, std::string(role), scope.actor().id,
                    Micros(txn.Now())})
          .status());
  return Audit(txn, scope.tenant(), scope.actor(), "role.grant", "user", user_id,
               Details({{"role", std::string(role)}}));
}

Status CheckPermissions(const std::vector<std::string>& permissions) {
  for (const std::string& p : permissions) {
    if (!IsKnownPermission(p)) return InvalidArgument("unknown permission " + p);
    if (IsPartnerOnlyPermission(p)) {
      return InvalidArgument("permission " + p + " is for partner roles only");
    }
  }
  return Status::Ok();
}

Status InsertRolePermissions(store::Txn& txn, const TenantId& tenant, std::string_view role,
                             const std::vector<std::string>& permissions) {
  std::set<std::string> unique(permissions.begin(), permissions.end());
  for (const std::string& p : unique) {
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("INSERT INTO tenant_role_permissions (tenant_id, role, "
                                         "permission) VALUES (?, ?, ?)",
                                         {tenant.value(), std::string(role), p})
                                .status());
  }
  return Status::Ok();
}

std::string PermissionList(const std::vector<std::string>& permissions) {
  std::set<std::string> unique(permissions.begin(), permissions.end());
  std::string out;
  for (const std::string& p : unique) out += (out.empty() ? "" : ",") + p;
  return out;
}

Result<IssuedToken> InsertToken(store::Txn& txn, const Actor& actor, const TenantId& tenant,
                                const std::string& user_id, std::string_view name,
                                std::optional<TimePoint> expires_at) {
  if (name.empty()) return InvalidArgument("a token needs a name (what it is for)");
  if (expires_at && *expires_at <= txn.Now()) {
    return InvalidArgument("a token's expiry must be in the future");
  }
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof text, random, sizeof random,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  IssuedToken issued;
  issued.token = "gft_" + std::string(text);
  issued.token_id = NewUniqueId("tok_");
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute(
              "INSERT INTO api_tokens (token_id, token_hash, tenant_id, user_id, name, "
              "created_by, created_at, expires_at, revoked_at, last_used_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
              {issued.token_id, Sha256Hex(issued.token),
               tenant.empty() ? store::sql::Value(nullptr) : store::sql::Value(tenant.value()),
               user_id, std::string(name), actor.id, Micros(txn.Now()),
               expires_at ? store::sql::Value(Micros(*expires_at)) : store::sql::Value(nullptr)})
          .status());
  GOVFLOW_RETURN_IF_ERROR(
      Audit(txn, tenant.empty() ? PartnerChain() : tenant, actor, "token.issue", "api_token",
            issued.token_id,
            Details({{"user_id", user_id},
                     {"name", std::string(name)},
                     {"expires_at_us", expires_at ? std::to_string(Micros(*expires_at)) : ""}})));
  return issued;
}

constexpr std::string_view kTokenColumns =
    "token_id, user_id, name, tenant_id, created_by, created_at, expires_at, revoked_at, "
    "last_used_at";

std::vector<TokenInfo> ToTokens(const Rows& rows) {
  std::vector<TokenInfo> out;
  for (const auto& r : rows) {
    TokenInfo t;
    t.token_id = r.Text(0);
    t.user_id = r.Text(1);
    t.name = r.Text(2);
    t.tenant = TenantId(r.Text(3));
    t.created_by = r.Text(4);
    t.created_at = FromMicros(r.Int(5));
    t.expires_at = OptionalTime(r, 6);
    t.revoked_at = OptionalTime(r, 7);
    t.last_used_at = OptionalTime(r, 8);
    out.push_back(std::move(t));
  }
  return out;
}

constexpr std::string_view kUserColumns =
    "u.user_id, u.email, u.display_name, u.password_hash, u.disabled, u.failed_attempts, "
    "u.locked_until, u.created_at";

UserInfo ToUser(const store::sql::Row& r) {
  UserInfo u;
  u.user_id = r.Text(0);
  u.email = r.Text(1);
  u.display_name = r.Text(2);
  u.has_password = !r.Text(3).empty();
  u.disabled = r.Int(4) != 0;
  u.failed_attempts = r.Int(5);
  u.locked_until = OptionalTime(r, 6);
  u.created_at = FromMicros(r.Int(7));
  return u;
}

Status RevokeToken(store::Txn& txn, const Actor& actor, const TenantId& tenant_filter,
                   std::string_view token_id) {
  std::string sql = "SELECT tenant_id, revoked_at FROM api_tokens WHERE token_id = ?";
  store::sql::Params params{std::string(token_id)};
  if (!tenant_filter.empty()) {
    sql += " AND tenant_id = ?";
    params.emplace_back(tenant_filter.value());
  }
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows, txn.sql().Query(sql, params));
  if (rows.empty()) return NotFound("no token " + std::string(token_id));
  if (!rows[0].IsNull(1))
    return FailedPrecondition("token " + std::string(token_id) + " is already revoked");
  const TenantId token_tenant(rows[0].Text(0));
  GOVFLOW_RETURN_IF_ERROR(txn.sql()
                              .Execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?",
                                       {Micros(txn.Now()), std::string(token_id)})
                              .status());
  return Audit(txn, token_tenant.empty() ? PartnerChain() : token_tenant, actor, "token.revoke",
               "api_token", std::string(token_id), "{}");
}

}  // namespace

// ---- Partner ----------------------------------------------------------------------------------

Result<PartnerInitResult> InitPartner(store::Txn& txn, const PartnerInit& init) {
  if (!IsValidTenantId(init.partner_id)) {
    return InvalidArgument("partner id must match [a-z0-9][a-z0-9_-]*: " + init.partner_id);
  }
  if (init.admin_password.empty()) return InvalidArgument("the first admin needs a password");
  GOVFLOW_ASSIGN_OR_RETURN(Rows existing, txn.sql().Query("SELECT partner_id FROM partner"));
  if (!existing.empty()) {
    return AlreadyExists("this installation already has partner " + existing[0].Text(0));
  }
  PartnerInitResult result;
  result.partner.id = init.partner_id;
  result.partner.display_name = init.display_name.empty() ? init.partner_id : init.display_name;
  result.partner.created_at = txn.Now();
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute(
              "INSERT INTO partner (partner_id, display_name, created_at, singleton) "
              "VALUES (?, ?, ?, 1)",
              {result.partner.id, result.partner.display_name, Micros(result.partner.created_at)})
          .status());
  const PartnerScope bootstrap = PartnerScope::ForSystem("bootstrap");
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, PartnerChain(), bootstrap.actor(), "partner.init", "partner",
                                result.partner.id,
                                Details({{"display_name", result.partner.display_name}})));
  GOVFLOW_ASSIGN_OR_RETURN(
      result.admin_user_id,
      CreateUser(txn, bootstrap,
                 NewUser{init.admin_email, init.admin_display_name, init.admin_password}));
  GOVFLOW_RETURN_IF_ERROR(GrantPartnerRole(txn, bootstrap, result.admin_user_id, "partner_admin"));
  return result;
}

Result<PartnerInfo> GetPartner(store::Txn& txn) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT partner_id, display_name, created_at FROM partner"));
  if (rows.empty()) return NotFound("no partner yet: run `govflow partner init`");
  return PartnerInfo{rows[0].Text(0), rows[0].Text(1), FromMicros(rows[0].Int(2))};
}

// ---- Tenants ----------------------------------------------------------------------------------

bool IsValidTenantId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(id[0])) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return lower_or_digit(c) || c == '_' || c == '-'; });
}

Status CreateTenant(store::Txn& txn, const PartnerScope& scope, const TenantId& tenant,
                    std::string_view display_name) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTenantsManage));
  if (!IsValidTenantId(tenant.value())) {
    return InvalidArgument("tenant id must match [a-z0-9][a-z0-9_-]{0,62}: " + tenant.value());
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows existing,
      txn.sql().Query("SELECT 1 FROM tenants WHERE tenant_id = ?", {tenant.value()}));
  if (!existing.empty()) return AlreadyExists("tenant " + tenant.value() + " exists");
  const std::string name = display_name.empty() ? tenant.value() : std::string(display_name);
  // A plain INSERT (not the store's upsert): of two concurrent creations one fails on the key.
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO tenants (tenant_id, display_name, created_at) VALUES (?, ?, ?)",
                   {tenant.value(), name, Micros(txn.Now())})
          .status());
  const std::string details = Details({{"display_name", name}});
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, PartnerChain(), scope.actor(), "tenant.create", "tenant",
                                tenant.value(), details));
  GOVFLOW_RETURN_IF_ERROR(
      Audit(txn, tenant, scope.actor(), "tenant.create", "tenant", tenant.value(), details));
  return SeedDefaultRoles(txn, tenant);
}

Status SeedDefaultRoles(store::Txn& txn, const TenantId& tenant) {
  const Actor system = TenantScope::ForSystem(tenant, "access").actor();
  for (const BuiltinRole& role : DefaultApproverRoles()) {
    GOVFLOW_ASSIGN_OR_RETURN(bool exists, TenantRoleExists(txn, tenant, role.name));
    if (exists) continue;
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("INSERT INTO tenant_roles (tenant_id, role, description, created_at) "
                     "VALUES (?, ?, ?, ?)",
                     {tenant.value(), std::string(role.name), std::string(role.description),
                      Micros(txn.Now())})
            .status());
    std::vector<std::string> perms(role.permissions.begin(), role.permissions.end());
    GOVFLOW_RETURN_IF_ERROR(InsertRolePermissions(txn, tenant, role.name, perms));
    GOVFLOW_RETURN_IF_ERROR(Audit(txn, tenant, system, "role.create", "role",
                                  std::string(role.name),
                                  Details({{"permissions", PermissionList(perms)}})));
  }
  return Status::Ok();
}

// ---- Users ------------------------------------------------------------------------------------

Result<std::string> CreateUser(store::Txn& txn, const PartnerScope& scope, const NewUser& user) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_ASSIGN_OR_RETURN(std::string user_id, InsertUser(txn, user));
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, PartnerChain(), scope.actor(), "user.create", "user", user_id,
                                Details({{"email", NormalizeEmail(user.email)}})));
  return user_id;
}

Result<std::string> CreateTenantUser(store::Txn& txn, const TenantScope& scope, const NewUser& user,
                                     std::string_view role) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_ASSIGN_OR_RETURN(bool role_exists, TenantRoleExists(txn, scope.tenant(), role));
  if (!role_exists) return NotFound("no role " + std::string(role));
  GOVFLOW_ASSIGN_OR_RETURN(std::string user_id, InsertUser(txn, user));
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, scope.tenant(), scope.actor(), "user.create", "user", user_id,
                                Details({{"email", NormalizeEmail(user.email)}})));
  GOVFLOW_RETURN_IF_ERROR(InsertTenantGrant(txn, scope, user_id, role));
  return user_id;
}

Status SetUserDisabled(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                       bool disabled) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_RETURN_IF_ERROR(RequireUser(txn, user_id));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute(disabled ? "UPDATE users SET disabled = 1, updated_at = ? WHERE user_id = ?"
                            : "UPDATE users SET disabled = 0, failed_attempts = 0, "
                              "locked_until = NULL, updated_at = ? WHERE user_id = ?",
                   {Micros(txn.Now()), user_id})
          .status());
  return Audit(txn, PartnerChain(), scope.actor(), disabled ? "user.disable" : "user.enable",
               "user", user_id, "{}");
}

Status SetPassword(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                   std::string_view password) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_RETURN_IF_ERROR(CheckPassword(password));
  GOVFLOW_RETURN_IF_ERROR(RequireUser(txn, user_id));
  GOVFLOW_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL, "
                   "updated_at = ? WHERE user_id = ?",
                   {hash, Micros(txn.Now()), user_id})
          .status());
  return Audit(txn, PartnerChain(), scope.actor(), "user.set_password", "user", user_id, "{}");
}

Result<std::string> FindUserIdByEmail(store::Txn& txn, std::string_view email) {
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows, txn.sql().Query("SELECT user_id FROM users WHERE email = ?",
                                                      {NormalizeEmail(email)}));
  if (rows.empty()) return NotFound("no user " + std::string(email));
  return rows[0].Text(0);
}

Result<std::vector<UserInfo>> ListUsers(store::Txn& txn, const PartnerScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersRead));
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows, txn.sql().Query("SELECT " + std::string(kUserColumns) +
                                                      " FROM users u ORDER BY u.email"));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows grants,
      txn.sql().Query("SELECT user_id, role FROM partner_role_grants ORDER BY user_id, role"));
  std::map<std::string, std::vector<std::string>> roles;
  for (const auto& g : grants) roles[g.Text(0)].push_back(g.Text(1));
  std::vector<UserInfo> out;
  for (const auto& r : rows) {
    UserInfo u = ToUser(r);
    u.partner_roles = roles[u.user_id];
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::vector<TenantMember>> ListTenantMembers(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersRead));
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows,
                           txn.sql().Query("SELECT " + std::string(kUserColumns) +
                                               ", g.role FROM tenant_role_grants g JOIN users u ON "
                                               "u.user_id = g.user_id WHERE g.tenant_id = ? "
                                               "ORDER BY u.email, g.role",
                                           {scope.tenant().value()}));
  std::vector<TenantMember> out;
  for (const auto& r : rows) {
    if (out.empty() || out.back().user.user_id != r.Text(0)) out.push_back({ToUser(r), {}});
    out.back().roles.push_back(r.Text(8));
  }
  return out;
}

Result<std::vector<std::string>> UsersWithTenantRole(store::Txn& txn, const TenantScope& scope,
                                                     std::string_view role) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT g.user_id FROM tenant_role_grants g JOIN users u ON "
                                 "u.user_id = g.user_id WHERE g.tenant_id = ? AND g.role = ? "
                                 "AND u.disabled = 0 ORDER BY g.user_id",
                                 {scope.tenant().value(), std::string(role)}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

// ---- Role grants ------------------------------------------------------------------------------

Status GrantPartnerRole(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                        std::string_view role) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  if (FindPartnerRole(role) == nullptr) {
    return InvalidArgument("no partner role " + std::string(role) +
                           " (partner_admin, partner_operator, partner_auditor)");
  }
  GOVFLOW_RETURN_IF_ERROR(RequireUser(txn, user_id));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows held, txn.sql().Query("SELECT 1 FROM partner_role_grants WHERE user_id = ? AND "
                                 "role = ?",
                                 {user_id, std::string(role)}));
  if (!held.empty()) return AlreadyExists(user_id + " already holds " + std::string(role));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO partner_role_grants (user_id, role, granted_by, granted_at) "
                   "VALUES (?, ?, ?, ?)",
                   {user_id, std::string(role), scope.actor().id, Micros(txn.Now())})
          .status());
  return Audit(txn, PartnerChain(), scope.actor(), "role.grant", "user", user_id,
               Details({{"role", std::string(role)}}));
}

Status RevokePartnerRole(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                         std::string_view role) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t n, txn.sql().Execute("DELETE FROM partner_role_grants WHERE user_id = ? AND "
                                   "role = ?",
                                   {user_id, std::string(role)}));
  if (n == 0) return NotFound(user_id + " does not hold " + std::string(role));
  return Audit(txn, PartnerChain(), scope.actor(), "role.revoke", "user", user_id,
               Details({{"role", std::string(role)}}));
}

Status GrantTenantRole(store::Txn& txn, const TenantScope& scope, const std::string& user_id,
                       std::string_view role) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_RETURN_IF_ERROR(RequireUser(txn, user_id));
  return InsertTenantGrant(txn, scope, user_id, role);
}

Status RevokeTenantRole(store::Txn& txn, const TenantScope& scope, const std::string& user_id,
                        std::string_view role) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t n, txn.sql().Execute("DELETE FROM tenant_role_grants WHERE tenant_id = ? AND "
                                   "user_id = ? AND role = ?",
                                   {scope.tenant().value(), user_id, std::string(role)}));
  if (n == 0) return NotFound(user_id + " does not hold " + std::string(role));
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, scope.tenant(), scope.actor(), "role.revoke", "user", user_id,
                                Details({{"role", std::string(role)}})));
  GOVFLOW_ASSIGN_OR_RETURN(bool still_member, HoldsAnyTenantRole(txn, scope.tenant(), user_id));
  if (still_member) return Status::Ok();
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows teams, txn.sql().Query("SELECT team_id FROM team_members WHERE tenant_id = ? AND "
                                  "user_id = ? ORDER BY team_id",
                                  {scope.tenant().value(), user_id}));
  for (const auto& t : teams) {
    GOVFLOW_RETURN_IF_ERROR(RemoveTeamMember(txn, scope, t.Text(0), user_id));
  }
  return Status::Ok();
}

// ---- Roles ------------------------------------------------------------------------------------

Status CreateRole(store::Txn& txn, const TenantScope& scope, std::string_view name,
                  std::string_view description, const std::vector<std::string>& permissions) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  if (!IsValidRoleName(name)) {
    return InvalidArgument("role names match [a-z][a-z0-9_]{0,62}: " + std::string(name));
  }
  if (FindPartnerRole(name) != nullptr) {
    return AlreadyExists(std::string(name) + " is a partner role");
  }
  GOVFLOW_ASSIGN_OR_RETURN(bool exists, TenantRoleExists(txn, scope.tenant(), name));
  if (exists) return AlreadyExists("role " + std::string(name) + " exists");
  GOVFLOW_RETURN_IF_ERROR(CheckPermissions(permissions));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO tenant_roles (tenant_id, role, description, created_at) "
                   "VALUES (?, ?, ?, ?)",
                   {scope.tenant().value(), std::string(name), std::string(description),
                    Micros(txn.Now())})
          .status());
  GOVFLOW_RETURN_IF_ERROR(InsertRolePermissions(txn, scope.tenant(), name, permissions));
  return Audit(txn, scope.tenant(), scope.actor(), "role.create", "role", std::string(name),
               Details({{"permissions", PermissionList(permissions)}}));
}

Status SetRolePermissions(store::Txn& txn, const TenantScope& scope, std::string_view name,
                          const std::vector<std::string>& permissions) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  if (FindBuiltinTenantRole(name) != nullptr || FindPartnerRole(name) != nullptr) {
    return FailedPrecondition("built-in role " + std::string(name) + " cannot change");
  }
  GOVFLOW_ASSIGN_OR_RETURN(bool exists, TenantRoleExists(txn, scope.tenant(), name));
  if (!exists) return NotFound("no role " + std::string(name));
  GOVFLOW_RETURN_IF_ERROR(CheckPermissions(permissions));
  GOVFLOW_ASSIGN_OR_RETURN(Rows before,
                           txn.sql().Query("SELECT permission FROM tenant_role_permissions WHERE "
                                           "tenant_id = ? AND role = ?",
                                           {scope.tenant().value(), std::string(name)}));
  std::vector<std::string> old;
  for (const auto& r : before) old.push_back(r.Text(0));
  GOVFLOW_RETURN_IF_ERROR(txn.sql()
                              .Execute("DELETE FROM tenant_role_permissions WHERE tenant_id = ? "
                                       "AND role = ?",
                                       {scope.tenant().value(), std::string(name)})
                              .status());
  GOVFLOW_RETURN_IF_ERROR(InsertRolePermissions(txn, scope.tenant(), name, permissions));
  return Audit(txn, scope.tenant(), scope.actor(), "role.update", "role", std::string(name),
               Details({{"before", PermissionList(old)}, {"after", PermissionList(permissions)}}));
}

Result<std::vector<RoleInfo>> ListRoles(store::Txn& txn, const TenantScope& scope) {
  std::vector<RoleInfo> out;
  for (const BuiltinRole& r : BuiltinTenantRoles()) {
    RoleInfo info{std::string(r.name), std::string(r.description), {}, true};
    for (std::string_view p : r.permissions) info.permissions.emplace_back(p);
    std::sort(info.permissions.begin(), info.permissions.end());
    out.push_back(std::move(info));
  }
  GOVFLOW_ASSIGN_OR_RETURN(Rows roles,
                           txn.sql().Query("SELECT role, description FROM tenant_roles WHERE "
                                           "tenant_id = ? ORDER BY role",
                                           {scope.tenant().value()}));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows perms, txn.sql().Query("SELECT role, permission FROM tenant_role_permissions WHERE "
                                  "tenant_id = ? ORDER BY role, permission",
                                  {scope.tenant().value()}));
  std::map<std::string, std::vector<std::string>> by_role;
  for (const auto& p : perms) by_role[p.Text(0)].push_back(p.Text(1));
  std::set<std::string> stored;
  for (const auto& r : roles) {
    stored.insert(r.Text(0));
    out.push_back(RoleInfo{r.Text(0), r.Text(1), by_role[r.Text(0)], false});
  }
  // Default approver roles not stored yet (a tenant created outside CreateTenant): listed as
  // they will be stored when first granted.
  for (const BuiltinRole& r : DefaultApproverRoles()) {
    if (stored.contains(std::string(r.name))) continue;
    RoleInfo info{std::string(r.name), std::string(r.description), {}, false};
    for (std::string_view p : r.permissions) info.permissions.emplace_back(p);
    std::sort(info.permissions.begin(), info.permissions.end());
    out.push_back(std::move(info));
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(BuiltinTenantRoles().size()), out.end(),
            [](const RoleInfo& a, const RoleInfo& b) { return a.name < b.name; });
  return out;
}

// ---- Teams ------------------------------------------------------------------------------------

Status CreateTeam(store::Txn& txn, const TenantScope& scope, std::string_view team_id,
                  std::string_view display_name) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  if (!IsValidRoleName(team_id)) {
    return InvalidArgument("team ids match [a-z][a-z0-9_]{0,62}: " + std::string(team_id));
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows existing, txn.sql().Query("SELECT 1 FROM teams WHERE tenant_id = ? AND team_id = ?",
                                     {scope.tenant().value(), std::string(team_id)}));
  if (!existing.empty()) return AlreadyExists("team " + std::string(team_id) + " exists");
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO teams (tenant_id, team_id, display_name, created_at) "
                   "VALUES (?, ?, ?, ?)",
                   {scope.tenant().value(), std::string(team_id),
                    display_name.empty() ? std::string(team_id) : std::string(display_name),
                    Micros(txn.Now())})
          .status());
  return Audit(txn, scope.tenant(), scope.actor(), "team.create", "team", std::string(team_id),
               Details({{"display_name", std::string(display_name)}}));
}

Status AddTeamMember(store::Txn& txn, const TenantScope& scope, std::string_view team_id,
                     const std::string& user_id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows team, txn.sql().Query("SELECT 1 FROM teams WHERE tenant_id = ? AND team_id = ?",
                                 {scope.tenant().value(), std::string(team_id)}));
  if (team.empty()) return NotFound("no team " + std::string(team_id));
  GOVFLOW_ASSIGN_OR_RETURN(bool member, HoldsAnyTenantRole(txn, scope.tenant(), user_id));
  if (!member) {
    return FailedPrecondition(user_id + " holds no role on tenant " + scope.tenant().value() +
                              ": grant one first");
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows held, txn.sql().Query("SELECT 1 FROM team_members WHERE tenant_id = ? AND "
                                 "team_id = ? AND user_id = ?",
                                 {scope.tenant().value(), std::string(team_id), user_id}));
  if (!held.empty()) return AlreadyExists(user_id + " is in team " + std::string(team_id));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO team_members (tenant_id, team_id, user_id, added_at) "
                   "VALUES (?, ?, ?, ?)",
                   {scope.tenant().value(), std::string(team_id), user_id, Micros(txn.Now())})
          .status());
  return Audit(txn, scope.tenant(), scope.actor(), "team.add_member", "team", std::string(team_id),
               Details({{"user_id", user_id}}));
}

Status RemoveTeamMember(store::Txn& txn, const TenantScope& scope, std::string_view team_id,
                        const std::string& user_id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kUsersManage));
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t n, txn.sql().Execute("DELETE FROM team_members WHERE tenant_id = ? AND "
                                   "team_id = ? AND user_id = ?",
                                   {scope.tenant().value(), std::string(team_id), user_id}));
  if (n == 0) return NotFound(user_id + " is not in team " + std::string(team_id));
  return Audit(txn, scope.tenant(), scope.actor(), "team.remove_member", "team",
               std::string(team_id), Details({{"user_id", user_id}}));
}

Result<std::vector<TeamInfo>> ListTeams(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows teams, txn.sql().Query("SELECT team_id, display_name FROM teams WHERE tenant_id = ? "
                                  "ORDER BY team_id",
                                  {scope.tenant().value()}));
  GOVFLOW_ASSIGN_OR_RETURN(Rows members,
                           txn.sql().Query("SELECT team_id, user_id FROM team_members WHERE "
                                           "tenant_id = ? ORDER BY team_id, user_id",
                                           {scope.tenant().value()}));
  std::map<std::string, std::vector<std::string>> by_team;
  for (const auto& m : members) by_team[m.Text(0)].push_back(m.Text(1));
  std::vector<TeamInfo> out;
  for (const auto& t : teams) out.push_back({t.Text(0), t.Text(1), by_team[t.Text(0)]});
  return out;
}

Result<std::vector<std::string>> TeamsOfUser(store::Txn& txn, const TenantScope& scope,
                                             const std::string& user_id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT team_id FROM team_members WHERE tenant_id = ? AND "
                                 "user_id = ? ORDER BY team_id",
                                 {scope.tenant().value(), user_id}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

// ---- API tokens -------------------------------------------------------------------------------

Result<IssuedToken> IssueTenantToken(store::Txn& txn, const TenantScope& scope,
                                     const std::string& user_id, std::string_view name,
                                     std::optional<TimePoint> expires_at) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTokensManage));
  GOVFLOW_RETURN_IF_ERROR(RequireUser(txn, user_id));
  GOVFLOW_ASSIGN_OR_RETURN(bool member, HoldsAnyTenantRole(txn, scope.tenant(), user_id));
  if (!member) {
    return FailedPrecondition(user_id + " holds no role on tenant " + scope.tenant().value());
  }
  return InsertToken(txn, scope.actor(), scope.tenant(), user_id, name, expires_at);
}

Result<IssuedToken> IssuePartnerToken(store::Txn& txn, const PartnerScope& scope,
                                      const std::string& user_id, std::string_view name,
                                      std::optional<TimePoint> expires_at) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTokensManage));
  GOVFLOW_RETURN_IF_ERROR(RequireUser(txn, user_id));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows roles,
      txn.sql().Query("SELECT 1 FROM partner_role_grants WHERE user_id = ?", {user_id}));
  if (roles.empty()) return FailedPrecondition(user_id + " holds no partner role");
  return InsertToken(txn, scope.actor(), TenantId(), user_id, name, expires_at);
}

Status RevokeTenantToken(store::Txn& txn, const TenantScope& scope, std::string_view token_id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTokensManage));
  return RevokeToken(txn, scope.actor(), scope.tenant(), token_id);
}

Status RevokePartnerToken(store::Txn& txn, const PartnerScope& scope, std::string_view token_id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTokensManage));
  return RevokeToken(txn, scope.actor(), TenantId(), token_id);
}

Result<std::vector<TokenInfo>> ListTenantTokens(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTokensManage));
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows, txn.sql().Query("SELECT " + std::string(kTokenColumns) +
                                                          " FROM api_tokens WHERE tenant_id = ? "
                                                          "ORDER BY created_at DESC, token_id DESC",
                                                      {scope.tenant().value()}));
  return ToTokens(rows);
}

Result<std::vector<TokenInfo>> ListAllTokens(store::Txn& txn, const PartnerScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kTokensManage));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT " + std::string(kTokenColumns) +
                                 " FROM api_tokens ORDER BY created_at DESC, token_id DESC"));
  return ToTokens(rows);
}

}  // namespace govflow::governance
