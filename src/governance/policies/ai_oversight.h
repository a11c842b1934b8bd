// The AI oversight policy (a governed document of kind "ai_oversight"): per type of
// AI-assisted decision, the confidence below which a human must review it, and the conditions
// under which human review is mandatory whatever the confidence. Stored and versioned now;
// enforced by AI-assisted steps when they arrive (they call Evaluate and open an approval task,
// subject_type "ai_decision", when it says so). Immutable once loaded; thread-safe to evaluate.
// Document shape (docs/governance/documents.md):
//   apiVersion: govflow/v1
//   kind: AiOversight
//   metadata: {name: ...}
//   decisions:
//     - decision_type: sku_mapping
//       min_confidence: 0.9             # in [0, 1]
//       always_human_review: false      # optional
//       human_review_when:              # optional; CEL over `decision`
//         - name: high_value_order
//           condition: decision.order_value > 1000.0
// A decision type the policy does not name always needs human review (fail closed).
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostics.h"
#include "base/status.h"
#include "expr/program.h"

namespace govflow::governance::policies {

struct HumanReviewCondition {
  std::string name;
  std::string condition_source;
  std::shared_ptr<const expr::Program> condition;
};

struct DecisionOversight {
  std::string decision_type;
  double min_confidence = 1.0;
  bool always_human_review = false;
  std::vector<HumanReviewCondition> human_review_when;
};

struct OversightVerdict {
  bool human_review_required = true;
  std::string reason;  // why review is required, or "confidence 0.97 >= 0.90"
};

class AiOversightPolicy {
 public:
  static Result<std::shared_ptr<const AiOversightPolicy>> Load(std::string_view yaml_text,
                                                               std::string_view file_name);
  // The document validator registered for kind ai_oversight.
  static void Check(std::string_view yaml_text, DiagnosticList& diagnostics);

  const std::vector<DecisionOversight>& decisions() const { return decisions_; }

  // Whether `decision` (a JSON object with at least a numeric "confidence"; bound to CEL as
  // `decision`) of `decision_type` must go to a human. Required when the type is unknown, the
  // confidence is missing or below the bar, always_human_review is set, or any condition is
  // true or fails to evaluate to a bool.
  OversightVerdict Evaluate(std::string_view decision_type,
                            const boost::json::value& decision) const;

 private:
  AiOversightPolicy() = default;
  std::vector<DecisionOversight> decisions_;
};

}  // namespace govflow::governance::policies
