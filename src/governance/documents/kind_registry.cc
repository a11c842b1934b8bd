#include "governance/documents/kind_registry.h"

#include <array>
#include <mutex>

#include "governance/policies/ai_oversight.h"
#include "governance/policies/approval_matrix.h"
#include "governance/policies/validation_rules.h"

namespace govflow::governance::documents {
namespace {

// The one table of kinds and their validators. nullptr: registered at startup by the layer
// that owns the kind's language (RegisterDocumentValidator), or by the governance area that
// implements it once it lands:
//   workflow          -> src/workflow (LoadWorkflowWithDiagnostics)
//   approval_matrix   -> governance approvals
//   severity, ownership, sla, escalation -> governance exceptions
//   retention         -> governance retention
//   connector_mapping -> src/connect mappings
struct KindEntry {
  DocumentKind kind;
  DocumentValidator validator;
};

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::vector<KindEntry>& Registry() {
  static std::vector<KindEntry> table = {
      {DocumentKind::kWorkflow, nullptr},
      {DocumentKind::kApprovalMatrix, &policies::ApprovalMatrix::Check},
      {DocumentKind::kValidationRules, &policies::ValidationRules::Check},
      {DocumentKind::kSeverity, nullptr},
      {DocumentKind::kOwnership, nullptr},
      {DocumentKind::kSla, nullptr},
      {DocumentKind::kEscalation, nullptr},
      {DocumentKind::kRetention, nullptr},
      {DocumentKind::kAiOversight, &policies::AiOversightPolicy::Check},
      {DocumentKind::kConnectorMapping, nullptr},
  };
  return table;
}

DocumentValidator Find(DocumentKind kind) {
  std::lock_guard lock(RegistryMutex());
  for (const KindEntry& e : Registry()) {
    if (e.kind == kind) return e.validator;
  }
  return nullptr;
}

}  // namespace

void RegisterDocumentValidator(DocumentKind kind, DocumentValidator validator) {
  std::lock_guard lock(RegistryMutex());
  for (KindEntry& e : Registry()) {
    if (e.kind == kind) {
      e.validator = std::move(validator);
      return;
    }
  }
  Registry().push_back({kind, std::move(validator)});
}

bool HasDocumentValidator(DocumentKind kind) {
  return Find(kind) != nullptr;
}

Status ValidateDocument(DocumentKind kind, std::string_view yaml_text, std::string_view file_name) {
  DocumentValidator validator = Find(kind);
  if (!validator) {
    return FailedPrecondition("no validator is registered for documents of kind " +
                              std::string(DocumentKindName(kind)) +
                              " (the layer that owns the kind registers it at startup)");
  }
  DiagnosticList diagnostics;
  validator(yaml_text, diagnostics);
  if (diagnostics.has_errors()) return InvalidArgument(diagnostics.Format(file_name));
  return Status::Ok();
}

}  // namespace govflow::governance::documents
