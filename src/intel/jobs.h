// The intel module's background job for `govflow serve`'s job loop: `intel.rollup`, which rolls
// every tenant's new runs, exception cases and deliveries into the dashboard tables (rollup.h).
// Thread-safety: call before the loop starts (JobLoop::Add's rule).
#pragma once

#include <chrono>

#include "store/store.h"
#include "workflow/runtime/job_loop.h"

namespace govflow::intel {

// How often the rollup runs by default: dashboards lag the runs by at most this (plus a pass).
inline constexpr std::chrono::milliseconds kRollupInterval{5'000};

// Adds `intel.rollup` (run at start, then every `interval`). `store` must outlive the loop.
void AddIntelJobs(workflow::runtime::JobLoop& jobs, store::Store& store,
                  std::chrono::milliseconds interval = kRollupInterval);

}  // namespace govflow::intel
