// Settling an unknown outcome (DESIGN.md invariant 2): after an effectful call ended "unknown"
// and the engine has waited the connector's in_flight_bound(), SettleUnknownOutcome asks the
// remote system, through the operation's declared lookup, whether the effect happened. The engine
// then either takes the existing record as the step's result or calls the operation again (with
// the same idempotency key and business key). Stateless; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <functional>

#include "connect/call_result.h"
#include "connect/connector.h"

namespace govflow::connect {

struct Settlement {
  // True: the remote holds the effect; `record` is it, in the operation's result shape. Do not
  // call the operation again. False: it did not happen; calling it again is safe.
  bool already_applied = false;
  boost::json::value record;
  // How many remote records carry the business key. More than one means duplicates already
  // exist (made outside govflow, or before it was in charge): raise an exception case.
  int matches = 0;
};

// For kLookupByBusinessKey operations: calls `lookup_operation` with the original payload and
// reads its {"found", "record", "matches"} result. For kIdempotencyKeyHeader and kNotNeeded:
// answers at once with already_applied = false (re-sending with the same key is safe). An
// unknown operation completes with kValidation; a failed lookup with its own CallFailure
// (retry the settlement later on transient/throttled; never create instead).
void SettleUnknownOutcome(OutboundConnector& connector, const ConnectorCall& original,
                          std::function<void(CallResult<Settlement>)> done);

}  // namespace govflow::connect
