#include "connect/erp/business_central/config.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace govflow::connect::business_central {
namespace {

boost::json::object Valid() {
  return boost::json::parse(R"({
    "base_url": "https://api.businesscentral.dynamics.com/v2.0/contoso-tenant/production",
    "tenant": "contoso-tenant",
    "company_id": "4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1",
    "client_id": "app-id",
    "client_secret": "app-secret"
  })")
      .as_object();
}

TEST(BusinessCentralConfigTest, ReadsAValidConfigWithDefaults) {
  auto c = Config::FromJson(Valid());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->token_url, "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token");
  EXPECT_EQ(c->scope, "https://api.businesscentral.dynamics.com/.default");
  EXPECT_EQ(c->request_timeout, std::chrono::milliseconds(30'000));
  EXPECT_EQ(c->in_flight_bound, std::chrono::milliseconds(35'000));
  EXPECT_EQ(c->CompanyUrl(),
            "https://api.businesscentral.dynamics.com/v2.0/contoso-tenant/production/api/v2.0/"
            "companies(4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1)");
}

TEST(BusinessCentralConfigTest, ReadsOptionalFields) {
  auto j = Valid();
  j["token_url"] = "http://127.0.0.1:9/token";
  j["request_timeout_ms"] = 2000;
  j["max_concurrent_requests"] = 4;
  j["circuit_failure_threshold"] = 2;
  j["circuit_cool_down_ms"] = 1000;
  j["in_flight_bound_ms"] = 9000;
  auto c = Config::FromJson(j);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->token_url, "http://127.0.0.1:9/token");
  EXPECT_EQ(c->request_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c->max_concurrent_requests, 4u);
  EXPECT_EQ(c->circuit_breaker.failure_threshold, 2);
  EXPECT_EQ(c->circuit_breaker.cool_down, std::chrono::milliseconds(1000));
  EXPECT_EQ(c->in_flight_bound, std::chrono::milliseconds(9000));
}

TEST(BusinessCentralConfigTest, ErrorsNameTheField) {
  struct Case {
    const char* field;
    boost::json::value value;  // null = remove
    const char* message;
  };
  const std::vector<Case> cases = {
      {"client_secret", nullptr, "erp.business_central: field 'client_secret': is required"},
      {"base_url", "ftp://x",
       "erp.business_central: field 'base_url': must be an http:// or https:// URL"},
      {"company_id", "CRONUS",
       "erp.business_central: field 'company_id': must be a GUID such as "
       "4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1"},
      {"request_timeout_ms", "fast",
       "erp.business_central: field 'request_timeout_ms': must be an integer"},
      {"request_timeout_ms", 5,
       "erp.business_central: field 'request_timeout_ms': must be between 100 and 600000"},
      {"client_id", 7, "erp.business_central: field 'client_id': must be a string"},
      {"clientSecret", "x", "erp.business_central: field 'clientSecret': unknown field"},
      {"tenant", nullptr,
       "erp.business_central: field 'tenant': is required when 'token_url' is not given"},
  };
  for (const auto& c : cases) {
    auto j = Valid();
    if (c.value.is_null()) {
      j.erase(c.field);
    } else {
      j[c.field] = c.value;
    }
    auto r = Config::FromJson(j);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(BusinessCentralConfigTest, ApplyDefaultsDerivesTokenUrlAndInFlightBoundForCodeBuiltConfigs) {
  Config c;
  c.base_url = "http://127.0.0.1:1";
  c.company_id = "4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1";
  c.client_id = "a";
  c.client_secret = "b";
  c.tenant = "t1";
  c.request_timeout = std::chrono::milliseconds(1000);
  EXPECT_FALSE(c.Validate().ok());
  c.ApplyDefaults();
  EXPECT_TRUE(c.Validate().ok());
  EXPECT_EQ(c.token_url, "https://login.microsoftonline.com/t1/oauth2/v2.0/token");
  EXPECT_EQ(c.in_flight_bound, std::chrono::milliseconds(6000));
}

TEST(BusinessCentralConfigTest, RejectsNonObjectConfig) {
  auto r = Config::FromJson(boost::json::parse("[1]"));
  EXPECT_EQ(r.status().message(), "erp.business_central: config must be a JSON object");
}

}  // namespace
}  // namespace govflow::connect::business_central
