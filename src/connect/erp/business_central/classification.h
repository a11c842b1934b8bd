// How a Business Central answer (or the lack of one) becomes an outcome: success, or a
// CallFailure with its error class. ONE explicit table (kRules in classification.cc), read top to
// bottom, first match wins; docs/connectors.md reproduces it. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "connect/call_result.h"
#include "connect/http/http_client.h"

namespace govflow::connect::business_central {

// Whether repeating the request could apply its effect twice. A create whose answer never came
// is "unknown"; a read in the same situation is just "transient".
enum class RequestKind { kCreate, kRead };

// The error of a BC body {"error":{"code":"..","message":".."}} or of an OAuth2 token endpoint
// {"error":"invalid_client","error_description":".."}; empty fields when the body has neither.
struct RemoteError {
  std::string code;
  std::string message;
};
RemoteError ParseRemoteError(std::string_view body);

// One row of the table. Transport rows match on `transport` (status 0); HTTP rows on a status
// range, then optionally a code prefix and a message fragment (case-insensitive).
struct ClassificationRule {
  TransportError transport;  // kNone for HTTP rows
  bool requires_reached;     // transport rows: match only if may_have_reached_server
  int status_min;
  int status_max;
  std::string_view code_prefix;       // "" = any code
  std::string_view message_contains;  // "" = any message
  ErrorClass for_create;
  ErrorClass for_read;
  bool honour_retry_after;
  std::string_view why;
};
std::span<const ClassificationRule> ClassificationTable();

// nullopt for a 2xx answer; otherwise the failure. `now` resolves Retry-After HTTP-dates.
std::optional<CallFailure> Classify(const HttpResponse& response, RequestKind kind, TimePoint now);

}  // namespace govflow::connect::business_central
