// The Connector interface: what the engine sees of an external system. A connector is created
// from its connection's typed, validated config by the registry (registry.h) and is either
// inbound (verifies and types deliveries the system pushes, e.g. Shopify webhooks) or outbound
// (performs named operations on the system, e.g. create a Business Central sales order).
// Connectors are immutable after creation except for internal caches, and thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "base/clock.h"
#include "connect/call_result.h"
#include "connect/http/http_client.h"

namespace govflow::connect {

// ---- inbound ----------------------------------------------------------------------------------

// An inbound HTTP request as the API server received it. Views: valid during the call only.
struct InboundHttpRequest {
  std::string_view method;
  std::string_view path;
  const HttpHeaders& headers;
  std::string_view body;  // the raw bytes exactly as received (signatures cover them)
};

// A verified delivery, typed. Field names follow Shopify's headers; for another sender they carry
// the equivalent (webhook_id: the sender's delivery id; shop_domain: the sender's account).
struct InboundDelivery {
  std::string webhook_id;    // dedupe key: a redelivery carries the same id
  std::string topic;         // "orders/create"
  std::string shop_domain;   // "shop1.myshopify.com"
  std::string api_version;   // "2025-01"
  std::string triggered_at;  // ISO 8601 as sent; empty when absent
  std::string event_id;      // empty when absent
  // The workflow trigger the topic routes to; nullopt when the connection routes no workflow for
  // this topic (record the delivery as ignored and answer 200, so the sender does not retry).
  std::optional<std::string> trigger;
  std::string body;            // raw body
  boost::json::value payload;  // the parsed body (a JSON object)
};

// Why a delivery was refused, with the HTTP status to answer.
struct DeliveryRejection {
  int http_status = 400;  // 401 bad/missing signature, 400 bad header or JSON, 413 too large
  std::string reason;     // stable machine code: "invalid_signature", "missing_header", ...
  std::string message;    // names the field or header
};

using InboundResult = std::variant<InboundDelivery, DeliveryRejection>;

// ---- outbound ---------------------------------------------------------------------------------

// How the remote system keeps an effect from happening twice (DESIGN.md invariant 2).
enum class Deduplication {
  kNotNeeded,             // a read: repeating it is harmless
  kIdempotencyKeyHeader,  // the remote deduplicates on the Idempotency-Key header
  kLookupByBusinessKey,   // the remote does not deduplicate: after an unknown outcome, wait out
                          // in-flight requests, call `lookup_operation` and create only if absent
};

struct OperationSpec {
  std::string_view name;  // "create_sales_order"
  bool has_effect = false;
  Deduplication deduplication = Deduplication::kNotNeeded;
  std::string_view lookup_operation;    // for kLookupByBusinessKey
  std::string_view business_key_field;  // the payload field holding the business key
};

struct ConnectorCall {
  std::string operation;
  boost::json::value payload;
  // Derived from (tenant, run, step) by the engine; stable across retries and restarts.
  std::string idempotency_key;
};

// Result JSON of an operation (documented per operation in docs/connectors.md).
using CallCallback = std::function<void(CallResult<boost::json::value>)>;

// ---- the interface ----------------------------------------------------------------------------

class InboundConnector;
class OutboundConnector;

class Connector {
 public:
  virtual ~Connector() = default;
  // The registered dotted name ("shopify.webhooks").
  virtual std::string_view type() const = 0;
  virtual InboundConnector* AsInbound() { return nullptr; }
  virtual OutboundConnector* AsOutbound() { return nullptr; }
};

class InboundConnector : public Connector {
 public:
  InboundConnector* AsInbound() override { return this; }
  // Bodies larger than this are refused with 413; the server may stop reading beyond it.
  virtual size_t max_body_bytes() const = 0;
  // Verifies and types one delivery. Pure: records nothing; the caller records both outcomes.
  virtual InboundResult Accept(const InboundHttpRequest& request) const = 0;
};

class OutboundConnector : public Connector {
 public:
  OutboundConnector* AsOutbound() override { return this; }
  virtual std::span<const OperationSpec> operations() const = 0;
  // How long after an attempt STARTED it may still be in flight on the client side (the
  // request timeout plus a margin). After an unknown outcome, wait at least this long after the
  // last attempt started before the lookup (docs/connectors.md explains the server side).
  virtual std::chrono::milliseconds in_flight_bound() const = 0;
  // Performs the operation asynchronously; `done` runs exactly once, possibly on another thread
  // (the HTTP client's), and must not block. An unknown operation or a bad payload completes
  // with kValidation.
  virtual void Call(ConnectorCall call, CallCallback done) = 0;
};

// What a connector may use; all pointers must outlive the connector.
struct ConnectorContext {
  HttpClient* http = nullptr;
  const Clock* clock = nullptr;
};

}  // namespace govflow::connect
