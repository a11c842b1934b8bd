// Error classes: the small closed vocabulary that says why a step failed. Workflows name them in
// validation rules, `fail` steps and retry policies; connectors classify remote failures into
// them; exception cases are grouped and routed by them. Pure values and functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace govflow::workflow {

enum class ErrorClass {
  kValidation,  // the triggering data breaks a business rule (missing email, bad amount)
  kMapping,     // the data does not fit the workflow's expressions (missing field, wrong type)
  kRejected,    // the remote system refused the request as invalid (unknown item, blocked customer)
  kTransient,   // a remote or network failure that may pass (5xx, connection reset)
  kThrottled,   // the remote asked us to slow down (429, 503 with Retry-After)
  kTimeout,     // no answer in time; the remote may or may not have acted
  kUnknown,     // the outcome cannot be classified (an unexpected response)
  kAuth,        // credentials missing, expired or refused
  kConflict,    // the remote reports a conflicting change or duplicate
  kNotFound,    // a referenced remote object does not exist
  kPolicy,      // governance stopped the run (approval rejected, policy denied)
  kInternal,    // a broken invariant inside govflow
};

// The spelling used in YAML and JSON: "validation", "not_found", ...
std::string_view ErrorClassName(ErrorClass error_class);
// Parses the YAML spelling; nullopt when unknown.
std::optional<ErrorClass> ParseErrorClass(std::string_view name);
// Every class, in declaration order (for "expected one of" messages and docs).
std::span<const ErrorClass> AllErrorClasses();
// The default `retry_on` of a call step: the classes where trying again can succeed
// (transient, throttled, timeout, unknown).
std::span<const ErrorClass> DefaultRetryableClasses();

}  // namespace govflow::workflow
