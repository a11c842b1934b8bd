// The connector registry: every connector type by its dotted name, in ONE explicit table
// (registry.cc). The engine creates connectors only through it and sees only connector.h.
// Stateless; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <span>
#include <string_view>

#include "base/status.h"
#include "connect/connector.h"

namespace govflow::connect {

enum class ConnectorDirection { kInbound, kOutbound };

struct ConnectorType {
  std::string_view name;  // "shopify.webhooks"
  ConnectorDirection direction;
  std::string_view description;
  // Checks a config without creating anything (for `govflow apply` and document review).
  Status (*validate)(const boost::json::value& config);
  Result<std::unique_ptr<Connector>> (*create)(const boost::json::value& config,
                                               const ConnectorContext& context);
};

std::span<const ConnectorType> ConnectorTypes();
// nullptr for an unknown name.
const ConnectorType* FindConnectorType(std::string_view name);

// Validates `config` for connector `type`; errors name the field. Unknown type: kNotFound.
Status ValidateConnectorConfig(std::string_view type, const boost::json::value& config);
Result<std::unique_ptr<Connector>> CreateConnector(std::string_view type,
                                                   const boost::json::value& config,
                                                   const ConnectorContext& context);

}  // namespace govflow::connect
