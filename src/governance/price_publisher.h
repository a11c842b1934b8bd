// The price publisher: delivers released price changes (price_change_outbox rows) to the
// storefront through the connect layer's Shopify Admin client, effectively once:
//   1. claim the row (state in_flight, claimed_until; an expired claim of a crashed publisher may
//      be taken over), attempts + 1, committed before anything is sent;
//   2. read the variant: if it already has the new price (a crash after an earlier write), record
//      success without writing; if it has neither the old nor the new price, someone changed it
//      since the request, so the approved diff no longer applies: fail as a conflict and never
//      overwrite the newer price;
//   3. PUT the new price (absolute values: a repeat sets the same thing) and check the answer;
//   4. record the result under the claim: published (audited price_change.publish), or a retry
//      at next_attempt_at (Retry-After or exponential backoff) for throttled/transient/unknown
//      outcomes, or failed for good (audited price_change.publish_failed; on_failure hook) for
//      permanent errors and after max_attempts.
// Thread-safety: PublishDue may run on several nodes at once (claims keep them apart); one
// PricePublisher object is used from one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "connect/call_result.h"
#include "connect/http/http_client.h"
#include "connect/shopify/admin_client.h"
#include "governance/price_changes.h"
#include "store/store.h"

namespace govflow::governance {

// Where the publisher finds a tenant's storefront client.
class StorefrontClients {
 public:
  virtual ~StorefrontClients() = default;
  // kNotFound for an unknown connection; kInvalidArgument for one that is not shopify.admin or
  // whose config does not validate. The client stays owned by the implementation.
  virtual Result<connect::shopify::AdminClient*> For(const TenantId& tenant,
                                                     const ConnectionId& connection) = 0;
};

// Builds clients from the stored connections: config_json merged with the connection's sealed
// secrets (a JSON object, opened with `master_key`; e.g. {"access_token": "shpat_..."}). Clients
// are cached per (tenant, connection) for the object's life. Thread-safe.
class StoredStorefrontClients final : public StorefrontClients {
 public:
  // All references must outlive the object.
  StoredStorefrontClients(store::Store& store, connect::HttpClient& http, const Clock& clock,
                          std::string master_key);
  Result<connect::shopify::AdminClient*> For(const TenantId& tenant,
                                             const ConnectionId& connection) override;

 private:
  store::Store& store_;
  connect::HttpClient& http_;
  const Clock& clock_;
  std::string master_key_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<connect::shopify::AdminClient>>
      clients_;  // GUARDED_BY(mu_)
};

struct PricePublisherOptions {
  std::string owner = "price_publisher";  // claim owner (a node name)
  std::chrono::milliseconds claim_for{120'000};
  int max_attempts = 8;
  std::chrono::milliseconds backoff_base{2'000};  // doubled per attempt, capped at backoff_max
  std::chrono::milliseconds backoff_max{300'000};
  // Bound on waiting for one storefront call (the client's own request timeout is shorter).
  std::chrono::milliseconds call_wait{120'000};
  // Called inside the transaction that marks a change failed for good, e.g. to open an
  // exception case for the pricing process. May be empty.
  std::function<Status(store::Txn&, const PriceChange&, const connect::CallFailure&)> on_failure;
};

struct PublishReport {
  int published = 0;        // the storefront now has the new price
  int already_applied = 0;  // ...of which it had it already (read-before-write)
  int retrying = 0;         // attempt failed; another is scheduled
  int failed = 0;           // failed for good
  int skipped = 0;          // claimed by someone else meanwhile
};

class PricePublisher {
 public:
  // `store` and `clients` must outlive the publisher. Time comes from store.clock().
  PricePublisher(store::Store& store, StorefrontClients& clients,
                 PricePublisherOptions options = {});
  PricePublisher(const PricePublisher&) = delete;
  PricePublisher& operator=(const PricePublisher&) = delete;

  // Publishes up to `limit` due outbox rows of every tenant (cross-tenant by design, like the
  // scheduler), one at a time. Errors of the store end the pass; storefront failures do not.
  Result<PublishReport> PublishDue(int limit = 100);

 private:
  enum class Outcome { kPublished, kAlreadyApplied, kRetrying, kFailed, kSkipped };
  Result<Outcome> PublishOne(const TenantId& tenant, const std::string& change_id);
  Status RecordFailure(const TenantId& tenant, const std::string& change_id, int64_t attempts,
                       const connect::CallFailure& failure, bool permanent);

  store::Store& store_;
  StorefrontClients& clients_;
  PricePublisherOptions options_;
};

}  // namespace govflow::governance
