// Compiler-style diagnostics for workflow definitions: "file:line:column: message", collected so
// that one load reports every problem at once, sorted by position. Values; a DiagnosticList is
// not synchronised (one per load).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace govflow {

// A 1-based position in a definition file. line 0 means "the file as a whole".
struct SourceLocation {
  int line = 0;
  int column = 0;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;

  // "order-capture.yaml:14:9: message" for errors, "...: warning: message" for warnings.
  std::string ToString(std::string_view file_name) const;
};

class DiagnosticList {
 public:
  void Error(SourceLocation location, std::string message);
  void Warning(SourceLocation location, std::string message);

  bool has_errors() const;
  // By position (line, then column), errors before warnings at the same position; stable, so
  // that problems found at one position keep the order in which they were found. Exact
  // duplicates are dropped.
  std::vector<Diagnostic> Sorted() const;
  // Sorted() rendered one per line (no trailing newline).
  std::string Format(std::string_view file_name) const;

 private:
  std::vector<Diagnostic> items_;
};

// Like Diagnostic::ToString, followed by the offending source line and a caret under the column
// (as a terminal shows it); for the CLI. `source` is the whole file.
std::string FormatWithSourceLine(const Diagnostic& diagnostic, std::string_view file_name,
                                 std::string_view source);

}  // namespace govflow
