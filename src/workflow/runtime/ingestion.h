// Webhook ingestion without HTTP types: one inbound delivery (raw body and headers) is verified by
// its connection's InboundConnector and then either recorded as rejected (answer 4xx, nothing else
// changes) or recorded as accepted together with the run it starts, in ONE group-committed
// transaction; only when that transaction has committed is the answer (2xx) given (DESIGN.md
// invariant 1). A redelivery (same webhook id) is recorded as a duplicate, answered 200, and
// starts nothing. Thread-safe: Ingest may be called from any thread; `done` runs on the
// committer's thread (or the caller's, when nothing needs committing) and must not block.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/ids.h"
#include "connect/http/http_client.h"
#include "store/committer.h"
#include "workflow/runtime/catalog.h"

namespace govflow::workflow::runtime {

struct WebhookRequest {
  TenantId tenant;
  ConnectionId connection;
  std::string method = "POST";
  std::string path;  // "/hooks/{tenant}/{connection}"
  connect::HttpHeaders headers;
  std::string body;  // raw bytes, exactly as received
};

struct WebhookAnswer {
  int http_status = 200;
  // "accepted", "duplicate", "ignored" (no workflow routed for the topic), or the rejection's
  // stable code ("invalid_signature", "unknown_connection", "store_unavailable", ...).
  std::string reason;
  std::string message;  // for 4xx/5xx: names the header or field
  std::optional<DeliveryId> delivery;
  std::optional<RunId> run;  // the run started (or, for a duplicate, the original's run)
};

// How a new run goes straight to this node's executor, skipping the claim: before the unit,
// `reserve` (any thread) may grant a slot and a lease to create the run under; after the unit
// committed, `adopt` (committer thread) gets the run as created and its parsed input; when no run
// was created after all (a duplicate, a failed commit), `cancel` gives the slot back. Without a
// grant the run is created unleased and due now, for the scheduler to claim.
struct RunHandOff {
  std::function<std::optional<store::Lease>()> reserve;
  std::function<void(const store::Run& run, boost::json::value input)> adopt;
  std::function<void()> cancel;
};

class Ingestion {
 public:
  // `on_run_created` runs (on the committer thread) after a new run has committed unleased, e.g.
  // to wake the scheduler. All references must outlive this object.
  Ingestion(Catalog& catalog, store::Committer& committer, const Clock& clock,
            std::function<void()> on_run_created = {}, RunHandOff hand_off = {});
  Ingestion(const Ingestion&) = delete;
  Ingestion& operator=(const Ingestion&) = delete;

  // Answers: 200 accepted/duplicate/ignored (only after commit); the connector's 4xx for a
  // rejection (after the rejected delivery is recorded, or at once when recording fails: the
  // sender's request was bad either way); 404 for an unknown tenant/connection (nothing to record
  // it under); 503 when the accepted delivery could not be committed (the sender retries).
  void Ingest(WebhookRequest request, std::function<void(WebhookAnswer)> done);

 private:
  Catalog& catalog_;
  store::Committer& committer_;
  const Clock& clock_;
  std::function<void()> on_run_created_;
  RunHandOff hand_off_;
};

// The problem+json body (RFC 9457) of a non-2xx answer, or {"status":...,"delivery":...,"run":...}
// for a 2xx one.
std::string WebhookAnswerBody(const WebhookAnswer& answer);

}  // namespace govflow::workflow::runtime
