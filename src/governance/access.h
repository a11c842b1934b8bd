// Who may do what, for which tenant. Every governance operation on tenant data takes a
// TenantScope: proof that an authenticated actor was checked for a permission on one tenant.
// A TenantScope cannot be built by handlers themselves (its constructor is private): it comes from
// AccessControl::Authorize after the permission check, or, for govflow's own background jobs
// (scheduler, SLA monitor, retention), from TenantScope::ForSystem, whose name makes the
// exception visible in review. So a handler cannot forget the tenant (DESIGN.md invariant 4).
// Values; thread-compatible.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"

namespace govflow::store {
class Store;
class Txn;
}  // namespace govflow::store

namespace govflow::governance {

// Permissions are strings "<object>.<verb>" so that roles can be defined as data. The full list,
// with the roles that hold each, is in permissions.cc (AllPermissions) and
// docs/governance/access.md.
namespace perm {
inline constexpr std::string_view kTenantsRead = "tenants.read";
inline constexpr std::string_view kTenantsManage = "tenants.manage";
inline constexpr std::string_view kUsersRead = "users.read";
inline constexpr std::string_view kUsersManage = "users.manage";  // users, teams, roles, members
inline constexpr std::string_view kTokensManage = "tokens.manage";
inline constexpr std::string_view kConnectionsRead = "connections.read";
inline constexpr std::string_view kConnectionsManage = "connections.manage";
inline constexpr std::string_view kBrandingManage = "branding.manage";
inline constexpr std::string_view kDocumentsRead = "documents.read";
inline constexpr std::string_view kDocumentsEdit = "documents.edit";  // draft, submit
inline constexpr std::string_view kDocumentsApprove = "documents.approve";
inline constexpr std::string_view kDocumentsPublish = "documents.publish";  // publish, promote
inline constexpr std::string_view kRunsRead = "runs.read";
inline constexpr std::string_view kRunsAct = "runs.act";  // cancel, retry
inline constexpr std::string_view kExceptionsRead = "exceptions.read";
inline constexpr std::string_view kExceptionsAct = "exceptions.act";
inline constexpr std::string_view kApprovalsRead = "approvals.read";
inline constexpr std::string_view kApprovalsRequest = "approvals.request";  // e.g. price changes
inline constexpr std::string_view kApprovalsDecide = "approvals.decide";
inline constexpr std::string_view kAuditRead = "audit.read";
inline constexpr std::string_view kAuditExport = "audit.export";
inline constexpr std::string_view kRetentionManage = "retention.manage";  // rules, legal hold, run
inline constexpr std::string_view kMetricsRead = "metrics.read";
}  // namespace perm

// Who acts. id is "user:<user_id>", "token:<token_id>" (acting for its user) or
// "system:<component>". user_id is the human behind it ("" for system actors). roles are the
// role names the actor holds on the tenant in question (filled in by Authorize).
struct Actor {
  std::string id;
  std::string user_id;
  std::string display_name;
  bool is_system() const { return id.starts_with("system:"); }
};

class AccessControl;

// The audit chain that records partner-level changes (users, partner role grants, partner
// tokens, tenant creation): a reserved chain id that no tenant id can take (tenant ids start
// with a letter or digit). Changes to one tenant's access (its role grants, teams, roles,
// tokens) are chained in that tenant's own chain.
inline constexpr std::string_view kPartnerAuditChain = "_partner";

class TenantScope {
 public:
  const TenantId& tenant() const { return tenant_; }
  const Actor& actor() const { return actor_; }
  // The role names the actor holds on this tenant (partner roles included).
  const std::set<std::string>& roles() const { return roles_; }
  bool HasRole(std::string_view role) const { return roles_.contains(std::string(role)); }
  bool Has(std::string_view permission) const {
    return permissions_.contains(std::string(permission));
  }
  // kPermissionDenied naming the permission when the actor lacks it.
  Status Require(std::string_view permission) const;

  // For govflow's own components acting on a tenant (every permission, no roles, actor
  // "system:<component>"). Never for requests made by people or tokens.
  static TenantScope ForSystem(TenantId tenant, std::string_view component);

 private:
  friend class AccessControl;
  TenantScope(TenantId tenant, Actor actor, std::set<std::string> roles,
              std::set<std::string> permissions)
      : tenant_(std::move(tenant)),
        actor_(std::move(actor)),
        roles_(std::move(roles)),
        permissions_(std::move(permissions)) {}

  TenantId tenant_;
  Actor actor_;
  std::set<std::string> roles_;
  std::set<std::string> permissions_;
};

// Proof that an actor was checked for a partner-level permission (creating tenants, managing
// users and partner role grants, partner tokens). Obtained from AccessControl::AuthorizePartner,
// or PartnerScope::ForSystem for operator bootstrap and govflow's own components.
class PartnerScope {
 public:
  const Actor& actor() const { return actor_; }
  const std::set<std::string>& roles() const { return roles_; }
  bool Has(std::string_view permission) const {
    return permissions_.contains(std::string(permission));
  }
  // kPermissionDenied naming the permission when the actor lacks it.
  Status Require(std::string_view permission) const;

  // Every permission, actor "system:<component>". For bootstrap commands run by the operator on
  // the host that holds the store (`govflow partner init`), tests' set-up and system jobs.
  static PartnerScope ForSystem(std::string_view component);

 private:
  friend class AccessControl;
  PartnerScope(Actor actor, std::set<std::string> roles, std::set<std::string> permissions)
      : actor_(std::move(actor)), roles_(std::move(roles)), permissions_(std::move(permissions)) {}

  Actor actor_;
  std::set<std::string> roles_;
  std::set<std::string> permissions_;
};

// An authenticated person (or a token acting for one). Obtained from AccessControl only.
struct Principal {
  std::string user_id;
  std::string email;
  std::string display_name;
  Actor actor;                 // "user:<id>" or "token:<id>"
  bool partner_level = false;  // holds a partner role (sees every tenant it grants)
  // For a token: its id, and the one tenant it is limited to (empty: a partner token, limited
  // to the user's partner roles). A tenant token never reaches another tenant, whatever roles
  // its user holds there.
  std::string token_id;
  TenantId token_tenant;
};

// Authentication and authorisation over the store's users, roles, teams and tokens. The
// implementation (access.cc) is the only place that builds TenantScopes for people.
// Thread-safe (each call runs its own store transactions).
class AccessControl {
 public:
  AccessControl(store::Store& store, const Clock& clock);

  // Password login. kUnauthenticated for an unknown email, a wrong password, a disabled user or
  // a locked account (the message does not say which); failed attempts count toward lockout.
  Result<Principal> AuthenticatePassword(std::string_view email, std::string_view password);
  // An API token ("gft_..."), stored hashed; kUnauthenticated when unknown, revoked or expired.
  Result<Principal> AuthenticateToken(std::string_view token);
  // The CLI's `--as EMAIL` (trust on the host that holds the store): kUnauthenticated when no
  // such enabled user exists.
  Result<Principal> PrincipalForEmail(std::string_view email);

  // The tenants the principal may see, sorted: every tenant for a holder of a partner role, else
  // the tenants where they hold any role; a tenant token sees only its tenant. kUnauthenticated
  // when the user was disabled (or the token revoked) since authentication.
  Result<std::vector<TenantId>> VisibleTenants(const Principal& principal);
  // The check every handler goes through: kPermissionDenied when the principal lacks
  // `permission` on `tenant` (or kNotFound, with the same message as for a tenant that does not
  // exist, when it may not even see the tenant), else the scope. The scope's permissions are the
  // union of the principal's partner roles and its roles on the tenant (built-in ones from
  // permissions.cc, custom ones from the tenant's data). kUnauthenticated when the user was
  // disabled or the token revoked or expired since authentication; kInvalidArgument for a
  // permission name govflow does not know.
  Result<TenantScope> Authorize(const Principal& principal, const TenantId& tenant,
                                std::string_view permission);
  // The partner-level check: kPermissionDenied unless one of the principal's partner roles holds
  // `permission` (tenant tokens never pass it).
  Result<PartnerScope> AuthorizePartner(const Principal& principal, std::string_view permission);

  // After kMaxFailedLogins wrong passwords in a row, password login is refused for
  // kLockoutPeriod (even with the right password); a successful login resets the count.
  static constexpr int kMaxFailedLogins = 5;
  static constexpr std::chrono::minutes kLockoutPeriod{15};

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace govflow::governance
