#include "connect/call_result.h"

#include <array>

namespace govflow::connect {
namespace {

struct ErrorClassRow {
  ErrorClass error_class;
  std::string_view name;
  bool retryable;
};

constexpr std::array<ErrorClassRow, 8> kErrorClasses = {{
    {ErrorClass::kValidation, "validation", false},
    {ErrorClass::kMasterData, "master_data", false},
    {ErrorClass::kAuth, "auth", false},
    {ErrorClass::kNotFound, "not_found", false},
    {ErrorClass::kConflict, "conflict", false},
    {ErrorClass::kThrottled, "throttled", true},
    {ErrorClass::kTransient, "transient", true},
    // Retrying an unknown outcome blindly could apply it twice: settle it first.
    {ErrorClass::kUnknown, "unknown", false},
}};

}  // namespace

std::string_view ErrorClassName(ErrorClass error_class) {
  for (const auto& row : kErrorClasses) {
    if (row.error_class == error_class) return row.name;
  }
  return "unknown";
}

std::optional<ErrorClass> ParseErrorClass(std::string_view name) {
  for (const auto& row : kErrorClasses) {
    if (row.name == name) return row.error_class;
  }
  return std::nullopt;
}

bool IsRetryable(ErrorClass error_class) {
  for (const auto& row : kErrorClasses) {
    if (row.error_class == error_class) return row.retryable;
  }
  return false;
}

std::string CallFailure::ToString() const {
  std::string out(ErrorClassName(error_class));
  if (http_status != 0 || !code.empty()) {
    out += " (";
    if (http_status != 0) out += std::to_string(http_status);
    if (http_status != 0 && !code.empty()) out += ' ';
    out += code;
    out += ')';
  }
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  if (retry_after) out += " [retry after " + std::to_string(retry_after->count()) + " ms]";
  return out;
}

}  // namespace govflow::connect
