// The typed, validated configuration of a Business Central (API v2.0) connection. A value type.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <string>

#include "base/status.h"
#include "connect/resilience/circuit_breaker.h"

namespace govflow::connect::business_central {

inline constexpr std::string_view kConnectorType = "erp.business_central";

struct Config {
  // The environment root: "https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}"
  // (or the simulator's "http://127.0.0.1:PORT"). API paths are appended: /api/v2.0/companies(..)
  std::string base_url;
  std::string tenant;      // Microsoft Entra tenant id; only needed for the default token_url
  std::string company_id;  // the company GUID
  std::string client_id;
  std::string client_secret;
  // OAuth2 client-credentials endpoint. Default:
  // https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
  std::string token_url;
  std::string scope = "https://api.businesscentral.dynamics.com/.default";
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds token_timeout{10'000};
  // A cached token is renewed this long before it expires (at most half its lifetime).
  std::chrono::milliseconds token_refresh_margin{300'000};
  // After an unknown outcome is reported, how long to wait before the lookup may be trusted.
  // Default: request_timeout + 5 s (see docs/connectors.md on the server side's bound).
  std::chrono::milliseconds in_flight_bound{0};
  size_t max_concurrent_requests = 16;
  size_t max_queued_requests = 10'000;
  CircuitBreakerOptions circuit_breaker;

  // "{base_url}/api/v2.0/companies({company_id})"
  std::string CompanyUrl() const;

  // Reads the JSON form (docs/connectors.md); every error names its field.
  static Result<Config> FromJson(const boost::json::value& json);
  // Fills derived defaults: token_url from tenant, in_flight_bound from request_timeout.
  void ApplyDefaults();
  // Checks a Config built in code (FromJson calls it too); call ApplyDefaults() first.
  Status Validate() const;
};

}  // namespace govflow::connect::business_central
