#include "connect/registry.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "connect/http/fake_http_client.h"

namespace govflow::connect {
namespace {

TEST(RegistryTest, ListsEveryConnectorTypeByDottedName) {
  std::vector<std::string> names;
  for (const auto& t : ConnectorTypes()) names.emplace_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"shopify.webhooks", "erp.business_central",
                                             "shopify.admin"}));
  EXPECT_EQ(FindConnectorType("shopify.admin")->direction, ConnectorDirection::kOutbound);
  EXPECT_EQ(FindConnectorType("shopify.webhooks")->direction, ConnectorDirection::kInbound);
  EXPECT_EQ(FindConnectorType("erp.business_central")->direction, ConnectorDirection::kOutbound);
  EXPECT_EQ(FindConnectorType("erp.sap"), nullptr);
}

TEST(RegistryTest, CreatesConnectorsFromJsonConfig) {
  FakeHttpClient http;
  ManualClock clock{TimePoint(std::chrono::seconds(0))};
  ConnectorContext ctx{&http, &clock};
  auto shop = CreateConnector("shopify.webhooks", boost::json::parse(R"({"secret":"s"})"), ctx);
  ASSERT_TRUE(shop.ok()) << shop.status().ToString();
  EXPECT_EQ((*shop)->type(), "shopify.webhooks");
  EXPECT_NE((*shop)->AsInbound(), nullptr);
  EXPECT_EQ((*shop)->AsOutbound(), nullptr);

  auto erp = CreateConnector("erp.business_central", boost::json::parse(R"({
      "base_url":"http://127.0.0.1:9","company_id":"4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1",
      "client_id":"a","client_secret":"b","token_url":"http://127.0.0.1:9/token"})"),
                             ctx);
  ASSERT_TRUE(erp.ok()) << erp.status().ToString();
  EXPECT_EQ((*erp)->type(), "erp.business_central");
  ASSERT_NE((*erp)->AsOutbound(), nullptr);
  EXPECT_EQ((*erp)->AsOutbound()->in_flight_bound(), std::chrono::milliseconds(35'000));
}

TEST(RegistryTest, ValidationErrorsNameTheField) {
  Status s = ValidateConnectorConfig("erp.business_central", boost::json::parse(R"({
      "base_url":"x","company_id":"4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1","client_id":"a",
      "client_secret":"b","tenant":"t"})"));
  EXPECT_EQ(s.message(),
            "erp.business_central: field 'base_url': must be an http:// or https:// URL");
  s = ValidateConnectorConfig("nope", boost::json::parse("{}"));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace govflow::connect
