// Positions in a definition's YAML text: byte offsets to 1-based line/column, and offsets inside a
// scalar's parsed value back to the file (so that a CEL error at column 12 of an expression
// points at the right character of the YAML file, whatever the scalar's quoting or block style).
// Used by every YAML-reading module (workflows, governance documents). Immutable after construction; thread-safe to read.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"

namespace govflow {

class SourceText {
 public:
  explicit SourceText(std::string_view text);

  std::string_view text() const { return text_; }
  // Line and column (1-based; the column counts UTF-8 code points) of a byte offset.
  SourceLocation LocationOf(size_t offset) const;

 private:
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

// The byte offset in `source` of the character at `value_offset` within a scalar whose parsed
// value is `value` and whose text starts at `scalar_start` (yaml-cpp's Mark::pos: the first
// character of a plain scalar, the opening quote, or the `|` / `>` block indicator). Works by
// aligning the value's characters with the source text, skipping quotes, escapes, indentation and
// folded line breaks; falls back to `scalar_start` when the alignment is lost.
size_t ScalarOffsetToSource(std::string_view source, size_t scalar_start, std::string_view value,
                            size_t value_offset);

// The byte offset of the (line, column) position reported by a CEL error (1-based, column in
// code points) within `expression`; clamped to the expression's size.
size_t ExpressionOffset(std::string_view expression, int line, int column);

}  // namespace govflow
