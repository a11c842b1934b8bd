#include "api/v1/console.h"

#include <optional>

#include "api/static_files.h"

namespace govflow::api::v1 {

Result<RequestHandler> MountConsole(std::shared_ptr<Router> router, store::Store& store,
                                    const Clock& clock, ConsoleOptions options) {
  auto api = std::make_shared<Api>(store, clock, std::move(options.api));
  GOVFLOW_RETURN_IF_ERROR(api->AddRoutes(*router));
  std::shared_ptr<const StaticFiles> files;
  if (!options.web_root.empty()) files = std::make_shared<StaticFiles>(options.web_root);
  return RequestHandler([router, api, files](HttpRequest& request, Responder responder) {
    const std::string_view path = request.raw_path;
    const bool reserved = path.starts_with("/api/") || path == "/api" ||
                          path.starts_with("/hooks/") || !router->AllowedMethods(path).empty();
    if (reserved || files == nullptr || (request.method != "GET" && request.method != "HEAD")) {
      router->Dispatch(request, std::move(responder));
      return;
    }
    // Static files decide on the decoded path; a malformed escape is the router's 400.
    if (!PercentDecode(request.raw_path, false)) {
      router->Dispatch(request, std::move(responder));
      return;
    }
    responder.Respond(files->Serve(request));
  });
}

}  // namespace govflow::api::v1
