#include "workflow/runtime/http_adapter.h"

namespace govflow::workflow::runtime {

void HandleWebhook(Ingestion& ingestion, const api::HttpRequest& request,
                   api::Responder responder) {
  WebhookRequest r;
  r.tenant = TenantId(std::string(request.Param("tenant")));
  r.connection = ConnectionId(std::string(request.Param("connection")));
  r.method = request.method;
  r.path = request.path;
  for (const auto& [name, value] : request.headers.fields()) r.headers.emplace_back(name, value);
  r.body = request.body;  // a copy: the request may go away once the responder answered
  ingestion.Ingest(std::move(r), [responder](WebhookAnswer answer) {
    api::HttpResponse response =
        api::HttpResponse::Json(answer.http_status, WebhookAnswerBody(answer));
    if (answer.http_status >= 400) {
      response.headers.Set("Content-Type", "application/problem+json");
    }
    responder.Respond(std::move(response));
  });
}

Status AddWebhookRoute(api::Router& router, Ingestion& ingestion) {
  return router.Add("POST", "/hooks/{tenant}/{connection}",
                    [&ingestion](const api::HttpRequest& request, api::Responder responder) {
                      HandleWebhook(ingestion, request, std::move(responder));
                    });
}

}  // namespace govflow::workflow::runtime
