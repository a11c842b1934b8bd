// Which validator checks each kind of governed document (Envoy-style: one explicit table).
// Kinds implemented inside src/governance (approval_matrix, validation_rules, severity,
// ownership, sla, escalation, retention, ai_oversight) are in the built-in table of
// kind_registry.cc; kinds whose language lives in a higher layer -- notably "workflow", whose
// loader is src/workflow, which governance may not link -- are registered by that layer at
// startup with RegisterDocumentValidator. A kind with no validator cannot be drafted
// (kFailedPrecondition), so nothing unvalidated is ever stored. Thread-safe (the table is
// guarded by a mutex; validators themselves must be thread-safe).
#pragma once

#include <functional>
#include <string_view>

#include "base/diagnostics.h"
#include "base/status.h"
#include "governance/documents/document.h"

namespace govflow::governance::documents {

// Checks a document's YAML text and reports every problem in `diagnostics`, positioned in
// `yaml_text` (line and column, 1-based). Must not keep references to its arguments.
using DocumentValidator =
    std::function<void(std::string_view yaml_text, DiagnosticList& diagnostics)>;

// Installs (or replaces) the validator of `kind`. Call at startup, before documents of that kind
// are drafted; e.g. the workflow layer registers LoadWorkflowWithDiagnostics for kWorkflow.
void RegisterDocumentValidator(DocumentKind kind, DocumentValidator validator);

// True when `kind` has a validator (built in or registered).
bool HasDocumentValidator(DocumentKind kind);

// Runs `kind`'s validator. kFailedPrecondition when none is registered; kInvalidArgument whose
// message holds every error, one per line, as "file_name:line:column: message".
Status ValidateDocument(DocumentKind kind, std::string_view yaml_text, std::string_view file_name);

}  // namespace govflow::governance::documents
