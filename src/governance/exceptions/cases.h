// The exceptions inbox and the governance actions on exception cases (issue 4 item 4): cases
// with their classification, severity, owning team, SLA clocks and business impact; root-cause
// groups with member counts and summed impact; acknowledge, assign and resolve, for one case or
// many. Every call takes a TenantScope, checks exceptions.read / exceptions.act and touches only
// scope.tenant()'s rows; every action is audited in its own transaction. Run manipulation
// (retry, edit-and-retry, skip, cancel) lives in workflow/runtime/exceptions.h, which builds on
// the Txn-level helpers at the end of this file. Thread-safe (each call is one transaction).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::governance::exceptions {

// The state an operator sees (derived, see 0006_exceptions.sql).
enum class CaseState { kOpen, kAcknowledged, kRetrying, kResolved };
std::string_view CaseStateName(CaseState state);
std::optional<CaseState> ParseCaseState(std::string_view name);

// Where a case stands against its SLA at `now`.
enum class SlaRisk { kBreached, kAtRisk, kOk, kMet };  // kMet: closed
std::string_view SlaRiskName(SlaRisk risk);
std::optional<SlaRisk> ParseSlaRisk(std::string_view name);

struct CaseView {
  store::ExceptionCase exception;  // the engine's record
  CaseState state = CaseState::kOpen;
  std::string process;
  std::string category;
  std::string root_cause_key;
  std::string severity;  // "P1".."P4"
  std::string owner_team;
  std::string assignee;  // "" when only the team owns it
  TimePoint ack_due_at;
  TimePoint resolve_due_at;
  std::optional<TimePoint> acknowledged_at;
  std::string acknowledged_by;
  std::optional<TimePoint> closed_at;
  std::string closed_by;
  std::string resolution;  // "", resolved, skipped, cancelled, retried
  std::string resolution_reason;
  int64_t order_value_minor = 0;
  std::string currency;
  std::string customer_key;
  std::string policy_note;
  // The next deadline that matters: acknowledge while unacknowledged, else resolve; nullopt
  // once closed.
  std::optional<TimePoint> next_due_at;
  SlaRisk sla_risk = SlaRisk::kOk;
};

enum class CaseSort { kSlaRisk, kBusinessImpact, kOldest };

struct CaseFilter {
  std::string team;      // "" = any
  std::string severity;  // "" = any
  std::string assignee;  // "" = any
  std::optional<CaseState> state;
  bool unresolved_only = false;  // open, acknowledged or retrying
  std::string root_cause_key;    // "" = any
  std::optional<SlaRisk> sla_risk;
  // Free text (at most 200 bytes; "" = any): a case matches when its message, root cause,
  // customer, case id or run id contains the text, case-insensitively (ASCII), e.g. a SKU, an
  // error phrase or a customer number; or when the text is one of its run's business keys (the
  // order's id, name "#1001" or number, the ERP document number; store::NormalizeBusinessKey).
  // The substring match is not index-assisted: it narrows the rows the other filters' index
  // yields (docs/performance.md, "Exceptions inbox at 10,000 cases").
  std::string text;
  std::chrono::seconds at_risk_window{std::chrono::minutes(30)};
  CaseSort sort = CaseSort::kSlaRisk;
  int limit = 100;     // 1..1000
  std::string cursor;  // from the previous page's next_cursor
  // When > 0, CasePage::total counts the matching cases (ignoring the cursor), up to this many;
  // counting stops there so that a huge inbox costs at most `count_limit` index steps.
  int64_t count_limit = 0;
};

struct CasePage {
  std::vector<CaseView> cases;
  std::string next_cursor;  // "" on the last page
  // Matching cases in all pages (only when CaseFilter::count_limit > 0): min(matches,
  // count_limit); total_capped says there are more than count_limit.
  std::optional<int64_t> total;
  bool total_capped = false;
};

struct MoneyTotal {
  std::string currency;
  int64_t value_minor = 0;
};

struct GroupView {
  std::string root_cause_key;
  std::string category;
  std::string highest_severity;  // "P1" beats "P2" ...
  std::vector<std::string> teams;
  int64_t members = 0;                  // cases in the group (per the filter)
  int64_t unresolved = 0;               // of which open, acknowledged or retrying
  int64_t customers = 0;                // distinct customers
  std::vector<MoneyTotal> order_value;  // summed per currency
  TimePoint first_seen;
  TimePoint last_seen;
  std::optional<TimePoint> next_due_at;  // earliest unresolved deadline
};

struct GroupFilter {
  std::string team;
  bool unresolved_only = true;
  int limit = 100;
};

// Inbox queries (exceptions.read). SLA risk sorts by next deadline (soonest first, closed last);
// business impact by order value (largest first); ties by case id (ascending). Keyset cursor
// pagination: stable while cases are added, no case is skipped or repeated across ties. Lists of
// unresolved cases (unresolved_only, an open/acknowledged/retrying state, or an SLA risk other
// than closed) read the inbox indexes of migration 0014 in sort order; lists that include closed
// cases sort their matches.
Result<CasePage> ListCases(store::Store& store, const TenantScope& scope, const CaseFilter& filter);
Result<CaseView> GetCase(store::Store& store, const TenantScope& scope, const ExceptionCaseId& id);
// Groups by root cause, most unresolved members first (then largest impact).
Result<std::vector<GroupView>> ListGroups(store::Store& store, const TenantScope& scope,
                                          const GroupFilter& filter);
// The ids of a group's cases (unresolved only when asked), oldest first.
Result<std::vector<ExceptionCaseId>> GroupMembers(store::Store& store, const TenantScope& scope,
                                                  std::string_view root_cause_key,
                                                  bool unresolved_only);

// What a bulk action did: the cases it acted on, and those it passed over with the reason
// (e.g. already resolved). A single-case call fails instead of passing over.
struct BulkOutcome {
  std::vector<ExceptionCaseId> done;
  std::vector<std::pair<ExceptionCaseId, Status>> skipped;
};

// Actions (exceptions.act). One transaction for all `ids`; each case either acts or is passed
// over whole (savepoints). With a single id, a refusal is returned as the error.
Result<BulkOutcome> Acknowledge(store::Store& store, const TenantScope& scope,
                                const std::vector<ExceptionCaseId>& ids, std::string_view comment);
// Assigns to `team` (owner_team) and/or `assignee` (a user's e-mail or id); empty = unchanged.
Result<BulkOutcome> Assign(store::Store& store, const TenantScope& scope,
                           const std::vector<ExceptionCaseId>& ids, std::string_view team,
                           std::string_view assignee, std::string_view comment);
// Closes the case as resolved with `reason` (required); the run stays as it is.
Result<BulkOutcome> Resolve(store::Store& store, const TenantScope& scope,
                            const std::vector<ExceptionCaseId>& ids, std::string_view reason);

// The payload edits of a case, oldest first.
struct PayloadEdit {
  int64_t seq = 0;
  std::string actor;
  std::string diff_json;  // DiffJson of the payload
  std::string before_digest;
  std::string after_digest;
  TimePoint at;
};
Result<std::vector<PayloadEdit>> ListPayloadEdits(store::Store& store, const TenantScope& scope,
                                                  const ExceptionCaseId& id);

// ---- Txn-level building blocks (for workflow/runtime/exceptions.cc) --------------------------

// Runs `action` for each id inside `txn` under a savepoint per case (see BulkOutcome).
Result<BulkOutcome> ForEachCase(store::Txn& txn, const std::vector<ExceptionCaseId>& ids,
                                const std::function<Status(const ExceptionCaseId&)>& action);
Result<CaseView> LoadCase(store::Txn& txn, const TenantScope& scope, const ExceptionCaseId& id);
// Marks the case acknowledged by the scope's actor when nobody has yet (any human action on a
// case acknowledges it).
Status MarkAcknowledged(store::Txn& txn, const TenantScope& scope, const CaseView& c);
// Records how a case was closed (resolution: resolved, skipped, cancelled) and moves the
// engine's state to resolved when it is not already.
Status MarkClosed(store::Txn& txn, const TenantScope& scope, const CaseView& c,
                  std::string_view resolution, std::string_view reason);
// Keeps an edit's diff (exception_edits) with digests; returns its seq.
Result<int64_t> RecordPayloadEdit(store::Txn& txn, const TenantScope& scope,
                                  const ExceptionCaseId& id, std::string_view diff_json,
                                  std::string_view before_digest, std::string_view after_digest);
// Appends "exception.<verb>" for case `c` by the scope's actor; `details_json` a JSON object
// ("" = {}), never payload bodies.
Status AuditCaseAction(store::Txn& txn, const TenantScope& scope, const CaseView& c,
                       std::string_view verb, std::string_view reason,
                       std::string_view details_json, std::string_view before_digest = "",
                       std::string_view after_digest = "");

// JSON for the CLI and the API: the engine's fields (the `exceptions list --json` keys) plus
// governance and impact fields.
std::string CaseViewToJson(const CaseView& c, bool with_payload);
std::string GroupViewToJson(const GroupView& g);

}  // namespace govflow::governance::exceptions
