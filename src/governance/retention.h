// Retention (issue 4 item 7): the scheduled job that purges or redacts a tenant's data when its
// retention rules (policies/retention_rules.h) say it is due, legal holds that stop it, and the
// rules each tenant runs under. The job works in bounded batches, each its own transaction with
// its own audit event, so a large purge never holds the writer for long and a crash loses at
// most one uncommitted batch; running it again is harmless (idempotent).
//
// What each data class means in the schema (age = now - the timestamp named):
//   payload_bodies   deliveries.body (received_at), runs.input_json / context_json (updated_at),
//                    effects.request_json / response_json (updated_at),
//                    exception_cases.payload_json (updated_at). Only rows no live run needs: a
//                    delivery whose run is terminal (or that started none), a terminal run, an
//                    effect of a terminal run, a resolved case. redact: the body becomes the marker
//                    {"govflow_redacted":{"at":..,"rule":..,"sha256":..,"size":..}} (the digest
//                    and size of the original); purge: {"govflow_purged":{"at":..,"rule":..}}.
//                    Ids, keys, digests and states are never touched.
//   run_history      terminal runs (updated_at) with their run_events, effects and deliveries,
//                    and deliveries that started no run (received_at). A run that still has an
//                    exception case is kept as long as the case (the case shows its history).
//   exception_cases  resolved cases (updated_at), with their governance companion rows.
//   audit            the tenant's audit events through the latest signed checkpoint older than
//                    the cutoff (PurgeAuditEventsThrough; the checkpoint anchors the chain, which
//                    still verifies).
//   metrics          src/intel's rollups: hour buckets (bucket_start) with their latency bins,
//                    and the rollup's per-object bookkeeping of runs, cases and deliveries that
//                    no longer exist (updated_at).
//
// Thread-safety: the functions are thread-safe as the Store is; two jobs over one tenant at once
// are safe (every batch re-checks what it changes) but wasteful.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "governance/policies/retention_rules.h"
#include "store/store.h"

namespace govflow::governance {

struct RetentionOptions {
  // Report what is due without changing anything (no writes, no audit events, no run log).
  bool dry_run = false;
  // Records per transaction. Bounded so that a big purge never holds the writer long.
  int batch_size = 500;
  // When set, these rules apply to every tenant the job visits (the CLI's --rules FILE, tests);
  // otherwise each tenant's own rules (LoadTenantRetentionRules).
  std::shared_ptr<const RetentionRules> rules;
  // Most audit events one transaction deletes (the audit class purges checkpoint by checkpoint,
  // and always at least through one checkpoint).
  int64_t audit_events_per_batch = 5000;
};

// What the job did (or, dry, would do) for one data class of one tenant.
struct RetentionClassReport {
  DataClass data_class = DataClass::kPayloadBodies;
  // "done" (the class was swept; counts may be 0), "held" (a legal hold on the class or tenant),
  // "no_rule" (the rules say nothing about the class: kept), "not_enforced" (the class cannot
  // be enforced by this build; see note).
  std::string outcome;
  int64_t redacted = 0;  // bodies redacted (purged-in-place bodies count as purged)
  int64_t purged = 0;    // records deleted (run history: runs, events, effects, deliveries ...)
  int64_t batches = 0;   // transactions committed (0 when dry)
  // Records a rule's condition could not decide (kept).
  int64_t condition_errors = 0;
  // Records that were due but kept because another table still refers to them.
  int64_t kept_referenced = 0;
  std::string note;
};

struct TenantRetentionReport {
  TenantId tenant;
  bool held = false;  // a tenant-wide legal hold: nothing was done
  std::string hold_reason;
  // Where the rules came from: "options", "document <name>@<version>", "tenant" (stored with
  // SetTenantRetentionRules), "none".
  std::string rules_source;
  std::string rules_hash;
  std::vector<RetentionClassReport> classes;
};

struct RetentionReport {
  TimePoint started_at;
  bool dry_run = false;
  std::vector<TenantRetentionReport> tenants;
  // Tenants whose sweep failed, with the reason; the other tenants were still swept.
  std::vector<std::pair<TenantId, Status>> failures;
};

// The scheduled job: sweeps every tenant (ListTenants), each with TenantScope::ForSystem(tenant,
// "retention"), cutoffs measured from clock.Now(). A tenant whose sweep fails is recorded in
// report.failures and the others are still swept; the Result fails only when the tenants cannot
// be listed.
Result<RetentionReport> RunRetention(store::Store& store, const Clock& clock,
                                     const RetentionOptions& options);

// One tenant (scope.tenant()); requires perm::kRetentionManage. Writes one retention_runs row
// (unless dry).
Result<TenantRetentionReport> RunRetentionForTenant(store::Store& store, const Clock& clock,
                                                    const TenantScope& scope,
                                                    const RetentionOptions& options);

// The report as JSON (counts and outcomes; never data).
std::string RetentionReportToJson(const TenantRetentionReport& report);

// ---- Legal holds ------------------------------------------------------------------------------

struct LegalHold {
  TenantId tenant;
  std::string hold_id;
  std::optional<DataClass> data_class;  // nullopt: the whole tenant
  std::string reason;
  std::string placed_by;  // Actor::id
  TimePoint placed_at;
};

// Places a hold on the scope's tenant (data_class nullopt: everything) in `txn`, audited as
// "retention.hold". Requires perm::kRetentionManage; kInvalidArgument for an empty reason;
// kAlreadyExists when an active hold already covers exactly that (tenant, class).
Result<LegalHold> PlaceLegalHold(store::Txn& txn, const TenantScope& scope,
                                 std::optional<DataClass> data_class, std::string_view reason);
// Releases the active hold on (tenant, class), audited as "retention.release" with `reason`.
// kNotFound when there is none; kInvalidArgument for an empty reason.
Status ReleaseLegalHold(store::Txn& txn, const TenantScope& scope,
                        std::optional<DataClass> data_class, std::string_view reason);
// The scope's tenant's active holds, oldest first. Requires perm::kRetentionManage.
Result<std::vector<LegalHold>> ListLegalHolds(store::Txn& txn, const TenantScope& scope);

// ---- A tenant's rules -------------------------------------------------------------------------

// Stores `yaml` (checked with ParseRetentionRules) as the scope's tenant's retention rules,
// audited as "retention.rules.set" (after_digest = the text's SHA-256). Requires
// perm::kRetentionManage. Interim home of the rules until governed documents publish them.
Status SetTenantRetentionRules(store::Txn& txn, const TenantScope& scope, std::string_view yaml,
                               std::string_view file_name, std::string_view reason);
// A tenant's rules and where they came from.
struct TenantRetentionRules {
  std::shared_ptr<const RetentionRules> rules;
  // "document <name>@<version>" (the governed "retention" document active in prod), or
  // "tenant" (stored with SetTenantRetentionRules).
  std::string source;
};
// The scope's tenant's rules: the document of kind "retention" that prod runs (its effective
// YAML, templates merged), else the rules stored with SetTenantRetentionRules; nullopt when it
// has neither (then the job keeps everything). kFailedPrecondition when prod runs more than one
// retention document (which rules would apply is then ambiguous: nothing is purged). Requires
// perm::kRetentionManage and, for the document lookup, perm::kDocumentsRead.
Result<std::optional<TenantRetentionRules>> LoadTenantRetentionRules(store::Txn& txn,
                                                                     const TenantScope& scope);

// ---- Status -----------------------------------------------------------------------------------

struct RetentionStatus {
  TenantId tenant;
  std::vector<LegalHold> holds;
  std::string rules_source;  // as TenantRetentionRules::source; "none" when it has no rules
  std::string rules_hash;    // "" when the tenant has no rules
  // The last non-dry sweep, if any.
  std::optional<TimePoint> last_run_at;
  std::string last_outcome;
  std::string last_report_json;
};
// Requires perm::kRetentionManage (and kDocumentsRead, as LoadTenantRetentionRules). Rules
// that no longer parse are reported in rules_source rather than failing the status.
Result<RetentionStatus> GetRetentionStatus(store::Txn& txn, const TenantScope& scope);

// The marker prefixes a redacted or purged body starts with (docs/governance/retention.md).
inline constexpr std::string_view kRedactedMarkerPrefix = "{\"govflow_redacted\":";
inline constexpr std::string_view kPurgedMarkerPrefix = "{\"govflow_purged\":";

}  // namespace govflow::governance
