// The runtime's persisted view of one run: what it writes into runs.context_json (step outputs,
// the run's attempt, where the current call or wait stands), the idempotency key of a call step,
// and how connector failures map onto workflow error classes. Pure values and functions;
// thread-compatible.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "connect/call_result.h"
#include "workflow/error_class.h"

namespace govflow::workflow::runtime {

// runs.context_json, as the runtime writes it:
//   {"steps": {...}, "attempt": 1, "attempt_base": 0, "call_started_us": 0, "wait_until_us": 0,
//    "approval_id": "..." (only while an approve step waits)}
struct RunContext {
  boost::json::value steps = boost::json::object();  // StepContext::steps_value()
  int64_t attempt = 1;                               // RunInfo.attempt: 1, then +1 per manual retry
  // Effect attempts already spent on the current call step before the last manual retry: the
  // retry policy counts attempts since then.
  int64_t attempt_base = 0;
  // When the last create attempt of the current call step started (the wait-out runs from it).
  int64_t call_started_us = 0;
  // The deadline of the current wait step, once computed (0 = not yet).
  int64_t wait_until_us = 0;
  // The approval task the current approve step waits for ("" = none asked yet). Cleared when
  // its decision is taken in, so a manual retry of the run asks again.
  std::string approval_id;

  std::string ToJson() const;
  // The same text as ToJson() with `steps_json` (the serialised steps object, e.g.
  // json::serialize(StepContext::steps_value())) in place of `steps`, which is not read: lets the
  // runtime serialise a run's steps once per flush instead of copying them into a document.
  std::string ToJson(std::string_view steps_json) const;
  // "{}" and missing fields give the defaults; a malformed document is kInternal.
  static Result<RunContext> FromJson(std::string_view json);
};

// The idempotency key of a call step: stable across retries, restarts and manual retries of the
// same run (DESIGN.md invariant 2). "<tenant>/<run>/<step>".
std::string IdempotencyKey(const TenantId& tenant, const RunId& run, std::string_view step);

// connect's classification -> the workflow's vocabulary (what retry_on and exceptions name).
// A transport timeout ("timeout" code) becomes kTimeout.
ErrorClass ToWorkflowErrorClass(const connect::CallFailure& failure);

// Whether the remote may have acted although we saw a failure: the effect's outcome is unknown
// and must be settled by lookup before creating again.
bool OutcomeUnknown(const connect::CallFailure& failure);

// Whether the remote system itself answered the request, so that nothing of it is still in
// flight: an HTTP answer carrying the remote's own error code (a Business Central 500 with its
// error body), except 408 and 504, which say the request timed out on the way and may still be
// running. A gateway's page (no remote code) and a missing answer (timeout, reset) are not ended.
// For an unknown outcome this lets the runtime look the business key up at once instead of
// waiting out the in-flight bound.
bool RequestEnded(const connect::CallFailure& failure);

inline int64_t ToMicros(TimePoint t) {
  return t.time_since_epoch().count();
}
inline TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

}  // namespace govflow::workflow::runtime
