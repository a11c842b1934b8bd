// ShopifySender: plays Shopify's webhook delivery against a loopback receiver (govflow's
// /hooks/{tenant}/{connection}): N distinct, signed orders/create webhooks at a rate, over a few
// keep-alive connections, retrying non-2xx answers and timeouts with bounded exponential backoff
// (the same X-Shopify-Webhook-Id on every attempt), and redelivering a fraction of acknowledged
// ones as Shopify's at-least-once delivery does. Runs on its own io thread; Progress(), Cancel()
// and Wait() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace govflow::sim {

struct ShopifySendReport {
  uint64_t sent = 0;          // distinct orders delivered at least once
  uint64_t acked = 0;         // distinct orders acknowledged with a 2xx
  uint64_t failed = 0;        // distinct orders given up after max_attempts
  uint64_t deliveries = 0;    // HTTP requests made, retries and redeliveries included
  uint64_t retries = 0;       // attempts after a failed one
  uint64_t redeliveries = 0;  // duplicate deliveries of acknowledged orders
  uint64_t non_2xx = 0;       // answers outside 2xx
  uint64_t timeouts = 0;      // requests with no answer within request_timeout
  uint64_t connection_errors = 0;
  uint64_t bad_sku_orders = 0;
  uint64_t blocked_customer_orders = 0;
  double elapsed_seconds = 0;
  // Latency of 2xx answers (request written to answer read), in milliseconds: over the whole run
  // in the final report, over the last second in progress reports.
  double ack_p50_ms = 0;
  double ack_p99_ms = 0;
  double ack_max_ms = 0;
  // How far behind the --rate schedule new orders went out at worst (all connections busy).
  double max_schedule_lag_ms = 0;
  bool cancelled = false;

  // "sent=N acked=N": the contract line the CLI prints on stdout.
  std::string Summary() const;
  // Everything above on one line, for stderr.
  std::string Details() const;
};

struct ShopifySenderOptions {
  std::string target_url;      // http://127.0.0.1:PORT/hooks/acme/shop; loopback only
  std::string secret;          // the app's client secret (HMAC key)
  uint64_t orders = 0;         // distinct orders to send
  double rate_per_second = 0;  // new orders per second; 0 = as fast as the connections allow
  uint64_t seed = 1;
  std::string topic = "orders/create";
  int concurrency = 32;         // connections (one request in flight on each)
  double redeliver = 0;         // fraction of acknowledged orders delivered once more
  double bad_sku = 0;           // fraction of orders with a SKU the ERP does not know
  double blocked_customer = 0;  // fraction of orders from a customer the ERP has blocked
  std::string shop_domain = "govflow-demo.myshopify.com";
  std::string api_version = "2026-07";
  std::chrono::milliseconds request_timeout{5000};
  int max_attempts = 6;  // per order, first delivery included
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{5000};
  // Called on the sender's thread about once a second, and once at the end.
  std::function<void(const ShopifySendReport&)> on_progress;
};

class ShopifySender {
 public:
  // Validates the options (loopback target, secret, counts) and starts sending.
  static Result<std::unique_ptr<ShopifySender>> Start(ShopifySenderOptions options);
  ShopifySender(const ShopifySender&) = delete;
  ShopifySender& operator=(const ShopifySender&) = delete;
  ~ShopifySender();  // cancels and joins

  // Blocks until every order is acknowledged or given up on (or Cancel()).
  ShopifySendReport Wait();
  ShopifySendReport Progress() const;
  // Stops sending; in-flight requests are abandoned.
  void Cancel();

  class Impl;

 private:
  explicit ShopifySender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Start + Wait.
Result<ShopifySendReport> SendShopifyOrders(ShopifySenderOptions options);

}  // namespace govflow::sim
