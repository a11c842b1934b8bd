#include "base/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace govflow {

std::string Diagnostic::ToString(std::string_view file_name) const {
  std::string out(file_name);
  if (location.line > 0) {
    out += ':' + std::to_string(location.line) + ':' + std::to_string(location.column);
  }
  out += ": ";
  if (severity == Severity::kWarning) out += "warning: ";
  out += message;
  return out;
}

void DiagnosticList::Error(SourceLocation location, std::string message) {
  items_.push_back({Diagnostic::Severity::kError, location, std::move(message)});
}

void DiagnosticList::Warning(SourceLocation location, std::string message) {
  items_.push_back({Diagnostic::Severity::kWarning, location, std::move(message)});
}

bool DiagnosticList::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

std::vector<Diagnostic> DiagnosticList::Sorted() const {
  std::vector<Diagnostic> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.location.line, a.location.column, a.severity) <
           std::tie(b.location.line, b.location.column, b.severity);
  });
  std::vector<Diagnostic> unique;
  for (Diagnostic& d : sorted) {
    bool seen = std::any_of(unique.begin(), unique.end(), [&](const Diagnostic& u) {
      return u.location == d.location && u.severity == d.severity && u.message == d.message;
    });
    if (!seen) unique.push_back(std::move(d));
  }
  return unique;
}

std::string DiagnosticList::Format(std::string_view file_name) const {
  std::string out;
  for (const Diagnostic& d : Sorted()) {
    if (!out.empty()) out += '\n';
    out += d.ToString(file_name);
  }
  return out;
}

std::string FormatWithSourceLine(const Diagnostic& diagnostic, std::string_view file_name,
                                 std::string_view source) {
  std::string out = diagnostic.ToString(file_name);
  if (diagnostic.location.line <= 0) return out;
  size_t start = 0;
  for (int line = 1; line < diagnostic.location.line; ++line) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return out;
    start = nl + 1;
  }
  size_t end = source.find('\n', start);
  std::string_view text =
      source.substr(start, end == std::string_view::npos ? source.size() - start : end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  out += "\n  ";
  out += text;
  out += "\n  ";
  // Tabs are kept so that the caret lines up under the same terminal column.
  int column = 1;
  for (size_t i = 0; i < text.size() && column < diagnostic.location.column; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte: same code point
    out += c == '\t' ? '\t' : ' ';
    ++column;
  }
  out += '^';
  return out;
}

}  // namespace govflow
