// The built-in roles and the permissions each holds: the one table that says who may do what
// (docs/governance/access.md renders it for people). Partner roles apply to every tenant; tenant
// roles to the tenant they are granted on. Custom tenant roles (approver roles such as
// pricing_manager) are data (tenant_roles), not listed here. Pure functions over constant
// tables; thread-safe.
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>

namespace govflow::governance {

struct BuiltinRole {
  std::string_view name;
  std::string_view description;
  std::span<const std::string_view> permissions;
};

// Every permission govflow knows (the perm:: constants), in a fixed order.
std::span<const std::string_view> AllPermissions();
bool IsKnownPermission(std::string_view permission);

// Permissions that only partner roles may hold: a tenant role (built-in or custom) never
// carries them, so nobody on a tenant can create tenants or change the partner's branding.
bool IsPartnerOnlyPermission(std::string_view permission);

// partner_admin, partner_operator, partner_auditor.
std::span<const BuiltinRole> PartnerRoles();
// tenant_admin, process_owner, operator, viewer, auditor.
std::span<const BuiltinRole> BuiltinTenantRoles();
// Approver roles seeded as data into every tenant created with CreateTenant (and by
// SeedDefaultRoles): pricing_manager and finance_controller, each with tenants.read,
// approvals.read and approvals.decide. Tenants may change or add to them.
std::span<const BuiltinRole> DefaultApproverRoles();

// The role of that name, or nullptr.
const BuiltinRole* FindPartnerRole(std::string_view name);
const BuiltinRole* FindBuiltinTenantRole(std::string_view name);

// Role names: [a-z][a-z0-9_]{0,62}.
bool IsValidRoleName(std::string_view name);

}  // namespace govflow::governance
