#include "workflow/document_kind.h"

#include "base/diagnostics.h"
#include "governance/documents/kind_registry.h"
#include "workflow/loader.h"

namespace govflow::workflow {

void RegisterWorkflowDocumentKind() {
  governance::documents::RegisterDocumentValidator(
      governance::documents::DocumentKind::kWorkflow,
      [](std::string_view text, DiagnosticList& diagnostics) {
        LoadReport report = LoadWorkflowWithDiagnostics(text, "");
        for (const Diagnostic& d : report.diagnostics) {
          if (d.severity == Diagnostic::Severity::kError) diagnostics.Error(d.location, d.message);
        }
      });
}

}  // namespace govflow::workflow
