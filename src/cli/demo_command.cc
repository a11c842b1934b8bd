// `govflow demo`: one command that shows the engine at work. In one process: the ERP simulator
// with faults, a fresh embedded SQLite store in --data DIR, the quickstart configuration applied
// (SHOPIFY_SECRET and ERP_URL set for it), the engine (engine.h) on a free port, and the Shopify
// sender streaming signed orders (a few with unknown SKUs, some redelivered). Prints counts every
// two seconds and a summary with where to look. Ends after the stream unless --forever.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/engine.h"
#include "cli/store_options.h"
#include "sim/erp_simulator.h"
#include "sim/shopify_sender.h"

#ifndef GOVFLOW_SOURCE_DIR
#define GOVFLOW_SOURCE_DIR "."
#endif

namespace govflow::cli {
namespace {

struct DemoArgs {
  std::string data_dir = "demo-data";
  uint64_t orders = 300;
  double rate = 50;
  bool forever = false;
  uint64_t seed = 1;
  std::string faults =
      "error=0.03,throttle=0.02,timeout=0.01,timeout_after_create=0.5,timeout_hold=2s,"
      "latency=2ms..40ms";
  double bad_sku = 0.03;
  double redeliver = 0.05;
  std::string config = std::string(GOVFLOW_SOURCE_DIR) + "/examples/quickstart/govflow.yaml";
  std::string listen = "127.0.0.1:0";
};

struct Snapshot {
  int64_t accepted = 0, duplicates = 0, rejected = 0;
  int64_t succeeded = 0, in_flight = 0, failed = 0;
  std::map<std::string, int64_t> open_by_class;
  int64_t open = 0;
};

Result<Snapshot> Take(store::Store& store, const TenantId& tenant) {
  Snapshot s;
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(auto deliveries, txn.CountDeliveriesByStatus(tenant));
  s.accepted = deliveries[store::DeliveryStatus::kAccepted];
  s.duplicates = deliveries[store::DeliveryStatus::kDuplicate];
  s.rejected = deliveries[store::DeliveryStatus::kRejected];
  GOVFLOW_ASSIGN_OR_RETURN(auto runs, txn.CountRunsByState(tenant));
  for (auto [state, n] : runs) {
    if (state == store::RunState::kSucceeded)
      s.succeeded += n;
    else if (state == store::RunState::kFailed)
      s.failed += n;
    else if (!store::IsTerminal(state))
      s.in_flight += n;
  }
  GOVFLOW_ASSIGN_OR_RETURN(auto cases,
                           txn.ListExceptionCases(tenant, store::ExceptionState::kOpen, 1000000));
  for (const auto& c : cases) ++s.open_by_class[c.error_class];
  s.open = static_cast<int64_t>(cases.size());
  return s;
}

std::string Line(const Snapshot& s, const sim::ErpStats& erp, double seconds,
                 const sim::ShopifySendReport& sent) {
  std::ostringstream out;
  out << "[" << static_cast<int>(seconds) << "s] shopify sent=" << sent.sent
      << " acked=" << sent.acked << " | webhooks accepted=" << s.accepted
      << " redelivered=" << s.duplicates << " | runs succeeded=" << s.succeeded
      << " in_flight=" << s.in_flight << " | exceptions open=" << s.open;
  if (!s.open_by_class.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [cls, n] : s.open_by_class) {
      out << (first ? "" : ", ") << cls << "=" << n;
      first = false;
    }
    out << ")";
  }
  out << " | ERP sales orders=" << erp.sales_orders
      << " duplicates=" << erp.duplicate_external_document_numbers;
  return out.str();
}

// Refuses to wipe a directory that is not a govflow data directory.
Status FreshDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    const bool ours = std::filesystem::exists(dir / "govflow.db", ec) ||
                      std::filesystem::exists(dir / "master.key", ec) ||
                      std::filesystem::is_empty(dir, ec);
    if (!ours) {
      return FailedPrecondition(
          dir.string() + " exists and is not a govflow data directory; choose another --data");
    }
    std::filesystem::remove_all(dir, ec);
    if (ec) return Unavailable("cannot clear " + dir.string() + ": " + ec.message());
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

int RunDemo(const DemoArgs& args) {
  auto fail = [](const Status& s) {
    std::cerr << "govflow demo: " << s.message() << "\n";
    return 1;
  };
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (Status s = FreshDataDir(args.data_dir); !s.ok()) return fail(s);

  sim::ErpSimulatorOptions erp_options;
  auto faults = sim::FaultSpec::Parse(args.faults);
  if (!faults.ok()) return fail(faults.status());
  erp_options.faults = *faults;
  erp_options.seed = args.seed;
  auto erp = sim::ErpSimulator::Start(erp_options);
  if (!erp.ok()) return fail(erp.status());
  std::cout << "ERP simulator   " << (*erp)->base_url() << "  faults: " << args.faults << "\n";

  const std::string secret = "demo-shopify-secret";
  ::setenv("SHOPIFY_SECRET", secret.c_str(), 1);
  ::setenv("ERP_URL", (*erp)->base_url().c_str(), 1);
  auto config = LoadConfigFile(args.config);
  if (!config.ok()) return fail(config.status());
  StoreFlags flags{args.data_dir, ""};
  auto store = OpenStore(flags);
  if (!store.ok()) return fail(store.status());
  auto key = LoadMasterKey(flags, /*create=*/true);
  if (!key.ok()) return fail(key.status());
  auto applied = ApplyConfig(**store, *config, *key);
  if (!applied.ok()) return fail(applied.status());
  std::cout << "applied " << args.config << "\n";
  for (const auto& line : applied->lines) std::cout << "  " << line << "\n";

  EngineOptions engine_options;
  engine_options.listen = args.listen;
  engine_options.data_dir = args.data_dir;
  auto engine = Engine::Start(**store, *key, engine_options);
  if (!engine.ok()) return fail(engine.status());
  std::cout << "govflow listening on " << (*engine)->address()
            << "  (store: " << std::filesystem::absolute(args.data_dir).string() << "/govflow.db)"
            << std::endl;

  sim::ShopifySenderOptions so;
  so.target_url = "http://" + (*engine)->address() + "/hooks/acme/shop";
  so.secret = secret;
  so.orders = args.forever ? uint64_t{1} << 40 : args.orders;
  so.rate_per_second = args.rate;
  so.seed = args.seed;
  so.bad_sku = args.bad_sku;
  so.redeliver = args.redeliver;
  auto sender = sim::ShopifySender::Start(so);
  if (!sender.ok()) return fail(sender.status());
  std::cout << "Shopify sender  "
            << (args.forever ? std::string("forever") : std::to_string(args.orders))
            << " orders at " << args.rate << "/s to " << so.target_url << std::endl;

  std::atomic<bool> sent_all{false};
  sim::ShopifySendReport final_report;
  std::thread waiter([&] {
    final_report = (*sender)->Wait();
    sent_all = true;
  });

  const TenantId tenant("acme");
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  bool interrupted = false;
  std::optional<std::chrono::steady_clock::time_point> drained_since;
  Snapshot last;
  while (true) {
    timespec tick{2, 0};
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
      interrupted = true;
      break;
    }
    auto snap = Take(**store, tenant);
    if (snap.ok()) last = *snap;
    std::cout << Line(last, (*erp)->stats(), elapsed(), (*sender)->Progress()) << std::endl;
    if (sent_all && last.in_flight == 0) break;
    if (sent_all) {
      if (!drained_since) drained_since = std::chrono::steady_clock::now();
      // Runs still settling unknown outcomes after a minute are left to the next start.
      if (std::chrono::steady_clock::now() - *drained_since > std::chrono::seconds(60)) break;
    }
  }
  (*sender)->Cancel();
  waiter.join();
  (*engine)->Stop();
  if (auto snap = Take(**store, tenant); snap.ok()) last = *snap;
  const sim::ErpStats erp_stats = (*erp)->stats();

  std::cout << "\n== summary" << (interrupted ? " (interrupted)" : "") << " ==\n"
            << "orders sent " << final_report.sent << ", acknowledged " << final_report.acked
            << ", redeliveries " << final_report.redeliveries
            << " (recorded as duplicates: " << last.duplicates << ", started nothing)\n"
            << "runs succeeded " << last.succeeded << ", failed into exceptions " << last.failed
            << ", still in flight " << last.in_flight << "\n"
            << "ERP sales orders " << erp_stats.sales_orders << ", duplicate business keys "
            << erp_stats.duplicate_external_document_numbers << "\n"
            << "ERP answers: " << erp_stats.validation_errors << " validation errors, "
            << erp_stats.throttled << " throttled, " << erp_stats.timeouts << " timeouts ("
            << erp_stats.timeouts_after_create << " after create)\n"
            << "exceptions open " << last.open;
  for (const auto& [cls, n] : last.open_by_class) std::cout << "  " << cls << "=" << n;
  std::cout << "\n\nwhere to look:\n"
            << "  govflow exceptions list --data " << args.data_dir << "\n"
            << "  govflow exceptions show ID --data " << args.data_dir << "\n"
            << "  ERP simulator stats: " << (*erp)->base_url() << "/_sim/stats"
            << " (only while the demo runs; --forever keeps it up)\n"
            << "  ERP stats at the end: " << erp_stats.ToJson() << "\n";
  return erp_stats.duplicate_external_document_numbers == 0 ? 0 : 1;
}

}  // namespace

void RegisterDemoCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand(
      "demo", "run the engine with an ERP simulator and a stream of Shopify orders");
  demo->add_option("--data", args->data_dir, "data directory (wiped and created fresh)");
  demo->add_option("--orders", args->orders, "orders to send");
  demo->add_option("--rate", args->rate, "orders per second");
  demo->add_flag("--forever", args->forever, "keep sending until interrupted");
  demo->add_option("--seed", args->seed, "seed of the simulators");
  demo->add_option("--faults", args->faults, "ERP simulator fault spec");
  demo->add_option("--bad-sku", args->bad_sku, "fraction of orders with an unknown SKU");
  demo->add_option("--redeliver", args->redeliver, "fraction of orders Shopify redelivers");
  demo->add_option("--config", args->config, "configuration applied (the quickstart)");
  demo->add_option("--listen", args->listen, "HOST:PORT of the server");
  demo->callback([args, &result] { result.exit_code = RunDemo(*args); });
}

}  // namespace govflow::cli
