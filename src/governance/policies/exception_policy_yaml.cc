#include "governance/policies/exception_policy_yaml.h"

#include <algorithm>
#include <cstdlib>

namespace govflow::governance::policies {
namespace {

std::string Join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (std::string_view s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

std::optional<std::chrono::seconds> ParsePolicyDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i == text.size() || i - start > 9) return std::nullopt;
    int64_t n = std::atoll(std::string(text.substr(start, i - start)).c_str());
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
  return std::chrono::seconds(total);
}

std::string FormatPolicyDuration(std::chrono::seconds d) {
  int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  auto part = [&](int64_t unit, char suffix) {
    if (s >= unit) {
      out += std::to_string(s / unit) + suffix;
      s %= unit;
    }
  };
  part(86400, 'd');
  part(3600, 'h');
  part(60, 'm');
  part(1, 's');
  return out;
}

SourceLocation PolicyReader::Loc(const YAML::Node& node) const {
  if (!node.IsDefined() || node.Mark().pos < 0) return {1, 1};
  return source_.LocationOf(static_cast<size_t>(node.Mark().pos));
}

void PolicyReader::Error(const YAML::Node& node, std::string message) {
  diagnostics_.Error(Loc(node), std::move(message));
}

std::optional<YAML::Node> PolicyReader::Spec() {
  try {
    root_ = YAML::Load(text_);
  } catch (const YAML::Exception& e) {
    Error(SourceLocation{e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (!root_.IsMap()) {
    Error(SourceLocation{1, 1}, "a " + kind_ +
                                    " must be a YAML mapping with apiVersion, kind, metadata "
                                    "and spec");
    return std::nullopt;
  }
  CheckKeys(root_, {"apiVersion", "kind", "metadata", "spec"}, kind_);
  auto api = String(root_, "apiVersion", kind_, true);
  if (api && *api != "govflow/v1") {
    Error(root_["apiVersion"], "apiVersion must be govflow/v1, got '" + *api + "'");
  }
  auto kind = String(root_, "kind", kind_, true);
  if (kind && *kind != kind_) {
    Error(root_["kind"], "kind must be " + kind_ + ", got '" + *kind + "'");
  }
  YAML::Node spec = root_["spec"];
  if (!spec.IsDefined()) {
    Error(SourceLocation{1, 1}, kind_ + ": missing field 'spec'");
    return std::nullopt;
  }
  if (!spec.IsMap()) {
    Error(spec, kind_ + ": 'spec' must be a mapping");
    return std::nullopt;
  }
  return spec;
}

void PolicyReader::CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
                             std::string_view what) {
  if (!map.IsMap()) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Error(it->first, "unknown field '" + key + "' in " + std::string(what) +
                           "; expected one of " + Join(allowed));
    }
  }
}

std::optional<std::string> PolicyReader::String(const YAML::Node& map, std::string_view key,
                                                std::string_view what, bool required) {
  YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) {
      Error(map, std::string(what) + ": missing field '" + std::string(key) + "'");
    }
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    Error(n, std::string(what) + ": '" + std::string(key) + "' must be a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::chrono::seconds> PolicyReader::Duration(const YAML::Node& map,
                                                           std::string_view key,
                                                           std::string_view what, bool required) {
  auto s = String(map, key, what, required);
  if (!s) return std::nullopt;
  auto d = ParsePolicyDuration(*s);
  if (!d) {
    Error(map[std::string(key)], std::string(what) + ": '" + std::string(key) +
                                     "' must be a duration such as 30s, 15m, 4h or 2d, got '" + *s +
                                     "'");
  }
  return d;
}

std::vector<std::string> PolicyReader::StringList(const YAML::Node& map, std::string_view key,
                                                  std::string_view what) {
  std::vector<std::string> out;
  YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    Error(n, std::string(what) + ": '" + std::string(key) + "' must be a list of strings");
    return out;
  }
  for (const YAML::Node& item : n) {
    if (!item.IsScalar()) {
      Error(item, std::string(what) + ": '" + std::string(key) + "' must be a list of strings");
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::shared_ptr<const expr::Program> PolicyReader::Condition(const YAML::Node& map,
                                                             std::string_view key,
                                                             std::string_view what) {
  auto text = String(map, key, what, true);
  if (!text) return nullptr;
  const YAML::Node node = map[std::string(key)];
  expr::CompileOptions options;
  options.description = "<condition>";
  auto program = expr::Compile(*text, options);
  if (program.ok()) return *program;
  // "ERROR: <condition>:L:C: message\n <source line>\n <caret>": re-anchor L:C in the file.
  std::string_view message = program.status().message();
  SourceLocation loc = Loc(node);
  std::string text_out(message);
  constexpr std::string_view kPrefix = "ERROR: <condition>:";
  if (message.substr(0, kPrefix.size()) == kPrefix) {
    std::string_view rest = message.substr(kPrefix.size());
    int line = std::atoi(std::string(rest).c_str());
    size_t c1 = rest.find(':');
    int column =
        c1 == std::string_view::npos ? 1 : std::atoi(std::string(rest.substr(c1 + 1)).c_str());
    size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
    if (c2 != std::string_view::npos) {
      std::string_view msg = rest.substr(c2 + 1);
      size_t nl = msg.find('\n');
      msg = msg.substr(0, nl);
      while (!msg.empty() && msg.front() == ' ') msg.remove_prefix(1);
      text_out = std::string(msg);
    }
    size_t in_expr = ExpressionOffset(*text, std::max(line, 1), std::max(column, 1));
    size_t at =
        ScalarOffsetToSource(source_.text(), static_cast<size_t>(node.Mark().pos), *text, in_expr);
    loc = source_.LocationOf(at);
  }
  Error(loc, std::string(what) + ": invalid condition: " + text_out);
  return nullptr;
}

}  // namespace govflow::governance::policies
