#include "governance/documents/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace govflow::governance::documents {
namespace {

int FlowNestingDepth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  char quote = 0;
  bool comment = false;
  for (char c : text) {
    if (comment) {
      comment = c != '\n';
      continue;
    }
    if (quote != 0) {
      if (c == quote || c == '\n') quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      comment = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string_view Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

}  // namespace

YamlReader::YamlReader(std::string_view text, DiagnosticList& diagnostics)
    : text_(text), source_(text), diagnostics_(diagnostics) {}

SourceLocation YamlReader::Loc(const YAML::Node& node) const {
  if (!node.IsDefined()) return {1, 1};
  return source_.LocationOf(std::min<size_t>(node.Mark().pos, text_.size()));
}

bool YamlReader::Parse() {
  if (text_.size() > kMaxDocumentBytes) {
    Error(SourceLocation{1, 1}, "the document is " + std::to_string(text_.size()) +
                                    " bytes; at most " + std::to_string(kMaxDocumentBytes) +
                                    " are accepted");
    return false;
  }
  if (FlowNestingDepth(text_) > kMaxFlowNesting) {
    Error(SourceLocation{1, 1},
          "brackets nested more than " + std::to_string(kMaxFlowNesting) + " deep");
    return false;
  }
  try {
    root_ = YAML::Load(std::string(text_));
  } catch (const YAML::Exception& e) {
    Error(SourceLocation{e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    return false;
  }
  if (!root_.IsMap()) {
    Error(SourceLocation{1, 1},
          "a document must be a YAML mapping, got " + std::string(Describe(root_)));
    return false;
  }
  return true;
}

std::optional<boost::json::value> YamlReader::ToJson(const YAML::Node& node, int depth) {
  if (depth > 64) {
    Error(node, "nested too deeply");
    return std::nullopt;
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return boost::json::value(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return boost::json::value(s);  // quoted: always text
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return boost::json::value(nullptr);
      if (s == "true" || s == "True" || s == "TRUE") return boost::json::value(true);
      if (s == "false" || s == "False" || s == "FALSE") return boost::json::value(false);
      if (!s.empty() && s.find_first_not_of("0123456789+-.eE") == std::string::npos) {
        char* end = nullptr;
        errno = 0;
        long long i = std::strtoll(s.c_str(), &end, 10);
        if (end == s.c_str() + s.size() && errno == 0) {
          return boost::json::value(static_cast<int64_t>(i));
        }
        double d = std::strtod(s.c_str(), &end);
        if (end == s.c_str() + s.size() && std::isfinite(d)) return boost::json::value(d);
      }
      return boost::json::value(s);
    }
    case YAML::NodeType::Sequence: {
      boost::json::array array;
      for (const auto& element : node) {
        auto v = ToJson(element, depth + 1);
        if (!v) return std::nullopt;
        array.push_back(std::move(*v));
      }
      return boost::json::value(std::move(array));
    }
    case YAML::NodeType::Map: {
      boost::json::object object;
      for (auto it = node.begin(); it != node.end(); ++it) {
        YAML::Node key = it->first;
        if (!key.IsScalar()) {
          Error(key, "keys must be text, got " + std::string(Describe(key)));
          return std::nullopt;
        }
        if (object.contains(key.Scalar())) {
          Error(key, "duplicate key '" + key.Scalar() + "'");
          return std::nullopt;
        }
        auto v = ToJson(it->second, depth + 1);
        if (!v) return std::nullopt;
        object[key.Scalar()] = std::move(*v);
      }
      return boost::json::value(std::move(object));
    }
  }
  return boost::json::value(nullptr);
}

std::optional<std::string> YamlReader::Text(const YAML::Node& node, const std::string& what) {
  if (!node.IsDefined() || !node.IsScalar()) {
    Error(node, what + ": expected text, got " + std::string(Describe(node)));
    return std::nullopt;
  }
  return node.Scalar();
}

std::shared_ptr<const expr::Program> YamlReader::CompileCel(const YAML::Node& scalar,
                                                            const std::string& what) {
  if (!scalar.IsDefined() || !scalar.IsScalar()) {
    Error(scalar, what + ": expected a CEL expression, got " + std::string(Describe(scalar)));
    return nullptr;
  }
  const std::string& source = scalar.Scalar();
  if (source.find_first_not_of(" \t\r\n") == std::string::npos) {
    Error(scalar, what + ": expected a CEL expression, got empty text");
    return nullptr;
  }
  expr::CompileOptions options;
  options.description = "<expression>";
  auto program = expr::Compile(source, options);
  if (program.ok()) return std::move(program).value();

  // The expression library formats each error as "ERROR: <desc>:L:C: message" followed by the
  // source line and a caret; re-anchor L:C in the YAML file and drop the snippet.
  auto at = [&](size_t expr_offset) {
    size_t offset = ScalarOffsetToSource(text_, scalar.Mark().pos, source,
                                         std::min(expr_offset, source.size()));
    return source_.LocationOf(offset);
  };
  std::string_view message = program.status().message();
  bool reported = false;
  size_t pos = 0;
  while (pos <= message.size()) {
    size_t nl = message.find('\n', pos);
    std::string_view line =
        message.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? message.size() + 1 : nl + 1;
    constexpr std::string_view kPrefix = "ERROR: ";
    if (!line.starts_with(kPrefix)) continue;
    std::string_view rest = line.substr(kPrefix.size());
    size_t c1 = rest.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
    size_t c3 = c2 == std::string_view::npos ? c2 : rest.find(':', c2 + 1);
    if (c3 == std::string_view::npos) continue;
    int cel_line = std::atoi(std::string(rest.substr(c1 + 1, c2 - c1 - 1)).c_str());
    int cel_column = std::atoi(std::string(rest.substr(c2 + 1, c3 - c2 - 1)).c_str());
    std::string_view text = rest.substr(c3 + 1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    size_t offset = ExpressionOffset(source, std::max(cel_line, 1), std::max(cel_column, 1));
    Error(at(offset), what + ": " + std::string(text));
    reported = true;
  }
  if (!reported) Error(at(0), what + ": " + std::string(message));
  return nullptr;
}

std::optional<boost::json::value> YamlTextToJson(std::string_view text,
                                                 DiagnosticList& diagnostics) {
  YamlReader reader(text, diagnostics);
  if (!reader.Parse()) return std::nullopt;
  return reader.ToJson(reader.root());
}

}  // namespace govflow::governance::documents
