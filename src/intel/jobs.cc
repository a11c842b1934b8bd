#include "intel/jobs.h"

#include "intel/rollup.h"

namespace govflow::intel {

void AddIntelJobs(workflow::runtime::JobLoop& jobs, store::Store& store,
                  std::chrono::milliseconds interval) {
  if (interval.count() <= 0) return;
  jobs.Add(
      "intel.rollup", std::chrono::duration_cast<std::chrono::microseconds>(interval),
      [&store]() -> Status { return RollupAllTenants(store).status(); }, /*run_at_start=*/true);
}

}  // namespace govflow::intel
