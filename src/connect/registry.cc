#include "connect/registry.h"

#include <array>
#include <string>

#include "connect/erp/business_central/client.h"
#include "connect/erp/business_central/config.h"
#include "connect/shopify/admin_client.h"
#include "connect/shopify/webhook_verifier.h"

namespace govflow::connect {
namespace {

Status ValidateShopify(const boost::json::value& config) {
  return shopify::WebhookConfig::FromJson(config).status();
}

Result<std::unique_ptr<Connector>> CreateShopify(const boost::json::value& config,
                                                 const ConnectorContext&) {
  GOVFLOW_ASSIGN_OR_RETURN(shopify::WebhookConfig c, shopify::WebhookConfig::FromJson(config));
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<shopify::WebhookConnector> connector,
                           shopify::WebhookConnector::Create(std::move(c)));
  return std::unique_ptr<Connector>(std::move(connector));
}

Status ValidateShopifyAdmin(const boost::json::value& config) {
  return shopify::AdminConfig::FromJson(config).status();
}

Result<std::unique_ptr<Connector>> CreateShopifyAdmin(const boost::json::value& config,
                                                      const ConnectorContext& context) {
  GOVFLOW_ASSIGN_OR_RETURN(shopify::AdminConfig c, shopify::AdminConfig::FromJson(config));
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<shopify::AdminConnector> connector,
                           shopify::AdminConnector::Create(std::move(c), context));
  return std::unique_ptr<Connector>(std::move(connector));
}

Status ValidateBusinessCentral(const boost::json::value& config) {
  return business_central::Config::FromJson(config).status();
}

Result<std::unique_ptr<Connector>> CreateBusinessCentral(const boost::json::value& config,
                                                         const ConnectorContext& context) {
  GOVFLOW_ASSIGN_OR_RETURN(business_central::Config c, business_central::Config::FromJson(config));
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<business_central::Connector> connector,
                           business_central::Connector::Create(std::move(c), context));
  return std::unique_ptr<Connector>(std::move(connector));
}

// The one table of connector types.
constexpr std::array<ConnectorType, 3> kConnectorTypes = {{
    {shopify::kConnectorType, ConnectorDirection::kInbound,
     "Shopify webhooks in: HMAC-verified, header-validated, topic-routed deliveries",
     &ValidateShopify, &CreateShopify},
    {business_central::kConnectorType, ConnectorDirection::kOutbound,
     "Microsoft Dynamics 365 Business Central API v2.0: sales orders out", &ValidateBusinessCentral,
     &CreateBusinessCentral},
    {shopify::kAdminConnectorType, ConnectorDirection::kOutbound,
     "Shopify Admin REST API: variant prices read and set", &ValidateShopifyAdmin,
     &CreateShopifyAdmin},
}};

}  // namespace

std::span<const ConnectorType> ConnectorTypes() {
  return kConnectorTypes;
}

const ConnectorType* FindConnectorType(std::string_view name) {
  for (const auto& t : kConnectorTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Status ValidateConnectorConfig(std::string_view type, const boost::json::value& config) {
  const ConnectorType* t = FindConnectorType(type);
  if (t == nullptr) return NotFound("unknown connector type '" + std::string(type) + "'");
  return t->validate(config);
}

Result<std::unique_ptr<Connector>> CreateConnector(std::string_view type,
                                                   const boost::json::value& config,
                                                   const ConnectorContext& context) {
  const ConnectorType* t = FindConnectorType(type);
  if (t == nullptr) return NotFound("unknown connector type '" + std::string(type) + "'");
  return t->create(config, context);
}

}  // namespace govflow::connect
