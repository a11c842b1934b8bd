// FaultSpec: what the ERP simulator does wrong, and how often, parsed from the command line's
// --faults SPEC, e.g. "error=0.05,throttle=0.02,timeout=0.01,latency=2ms..40ms".
// A value type; thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::sim {

struct FaultSpec {
  // Probability per API request of a 5xx (500, 503 or 504, in a 1:2:1 ratio) with a BC error body.
  double error = 0;
  // Probability per API request of starting a 429 burst: this request and up to
  // throttle_burst - 1 following ones are answered 429 with Retry-After, for at most
  // retry_after_seconds from the burst's first 429 (a time window, like a real rate limit).
  double throttle = 0;
  int throttle_burst = 5;
  int retry_after_seconds = 1;
  // Probability per API request of a timeout: the request is held for timeout_hold and the
  // connection closed without an answer. For a salesOrders POST, a fraction
  // timeout_after_create of these first create the sales order, so the caller cannot know.
  double timeout = 0;
  double timeout_after_create = 0.5;
  std::chrono::milliseconds timeout_hold{10'000};
  // Every API request is delayed by a uniform draw from [latency_min, latency_max].
  std::chrono::microseconds latency_min{0};
  std::chrono::microseconds latency_max{0};
  // Data faults, decided per externalDocumentNumber (so every retry of that order gets the same
  // answer): the first line's item is treated as unknown, or the customer as blocked.
  double unknown_item = 0;
  double blocked_customer = 0;

  // Parses "key=value,key=value". Keys: error, throttle, throttle_burst, retry_after, timeout,
  // timeout_after_create, timeout_hold, latency (D or D..D), unknown_item, blocked_customer.
  // Durations take a unit: us, ms, s. An empty spec means no faults.
  static Result<FaultSpec> Parse(std::string_view spec);
  // The canonical "key=value,..." form of this spec (parses back to an equal spec).
  std::string ToString() const;
};

// Parses "250us", "40ms", "2s" (a bare number means milliseconds).
Result<std::chrono::microseconds> ParseDuration(std::string_view text);

}  // namespace govflow::sim
