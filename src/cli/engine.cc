#include "cli/engine.h"

#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>

#include "api/http_server.h"
#include "api/probes.h"
#include "api/router.h"
#include "base/branding.h"
#include "cli/allocator.h"
#include "cli/config_file.h"
#include "connect/http/curl_http_client.h"
#include "connect/notify/notifier.h"
#include "connect/registry.h"
#include "governance/approvals.h"
#include "governance/audit_checkpoint.h"
#include "governance/audit_signer.h"
#include "governance/price_changes.h"
#include "governance/price_publisher.h"
#include "governance/retention.h"
#include "governance/sla_monitor.h"
#include "intel/jobs.h"
#include "workflow/document_kind.h"
#include "workflow/runtime/http_adapter.h"

namespace govflow::cli {

class Engine::Impl {
 public:
  store::Store* store = nullptr;
  std::unique_ptr<connect::CurlHttpClient> http;
  std::unique_ptr<workflow::runtime::Runtime> runtime;
  std::unique_ptr<api::HttpServer> server;
  // Governance jobs and what they need; the loop is stopped before the rest goes.
  std::unique_ptr<connect::notify::WebhookNotifier> webhook_notifier;
  std::unique_ptr<connect::notify::SmtpNotifier> smtp_notifier;
  std::unique_ptr<BrandingFile> branding;  // the e-mails' brand
  connect::notify::RoutingNotifier notifier;
  std::optional<governance::AuditSigner> audit_signer;
  std::unique_ptr<governance::StoredStorefrontClients> storefronts;
  std::unique_ptr<governance::PricePublisher> price_publisher;
  std::unique_ptr<workflow::runtime::JobLoop> jobs;
  std::atomic<bool> ready{false};
  bool stopped = false;
};

namespace {

std::string EnvOr(const char* name, std::string fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::chrono::microseconds Micros(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::microseconds>(ms);
}

// The governance jobs of docs/runtime.md ("Governance jobs"), each wrapped so that whatever it
// reports becomes one Status for the loop to log and count.
void AddGovernanceJobs(Engine::Impl& impl, const Clock& clock, const std::string& master_key,
                       const std::string& owner, const EngineOptions& options) {
  store::Store& store = *impl.store;
  const GovernanceJobIntervals& every = options.jobs;
  workflow::runtime::JobLoop& jobs = *impl.jobs;

  if (every.escalations.count() > 0) {
    // Webhook notices are signed with GOVFLOW_NOTIFY_SIGNING_KEY; e-mail goes through
    // GOVFLOW_SMTP_URL (from GOVFLOW_SMTP_FROM) when set.
    connect::notify::WebhookOptions webhook;
    webhook.signing_key = EnvOr("GOVFLOW_NOTIFY_SIGNING_KEY");
    impl.webhook_notifier = std::make_unique<connect::notify::WebhookNotifier>(webhook);
    impl.notifier.Route("webhook", impl.webhook_notifier.get());
    if (std::string smtp = EnvOr("GOVFLOW_SMTP_URL"); !smtp.empty()) {
      connect::notify::SmtpOptions mail;
      mail.url = smtp;
      mail.from = EnvOr("GOVFLOW_SMTP_FROM", "notifications@localhost");
      mail.username = EnvOr("GOVFLOW_SMTP_USER");
      mail.password = EnvOr("GOVFLOW_SMTP_PASSWORD");
      // E-mails go out in the partner's brand, read from branding.json as each one is sent.
      impl.branding = std::make_unique<BrandingFile>(options.branding_file);
      mail.brand = [branding = impl.branding.get()] { return branding->Current(); };
      impl.smtp_notifier = std::make_unique<connect::notify::SmtpNotifier>(mail);
      impl.notifier.Route("email", impl.smtp_notifier.get());
    }
    jobs.Add("exceptions.escalate", Micros(every.escalations), [&store, &clock, &impl]() -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto stats,
                               governance::RunDueEscalationsWithStats(store, clock, impl.notifier));
      if (stats.notices_failed > 0) {
        return Unavailable(std::to_string(stats.notices_failed) +
                           " escalation notice(s) could not be delivered; retried next time");
      }
      return Status::Ok();
    });
  }
  if (every.approvals.count() > 0) {
    jobs.Add("approvals.expire", Micros(every.approvals), [&store, &clock]() -> Status {
      return governance::ExpireApprovals(store, clock).status();
    });
  }
  if (every.prices.count() > 0) {
    impl.storefronts = std::make_unique<governance::StoredStorefrontClients>(store, *impl.http,
                                                                             clock, master_key);
    governance::PricePublisherOptions publisher;
    publisher.owner = owner;
    impl.price_publisher =
        std::make_unique<governance::PricePublisher>(store, *impl.storefronts, publisher);
    jobs.Add("prices.publish", Micros(every.prices), [&impl, &store]() -> Status {
      // Release (or reject) the changes whose approvals were decided outside the API's decision
      // route (the CLI, expiry), then send what is released to the storefronts.
      GOVFLOW_RETURN_IF_ERROR(governance::ReleaseDecidedPriceChanges(store).status());
      return impl.price_publisher->PublishDue().status();
    });
  }
  if (every.checkpoints.count() > 0) {
    auto signer = governance::LoadAuditSigner(options.data_dir, /*create=*/true);
    if (signer.ok()) {
      impl.audit_signer.emplace(std::move(*signer));
      jobs.Add("audit.checkpoint", Micros(every.checkpoints), [&store, &clock, &impl]() -> Status {
        return governance::CheckpointDueChains(store, clock, *impl.audit_signer,
                                               governance::AuditCheckpointPolicy{})
            .status();
      });
    } else {
      std::cerr << "govflow: audit checkpoints are off: " << signer.status().message()
                << " (set " << governance::kAuditSigningKeyEnv << ")" << std::endl;
    }
  }
  intel::AddIntelJobs(jobs, store);  // intel.rollup: the dashboards' tables (docs/intel.md)
  if (every.retention.count() > 0) {
    jobs.Add("retention.run", Micros(every.retention), [&store, &clock]() -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(governance::RetentionReport report,
                               governance::RunRetention(store, clock, {}));
      if (report.failures.empty()) return Status::Ok();
      std::string why;
      for (const auto& [tenant, status] : report.failures) {
        why += (why.empty() ? "" : "; ") + tenant.value() + ": " + status.ToString();
      }
      return Status(report.failures.front().second.code(), why);
    });
  }
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() {
  Stop();
}

Result<std::unique_ptr<Engine>> Engine::Start(store::Store& store, std::string master_key,
                                              EngineOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->store = &store;
  // Governed workflow documents are checked by the workflow language's own loader.
  workflow::RegisterWorkflowDocumentKind();
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
  const Clock& clock = options.clock != nullptr ? *options.clock : store.clock();
  impl->runtime = std::make_unique<workflow::runtime::Runtime>(store, clock, runtime_options);
  connect::ConnectorContext context{impl->http.get(), &clock};
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
  impl->jobs = std::make_unique<workflow::runtime::JobLoop>(clock);
  AddGovernanceJobs(*impl, clock, master_key, runtime_options.owner, options);
  if (options.trim_heap_every.count() > 0) {
    // Freed memory otherwise stays resident until the allocator reuses it (glibc: each arena
    // only shrinks from its top; jemalloc: dirty pages decay only while that arena allocates),
    // so after a burst of load RSS stayed high. ReleaseFreeHeap gives it back; a few ms.
    impl->jobs->Add("memory.trim", Micros(options.trim_heap_every), []() -> Status {
      ReleaseFreeHeap();
      return Status::Ok();
    });
  }
  impl->jobs->Start();

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
  server_options.tls = options.tls;
  if (options.mount_http) {
    GOVFLOW_ASSIGN_OR_RETURN(api::RequestHandler handler, options.mount_http(router));
    GOVFLOW_ASSIGN_OR_RETURN(impl->server, api::HttpServer::Start(server_options, handler));
  } else {
    GOVFLOW_ASSIGN_OR_RETURN(impl->server, api::HttpServer::Start(server_options, router));
  }
  impl->ready = true;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

std::string Engine::address() const {
  return impl_->server->address();
}

std::string Engine::base_url() const {
  return (impl_->server->tls() ? "https://" : "http://") + impl_->server->address();
}

Status Engine::ReloadTls() {
  return impl_->server->ReloadTls();
}

workflow::runtime::RuntimeStats Engine::stats() const {
  return impl_->runtime->stats();
}

std::map<std::string, workflow::runtime::JobStats> Engine::job_stats() const {
  return impl_->jobs ? impl_->jobs->stats() : std::map<std::string, workflow::runtime::JobStats>{};
}

void Engine::PokeJobs() {
  if (impl_->jobs) impl_->jobs->Poke();
}

void Engine::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ready = false;
  if (impl_->jobs) impl_->jobs->Stop();
  if (impl_->server) impl_->server->Stop();
  if (impl_->runtime) impl_->runtime->Stop();
}

}  // namespace govflow::cli
