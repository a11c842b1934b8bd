#include "governance/policies/approval_matrix.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <initializer_list>
#include <set>

#include "base/yaml_source.h"

namespace govflow::governance::policies {
namespace {

constexpr std::string_view kKind = "ApprovalMatrix";

// The shipped template (templates/policies/approval_matrix.yaml; a test keeps the two equal).
constexpr std::string_view kFallbackYaml =
    R"yaml(# govflow baseline approval matrix: which changes wait for whose approval. A partner starts from
# this file, adjusts thresholds and roles to the customer, and publishes it as the tenant's
# approval matrix (a governed document). Each row: the kind of change it applies to, a CEL
# condition over the change, the roles that decide, how many distinct people must approve, the
# segregation-of-duty rules, and what happens when nobody decides in time. Every row of the
# change's kind whose condition holds applies; no row means no approval is needed. A tenant
# without a published matrix gets exactly this one. See docs/governance/approvals.md.
apiVersion: govflow/v1
kind: ApprovalMatrix
metadata:
  name: approval-matrix-baseline
spec:
  rows:
    # A price cut of 20% or more, or a rise of 30% or more, waits for a pricing manager. If none
    # decides within a day, finance controllers may decide too, for 8 more hours; then the
    # change is rejected and the storefront keeps the old price.
    - name: price-change-beyond-threshold
      applies_to: price_change
      when: 'change.percent_change <= -20.0 || change.percent_change >= 30.0'
      required_roles: [pricing_manager]
      quorum: 1
      sod:
        requester_cannot_approve: true
        distinct_approvers: true
      expires_after: 24h
      on_expiry: escalate
      escalate_to: [finance_controller]
      escalation_window: 8h
    # A price cut of half or more also hits the margin: two finance controllers must approve
    # (maker-checker: neither may be an operator, who requests price changes).
    - name: deep-discount-finance-review
      applies_to: price_change
      when: 'change.percent_change <= -50.0'
      required_roles: [finance_controller]
      quorum: 2
      sod:
        requester_cannot_approve: true
        distinct_approvers: true
        approver_not_in_roles: [operator]
      expires_after: 48h
      on_expiry: reject
)yaml";

std::string Join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// Reads one ApprovalMatrix document, collecting every problem with its position.
class MatrixReader {
 public:
  MatrixReader(std::string_view text, std::string_view file_name)
      : text_(text), source_(text_), file_name_(file_name) {}

  Result<ApprovalMatrix> Read() {
    ApprovalMatrix matrix;
    std::optional<YAML::Node> spec = Spec(&matrix.name);
    if (!spec) return Failure();
    CheckKeys(*spec, {"rows"}, "spec");
    YAML::Node rows = (*spec)["rows"];
    if (!rows.IsDefined() || rows.IsNull()) {
      Error(*spec, "spec: missing field 'rows'");
    } else if (!rows.IsSequence()) {
      Error(rows, "spec: 'rows' must be a list");
    } else {
      std::set<std::string> names;
      int index = 0;
      for (const YAML::Node& rn : rows) {
        ++index;
        ApprovalMatrixRow row;
        if (ReadRow(rn, index, &row)) {
          if (!names.insert(row.name).second) {
            Error(rn["name"],
                  "row " + std::to_string(index) + ": duplicate row name '" + row.name + "'");
          }
          matrix.rows.push_back(std::move(row));
        }
      }
    }
    if (diagnostics_.has_errors()) return Failure();
    return matrix;
  }

 private:
  SourceLocation Loc(const YAML::Node& node) const {
    if (!node.IsDefined() || node.Mark().pos < 0) return {1, 1};
    return source_.LocationOf(static_cast<size_t>(node.Mark().pos));
  }
  void Error(const YAML::Node& node, std::string message) {
    diagnostics_.Error(Loc(node), std::move(message));
  }
  Status Failure() const { return InvalidArgument(diagnostics_.Format(file_name_)); }

 public:
  const DiagnosticList& Diagnostics() const { return diagnostics_; }

 private:
  std::optional<YAML::Node> Spec(std::string* name) {
    try {
      root_ = YAML::Load(text_);
    } catch (const YAML::Exception& e) {
      diagnostics_.Error(SourceLocation{e.mark.line + 1, e.mark.column + 1},
                         "YAML syntax error: " + e.msg);
      return std::nullopt;
    }
    if (!root_.IsMap()) {
      diagnostics_.Error(SourceLocation{1, 1},
                         "an ApprovalMatrix must be a YAML mapping with apiVersion, kind, "
                         "metadata and spec");
      return std::nullopt;
    }
    CheckKeys(root_, {"apiVersion", "kind", "metadata", "spec"}, kKind);
    if (auto api = String(root_, "apiVersion", kKind, true); api && *api != "govflow/v1") {
      Error(root_["apiVersion"], "apiVersion must be govflow/v1, got '" + *api + "'");
    }
    if (auto kind = String(root_, "kind", kKind, true); kind && *kind != kKind) {
      Error(root_["kind"], "kind must be ApprovalMatrix, got '" + *kind + "'");
    }
    YAML::Node metadata = root_["metadata"];
    if (metadata.IsDefined() && metadata.IsMap()) {
      *name = String(metadata, "name", "metadata", false).value_or("");
    }
    YAML::Node spec = root_["spec"];
    if (!spec.IsDefined()) {
      diagnostics_.Error(SourceLocation{1, 1}, "ApprovalMatrix: missing field 'spec'");
      return std::nullopt;
    }
    if (!spec.IsMap()) {
      Error(spec, "ApprovalMatrix: 'spec' must be a mapping");
      return std::nullopt;
    }
    return spec;
  }

  bool ReadRow(const YAML::Node& rn, int index, ApprovalMatrixRow* row) {
    std::string what = "row " + std::to_string(index);
    if (!rn.IsMap()) {
      Error(rn, what + " must be a mapping with name, applies_to, when and required_roles");
      return false;
    }
    row->location = Loc(rn);
    row->name = String(rn, "name", what, true).value_or("");
    if (!row->name.empty()) what += " (" + row->name + ")";
    CheckKeys(rn,
              {"name", "applies_to", "when", "required_roles", "quorum", "sod", "expires_after",
               "on_expiry", "escalate_to", "escalation_window"},
              what);
    row->applies_to = String(rn, "applies_to", what, true).value_or("");
    if (rn["when"].IsDefined() && !rn["when"].IsNull()) {
      row->when = String(rn, "when", what, true).value_or("");
      row->condition = Condition(rn["when"], row->when, what);
    }
    row->required_roles = StringList(rn, "required_roles", what);
    if (row->required_roles.empty()) {
      Error(rn["required_roles"].IsDefined() ? rn["required_roles"] : rn,
            what + ": 'required_roles' must name at least one role");
    }
    if (YAML::Node q = rn["quorum"]; q.IsDefined() && !q.IsNull()) {
      int quorum = 0;
      bool ok = q.IsScalar();
      if (ok) {
        const std::string& s = q.Scalar();
        ok = !s.empty() && s.size() < 6 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (ok) quorum = std::atoi(s.c_str());
      }
      if (!ok || quorum < 1) {
        Error(q, what + ": 'quorum' must be a whole number of at least 1, got '" +
                     (q.IsScalar() ? q.Scalar() : std::string("a non-scalar")) + "'");
      } else {
        row->quorum = quorum;
      }
    }
    ReadSod(rn, what, row);
    row->expires_after = Duration(rn, "expires_after", what);
    if (auto on = String(rn, "on_expiry", what, false)) {
      if (*on == "reject") {
        row->on_expiry = ExpiryAction::kReject;
      } else if (*on == "escalate") {
        row->on_expiry = ExpiryAction::kEscalate;
      } else {
        Error(rn["on_expiry"],
              what + ": 'on_expiry' must be reject or escalate, got '" + *on + "'");
      }
      if (!row->expires_after) {
        Error(rn["on_expiry"], what + ": 'on_expiry' needs 'expires_after'");
      }
    }
    row->escalate_to = StringList(rn, "escalate_to", what);
    if (auto w = Duration(rn, "escalation_window", what)) row->escalation_window = *w;
    if (row->on_expiry == ExpiryAction::kEscalate && row->escalate_to.empty()) {
      Error(rn["on_expiry"], what + ": on_expiry escalate needs 'escalate_to' roles");
    }
    if (row->on_expiry != ExpiryAction::kEscalate &&
        (!row->escalate_to.empty() || rn["escalation_window"].IsDefined())) {
      Error(rn["escalate_to"].IsDefined() ? rn["escalate_to"] : rn["escalation_window"],
            what + ": 'escalate_to' and 'escalation_window' need on_expiry escalate");
    }
    for (const auto& role : row->approver_not_in_roles) {
      if (std::find(row->required_roles.begin(), row->required_roles.end(), role) !=
          row->required_roles.end()) {
        Error(rn["sod"],
              what + ": role " + role + " is both required and excluded by approver_not_in_roles");
      }
    }
    return true;
  }

  void ReadSod(const YAML::Node& rn, const std::string& what, ApprovalMatrixRow* row) {
    YAML::Node sod = rn["sod"];
    if (!sod.IsDefined() || sod.IsNull()) return;
    if (!sod.IsMap()) {
      Error(sod, what + ": 'sod' must be a mapping of segregation-of-duty rules");
      return;
    }
    const std::string sod_what = what + " sod";
    CheckKeys(sod, {"requester_cannot_approve", "distinct_approvers", "approver_not_in_roles"},
              sod_what);
    // These two hold for every approval in govflow; a matrix may restate them, never drop them.
    for (std::string_view key : {"requester_cannot_approve", "distinct_approvers"}) {
      YAML::Node flag = sod[std::string(key)];
      if (!flag.IsDefined() || flag.IsNull()) continue;
      if (!flag.IsScalar() || (flag.Scalar() != "true" && flag.Scalar() != "false")) {
        Error(flag, sod_what + ": '" + std::string(key) + "' must be true or false");
      } else if (flag.Scalar() == "false") {
        Error(flag, sod_what + ": '" + std::string(key) +
                        "' cannot be switched off: govflow always enforces it");
      }
    }
    row->approver_not_in_roles = StringList(sod, "approver_not_in_roles", sod_what);
  }

  void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                 std::string_view what) {
    if (!map.IsMap()) return;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Error(it->first, "unknown field '" + key + "' in " + std::string(what) +
                             "; expected one of " + Join(allowed));
      }
    }
  }

  std::optional<std::string> String(const YAML::Node& map, std::string_view key,
                                    std::string_view what, bool required) {
    YAML::Node n = map[std::string(key)];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) Error(map, std::string(what) + ": missing field '" + std::string(key) + "'");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      Error(n, std::string(what) + ": '" + std::string(key) + "' must be a string");
      return std::nullopt;
    }
    if (required && n.Scalar().empty()) {
      Error(n, std::string(what) + ": '" + std::string(key) + "' must not be empty");
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::vector<std::string> StringList(const YAML::Node& map, std::string_view key,
                                      std::string_view what) {
    std::vector<std::string> out;
    YAML::Node n = map[std::string(key)];
    if (!n.IsDefined() || n.IsNull()) return out;
    const std::string err =
        std::string(what) + ": '" + std::string(key) + "' must be a list of role names";
    if (n.IsScalar()) {
      if (!n.Scalar().empty()) out.push_back(n.Scalar());
      return out;
    }
    if (!n.IsSequence()) {
      Error(n, err);
      return out;
    }
    for (const YAML::Node& item : n) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        Error(item, err);
        continue;
      }
      if (std::find(out.begin(), out.end(), item.Scalar()) == out.end()) {
        out.push_back(item.Scalar());
      }
    }
    return out;
  }

  std::optional<std::chrono::seconds> Duration(const YAML::Node& map, std::string_view key,
                                               std::string_view what) {
    auto s = String(map, key, what, false);
    if (!s) return std::nullopt;
    auto d = ParseMatrixDuration(*s, /*allow_zero=*/false);
    if (!d) {
      Error(map[std::string(key)], std::string(what) + ": '" + std::string(key) +
                                       "' must be a duration such as 30m, 4h or 2d, got '" + *s +
                                       "'");
    }
    return d;
  }

  // Compiles a condition; a CEL error is placed at its character in the YAML file.
  std::shared_ptr<const expr::Program> Condition(const YAML::Node& node, const std::string& text,
                                                 const std::string& what) {
    if (text.empty()) return nullptr;
    expr::CompileOptions options;
    options.description = "<condition>";
    auto program = expr::Compile(text, options);
    if (program.ok()) return *program;
    // "ERROR: <condition>:L:C: message\n <source line>\n <caret>": re-anchor L:C in the file.
    std::string_view message = program.status().message();
    SourceLocation loc = Loc(node);
    std::string short_message(message);
    constexpr std::string_view kPrefix = "ERROR: <condition>:";
    if (message.starts_with(kPrefix)) {
      std::string_view rest = message.substr(kPrefix.size());
      const int line = std::atoi(std::string(rest).c_str());
      const size_t c1 = rest.find(':');
      const int column =
          c1 == std::string_view::npos ? 1 : std::atoi(std::string(rest.substr(c1 + 1)).c_str());
      const size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
      if (c2 != std::string_view::npos) {
        std::string_view msg = rest.substr(c2 + 1);
        msg = msg.substr(0, msg.find('\n'));
        while (!msg.empty() && msg.front() == ' ') msg.remove_prefix(1);
        short_message = std::string(msg);
      }
      const size_t in_expr = ExpressionOffset(text, std::max(line, 1), std::max(column, 1));
      const size_t at =
          ScalarOffsetToSource(source_.text(), static_cast<size_t>(node.Mark().pos), text, in_expr);
      loc = source_.LocationOf(at);
    }
    diagnostics_.Error(loc, what + ": invalid condition: " + short_message);
    return nullptr;
  }

  std::string text_;
  SourceText source_;
  std::string file_name_;
  DiagnosticList diagnostics_;
  YAML::Node root_;
};

}  // namespace

std::optional<std::chrono::seconds> ParseMatrixDuration(std::string_view text, bool allow_zero) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i == text.size() || i - start > 9) return std::nullopt;
    const int64_t n = std::atoll(std::string(text.substr(start, i - start)).c_str());
    switch (text[i]) {
      case 's':
        total += n;
        break;
      case 'm':
        total += n * 60;
        break;
      case 'h':
        total += n * 3600;
        break;
      case 'd':
        total += n * 86400;
        break;
      default:
        return std::nullopt;
    }
    ++i;
  }
  if (total == 0 && !allow_zero) return std::nullopt;
  return std::chrono::seconds(total);
}

Result<ApprovalMatrix> ParseApprovalMatrix(std::string_view yaml, std::string_view file_name) {
  return MatrixReader(yaml, file_name).Read();
}

void ApprovalMatrix::Check(std::string_view yaml_text, DiagnosticList& diagnostics) {
  MatrixReader reader(yaml_text, "");
  (void)reader.Read();
  for (const Diagnostic& d : reader.Diagnostics().Sorted()) {
    if (d.severity == Diagnostic::Severity::kError) {
      diagnostics.Error(d.location, d.message);
    } else {
      diagnostics.Warning(d.location, d.message);
    }
  }
}

std::vector<ApprovalRuleMatch> EvaluateApprovalMatrix(const ApprovalMatrix& matrix,
                                                      std::string_view subject_type,
                                                      const boost::json::value& change) {
  std::vector<ApprovalRuleMatch> out;
  const boost::json::value subject(std::string{subject_type});
  expr::Activation activation;
  activation.BindJson("change", change);
  activation.BindJson("subject_type", subject);
  for (const ApprovalMatrixRow& row : matrix.rows) {
    if (row.applies_to != subject_type) continue;
    if (!row.condition) {
      out.push_back({&row, ""});
      continue;
    }
    expr::Value v = row.condition->Evaluate(activation);
    if (v.is_error()) {
      // Fail closed: a change the condition cannot judge waits for the row's approvers.
      out.push_back({&row, "condition could not be evaluated (" + std::string(v.error_message()) +
                               "); the row applies"});
    } else if (!v.IsBool()) {
      out.push_back({&row, "condition did not give true or false; the row applies"});
    } else if (v.bool_value()) {
      out.push_back({&row, ""});
    }
  }
  return out;
}

ApprovalRequest MakeApprovalRequest(const ApprovalMatrixRow& row, std::string_view subject_type,
                                    const boost::json::value& change, TimePoint now) {
  ApprovalRequest r;
  r.subject_type = std::string(subject_type);
  r.changes_json = change.is_object() ? boost::json::serialize(change) : "{}";
  r.required_roles = row.required_roles;
  r.quorum = row.quorum;
  r.rule = row.name;
  r.excluded_roles = row.approver_not_in_roles;
  if (row.expires_after) {
    r.expires_at = now + std::chrono::duration_cast<std::chrono::microseconds>(*row.expires_after);
  }
  r.on_expiry = row.on_expiry;
  r.escalate_to_roles = row.escalate_to;
  r.escalation_window = row.escalation_window;
  return r;
}

std::string_view FallbackApprovalMatrixYaml() {
  return kFallbackYaml;
}

const ApprovalMatrix& FallbackApprovalMatrix() {
  static const ApprovalMatrix* matrix = [] {
    auto parsed = ParseApprovalMatrix(kFallbackYaml, "approval_matrix.yaml");
    // The text is ours and tested; failing here is a broken build, not bad input.
    if (!parsed.ok()) std::abort();
    return new ApprovalMatrix(std::move(*parsed));
  }();
  return *matrix;
}

}  // namespace govflow::governance::policies
