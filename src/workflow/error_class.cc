#include "workflow/error_class.h"

#include <array>

namespace govflow::workflow {
namespace {

struct ClassName {
  ErrorClass error_class;
  std::string_view name;
};

constexpr std::array<ClassName, 12> kNames = {{
    {ErrorClass::kValidation, "validation"},
    {ErrorClass::kMapping, "mapping"},
    {ErrorClass::kRejected, "rejected"},
    {ErrorClass::kTransient, "transient"},
    {ErrorClass::kThrottled, "throttled"},
    {ErrorClass::kTimeout, "timeout"},
    {ErrorClass::kUnknown, "unknown"},
    {ErrorClass::kAuth, "auth"},
    {ErrorClass::kConflict, "conflict"},
    {ErrorClass::kNotFound, "not_found"},
    {ErrorClass::kPolicy, "policy"},
    {ErrorClass::kInternal, "internal"},
}};

constexpr std::array<ErrorClass, 12> kAll = {
    ErrorClass::kValidation, ErrorClass::kMapping,  ErrorClass::kRejected, ErrorClass::kTransient,
    ErrorClass::kThrottled,  ErrorClass::kTimeout,  ErrorClass::kUnknown,  ErrorClass::kAuth,
    ErrorClass::kConflict,   ErrorClass::kNotFound, ErrorClass::kPolicy,   ErrorClass::kInternal,
};

constexpr std::array<ErrorClass, 4> kRetryable = {ErrorClass::kTransient, ErrorClass::kThrottled,
                                                  ErrorClass::kTimeout, ErrorClass::kUnknown};

}  // namespace

std::string_view ErrorClassName(ErrorClass error_class) {
  for (const ClassName& entry : kNames) {
    if (entry.error_class == error_class) return entry.name;
  }
  return "internal";
}

std::optional<ErrorClass> ParseErrorClass(std::string_view name) {
  for (const ClassName& entry : kNames) {
    if (entry.name == name) return entry.error_class;
  }
  return std::nullopt;
}

std::span<const ErrorClass> AllErrorClasses() {
  return kAll;
}

std::span<const ErrorClass> DefaultRetryableClasses() {
  return kRetryable;
}

}  // namespace govflow::workflow
