// Loading workflow definitions: YAML text -> checked, compiled, immutable WorkflowDefinition.
// Every problem found is reported at once, compiler-style and sorted by position:
//   order-capture.yaml:14:9: step 'post': unknown field 'retires' (did you mean 'retry'? ...)
// The language is described in docs/workflow-language.md. Stateless; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "workflow/definition.h"
#include "base/diagnostics.h"

namespace govflow::workflow {

struct LoadReport {
  // Null when there is at least one error.
  std::shared_ptr<const WorkflowDefinition> definition;
  // Errors and warnings, sorted by position.
  std::vector<Diagnostic> diagnostics;
};

// Loads, checks and compiles. `file_name` is only used in messages.
LoadReport LoadWorkflowWithDiagnostics(std::string_view yaml_text, std::string_view file_name);

// Same; errors come back as one InvalidArgument Status whose message holds every error, one per
// line, as Diagnostic::ToString formats them (warnings are on the definition).
Result<std::shared_ptr<const WorkflowDefinition>> LoadWorkflow(std::string_view yaml_text,
                                                               std::string_view file_name);

// Reads `path` and loads it, naming it by its path in messages. A missing or unreadable file is
// NotFound / InvalidArgument.
Result<std::shared_ptr<const WorkflowDefinition>> LoadWorkflowFile(const std::string& path);

// Durations as the language spells them: one or more <number><unit> with unit d, h, m, s, ms, us
// or ns ("15m", "1h30m", "1.5s", "2d"); nullopt when malformed or negative.
std::optional<std::chrono::nanoseconds> ParseWorkflowDuration(std::string_view text);
// The canonical spelling: largest units first, no zero parts ("1h30m", "250ms", "0s").
std::string FormatWorkflowDuration(std::chrono::nanoseconds duration);

}  // namespace govflow::workflow
