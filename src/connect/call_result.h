// What an outbound connector call produced: a value, or a CallFailure with its error class. The
// error class is the contract with the engine's retry policies (docs/connectors.md lists them and
// the tables that produce them). Values; thread-compatible.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace govflow::connect {

enum class ErrorClass {
  kValidation,  // the request is wrong; the same request fails again (permanent)
  kMasterData,  // the remote system's master data rejects it (unknown item, blocked customer);
                // permanent until someone fixes the data, then retry
  kAuth,        // credentials rejected or not permitted (after one token refresh)
  kNotFound,    // the addressed resource does not exist (permanent)
  kConflict,    // a conflicting record or concurrent change (permanent for this request)
  kThrottled,   // rate limited: retry after retry_after (or backoff)
  kTransient,   // the request was not acted on (5xx, connect failure, circuit open): retry
  kUnknown,     // the request may or may not have been acted on: settle by lookup before retrying
};

// "validation", "master_data", "auth", "not_found", "conflict", "throttled", "transient",
// "unknown": the names workflow retry policies use.
std::string_view ErrorClassName(ErrorClass error_class);
std::optional<ErrorClass> ParseErrorClass(std::string_view name);
// Whether retrying the same request later may succeed without anyone changing anything.
bool IsRetryable(ErrorClass error_class);

struct CallFailure {
  ErrorClass error_class = ErrorClass::kTransient;
  int http_status = 0;  // 0 when no HTTP answer was received
  std::string code;     // the remote error code ("Internal_RecordNotFound"), or the transport
                        // error name ("timeout"), or a local reason ("circuit_open")
  std::string message;  // human-readable, from the remote system where it gave one
  std::optional<std::chrono::milliseconds> retry_after;  // the remote's (or breaker's) wait

  // "throttled (429 Application_TooManyRequests): Too many requests reached."
  std::string ToString() const;
};

template <typename T>
class CallResult {
 public:
  CallResult(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  CallResult(CallFailure failure)
      : v_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  const CallFailure& failure() const {
    assert(!ok());
    return std::get<CallFailure>(v_);
  }

 private:
  std::variant<T, CallFailure> v_;
};

}  // namespace govflow::connect
