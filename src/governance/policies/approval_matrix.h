// The approval matrix (issue 4 item 3): rows of "when this kind of change meets this CEL
// condition, these roles must approve, this many of them, under these segregation-of-duty
// rules, within this time, else reject or escalate". A governed document of kind ApprovalMatrix:
//
//   apiVersion: govflow/v1
//   kind: ApprovalMatrix
//   metadata: {name: baseline}
//   spec:
//     rows:
//       - name: price-change-beyond-threshold
//         applies_to: price_change          # price_change, document_promotion, workflow_step,
//                                           # ai_decision, or any subject type a caller uses
//         when: 'change.percent_change <= -20.0 || change.percent_change >= 30.0'
//         required_roles: [pricing_manager]  # any one of them may decide
//         quorum: 1                          # distinct people needed
//         sod:
//           requester_cannot_approve: true   # always; false is an error
//           distinct_approvers: true         # always; false is an error
//           approver_not_in_roles: [operator]
//         expires_after: 24h
//         on_expiry: escalate                # or reject (the default)
//         escalate_to: [finance_controller]
//         escalation_window: 8h              # default: expires_after again
//
// Conditions see `change` (the change as JSON, e.g. {"sku", "old_price", "new_price",
// "percent_change"}) and `subject_type`. `when` may be omitted: the row applies to every change
// of its subject type. Evaluation: every row of the subject type whose condition holds applies,
// in file order; no row means no approval is needed (a matrix that wants a default writes a
// last row without `when`). A condition that cannot be evaluated (a missing field, a type error)
// fails closed: the row applies, and the match says why, so a malformed change never slips
// past its gate. The parsed matrix is immutable (CEL compiled once) and safe to share between
// threads.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/diagnostics.h"
#include "base/status.h"
#include "expr/program.h"
#include "governance/approvals.h"

namespace govflow::governance::policies {

struct ApprovalMatrixRow {
  std::string name;
  std::string applies_to;                          // the subject type
  std::string when;                                // the CEL source; "" = always
  std::shared_ptr<const expr::Program> condition;  // null when `when` is ""
  std::vector<std::string> required_roles;
  int quorum = 1;
  std::vector<std::string> approver_not_in_roles;
  std::optional<std::chrono::seconds> expires_after;
  ExpiryAction on_expiry = ExpiryAction::kReject;
  std::vector<std::string> escalate_to;
  std::chrono::seconds escalation_window{0};  // 0 = expires_after
  SourceLocation location;                    // of the row in its file
};

struct ApprovalMatrix {
  std::string name;  // metadata.name
  std::vector<ApprovalMatrixRow> rows;

  // The governed-document validator of kind approval_matrix (documents/kind_registry.h): every
  // problem ParseApprovalMatrix would report, positioned in `yaml_text`.
  static void Check(std::string_view yaml_text, DiagnosticList& diagnostics);
};

// One row that applies to a change.
struct ApprovalRuleMatch {
  const ApprovalMatrixRow* row = nullptr;  // points into the matrix
  // Why the row applies although its condition could not be evaluated ("" when it held).
  std::string evaluation_error;
};

// kInvalidArgument with "file:line:column: message" lines for every problem (unknown fields,
// missing or empty required_roles, quorum < 1, duplicate row names, CEL errors placed in the
// file, bad durations, on_expiry escalate without escalate_to, a segregation rule switched off).
Result<ApprovalMatrix> ParseApprovalMatrix(std::string_view yaml, std::string_view file_name);

// "30s", "15m", "4h", "2d" or combinations ("1h30m"); nullopt when malformed, or zero unless
// `allow_zero`. The durations of expires_after and escalation_window (and the CLI's).
std::optional<std::chrono::seconds> ParseMatrixDuration(std::string_view text, bool allow_zero);

// The rows of `matrix` that apply to a change of `subject_type` (see the file comment). Empty:
// no approval needed.
std::vector<ApprovalRuleMatch> EvaluateApprovalMatrix(const ApprovalMatrix& matrix,
                                                      std::string_view subject_type,
                                                      const boost::json::value& change);

// The request a caller opens for one applying row (RequestApproval): roles, quorum, excluded
// roles, expiry (now + expires_after) and escalation from the row; rule = the row's name. The
// caller fills subject_id, title and requested_by. When several rows apply, the change needs
// each row's task approved; a caller that opens one task per row keeps subjects apart with
// subject_id "<id>#<row name>".
ApprovalRequest MakeApprovalRequest(const ApprovalMatrixRow& row, std::string_view subject_type,
                                    const boost::json::value& change, TimePoint now);

// The matrix a tenant without a published ApprovalMatrix gets: the shipped template
// templates/policies/approval_matrix.yaml (docs/governance/approvals.md). Price changes of -20%
// or less, or +30% or more, need a pricing_manager within 24h (then escalated to
// finance_controller for 8h, then rejected); price cuts of 50% or more also need two
// finance_controllers, neither of them an operator, within 48h (then rejected).
const ApprovalMatrix& FallbackApprovalMatrix();
// The YAML text of FallbackApprovalMatrix (the same text as the shipped template).
std::string_view FallbackApprovalMatrixYaml();

}  // namespace govflow::governance::policies
