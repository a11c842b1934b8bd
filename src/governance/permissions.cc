// The role -> permission table. Changing a row here changes what people may do on every
// installation: keep docs/governance/access.md in step.
#include "governance/permissions.h"

#include <algorithm>

#include "governance/access.h"

namespace govflow::governance {
namespace {

using namespace perm;  // NOLINT(google-build-using-namespace): the table reads better

constexpr std::string_view kAll[] = {
    kTenantsRead,      kTenantsManage,     kUsersRead,        kUsersManage,     kTokensManage,
    kConnectionsRead,  kConnectionsManage, kBrandingManage,   kDocumentsRead,   kDocumentsEdit,
    kDocumentsApprove, kDocumentsPublish,  kRunsRead,         kRunsAct,         kExceptionsRead,
    kExceptionsAct,    kApprovalsRead,     kApprovalsRequest, kApprovalsDecide, kAuditRead,
    kAuditExport,      kRetentionManage,   kMetricsRead,
};

// ---- Partner roles (every tenant) ----
// partner_admin: everything.
// partner_operator: runs the operation for the customers: reads and acts on runs, exceptions
// and approvals, reads documents and metrics; changes no configuration, users or tokens.
constexpr std::string_view kPartnerOperator[] = {
    kTenantsRead,    kUsersRead,     kConnectionsRead, kDocumentsRead,   kRunsRead,    kRunsAct,
    kExceptionsRead, kExceptionsAct, kApprovalsRead,   kApprovalsDecide, kMetricsRead,
};
// partner_auditor: reads everything and exports the audit trail; changes nothing.
constexpr std::string_view kPartnerAuditor[] = {
    kTenantsRead,    kUsersRead,     kConnectionsRead, kDocumentsRead, kRunsRead,
    kExceptionsRead, kApprovalsRead, kAuditRead,       kAuditExport,   kMetricsRead,
};

// ---- Tenant roles (the tenant they are granted on) ----
// tenant_admin: everything on the tenant except the partner-only permissions and deciding
// approvals (that takes an approver role, so that approving stays a separate, visible grant).
constexpr std::string_view kTenantAdmin[] = {
    kTenantsRead,       kUsersRead,     kUsersManage,    kTokensManage,     kConnectionsRead,
    kConnectionsManage, kDocumentsRead, kDocumentsEdit,  kDocumentsApprove, kDocumentsPublish,
    kRunsRead,          kRunsAct,       kExceptionsRead, kExceptionsAct,    kApprovalsRead,
    kApprovalsRequest,  kAuditRead,     kAuditExport,    kRetentionManage,  kMetricsRead,
};
// process_owner: owns the tenant's processes: their configuration (documents up to publishing)
// and their operation.
constexpr std::string_view kProcessOwner[] = {
    kTenantsRead,      kUsersRead,        kConnectionsRead,  kDocumentsRead, kDocumentsEdit,
    kDocumentsApprove, kDocumentsPublish, kRunsRead,         kRunsAct,       kExceptionsRead,
    kExceptionsAct,    kApprovalsRead,    kApprovalsRequest, kAuditRead,     kMetricsRead,
};
// operator: works the exceptions inbox and runs; may request approvals (e.g. a price change).
constexpr std::string_view kOperator[] = {
    kTenantsRead,    kConnectionsRead, kDocumentsRead, kRunsRead,         kRunsAct,
    kExceptionsRead, kExceptionsAct,   kApprovalsRead, kApprovalsRequest, kMetricsRead,
};
// viewer: reads the operation; acts on nothing.
constexpr std::string_view kViewer[] = {
    kTenantsRead, kDocumentsRead, kRunsRead, kExceptionsRead, kApprovalsRead, kMetricsRead,
};
// auditor: reads everything on the tenant and exports its audit trail; changes nothing.
constexpr std::string_view kAuditor[] = {
    kTenantsRead,    kUsersRead,     kConnectionsRead, kDocumentsRead, kRunsRead,
    kExceptionsRead, kApprovalsRead, kAuditRead,       kAuditExport,   kMetricsRead,
};
// Default approver roles (seeded as data).
constexpr std::string_view kApprover[] = {kTenantsRead, kApprovalsRead, kApprovalsDecide};
// Decides document promotions (dev -> staging -> prod); reads the documents it promotes.
constexpr std::string_view kReleaseManager[] = {kTenantsRead, kApprovalsRead, kApprovalsDecide,
                                                kDocumentsRead};

constexpr BuiltinRole kPartnerRoles[] = {
    {"partner_admin", "the partner's administrators: everything, on every tenant", kAll},
    {"partner_operator", "the partner's operations staff: runs, exceptions and approvals",
     kPartnerOperator},
    {"partner_auditor", "reads every tenant and exports audit trails; changes nothing",
     kPartnerAuditor},
};

constexpr BuiltinRole kTenantRoles[] = {
    {"tenant_admin", "the customer's administrator: users, teams, roles, tokens, configuration",
     kTenantAdmin},
    {"process_owner", "owns processes: their configuration and operation", kProcessOwner},
    {"operator", "works exceptions and runs; requests approvals", kOperator},
    {"viewer", "reads the operation; acts on nothing", kViewer},
    {"auditor", "reads everything and exports the audit trail; changes nothing", kAuditor},
};

constexpr BuiltinRole kApproverRoles[] = {
    {"pricing_manager", "decides price-change approvals", kApprover},
    {"finance_controller", "decides financial approvals", kApprover},
    {"release_manager", "decides promotions of governed documents", kReleaseManager},
};

const BuiltinRole* Find(std::span<const BuiltinRole> roles, std::string_view name) {
  for (const BuiltinRole& r : roles) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace

std::span<const std::string_view> AllPermissions() {
  return kAll;
}

bool IsKnownPermission(std::string_view permission) {
  return std::find(std::begin(kAll), std::end(kAll), permission) != std::end(kAll);
}

bool IsPartnerOnlyPermission(std::string_view permission) {
  return permission == kTenantsManage || permission == kBrandingManage;
}

std::span<const BuiltinRole> PartnerRoles() {
  return kPartnerRoles;
}
std::span<const BuiltinRole> BuiltinTenantRoles() {
  return kTenantRoles;
}
std::span<const BuiltinRole> DefaultApproverRoles() {
  return kApproverRoles;
}

const BuiltinRole* FindPartnerRole(std::string_view name) {
  return Find(kPartnerRoles, name);
}
const BuiltinRole* FindBuiltinTenantRole(std::string_view name) {
  return Find(kTenantRoles, name);
}

bool IsValidRoleName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace govflow::governance
