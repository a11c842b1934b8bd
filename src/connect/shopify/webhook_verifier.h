// Shopify webhooks in: signature check (X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, raw
// body)), compared in constant time), header validation, size limit and topic routing, producing
// a typed InboundDelivery or a DeliveryRejection with the HTTP status to answer.
// Immutable after creation; thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connect/connector.h"

namespace govflow::connect::shopify {

inline constexpr std::string_view kConnectorType = "shopify.webhooks";

struct WebhookConfig {
  // The app's client secret; `previous_secrets` are still accepted during a rotation.
  std::string secret;
  std::vector<std::string> previous_secrets;
  // When set, deliveries from another shop are refused (403).
  std::string shop_domain;
  size_t max_body_bytes = 2u << 20;
  // topic -> workflow trigger. Empty: every topic routes to a trigger named like the topic.
  std::map<std::string, std::string, std::less<>> routes;

  // Reads {"secret", "previous_secrets", "shop_domain", "max_body_bytes", "routes"}; errors name
  // the field.
  static Result<WebhookConfig> FromJson(const boost::json::value& config);
};

// base64(HMAC-SHA256(secret, body)): the header value Shopify sends.
std::string ComputeWebhookHmac(std::string_view secret, std::string_view body);
// Constant-time check of a header value against the body. The header is base64 (surrounding
// whitespace and a trailing newline tolerated); anything that does not decode to 32 bytes fails.
bool VerifyWebhookHmac(std::string_view secret, std::string_view body, std::string_view header);

class WebhookConnector final : public InboundConnector {
 public:
  static Result<std::unique_ptr<WebhookConnector>> Create(WebhookConfig config);

  std::string_view type() const override { return kConnectorType; }
  size_t max_body_bytes() const override { return config_.max_body_bytes; }
  // Order of checks: size (413), body present (400), signature header present and valid (401),
  // required headers present and well-formed (400), JSON object body (400), shop domain (403),
  // then routing. Header names match case-insensitively, "X-Shopify-Topic" or "shopify-topic".
  InboundResult Accept(const InboundHttpRequest& request) const override;

 private:
  explicit WebhookConnector(WebhookConfig config) : config_(std::move(config)) {}
  WebhookConfig config_;
};

}  // namespace govflow::connect::shopify
