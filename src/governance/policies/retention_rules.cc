#include "governance/policies/retention_rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

#include "base/canonical_json.h"
#include "base/yaml_source.h"
#include "expr/declarations.h"
#include "expr/program.h"

namespace govflow::governance {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;

constexpr std::string_view kApiVersion = "govflow/v1";
constexpr std::string_view kKind = "RetentionRules";
constexpr size_t kMaxPolicyBytes = size_t{256} * 1024;
constexpr int64_t kHoursPerDay = 24;
constexpr int64_t kHoursPerWeek = kHoursPerDay * 7;
constexpr int64_t kHoursPerYear = kHoursPerDay * 365;
// Ten thousand years: far beyond any legal retention period, small enough never to overflow.
constexpr int64_t kMaxDays = 3'650'000;

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
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

std::string DataClassList() {
  std::string out;
  for (DataClass c : kAllDataClasses) {
    if (!out.empty()) out += ", ";
    out += DataClassName(c);
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view file_name)
      : text_(text), file_name_(file_name), source_(text) {
    (void)env_.AddVariable("record", expr::Type::Map(expr::Type::String(), expr::Type::Dyn()));
  }

  Result<RetentionRules> Run();
  const DiagnosticList& Diagnostics() const { return diagnostics_; }

 private:
  SourceLocation Loc(const YAML::Node& node) const { return source_.LocationOf(node.Mark().pos); }
  void Error(SourceLocation at, std::string message) { diagnostics_.Error(at, std::move(message)); }
  void ParseRule(const YAML::Node& node, int index, RetentionRules& out);
  std::shared_ptr<const expr::Program> CompileWhen(const YAML::Node& node,
                                                   const std::string& context);

  std::string_view text_;
  std::string_view file_name_;
  SourceText source_;
  DiagnosticList diagnostics_;
  expr::TypeEnvironment env_ = expr::TypeEnvironment::Standard();
  std::map<DataClass, int> per_class_count_;
  std::set<std::string> names_;
};

std::shared_ptr<const expr::Program> Parser::CompileWhen(const YAML::Node& node,
                                                         const std::string& context) {
  const std::string& source = node.Scalar();
  expr::CompileOptions options;
  options.type_env = &env_;
  options.description = "when";
  auto program = expr::Compile(source, options);
  if (program.ok()) return *program;
  // The expression library formats each error as "ERROR: <desc>:L:C: message" followed by the
  // source line and a caret; re-anchor L:C in the YAML file and drop the snippet.
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
    size_t at = ScalarOffsetToSource(text_, node.Mark().pos, source, offset);
    Error(source_.LocationOf(at), context + ": 'when': " + std::string(text));
    reported = true;
  }
  if (!reported) Error(Loc(node), context + ": 'when': " + std::string(message));
  return nullptr;
}

void Parser::ParseRule(const YAML::Node& node, int index, RetentionRules& out) {
  std::string context = "rule " + std::to_string(index + 1);
  if (!node.IsMap()) {
    Error(Loc(node), context + ": expected a mapping (data, keep_for, action), got " +
                         std::string(Describe(node)));
    return;
  }
  static const std::set<std::string> kAllowed = {"name", "data", "when", "keep_for", "action"};
  RetentionRule rule;
  rule.location = Loc(node);
  // yaml-cpp's default Node is a defined null, so absence is an empty optional.
  std::optional<YAML::Node> name_node, data_node, when_node, keep_node, action_node;
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    YAML::Node key = it->first;  // copies: yaml-cpp iterators hand out temporaries
    YAML::Node value = it->second;
    if (!key.IsScalar()) {
      Error(Loc(key), context + ": field names must be plain text");
      continue;
    }
    const std::string& k = key.Scalar();
    if (!seen.insert(k).second) {
      Error(Loc(key), context + ": duplicate field " + Quote(k));
      continue;
    }
    if (!kAllowed.contains(k)) {
      Error(Loc(key), context + ": unknown field " + Quote(k) +
                          " (expected one of: name, data, when, keep_for, action)");
      continue;
    }
    if (!value.IsScalar()) {
      Error(value.IsDefined() && !value.IsNull() ? Loc(value) : Loc(key),
            context + ": " + Quote(k) + " must be text, got " + std::string(Describe(value)));
      continue;
    }
    if (k == "name") name_node = value;
    if (k == "data") data_node = value;
    if (k == "when") when_node = value;
    if (k == "keep_for") keep_node = value;
    if (k == "action") action_node = value;
  }
  for (const char* required : {"data", "keep_for", "action"}) {
    if (!seen.contains(required)) {
      Error(Loc(node), context + ": missing required field " + Quote(required));
    }
  }
  bool ok = true;
  if (data_node) {
    auto c = ParseDataClass(data_node->Scalar());
    if (!c) {
      Error(Loc(*data_node), context + ": unknown data class " + Quote(data_node->Scalar()) +
                                 " (expected one of: " + DataClassList() + ")");
      ok = false;
    } else {
      rule.data_class = *c;
      context += " (" + std::string(DataClassName(*c)) + ")";
    }
  } else {
    ok = false;
  }
  if (keep_node) {
    auto d = ParseRetentionDuration(keep_node->Scalar());
    if (!d) {
      Error(Loc(*keep_node), context + ": 'keep_for': invalid duration " +
                                 Quote(keep_node->Scalar()) +
                                 " (expected a positive whole number of h, d, w or y, e.g. 90d)");
      ok = false;
    } else {
      rule.keep_for = *d;
    }
  }
  if (action_node) {
    const std::string a = action_node->Scalar();
    if (a == "purge") {
      rule.action = RetentionAction::kPurge;
    } else if (a == "redact") {
      rule.action = RetentionAction::kRedact;
      // Only bodies can be redacted in place: history, cases, audit events and metrics are
      // records whose meaning is the record itself, so they are kept or purged whole.
      if (data_node && ok && rule.data_class != DataClass::kPayloadBodies) {
        Error(Loc(*action_node), context +
                                     ": 'action': redact applies to payload_bodies only; "
                                     "use purge");
        ok = false;
      }
    } else {
      Error(Loc(*action_node), context + ": 'action': expected purge or redact, got " + Quote(a));
      ok = false;
    }
  }
  if (when_node) {
    if (ok && data_node &&
        (rule.data_class == DataClass::kAudit || rule.data_class == DataClass::kMetrics)) {
      Error(Loc(*when_node), context + ": 'when' is not allowed for " +
                                 std::string(DataClassName(rule.data_class)) +
                                 (rule.data_class == DataClass::kAudit
                                      ? " (the audit chain is purged as a whole prefix)"
                                      : ""));
      ok = false;
    } else {
      rule.when_source = when_node->Scalar();
      rule.when = CompileWhen(*when_node, context);
      if (!rule.when) ok = false;
    }
  }
  if (!ok || diagnostics_.has_errors()) return;
  int n = ++per_class_count_[rule.data_class];
  if (name_node) {
    rule.name = name_node->Scalar();
    if (!names_.insert(rule.name).second) {
      Error(Loc(*name_node), context + ": duplicate rule name " + Quote(rule.name));
      return;
    }
  } else {
    rule.name = std::string(DataClassName(rule.data_class)) + "#" + std::to_string(n);
  }
  out.rules.push_back(std::move(rule));
}

Result<RetentionRules> Parser::Run() {
  RetentionRules out;
  out.file_name = std::string(file_name_);
  out.content_hash = Sha256Hex(text_);
  auto fail = [&]() -> Result<RetentionRules> {
    return InvalidArgument(diagnostics_.Format(file_name_));
  };
  if (text_.size() > kMaxPolicyBytes) {
    Error({1, 1}, "the policy is " + std::to_string(text_.size()) + " bytes; at most " +
                      std::to_string(kMaxPolicyBytes) + " are accepted");
    return fail();
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text_));
  } catch (const YAML::Exception& e) {
    Error({e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    return fail();
  }
  if (!root.IsMap()) {
    Error({1, 1}, "a retention policy must be a YAML mapping with a 'rules' list, got " +
                      std::string(Describe(root)));
    return fail();
  }
  static const std::set<std::string> kTop = {"apiVersion", "kind", "metadata", "rules"};
  std::optional<YAML::Node> rules;
  for (auto it = root.begin(); it != root.end(); ++it) {
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    const std::string k = key.IsScalar() ? key.Scalar() : "";
    if (!kTop.contains(k)) {
      Error(Loc(key),
            "unknown field " + Quote(k) + " (expected one of: apiVersion, kind, metadata, rules)");
      continue;
    }
    if (k == "apiVersion" && (!value.IsScalar() || value.Scalar() != kApiVersion)) {
      Error(Loc(value), "'apiVersion' must be " + std::string(kApiVersion));
    } else if (k == "kind" && (!value.IsScalar() || value.Scalar() != kKind)) {
      Error(Loc(value), "'kind' must be " + std::string(kKind));
    } else if (k == "metadata" && !value.IsMap()) {
      Error(Loc(value), "'metadata' must be a mapping");
    } else if (k == "rules") {
      rules = value;
    }
  }
  if (!rules) {
    if (!diagnostics_.has_errors()) Error({1, 1}, "missing required field 'rules'");
    return fail();
  }
  if (!rules->IsSequence()) {
    Error(Loc(*rules), "'rules' must be a list, got " + std::string(Describe(*rules)));
    return fail();
  }
  int index = 0;
  for (auto it = rules->begin(); it != rules->end(); ++it, ++index) {
    YAML::Node rule = *it;
    ParseRule(rule, index, out);
  }
  if (diagnostics_.has_errors()) return fail();
  // A second audit or metrics rule would never decide anything (the first always matches).
  for (DataClass c : {DataClass::kAudit, DataClass::kMetrics}) {
    std::vector<const RetentionRule*> of = out.For(c);
    if (of.size() > 1) {
      Error(of[1]->location, "only one rule for " + std::string(DataClassName(c)) +
                                 " is allowed (first at line " +
                                 std::to_string(of[0]->location.line) + ")");
    }
  }
  if (diagnostics_.has_errors()) return fail();
  return out;
}

}  // namespace

std::string_view DataClassName(DataClass data_class) {
  switch (data_class) {
    case DataClass::kPayloadBodies:
      return "payload_bodies";
    case DataClass::kRunHistory:
      return "run_history";
    case DataClass::kExceptionCases:
      return "exception_cases";
    case DataClass::kAudit:
      return "audit";
    case DataClass::kMetrics:
      return "metrics";
  }
  return "unknown";
}

std::optional<DataClass> ParseDataClass(std::string_view name) {
  for (DataClass c : kAllDataClasses) {
    if (DataClassName(c) == name) return c;
  }
  return std::nullopt;
}

std::string_view RetentionActionName(RetentionAction action) {
  return action == RetentionAction::kRedact ? "redact" : "purge";
}

std::optional<microseconds> ParseRetentionDuration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const char unit = text.back();
  std::string_view digits = text.substr(0, text.size() - 1);
  if (digits.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n <= 0) return std::nullopt;
  int64_t hours_per_unit = 0;
  switch (unit) {
    case 'h':
      hours_per_unit = 1;
      break;
    case 'd':
      hours_per_unit = kHoursPerDay;
      break;
    case 'w':
      hours_per_unit = kHoursPerWeek;
      break;
    case 'y':
      hours_per_unit = kHoursPerYear;
      break;
    default:
      return std::nullopt;
  }
  if (n * hours_per_unit > kMaxDays * kHoursPerDay) return std::nullopt;
  return std::chrono::duration_cast<microseconds>(hours(n * hours_per_unit));
}

std::string FormatRetentionDuration(microseconds duration) {
  const int64_t h = std::chrono::duration_cast<hours>(duration).count();
  if (duration != std::chrono::duration_cast<microseconds>(hours(h))) {
    return std::to_string(duration.count()) + "us";
  }
  if (h != 0 && h % kHoursPerYear == 0) return std::to_string(h / kHoursPerYear) + "y";
  if (h != 0 && h % kHoursPerWeek == 0) return std::to_string(h / kHoursPerWeek) + "w";
  if (h != 0 && h % kHoursPerDay == 0) return std::to_string(h / kHoursPerDay) + "d";
  return std::to_string(h) + "h";
}

std::vector<const RetentionRule*> RetentionRules::For(DataClass data_class) const {
  std::vector<const RetentionRule*> out;
  for (const RetentionRule& r : rules) {
    if (r.data_class == data_class) out.push_back(&r);
  }
  return out;
}

const RetentionRule* RetentionRules::Decide(DataClass data_class, const boost::json::value& record,
                                            bool* error) const {
  expr::Activation activation;
  activation.BindJson("record", record);
  for (const RetentionRule& r : rules) {
    if (r.data_class != data_class) continue;
    if (!r.when) return &r;
    expr::EvalOptions options;
    options.cost_budget = 10'000;
    expr::Value v = r.when->Evaluate(activation, options);
    if (v.IsBool()) {
      if (v.bool_value()) return &r;
      continue;
    }
    // A rule that cannot say must not let a later, broader rule purge the record early.
    if (error != nullptr) *error = true;
    return nullptr;
  }
  return nullptr;
}

Result<RetentionRules> ParseRetentionRules(std::string_view yaml, std::string_view file_name) {
  Parser parser(yaml, file_name);
  return parser.Run();
}

void CheckRetentionRules(std::string_view yaml, DiagnosticList& diagnostics) {
  Parser parser(yaml, "retention.yaml");
  (void)parser.Run();
  for (const Diagnostic& d : parser.Diagnostics().Sorted()) {
    if (d.severity == Diagnostic::Severity::kError) {
      diagnostics.Error(d.location, d.message);
    } else {
      diagnostics.Warning(d.location, d.message);
    }
  }
}

}  // namespace govflow::governance
