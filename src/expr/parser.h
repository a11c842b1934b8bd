// Parses CEL source text into an Ast. Stateless and thread-safe.
//
// Errors come back as an InvalidArgument Status (or ResourceExhausted for a limit) whose message
// is what a policy author sees, in the form:
//   ERROR: <input>:1:5: Syntax error: mismatched input ')' expecting ...
//    | a + )
//    | ....^
// (line and column 1-based, the offending source line, a caret under the column).
#pragma once

#include <string_view>

#include "base/status.h"
#include "expr/ast.h"

namespace govflow::expr {

struct ParseOptions {
  // Longest accepted source, in bytes.
  size_t max_expression_length = 100'000;
  // Deepest accepted nesting of expressions (parentheses, calls, operators, member chains).
  // Guards against stack exhaustion; past it the parse fails with ResourceExhausted.
  int max_nesting_depth = 250;
  // When false, has/all/exists/... are parsed as ordinary calls.
  bool enable_macros = true;
  // Name shown in error messages.
  std::string_view description = "<input>";
};

Result<Ast> Parse(std::string_view source, const ParseOptions& options = {});

// Formats "ERROR: <description>:L:C: message\n | line\n | ...^" for a position in `source`.
// Used by the parser and the checker so all compile errors look alike.
std::string FormatSourceError(std::string_view source, std::string_view description,
                              const SourcePosition& position, std::string_view message);

}  // namespace govflow::expr
