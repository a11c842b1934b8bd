// ShopifyAdminSimulator: the storefront's REST Admin API (products, variants, variant price
// updates) on loopback HTTP, behind `govflow-sim shopify --admin-listen HOST:PORT`.
// ShopifyAdminService holds the behaviour; this class serves it over HTTP/1.1 on one io thread.
// docs/simulators.md describes the surface. Public methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sim/shopify_admin_service.h"

namespace govflow::sim {

class ShopifyAdminSimulator {
 public:
  // Binds (loopback only), seeds the products from the Catalogue and starts the io thread.
  static Result<std::unique_ptr<ShopifyAdminSimulator>> Start(ShopifyAdminOptions options);

  ShopifyAdminSimulator(const ShopifyAdminSimulator&) = delete;
  ShopifyAdminSimulator& operator=(const ShopifyAdminSimulator&) = delete;
  ~ShopifyAdminSimulator();  // Stop()s

  uint16_t port() const;
  // "http://127.0.0.1:PORT": the shop_url of a shopify.admin connection.
  std::string shop_url() const;
  ShopifyAdminStats stats() const;
  std::optional<SimVariant> Variant(int64_t id) const;
  std::optional<SimVariant> VariantBySku(std::string_view sku) const;
  std::vector<SimVariant> Variants() const;
  void QueueFault(QueuedFault fault);
  bool SetPrice(int64_t variant_id, int64_t cents);
  void Reset();
  // Closes the listener and every connection and joins the io thread. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit ShopifyAdminSimulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::sim
