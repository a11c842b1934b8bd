// ShopifyAdminService: the storefront side of the Shopify simulator, without the HTTP plumbing:
// the REST Admin API's products and variants (seeded from the Catalogue, so the SKUs are the ones
// the order generator sends and the ERP simulator knows), variant price updates, the
// X-Shopify-Access-Token check, the leaky-bucket call limit (X-Shopify-Shop-Api-Call-Limit, 429
// with Retry-After), seeded faults (the --faults SPEC of the ERP simulator: error, throttle,
// timeout with timeout_after_create meaning "after the write", latency) and queued one-off
// faults for tests. Not thread-safe: ShopifyAdminSimulator serialises calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/fault_spec.h"
#include "sim/rng.h"

namespace govflow::sim {

struct ShopifyAdminOptions {
  std::string host = "127.0.0.1";  // must be a loopback address
  uint16_t port = 0;               // 0 = pick a free port
  // When non-empty, only this X-Shopify-Access-Token is accepted; empty accepts any non-empty.
  std::string access_token;
  FaultSpec faults;
  uint64_t seed = 1;
  // The leaky bucket: `bucket_size` requests, leaking `leak_per_second` (Shopify: 40 and 2).
  int bucket_size = 40;
  double leak_per_second = 2.0;
};

// Counters since start or the last Reset().
struct ShopifyAdminStats {
  uint64_t requests = 0;       // every HTTP request, /_sim included
  uint64_t reads = 0;          // answered GETs of products/variants
  uint64_t price_updates = 0;  // variant PUTs that changed the variant (applied writes)
  uint64_t unauthorized = 0;   // 401 answers
  uint64_t not_found = 0;      // 404 answers
  uint64_t invalid = 0;        // 400/422 answers
  uint64_t throttled = 0;      // 429 answers (bucket or injected)
  uint64_t errors = 0;         // injected 5xx
  uint64_t timeouts = 0;       // requests held and dropped without an answer
  uint64_t timeouts_after_write = 0;
  std::string ToJson() const;  // GET /_sim/stats (camelCase keys)
};

struct AdminRequest {
  std::string_view method;
  std::string_view target;  // path and query
  std::string_view access_token;
  std::string_view body;
  std::string_view host;  // the Host header, for absolute Link URLs
};

struct AdminReply {
  enum class Action { kRespond, kHoldAndClose };
  Action action = Action::kRespond;
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::microseconds delay{0};
  std::chrono::milliseconds hold{0};
};

// A one-off fault for the next matching Admin API request (tests): answer `status` (5xx, 429
// with Retry-After, ...) or, with status 0, hold and drop the connection; apply_first performs a
// write before failing (the caller cannot know it happened).
struct QueuedFault {
  int status = 503;
  bool writes_only = false;
  bool apply_first = false;
};

struct SimVariant {
  int64_t id = 0;
  int64_t product_id = 0;
  std::string sku;
  std::string title;
  int64_t price_cents = 0;
  std::optional<int64_t> compare_at_cents;
  int position = 1;
  int grams = 0;
  std::string updated_at;
};

class ShopifyAdminService {
 public:
  explicit ShopifyAdminService(const ShopifyAdminOptions& options);

  // `now` drives the bucket's leak.
  AdminReply Handle(const AdminRequest& request, std::chrono::steady_clock::time_point now);

  ShopifyAdminStats Stats() const { return stats_; }
  std::optional<SimVariant> Variant(int64_t id) const;
  std::optional<SimVariant> VariantBySku(std::string_view sku) const;
  // Every variant with its current price, by id.
  std::vector<SimVariant> Variants() const;
  void QueueFault(QueuedFault fault) { queued_.push_back(fault); }
  // Sets a price directly (a change made in the Shopify admin, outside govflow).
  bool SetPrice(int64_t variant_id, int64_t cents);
  // Prices and counters back to the seed; the fault sequence restarts.
  void Reset();

 private:
  struct Product {
    int64_t id = 0;
    std::string title;
    std::string product_type;
    std::vector<int64_t> variant_ids;
  };

  AdminReply HandleApi(const AdminRequest& request, std::string_view path, std::string_view query,
                       std::chrono::steady_clock::time_point now);
  AdminReply HandleSim(const AdminRequest& request, std::string_view path);
  AdminReply PutVariant(int64_t id, std::string_view body);
  std::string VariantJson(const SimVariant& v) const;
  std::string ProductJson(const Product& p, bool variants_only) const;
  std::string NextTimestamp();

  ShopifyAdminOptions options_;
  SimRng rng_;
  ShopifyAdminStats stats_;
  std::vector<Product> products_;
  std::map<int64_t, SimVariant> variants_;
  std::deque<QueuedFault> queued_;
  int throttle_left_ = 0;
  double bucket_ = 0;
  std::optional<std::chrono::steady_clock::time_point> bucket_at_;
  int64_t clock_seconds_ = 0;  // updated_at advances one second per write (deterministic)
};

}  // namespace govflow::sim
