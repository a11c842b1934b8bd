// Governed documents (DESIGN.md section 2, invariant 7): every piece of configuration -- a
// workflow, each policy, a connector mapping -- is a versioned YAML document with one lifecycle:
// draft -> submitted -> approved (or rejected), then published to the environments dev, staging
// and prod. A version's content never changes (it is identified by the SHA-256 of its canonical
// JSON form); what moves is which version each environment runs. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"

namespace govflow::governance::documents {

// The kinds of governed document. Each has one validator in the kind registry
// (kind_registry.h); the name is what the store, the CLI (--kind) and the audit trail use.
enum class DocumentKind {
  kWorkflow,          // src/workflow's definition language (validator registered by that layer)
  kApprovalMatrix,    // condition -> required roles, quorum, segregation rules
  kValidationRules,   // CEL rules over events and master data (policies/validation_rules.h)
  kSeverity,          // condition -> P1..P4
  kOwnership,         // process and error class -> owning team
  kSla,               // time to acknowledge / resolve per severity
  kEscalation,        // escalation chains
  kRetention,         // data retention rules
  kAiOversight,       // confidence bars, mandatory human review (policies/ai_oversight.h)
  kConnectorMapping,  // field mappings of a connector
};

// "workflow", "approval_matrix", "validation_rules", "severity", "ownership", "sla",
// "escalation", "retention", "ai_oversight", "connector_mapping".
std::string_view DocumentKindName(DocumentKind kind);
// kInvalidArgument naming the known kinds.
Result<DocumentKind> ParseDocumentKind(std::string_view name);
// Every kind, in the order above.
const std::vector<DocumentKind>& AllDocumentKinds();

// The environments, in promotion order. prod is the one the engine runs.
enum class Environment { kDev, kStaging, kProd };
std::string_view EnvironmentName(Environment env);
Result<Environment> ParseEnvironment(std::string_view name);
// The environment a promotion from `env` goes to; nullopt for prod.
std::optional<Environment> NextEnvironment(Environment env);

// Review state of a version. Publication is tracked per environment, apart from this state:
// only an approved version may be published, and once published (anywhere) its state is final.
enum class DocumentState { kDraft, kSubmitted, kApproved, kRejected };
std::string_view DocumentStateName(DocumentState state);
Result<DocumentState> ParseDocumentState(std::string_view name);

// The reserved tenant id under which the partner's templates are stored. Every document table
// keys rows by tenant_id first (DESIGN.md invariant 4); templates belong to no customer tenant,
// so they live under this id (the leading '_' marks it as reserved: no customer tenant may be
// created with it), and have their own audit chain under it. Tenants read templates (to inherit
// them and diff against them) but never write them: writing needs a scope for this id itself, which
// only partner roles (or a system component) obtain.
inline constexpr std::string_view kPartnerScope = "_partner";
inline bool IsPartnerScope(const TenantId& tenant) {
  return tenant.value() == kPartnerScope;
}

// One version of a document.
struct DocumentVersion {
  TenantId tenant;
  DocumentKind kind = DocumentKind::kWorkflow;
  std::string name;
  int64_t version = 0;       // 1, 2, 3 ... per (tenant, kind, name)
  std::string content_hash;  // hex SHA-256 of the canonical JSON of the source
  std::string source_yaml;   // exactly as drafted
  // "<template name>@<version>" when the document overrides a partner template, else "".
  std::string inherits;
  DocumentState state = DocumentState::kDraft;
  std::string author;        // identity (see IdentityOf in lifecycle.h) of who drafted it
  std::string submitted_by;  // identity of who submitted it ("" while a draft)
  std::string reviewed_by;   // who approved or rejected it ("" while undecided)
  std::string review_comment;
  TimePoint created_at;
  TimePoint updated_at;
  // The environments this version is currently published to (dev, staging, prod order).
  std::vector<Environment> live_in;
  // True once the version has ever been published anywhere (then it is final).
  bool ever_published = false;
};

// One entry of an environment's publication history.
struct Publication {
  Environment env = Environment::kDev;
  int64_t seq = 0;  // 1, 2, 3 ... per (tenant, kind, name, env)
  int64_t version = 0;
  std::string content_hash;
  std::string action;       // "publish", "promote" or "rollback"
  std::string actor;        // identity
  std::string approval_id;  // the promotion's approval task ("" otherwise)
  TimePoint at;
};

}  // namespace govflow::governance::documents
