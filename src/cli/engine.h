// The running engine of `govflow serve` (and `govflow demo`): the runtime (scheduler, executor,
// connectors built from the stored connections, every published workflow activated) behind the
// HTTP server with POST /hooks/{tenant}/{connection}, GET /healthz and GET /readyz, and the
// governance job loop (SLA escalations, approval expiry, audit checkpoints, the price publisher,
// retention; docs/runtime.md "Governance jobs").
// Thread-safety: Start/Stop from one thread; address(), stats() and job_stats() from any.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/http_server.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"
#include "workflow/runtime/job_loop.h"
#include "workflow/runtime/runtime.h"

namespace govflow::cli {

// How often each governance job runs (0 = not at all).
struct GovernanceJobIntervals {
  std::chrono::milliseconds escalations{5'000};   // governance::RunDueEscalations
  std::chrono::milliseconds approvals{5'000};     // governance::ExpireApprovals
  std::chrono::milliseconds prices{2'000};        // governance::PricePublisher::PublishDue
  std::chrono::milliseconds checkpoints{60'000};  // governance::CheckpointDueChains
  std::chrono::milliseconds retention{3'600'000}; // governance::RunRetention
};

struct EngineOptions {
  std::string listen = "127.0.0.1:0";
  // TLS on the listener (PEM files; api/http_server.h); off when both are "".
  api::TlsOptions tls;
  // The partner's branding.json (base/branding.h) for the e-mails the jobs send; re-read when it
  // changes. "" = the neutral brand.
  std::string branding_file;
  std::string owner;  // runtime lease owner; empty: node-<pid>-<random>
  int http_threads = 2;
  std::chrono::milliseconds lease_for{30'000};
  // --data DIR of the store ("" with --store): where the audit signing key lives when
  // GOVFLOW_AUDIT_SIGNING_KEY is not set.
  std::string data_dir;
  GovernanceJobIntervals jobs;
  // How often the job loop's `memory.trim` hands freed heap pages back to the system
  // (malloc_trim; docs/performance.md, "The 10-minute memory soak"). 0 = never.
  std::chrono::milliseconds trim_heap_every{30'000};
  // Time for the runtime and the jobs; nullptr = SystemClock (tests pass a ManualClock, which
  // must then also be the store's clock).
  const Clock* clock = nullptr;
  // Mounts more on the HTTP server (serve: /api/v1 and the console, api/v1/console.h): gets the
  // router once probes and webhooks are on it and returns the server's handler. nullptr: the
  // router alone.
  std::function<Result<api::RequestHandler>(std::shared_ptr<api::Router>)> mount_http;
};

class Engine {
 public:
  // `store` must outlive the engine. Reads tenants, connections (secrets opened with
  // `master_key`) and workflows from the store, starts the runtime, then the HTTP server.
  static Result<std::unique_ptr<Engine>> Start(store::Store& store, std::string master_key,
                                               EngineOptions options);
  ~Engine();  // Stop()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // "127.0.0.1:PORT", the bound address.
  std::string address() const;
  // "https://" + address() with TLS, else "http://" + address().
  std::string base_url() const;
  // Re-reads the TLS certificate and key (HttpServer::ReloadTls): `govflow serve` on SIGHUP.
  Status ReloadTls();
  workflow::runtime::RuntimeStats stats() const;
  // Per governance job: runs, failures, the last error.
  std::map<std::string, workflow::runtime::JobStats> job_stats() const;
  // Makes the job loop look at the clock now (tests, after moving a ManualClock).
  void PokeJobs();
  // Graceful: stops taking webhooks (readyz 503), lets answers be written, stops the runtime
  // (requests in flight finish, leases released). Idempotent.
  void Stop();

  class Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::cli
