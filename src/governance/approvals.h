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

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::governance {

enum class ApprovalState { kPending, kApproved, kRejected, kExpired, kCancelled };
std::string_view ApprovalStateName(ApprovalState state);
inline bool IsFinal(ApprovalState s) {
  return s != ApprovalState::kPending;
}

enum class ExpiryAction { kReject, kEscalate };

struct ApprovalRequest {
  // What is to be decided: "workflow_step" (subject_id "<run_id>/<step>"), "price_change",
  // "document_promotion", "ai_decision", ... At most one pending task per (subject_type,
  // subject_id): requesting again returns the pending task.
  std::string subject_type;
  std::string subject_id;
  std::string title;                        // one line for the inbox
  std::string changes_json;                 // exactly what changes (a diff object); "" means {}
  std::vector<std::string> required_roles;  // any of these roles may decide
  int quorum = 1;                           // distinct approvers needed
  // The maker, never allowed to decide: "user:<user_id>" for a person ("" = the scope's actor;
  // a token is recorded as its user), "system:<component>" when govflow itself asks.
  std::string requested_by;
  std::string rule;  // the policy rule that demanded the approval (for the inbox)
  std::optional<TimePoint> expires_at;
  ExpiryAction on_expiry = ExpiryAction::kReject;
  // For on_expiry = kEscalate (required then): the roles added to required_roles when the task
  // expires, and how long the escalated task has before it is rejected (state kExpired). A task
  // escalates once; zero means the original window (expires_at - created_at).
  std::vector<std::string> escalate_to_roles;
  std::chrono::microseconds escalation_window{0};
  // Segregation of duties beyond "never the requester": a person holding any of these roles on
  // the tenant may not decide (e.g. the makers' role, so that no maker checks anyone's work).
  std::vector<std::string> excluded_roles;
};

struct ApprovalDecision {
  std::string actor;  // who decided: "user:<user_id>" (a token's decision counts for its user)
  bool approve = false;
  std::string comment;
  TimePoint at;
  // The delegator whose roles the decider used ("user:<id>"), "" for the decider's own roles.
  std::string on_behalf_of;
};

struct ApprovalTask {
  TenantId tenant;
  std::string id;
  ApprovalRequest request;
  ApprovalState state = ApprovalState::kPending;
  std::vector<ApprovalDecision> decisions;  // oldest first
  TimePoint created_at;
  TimePoint updated_at;
  int escalations = 0;  // times the task was escalated on expiry (0 or 1)

  // Distinct approvals so far (each person counts once).
  int approvals() const;
};

// Opens a task (audited as approval.request). Returns the existing pending task for the same
// subject instead of opening a second one. Requires approvals.request unless the scope is a
// system scope. requested_by "" means the scope's actor; a person's actor is recorded as
// "user:<user_id>" (so a token and its user are one person for segregation of duties).
// kInvalidArgument for an empty subject, no required roles, quorum < 1, changes_json that is
// not a JSON object, an expiry not in the future, or kEscalate without escalate_to_roles.
Result<ApprovalTask> RequestApproval(store::Txn& txn, const TenantScope& scope,
                                     const ApprovalRequest& request);
// kNotFound for another tenant's or a missing task. Requires approvals.read (as do the other
// read functions below).
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
//
// Who may decide: a person (never a system actor) with approvals.decide who holds one of the
// task's required roles on the task's tenant (scope.roles()), or who is the delegate of an
// active delegation (DelegateApprovals) lending such a role; then the decision is recorded "on
// behalf of" the delegator. Each person counts once: the decider and, for a delegated decision,
// the delegator must not have decided the task already, in either capacity. Neither the
// requester nor a delegate of the requester's roles decides the requester's task. One rejection
// rejects the task.
Result<ApprovalTask> DecideApproval(store::Txn& txn, const TenantScope& scope, std::string_view id,
                                    bool approve, std::string_view comment);

// Withdraws a pending task (state kCancelled, audited), e.g. when its run was cancelled or the
// change it guards was withdrawn. Allowed for the requester and for system scopes;
// kFailedPrecondition when the task is already final.
Result<ApprovalTask> CancelApproval(store::Txn& txn, const TenantScope& scope, std::string_view id,
                                    std::string_view reason);

// The expiry job (called periodically by `govflow serve` and by `govflow approvals expire`):
// every pending task of every tenant whose expires_at <= clock.Now() is rejected (state
// kExpired) or, when its policy says kEscalate and it has not escalated yet, escalated (the
// escalate_to_roles join required_roles and it gets a new expiry). Each task is handled in its
// own transaction and audited (approval.expire / approval.escalate, actor system:approvals); a
// workflow_step task that became final wakes its run. Returns how many tasks it changed.
Result<int> ExpireApprovals(store::Store& store, const Clock& clock);

// ---- Inbox --------------------------------------------------------------------------------------

struct ApprovalFilter {
  std::optional<ApprovalState> state;
  std::string subject_type;  // "" = any
  std::string role;          // "" = any; else only tasks this role may decide
  // Only pending tasks the scope's actor may decide now: it holds (or is delegated) one of the
  // required roles, did not request the task and has not decided it.
  bool decidable_by_me = false;
  int limit = 50;  // 1..500
};

struct ApprovalPage {
  std::vector<ApprovalTask> tasks;  // oldest first
  std::string next_cursor;          // "" when there is nothing more
};

// The tenant's tasks, oldest first, `filter.limit` at a time; pass the previous page's
// next_cursor to continue ("" starts at the beginning). kInvalidArgument for a malformed cursor.
Result<ApprovalPage> ListApprovals(store::Txn& txn, const TenantScope& scope,
                                   const ApprovalFilter& filter, std::string_view cursor = {});

// ---- Delegation while away ---------------------------------------------------------------------

struct ApprovalDelegation {
  TenantId tenant;
  std::string id;
  std::string from_actor;          // the delegator, "user:<id>"
  std::string to_actor;            // the delegate, "user:<id>"
  std::vector<std::string> roles;  // lent roles (a snapshot of roles the delegator held)
  TimePoint starts_at;
  TimePoint ends_at;  // exclusive
  std::string reason;
  std::string created_by;
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;

  bool ActiveAt(TimePoint t) const { return !revoked_at && starts_at <= t && t < ends_at; }
};

// The scope's actor (a person with approvals.decide) lends `roles` (empty: every role it holds
// on the tenant; otherwise each must be held) to `to_actor` ("user:<id>", not itself) for
// approval decisions during [starts_at, ends_at). The delegate still needs approvals.decide of
// their own. Audited as approval.delegate. kInvalidArgument for an empty or inverted window.
Result<ApprovalDelegation> DelegateApprovals(store::Txn& txn, const TenantScope& scope,
                                             std::string_view to_actor,
                                             const std::vector<std::string>& roles,
                                             TimePoint starts_at, TimePoint ends_at,
                                             std::string_view reason);
// Ends a delegation now (audited). Allowed for its delegator and for holders of users.manage.
Result<ApprovalDelegation> RevokeDelegation(store::Txn& txn, const TenantScope& scope,
                                            std::string_view id);
// The tenant's delegations that have not ended by `txn.Now()` (active or future), oldest first.
Result<std::vector<ApprovalDelegation>> ListDelegations(store::Txn& txn, const TenantScope& scope);

// The person behind an actor, as approvals record it: "user:<user_id>" for people and their
// tokens, the actor id itself for system actors.
std::string ApprovalPersonOf(const Actor& actor);

}  // namespace govflow::governance
