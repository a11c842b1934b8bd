// The partner's directory: the partner itself, its tenants, users, role grants, custom roles,
// teams and API tokens, and the operations that change them. Every change checks its scope's
// permission (users.manage, tokens.manage, tenants.manage) and appends an audit event in the
// caller's transaction. Where events are chained: operations under a TenantScope go to that
// tenant's chain; operations under a PartnerScope (users, partner role grants, partner tokens)
// go to the partner chain (kPartnerAuditChain); CreateTenant goes to both. Secrets never reach
// the trail: no passwords, no tokens, no hashes of either.
// Functions work on the caller's store::Txn (thread-compatible, like the Txn).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::governance {

inline constexpr size_t kMinPasswordLength = 12;

// ---- The partner (one per installation) --------------------------------------------------------

struct PartnerInfo {
  std::string id;
  std::string display_name;
  TimePoint created_at;
};

struct PartnerInit {
  std::string partner_id;    // e.g. "northwind-partners"
  std::string display_name;  // shown on every screen and report
  std::string admin_email;   // the first partner_admin
  std::string admin_display_name;
  std::string admin_password;  // at least kMinPasswordLength characters
};

struct PartnerInitResult {
  PartnerInfo partner;
  std::string admin_user_id;
};

// Operator bootstrap (`govflow partner init`, run on the host that holds the store): creates the
// partner and its first user with partner_admin, as actor "system:bootstrap". kAlreadyExists
// when the installation already has a partner.
Result<PartnerInitResult> InitPartner(store::Txn& txn, const PartnerInit& init);
// kNotFound before InitPartner.
Result<PartnerInfo> GetPartner(store::Txn& txn);

// ---- Tenants -----------------------------------------------------------------------------------

// Tenant ids: [a-z0-9][a-z0-9_-]{0,62}.
bool IsValidTenantId(std::string_view id);

// Creates a tenant and seeds its default approver roles (tenants.manage). kAlreadyExists when
// the id is taken; kInvalidArgument for a malformed id.
Status CreateTenant(store::Txn& txn, const PartnerScope& scope, const TenantId& tenant,
                    std::string_view display_name);
// Inserts the default approver roles (DefaultApproverRoles) that `tenant` does not have yet.
// Idempotent; no audit event when nothing was missing. For tenants created before this code or
// by test fixtures.
Status SeedDefaultRoles(store::Txn& txn, const TenantId& tenant);

// ---- Users -------------------------------------------------------------------------------------

struct NewUser {
  std::string email;         // login; stored lower-cased
  std::string display_name;  // "" = the email
  std::string password;      // "" = no password login (tokens or --as only)
};

struct UserInfo {
  std::string user_id;  // "usr_..."
  std::string email;
  std::string display_name;
  bool disabled = false;
  bool has_password = false;
  int64_t failed_attempts = 0;
  std::optional<TimePoint> locked_until;
  TimePoint created_at;
  std::vector<std::string> partner_roles;  // sorted
};

// Creates a user with no roles (users.manage). Passwords are hashed with argon2id
// (crypto_pwhash_str, interactive limits) and must have kMinPasswordLength characters.
// kAlreadyExists for a taken email. Returns the user id.
Result<std::string> CreateUser(store::Txn& txn, const PartnerScope& scope, const NewUser& user);
// A tenant's administrator adds a person: creates the user and grants `role` on the scope's
// tenant (users.manage; chained in the tenant's trail). Returns the user id.
Result<std::string> CreateTenantUser(store::Txn& txn, const TenantScope& scope, const NewUser& user,
                                     std::string_view role);
// Disabled users cannot log in, their tokens stop working and Authorize refuses them
// (users.manage). Enabling also clears a lockout.
Status SetUserDisabled(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                       bool disabled);
// Replaces the password (users.manage); clears failed attempts and a lockout.
Status SetPassword(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                   std::string_view password);
// The user id for a login e-mail (any case); kNotFound. Users are partner-level, so this takes no
// scope; it reveals only that a login exists.
Result<std::string> FindUserIdByEmail(store::Txn& txn, std::string_view email);
// All users (users.read on the partner), by email.
Result<std::vector<UserInfo>> ListUsers(store::Txn& txn, const PartnerScope& scope);

struct TenantMember {
  UserInfo user;
  std::vector<std::string> roles;  // on the tenant, sorted
};
// The users holding a role on the scope's tenant (users.read), by email.
Result<std::vector<TenantMember>> ListTenantMembers(store::Txn& txn, const TenantScope& scope);
// The ids of the enabled users holding `role` on the scope's tenant (any scope: approvers and
// owners are named on the tasks they receive), sorted.
Result<std::vector<std::string>> UsersWithTenantRole(store::Txn& txn, const TenantScope& scope,
                                                     std::string_view role);

// ---- Role grants -------------------------------------------------------------------------------

// partner_admin, partner_operator or partner_auditor (users.manage on the partner).
// kAlreadyExists when held, kNotFound for an unknown user, kInvalidArgument for an unknown role.
Status GrantPartnerRole(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                        std::string_view role);
Status RevokePartnerRole(store::Txn& txn, const PartnerScope& scope, const std::string& user_id,
                         std::string_view role);
// A built-in tenant role or one of the tenant's custom roles (users.manage on the tenant).
// kAlreadyExists when held, kNotFound for an unknown user or role. Granting a default approver
// role on a tenant that lacks it (created outside CreateTenant) seeds the defaults first.
Status GrantTenantRole(store::Txn& txn, const TenantScope& scope, const std::string& user_id,
                       std::string_view role);
// Revoking the user's last role on the tenant also removes them from the tenant's teams.
Status RevokeTenantRole(store::Txn& txn, const TenantScope& scope, const std::string& user_id,
                        std::string_view role);

// ---- Roles -------------------------------------------------------------------------------------

struct RoleInfo {
  std::string name;
  std::string description;
  std::vector<std::string> permissions;  // sorted
  bool builtin = false;                  // fixed in code (permissions.cc) or data
};

// A custom role on the scope's tenant (users.manage): exactly `permissions`, which must be known
// and not partner-only. kAlreadyExists for a taken name (built-in names included).
Status CreateRole(store::Txn& txn, const TenantScope& scope, std::string_view name,
                  std::string_view description, const std::vector<std::string>& permissions);
// Replaces a custom role's permissions (users.manage); built-in roles cannot change.
Status SetRolePermissions(store::Txn& txn, const TenantScope& scope, std::string_view name,
                          const std::vector<std::string>& permissions);
// Built-in tenant roles then custom roles, each by name (any scope).
Result<std::vector<RoleInfo>> ListRoles(store::Txn& txn, const TenantScope& scope);

// ---- Teams -------------------------------------------------------------------------------------

struct TeamInfo {
  std::string id;
  std::string display_name;
  std::vector<std::string> member_user_ids;  // sorted
};

// Team ids follow IsValidRoleName. users.manage; kAlreadyExists.
Status CreateTeam(store::Txn& txn, const TenantScope& scope, std::string_view team_id,
                  std::string_view display_name);
// The user must hold a role on the tenant (kFailedPrecondition otherwise). users.manage.
Status AddTeamMember(store::Txn& txn, const TenantScope& scope, std::string_view team_id,
                     const std::string& user_id);
Status RemoveTeamMember(store::Txn& txn, const TenantScope& scope, std::string_view team_id,
                        const std::string& user_id);
// Any scope (exception routing names teams). By id.
Result<std::vector<TeamInfo>> ListTeams(store::Txn& txn, const TenantScope& scope);
// The teams `user_id` belongs to on the scope's tenant, sorted.
Result<std::vector<std::string>> TeamsOfUser(store::Txn& txn, const TenantScope& scope,
                                             const std::string& user_id);

// ---- API tokens --------------------------------------------------------------------------------

struct IssuedToken {
  std::string token_id;  // "tok_..."
  std::string token;     // "gft_..." — shown once; only its SHA-256 is stored
};

struct TokenInfo {
  std::string token_id;
  std::string user_id;
  std::string name;
  TenantId tenant;  // empty for a partner token
  std::string created_by;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
  std::optional<TimePoint> last_used_at;
};

// A token acting for `user_id` on the scope's tenant only (tokens.manage). The user must hold a
// role there (kFailedPrecondition otherwise). expires_at must be in the future when given.
Result<IssuedToken> IssueTenantToken(store::Txn& txn, const TenantScope& scope,
                                     const std::string& user_id, std::string_view name,
                                     std::optional<TimePoint> expires_at);
// A token acting for `user_id` with their partner roles (tokens.manage on the partner). The user
// must hold a partner role.
Result<IssuedToken> IssuePartnerToken(store::Txn& txn, const PartnerScope& scope,
                                      const std::string& user_id, std::string_view name,
                                      std::optional<TimePoint> expires_at);
// Revocation is immediate and final. kNotFound for another tenant's token.
Status RevokeTenantToken(store::Txn& txn, const TenantScope& scope, std::string_view token_id);
// Any token of the installation (tokens.manage on the partner).
Status RevokePartnerToken(store::Txn& txn, const PartnerScope& scope, std::string_view token_id);
// The tenant's tokens (tokens.manage), newest first.
Result<std::vector<TokenInfo>> ListTenantTokens(store::Txn& txn, const TenantScope& scope);
// Every token (tokens.manage on the partner), newest first.
Result<std::vector<TokenInfo>> ListAllTokens(store::Txn& txn, const PartnerScope& scope);

}  // namespace govflow::governance
