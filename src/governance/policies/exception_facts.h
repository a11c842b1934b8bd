// What the exception policies (severity, ownership, SLA, escalation) look at: the facts of one
// exception case after classification, and its business impact. Plain values; thread-compatible.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

namespace govflow::governance::policies {

enum class Severity { kP1 = 1, kP2 = 2, kP3 = 3, kP4 = 4 };
std::string_view SeverityName(Severity severity);  // "P1" ...
// "P1".."P4" (case-insensitive); false when not one of them.
bool ParseSeverity(std::string_view text, Severity* out);

struct ExceptionFacts {
  std::string process;         // the workflow name, e.g. "order-capture"
  std::string step;            // the failing step
  std::string error_class;     // the engine's class: validation, rejected, transient, ...
  std::string category;        // master_data, data, connectivity, ... (exception_intake.cc)
  std::string root_cause_key;  // e.g. "unknown_item:SKU-123"
  std::string message;
  // Business impact: the order value at risk in minor units of `currency`, and the customer.
  int64_t order_value_minor = 0;
  std::string currency;
  std::string customer_key;
  // The triggering event (the run's input), bound as `event` in conditions. Not owned.
  const boost::json::value* event = nullptr;
};

}  // namespace govflow::governance::policies
