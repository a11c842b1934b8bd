// Approval tasks: human decisions demanded by a workflow's `approve` step, a master-data change
// beyond the approval matrix's threshold (e.g. a price change), a document promotion, or an AI
// decision below its confidence bar. A task names the roles that may decide it and how many
// distinct approvals it needs (quorum); the requester never decides their own request
// (segregation of duties); one rejection rejects; decisions carry a comment and are final; a task
// past its expiry is rejected or escalated as its policy says. Every change is audited in the
// same transaction. Thread-safety: functions work on the caller's Txn.
//
// The core contract below is what other modules (the runtime's approve step, document
// promotion) rely on; approval_matrix.h, price_changes.h etc. build on it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::governance {

enum class ApprovalState { kPending, kApproved, kRejected, kExpired, kCancelled };
std::string_view ApprovalStateName(ApprovalState state);
inline bool IsFinal(ApprovalState s) { return s != ApprovalState::kPending; }

enum class ExpiryAction { kReject, kEscalate };

struct ApprovalRequest {
  // What is to be decided: "workflow_step" (subject_id "<run_id>/<step>"), "price_change",
  // "document_promotion", "ai_decision", ... At most one pending task per (subject_type,
  // subject_id): requesting again returns the pending task.
  std::string subject_type;
  std::string subject_id;
  std::string title;         // one line for the inbox
  std::string changes_json;  // exactly what changes (a diff object); "" means {}
  std::vector<std::string> required_roles;  // any of these roles may decide
  int quorum = 1;                           // distinct approvers needed
  std::string requested_by;  // Actor::id of the maker; never allowed to decide
  std::string rule;          // the policy rule that demanded the approval (for the inbox)
  std::optional<TimePoint> expires_at;
  ExpiryAction on_expiry = ExpiryAction::kReject;
};

struct ApprovalDecision {
  std::string actor;  // Actor::id
  bool approve = false;
  std::string comment;
  TimePoint at;
};

struct ApprovalTask {
  TenantId tenant;
  std::string id;
  ApprovalRequest request;
  ApprovalState state = ApprovalState::kPending;
  std::vector<ApprovalDecision> decisions;  // oldest first
  TimePoint created_at;
  TimePoint updated_at;
};

// Opens a task (audited as approval.request). Returns the existing pending task for the same
// subject instead of opening a second one. Requires approvals.request unless the scope is a
// system scope.
Result<ApprovalTask> RequestApproval(store::Txn& txn, const TenantScope& scope,
                                     const ApprovalRequest& request);
// kNotFound for another tenant's or a missing task.
Result<ApprovalTask> GetApproval(store::Txn& txn, const TenantScope& scope, std::string_view id);
// The newest task for a subject (any state); kNotFound if none.
Result<ApprovalTask> FindApprovalForSubject(store::Txn& txn, const TenantScope& scope,
                                            std::string_view subject_type,
                                            std::string_view subject_id);
// Records a decision by scope.actor(). kPermissionDenied when the actor is the requester, lacks
// approvals.decide, holds none of the required roles (directly or by delegation), or already
// decided; kFailedPrecondition when the task is final or expired; kInvalidArgument when the
// comment is empty. Returns the task after the decision (approved once quorum is reached).
// When a workflow_step task becomes final its run is woken (store::Txn::WakeRun).
Result<ApprovalTask> DecideApproval(store::Txn& txn, const TenantScope& scope, std::string_view id,
                                    bool approve, std::string_view comment);

}  // namespace govflow::governance
