// Master-data price changes behind an approval gate (issue 4 item 5; DESIGN.md section 7's
// pricing manager): a requested change of one storefront variant's price is measured (percent
// change), checked against the tenant's approval policy, and either released at once (below the
// threshold) or held behind an approval task (subject_type "price_change") that carries the exact
// diff, the rule that stopped it and who asked. Only a released change reaches the storefront:
// releasing writes an outbox row in the same transaction, and the publisher
// (price_publisher.h) delivers outbox rows. A held change is released when its task is approved
// and rejected (never published) when the task is rejected, expires or is cancelled; that
// decision is applied by ApplyPriceApprovalOutcome, called by the sweep
// ReleaseDecidedPriceChanges (periodically by `govflow serve`) or directly by whoever decided.
// Every step is audited in the same transaction. Thread-safety: functions work on the caller's
// Txn, except the sweep, which runs its own transactions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/policies/approval_matrix.h"
#include "store/store.h"

namespace govflow::governance {

inline constexpr std::string_view kPriceChangeSubject = "price_change";

enum class PriceChangeState { kPendingApproval, kReleased, kPublished, kRejected, kFailed };
std::string_view PriceChangeStateName(PriceChangeState state);

// A decimal price string ("19.99", "20", "0.5") in minor units (cents, two decimals).
// kInvalidArgument for anything else (negative, more than two decimals, not a number).
Result<int64_t> ParsePriceCents(std::string_view price);
// 1999 -> "19.99" (Shopify's form).
std::string FormatPriceCents(int64_t cents);
// (new - old) / old in basis points, rounded half away from zero (-3500 = -35.00%).
// old_cents must be positive.
int64_t PriceChangeBasisPoints(int64_t old_cents, int64_t new_cents);

struct PriceChangeRequest {
  ConnectionId connection;  // the tenant's storefront connection (kind shopify.admin)
  std::string sku;
  int64_t variant_id = 0;  // the storefront's variant id
  std::string old_price;   // the price the change starts from (the storefront's current price)
  std::string new_price;
  // Compare-at price to set with it: nullopt leaves it, "" clears it (a promotion usually sets it
  // to the old price, so the storefront shows the reduction).
  std::optional<std::string> compare_at_price;
  std::string currency = "USD";
  std::string reason;  // why (required): "Black Friday promotion"
};

// What the approval policy sees of a change. An approval matrix row's CEL condition sees it as
// `change` (PriceChangeFactsJson): {"sku", "variant_id", "currency", "old_price", "new_price",
// "percent_change", "abs_percent_change", "reason"} with prices and percentages as numbers, and
// subject_type "price_change".
struct PriceChangeFacts {
  std::string sku;
  int64_t variant_id = 0;
  std::string currency;
  std::string reason;
  double old_price = 0;
  double new_price = 0;
  double percent = 0;  // signed: -35.0 for a 35% reduction
  double abs_percent = 0;
};

// One approval the tenant's matrix demands for a change (one matrix row that applies).
struct PriceApprovalRequirement {
  std::string rule;  // the matrix row that demanded it, shown in the inbox
  std::vector<std::string> roles;
  int quorum = 1;
  std::vector<std::string> excluded_roles;  // holders may not decide (maker-checker by role)
  std::optional<std::chrono::microseconds> expires_after;
  ExpiryAction on_expiry = ExpiryAction::kReject;
  std::vector<std::string> escalate_to_roles;
  std::chrono::microseconds escalation_window{0};
};

// The approval policy: what the tenant's matrix demands for one change; empty releases it, and
// each requirement becomes one approval task, all of which must be approved. A function so that
// the caller decides which matrix applies (the tenant's published ApprovalMatrix document, the
// fallback template, or a fixed threshold) without this module knowing how documents are stored.
using PriceApprovalPolicy = std::function<Result<std::vector<PriceApprovalRequirement>>(
    const TenantId&, const PriceChangeFacts&)>;

// The facts as the JSON object matrix conditions see (`change`).
boost::json::value PriceChangeFactsJson(const PriceChangeFacts& facts);

// Every row of `matrix` whose condition holds for the change (subject type "price_change")
// becomes a requirement (rule = the row's name; a condition that fails to evaluate applies,
// failing closed, as policies::EvaluateApprovalMatrix says). The matrix must stay alive.
PriceApprovalPolicy MatrixPriceApprovalPolicy(
    std::shared_ptr<const policies::ApprovalMatrix> matrix);

// The tenant's approval matrix as the engine runs it: every ApprovalMatrix document of the
// tenant published to prod (its effective YAML, templates merged), rows in document-name order;
// when none is published, the shipped baseline (policies::FallbackApprovalMatrix). Reads as
// system:price_changes; the returned policy owns what it parsed.
Result<PriceApprovalPolicy> TenantPriceApprovalPolicy(store::Txn& txn, const TenantId& tenant);

// Holds changes whose |percent| is strictly above `threshold_percent` for `quorum` approvals by
// `roles`; the rule reads "price_change abs(percent) > <threshold>".
PriceApprovalPolicy ThresholdPriceApprovalPolicy(double threshold_percent,
                                                 std::vector<std::string> roles, int quorum = 1);

struct PriceChange {
  TenantId tenant;
  std::string id;  // "pc_..."
  ConnectionId connection;
  std::string sku;
  int64_t variant_id = 0;
  std::string currency;
  std::string old_price;  // normalised "19.99"
  std::string new_price;
  int64_t old_cents = 0;
  int64_t new_cents = 0;
  std::optional<std::string> compare_at_price;
  int64_t change_bp = 0;
  std::string reason;
  std::string requested_by;  // "user:<id>" for people (as approvals record it)
  std::string rule;          // the rules that held it (", "-joined); "" when released at once
  std::optional<std::string> approval_id;  // the first approval task (the only one, usually)
  std::vector<std::string> approval_ids;   // every approval task; all must be approved
  PriceChangeState state = PriceChangeState::kPendingApproval;
  std::string outcome;  // the decision's comment, the publish result or the error
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> released_at;
  std::optional<TimePoint> published_at;

  double percent() const { return static_cast<double>(change_bp) / 100.0; }
};

// The exact diff an approver sees (the task's changes_json):
// {"sku":..,"variant_id":..,"connection":..,"currency":..,"price":{"from":"29.00","to":"18.85"},
//  "percent":-35.0[,"compare_at_price":{"to":..}],"reason":..}
std::string PriceChangeDiffJson(const PriceChange& change);

// Records a change requested by scope.actor() (requires approvals.request). Validates it
// (kInvalidArgument naming the field: prices, variant id, sku, reason; kNotFound for an unknown
// connection), asks `policy`, then either releases it (state kReleased, outbox row; audited
// price_change.request then price_change.release) or opens one approval task per requirement
// through RequestApproval with the diff, the rule and the requester (subject_id the change id,
// or "<change id>#<rule>" when several rules apply), and holds it (state kPendingApproval;
// audited price_change.request with the task ids). All in `txn`.
Result<PriceChange> RequestPriceChange(store::Txn& txn, const TenantScope& scope,
                                       const PriceChangeRequest& request,
                                       const PriceApprovalPolicy& policy);

// kNotFound for a missing change or another tenant's. Requires approvals.read.
Result<PriceChange> GetPriceChange(store::Txn& txn, const TenantScope& scope, std::string_view id);
// Newest first; `state` filters when given. Requires approvals.read.
Result<std::vector<PriceChange>> ListPriceChanges(store::Txn& txn, const TenantScope& scope,
                                                  std::optional<PriceChangeState> state,
                                                  int limit = 100);

// Applies the state of a held change's approval tasks after `task` changed: every task approved
// -> released (outbox row, audited price_change.release with the deciders); any task rejected,
// expired or cancelled -> rejected (the change's other pending tasks are cancelled; audited
// price_change.reject; nothing is ever published). Otherwise (tasks still pending), or for a
// change no longer held or a task that is not a price change's, nothing changes. Returns
// whether the change moved. Safe to call twice and from the decider's own transaction (a hook
// after DecideApproval).
Result<bool> ApplyPriceApprovalOutcome(store::Txn& txn, const TenantId& tenant,
                                       const ApprovalTask& task);

// The sweep for `govflow serve`'s job loop: every held change of every tenant whose tasks are
// all approved or one of which is rejected/expired/cancelled is released or rejected, each in its
// own transaction (as system:price_changes).
// Returns how many changes moved. Cross-tenant by design, like the scheduler.
Result<int> ReleaseDecidedPriceChanges(store::Store& store, int limit = 500);

}  // namespace govflow::governance
