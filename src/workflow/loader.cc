#include "workflow/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "expr/ast.h"
#include "expr/program.h"
#include "workflow/message_template.h"
#include "base/yaml_source.h"

namespace govflow::workflow {
namespace {

using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Vocabulary.

constexpr std::array<std::string_view, 6> kTopFields = {"apiVersion", "kind", "metadata",
                                                        "trigger",    "vars", "steps"};
constexpr std::array<std::string_view, 3> kMetadataFields = {"name", "description", "process"};
constexpr std::array<std::string_view, 2> kTriggerFields = {"connection", "topic"};
constexpr std::array<std::string_view, 4> kCommonStepFields = {"name", "kind", "description",
                                                               "next"};
constexpr std::array<std::string_view, 4> kRuleFields = {"name", "condition", "message",
                                                         "error_class"};
constexpr std::array<std::string_view, 2> kCaseFields = {"when", "goto"};
constexpr std::array<std::string_view, 4> kRetryFields = {"attempts", "backoff", "jitter",
                                                          "retry_on"};
constexpr std::array<std::string_view, 3> kBackoffFields = {"initial", "max", "multiplier"};
constexpr std::array<std::string_view, 2> kErrorRouteFields = {"error_class", "goto"};

constexpr std::array<std::string_view, 7> kStepKinds = {"validate", "map",  "branch", "call",
                                                        "wait",     "fail", "approve"};

// The variables every expression sees (besides the output aliases of map and call steps).
constexpr std::array<std::string_view, 5> kContextVariables = {"event", "vars", "steps", "run",
                                                               "now"};
constexpr std::array<std::string_view, 4> kRunFields = {"id", "attempt", "workflow", "version"};

// Names an expression may use without declaring them: function namespaces and type names.
constexpr std::array<std::string_view, 17> kBuiltinNames = {
    "math", "optional", "base64", "strings", "cel", "google",    "int",  "uint", "double",
    "bool", "string",   "bytes",  "list",    "map", "null_type", "type", "dyn"};

// CEL's reserved words: they cannot be field names, so not step, output or variable names.
constexpr std::array<std::string_view, 21> kCelReserved = {
    "true",     "false",   "null",      "in",       "as",  "break",  "const",
    "continue", "else",    "for",       "function", "if",  "import", "let",
    "loop",     "package", "namespace", "return",   "var", "void",   "while"};

constexpr std::string_view kEndTarget = "end";

constexpr size_t kMaxDefinitionBytes = 1 << 20;
constexpr int kMaxFlowNesting = 64;
constexpr int kMaxAttempts = 20;
constexpr double kMaxMultiplier = 10.0;
constexpr int kMaxQuorum = 10;
constexpr size_t kMaxNameLength = 64;
constexpr nanoseconds kMaxCallTimeout = 1h;
constexpr nanoseconds kMaxBackoff = 24h;
constexpr nanoseconds kMaxWait = 366 * 24h;

template <typename Container>
std::string JoinNames(const Container& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

template <typename Container>
bool Contains(const Container& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool ContainsIndex(const std::vector<int>& indices, int index) {
  return std::find(indices.begin(), indices.end(), index) != indices.end();
}

// Edit distance counting an adjacent transposition as one edit ("stpes" -> "steps" is 1).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// "did you mean 'retry'? " when one candidate is close, else "".
template <typename Container>
std::string Suggestion(std::string_view word, const Container& candidates) {
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const auto& candidate : candidates) {
    size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  size_t limit = word.size() <= 3 ? 1 : word.size() <= 5 ? 2 : 3;
  if (best.empty() || best_distance > limit) return "";
  return "did you mean '" + best + "'? ";
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

bool IsLowerName(std::string_view s, std::string_view extra_chars) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  if (!(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           extra_chars.find(c) != std::string_view::npos;
  });
}

bool IsWorkflowName(std::string_view s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

std::string TrimTrailing(std::string_view s) {
  size_t end = s.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? std::string() : std::string(s.substr(0, end + 1));
}

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// ---------------------------------------------------------------------------------------------
// YAML helpers.

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

bool IsQuoted(const YAML::Node& node) {
  return node.Tag() == "!";
}

// A mapping entry.
struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

using Fields = std::vector<Field>;

const Field* FindField(const Fields& fields, std::string_view key) {
  for (const Field& field : fields) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

// What the loader learns about a step before compiling it (for names, gotos and outputs).
struct StepHeader {
  std::string name;
  std::optional<StepKind> kind;
  std::string output_name;
  SourceLocation location;
};

// A reference from an expression to another step's output, checked once the flow is known.
struct OutputReference {
  int from_step;
  std::string context;
  std::string to_step;
  SourceLocation location;
};

// An edge of the step graph, with where it was written.
struct FlowEdge {
  int target;  // kEndOfRun for `end`
};

class Loader {
 public:
  Loader(std::string_view text, std::string_view file_name)
      : text_(text), source_(text), file_name_(file_name) {}

  LoadReport Run();

 private:
  SourceLocation Loc(const YAML::Node& node) const { return source_.LocationOf(node.Mark().pos); }
  // Where to point for a field's value: the value itself, or its key when it has no text.
  SourceLocation ValueLoc(const Field& field) const {
    if (!field.value.IsDefined() || field.value.IsNull()) return Loc(field.key_node);
    return Loc(field.value);
  }

  void Error(SourceLocation location, std::string message) {
    diagnostics_.Error(location, std::move(message));
  }

  // Collects a mapping's entries, reporting non-scalar keys, duplicates and unknown fields.
  template <typename Allowed>
  Fields CheckFields(const YAML::Node& map, const std::string& context, const Allowed& allowed);
  // Reports each of `required` missing from `fields`.
  template <typename Required>
  void RequireFields(const Fields& fields, const YAML::Node& map, const std::string& context,
                     const Required& required);
  bool ExpectMap(const YAML::Node& node, SourceLocation location, const std::string& what);

  std::optional<std::string> GetString(const Field& field, const std::string& context);
  std::optional<int64_t> GetInt(const Field& field, const std::string& context, int64_t min,
                                int64_t max);
  std::optional<double> GetNumber(const Field& field, const std::string& context, double min,
                                  double max);
  std::optional<nanoseconds> GetDuration(const Field& field, const std::string& context,
                                         nanoseconds min, nanoseconds max);
  std::optional<ErrorClass> GetErrorClass(const Field& field, const std::string& context);
  // A step name or "end"; returns the target index (kEndOfRun for end), or nullopt.
  std::optional<int> GetTarget(const Field& field, const std::string& context);

  // CEL.
  std::optional<Expression> CompileField(const Field& field, const std::string& context,
                                         int step_index);
  std::optional<Expression> CompileScalar(const YAML::Node& node, std::string_view source,
                                          size_t value_offset, const std::string& what,
                                          int step_index);
  void ReportCelErrors(std::string_view message, const YAML::Node& node, size_t value_offset,
                       std::string_view source, const std::string& what);
  void CheckReferences(const expr::Expr& e, std::vector<std::string>& scope, const YAML::Node& node,
                       size_t value_offset, std::string_view source, const std::string& what,
                       int step_index);
  void CheckSelectChain(const std::vector<std::string>& chain, const expr::Expr& at,
                        const YAML::Node& node, size_t value_offset, std::string_view source,
                        const std::string& what, int step_index);
  SourceLocation ExprLoc(const YAML::Node& node, size_t value_offset, std::string_view source,
                         size_t expr_offset) const;
  std::optional<MessageTemplate> CompileTemplate(const Field& field, const std::string& context,
                                                 int step_index);

  // Sections.
  void LoadMetadata(const Field& field, WorkflowDefinition::Parts& parts, boost::json::object& out);
  void LoadTrigger(const Field& field, WorkflowDefinition::Parts& parts, boost::json::object& out);
  void LoadVars(const Field& field, WorkflowDefinition::Parts& parts, boost::json::object& out);
  std::optional<boost::json::value> YamlToJson(const YAML::Node& node, const std::string& context,
                                               int depth);
  void ScanStepHeaders(const YAML::Node& steps);
  std::optional<Step> LoadStep(const YAML::Node& node, int index, boost::json::object& out);
  bool LoadValidate(const Fields& fields, const std::string& context, Step& step,
                    boost::json::object& out);
  bool LoadMap(const Fields& fields, const YAML::Node& node, const std::string& context, Step& step,
               boost::json::object& out);
  bool LoadMapFields(const YAML::Node& map, const std::string& context, int step_index,
                     std::vector<MapField>& fields, boost::json::object& out, int depth);
  bool LoadBranch(const Fields& fields, const std::string& context, Step& step,
                  boost::json::object& out);
  bool LoadCall(const Fields& fields, const std::string& context, Step& step,
                boost::json::object& out);
  bool LoadRetry(const Field& field, const std::string& context, RetryPolicy& retry,
                 boost::json::object& out);
  bool LoadWait(const Fields& fields, const YAML::Node& node, const std::string& context,
                Step& step, boost::json::object& out);
  bool LoadFail(const Fields& fields, const std::string& context, Step& step,
                boost::json::object& out);
  bool LoadApprove(const Fields& fields, const std::string& context, Step& step,
                   boost::json::object& out);
  bool LoadOutputName(const Fields& fields, const std::string& context, Step& step,
                      boost::json::object& out);

  // The flow.
  void CheckFlow(const std::vector<Step>& steps);

  std::string_view text_;
  SourceText source_;
  std::string file_name_;
  DiagnosticList diagnostics_;

  std::vector<StepHeader> headers_;
  std::map<std::string, int, std::less<>> step_index_;
  std::map<std::string, int, std::less<>> output_alias_;  // alias -> step index
  std::set<std::string, std::less<>> var_names_;
  std::vector<OutputReference> output_references_;
  bool target_errors_ = false;
};

// ---------------------------------------------------------------------------------------------
// Structure checks.

template <typename Allowed>
Fields Loader::CheckFields(const YAML::Node& map, const std::string& context,
                           const Allowed& allowed) {
  Fields fields;
  std::set<std::string> seen;  // every key so far, unknown ones included
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node key = it->first;  // a copy: yaml-cpp iterators hand out temporaries
    if (!key.IsScalar()) {
      Error(Loc(key),
            context + ": field names must be plain text, got " + std::string(Describe(key)));
      continue;
    }
    std::string name = key.Scalar();
    if (!seen.insert(name).second) {
      Error(Loc(key), context + ": duplicate field " + Quote(name));
      continue;
    }
    if (!Contains(allowed, name)) {
      Error(Loc(key), context + ": unknown field " + Quote(name) + " (" +
                          Suggestion(name, allowed) + "expected one of: " + JoinNames(allowed) +
                          ")");
      continue;
    }
    fields.push_back({name, key, it->second});
  }
  return fields;
}

template <typename Required>
void Loader::RequireFields(const Fields& fields, const YAML::Node& map, const std::string& context,
                           const Required& required) {
  for (std::string_view name : required) {
    if (FindField(fields, name) == nullptr) {
      Error(Loc(map), context + ": missing required field " + Quote(name));
    }
  }
}

bool Loader::ExpectMap(const YAML::Node& node, SourceLocation location, const std::string& what) {
  if (node.IsMap()) return true;
  Error(location, what + ": expected a mapping, got " + std::string(Describe(node)));
  return false;
}

std::optional<std::string> Loader::GetString(const Field& field, const std::string& context) {
  if (!field.value.IsScalar()) {
    Error(ValueLoc(field), context + ": " + Quote(field.key) + " must be text, got " +
                               std::string(Describe(field.value)));
    return std::nullopt;
  }
  return field.value.Scalar();
}

std::optional<int64_t> Loader::GetInt(const Field& field, const std::string& context, int64_t min,
                                      int64_t max) {
  std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!field.value.IsScalar() || IsQuoted(field.value)) {
    Error(ValueLoc(field),
          context + ": " + Quote(field.key) + " must be " + expected + ", got " +
              (field.value.IsScalar() ? "text" : std::string(Describe(field.value))));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  int64_t value = 0;
  size_t used = 0;
  try {
    value = std::stoll(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < min || value > max) {
    Error(ValueLoc(field),
          context + ": " + Quote(field.key) + " must be " + expected + ", got " + Quote(text));
    return std::nullopt;
  }
  return value;
}

std::optional<double> Loader::GetNumber(const Field& field, const std::string& context, double min,
                                        double max) {
  std::ostringstream range;
  range << "a number from " << min << " to " << max;
  if (!field.value.IsScalar() || IsQuoted(field.value)) {
    Error(ValueLoc(field),
          context + ": " + Quote(field.key) + " must be " + range.str() + ", got " +
              (field.value.IsScalar() ? "text" : std::string(Describe(field.value))));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  double value = 0;
  size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value) || value < min || value > max) {
    Error(ValueLoc(field),
          context + ": " + Quote(field.key) + " must be " + range.str() + ", got " + Quote(text));
    return std::nullopt;
  }
  return value;
}

std::optional<nanoseconds> Loader::GetDuration(const Field& field, const std::string& context,
                                               nanoseconds min, nanoseconds max) {
  if (!field.value.IsScalar()) {
    Error(ValueLoc(field), context + ": " + Quote(field.key) + " must be a duration such as " +
                               "'30s', '15m' or '1h30m', got " +
                               std::string(Describe(field.value)));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  std::optional<nanoseconds> d = ParseWorkflowDuration(text);
  if (!d) {
    Error(ValueLoc(field), context + ": " + Quote(field.key) + ": invalid duration " + Quote(text) +
                               " (expected a number and a unit: d, h, m, s, ms; e.g. '30s', '15m', "
                               "'1h30m')");
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    Error(ValueLoc(field), context + ": " + Quote(field.key) + " must be from " +
                               FormatWorkflowDuration(min) + " to " + FormatWorkflowDuration(max) +
                               ", got " + Quote(text));
    return std::nullopt;
  }
  return d;
}

std::optional<ErrorClass> Loader::GetErrorClass(const Field& field, const std::string& context) {
  std::optional<std::string> name = GetString(field, context);
  if (!name) return std::nullopt;
  std::optional<ErrorClass> error_class = ParseErrorClass(*name);
  if (!error_class) {
    std::vector<std::string_view> names;
    for (ErrorClass c : AllErrorClasses()) names.push_back(ErrorClassName(c));
    Error(ValueLoc(field), context + ": unknown error class " + Quote(*name) + " (" +
                               Suggestion(*name, names) + "expected one of: " + JoinNames(names) +
                               ")");
  }
  return error_class;
}

std::optional<int> Loader::GetTarget(const Field& field, const std::string& context) {
  std::optional<std::string> name = GetString(field, context);
  if (!name) {
    target_errors_ = true;
    return std::nullopt;
  }
  if (*name == kEndTarget) return kEndOfRun;
  auto it = step_index_.find(*name);
  if (it == step_index_.end()) {
    std::vector<std::string> names;
    for (const StepHeader& h : headers_) names.push_back(h.name);
    names.emplace_back(kEndTarget);
    Error(ValueLoc(field), context + ": " + Quote(field.key) + " names an unknown step " +
                               Quote(*name) + " (" + Suggestion(*name, names) +
                               "expected one of: " + JoinNames(names) + ")");
    target_errors_ = true;
    return std::nullopt;
  }
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// CEL.

SourceLocation Loader::ExprLoc(const YAML::Node& node, size_t value_offset, std::string_view source,
                               size_t expr_offset) const {
  const std::string& value = node.Scalar();
  // `source` (the expression) starts at `value_offset` within the scalar's value.
  size_t offset = ScalarOffsetToSource(text_, node.Mark().pos, value,
                                       value_offset + std::min(expr_offset, source.size()));
  return source_.LocationOf(offset);
}

void Loader::ReportCelErrors(std::string_view message, const YAML::Node& node, size_t value_offset,
                             std::string_view source, const std::string& what) {
  // The expression library formats each error as "ERROR: <desc>:L:C: message" followed by the
  // source line and a caret; we re-anchor L:C in the YAML file and drop the snippet.
  bool reported = false;
  size_t pos = 0;
  while (pos <= message.size()) {
    size_t nl = message.find('\n', pos);
    std::string_view line =
        message.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? message.size() + 1 : nl + 1;
    constexpr std::string_view kPrefix = "ERROR: ";
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    std::string_view rest = line.substr(kPrefix.size());
    // rest = "<desc>:L:C: text"
    size_t colon1 = rest.find(':');
    if (colon1 == std::string_view::npos) continue;
    size_t colon2 = rest.find(':', colon1 + 1);
    size_t colon3 = colon2 == std::string_view::npos ? colon2 : rest.find(':', colon2 + 1);
    if (colon3 == std::string_view::npos) continue;
    int cel_line = std::atoi(std::string(rest.substr(colon1 + 1, colon2 - colon1 - 1)).c_str());
    int cel_column = std::atoi(std::string(rest.substr(colon2 + 1, colon3 - colon2 - 1)).c_str());
    std::string_view text = rest.substr(colon3 + 1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    size_t offset = ExpressionOffset(source, std::max(cel_line, 1), std::max(cel_column, 1));
    Error(ExprLoc(node, value_offset, source, offset), what + ": " + std::string(text));
    reported = true;
  }
  if (!reported) {
    Error(ExprLoc(node, value_offset, source, 0), what + ": " + std::string(message));
  }
}

void Loader::CheckSelectChain(const std::vector<std::string>& chain, const expr::Expr& at,
                              const YAML::Node& node, size_t value_offset, std::string_view source,
                              const std::string& what, int step_index) {
  // chain[0] is a free identifier, chain[1..] the fields selected from it.
  const std::string& root = chain[0];
  SourceLocation loc = ExprLoc(node, value_offset, source, static_cast<size_t>(at.position.offset));
  if (root == "steps") {
    if (chain.size() < 2) return;
    const std::string& name = chain[1];
    auto it = step_index_.find(name);
    if (it == step_index_.end()) {
      std::vector<std::string> names;
      for (const StepHeader& h : headers_) names.push_back(h.name);
      Error(loc, what + ": no step named " + Quote(name) + " (" + Suggestion(name, names) +
                     "expected one of: " + JoinNames(names) + ")");
      return;
    }
    const StepHeader& header = headers_[static_cast<size_t>(it->second)];
    if (header.kind && *header.kind != StepKind::kMap && *header.kind != StepKind::kCall &&
        *header.kind != StepKind::kApprove) {
      Error(loc, what + ": step " + Quote(name) + " is a " +
                     std::string(StepKindName(*header.kind)) +
                     " step and has no output (only map, call and approve steps have one)");
      return;
    }
    if (chain.size() >= 3 && chain[2] != "output") {
      Error(loc, what + ": unknown field " + Quote(chain[2]) + " of steps." + name +
                     " (expected: output)");
      return;
    }
    output_references_.push_back({step_index, what, name, loc});
    return;
  }
  if (root == "vars") {
    if (chain.size() < 2 || var_names_.count(chain[1]) > 0) return;
    std::string expected = var_names_.empty() ? std::string("no vars are declared")
                                              : "expected one of: " + JoinNames(var_names_);
    Error(loc, what + ": unknown variable " + Quote("vars." + chain[1]) + " (" +
                   Suggestion(chain[1], var_names_) + expected + ")");
    return;
  }
  if (root == "run") {
    if (chain.size() < 2 || Contains(kRunFields, chain[1])) return;
    Error(loc, what + ": unknown field " + Quote(chain[1]) +
                   " of run (expected one of: " + JoinNames(kRunFields) + ")");
    return;
  }
  auto alias = output_alias_.find(root);
  if (alias != output_alias_.end()) {
    output_references_.push_back(
        {step_index, what, headers_[static_cast<size_t>(alias->second)].name, loc});
    return;
  }
  if (Contains(kContextVariables, root) || Contains(kBuiltinNames, root)) return;
  std::vector<std::string> names(kContextVariables.begin(), kContextVariables.end());
  for (const auto& [alias_name, index] : output_alias_) names.push_back(alias_name);
  Error(loc, what + ": unknown variable " + Quote(root) + " (" + Suggestion(root, names) +
                 "expected one of: " + JoinNames(names) + ")");
}

void Loader::CheckReferences(const expr::Expr& e, std::vector<std::string>& scope,
                             const YAML::Node& node, size_t value_offset, std::string_view source,
                             const std::string& what, int step_index) {
  auto visit = [&](const expr::ExprPtr& child) {
    if (child) CheckReferences(*child, scope, node, value_offset, source, what, step_index);
  };
  auto in_scope = [&](const std::string& name) { return Contains(scope, name); };
  if (const auto* ident = std::get_if<expr::Ident>(&e.kind)) {
    std::string name = ident->name;
    if (!name.empty() && name[0] == '.') name.erase(0, 1);
    if (!in_scope(name)) CheckSelectChain({name}, e, node, value_offset, source, what, step_index);
    return;
  }
  if (const auto* select = std::get_if<expr::Select>(&e.kind)) {
    // Collect the chain down to its root.
    std::vector<std::string> fields = {select->field};
    const expr::Expr* operand = select->operand.get();
    while (operand != nullptr) {
      if (const auto* inner = std::get_if<expr::Select>(&operand->kind)) {
        fields.push_back(inner->field);
        operand = inner->operand.get();
        continue;
      }
      break;
    }
    if (operand != nullptr) {
      if (const auto* root = std::get_if<expr::Ident>(&operand->kind)) {
        std::string name = root->name;
        if (!name.empty() && name[0] == '.') name.erase(0, 1);
        if (!in_scope(name)) {
          std::vector<std::string> chain = {name};
          chain.insert(chain.end(), fields.rbegin(), fields.rend());
          CheckSelectChain(chain, *operand, node, value_offset, source, what, step_index);
        }
        return;
      }
      CheckReferences(*operand, scope, node, value_offset, source, what, step_index);
    }
    return;
  }
  if (const auto* call = std::get_if<expr::Call>(&e.kind)) {
    bool namespace_target = false;
    if (call->target) {
      if (const auto* t = std::get_if<expr::Ident>(&call->target->kind)) {
        namespace_target = !in_scope(t->name) && Contains(kBuiltinNames, t->name);
      }
    }
    if (!namespace_target) visit(call->target);
    for (const auto& arg : call->args) visit(arg);
    return;
  }
  if (const auto* list = std::get_if<expr::CreateList>(&e.kind)) {
    for (const auto& element : list->elements) visit(element);
    return;
  }
  if (const auto* create = std::get_if<expr::CreateStruct>(&e.kind)) {
    for (const auto& entry : create->entries) {
      visit(entry.key);
      visit(entry.value);
    }
    return;
  }
  if (const auto* loop = std::get_if<expr::Comprehension>(&e.kind)) {
    visit(loop->iter_range);
    visit(loop->accu_init);
    size_t saved = scope.size();
    scope.push_back(loop->iter_var);
    if (!loop->iter_var2.empty()) scope.push_back(loop->iter_var2);
    scope.push_back(loop->accu_var);
    visit(loop->loop_condition);
    visit(loop->loop_step);
    visit(loop->result);
    scope.resize(saved);
    return;
  }
}

std::optional<Expression> Loader::CompileScalar(const YAML::Node& node, std::string_view source,
                                                size_t value_offset, const std::string& what,
                                                int step_index) {
  expr::CompileOptions options;
  options.description = "<expression>";
  Result<std::shared_ptr<const expr::Program>> program = expr::Compile(source, options);
  if (!program.ok()) {
    ReportCelErrors(program.status().message(), node, value_offset, source, what);
    return std::nullopt;
  }
  std::vector<std::string> scope;
  if ((*program)->ast().root) {
    CheckReferences(*(*program)->ast().root, scope, node, value_offset, source, what, step_index);
  }
  Expression expression;
  expression.source = std::string(source);
  expression.program = std::move(program).value();
  expression.location = ExprLoc(node, value_offset, source, 0);
  return expression;
}

std::optional<Expression> Loader::CompileField(const Field& field, const std::string& context,
                                               int step_index) {
  std::string what = context + " " + field.key;
  if (!field.value.IsScalar()) {
    Error(ValueLoc(field),
          what + ": expected a CEL expression, got " + std::string(Describe(field.value)));
    return std::nullopt;
  }
  const std::string& value = field.value.Scalar();
  if (value.find_first_not_of(" \t\r\n") == std::string::npos) {
    Error(ValueLoc(field), what + ": expected a CEL expression, got empty text");
    return std::nullopt;
  }
  return CompileScalar(field.value, value, 0, what, step_index);
}

std::optional<MessageTemplate> Loader::CompileTemplate(const Field& field,
                                                       const std::string& context, int step_index) {
  std::string what = context + " " + field.key;
  std::optional<std::string> text = GetString(field, context);
  if (!text) return std::nullopt;
  size_t error_offset = 0;
  Result<std::vector<TemplateSegment>> segments = SplitTemplate(*text, &error_offset);
  if (!segments.ok()) {
    Error(ExprLoc(field.value, 0, *text, error_offset), what + ": " + segments.status().message());
    return std::nullopt;
  }
  MessageTemplate message;
  message.source = *text;
  bool ok = true;
  for (const TemplateSegment& segment : *segments) {
    MessageTemplate::Part part;
    if (!segment.is_expression) {
      part.text = segment.text;
    } else {
      std::optional<Expression> e =
          CompileScalar(field.value, segment.text, segment.offset, what, step_index);
      if (!e) {
        ok = false;
        continue;
      }
      part.expression = std::move(e);
    }
    message.parts.push_back(std::move(part));
  }
  if (!ok) return std::nullopt;
  return message;
}

// ---------------------------------------------------------------------------------------------
// Sections.

void Loader::LoadMetadata(const Field& field, WorkflowDefinition::Parts& parts,
                          boost::json::object& out) {
  if (!ExpectMap(field.value, ValueLoc(field), "metadata")) return;
  Fields fields = CheckFields(field.value, "metadata", kMetadataFields);
  RequireFields(fields, field.value, "metadata", std::array<std::string_view, 1>{"name"});
  boost::json::object& json = out["metadata"].emplace_object();
  if (const Field* f = FindField(fields, "name")) {
    if (auto name = GetString(*f, "metadata")) {
      if (!IsWorkflowName(*name)) {
        Error(ValueLoc(*f),
              "metadata: 'name' must be lower-case letters, digits and '-' "
              "(at most 63, e.g. 'order-capture'), got " +
                  Quote(*name));
      }
      parts.name = *name;
      json["name"] = *name;
    }
  }
  if (const Field* f = FindField(fields, "description")) {
    if (auto text = GetString(*f, "metadata")) {
      parts.description = TrimTrailing(*text);
      json["description"] = parts.description;
    }
  }
  if (const Field* f = FindField(fields, "process")) {
    if (auto process = GetString(*f, "metadata")) {
      if (!IsLowerName(*process, "_")) {
        Error(ValueLoc(*f),
              "metadata: 'process' must be a lower-case identifier such as "
              "'order_capture', got " +
                  Quote(*process));
      }
      parts.process = *process;
      json["process"] = *process;
    }
  }
}

void Loader::LoadTrigger(const Field& field, WorkflowDefinition::Parts& parts,
                         boost::json::object& out) {
  if (!ExpectMap(field.value, ValueLoc(field), "trigger")) return;
  Fields fields = CheckFields(field.value, "trigger", kTriggerFields);
  RequireFields(fields, field.value, "trigger", kTriggerFields);
  boost::json::object& json = out["trigger"].emplace_object();
  if (const Field* f = FindField(fields, "connection")) {
    if (auto connection = GetString(*f, "trigger")) {
      if (!IsLowerName(*connection, "_-")) {
        Error(ValueLoc(*f),
              "trigger: 'connection' must be a connection name such as 'shop', "
              "got " +
                  Quote(*connection));
      }
      parts.trigger.connection = *connection;
      json["connection"] = *connection;
    }
  }
  if (const Field* f = FindField(fields, "topic")) {
    if (auto topic = GetString(*f, "trigger")) {
      if (topic->empty() || topic->find_first_of(" \t\r\n") != std::string::npos) {
        Error(ValueLoc(*f),
              "trigger: 'topic' must be an event topic such as 'orders/create', "
              "got " +
                  Quote(*topic));
      }
      parts.trigger.topic = *topic;
      json["topic"] = *topic;
    }
  }
}

std::optional<boost::json::value> Loader::YamlToJson(const YAML::Node& node,
                                                     const std::string& context, int depth) {
  if (depth > 64) {
    Error(Loc(node), context + ": nested too deeply");
    return std::nullopt;
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return boost::json::value(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (IsQuoted(node)) return boost::json::value(s);
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return boost::json::value(nullptr);
      if (s == "true" || s == "True" || s == "TRUE") return boost::json::value(true);
      if (s == "false" || s == "False" || s == "FALSE") return boost::json::value(false);
      size_t used = 0;
      try {
        int64_t i = std::stoll(s, &used, 10);
        if (used == s.size()) return boost::json::value(i);
      } catch (const std::exception&) {
      }
      try {
        double d = std::stod(s, &used);
        bool numeric = s.find_first_not_of("0123456789+-.eE") == std::string::npos;
        if (used == s.size() && numeric && std::isfinite(d)) return boost::json::value(d);
      } catch (const std::exception&) {
      }
      return boost::json::value(s);
    }
    case YAML::NodeType::Sequence: {
      boost::json::array array;
      for (const auto& element : node) {
        auto v = YamlToJson(element, context, depth + 1);
        if (!v) return std::nullopt;
        array.push_back(std::move(*v));
      }
      return boost::json::value(std::move(array));
    }
    case YAML::NodeType::Map: {
      boost::json::object object;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          Error(Loc(it->first), context + ": keys must be text");
          return std::nullopt;
        }
        std::string key = it->first.Scalar();
        if (object.contains(key)) {
          Error(Loc(it->first), context + ": duplicate key " + Quote(key));
          return std::nullopt;
        }
        auto v = YamlToJson(it->second, context, depth + 1);
        if (!v) return std::nullopt;
        object[key] = std::move(*v);
      }
      return boost::json::value(std::move(object));
    }
  }
  return boost::json::value(nullptr);
}

void Loader::LoadVars(const Field& field, WorkflowDefinition::Parts& parts,
                      boost::json::object& out) {
  if (!ExpectMap(field.value, ValueLoc(field), "vars")) return;
  boost::json::object& json = out["vars"].emplace_object();
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    if (!it->first.IsScalar()) {
      Error(Loc(it->first),
            "vars: names must be plain text, got " + std::string(Describe(it->first)));
      continue;
    }
    std::string name = it->first.Scalar();
    if (!IsIdentifier(name) || Contains(kCelReserved, name)) {
      Error(Loc(it->first), "vars: " + Quote(name) +
                                " is not a valid name (letters, digits and '_', not starting "
                                "with a digit, not a CEL reserved word)");
      continue;
    }
    if (var_names_.count(name) > 0) {
      Error(Loc(it->first), "vars: duplicate variable " + Quote(name));
      continue;
    }
    var_names_.insert(name);
    if (auto value = YamlToJson(it->second, "vars." + name, 0)) {
      parts.vars[name] = *value;
      json[name] = std::move(*value);
    }
  }
}

void Loader::ScanStepHeaders(const YAML::Node& steps) {
  int index = 0;
  for (const auto& node : steps) {
    StepHeader header;
    header.location = Loc(node);
    if (node.IsMap()) {
      if (YAML::Node name = node["name"]; name.IsDefined() && name.IsScalar()) {
        header.name = name.Scalar();
      }
      if (YAML::Node kind = node["kind"]; kind.IsDefined() && kind.IsScalar()) {
        for (size_t k = 0; k < kStepKinds.size(); ++k) {
          if (kStepKinds[k] == kind.Scalar()) header.kind = static_cast<StepKind>(k);
        }
      }
      if (YAML::Node output = node["output"]; output.IsDefined() && output.IsScalar()) {
        header.output_name = output.Scalar();
      }
    }
    headers_.push_back(header);
    if (!header.name.empty() && step_index_.count(header.name) == 0) {
      step_index_.emplace(header.name, index);
    }
    ++index;
  }
  // Output aliases: only valid, unique ones (LoadOutputName reports the rest).
  std::map<std::string, int> seen;
  for (size_t i = 0; i < headers_.size(); ++i) {
    const StepHeader& h = headers_[i];
    if (h.output_name.empty() || !h.kind ||
        (*h.kind != StepKind::kMap && *h.kind != StepKind::kCall &&
         *h.kind != StepKind::kApprove)) {
      continue;
    }
    ++seen[h.output_name];
    output_alias_.emplace(h.output_name, static_cast<int>(i));
  }
  for (const auto& [alias, count] : seen) {
    if (count > 1) output_alias_.erase(alias);
  }
}

bool Loader::LoadOutputName(const Fields& fields, const std::string& context, Step& step,
                            boost::json::object& out) {
  const Field* f = FindField(fields, "output");
  if (f == nullptr) return true;
  std::optional<std::string> name = GetString(*f, context);
  if (!name) return false;
  if (!IsIdentifier(*name) || Contains(kCelReserved, *name)) {
    Error(ValueLoc(*f), context +
                            ": 'output' must be a variable name (letters, digits and '_'), "
                            "got " +
                            Quote(*name));
    return false;
  }
  if (Contains(kContextVariables, *name) || Contains(kBuiltinNames, *name)) {
    Error(ValueLoc(*f), context + ": 'output' " + Quote(*name) + " is a reserved name (" +
                            JoinNames(kContextVariables) +
                            " and the CEL type and namespace "
                            "names are taken)");
    return false;
  }
  for (int i = 0; i < step.index; ++i) {
    const StepHeader& h = headers_[static_cast<size_t>(i)];
    if (h.output_name == *name && h.kind &&
        (*h.kind == StepKind::kMap || *h.kind == StepKind::kCall ||
         *h.kind == StepKind::kApprove)) {
      Error(ValueLoc(*f), context + ": output " + Quote(*name) + " is already the output of step " +
                              Quote(h.name));
      return false;
    }
  }
  step.output_name = *name;
  out["output"] = *name;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Steps.

std::optional<Step> Loader::LoadStep(const YAML::Node& node, int index, boost::json::object& out) {
  const StepHeader& header = headers_[static_cast<size_t>(index)];
  std::string context =
      header.name.empty() ? "step " + std::to_string(index + 1) : "step " + Quote(header.name);
  if (!ExpectMap(node, Loc(node), context)) return std::nullopt;

  // The kind decides which fields are allowed, so find it first.
  YAML::Node kind_node = node["kind"];
  std::optional<StepKind> kind;
  if (kind_node.IsDefined()) {
    if (!kind_node.IsScalar()) {
      Error(Loc(kind_node),
            context + ": 'kind' must be text, got " + std::string(Describe(kind_node)));
    } else {
      kind = header.kind;
      if (!kind) {
        Error(Loc(kind_node), context + ": unknown kind " + Quote(kind_node.Scalar()) + " (" +
                                  Suggestion(kind_node.Scalar(), kStepKinds) +
                                  "expected one of: " + JoinNames(kStepKinds) + ")");
      }
    }
  }
  std::vector<std::string_view> allowed(kCommonStepFields.begin(), kCommonStepFields.end());
  if (kind) {
    switch (*kind) {
      case StepKind::kValidate:
        allowed.push_back("rules");
        break;
      case StepKind::kMap:
        allowed.insert(allowed.end(), {"output", "expression", "fields"});
        break;
      case StepKind::kBranch:
        std::erase(allowed, "next");
        allowed.insert(allowed.end(), {"cases", "default"});
        break;
      case StepKind::kCall:
        allowed.insert(allowed.end(), {"connection", "operation", "input", "business_key", "output",
                                       "timeout", "retry", "on_error"});
        break;
      case StepKind::kWait:
        allowed.insert(allowed.end(), {"duration", "until"});
        break;
      case StepKind::kFail:
        std::erase(allowed, "next");
        allowed.insert(allowed.end(), {"error_class", "message"});
        break;
      case StepKind::kApprove:
        allowed.insert(allowed.end(), {"roles", "quorum", "message", "requested_by", "details",
                                       "expires_in", "escalate_to", "on_reject", "output"});
        break;
    }
  }
  Fields fields;
  if (kind) {
    fields = CheckFields(node, context, allowed);
  } else {
    // Unknown kind: only the common fields can be judged.
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar()) fields.push_back({it->first.Scalar(), it->first, it->second});
    }
  }
  if (FindField(fields, "kind") == nullptr) {
    Error(Loc(node), context + ": missing required field 'kind' (expected one of: " +
                         JoinNames(kStepKinds) + ")");
  }

  Step step;
  step.index = index;
  step.location = Loc(node);
  if (kind) step.kind = *kind;
  bool ok = kind.has_value();

  const Field* name_field = FindField(fields, "name");
  if (name_field == nullptr) {
    Error(Loc(node), context + ": missing required field 'name'");
    ok = false;
  } else if (auto name = GetString(*name_field, context)) {
    if (!IsIdentifier(*name) || Contains(kCelReserved, *name) || *name == kEndTarget) {
      Error(ValueLoc(*name_field),
            context +
                ": step names must be letters, digits and '_', not start with a digit, "
                "and not be 'end' or a CEL reserved word; got " +
                Quote(*name));
      ok = false;
    } else if (step_index_.at(*name) != index) {
      Error(ValueLoc(*name_field),
            context + ": duplicate step name (first defined at line " +
                std::to_string(headers_[static_cast<size_t>(step_index_.at(*name))].location.line) +
                ")");
      ok = false;
    }
    step.name = *name;
    out["name"] = *name;
  } else {
    ok = false;
  }
  if (kind) out["kind"] = std::string(StepKindName(*kind));
  if (const Field* f = FindField(fields, "description")) {
    if (auto text = GetString(*f, context)) {
      step.description = TrimTrailing(*text);
      out["description"] = step.description;
    }
  }

  // The default continuation: the following step, or the end.
  int following = index + 1 < static_cast<int>(headers_.size()) ? index + 1 : kEndOfRun;
  step.next_index = following;
  if (const Field* f = FindField(fields, kind == StepKind::kBranch ? "default" : "next")) {
    if (auto target = GetTarget(*f, context)) {
      step.next_index = *target;
      out[f->key] = f->value.Scalar();
    } else {
      ok = false;
    }
  }
  if (!kind) return std::nullopt;

  switch (*kind) {
    case StepKind::kValidate:
      ok = LoadValidate(fields, context, step, out) && ok;
      break;
    case StepKind::kMap:
      ok = LoadMap(fields, node, context, step, out) && ok;
      break;
    case StepKind::kBranch:
      ok = LoadBranch(fields, context, step, out) && ok;
      break;
    case StepKind::kCall:
      ok = LoadCall(fields, context, step, out) && ok;
      break;
    case StepKind::kWait:
      ok = LoadWait(fields, node, context, step, out) && ok;
      break;
    case StepKind::kFail:
      ok = LoadFail(fields, context, step, out) && ok;
      break;
    case StepKind::kApprove:
      ok = LoadApprove(fields, context, step, out) && ok;
      break;
  }
  if (!ok) return std::nullopt;
  return step;
}

bool Loader::LoadValidate(const Fields& fields, const std::string& context, Step& step,
                          boost::json::object& out) {
  ValidateSpec spec;
  const Field* rules = FindField(fields, "rules");
  if (rules == nullptr) {
    Error(step.location, context + ": missing required field 'rules'");
    return false;
  }
  if (!rules->value.IsSequence() || rules->value.size() == 0) {
    Error(ValueLoc(*rules),
          context + ": 'rules' must be a non-empty list of rules, got " +
              std::string(rules->value.IsSequence() ? "an empty list" : Describe(rules->value)));
    return false;
  }
  bool ok = true;
  boost::json::array& rules_json = out["rules"].emplace_array();
  std::set<std::string> names;
  int number = 0;
  for (const auto& rule_node : rules->value) {
    ++number;
    std::string rule_context = context + " rule " + std::to_string(number);
    if (rule_node.IsMap() && rule_node["name"].IsDefined() && rule_node["name"].IsScalar()) {
      rule_context = context + " rule " + Quote(rule_node["name"].Scalar());
    }
    if (!ExpectMap(rule_node, Loc(rule_node), rule_context)) {
      ok = false;
      continue;
    }
    Fields rf = CheckFields(rule_node, rule_context, kRuleFields);
    RequireFields(rf, rule_node, rule_context,
                  std::array<std::string_view, 3>{"name", "condition", "message"});
    boost::json::object rule_json;
    ValidationRule rule;
    rule.location = Loc(rule_node);
    bool rule_ok = FindField(rf, "name") && FindField(rf, "condition") && FindField(rf, "message");
    if (const Field* f = FindField(rf, "name")) {
      if (auto name = GetString(*f, rule_context)) {
        if (!IsIdentifier(*name)) {
          Error(ValueLoc(*f),
                rule_context + ": rule names must be letters, digits and '_', got " + Quote(*name));
          rule_ok = false;
        } else if (!names.insert(*name).second) {
          Error(ValueLoc(*f), context + ": duplicate rule name " + Quote(*name));
          rule_ok = false;
        }
        rule.name = *name;
        rule_json["name"] = *name;
      } else {
        rule_ok = false;
      }
    }
    if (const Field* f = FindField(rf, "condition")) {
      if (auto e = CompileField(*f, rule_context, step.index)) {
        rule_json["condition"] = TrimTrailing(e->source);
        rule.condition = std::move(*e);
      } else {
        rule_ok = false;
      }
    }
    if (const Field* f = FindField(rf, "message")) {
      if (auto m = CompileTemplate(*f, rule_context, step.index)) {
        rule_json["message"] = TrimTrailing(m->source);
        rule.message = std::move(*m);
      } else {
        rule_ok = false;
      }
    }
    if (const Field* f = FindField(rf, "error_class")) {
      if (auto c = GetErrorClass(*f, rule_context)) {
        rule.error_class = *c;
        rule_json["error_class"] = std::string(ErrorClassName(*c));
      } else {
        rule_ok = false;
      }
    }
    rules_json.push_back(std::move(rule_json));
    if (rule_ok) {
      spec.rules.push_back(std::move(rule));
    } else {
      ok = false;
    }
  }
  step.spec = std::move(spec);
  return ok;
}

bool Loader::LoadMapFields(const YAML::Node& map, const std::string& context, int step_index,
                           std::vector<MapField>& fields, boost::json::object& out, int depth) {
  if (depth > 16) {
    Error(Loc(map), context + ": fields nested too deeply (at most 16 levels)");
    return false;
  }
  if (map.size() == 0) {
    Error(Loc(map), context + ": expected at least one field");
    return false;
  }
  bool ok = true;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar().empty()) {
      Error(Loc(it->first), context + ": field names must be non-empty text");
      ok = false;
      continue;
    }
    std::string name = it->first.Scalar();
    if (out.contains(name)) {
      Error(Loc(it->first), context + ": duplicate field " + Quote(name));
      ok = false;
      continue;
    }
    MapField field;
    field.name = name;
    std::string field_context = context + "." + name;
    if (it->second.IsMap()) {
      boost::json::object nested;
      ok = LoadMapFields(it->second, field_context, step_index, field.fields, nested, depth + 1) &&
           ok;
      out[name] = std::move(nested);
    } else {
      Field f{name, it->first, it->second};
      std::optional<Expression> e = CompileField(f, context, step_index);
      if (!e) {
        ok = false;
        out[name] = nullptr;
        continue;
      }
      out[name] = TrimTrailing(e->source);
      field.expression = std::move(e);
    }
    fields.push_back(std::move(field));
  }
  return ok;
}

bool Loader::LoadMap(const Fields& fields, const YAML::Node& node, const std::string& context,
                     Step& step, boost::json::object& out) {
  MapSpec spec;
  bool ok = LoadOutputName(fields, context, step, out);
  const Field* expression = FindField(fields, "expression");
  const Field* map_fields = FindField(fields, "fields");
  if ((expression == nullptr) == (map_fields == nullptr)) {
    Error(expression && map_fields ? Loc(map_fields->key_node) : Loc(node),
          context +
              ": a map step needs exactly one of 'expression' (one CEL expression) or "
              "'fields' (a mapping of field names to CEL expressions)");
    step.spec = std::move(spec);
    return false;
  }
  if (expression != nullptr) {
    if (auto e = CompileField(*expression, context, step.index)) {
      out["expression"] = TrimTrailing(e->source);
      spec.expression = std::move(e);
    } else {
      ok = false;
    }
  } else if (!map_fields->value.IsMap()) {
    Error(ValueLoc(*map_fields), context +
                                     ": 'fields' must be a mapping of field names to CEL "
                                     "expressions, got " +
                                     std::string(Describe(map_fields->value)));
    ok = false;
  } else {
    boost::json::object fields_json;
    ok = LoadMapFields(map_fields->value, context + " fields", step.index, spec.fields, fields_json,
                       0) &&
         ok;
    out["fields"] = std::move(fields_json);
  }
  step.spec = std::move(spec);
  return ok;
}

bool Loader::LoadBranch(const Fields& fields, const std::string& context, Step& step,
                        boost::json::object& out) {
  BranchSpec spec;
  const Field* cases = FindField(fields, "cases");
  if (cases == nullptr) {
    Error(step.location, context + ": missing required field 'cases'");
    step.spec = std::move(spec);
    return false;
  }
  if (!cases->value.IsSequence() || cases->value.size() == 0) {
    Error(ValueLoc(*cases),
          context + ": 'cases' must be a non-empty list of {when, goto}, got " +
              std::string(cases->value.IsSequence() ? "an empty list" : Describe(cases->value)));
    step.spec = std::move(spec);
    return false;
  }
  bool ok = true;
  boost::json::array& cases_json = out["cases"].emplace_array();
  int number = 0;
  for (const auto& case_node : cases->value) {
    std::string case_context = context + " case " + std::to_string(++number);
    if (!ExpectMap(case_node, Loc(case_node), case_context)) {
      ok = false;
      continue;
    }
    Fields cf = CheckFields(case_node, case_context, kCaseFields);
    RequireFields(cf, case_node, case_context, kCaseFields);
    boost::json::object case_json;
    BranchCase branch_case;
    bool case_ok = FindField(cf, "when") && FindField(cf, "goto");
    if (const Field* f = FindField(cf, "when")) {
      if (auto e = CompileField(*f, case_context, step.index)) {
        case_json["when"] = TrimTrailing(e->source);
        branch_case.when = std::move(*e);
      } else {
        case_ok = false;
      }
    }
    if (const Field* f = FindField(cf, "goto")) {
      if (auto target = GetTarget(*f, case_context)) {
        branch_case.target = f->value.Scalar();
        branch_case.target_index = *target;
        case_json["goto"] = branch_case.target;
      } else {
        case_ok = false;
      }
    }
    cases_json.push_back(std::move(case_json));
    if (case_ok) {
      spec.cases.push_back(std::move(branch_case));
    } else {
      ok = false;
    }
  }
  step.spec = std::move(spec);
  return ok;
}

bool Loader::LoadRetry(const Field& field, const std::string& context, RetryPolicy& retry,
                       boost::json::object& out) {
  std::string retry_context = context + " retry";
  if (!ExpectMap(field.value, ValueLoc(field), retry_context)) return false;
  Fields fields = CheckFields(field.value, retry_context, kRetryFields);
  boost::json::object& json = out["retry"].emplace_object();
  bool ok = true;
  if (const Field* f = FindField(fields, "attempts")) {
    if (auto n = GetInt(*f, retry_context, 1, kMaxAttempts)) {
      retry.attempts = static_cast<int>(*n);
      json["attempts"] = *n;
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "jitter")) {
    if (auto j = GetNumber(*f, retry_context, 0.0, 1.0)) {
      retry.jitter = *j;
      json["jitter"] = *j;
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "backoff")) {
    std::string backoff_context = retry_context + " backoff";
    if (ExpectMap(f->value, ValueLoc(*f), backoff_context)) {
      Fields bf = CheckFields(f->value, backoff_context, kBackoffFields);
      boost::json::object& backoff_json = json["backoff"].emplace_object();
      bool initial_ok = true;
      if (const Field* b = FindField(bf, "initial")) {
        if (auto d = GetDuration(*b, backoff_context, 1ms, kMaxBackoff)) {
          retry.initial_backoff = *d;
          backoff_json["initial"] = FormatWorkflowDuration(*d);
        } else {
          ok = initial_ok = false;
        }
      }
      if (const Field* b = FindField(bf, "max")) {
        if (auto d = GetDuration(*b, backoff_context, 1ms, kMaxBackoff)) {
          retry.max_backoff = *d;
          backoff_json["max"] = FormatWorkflowDuration(*d);
          if (initial_ok && *d < retry.initial_backoff) {
            Error(ValueLoc(*b), backoff_context + ": 'max' (" + FormatWorkflowDuration(*d) +
                                    ") must not be less than 'initial' (" +
                                    FormatWorkflowDuration(retry.initial_backoff) + ")");
            ok = false;
          }
        } else {
          ok = false;
        }
      } else if (retry.max_backoff < retry.initial_backoff) {
        retry.max_backoff = retry.initial_backoff;
      }
      if (const Field* b = FindField(bf, "multiplier")) {
        if (auto m = GetNumber(*b, backoff_context, 1.0, kMaxMultiplier)) {
          retry.multiplier = *m;
          backoff_json["multiplier"] = *m;
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "retry_on")) {
    retry.retry_on.clear();
    if (!f->value.IsSequence()) {
      Error(ValueLoc(*f), retry_context + ": 'retry_on' must be a list of error classes, got " +
                              std::string(Describe(f->value)));
      ok = false;
    } else {
      boost::json::array& classes = json["retry_on"].emplace_array();
      for (const auto& c : f->value) {
        Field element{"retry_on", f->key_node, c};
        if (auto error_class = GetErrorClass(element, retry_context)) {
          if (retry.RetriesOn(*error_class)) {
            Error(Loc(c), retry_context + ": error class " + Quote(ErrorClassName(*error_class)) +
                              " is listed twice");
            ok = false;
            continue;
          }
          retry.retry_on.push_back(*error_class);
          classes.push_back(boost::json::value(ErrorClassName(*error_class)));
        } else {
          ok = false;
        }
      }
    }
  }
  return ok;
}

bool Loader::LoadCall(const Fields& fields, const std::string& context, Step& step,
                      boost::json::object& out) {
  CallSpec spec;
  auto defaults = DefaultRetryableClasses();
  spec.retry.retry_on.assign(defaults.begin(), defaults.end());
  bool ok = LoadOutputName(fields, context, step, out);
  for (std::string_view required : {"connection", "operation", "input"}) {
    if (FindField(fields, required) == nullptr) {
      Error(step.location, context + ": missing required field " + Quote(required));
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "connection")) {
    if (auto connection = GetString(*f, context)) {
      if (!IsLowerName(*connection, "_-")) {
        Error(ValueLoc(*f), context +
                                ": 'connection' must be a connection name such as 'erp', "
                                "got " +
                                Quote(*connection));
        ok = false;
      }
      spec.connection = *connection;
      out["connection"] = *connection;
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "operation")) {
    if (auto operation = GetString(*f, context)) {
      bool valid = !operation->empty() &&
                   std::isalpha(static_cast<unsigned char>((*operation)[0])) &&
                   std::all_of(operation->begin(), operation->end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
                   });
      if (!valid) {
        Error(ValueLoc(*f), context +
                                ": 'operation' must be a connector operation such as "
                                "'salesOrders.create', got " +
                                Quote(*operation));
        ok = false;
      }
      spec.operation = *operation;
      out["operation"] = *operation;
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "input")) {
    if (auto e = CompileField(*f, context, step.index)) {
      out["input"] = TrimTrailing(e->source);
      spec.input = std::move(*e);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "business_key")) {
    if (auto e = CompileField(*f, context, step.index)) {
      out["business_key"] = TrimTrailing(e->source);
      spec.business_key = std::move(e);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "timeout")) {
    if (auto d = GetDuration(*f, context, 1ms, kMaxCallTimeout)) {
      spec.timeout = *d;
      out["timeout"] = FormatWorkflowDuration(*d);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "retry")) {
    ok = LoadRetry(*f, context, spec.retry, out) && ok;
  }
  if (const Field* f = FindField(fields, "on_error")) {
    if (!f->value.IsSequence()) {
      Error(ValueLoc(*f), context + ": 'on_error' must be a list of {error_class, goto}, got " +
                              std::string(Describe(f->value)));
      ok = false;
    } else {
      boost::json::array& routes = out["on_error"].emplace_array();
      int number = 0;
      for (const auto& route_node : f->value) {
        std::string route_context = context + " on_error " + std::to_string(++number);
        if (!ExpectMap(route_node, Loc(route_node), route_context)) {
          ok = false;
          continue;
        }
        Fields rf = CheckFields(route_node, route_context, kErrorRouteFields);
        RequireFields(rf, route_node, route_context, kErrorRouteFields);
        ErrorRoute route;
        boost::json::object route_json;
        bool route_ok = FindField(rf, "error_class") && FindField(rf, "goto");
        if (const Field* c = FindField(rf, "error_class")) {
          if (auto error_class = GetErrorClass(*c, route_context)) {
            route.error_class = *error_class;
            route_json["error_class"] = std::string(ErrorClassName(*error_class));
            for (const ErrorRoute& earlier : spec.on_error) {
              if (earlier.error_class == *error_class) {
                Error(ValueLoc(*c), route_context + ": error class " +
                                        Quote(ErrorClassName(*error_class)) +
                                        " already has a route");
                route_ok = false;
              }
            }
          } else {
            route_ok = false;
          }
        }
        if (const Field* g = FindField(rf, "goto")) {
          if (auto target = GetTarget(*g, route_context)) {
            route.target = g->value.Scalar();
            route.target_index = *target;
            route_json["goto"] = route.target;
          } else {
            route_ok = false;
          }
        }
        routes.push_back(std::move(route_json));
        if (route_ok) {
          spec.on_error.push_back(std::move(route));
        } else {
          ok = false;
        }
      }
    }
  }
  // Retrying an attempt whose outcome is unknown is safe only if the remote deduplicates or the
  // runtime can look the object up first; without a business key only the former is left.
  if (ok && !spec.business_key && spec.retry.attempts > 1 &&
      (spec.retry.RetriesOn(ErrorClass::kUnknown) || spec.retry.RetriesOn(ErrorClass::kTimeout))) {
    diagnostics_.Warning(step.location,
                         context +
                             ": retries after timeouts or unknown outcomes but has no "
                             "'business_key'; unless connection " +
                             Quote(spec.connection) +
                             " deduplicates requests, a retry may create a duplicate");
  }
  step.spec = std::move(spec);
  return ok;
}

bool Loader::LoadWait(const Fields& fields, const YAML::Node& node, const std::string& context,
                      Step& step, boost::json::object& out) {
  WaitSpec spec;
  const Field* duration = FindField(fields, "duration");
  const Field* until = FindField(fields, "until");
  if ((duration == nullptr) == (until == nullptr)) {
    Error(duration && until ? Loc(until->key_node) : Loc(node),
          context +
              ": a wait step needs exactly one of 'duration' (e.g. '15m') or 'until' (a CEL "
              "expression giving a timestamp)");
    step.spec = std::move(spec);
    return false;
  }
  bool ok = true;
  if (duration != nullptr) {
    if (auto d = GetDuration(*duration, context, 1s, kMaxWait)) {
      spec.duration = *d;
      out["duration"] = FormatWorkflowDuration(*d);
    } else {
      ok = false;
    }
  } else if (auto e = CompileField(*until, context, step.index)) {
    out["until"] = TrimTrailing(e->source);
    spec.until = std::move(e);
  } else {
    ok = false;
  }
  step.spec = std::move(spec);
  return ok;
}

bool Loader::LoadFail(const Fields& fields, const std::string& context, Step& step,
                      boost::json::object& out) {
  FailSpec spec;
  bool ok = true;
  for (std::string_view required : {"error_class", "message"}) {
    if (FindField(fields, required) == nullptr) {
      Error(step.location, context + ": missing required field " + Quote(required));
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "error_class")) {
    if (auto c = GetErrorClass(*f, context)) {
      spec.error_class = *c;
      out["error_class"] = std::string(ErrorClassName(*c));
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "message")) {
    if (auto m = CompileTemplate(*f, context, step.index)) {
      out["message"] = TrimTrailing(m->source);
      spec.message = std::move(*m);
    } else {
      ok = false;
    }
  }
  step.next_index = kEndOfRun;
  step.spec = std::move(spec);
  return ok;
}

bool Loader::LoadApprove(const Fields& fields, const std::string& context, Step& step,
                         boost::json::object& out) {
  ApproveSpec spec;
  bool ok = true;
  const Field* roles = FindField(fields, "roles");
  if (roles == nullptr) {
    Error(step.location, context + ": missing required field 'roles'");
    ok = false;
  } else if (!roles->value.IsSequence() || roles->value.size() == 0) {
    Error(ValueLoc(*roles),
          context + ": 'roles' must be a non-empty list of role names, got " +
              std::string(roles->value.IsSequence() ? "an empty list" : Describe(roles->value)));
    ok = false;
  } else {
    boost::json::array& roles_json = out["roles"].emplace_array();
    for (const auto& role : roles->value) {
      Field element{"roles", roles->key_node, role};
      auto name = GetString(element, context);
      if (!name || !IsLowerName(*name, "_-.")) {
        if (name) {
          Error(Loc(role), context +
                               ": role names are lower-case identifiers such as "
                               "'finance_approver', got " +
                               Quote(*name));
        }
        ok = false;
        continue;
      }
      if (Contains(spec.roles, *name)) {
        Error(Loc(role), context + ": role " + Quote(*name) + " is listed twice");
        ok = false;
        continue;
      }
      spec.roles.push_back(*name);
      roles_json.push_back(boost::json::value(*name));
    }
  }
  if (const Field* f = FindField(fields, "quorum")) {
    if (auto q = GetInt(*f, context, 1, kMaxQuorum)) {
      spec.quorum = static_cast<int>(*q);
      out["quorum"] = *q;
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "message")) {
    if (auto m = CompileTemplate(*f, context, step.index)) {
      out["message"] = TrimTrailing(m->source);
      spec.message = std::move(m);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "requested_by")) {
    if (auto e = CompileField(*f, context, step.index)) {
      out["requested_by"] = TrimTrailing(e->source);
      spec.requested_by = std::move(e);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "details")) {
    if (auto e = CompileField(*f, context, step.index)) {
      out["details"] = TrimTrailing(e->source);
      spec.details = std::move(e);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "expires_in")) {
    if (auto d = GetDuration(*f, context, 1s, kMaxWait)) {
      spec.expires_in = *d;
      out["expires_in"] = FormatWorkflowDuration(*d);
    } else {
      ok = false;
    }
  }
  if (const Field* f = FindField(fields, "escalate_to")) {
    if (!f->value.IsSequence() || f->value.size() == 0) {
      Error(ValueLoc(*f), context + ": 'escalate_to' must be a non-empty list of role names, got " +
                              std::string(f->value.IsSequence() ? "an empty list"
                                                                : Describe(f->value)));
      ok = false;
    } else if (!spec.expires_in) {
      Error(ValueLoc(*f), context + ": 'escalate_to' needs 'expires_in' (when to escalate)");
      ok = false;
    } else {
      boost::json::array& roles_json = out["escalate_to"].emplace_array();
      for (const auto& role : f->value) {
        Field element{"escalate_to", f->key_node, role};
        auto name = GetString(element, context);
        if (!name || !IsLowerName(*name, "_-.")) {
          if (name) {
            Error(Loc(role), context + ": role names are lower-case identifiers, got " +
                                 Quote(*name));
          }
          ok = false;
          continue;
        }
        spec.escalate_to.push_back(*name);
        roles_json.push_back(boost::json::value(*name));
      }
    }
  }
  if (const Field* f = FindField(fields, "on_reject")) {
    if (auto target = GetTarget(*f, context)) {
      spec.on_reject = f->value.Scalar();
      spec.on_reject_index = *target;
      out["on_reject"] = spec.on_reject;
    } else {
      ok = false;
    }
  }
  ok = LoadOutputName(fields, context, step, out) && ok;
  step.spec = std::move(spec);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// The flow: reachability, loops that never wait, and reads of outputs that cannot exist yet.

std::vector<int> Successors(const Step& step) {
  std::vector<int> out;
  auto add = [&](int target) {
    if (target != kEndOfRun && !ContainsIndex(out, target)) out.push_back(target);
  };
  switch (step.kind) {
    case StepKind::kFail:
      break;
    case StepKind::kBranch:
      for (const BranchCase& c : step.branch().cases) add(c.target_index);
      add(step.next_index);
      break;
    case StepKind::kCall:
      add(step.next_index);
      for (const ErrorRoute& r : step.call().on_error) add(r.target_index);
      break;
    case StepKind::kApprove:
      add(step.next_index);
      if (step.approve().on_reject_index) add(*step.approve().on_reject_index);
      break;
    default:
      add(step.next_index);
      break;
  }
  return out;
}

void Loader::CheckFlow(const std::vector<Step>& steps) {
  const int n = static_cast<int>(steps.size());
  std::vector<std::vector<int>> next(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    next[static_cast<size_t>(i)] = Successors(steps[static_cast<size_t>(i)]);

  auto reach_from = [&](int start, std::vector<bool>& seen) {
    std::vector<int> stack = {start};
    while (!stack.empty()) {
      int v = stack.back();
      stack.pop_back();
      for (int w : next[static_cast<size_t>(v)]) {
        if (!seen[static_cast<size_t>(w)]) {
          seen[static_cast<size_t>(w)] = true;
          stack.push_back(w);
        }
      }
    }
  };

  std::vector<bool> reachable(static_cast<size_t>(n), false);
  reachable[0] = true;
  reach_from(0, reachable);
  for (int i = 1; i < n; ++i) {
    if (!reachable[static_cast<size_t>(i)]) {
      const Step& s = steps[static_cast<size_t>(i)];
      Error(s.location, "step " + Quote(s.name) + " is unreachable: no path from the first step " +
                            Quote(steps[0].name) + " leads to it");
    }
  }

  // Loops: strongly connected components of the graph without its waiting steps (Tarjan).
  auto waits = [&](int v) {
    StepKind k = steps[static_cast<size_t>(v)].kind;
    return k == StepKind::kWait || k == StepKind::kApprove;
  };
  std::vector<int> order(static_cast<size_t>(n), -1), low(static_cast<size_t>(n), 0);
  std::vector<bool> on_stack(static_cast<size_t>(n), false);
  std::vector<int> stack;
  int counter = 0;
  std::function<void(int)> connect = [&](int v) {
    order[static_cast<size_t>(v)] = low[static_cast<size_t>(v)] = counter++;
    stack.push_back(v);
    on_stack[static_cast<size_t>(v)] = true;
    for (int w : next[static_cast<size_t>(v)]) {
      if (waits(w)) continue;
      if (order[static_cast<size_t>(w)] < 0) {
        connect(w);
        low[static_cast<size_t>(v)] =
            std::min(low[static_cast<size_t>(v)], low[static_cast<size_t>(w)]);
      } else if (on_stack[static_cast<size_t>(w)]) {
        low[static_cast<size_t>(v)] =
            std::min(low[static_cast<size_t>(v)], order[static_cast<size_t>(w)]);
      }
    }
    if (low[static_cast<size_t>(v)] == order[static_cast<size_t>(v)]) {
      std::vector<int> component;
      int w = -1;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[static_cast<size_t>(w)] = false;
        component.push_back(w);
      } while (w != v);
      bool self_loop = ContainsIndex(next[static_cast<size_t>(v)], v);
      if (component.size() > 1 || self_loop) {
        std::sort(component.begin(), component.end());
        std::string names;
        for (int c : component) {
          if (!names.empty()) names += ", ";
          names += Quote(steps[static_cast<size_t>(c)].name);
        }
        const Step& first = steps[static_cast<size_t>(component.front())];
        Error(first.location, (component.size() > 1 ? "steps " + names + " form a loop"
                                                    : "step " + names + " loops to itself") +
                                  " without a wait step; a loop that never waits would run "
                                  "forever (add a wait step to the loop)");
      }
    }
  };
  for (int v = 0; v < n; ++v) {
    if (!waits(v) && order[static_cast<size_t>(v)] < 0) connect(v);
  }

  // An output read by step Y from step X exists only if X can run before Y.
  for (const OutputReference& ref : output_references_) {
    int from = step_index_.at(ref.to_step);
    std::vector<bool> seen(static_cast<size_t>(n), false);
    reach_from(from, seen);
    if (!seen[static_cast<size_t>(ref.from_step)]) {
      Error(ref.location, ref.context + ": reads the output of step " + Quote(ref.to_step) +
                              ", which never runs before step " +
                              Quote(steps[static_cast<size_t>(ref.from_step)].name));
    }
  }
}

// ---------------------------------------------------------------------------------------------

// Deepest flow-collection nesting ([ and {) accepted before parsing: yaml-cpp parses recursively,
// so an adversarial "[[[[..." must not reach it.
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
      if (c == quote) quote = 0;
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
    } else if (c == '\n') {
      quote = 0;
    }
  }
  return deepest;
}

LoadReport Loader::Run() {
  LoadReport report;
  if (text_.size() > kMaxDefinitionBytes) {
    Error({1, 1}, "the definition is " + std::to_string(text_.size()) + " bytes; at most " +
                      std::to_string(kMaxDefinitionBytes) + " are accepted");
    report.diagnostics = diagnostics_.Sorted();
    return report;
  }
  if (FlowNestingDepth(text_) > kMaxFlowNesting) {
    Error({1, 1}, "brackets nested more than " + std::to_string(kMaxFlowNesting) + " deep");
    report.diagnostics = diagnostics_.Sorted();
    return report;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text_));
  } catch (const YAML::Exception& e) {
    Error({e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    report.diagnostics = diagnostics_.Sorted();
    return report;
  }
  if (!root.IsMap()) {
    Error({1, 1},
          "a workflow definition must be a YAML mapping (apiVersion, kind, metadata, "
          "trigger, steps), got " +
              std::string(Describe(root)));
    report.diagnostics = diagnostics_.Sorted();
    return report;
  }

  WorkflowDefinition::Parts parts;
  parts.file_name = file_name_;
  boost::json::object canonical;
  Fields top = CheckFields(root, "workflow", kTopFields);
  RequireFields(
      top, root, "workflow",
      std::array<std::string_view, 5>{"apiVersion", "kind", "metadata", "trigger", "steps"});
  if (const Field* f = FindField(top, "apiVersion")) {
    if (auto v = GetString(*f, "workflow")) {
      if (*v != kWorkflowApiVersion) {
        Error(ValueLoc(*f), "workflow: unsupported apiVersion " + Quote(*v) + " (expected " +
                                Quote(kWorkflowApiVersion) + ")");
      }
      canonical["apiVersion"] = *v;
    }
  }
  if (const Field* f = FindField(top, "kind")) {
    if (auto v = GetString(*f, "workflow")) {
      if (*v != kWorkflowKind) {
        Error(ValueLoc(*f),
              "workflow: 'kind' must be " + Quote(kWorkflowKind) + ", got " + Quote(*v));
      }
      canonical["kind"] = *v;
    }
  }
  if (const Field* f = FindField(top, "metadata")) LoadMetadata(*f, parts, canonical);
  if (const Field* f = FindField(top, "trigger")) LoadTrigger(*f, parts, canonical);
  if (const Field* f = FindField(top, "vars")) LoadVars(*f, parts, canonical);

  bool steps_ok = false;
  if (const Field* f = FindField(top, "steps")) {
    if (!f->value.IsSequence() || f->value.size() == 0) {
      Error(ValueLoc(*f),
            "workflow: 'steps' must be a non-empty list of steps, got " +
                std::string(f->value.IsSequence() ? "an empty list" : Describe(f->value)));
    } else {
      ScanStepHeaders(f->value);
      steps_ok = true;
      boost::json::array& steps_json = canonical["steps"].emplace_array();
      int index = 0;
      for (const auto& node : f->value) {
        boost::json::object step_json;
        std::optional<Step> step = LoadStep(node, index, step_json);
        steps_json.push_back(std::move(step_json));
        if (step) {
          parts.steps.push_back(std::move(*step));
        } else {
          steps_ok = false;
        }
        ++index;
      }
    }
  }
  // The flow is judged only on a complete step list: with a broken goto, "unreachable" would
  // mostly repeat the same mistake.
  if (steps_ok && !target_errors_) CheckFlow(parts.steps);

  report.diagnostics = diagnostics_.Sorted();
  if (diagnostics_.has_errors()) return report;
  for (const Diagnostic& d : report.diagnostics) parts.warnings.push_back(d);
  parts.canonical = std::move(canonical);
  report.definition = std::make_shared<const WorkflowDefinition>(std::move(parts));
  return report;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Durations.

std::optional<nanoseconds> ParseWorkflowDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return nanoseconds(0);
  struct Unit {
    std::string_view name;
    int64_t nanos;
  };
  // Longer names first so that "ms" is not read as "m".
  static constexpr std::array<Unit, 7> kUnits = {{{"ms", 1'000'000},
                                                  {"us", 1'000},
                                                  {"ns", 1},
                                                  {"d", 86'400'000'000'000},
                                                  {"h", 3'600'000'000'000},
                                                  {"m", 60'000'000'000},
                                                  {"s", 1'000'000'000}}};
  long double total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    size_t int_end = pos;
    size_t frac_start = pos;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      frac_start = pos;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      if (pos == frac_start && int_end == start) return std::nullopt;
    }
    if (pos == start) return std::nullopt;
    long double number = 0;
    for (size_t i = start; i < int_end; ++i) number = number * 10 + (text[i] - '0');
    long double scale = 0.1L;
    for (size_t i = frac_start; i < pos && int_end < pos; ++i) {
      number += (text[i] - '0') * scale;
      scale /= 10;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(pos, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    pos += unit->name.size();
    total += number * static_cast<long double>(unit->nanos);
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max() / 2)) {
      return std::nullopt;
    }
  }
  return nanoseconds(static_cast<int64_t>(std::llround(static_cast<double>(total))));
}

std::string FormatWorkflowDuration(nanoseconds duration) {
  int64_t ns = duration.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  constexpr int64_t kSecond = 1'000'000'000;
  if (ns < kSecond) {
    if (ns % 1'000'000 == 0) return out + std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return out + std::to_string(ns / 1'000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  int64_t days = ns / (86'400 * kSecond);
  ns %= 86'400 * kSecond;
  int64_t hours = ns / (3'600 * kSecond);
  ns %= 3'600 * kSecond;
  int64_t minutes = ns / (60 * kSecond);
  ns %= 60 * kSecond;
  if (days) out += std::to_string(days) + "d";
  if (hours) out += std::to_string(hours) + "h";
  if (minutes) out += std::to_string(minutes) + "m";
  if (ns) {
    out += std::to_string(ns / kSecond);
    int64_t frac = ns % kSecond;
    if (frac) {
      std::string digits = std::to_string(frac);
      digits.insert(0, 9 - digits.size(), '0');
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    out += "s";
  }
  return out;
}

LoadReport LoadWorkflowWithDiagnostics(std::string_view yaml_text, std::string_view file_name) {
  Loader loader(yaml_text, file_name);
  return loader.Run();
}

Result<std::shared_ptr<const WorkflowDefinition>> LoadWorkflow(std::string_view yaml_text,
                                                               std::string_view file_name) {
  LoadReport report = LoadWorkflowWithDiagnostics(yaml_text, file_name);
  if (report.definition) return report.definition;
  std::string message;
  for (const Diagnostic& d : report.diagnostics) {
    if (d.severity != Diagnostic::Severity::kError) continue;
    if (!message.empty()) message += '\n';
    message += d.ToString(file_name);
  }
  return InvalidArgument(message);
}

Result<std::shared_ptr<const WorkflowDefinition>> LoadWorkflowFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open workflow file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidArgument("cannot read workflow file " + path);
  return LoadWorkflow(text.str(), path);
}

}  // namespace govflow::workflow
