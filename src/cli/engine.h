// The running engine of `govflow serve` (and `govflow demo`): the runtime (scheduler, executor,
// connectors built from the stored connections, every published workflow activated) behind the
// HTTP server with POST /hooks/{tenant}/{connection}, GET /healthz and GET /readyz.
// Thread-safety: Start/Stop from one thread; address() and stats() from any.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"
#include "store/store.h"
#include "workflow/runtime/runtime.h"

namespace govflow::cli {

struct EngineOptions {
  std::string listen = "127.0.0.1:0";
  std::string owner;  // runtime lease owner; empty: node-<pid>-<random>
  int http_threads = 2;
  std::chrono::milliseconds lease_for{30'000};
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
  workflow::runtime::RuntimeStats stats() const;
  // Graceful: stops taking webhooks (readyz 503), lets answers be written, stops the runtime
  // (requests in flight finish, leases released). Idempotent.
  void Stop();

  class Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::cli
