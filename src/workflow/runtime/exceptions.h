// Exception cases for operators and the CLI (`govflow exceptions list|show|retry`): runs that
// could not proceed, with their error class, failing step, message and payload. Works on the
// Store directly, so the CLI needs no running runtime; a running runtime picks retried runs up at
// its next claim. Thread-safe (each call is one store transaction).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ids.h"
#include "base/status.h"
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

// JSON forms (for `--json` output).
std::string ExceptionCaseToJson(const store::ExceptionCase& c);
std::string ExceptionDetailToJson(const ExceptionDetail& d);

}  // namespace govflow::workflow::runtime
