#include "governance/documents/kind_registry.h"

#include <mutex>
#include <vector>

#include "governance/policies/ai_oversight.h"
#include "governance/policies/approval_matrix.h"
#include "governance/policies/escalation.h"
#include "governance/policies/ownership.h"
#include "governance/policies/retention_rules.h"
#include "governance/policies/severity.h"
#include "governance/policies/sla.h"
#include "governance/policies/validation_rules.h"

namespace govflow::governance::documents {
namespace {

// A validator that formats its own report: kInvalidArgument whose message holds
// "file_name:line:column: message" lines (the exception policies' Parse* functions).
using DocumentParser =
    std::function<Status(std::string_view yaml_text, std::string_view file_name)>;

template <typename Parse>
DocumentParser StatusOf(Parse parse) {
  return [parse](std::string_view text, std::string_view file_name) {
    return parse(text, file_name).status();
  };
}

// The one table of kinds and their validators. Kinds whose language lives in a higher layer
// have none here and are registered at startup (RegisterDocumentValidator):
//   workflow          -> src/workflow (LoadWorkflowWithDiagnostics)
//   connector_mapping -> its owner, once mappings are documents
struct KindEntry {
  DocumentKind kind;
  DocumentValidator validator;
  DocumentParser parser;
};

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::vector<KindEntry>& Registry() {
  static std::vector<KindEntry> table = {
      {DocumentKind::kWorkflow, nullptr, nullptr},
      {DocumentKind::kApprovalMatrix, &policies::ApprovalMatrix::Check, nullptr},
      {DocumentKind::kValidationRules, &policies::ValidationRules::Check, nullptr},
      {DocumentKind::kSeverity, nullptr, StatusOf(&policies::ParseSeverityPolicy)},
      {DocumentKind::kOwnership, nullptr, StatusOf(&policies::ParseOwnershipMap)},
      {DocumentKind::kSla, nullptr, StatusOf(&policies::ParseSlaPolicy)},
      {DocumentKind::kEscalation, nullptr, StatusOf(&policies::ParseEscalationPolicy)},
      {DocumentKind::kRetention, &governance::CheckRetentionRules, nullptr},
      {DocumentKind::kAiOversight, &policies::AiOversightPolicy::Check, nullptr},
      {DocumentKind::kConnectorMapping, nullptr, nullptr},
  };
  return table;
}

std::optional<KindEntry> Find(DocumentKind kind) {
  std::lock_guard lock(RegistryMutex());
  for (const KindEntry& e : Registry()) {
    if (e.kind == kind && (e.validator || e.parser)) return e;
  }
  return std::nullopt;
}

}  // namespace

void RegisterDocumentValidator(DocumentKind kind, DocumentValidator validator) {
  std::lock_guard lock(RegistryMutex());
  for (KindEntry& e : Registry()) {
    if (e.kind == kind) {
      e.validator = std::move(validator);
      e.parser = nullptr;
      return;
    }
  }
  Registry().push_back({kind, std::move(validator), nullptr});
}

bool HasDocumentValidator(DocumentKind kind) {
  return Find(kind).has_value();
}

Status ValidateDocument(DocumentKind kind, std::string_view yaml_text, std::string_view file_name) {
  std::optional<KindEntry> entry = Find(kind);
  if (!entry) {
    return FailedPrecondition("no validator is registered for documents of kind " +
                              std::string(DocumentKindName(kind)) +
                              " (the layer that owns the kind registers it at startup)");
  }
  if (entry->parser) return entry->parser(yaml_text, file_name);
  DiagnosticList diagnostics;
  entry->validator(yaml_text, diagnostics);
  if (diagnostics.has_errors()) return InvalidArgument(diagnostics.Format(file_name));
  return Status::Ok();
}

}  // namespace govflow::governance::documents
