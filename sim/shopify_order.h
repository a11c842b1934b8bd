// Shopify orders/create webhook bodies and signatures, as the Shopify simulator sends them.
// The body follows the Admin REST order resource (api version 2026-07; fixtures
// shopify/rest_examples/rest_order_2026_07.json): money as decimal strings, ids as integers,
// line items with sku/quantity/price/title/variant_id, customer, billing and shipping addresses.
// Pure functions over a seed and an order index: the same inputs give byte-identical output.
// Thread-safe (no shared mutable state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace govflow::sim {

struct ShopifyOrderOptions {
  uint64_t seed = 1;
  // Probability that an order carries one line whose SKU the ERP does not know.
  double bad_sku = 0;
  // Probability that an order comes from a customer the ERP has blocked.
  double blocked_customer = 0;
  std::string shop_domain = "govflow-demo.myshopify.com";
  std::string currency = "USD";
};

// One generated order: its body and the identities the webhook headers carry.
struct ShopifyOrder {
  int64_t id = 0;            // order id (distinct per seed and index)
  std::string name;          // "#1001"
  std::string body;          // the raw JSON body
  std::string webhook_id;    // X-Shopify-Webhook-Id (kept on redelivery)
  std::string event_id;      // X-Shopify-Event-Id
  std::string triggered_at;  // X-Shopify-Triggered-At (RFC 3339, UTC)
  bool has_bad_sku = false;  // a line's SKU is unknown to the ERP
  bool blocked_customer = false;
};

// Order number `index` (0-based) of the stream for options.seed. For seed 1 the names run from
// #1001; each other seed starts 10,000,000 further on, so streams of different seeds share
// neither order ids nor names.
ShopifyOrder MakeShopifyOrder(const ShopifyOrderOptions& options, uint64_t index);

// X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(key = secret bytes, message = raw body bytes)).
std::string ShopifyHmacBase64(std::string_view secret, std::string_view body);

// Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

}  // namespace govflow::sim
