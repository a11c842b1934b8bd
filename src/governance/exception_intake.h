// The governance side of a new exception case: called by the runtime inside the transaction that
// opens the case, it classifies the case (error class, category, root-cause key), gives it a
// severity, assigns the owning team, starts its SLA clocks, attaches it to its root-cause group
// with its business impact, and audits it. Whatever the policies say (or when a tenant has none
// published), the case is opened and owned: the fallbacks are documented in docs/governance.md.
#pragma once

#include "base/status.h"
#include "store/store.h"

namespace govflow::governance {

Status OnExceptionOpened(store::Txn& txn, const store::ExceptionCase& exception_case,
                         const store::Run& run);

}  // namespace govflow::governance
