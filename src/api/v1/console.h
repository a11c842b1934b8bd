// Mounts the console on govflow's HTTP server: the /api/v1 routes (api.h) on the server's router
// and, for every other GET/HEAD path the router does not know, the built console (web/dist,
// static_files.h) with its single-page-app fallback. Thread-safe once mounted.
#pragma once

#include <filesystem>
#include <memory>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/api.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace govflow::api::v1 {

struct ConsoleOptions {
  ApiOptions api;
  // The built console (holds index.html); "" serves the API only.
  std::filesystem::path web_root;
};

// Adds the /api/v1 routes to `router` and returns the server's request handler: the router for
// its own paths and everything under /api/ and /hooks/, the console's files for other GET and
// HEAD requests. `store` and `clock` must outlive the handler.
Result<RequestHandler> MountConsole(std::shared_ptr<Router> router, store::Store& store,
                                    const Clock& clock, ConsoleOptions options);

}  // namespace govflow::api::v1
