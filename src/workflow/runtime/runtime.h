// The durable workflow runtime: a scheduler that claims due runs under leases, an executor that
// runs pure steps back to back in memory and commits their combined result once per external
// boundary (a call, a wait, the end), asynchronous connector calls with effectively-once effects
// (effect committed in_flight before the request leaves; unknown outcomes settled by waiting out
// in-flight requests and looking the business key up before creating again), timers, retries,
// exception cases, and recovery on start. docs/runtime.md has the argument.
// Thread-safety: every public method is thread-safe. Internally one executor thread owns all run
// state; connector and committer callbacks only post to it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "store/committer.h"
#include "store/store.h"
#include "workflow/runtime/catalog.h"
#include "workflow/runtime/ingestion.h"

namespace govflow::workflow::runtime {

struct RuntimeOptions {
  // The lease owner written on claimed runs; empty: "node-<random>". Must differ per process.
  std::string owner;
  // A claimed run is the owner's for this long; leases of runs still being worked on are renewed
  // when half of it has passed.
  std::chrono::milliseconds lease_for{30'000};
  // How many due runs one claim takes, and how many runs may be active at once.
  int claim_batch = 256;
  int max_active_runs = 2'000;
  // How often the scheduler looks for due runs and timers fire, in real time (it is also woken
  // whenever a webhook creates a run).
  std::chrono::milliseconds poll_interval{20};
  // An approve step whose task is still pending after its expiry (the expiry job has not run
  // yet, or escalated it) looks again after this long.
  std::chrono::milliseconds approval_recheck{60'000};
  // Seed of the generator that spreads retry backoff (jitter).
  uint64_t seed = 1;
  store::CommitterOptions committer;
};

struct RuntimeStats {
  int64_t claimed = 0;           // runs claimed
  int64_t handed_off = 0;        // new runs taken over from ingestion without a claim
  int64_t completed = 0;         // runs that succeeded
  int64_t failed = 0;            // runs that became exception cases
  int64_t parked = 0;            // runs left waiting on a timer (wait step, backoff, wait-out)
  int64_t calls = 0;             // connector requests sent (creates and others)
  int64_t lookups = 0;           // lookups by business key (settling unknown outcomes)
  int64_t adopted = 0;           // effects settled by finding the remote object
  int64_t unknown_outcomes = 0;  // attempts whose outcome was unknown (timeouts, resets, crash)
  int64_t commit_failures = 0;   // units that did not commit (lost lease, store errors)
  // Exception cases opened without governance's intake (classification, owner, SLA) because
  // governance::OnExceptionOpened failed; the case is open and the failure is in the run history.
  int64_t intake_failures = 0;
  int64_t active = 0;            // gauge: runs held by this runtime now
};

class Runtime {
 public:
  // `store` and `clock` must outlive the runtime. Creates the runtime's Committer (the single
  // commit path); nothing runs until Start().
  Runtime(store::Store& store, const Clock& clock, RuntimeOptions options = {});
  // Stop()s gracefully if still running (use Abandon() to simulate a crash).
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Configuration, before or after Start(): which workflows run and what they talk to.
  Catalog& catalog();
  // Webhook ingestion, sharing the runtime's committer; new runs wake the scheduler.
  Ingestion& ingestion();
  store::Committer& committer();

  // Starts the executor thread. Recovery is simply the first claims: runs whose lease expired
  // (a crashed owner) are due again, their in_flight effects are settled by wait-out and lookup,
  // timers continue. kFailedPrecondition when already started.
  Status Start();
  // Graceful stop: takes no new runs, lets requests in flight finish (up to `deadline`), parks
  // runs at their next boundary with their leases released, commits, and joins the thread.
  // Runs still calling at the deadline keep their effect in_flight; whoever claims them next
  // settles it. Idempotent.
  void Stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // Simulates a crash (for tests): from now on nothing more is written and no lease is released;
  // requests already sent still reach the remote system. Destroy the runtime afterwards.
  void Abandon();
  // Wakes the scheduler (e.g. after a ManualClock moved).
  void Poke();

  RuntimeStats stats() const;

  class Executor;

 private:
  std::unique_ptr<Executor> executor_;
};

}  // namespace govflow::workflow::runtime
