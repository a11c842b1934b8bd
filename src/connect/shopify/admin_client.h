// The Shopify Admin REST API for variant prices: read a variant (GET
// /admin/api/{version}/variants/{id}.json), set its price and compare-at price (PUT the same URL
// with {"variant":{"id":..,"price":"19.99","compare_at_price":..}}), and find a variant by SKU
// (GET /admin/api/{version}/products.json, following Link rel="next" pages). Authenticated with
// the X-Shopify-Access-Token header; the X-Shopify-Shop-Api-Call-Limit bucket ("32/40") is read
// from every answer; 429 answers carry Retry-After in (fractional) seconds. Outcomes follow ONE
// explicit table (AdminClassificationTable, docs/connectors.md style), first match wins.
// Shopify does not deduplicate requests; a price PUT sets absolute values, so repeating it is
// harmless, and callers settle an unknown outcome by reading the variant back (read-before-write).
// Thread-safe; callbacks run on the HTTP client's thread (or the caller's when answered at once)
// and must not block. The HttpClient and Clock must outlive the client and its in-flight calls.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "connect/call_result.h"
#include "connect/connector.h"
#include "connect/http/http_client.h"
#include "connect/resilience/circuit_breaker.h"

namespace govflow::connect::shopify {

inline constexpr std::string_view kAdminConnectorType = "shopify.admin";
// The REST Admin API version whose shapes the client follows (the fixtures' version).
inline constexpr std::string_view kDefaultAdminApiVersion = "2026-07";

struct AdminConfig {
  // "https://shop1.myshopify.com" (or the simulator's "http://127.0.0.1:PORT"); no trailing '/'.
  std::string shop_url;
  std::string access_token;  // the app's Admin API access token ("shpat_...")
  std::string api_version = std::string(kDefaultAdminApiVersion);
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds connect_timeout{5'000};
  CircuitBreakerOptions circuit_breaker;

  // "{shop_url}/admin/api/{api_version}"
  std::string AdminUrl() const;
  // Reads {"shop_url", "access_token", "api_version", "request_timeout_ms", "connect_timeout_ms",
  // "circuit_failure_threshold", "circuit_cool_down_ms"}; errors name the field.
  static Result<AdminConfig> FromJson(const boost::json::value& json);
  Status Validate() const;
};

// A variant's identity and price as the storefront holds it. Prices are Shopify's decimal
// strings ("19.99"); compare_at_price is nullopt when the variant has none (JSON null).
struct VariantPrice {
  int64_t variant_id = 0;
  int64_t product_id = 0;
  std::string sku;
  std::string title;
  std::string price;
  std::optional<std::string> compare_at_price;
  std::string updated_at;
};

// What to write. compare_at_price: nullopt leaves it as it is; "" clears it (JSON null).
struct VariantPriceUpdate {
  int64_t variant_id = 0;
  std::string price;
  std::optional<std::string> compare_at_price;
};

// X-Shopify-Shop-Api-Call-Limit "used/limit" (the REST leaky bucket).
struct CallLimit {
  int used = 0;
  int limit = 0;
};
std::optional<CallLimit> ParseCallLimit(std::string_view header);

// Shopify errors: {"errors":"Not Found"} or {"errors":{"price":["must be ..."]}} (flattened to
// "price: must be ..."). Empty when the body has neither.
std::string ParseAdminErrors(std::string_view body);

// Whether a repeat of the request could change something twice. A PUT sets absolute values, so
// an unknown outcome of a write is "unknown" (settle by reading), of a read "transient".
enum class AdminRequestKind { kWrite, kRead };

struct AdminClassificationRule {
  TransportError transport;  // kNone for HTTP rows
  bool requires_reached;     // transport rows: match only if may_have_reached_server
  int status_min;
  int status_max;
  ErrorClass for_write;
  ErrorClass for_read;
  bool honour_retry_after;
  std::string_view why;
};
std::span<const AdminClassificationRule> AdminClassificationTable();

// nullopt for a 2xx answer; otherwise the failure (Retry-After honoured where the table says,
// including Shopify's fractional "2.0").
std::optional<CallFailure> ClassifyAdminResponse(const HttpResponse& response,
                                                 AdminRequestKind kind, TimePoint now);

class AdminClient {
 public:
  using VariantCallback = std::function<void(CallResult<VariantPrice>)>;
  // nullopt value: no variant carries the SKU.
  using FindCallback = std::function<void(CallResult<std::optional<VariantPrice>>)>;

  static Result<std::unique_ptr<AdminClient>> Create(AdminConfig config, HttpClient& http,
                                                     const Clock& clock);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // GET variants/{id}.json. kNotFound for an unknown variant.
  void GetVariant(int64_t variant_id, VariantCallback done);
  // PUT variants/{id}.json with the price (and compare-at price when given). The idempotency key
  // is sent as an Idempotency-Key header for tracing; Shopify ignores it. The client never
  // re-sends a write; on kUnknown the caller reads the variant to learn what happened.
  void UpdateVariantPrice(VariantPriceUpdate update, std::string idempotency_key,
                          VariantCallback done);
  // GET products.json?limit=250&fields=id,variants, page by page (Link rel="next"), until a
  // variant with exactly this SKU is found.
  void FindVariantBySku(std::string sku, FindCallback done);

  const AdminConfig& config() const;
  // The bucket as of the latest answer that carried the header.
  std::optional<CallLimit> last_call_limit() const;
  CircuitBreaker::State circuit_state() const;

  class Impl;

 private:
  explicit AdminClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// JSON of a VariantPrice: {"id","product_id","sku","title","price","compare_at_price",
// "updated_at"} (compare_at_price null when absent).
boost::json::object VariantPriceToJson(const VariantPrice& v);

// The registry's adapter, "shopify.admin": operations "get_variant" (payload {"variant_id"}),
// "update_variant_price" (payload {"variant_id","price"[,"compare_at_price"]}) and
// "find_variant_by_sku" (payload {"sku"}; result {"found": bool, "variant": ...}). Results are
// VariantPriceToJson objects.
class AdminConnector final : public OutboundConnector {
 public:
  static Result<std::unique_ptr<AdminConnector>> Create(AdminConfig config,
                                                        const ConnectorContext& context);
  std::string_view type() const override { return kAdminConnectorType; }
  std::span<const OperationSpec> operations() const override;
  std::chrono::milliseconds in_flight_bound() const override;
  void Call(ConnectorCall call, CallCallback done) override;

  AdminClient& client() { return *client_; }

 private:
  explicit AdminConnector(std::unique_ptr<AdminClient> client) : client_(std::move(client)) {}
  std::unique_ptr<AdminClient> client_;
};

}  // namespace govflow::connect::shopify
