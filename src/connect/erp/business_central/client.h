// The Business Central (API v2.0) connector: create sales orders (deep insert with
// salesOrderLines) and find them by externalDocumentNumber, asynchronously, with OAuth2
// client-credentials tokens, a per-connection concurrency limit, a circuit breaker and the
// outcome table of classification.h. BC does not deduplicate creates: the business key
// (externalDocumentNumber) is how an unknown outcome is settled (docs/connectors.md).
// Thread-safe. Callbacks run on the HTTP client's thread (or the caller's when answered at once)
// and must not block. In-flight calls keep the shared state alive, so the client may be
// destroyed before they finish (the HttpClient must outlive them).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "connect/call_result.h"
#include "connect/connector.h"
#include "connect/erp/business_central/config.h"
#include "connect/http/http_client.h"
#include "connect/resilience/circuit_breaker.h"

namespace govflow::connect::business_central {

// The identity of a sales order in BC.
struct SalesOrderRef {
  std::string id;      // GUID
  std::string number;  // "101005"
  std::string external_document_number;
  std::string status;  // "Draft", "Open", ...
};

// BC's limit on externalDocumentNumber (Code[35]).
inline constexpr size_t kMaxExternalDocumentNumber = 35;

class Client {
 public:
  using CreateCallback = std::function<void(CallResult<SalesOrderRef>)>;
  using FindCallback = std::function<void(CallResult<std::vector<SalesOrderRef>>)>;

  // `http` and `clock` must outlive the client and its in-flight calls.
  static Result<std::unique_ptr<Client>> Create(Config config, HttpClient& http,
                                                const Clock& clock);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // POST {company}/salesOrders with `sales_order` (salesOrderLines deep-inserted). The business
  // key sales_order["externalDocumentNumber"] is required (1..35 characters). The idempotency key
  // goes in an Idempotency-Key header for tracing; BC ignores it. Never re-sent by this call:
  // a 401 is retried once with a fresh token (BC rejected it before acting), nothing else is.
  // On kUnknown the caller must settle by FindSalesOrdersByExternalDocumentNumber after
  // in_flight_bound() before creating again.
  void CreateSalesOrder(boost::json::object sales_order, std::string idempotency_key,
                        CreateCallback done);

  // GET {company}/salesOrders?$filter=externalDocumentNumber eq '<key>' (quotes doubled, then
  // percent-encoded). Calls back with every order carrying the key (compared case-insensitively,
  // as BC stores Code fields in upper case); empty when there is none.
  void FindSalesOrdersByExternalDocumentNumber(std::string external_document_number,
                                               FindCallback done);

  // The lookup URL (for tests and logs).
  std::string FindSalesOrdersUrl(std::string_view external_document_number) const;
  const Config& config() const;
  std::chrono::milliseconds in_flight_bound() const;
  CircuitBreaker::State circuit_state() const;
  size_t token_fetches() const;

  class Impl;

 private:
  explicit Client(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// The registry's adapter: operations "create_sales_order" (payload: the salesOrder object;
// result {"id","number","externalDocumentNumber","status"}) and "find_sales_orders" (payload: an
// object with "externalDocumentNumber", e.g. the same salesOrder; result {"found": bool,
// "matches": n, "record": <first order, create's result shape, when found>, "salesOrders": [...]}).
class Connector final : public OutboundConnector {
 public:
  static Result<std::unique_ptr<Connector>> Create(Config config, const ConnectorContext& context);

  std::string_view type() const override { return kConnectorType; }
  std::span<const OperationSpec> operations() const override;
  std::chrono::milliseconds in_flight_bound() const override { return client_->in_flight_bound(); }
  void Call(ConnectorCall call, CallCallback done) override;

  Client& client() { return *client_; }

 private:
  explicit Connector(std::unique_ptr<Client> client) : client_(std::move(client)) {}
  std::unique_ptr<Client> client_;
};

// JSON form of a SalesOrderRef: {"id","number","externalDocumentNumber","status"}.
boost::json::object SalesOrderRefToJson(const SalesOrderRef& ref);

}  // namespace govflow::connect::business_central
