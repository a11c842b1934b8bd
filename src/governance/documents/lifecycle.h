// The governed-document lifecycle (issue 4 item 2): draft -> submitted -> approved | rejected,
// then published to dev, promoted dev -> staging -> prod with another person's approval, rolled
// back by publishing an earlier version again. Every change is checked against the scope's
// permission, keyed by scope.tenant(), and audited (governance::AppendAudit, object_type
// "document", object_id "<kind>/<name>@<version>", before/after digests = content hashes) in the
// caller's transaction. The partner's templates are documents under the reserved tenant
// kPartnerScope with the same lifecycle; a tenant document that starts with
// `inherits: <template>@<version>` overrides that template (see DiffAgainstTemplate).
// Functions work on the caller's store::Txn (thread-compatible, like the Txn); the kind
// registry they consult is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "governance/access.h"
#include "governance/documents/document.h"
#include "governance/documents/structural_diff.h"
#include "store/store.h"

namespace govflow::governance::documents {

struct DocumentRef {
  DocumentKind kind = DocumentKind::kWorkflow;
  std::string name;
};

// Who an actor is for segregation of duties: "user:<user_id>" for a person or their token, the
// actor id for system actors (same as approvals' ApprovalPersonOf).
std::string IdentityOf(const Actor& actor);

// Document names: [a-z0-9][a-z0-9._-]{0,127}.
bool IsValidDocumentName(std::string_view name);

// Drafts a version (documents.edit). The YAML is parsed (errors as "file_name:line:column:
// message"), a top-level `inherits: <template>@<version>` is resolved against the partner's
// templates (the template version must be approved; templates cannot inherit), the document --
// merged over its template when it inherits -- is checked by its kind's validator, and
// metadata.name, when present, must equal the document name. kInvalidArgument for any of these,
// kFailedPrecondition when the kind has no validator; nothing is written then.
// Content that hashes the same as an existing version of the same document returns that
// version unchanged (whatever its state; no new version, no audit event).
Result<DocumentVersion> CreateDraft(store::Txn& txn, const TenantScope& scope,
                                    const DocumentRef& ref, std::string_view yaml_text,
                                    std::string_view file_name);

// draft -> submitted (documents.edit). kFailedPrecondition from any other state.
Result<DocumentVersion> Submit(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                               int64_t version);
// submitted -> approved (documents.approve). kPermissionDenied when the approver drafted or
// submitted the version (segregation of duties); kFailedPrecondition from any other state.
Result<DocumentVersion> Approve(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                int64_t version, std::string_view comment);
// submitted -> rejected (documents.approve); same rules as Approve; the comment is required.
Result<DocumentVersion> Reject(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                               int64_t version, std::string_view comment);

// Publishes an approved version to dev (documents.publish). Staging and prod are reached only
// by Promote (kFailedPrecondition naming it), or by Rollback to a version they ran before.
// Publishing the version dev already runs is a no-op.
Result<DocumentVersion> Publish(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                int64_t version, Environment env);

// Promotion from `from` to the next environment (documents.publish), maker-checker through an
// approval task (governance/approvals.h, subject_type "document_promotion", subject_id
// "<kind>/<name>@<version>:<from>-><to>", required roles kPromotionApproverRoles):
//  - no task yet (or the last one was rejected / expired / cancelled): opens one, returns
//    promoted = false with its id; the promoter cannot decide it (approvals' segregation).
//  - task pending: promoted = false, same id.
//  - task approved: kPermissionDenied unless some approver is neither the version's author nor
//    the promoter; otherwise publishes the version to the next environment (promoted = true).
// kFailedPrecondition when `from` is prod or runs nothing.
struct PromotionResult {
  bool promoted = false;
  Environment from = Environment::kDev;
  Environment to = Environment::kStaging;
  DocumentVersion version;
  std::string approval_id;
  std::string approval_state;  // approvals' state name
  std::string note;            // e.g. "the previous request was rejected; asked again"
};
inline constexpr std::string_view kPromotionSubjectType = "document_promotion";
// Who may decide a promotion: a person holding one of these roles AND approvals.decide (which
// tenant_admin and process_owner do not hold by themselves: give the approver a custom role
// such as release_manager = approvals.read + approvals.decide, or an approver role on top).
inline const std::vector<std::string> kPromotionApproverRoles = {"release_manager", "tenant_admin",
                                                                 "process_owner", "partner_admin"};
Result<PromotionResult> Promote(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                Environment from);

// Makes `env` run `to_version` again (documents.publish): it must be a version `env` ran
// before (so it passed that environment's gate once). Audited as document.rollback with the
// reason. kFailedPrecondition when `env` never ran that version or runs it now.
Result<DocumentVersion> Rollback(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                 Environment env, int64_t to_version, std::string_view reason);

// Reads (documents.read). version 0 means the newest. kNotFound when absent.
Result<DocumentVersion> GetDocument(store::Txn& txn, const TenantScope& scope,
                                    const DocumentRef& ref, int64_t version = 0);
// The newest version of every document of the tenant (of `kind` when given), by kind then name.
Result<std::vector<DocumentVersion>> ListDocuments(store::Txn& txn, const TenantScope& scope,
                                                   std::optional<DocumentKind> kind = std::nullopt);
// Every version of a document, oldest first.
Result<std::vector<DocumentVersion>> History(store::Txn& txn, const TenantScope& scope,
                                             const DocumentRef& ref);
// Every publication, promotion and rollback of a document, by environment then in order.
Result<std::vector<Publication>> Publications(store::Txn& txn, const TenantScope& scope,
                                              const DocumentRef& ref);
// The version `env` runs, or nullopt.
Result<std::optional<DocumentVersion>> ActiveVersion(store::Txn& txn, const TenantScope& scope,
                                                     const DocumentRef& ref, Environment env);

// For the runtime catalog (documents.read; the runtime uses a system scope): the
// workflow_versions.version that prod runs for workflow document `name` -- after a rollback,
// an earlier runtime version -- or nullopt when no workflow of that name is in prod.
Result<std::optional<int64_t>> ProdWorkflowRuntimeVersion(store::Txn& txn, const TenantScope& scope,
                                                          std::string_view name);

// The structural diff from version v1 to version v2 (documents.read), over each version's own
// content (inherits included). FormatDiff renders it.
Result<std::vector<DiffEntry>> Diff(store::Txn& txn, const TenantScope& scope,
                                    const DocumentRef& ref, int64_t v1, int64_t v2);

// How a tenant's version differs from the partner template it inherits: the diff from the
// template version to the tenant's effective (merged) document, without `inherits` and with
// the template's metadata.name. kFailedPrecondition when the version inherits nothing.
struct TemplateDiff {
  std::string template_name;
  int64_t template_version = 0;
  std::vector<DiffEntry> entries;
};
Result<TemplateDiff> DiffAgainstTemplate(store::Txn& txn, const TenantScope& scope,
                                         const DocumentRef& ref, int64_t version = 0);

// The YAML the version stands for: its source, or, when it inherits, the merged document
// rendered as YAML (RenderYaml). What validators check and what the runtime runs.
Result<std::string> EffectiveYaml(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                  int64_t version = 0);

}  // namespace govflow::governance::documents
