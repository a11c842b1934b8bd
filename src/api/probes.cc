#include "api/probes.h"

#include <memory>
#include <utility>

#include "api/problem.h"

namespace govflow::api {

Status AddProbeRoutes(Router& router, ReadinessCheck readiness) {
  if (!readiness) return InvalidArgument("AddProbeRoutes needs a readiness check");
  GOVFLOW_RETURN_IF_ERROR(router.Add("GET", "/healthz", [](const HttpRequest&, Responder r) {
    r(HttpResponse::Json(200, R"({"status":"ok"})").WithHeader("Cache-Control", "no-store"));
  }));
  auto check = std::make_shared<ReadinessCheck>(std::move(readiness));
  return router.Add("GET", "/readyz", [check](const HttpRequest&, Responder r) {
    Status status = (*check)();
    if (status.ok()) {
      r(HttpResponse::Json(200, R"({"status":"ready"})").WithHeader("Cache-Control", "no-store"));
      return;
    }
    r(Problem(503)
          .Title("Not ready")
          .Detail(status.message())
          .Extension("reason", std::string(StatusCodeName(status.code())))
          .ToResponse()
          .WithHeader("Cache-Control", "no-store"));
  });
}

}  // namespace govflow::api
