#include "cli/engine.h"

#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <random>

#include "api/http_server.h"
#include "api/probes.h"
#include "api/router.h"
#include "cli/config_file.h"
#include "connect/http/curl_http_client.h"
#include "connect/registry.h"
#include "workflow/runtime/http_adapter.h"

namespace govflow::cli {

class Engine::Impl {
 public:
  store::Store* store = nullptr;
  std::unique_ptr<connect::CurlHttpClient> http;
  std::unique_ptr<workflow::runtime::Runtime> runtime;
  std::unique_ptr<api::HttpServer> server;
  std::atomic<bool> ready{false};
  bool stopped = false;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() {
  Stop();
}

Result<std::unique_ptr<Engine>> Engine::Start(store::Store& store, std::string master_key,
                                              EngineOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->store = &store;
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<StoredTenant> tenants, ReadStoredConfig(store, master_key));
  GOVFLOW_ASSIGN_OR_RETURN(impl->http, connect::CurlHttpClient::Create());

  workflow::runtime::RuntimeOptions runtime_options;
  runtime_options.owner = options.owner;
  if (runtime_options.owner.empty()) {
    std::random_device rd;
    runtime_options.owner = "node-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  }
  runtime_options.lease_for = options.lease_for;
  runtime_options.seed = std::random_device{}();
  impl->runtime =
      std::make_unique<workflow::runtime::Runtime>(store, SystemClock::Get(), runtime_options);
  connect::ConnectorContext context{impl->http.get(), &SystemClock::Get()};
  for (const StoredTenant& t : tenants) {
    for (const StoredConnection& c : t.connections) {
      auto connector = connect::CreateConnector(c.kind, boost::json::value(c.config), context);
      if (!connector.ok()) {
        return Status(connector.status().code(), "connection " + t.id.value() + "/" + c.id.value() +
                                                     ": " + connector.status().message());
      }
      impl->runtime->catalog().AddConnector(
          t.id, c.id, std::shared_ptr<connect::Connector>(std::move(*connector)));
    }
    for (const std::string& name : t.workflows) {
      GOVFLOW_RETURN_IF_ERROR(impl->runtime->catalog().Activate(t.id, name));
    }
  }
  GOVFLOW_RETURN_IF_ERROR(impl->runtime->Start());

  auto router = std::make_shared<api::Router>();
  Impl* raw = impl.get();
  GOVFLOW_RETURN_IF_ERROR(api::AddProbeRoutes(*router, [raw]() -> Status {
    if (!raw->ready.load()) return Unavailable("not started or stopping");
    return Status::Ok();
  }));
  GOVFLOW_RETURN_IF_ERROR(workflow::runtime::AddWebhookRoute(*router, impl->runtime->ingestion()));
  api::HttpServerOptions server_options;
  server_options.listen = options.listen;
  server_options.threads = options.http_threads;
  GOVFLOW_ASSIGN_OR_RETURN(impl->server, api::HttpServer::Start(server_options, router));
  impl->ready = true;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::string Engine::address() const {
  return impl_->server->address();
}

workflow::runtime::RuntimeStats Engine::stats() const {
  return impl_->runtime->stats();
}

void Engine::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ready = false;
  if (impl_->server) impl_->server->Stop();
  if (impl_->runtime) impl_->runtime->Stop();
}

}  // namespace govflow::cli
