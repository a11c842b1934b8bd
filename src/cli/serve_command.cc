// `govflow serve --data DIR | --store URL --listen HOST:PORT [--tls-cert FILE --tls-key FILE]`:
// runs the engine (engine.h) until SIGTERM or SIGINT, then stops gracefully; SIGHUP re-reads the
// TLS certificate and key. Prints "govflow listening on HOST:PORT" (flushed) once webhooks are
// taken; with port 0 that is the bound port.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "api/v1/console.h"
#include "cli/allocator.h"
#include "cli/commands.h"
#include "cli/engine.h"
#include "cli/memory_report.h"
#include "cli/store_options.h"
#include "governance/audit_signer.h"

namespace govflow::cli {
namespace {

struct ServeArgs {
  StoreFlags store;
  std::string listen = "127.0.0.1:8080";
  std::string owner;
  int64_t lease_ms = 30'000;
  int64_t jobs_ms = 5'000;
  int64_t retention_s = 3'600;
  int64_t trim_heap_ms = 30'000;
  std::string web_root;  // "" = the source tree's web/dist when present
  std::string branding;  // "" = <data dir>/branding.json
  api::TlsOptions tls;   // --tls-cert / --tls-key
};

// The branding file: --branding, else <data dir>/branding.json, else none.
std::filesystem::path BrandingFileFor(const ServeArgs& args) {
  if (!args.branding.empty()) return args.branding;
  if (!args.store.data_dir.empty()) {
    return std::filesystem::path(args.store.data_dir) / "branding.json";
  }
  return {};
}

#ifndef GOVFLOW_SOURCE_DIR
#define GOVFLOW_SOURCE_DIR "."
#endif

// /api/v1 and the console (docs/console.md): the built console from --web-root, else the source
// tree's web/dist when it exists; the brand from --branding, else <data dir>/branding.json.
api::v1::ConsoleOptions ConsoleOptionsFor(const ServeArgs& args) {
  api::v1::ConsoleOptions console;
  console.web_root = args.web_root;
  if (console.web_root.empty()) {
    const std::filesystem::path dist = std::filesystem::path(GOVFLOW_SOURCE_DIR) / "web" / "dist";
    if (std::filesystem::exists(dist / "index.html")) console.web_root = dist;
  }
  console.api.branding_file = BrandingFileFor(args);
  // Over TLS the session cookie is Secure (and the server adds Strict-Transport-Security).
  console.api.secure_cookies = args.tls.enabled();
  // POST .../audit/verify checks signed checkpoints with the key the engine signs them with
  // (the same file or GOVFLOW_AUDIT_SIGNING_KEY; created here when missing, as the engine would).
  auto signer = governance::LoadAuditSigner(args.store.data_dir, /*create=*/true);
  if (signer.ok()) console.api.audit_public_key = signer->public_key();
  // Connection secrets created or rotated through the API are sealed with the store's key.
  if (auto key = LoadMasterKey(args.store, /*create=*/true); key.ok()) {
    console.api.master_key = *key;
  }
  return console;
}

int RunServe(const ServeArgs& args) {
  ConfigureAllocatorForServe();  // before any thread allocates (allocator.h)
  // Block the stop signals in every thread (the server's and runtime's threads inherit the mask)
  // and take them with sigwait on this one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto store = OpenStore(args.store);
  if (!store.ok()) {
    std::cerr << "govflow serve: " << store.status().message() << "\n";
    return 1;
  }
  auto key = LoadMasterKey(args.store, /*create=*/true);
  if (!key.ok()) {
    std::cerr << "govflow serve: " << key.status().message() << "\n";
    return 1;
  }
  EngineOptions options;
  options.listen = args.listen;
  options.owner = args.owner;
  options.lease_for = std::chrono::milliseconds(args.lease_ms);
  options.data_dir = args.store.data_dir;
  options.tls = args.tls;
  options.branding_file = BrandingFileFor(args).string();
  // SLA escalations, approval expiry and the price publisher every --jobs-ms; audit
  // checkpoints at least once a minute; retention every --retention-s.
  const std::chrono::milliseconds jobs(args.jobs_ms);
  options.jobs.escalations = jobs;
  options.jobs.approvals = jobs;
  options.jobs.prices = std::min(jobs, options.jobs.prices);
  options.jobs.checkpoints = std::min(jobs, options.jobs.checkpoints);
  options.jobs.retention = std::chrono::seconds(args.retention_s);
  options.trim_heap_every = std::chrono::milliseconds(args.trim_heap_ms);
  store::Store& store_ref = **store;
  options.mount_http = [&store_ref,
                        console = ConsoleOptionsFor(args)](std::shared_ptr<api::Router> router) {
    return api::v1::MountConsole(std::move(router), store_ref, SystemClock::Get(), console);
  };
  auto engine = Engine::Start(**store, *key, options);
  if (!engine.ok()) {
    std::cerr << "govflow serve: " << engine.status().message() << "\n";
    return 1;
  }
  std::cout << "govflow listening on " << (*engine)->address() << std::endl;
  if (args.tls.enabled()) std::cerr << "govflow serve: TLS on: " << (*engine)->base_url() << "\n";
  // Hidden diagnostic: GOVFLOW_MALLOC_STATS=SECONDS prints memory figures (memory_report.h).
  std::unique_ptr<MemoryReporter> memory_reporter = MemoryReporter::StartFromEnvironment();
  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    // A renewed certificate: new connections get it; on error the current one stays.
    if (!args.tls.enabled()) continue;
    Status reloaded = (*engine)->ReloadTls();
    std::cerr << "govflow serve: SIGHUP: "
              << (reloaded.ok() ? "TLS certificate reloaded"
                                : "TLS certificate kept: " + reloaded.message())
              << "\n";
  }
  std::cerr << "govflow serve: signal " << signal_number << ", stopping\n";
  (*engine)->Stop();
  std::cerr << "govflow serve: stopped\n";
  return 0;
}

}  // namespace

void RegisterServeCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "run the engine: webhooks, runtime, probes");
  AddStoreFlags(*serve, args->store);
  serve->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)");
  serve->add_option("--owner", args->owner, "lease owner name of this node (default: random)");
  serve->add_option("--lease-ms", args->lease_ms,
                    "how long a claimed run stays this node's without renewal (recovery delay)");
  serve->add_option("--jobs-ms", args->jobs_ms,
                    "how often governance jobs run: SLA escalations, approval expiry, price "
                    "publishing (0: none of them)");
  serve->add_option("--retention-s", args->retention_s,
                    "how often the retention job runs, in seconds (0: never)");
  serve->add_option("--trim-heap-ms", args->trim_heap_ms,
                    "how often freed heap memory is handed back to the system (0: never)");
  serve->add_option("--web-root", args->web_root,
                    "the built console to serve (default: the source tree's web/dist)");
  serve->add_option("--branding", args->branding,
                    "the partner's branding JSON, re-read when it changes (default: "
                    "<data dir>/branding.json)");
  serve->add_option("--tls-cert", args->tls.certificate_file,
                    "serve HTTPS: the certificate (PEM, then any intermediates); needs --tls-key; "
                    "re-read on SIGHUP");
  serve->add_option("--tls-key", args->tls.private_key_file,
                    "the certificate's private key (PEM, unencrypted)");
  serve->callback([args, &result] { result.exit_code = RunServe(*args); });
}

}  // namespace govflow::cli
