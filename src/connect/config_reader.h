// ConfigReader: reads a connector's typed config from a JSON object and reports errors that name
// the field ("erp.business_central: field 'base_url': must be an http:// or https:// URL").
// Unknown fields are errors too, so a misspelt option never goes silently unused.
// Use one reader per config object, from one thread.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::connect {

class ConfigReader {
 public:
  // `context` prefixes every message (e.g. "shopify.webhooks"). A non-object config is reported by
  // Finish().
  ConfigReader(std::string context, const boost::json::value& config);

  // Each returns the value, or a default; on a wrong type or a missing required field it records
  // the first error (later calls are no-ops) and returns an empty/default value.
  std::string RequiredString(std::string_view field);
  std::string OptionalString(std::string_view field, std::string default_value = {});
  int64_t OptionalInt(std::string_view field, int64_t default_value, int64_t min, int64_t max);
  std::chrono::milliseconds OptionalMillis(std::string_view field,
                                           std::chrono::milliseconds default_value,
                                           std::chrono::milliseconds min,
                                           std::chrono::milliseconds max);
  // A nested object (nullptr when absent or on error).
  const boost::json::object* OptionalObject(std::string_view field);
  // A nested array (nullptr when absent or on error).
  const boost::json::array* OptionalArray(std::string_view field);
  // Records an error about `field` found by the caller's own check.
  void Fail(std::string_view field, std::string_view problem);

  // The first error, or an error naming the first unknown field; OK otherwise.
  Status Finish();

 private:
  const boost::json::value* Lookup(std::string_view field);

  std::string context_;
  const boost::json::object* object_ = nullptr;
  std::set<std::string, std::less<>> seen_;
  Status error_;
};

// Whether `url` is an absolute http:// or https:// URL with a host.
bool IsHttpUrl(std::string_view url);

}  // namespace govflow::connect
