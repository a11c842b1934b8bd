#include "workflow/definition.h"

#include <algorithm>
#include <cmath>

#include "base/canonical_json.h"

namespace govflow::workflow {

std::string_view StepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::kValidate:
      return "validate";
    case StepKind::kMap:
      return "map";
    case StepKind::kBranch:
      return "branch";
    case StepKind::kCall:
      return "call";
    case StepKind::kWait:
      return "wait";
    case StepKind::kFail:
      return "fail";
    case StepKind::kApprove:
      return "approve";
  }
  return "map";
}

bool IsPureStep(StepKind kind) {
  return kind == StepKind::kValidate || kind == StepKind::kMap || kind == StepKind::kBranch ||
         kind == StepKind::kFail;
}

bool RetryPolicy::RetriesOn(ErrorClass error_class) const {
  return std::find(retry_on.begin(), retry_on.end(), error_class) != retry_on.end();
}

std::chrono::nanoseconds RetryPolicy::BackoffBefore(int next_attempt, double unit_random) const {
  double delay = static_cast<double>(initial_backoff.count());
  double cap = static_cast<double>(max_backoff.count());
  for (int i = 2; i < next_attempt && delay < cap; ++i) delay *= multiplier;
  delay = std::min(delay, cap);
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  delay *= 1.0 + jitter * (2.0 * unit_random - 1.0);
  return std::chrono::nanoseconds(static_cast<int64_t>(std::max(0.0, std::round(delay))));
}

WorkflowDefinition::WorkflowDefinition(Parts parts) : parts_(std::move(parts)) {
  vars_value_ = parts_.vars;
  for (const Step& step : parts_.steps) index_by_name_.emplace(step.name, step.index);
  canonical_json_ = govflow::CanonicalJson(parts_.canonical);
  content_hash_ = Sha256Hex(canonical_json_);
  version_ = parts_.name + "@" + content_hash_.substr(0, 12);
}

int WorkflowDefinition::FindStep(std::string_view name) const {
  auto it = index_by_name_.find(std::string(name));
  return it == index_by_name_.end() ? -1 : it->second;
}

}  // namespace govflow::workflow
