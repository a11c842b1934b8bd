// The SLA monitor: finds exception cases whose acknowledge or resolve clock is breached and walks
// their escalation chain (the snapshot taken when the case opened): level 1 at the breach, level
// N when its `after` has passed since the breach. Each (case, clock, level) is notified once:
// the notice is recorded (exception_escalations) and audited ("exception.escalate") in one
// transaction after the notifier accepted it, so a restart never re-notifies a recorded level;
// a crash between sending and recording sends it again with the same notification id, which
// receivers use to drop the repeat. A clock stops when it is met: acknowledge on acknowledgement,
// resolve on resolution. Cases the runtime opened without governance (e.g. before the intake was
// wired) are taken in first (OnExceptionOpened with the tenant's policies).
// Called from a periodic job (govflow serve) and `govflow exceptions escalations run`.
// Thread-safe; concurrent monitors on several nodes may both send a level (same id), never
// record it twice.
#pragma once

#include "base/clock.h"
#include "base/status.h"
#include "connect/notify/notifier.h"
#include "store/store.h"

namespace govflow::governance {

struct EscalationRunStats {
  int cases_taken_in = 0;     // cases given governance by the backfill
  int breaches_recorded = 0;  // clocks newly seen breached (audited "exception.sla_breach")
  int notices_sent = 0;       // escalation levels notified and recorded
  int notices_failed = 0;     // levels whose notifier failed (tried again next run)
};

// Returns the number of escalation levels notified (stats.notices_sent).
Result<int> RunDueEscalations(store::Store& store, const Clock& clock,
                              connect::notify::Notifier& notifier);
Result<EscalationRunStats> RunDueEscalationsWithStats(store::Store& store, const Clock& clock,
                                                      connect::notify::Notifier& notifier);

}  // namespace govflow::governance
