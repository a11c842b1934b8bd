// Exception cases for operators and the CLI (`govflow exceptions ...`): runs that could not
// proceed, with their error class, failing step, message and payload, and the actions that
// manipulate their runs — retry, edit the payload and retry, skip the failed step, cancel the
// run — for one case or many, as a TenantScope (exceptions.act), audited in the same transaction
// (governance/exceptions/cases.h holds the inbox and acknowledge/assign/resolve). Works on the
// Store directly, so the CLI needs no running runtime; a running runtime picks retried runs up at
// its next claim. Thread-safe (each call is one store transaction).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "governance/exceptions/cases.h"
#include "store/store.h"

namespace govflow::workflow::runtime {

struct ExceptionDetail {
  store::ExceptionCase exception;
  store::Run run;
  std::vector<store::RunEvent> history;  // the run's history, oldest first
};

// Oldest first; `state` nullopt lists every state.
Result<std::vector<store::ExceptionCase>> ListExceptions(store::Store& store,
                                                         const TenantId& tenant,
                                                         std::optional<store::ExceptionState> state,
                                                         int limit = 1000);
Result<ExceptionDetail> ShowException(store::Store& store, const TenantId& tenant,
                                      const ExceptionCaseId& id);
// Resets the run to the failed step and makes it due now: the case goes open -> retrying, the run
// failed -> pending with attempt + 1 and a fresh retry budget (the call step's idempotency key is
// unchanged, so an effect that did happen is found, not repeated). When the run then succeeds the
// case becomes resolved; if it fails again the case is resolved and a new one carries the new
// reason. kFailedPrecondition when the case is not open or its run is not failed.
Status RetryException(store::Store& store, const TenantId& tenant, const ExceptionCaseId& id);

// ---- Governed actions (issue 4) --------------------------------------------------------------
// Each takes the acting scope (exceptions.act), acts on every id in one transaction (see
// governance::exceptions::BulkOutcome: with one id a refusal is the error), acknowledges the case
// on the actor's behalf when nobody had, and audits "exception.<verb>".

// Retries each case's run from its failed step (as RetryException). The call step keeps its
// idempotency key "<tenant>/<run>/<step>", so an effect that happened is found, not repeated.
Result<governance::exceptions::BulkOutcome> RetryExceptions(store::Store& store,
                                                            const governance::TenantScope& scope,
                                                            const std::vector<ExceptionCaseId>& ids,
                                                            std::string_view comment);

// The editable payload of a case: {"input": <the run's input>, "steps": <step outputs>}.
Result<std::string> EditablePayload(store::Store& store, const governance::TenantScope& scope,
                                    const ExceptionCaseId& id);
// Applies `patch_json` (an RFC 6902 JSON Patch over EditablePayload; paths under /input and
// /steps only) to the run, keeps the diff (exception_edits, with before/after digests; the audit
// event carries digests only) and retries. kInvalidArgument for a malformed or failing patch or
// one that changes nothing.
Result<governance::exceptions::BulkOutcome> EditAndRetryException(
    store::Store& store, const governance::TenantScope& scope, const ExceptionCaseId& id,
    std::string_view patch_json, std::string_view comment);

// Moves each run past its failed step (to the step's `next`, or completes the run when it was
// the last) and closes the case as "skipped". Needs `reason`.
Result<governance::exceptions::BulkOutcome> SkipExceptionSteps(
    store::Store& store, const governance::TenantScope& scope,
    const std::vector<ExceptionCaseId>& ids, std::string_view reason);

// Cancels each case's run (failed -> cancelled) and closes the case as "cancelled". Needs
// `reason`.
Result<governance::exceptions::BulkOutcome> CancelExceptionRuns(
    store::Store& store, const governance::TenantScope& scope,
    const std::vector<ExceptionCaseId>& ids, std::string_view reason);

// JSON forms (for `--json` output).
std::string ExceptionCaseToJson(const store::ExceptionCase& c);
std::string ExceptionDetailToJson(const ExceptionDetail& d);

}  // namespace govflow::workflow::runtime
