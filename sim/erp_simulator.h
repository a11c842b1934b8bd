// ErpSimulator: an in-memory Microsoft Dynamics 365 Business Central API v2.0 look-alike on
// loopback HTTP, with OAuth2 client-credentials tokens, salesOrders (with deep-inserted
// salesOrderLines), customers and items, BC-shaped errors, and seeded fault injection
// (5xx, 429 bursts with Retry-After, timeouts, some after the sales order was created, latency,
// data faults). Like BC it does not deduplicate: each POST creates a sales order.
// docs/simulators.md describes the HTTP surface. One io thread serves all connections; the public
// methods are thread-safe and may be called from any thread while it runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sim/fault_spec.h"

namespace govflow::sim {

struct ErpSimulatorOptions {
  std::string host = "127.0.0.1";  // must be a loopback address
  uint16_t port = 0;               // 0 = pick a free port
  FaultSpec faults;
  uint64_t seed = 1;
  // When non-empty, POST /token accepts only these credentials; empty accepts any non-empty pair.
  std::string client_id;
  std::string client_secret;
  std::chrono::seconds token_lifetime{3599};
};

// Counters since start or the last Reset(). All counts are of requests unless said otherwise.
struct ErpStats {
  uint64_t requests = 0;      // every HTTP request, /_sim included
  uint64_t sales_orders = 0;  // sales orders created (timeouts after create included)
  uint64_t sales_order_lines = 0;
  uint64_t distinct_external_document_numbers = 0;   // non-empty keys seen on created orders
  uint64_t duplicate_external_document_numbers = 0;  // keys with more than one sales order
  uint64_t tokens_issued = 0;
  uint64_t unauthorized = 0;       // 401 answers
  uint64_t validation_errors = 0;  // 400 answers to well-authenticated API requests
  uint64_t unknown_item = 0;       // ...of which unknown item (real or injected)
  uint64_t blocked_customer = 0;   // ...of which blocked customer (real or injected)
  uint64_t missing_field = 0;      // ...of which a required field was missing
  // Injected faults.
  uint64_t error_500 = 0;
  uint64_t error_503 = 0;
  uint64_t error_504 = 0;
  uint64_t throttled = 0;  // 429 answers
  uint64_t throttle_bursts = 0;
  uint64_t timeouts = 0;               // requests held and closed without an answer
  uint64_t timeouts_after_create = 0;  // ...of which had created the sales order first
  uint64_t delayed = 0;                // requests given injected latency
  uint64_t injected_unknown_item = 0;
  uint64_t injected_blocked_customer = 0;
  // Up to 20 business keys with more than one sales order, for diagnosis.
  std::vector<std::string> duplicate_examples;

  // The JSON served at GET /_sim/stats (camelCase keys; see docs/simulators.md).
  std::string ToJson() const;
};

class ErpSimulator {
 public:
  // Binds, seeds the catalogue and starts the io thread. Fails if the address cannot be bound or
  // is not loopback.
  static Result<std::unique_ptr<ErpSimulator>> Start(ErpSimulatorOptions options);

  ErpSimulator(const ErpSimulator&) = delete;
  ErpSimulator& operator=(const ErpSimulator&) = delete;
  ~ErpSimulator();  // Stop()s

  uint16_t port() const;
  // "http://127.0.0.1:PORT"
  std::string base_url() const;
  // "http://127.0.0.1:PORT/api/v2.0/companies(<id>)": the root govflow's ERP connection names.
  std::string company_url() const;
  ErpStats stats() const;
  // How many sales orders carry this externalDocumentNumber.
  int CountSalesOrders(std::string_view external_document_number) const;
  // Every non-empty externalDocumentNumber with its number of sales orders.
  std::vector<std::pair<std::string, int>> SalesOrderCounts() const;
  // Forgets every sales order, added item and counter, and restarts the fault sequence from the
  // seed. Issued tokens stay valid.
  void Reset();
  // Closes the listener and every connection (held ones included), and joins the io thread.
  // stats() and the counts stay readable. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit ErpSimulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::sim
