#include "connect/erp/business_central/config.h"

#include <boost/json/object.hpp>
#include <cctype>

#include "connect/config_reader.h"

namespace govflow::connect::business_central {
namespace {

bool IsGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

Status FieldError(std::string_view field, std::string_view problem) {
  return InvalidArgument(std::string(kConnectorType) + ": field '" + std::string(field) +
                         "': " + std::string(problem));
}

}  // namespace

std::string Config::CompanyUrl() const {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/api/v2.0/companies(" + company_id + ")";
}

void Config::ApplyDefaults() {
  if (token_url.empty() && !tenant.empty()) {
    token_url = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token";
  }
  if (in_flight_bound.count() == 0) in_flight_bound = request_timeout + std::chrono::seconds(5);
}

Status Config::Validate() const {
  if (!IsHttpUrl(base_url)) return FieldError("base_url", "must be an http:// or https:// URL");
  if (base_url.find('?') != std::string::npos || base_url.find('#') != std::string::npos) {
    return FieldError("base_url", "must not contain a query or fragment");
  }
  if (!IsGuid(company_id)) {
    return FieldError("company_id", "must be a GUID such as 4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1");
  }
  if (client_id.empty()) return FieldError("client_id", "is required");
  if (client_secret.empty()) return FieldError("client_secret", "is required");
  if (token_url.empty()) return FieldError("token_url", "is required (or give 'tenant')");
  if (!IsHttpUrl(token_url)) return FieldError("token_url", "must be an http:// or https:// URL");
  if (request_timeout.count() <= 0) return FieldError("request_timeout_ms", "must be positive");
  if (max_concurrent_requests == 0) {
    return FieldError("max_concurrent_requests", "must be at least 1");
  }
  return Status::Ok();
}

Result<Config> Config::FromJson(const boost::json::value& json) {
  using std::chrono::milliseconds;
  ConfigReader r(std::string(kConnectorType), json);
  Config c;
  c.base_url = r.RequiredString("base_url");
  c.tenant = r.OptionalString("tenant");
  c.company_id = r.RequiredString("company_id");
  c.client_id = r.RequiredString("client_id");
  c.client_secret = r.RequiredString("client_secret");
  c.token_url = r.OptionalString("token_url");
  c.scope = r.OptionalString("scope", c.scope);
  c.request_timeout = r.OptionalMillis("request_timeout_ms", c.request_timeout, milliseconds(100),
                                       milliseconds(600'000));
  c.connect_timeout = r.OptionalMillis("connect_timeout_ms", c.connect_timeout, milliseconds(50),
                                       milliseconds(120'000));
  c.token_timeout = r.OptionalMillis("token_timeout_ms", c.token_timeout, milliseconds(100),
                                     milliseconds(120'000));
  c.token_refresh_margin = r.OptionalMillis("token_refresh_margin_ms", c.token_refresh_margin,
                                            milliseconds(0), milliseconds(3'600'000));
  c.in_flight_bound = r.OptionalMillis("in_flight_bound_ms", milliseconds(0), milliseconds(0),
                                       milliseconds(3'600'000));
  c.max_concurrent_requests = static_cast<size_t>(r.OptionalInt(
      "max_concurrent_requests", static_cast<int64_t>(c.max_concurrent_requests), 1, 10'000));
  c.max_queued_requests = static_cast<size_t>(r.OptionalInt(
      "max_queued_requests", static_cast<int64_t>(c.max_queued_requests), 0, 10'000'000));
  c.circuit_breaker.failure_threshold = static_cast<int>(r.OptionalInt(
      "circuit_failure_threshold", c.circuit_breaker.failure_threshold, 1, 1'000'000));
  c.circuit_breaker.cool_down =
      r.OptionalMillis("circuit_cool_down_ms", c.circuit_breaker.cool_down, milliseconds(0),
                       milliseconds(3'600'000));
  GOVFLOW_RETURN_IF_ERROR(r.Finish());
  if (c.token_url.empty() && c.tenant.empty()) {
    return FieldError("tenant", "is required when 'token_url' is not given");
  }
  c.ApplyDefaults();
  GOVFLOW_RETURN_IF_ERROR(c.Validate());
  return c;
}

}  // namespace govflow::connect::business_central
