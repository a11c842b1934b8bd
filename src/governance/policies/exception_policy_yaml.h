// Shared reading of the exception policies' YAML (severity definitions, ownership map, SLA
// targets, escalation chains): the common envelope (apiVersion, kind, metadata.name, spec),
// file:line:column diagnostics, durations ("15m", "4h", "2d") and CEL conditions compiled once
// with their errors placed in the YAML file. Internal to src/governance/policies. A PolicyReader
// is used by one parse at a time (not synchronised).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/diagnostics.h"
#include "base/status.h"
#include "base/yaml_source.h"
#include "expr/program.h"

namespace govflow::governance::policies {

class PolicyReader {
 public:
  PolicyReader(std::string_view text, std::string_view file_name, std::string_view kind)
      : text_(text), source_(text_), file_name_(file_name), kind_(kind) {}

  // Parses the document and checks the envelope; returns the `spec` mapping, or nullopt after
  // recording the errors.
  std::optional<YAML::Node> Spec();

  SourceLocation Loc(const YAML::Node& node) const;
  void Error(const YAML::Node& node, std::string message);
  void Error(SourceLocation location, std::string message) {
    diagnostics_.Error(location, std::move(message));
  }
  bool has_errors() const { return diagnostics_.has_errors(); }
  // kInvalidArgument with every diagnostic, one "file:line:column: message" per line.
  Status Failure() const { return InvalidArgument(diagnostics_.Format(file_name_)); }

  // Reports keys of `map` not in `allowed` ("unknown field 'x' in <what>; expected one of ...").
  void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                 std::string_view what);
  // A scalar string field; records an error naming `what` when missing (if required) or not a
  // scalar.
  std::optional<std::string> String(const YAML::Node& map, std::string_view key,
                                    std::string_view what, bool required);
  // "30s", "15m", "4h", "2d" (or a combination such as "1h30m"); records an error otherwise.
  std::optional<std::chrono::seconds> Duration(const YAML::Node& map, std::string_view key,
                                               std::string_view what, bool required);
  // A list of strings (a single scalar counts as a list of one).
  std::vector<std::string> StringList(const YAML::Node& map, std::string_view key,
                                      std::string_view what);
  // Compiles the CEL condition in map[key]; errors point into the YAML text.
  std::shared_ptr<const expr::Program> Condition(const YAML::Node& map, std::string_view key,
                                                 std::string_view what);

 private:
  std::string text_;
  SourceText source_;
  std::string file_name_;
  std::string kind_;
  DiagnosticList diagnostics_;
  YAML::Node root_;
};

// "15m" etc.; nullopt when malformed. Exposed for the CLI and tests.
std::optional<std::chrono::seconds> ParsePolicyDuration(std::string_view text);
// The inverse, shortest form: 900s -> "15m", 5400s -> "1h30m".
std::string FormatPolicyDuration(std::chrono::seconds d);

}  // namespace govflow::governance::policies
