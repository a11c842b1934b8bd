// govflow-sim: the simulators as a command-line tool (docs/simulators.md).
//   govflow-sim erp --listen 127.0.0.1:PORT [--faults SPEC] [--seed N]
//   govflow-sim shopify --target URL --secret SECRET --orders N [--rate PER_S] [--seed N] ...
//   govflow-sim shopify --admin-listen 127.0.0.1:PORT [--admin-token T] [--admin-faults SPEC]
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "sim/erp_simulator.h"
#include "sim/fault_spec.h"
#include "sim/shopify_admin_simulator.h"
#include "sim/shopify_sender.h"

namespace {

using govflow::sim::ErpSimulator;
using govflow::sim::ErpSimulatorOptions;
using govflow::sim::FaultSpec;
using govflow::sim::ShopifySender;
using govflow::sim::ShopifySenderOptions;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) {
  g_stop = 1;
}

// Installs the handlers and blocks SIGINT/SIGTERM in this thread (and the threads it starts
// later), so that they are only taken inside WaitForSignal's sigsuspend: none is lost between
// the check of g_stop and the wait, and none arrives before the handler exists.
void PrepareForSignals() {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
}

void WaitForSignal() {
  sigset_t none;
  sigemptyset(&none);
  while (!g_stop) sigsuspend(&none);
}

int RunErp(const std::string& listen, const std::string& faults, uint64_t seed,
           const std::string& client_id, const std::string& client_secret) {
  ErpSimulatorOptions options;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "govflow-sim erp: --listen wants HOST:PORT, got '" << listen << "'\n";
    return 2;
  }
  options.host = listen.substr(0, colon);
  if (options.host.size() > 2 && options.host.front() == '[') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  try {
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    options.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    std::cerr << "govflow-sim erp: bad port in '" << listen << "'\n";
    return 2;
  }
  auto spec = FaultSpec::Parse(faults);
  if (!spec.ok()) {
    std::cerr << "govflow-sim erp: " << spec.status().message() << "\n";
    return 2;
  }
  options.faults = *spec;
  options.seed = seed;
  options.client_id = client_id;
  options.client_secret = client_secret;
  PrepareForSignals();
  auto sim = ErpSimulator::Start(options);
  if (!sim.ok()) {
    std::cerr << "govflow-sim erp: " << sim.status().message() << "\n";
    return 1;
  }
  std::printf("listening on %s:%u\n",
              options.host == "localhost" ? "127.0.0.1" : options.host.c_str(),
              static_cast<unsigned>((*sim)->port()));
  std::fflush(stdout);
  std::fprintf(stderr, "govflow-sim erp: company %s, seed %llu, faults %s\n",
               (*sim)->company_url().c_str(), static_cast<unsigned long long>(seed),
               options.faults.ToString().c_str());
  WaitForSignal();
  auto stats = (*sim)->stats();
  (*sim)->Stop();
  std::fprintf(stderr, "govflow-sim erp: stopped; %s\n", stats.ToJson().c_str());
  return 0;
}

// The storefront's Admin API (shopify_admin_simulator.h): serves until SIGINT/SIGTERM.
int RunShopifyAdmin(const std::string& listen, const std::string& token, const std::string& faults,
                    uint64_t seed) {
  govflow::sim::ShopifyAdminOptions options;
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "govflow-sim shopify: --admin-listen wants HOST:PORT, got '" << listen << "'\n";
    return 2;
  }
  options.host = listen.substr(0, colon);
  try {
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    options.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    std::cerr << "govflow-sim shopify: bad port in '" << listen << "'\n";
    return 2;
  }
  auto spec = FaultSpec::Parse(faults);
  if (!spec.ok()) {
    std::cerr << "govflow-sim shopify: " << spec.status().message() << "\n";
    return 2;
  }
  options.faults = *spec;
  options.seed = seed;
  options.access_token = token;
  PrepareForSignals();
  auto sim = govflow::sim::ShopifyAdminSimulator::Start(options);
  if (!sim.ok()) {
    std::cerr << "govflow-sim shopify: " << sim.status().message() << "\n";
    return 1;
  }
  std::printf("admin listening on 127.0.0.1:%u\n", static_cast<unsigned>((*sim)->port()));
  std::fflush(stdout);
  WaitForSignal();
  auto stats = (*sim)->stats();
  (*sim)->Stop();
  std::fprintf(stderr, "govflow-sim shopify: admin stopped; %s\n", stats.ToJson().c_str());
  return 0;
}

int RunShopify(ShopifySenderOptions options, bool quiet) {
  if (!quiet) {
    options.on_progress = [](const govflow::sim::ShopifySendReport& r) {
      std::fprintf(stderr, "govflow-sim shopify: %s\n", r.Details().c_str());
    };
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto sender = ShopifySender::Start(std::move(options));
  if (!sender.ok()) {
    std::cerr << "govflow-sim shopify: " << sender.status().message() << "\n";
    return 2;
  }
  // Poll for a signal while the sender works on its own thread.
  std::thread watcher;
  ShopifySender* raw = sender->get();
  std::atomic<bool> done{false};
  watcher = std::thread([raw, &done] {
    while (!done) {
      if (g_stop) {
        raw->Cancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto report = (*sender)->Wait();
  done = true;
  watcher.join();
  std::printf("%s\n", report.Summary().c_str());
  std::fflush(stdout);
  return report.cancelled ? 130 : 0;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "govflow-sim: Shopify and Business Central simulators for govflow's demo, tests "
      "and benchmarks"};
  app.require_subcommand(1);

  auto* erp = app.add_subcommand("erp", "serve a Business Central API v2.0-shaped ERP");
  std::string listen = "127.0.0.1:0";
  std::string faults;
  uint64_t erp_seed = 1;
  std::string client_id, client_secret;
  erp->add_option("--listen", listen, "HOST:PORT to listen on (loopback only; port 0 picks one)")
      ->capture_default_str();
  erp->add_option("--faults", faults,
                  "fault SPEC, e.g. error=0.05,throttle=0.02,timeout=0.01,latency=2ms..40ms");
  erp->add_option("--seed", erp_seed, "seed for the fault sequence")->capture_default_str();
  erp->add_option("--client-id", client_id, "accept only this OAuth client id (default: any)");
  erp->add_option("--client-secret", client_secret,
                  "accept only this OAuth client secret (default: any)");

  auto* shop = app.add_subcommand("shopify", "send signed orders/create webhooks like Shopify");
  ShopifySenderOptions so;
  int timeout_ms = 5000;
  bool quiet = false;
  std::string admin_listen, admin_token, admin_faults;
  shop->add_option("--admin-listen", admin_listen,
                   "serve the storefront's Admin API (products, variant prices) on HOST:PORT "
                   "instead of sending orders");
  shop->add_option("--admin-token", admin_token,
                   "accept only this X-Shopify-Access-Token (default: any)");
  shop->add_option("--admin-faults", admin_faults,
                   "Admin API fault SPEC (as erp --faults; timeout_after_create = after the write)");
  auto* target = shop->add_option("--target", so.target_url,
                                  "webhook URL (http://127.0.0.1:PORT/hooks/T/C)");
  auto* secret = shop->add_option("--secret", so.secret, "the app's client secret (HMAC key)");
  auto* orders = shop->add_option("--orders", so.orders, "distinct orders to send");
  // Sending orders needs all three; serving the Admin API needs none of them.
  for (CLI::Option* o : {target, secret, orders}) o->excludes("--admin-listen");
  shop->add_option("--rate", so.rate_per_second, "new orders per second (0 = unpaced)")
      ->capture_default_str();
  shop->add_option("--seed", so.seed, "seed for the order stream")->capture_default_str();
  shop->add_option("--topic", so.topic, "X-Shopify-Topic")->capture_default_str();
  shop->add_option("--concurrency", so.concurrency, "connections")->capture_default_str();
  shop->add_option("--redeliver", so.redeliver,
                   "fraction of acknowledged orders delivered again (same webhook id)")
      ->capture_default_str();
  shop->add_option("--bad-sku", so.bad_sku, "fraction of orders with a SKU the ERP lacks")
      ->capture_default_str();
  shop->add_option("--blocked-customer", so.blocked_customer,
                   "fraction of orders from customers the ERP has blocked")
      ->capture_default_str();
  shop->add_option("--shop-domain", so.shop_domain, "X-Shopify-Shop-Domain")->capture_default_str();
  shop->add_option("--api-version", so.api_version, "X-Shopify-API-Version")->capture_default_str();
  shop->add_option("--timeout-ms", timeout_ms, "per-request timeout")->capture_default_str();
  shop->add_option("--max-attempts", so.max_attempts, "attempts per order before giving up")
      ->capture_default_str();
  shop->add_flag("--quiet", quiet, "no progress on stderr");

  CLI11_PARSE(app, argc, argv);

  if (erp->parsed()) return RunErp(listen, faults, erp_seed, client_id, client_secret);
  if (!admin_listen.empty()) {
    return RunShopifyAdmin(admin_listen, admin_token, admin_faults, so.seed);
  }
  if (target->count() == 0 || secret->count() == 0 || orders->count() == 0) {
    std::cerr << "govflow-sim shopify: --target, --secret and --orders are required (or "
                 "--admin-listen to serve the Admin API)\n";
    return 2;
  }
  so.request_timeout = std::chrono::milliseconds(timeout_ms);
  return RunShopify(std::move(so), quiet);
}

}  // namespace

// Library code reports errors as values; this only catches what CLI11 or the standard library
// might still throw, so the tool fails with a message rather than an abort.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "govflow-sim: %s\n", e.what());
    return 1;
  }
}
