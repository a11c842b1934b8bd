// TenantScope's own members (AccessControl, which grants scopes, lives in access.cc).
#include "governance/access.h"
#include "governance/permissions.h"

namespace govflow::governance {

Status TenantScope::Require(std::string_view permission) const {
  if (Has(permission)) return Status::Ok();
  return PermissionDenied(actor_.id + " lacks permission " + std::string(permission) +
                          " on tenant " + tenant_.value());
}

TenantScope TenantScope::ForSystem(TenantId tenant, std::string_view component) {
  Actor actor;
  actor.id = "system:" + std::string(component);
  actor.display_name = std::string(component);
  // Every permission: the system components are trusted code paths, not requests.
  std::set<std::string> all;
  for (std::string_view p : AllPermissions()) all.emplace(p);
  return TenantScope(std::move(tenant), std::move(actor), {}, std::move(all));
}

}  // namespace govflow::governance
