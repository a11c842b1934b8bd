// Kubernetes-style probes for `govflow serve`: GET /healthz (the process is alive and serving
// HTTP) and GET /readyz (ready to take work). Registered on a Router before the server starts;
// the readiness check is called on an I/O thread for every probe, so it must be cheap and
// thread-safe (read an atomic, not the database).
#pragma once

#include <functional>

#include "api/router.h"
#include "base/status.h"

namespace govflow::api {

// Returns Ok when ready; otherwise a Status whose message says why not (e.g. "store migrating").
using ReadinessCheck = std::function<Status()>;

// Adds GET /healthz -> 200 {"status":"ok"} and GET /readyz -> 200 {"status":"ready"} or 503
// problem+json naming the reason from `readiness` (HEAD works for both through the router).
// Errors from Router::Add (e.g. the paths are already routed).
Status AddProbeRoutes(Router& router, ReadinessCheck readiness);

}  // namespace govflow::api
