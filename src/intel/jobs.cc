#include "intel/jobs.h"

#include <memory>

#include "intel/rollup.h"

namespace govflow::intel {

RollupOptions JobRollupOptions(const store::Store& store) {
  RollupOptions options;
  if (store.dialect() == store::sql::Dialect::kSqlite) {
    options.lateness = kSqliteRollupLateness;
    options.batch = kSqliteRollupBatch;
  }
  return options;
}

void AddIntelJobs(workflow::runtime::JobLoop& jobs, store::Store& store,
                  std::chrono::milliseconds interval) {
  if (interval.count() <= 0) return;
  jobs.Add(
      "intel.rollup", std::chrono::duration_cast<std::chrono::microseconds>(interval),
      [&store, options = JobRollupOptions(store),
       memo = std::make_shared<RollupMemo>()]() mutable -> Status {
        options.memo = memo.get();
        return RollupAllTenants(store, options).status();
      },
      /*run_at_start=*/true);
}

}  // namespace govflow::intel
