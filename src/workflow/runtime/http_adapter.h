// The webhook endpoint for the API server: POST /hooks/{tenant}/{connection} -> Ingestion, with
// the answer given through the Responder only after the delivery (and its run) committed. A thin
// adapter: all logic is in ingestion.h. Its own library (govflow_runtime_http) so that the runtime
// itself does not depend on the api module. Thread-safe.
#pragma once

#include "api/router.h"
#include "base/status.h"
#include "workflow/runtime/ingestion.h"

namespace govflow::workflow::runtime {

// Registers POST /hooks/{tenant}/{connection} on `router`. `ingestion` must outlive the router.
Status AddWebhookRoute(api::Router& router, Ingestion& ingestion);

// Handles one request (what the route calls): for servers that dispatch themselves.
void HandleWebhook(Ingestion& ingestion, const api::HttpRequest& request, api::Responder responder);

}  // namespace govflow::workflow::runtime
