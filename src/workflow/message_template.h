// Messages with `{{ CEL }}` interpolations: splitting the text when a definition is loaded, and
// rendering it against a run's variables. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "expr/program.h"
#include "workflow/definition.h"

namespace govflow::workflow {

struct TemplateSegment {
  bool is_expression = false;
  std::string text;   // literal text, or the CEL source between the braces
  size_t offset = 0;  // where `text` starts within the template source
};

// Splits "order {{ event.name }} failed" into literal and expression segments. `{{` always opens
// an interpolation, closed by the next `}}`. An unclosed `{{` or an empty `{{ }}` is an
// InvalidArgument; *error_offset then says where in `source`.
Result<std::vector<TemplateSegment>> SplitTemplate(std::string_view source, size_t* error_offset);

// The text with each interpolation replaced by its value: strings as they are, other values as
// their canonical JSON. An evaluation error -> InvalidArgument with the CEL message.
Result<std::string> RenderMessage(const MessageTemplate& message,
                                  const expr::Activation& activation,
                                  const expr::EvalOptions& options = {});

}  // namespace govflow::workflow
