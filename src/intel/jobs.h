// The intel module's background job for `govflow serve`'s job loop: `intel.rollup`, which rolls
// every tenant's new runs, exception cases and deliveries into the dashboard tables (rollup.h).
// Thread-safety: call before the loop starts (JobLoop::Add's rule).
#pragma once

#include <chrono>

#include "intel/rollup.h"
#include "store/store.h"
#include "workflow/runtime/job_loop.h"

namespace govflow::intel {

// How often the rollup runs by default: dashboards lag the runs by at most this (plus a pass).
inline constexpr std::chrono::milliseconds kRollupInterval{5'000};
// How far behind its watermark the job re-reads on embedded SQLite. One node, one writer: a
// change's recorded time is at most one group-commit batch older than its commit (milliseconds),
// so a few seconds cover a stalled batch. The 60 s default (RollupOptions) stays for PostgreSQL,
// where nodes' clocks differ and commits of several nodes interleave. Each pass re-reads this
// window, so at 60 s and 5 s passes every run was re-read about 12 times: 12% of the engine's CPU
// under load (docs/performance.md).
inline constexpr std::chrono::microseconds kSqliteRollupLateness{std::chrono::seconds(5)};

// Objects per rollup transaction on SQLite. Each batch is a write transaction, and SQLite has one
// writer: while it runs the group committer waits, and webhook acknowledgements with it.
inline constexpr int kSqliteRollupBatch = 64;

// The options the job uses for `store`.
RollupOptions JobRollupOptions(const store::Store& store);

// Adds `intel.rollup` (run at start, then every `interval`). `store` must outlive the loop.
void AddIntelJobs(workflow::runtime::JobLoop& jobs, store::Store& store,
                  std::chrono::milliseconds interval = kRollupInterval);

}  // namespace govflow::intel
