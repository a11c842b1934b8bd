// Reading a governance document's YAML with positions: yaml-cpp nodes, their file:line:column,
// conversion to JSON (the form hashes and diffs are computed over), and CEL compile errors
// re-anchored at the right character of the YAML file. Internal to src/governance (document
// kinds' validators use it); not a public header of the module. One YamlReader per read; not
// synchronised.
#pragma once

#include <yaml-cpp/yaml.h>

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/diagnostics.h"
#include "base/yaml_source.h"
#include "expr/program.h"

namespace govflow::governance::documents {

// Largest document accepted (bytes) and deepest flow nesting ([ and {), checked before yaml-cpp
// sees the text (it parses recursively).
inline constexpr size_t kMaxDocumentBytes = 1 << 20;
inline constexpr int kMaxFlowNesting = 64;

class YamlReader {
 public:
  // Keeps a view of `text`: it must outlive the reader.
  YamlReader(std::string_view text, DiagnosticList& diagnostics);

  // Parses the text; false (with a diagnostic) on a syntax error, an oversized text, or a root
  // that is not a mapping.
  bool Parse();
  const YAML::Node& root() const { return root_; }

  SourceLocation Loc(const YAML::Node& node) const;
  void Error(const YAML::Node& node, std::string message) {
    diagnostics_.Error(Loc(node), std::move(message));
  }
  void Error(SourceLocation location, std::string message) {
    diagnostics_.Error(location, std::move(message));
  }

  // YAML 1.2 core-schema typing (quoted scalars stay strings; null/true/false/integers/floats
  // otherwise); duplicate or non-text keys are errors (nullopt).
  std::optional<boost::json::value> ToJson(const YAML::Node& node, int depth = 0);

  // Compiles a CEL scalar; on failure reports each CEL error at its position in the YAML file,
  // prefixed by `what`, and returns null.
  std::shared_ptr<const expr::Program> CompileCel(const YAML::Node& scalar,
                                                  const std::string& what);

  // The scalar's text, or nullopt with an error "<what>: expected text" for anything else.
  std::optional<std::string> Text(const YAML::Node& node, const std::string& what);

 private:
  std::string_view text_;
  SourceText source_;
  DiagnosticList& diagnostics_;
  YAML::Node root_;
};

// Parses a whole document to JSON (Parse + ToJson of the root).
std::optional<boost::json::value> YamlTextToJson(std::string_view text,
                                                 DiagnosticList& diagnostics);

}  // namespace govflow::governance::documents
