#include "base/yaml_source.h"

#include <algorithm>

namespace govflow {

SourceText::SourceText(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceLocation SourceText::LocationOf(size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
  size_t start = line_starts_[line_index];
  int column = 1;
  for (size_t i = start; i < offset; ++i) {
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
  }
  return {static_cast<int>(line_index) + 1, column};
}

size_t ScalarOffsetToSource(std::string_view source, size_t scalar_start, std::string_view value,
                            size_t value_offset) {
  if (scalar_start >= source.size()) return std::min(scalar_start, source.size());
  size_t j = scalar_start;
  char first = source[j];
  if (first == '|' || first == '>') {
    // Block scalar: the content starts on the line after the header (indicators, comment).
    size_t nl = source.find('\n', j);
    if (nl == std::string_view::npos) return scalar_start;
    j = nl + 1;
  } else if (first == '"' || first == '\'') {
    ++j;
  }
  value_offset = std::min(value_offset, value.size());
  // How far the alignment may skip source characters (indentation, escapes, line folds) before
  // we conclude that it is lost.
  constexpr size_t kMaxSkip = 256;
  for (size_t i = 0; i <= value_offset && i < value.size(); ++i) {
    size_t start = j;
    while (j < source.size() && source[j] != value[i]) {
      if (j - start > kMaxSkip) return scalar_start;
      ++j;
    }
    if (j >= source.size()) return scalar_start;
    if (i == value_offset) return j;
    ++j;
  }
  // value_offset == value.size(): just past the last matched character.
  return j;
}

size_t ExpressionOffset(std::string_view expression, int line, int column) {
  size_t offset = 0;
  for (int l = 1; l < line; ++l) {
    size_t nl = expression.find('\n', offset);
    if (nl == std::string_view::npos) return expression.size();
    offset = nl + 1;
  }
  for (int c = 1; c < column && offset < expression.size(); ++c) {
    ++offset;
    while (offset < expression.size() &&
           (static_cast<unsigned char>(expression[offset]) & 0xC0) == 0x80) {
      ++offset;
    }
  }
  return std::min(offset, expression.size());
}

}  // namespace govflow
