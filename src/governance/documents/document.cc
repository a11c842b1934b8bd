#include "governance/documents/document.h"

#include <array>
#include <utility>

namespace govflow::governance::documents {
namespace {

constexpr std::array<std::pair<DocumentKind, std::string_view>, 10> kKindNames = {{
    {DocumentKind::kWorkflow, "workflow"},
    {DocumentKind::kApprovalMatrix, "approval_matrix"},
    {DocumentKind::kValidationRules, "validation_rules"},
    {DocumentKind::kSeverity, "severity"},
    {DocumentKind::kOwnership, "ownership"},
    {DocumentKind::kSla, "sla"},
    {DocumentKind::kEscalation, "escalation"},
    {DocumentKind::kRetention, "retention"},
    {DocumentKind::kAiOversight, "ai_oversight"},
    {DocumentKind::kConnectorMapping, "connector_mapping"},
}};

constexpr std::array<std::pair<Environment, std::string_view>, 3> kEnvNames = {{
    {Environment::kDev, "dev"},
    {Environment::kStaging, "staging"},
    {Environment::kProd, "prod"},
}};

constexpr std::array<std::pair<DocumentState, std::string_view>, 4> kStateNames = {{
    {DocumentState::kDraft, "draft"},
    {DocumentState::kSubmitted, "submitted"},
    {DocumentState::kApproved, "approved"},
    {DocumentState::kRejected, "rejected"},
}};

template <typename Table, typename E>
std::string_view NameOf(const Table& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename Table>
std::string Known(const Table& table) {
  std::string out;
  for (const auto& entry : table) out += (out.empty() ? "" : ", ") + std::string(entry.second);
  return out;
}

}  // namespace

std::string_view DocumentKindName(DocumentKind kind) {
  return NameOf(kKindNames, kind);
}

Result<DocumentKind> ParseDocumentKind(std::string_view name) {
  for (const auto& [kind, n] : kKindNames) {
    if (n == name) return kind;
  }
  return InvalidArgument("unknown document kind '" + std::string(name) +
                         "' (known: " + Known(kKindNames) + ")");
}

const std::vector<DocumentKind>& AllDocumentKinds() {
  static const std::vector<DocumentKind> all = [] {
    std::vector<DocumentKind> v;
    for (const auto& entry : kKindNames) v.push_back(entry.first);
    return v;
  }();
  return all;
}

std::string_view EnvironmentName(Environment env) {
  return NameOf(kEnvNames, env);
}

Result<Environment> ParseEnvironment(std::string_view name) {
  for (const auto& [env, n] : kEnvNames) {
    if (n == name) return env;
  }
  return InvalidArgument("unknown environment '" + std::string(name) +
                         "' (known: " + Known(kEnvNames) + ")");
}

std::optional<Environment> NextEnvironment(Environment env) {
  switch (env) {
    case Environment::kDev:
      return Environment::kStaging;
    case Environment::kStaging:
      return Environment::kProd;
    case Environment::kProd:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string_view DocumentStateName(DocumentState state) {
  return NameOf(kStateNames, state);
}

Result<DocumentState> ParseDocumentState(std::string_view name) {
  for (const auto& [state, n] : kStateNames) {
    if (n == name) return state;
  }
  return InvalidArgument("unknown document state '" + std::string(name) + "'");
}

}  // namespace govflow::governance::documents
