// `govflow demo`: a console full of life in one process (docs: README "Quick start").
// Seeds, through the governance functions (idempotent on an existing --data DIR): the partner
// Northwind Digital with its branding (examples/demo/branding.json -> DIR/branding.json), two
// tenants from examples/demo/govflow.yaml (harbor: a multi-brand retailer on Shopify with a cloud
// ERP and a storefront Admin connection; forge: a manufacturer with its own ERP) and one user per
// role with a printed demo password. Then runs: the ERP simulator with faults (unknown items,
// blocked customers, timeouts), the storefront Admin simulator, the engine with /api/v1 and the
// console, a stream of signed orders for both tenants, and a price change every --price-every
// (some within the approval threshold, published; some beyond it, waiting for the pricing
// manager). Prints counts every two seconds; ends on SIGINT/SIGTERM or after --duration.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "api/v1/console.h"
#include "base/clock.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/engine.h"
#include "cli/store_options.h"
#include "governance/access.h"
#include "governance/audit_signer.h"
#include "governance/directory.h"
#include "governance/documents/lifecycle.h"
#include "governance/price_changes.h"
#include "intel/rollup.h"
#include "intel/sku_categories.h"
#include "sim/catalogue.h"
#include "sim/erp_simulator.h"
#include "sim/shopify_admin_simulator.h"
#include "sim/shopify_sender.h"

#ifndef GOVFLOW_SOURCE_DIR
#define GOVFLOW_SOURCE_DIR "."
#endif

namespace govflow::cli {
namespace {

namespace gov = governance;

struct DemoArgs {
  std::string data_dir = "demo-data";
  double rate = 2;  // orders per second, per tenant: a few exceptions a minute, an hour stays small
  std::string duration;  // "" = until interrupted; "20s", "5m"
  uint64_t seed = 0;     // 0 = from the clock (a re-run sends new orders)
  std::string faults =
      "error=0.02,throttle=0.02,timeout=0.01,timeout_after_create=0.5,timeout_hold=2s,"
      "latency=2ms..40ms,unknown_item=0.03,blocked_customer=0.02";
  double bad_sku = 0.03;
  double blocked_customer = 0.02;
  double redeliver = 0.05;
  int price_every_s = 20;
  std::string config = std::string(GOVFLOW_SOURCE_DIR) + "/examples/demo/govflow.yaml";
  std::string branding = std::string(GOVFLOW_SOURCE_DIR) + "/examples/demo/branding.json";
  std::string matrix =
      std::string(GOVFLOW_SOURCE_DIR) + "/examples/demo/policies/approval_matrix.yaml";
  std::string web_root;  // "" = the source tree's web/dist when built
  std::string listen = "127.0.0.1:8080";
};

// The people of the demo. Passwords are printed at start: demo data only.
struct DemoUser {
  std::string email;
  std::string name;
  std::string role;
  std::string tenant;  // "" = a partner role
  std::string password;
};

const char* const kPartnerId = "northwind";
const char* const kPartnerName = "Northwind Digital";
const char* const kRetailer = "harbor";
const char* const kRetailerName = "Harbor & Pine Brands";
const char* const kManufacturer = "forge";
const char* const kManufacturerName = "Forge Works Manufacturing";

std::vector<DemoUser> DemoUsers() {
  auto u = [](std::string email, std::string name, std::string role, std::string tenant) {
    return DemoUser{email, name, role, tenant, "demo-" + role + "-pw"};
  };
  return {
      u("admin@northwind.example", "Lee Admin", "partner_admin", ""),
      u("ops@northwind.example", "Olu Operator", "partner_operator", ""),
      u("audit@northwind.example", "Ada Auditor", "partner_auditor", ""),
      u("tenant.admin@harbor.example", "Tara Admin", "tenant_admin", kRetailer),
      u("owner@harbor.example", "Pat Owner", "process_owner", kRetailer),
      u("operator@harbor.example", "Omar Operator", "operator", kRetailer),
      u("pricing@harbor.example", "Priya Pricing", "pricing_manager", kRetailer),
      u("finance@harbor.example", "Fred Finance", "finance_controller", kRetailer),
      u("release@harbor.example", "Rita Release", "release_manager", kRetailer),
      u("viewer@harbor.example", "Vic Viewer", "viewer", kRetailer),
      u("auditor@harbor.example", "Aki Auditor", "auditor", kRetailer),
      u("admin@forge.example", "Fay Admin", "tenant_admin", kManufacturer),
      u("operator@forge.example", "Otto Operator", "operator", kManufacturer),
      u("viewer@forge.example", "Val Viewer", "viewer", kManufacturer),
  };
}

// "20s", "5m", "1h", "500ms" -> milliseconds; kInvalidArgument otherwise.
Result<std::chrono::milliseconds> ParseDurationFlag(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return InvalidArgument("--duration: expected e.g. 20s, 5m, 1h: " + text);
  const int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s" || unit.empty()) return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  if (unit == "h") return std::chrono::milliseconds(n * 3'600'000);
  return InvalidArgument("--duration: unknown unit '" + unit + "' (ms, s, m, h)");
}

// Kept as a value so the last good one is printed when the store is briefly busy.
struct Snapshot {
  int64_t accepted = 0, duplicates = 0;
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

std::string Line(const std::string& tenant, const Snapshot& s) {
  std::ostringstream out;
  out << tenant << ": orders " << s.accepted << " (+" << s.duplicates
      << " redelivered) runs ok=" << s.succeeded << " in_flight=" << s.in_flight
      << " exceptions open=" << s.open;
  if (!s.open_by_class.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [cls, n] : s.open_by_class) {
      out << (first ? "" : ", ") << cls << "=" << n;
      first = false;
    }
    out << ")";
  }
  return out.str();
}

// Creates what is missing: the partner, the tenants, the users and their grants. An existing
// demo directory keeps its data (and its users' passwords).
Status Seed(store::Store& store, const std::vector<DemoUser>& users) {
  const DemoUser& admin = users.front();
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin());
    if (!gov::GetPartner(txn).ok()) {
      gov::PartnerInit init{kPartnerId, kPartnerName, admin.email, admin.name, admin.password};
      GOVFLOW_RETURN_IF_ERROR(gov::InitPartner(txn, init).status());
      GOVFLOW_RETURN_IF_ERROR(txn.Commit());
    }
  }
  gov::AccessControl access(store, SystemClock::Get());
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal lee, access.PrincipalForEmail(admin.email));
  GOVFLOW_ASSIGN_OR_RETURN(gov::PartnerScope tenants_scope,
                           access.AuthorizePartner(lee, gov::perm::kTenantsManage));
  for (auto [id, name] :
       {std::pair{kRetailer, kRetailerName}, {kManufacturer, kManufacturerName}}) {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin());
    Status created = gov::CreateTenant(txn, tenants_scope, TenantId(id), name);
    if (created.code() == StatusCode::kAlreadyExists) continue;
    GOVFLOW_RETURN_IF_ERROR(created);
    GOVFLOW_RETURN_IF_ERROR(txn.Commit());
  }
  GOVFLOW_ASSIGN_OR_RETURN(gov::PartnerScope users_scope,
                           access.AuthorizePartner(lee, gov::perm::kUsersManage));
  for (const DemoUser& u : users) {
    if (&u == &admin) continue;
    std::string user_id;
    {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin());
      auto existing = gov::FindUserIdByEmail(txn, u.email);
      if (existing.ok()) {
        user_id = *existing;
      } else {
        GOVFLOW_ASSIGN_OR_RETURN(user_id,
                                 gov::CreateUser(txn, users_scope, {u.email, u.name, u.password}));
        GOVFLOW_RETURN_IF_ERROR(txn.Commit());
      }
    }
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin());
    Status granted;
    if (u.tenant.empty()) {
      granted = gov::GrantPartnerRole(txn, users_scope, user_id, u.role);
    } else {
      GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope,
                               access.Authorize(lee, TenantId(u.tenant), gov::perm::kUsersManage));
      granted = gov::GrantTenantRole(txn, scope, user_id, u.role);
    }
    if (granted.code() == StatusCode::kAlreadyExists) continue;
    GOVFLOW_RETURN_IF_ERROR(granted);
    GOVFLOW_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

// A governed document in flight, once: the retailer's proposed approval matrix drafted and
// submitted by the process owner, approved by the tenant admin (not the author), published to dev,
// and its promotion to staging asked for, which waits for the release manager. Each step as the
// person who would take it (AccessControl::Authorize), through the document lifecycle.
Status SeedMatrixDocument(store::Store& store, const std::string& path) {
  namespace docs = gov::documents;
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  const TenantId tenant(kRetailer);
  const docs::DocumentRef ref{docs::DocumentKind::kApprovalMatrix, "harbor-pricing"};
  gov::AccessControl access(store, SystemClock::Get());
  auto scope_of = [&](const char* email, std::string_view permission) -> Result<gov::TenantScope> {
    GOVFLOW_ASSIGN_OR_RETURN(gov::Principal who, access.PrincipalForEmail(email));
    return access.Authorize(who, tenant, permission);
  };
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope owner,
                           scope_of("owner@harbor.example", gov::perm::kDocumentsEdit));
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
    auto history = docs::History(txn, owner, ref);               // kNotFound: never drafted
    if (history.ok() && !history->empty()) return Status::Ok();  // seeded by an earlier run
    if (!history.ok() && history.status().code() != StatusCode::kNotFound) return history.status();
  }
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin());
  GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentVersion v,
                           docs::CreateDraft(txn, owner, ref, text.str(), path));
  GOVFLOW_RETURN_IF_ERROR(docs::Submit(txn, owner, ref, v.version).status());
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope admin,
                           scope_of("tenant.admin@harbor.example", gov::perm::kDocumentsApprove));
  GOVFLOW_RETURN_IF_ERROR(
      docs::Approve(txn, admin, ref, v.version, "tighter threshold for the season").status());
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope publisher,
                           scope_of("owner@harbor.example", gov::perm::kDocumentsPublish));
  GOVFLOW_RETURN_IF_ERROR(
      docs::Publish(txn, publisher, ref, v.version, docs::Environment::kDev).status());
  GOVFLOW_RETURN_IF_ERROR(docs::Promote(txn, publisher, ref, docs::Environment::kDev).status());
  return txn.Commit();
}

// One price change on the retailer's storefront, requested by its operator. The approval matrix
// of the tenant decides: within the threshold it is released at once (and published by the
// engine's price job); beyond it, it waits for the pricing manager.
Result<gov::PriceChange> RequestPrice(store::Store& store, gov::AccessControl& access,
                                      const sim::ShopifyAdminSimulator& storefront, uint64_t n,
                                      const std::string& requester) {
  static const int kPercents[] = {-35, -8, 12, -25, -5, 40};
  const int percent = kPercents[n % (sizeof(kPercents) / sizeof(kPercents[0]))];
  const auto variants = storefront.Variants();
  if (variants.empty()) return NotFound("the storefront simulator has no variants");
  const sim::SimVariant& v = variants[(n * 7) % variants.size()];
  const int64_t to = std::max<int64_t>(
      1, static_cast<int64_t>(std::llround(v.price_cents * (100.0 + percent) / 100.0)));
  gov::PriceChangeRequest r;
  r.connection = ConnectionId("storefront");
  r.sku = v.sku;
  r.variant_id = v.id;
  r.old_price = gov::FormatPriceCents(v.price_cents);
  r.new_price = gov::FormatPriceCents(to);
  if (percent < 0) r.compare_at_price = r.old_price;
  r.reason = percent < -15 ? "Clearance promotion"
             : percent < 0 ? "Weekend promotion"
                           : "Supplier cost increase";
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal who, access.PrincipalForEmail(requester));
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope, access.Authorize(who, TenantId(kRetailer),
                                                                    gov::perm::kApprovalsRequest));
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin());
  GOVFLOW_ASSIGN_OR_RETURN(gov::PriceApprovalPolicy policy,
                           gov::TenantPriceApprovalPolicy(txn, TenantId(kRetailer)));
  GOVFLOW_ASSIGN_OR_RETURN(gov::PriceChange change, gov::RequestPriceChange(txn, scope, r, policy));
  GOVFLOW_RETURN_IF_ERROR(txn.Commit());
  return change;
}

void PrintUsers(const std::vector<DemoUser>& users) {
  std::cout << "\nDemo users (demo data only: these passwords are printed for you to sign in;\n"
               "never print or reuse passwords like this outside a demo):\n\n";
  std::cout << "  " << std::left << std::setw(30) << "e-mail" << std::setw(20) << "role"
            << std::setw(9) << "tenant"
            << "password\n";
  for (const auto& u : users) {
    std::cout << "  " << std::left << std::setw(30) << u.email << std::setw(20) << u.role
              << std::setw(9) << (u.tenant.empty() ? "(all)" : u.tenant) << u.password << "\n";
  }
  std::cout << std::right << std::endl;
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

  std::optional<std::chrono::milliseconds> duration;
  if (!args.duration.empty()) {
    auto d = ParseDurationFlag(args.duration);
    if (!d.ok()) return fail(d.status());
    duration = *d;
  }
  namespace fs = std::filesystem;
  const fs::path dir(args.data_dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !fs::exists(dir / "govflow.db", ec)) {
    return fail(FailedPrecondition(
        dir.string() + " exists and is not a govflow data directory; choose another --data"));
  }
  fs::create_directories(dir, ec);
  // The partner's brand: the console re-reads DIR/branding.json, so edits show on reload.
  if (!fs::exists(dir / "branding.json", ec)) {
    fs::copy_file(args.branding, dir / "branding.json", ec);
    if (ec) return fail(Unavailable("cannot copy " + args.branding + ": " + ec.message()));
  }
  const uint64_t seed =
      args.seed != 0
          ? args.seed
          : static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());

  sim::ErpSimulatorOptions erp_options;
  auto faults = sim::FaultSpec::Parse(args.faults);
  if (!faults.ok()) return fail(faults.status());
  erp_options.faults = *faults;
  erp_options.seed = seed;
  auto erp = sim::ErpSimulator::Start(erp_options);
  if (!erp.ok()) return fail(erp.status());
  sim::ShopifyAdminOptions admin_options;
  admin_options.access_token = "shpat_demo_harbor_storefront";
  admin_options.seed = seed;
  auto storefront = sim::ShopifyAdminSimulator::Start(admin_options);
  if (!storefront.ok()) return fail(storefront.status());
  std::cout << "ERP simulator         " << (*erp)->base_url() << "  faults: " << args.faults
            << "\nstorefront simulator  " << (*storefront)->shop_url() << " (Shopify Admin API)\n";

  const std::string secret = "demo-shopify-secret";
  ::setenv("SHOPIFY_SECRET", secret.c_str(), 1);
  ::setenv("ERP_URL", (*erp)->base_url().c_str(), 1);
  ::setenv("STOREFRONT_URL", (*storefront)->shop_url().c_str(), 1);
  StoreFlags flags{args.data_dir, ""};
  auto store = OpenStore(flags);
  if (!store.ok()) return fail(store.status());
  auto key = LoadMasterKey(flags, /*create=*/true);
  if (!key.ok()) return fail(key.status());
  const std::vector<DemoUser> users = DemoUsers();
  if (Status s = Seed(**store, users); !s.ok()) return fail(s);
  auto config = LoadConfigFile(args.config);
  if (!config.ok()) return fail(config.status());
  // Re-applied on every start: the simulators' addresses change.
  auto applied = ApplyConfig(**store, *config, *key);
  if (!applied.ok()) return fail(applied.status());
  if (Status s = SeedMatrixDocument(**store, args.matrix); !s.ok()) {
    // The demo runs without it: the console just has no document in flight.
    std::cout << "note: the demo approval matrix was not seeded: " << s.message() << "\n";
  }
  std::cout << "seeded partner " << kPartnerName << "; applied " << args.config << "\n";
  for (const auto& line : applied->lines) std::cout << "  " << line << "\n";
  // The dashboards' brand of each storefront (docs/intel.md); unchanged labels change nothing.
  for (const auto& [tenant, brand] :
       {std::pair{kRetailer, "Harbor & Pine"}, std::pair{kManufacturer, "Forge Works"}}) {
    Status s = (*store)->Transact([&](store::Txn& txn) {
      return intel::SetBrandLabel(txn, gov::TenantScope::ForSystem(TenantId(tenant), "demo"),
                                  ConnectionId("shop"), brand);
    });
    if (!s.ok()) std::cout << "note: no brand label for " << tenant << ": " << s.message() << "\n";
  }
  // The SKU categories (the ERP items' category codes): Shopify order lines carry no product
  // type, so the dashboards' SKU-category breakdown reads this master data (docs/intel.md).
  {
    std::vector<intel::SkuCategory> categories;
    for (const sim::CatalogueItem& item : sim::Catalogue::Default().items()) {
      categories.push_back({item.number, item.item_category_code});
    }
    for (const char* tenant : {kRetailer, kManufacturer}) {
      Status s = (*store)->Transact([&](store::Txn& txn) {
        return intel::SetSkuCategories(txn, gov::TenantScope::ForSystem(TenantId(tenant), "demo"),
                                       categories)
            .status();
      });
      if (!s.ok())
        std::cout << "note: no SKU categories for " << tenant << ": " << s.message() << "\n";
    }
  }

  EngineOptions engine_options;
  engine_options.listen = args.listen;
  engine_options.data_dir = args.data_dir;
  engine_options.branding_file = (dir / "branding.json").string();  // e-mails in the brand
  engine_options.jobs.approvals = std::chrono::seconds(2);
  engine_options.jobs.prices = std::chrono::seconds(2);
  api::v1::ConsoleOptions console;
  console.web_root = args.web_root;
  if (console.web_root.empty()) {
    const fs::path dist = fs::path(GOVFLOW_SOURCE_DIR) / "web" / "dist";
    if (fs::exists(dist / "index.html", ec)) console.web_root = dist;
  }
  console.api.branding_file = dir / "branding.json";
  if (auto signer = governance::LoadAuditSigner(dir.string(), /*create=*/true); signer.ok()) {
    console.api.audit_public_key = signer->public_key();
  }
  store::Store& store_ref = **store;
  engine_options.mount_http = [&store_ref, console](std::shared_ptr<api::Router> router) {
    return api::v1::MountConsole(std::move(router), store_ref, SystemClock::Get(), console);
  };
  auto engine = Engine::Start(**store, *key, engine_options);
  if (!engine.ok()) return fail(engine.status());
  const std::string url = "http://" + (*engine)->address() + "/";

  std::vector<std::unique_ptr<sim::ShopifySender>> senders;
  for (const char* tenant : {kRetailer, kManufacturer}) {
    sim::ShopifySenderOptions so;
    so.target_url = "http://" + (*engine)->address() + "/hooks/" + tenant + "/shop";
    so.secret = secret;
    so.orders = uint64_t{1} << 40;
    so.rate_per_second = args.rate;
    so.seed = seed + (tenant == kRetailer ? 0 : 1);
    so.bad_sku = args.bad_sku;
    so.blocked_customer = args.blocked_customer;
    so.redeliver = args.redeliver;
    so.concurrency = 8;
    auto sender = sim::ShopifySender::Start(so);
    if (!sender.ok()) return fail(sender.status());
    senders.push_back(std::move(*sender));
  }

  PrintUsers(users);
  std::cout
      << "The console: " << url
      << (console.web_root.empty() ? "  (not built: run `make web`; the API is there)" : "") << "\n"
      << "  - sign in as operator@harbor.example: the exceptions inbox fills with unknown\n"
         "    items (SKUs like DISC-...) and blocked customers; open an unknown item, edit\n"
         "    the line's SKU to one the ERP knows (e.g. TEE-ORG-BLK) and retry it\n"
      << "  - every " << args.price_every_s
      << "s the operator asks for a price change; small ones are published to the\n"
         "    storefront, big ones (e.g. -35%) wait: sign in as pricing@harbor.example and\n"
         "    approve one in the approvals inbox (the operator cannot approve their own)\n"
      << "  - release@harbor.example: promoting the proposed pricing approval matrix\n"
         "    (harbor-pricing) from dev to staging waits for you\n"
      << "  - admin@northwind.example sees both customers; viewer@forge.example only Forge\n"
      << "  - Portfolio: both customers' health; Overview: throughput, failures, latency, SLA\n"
         "    and open exceptions, moving as orders arrive (metrics roll up every 5 s)\n"
      << "  - the brand comes from " << (dir / "branding.json").string()
      << " (edit it, reload the page)\n"
      << "Stop with Ctrl-C; run again to continue with the same data.\n"
      << "govflow listening on " << (*engine)->address() << std::endl;

  gov::AccessControl access(**store, SystemClock::Get());
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::steady_clock::now() - start; };
  std::map<std::string, Snapshot> last;
  uint64_t prices_requested = 0;
  auto next_price = std::chrono::seconds(4);
  bool interrupted = false;
  while (true) {
    timespec tick{2, 0};
    if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
      interrupted = true;
      break;
    }
    if (elapsed() >= next_price) {
      next_price += std::chrono::seconds(std::max(1, args.price_every_s));
      auto change =
          RequestPrice(**store, access, **storefront, prices_requested, "operator@harbor.example");
      ++prices_requested;
      if (change.ok()) {
        std::cout << "price change " << change->id << " " << change->sku << " " << change->old_price
                  << " -> " << change->new_price << ": " << gov::PriceChangeStateName(change->state)
                  << (change->state == gov::PriceChangeState::kPendingApproval
                          ? " (waiting for the pricing manager)"
                          : "")
                  << std::endl;
      } else {
        std::cout << "price change not requested: " << change.status().message() << std::endl;
      }
    }
    // Changes whose approval was decided (in the console, or by `govflow approvals approve`,
    // which does not apply the outcome itself) are released here; the engine's price job then
    // publishes them. The engine's job loop runs only the publisher (engine.cc).
    if (auto moved = gov::ReleaseDecidedPriceChanges(**store); moved.ok() && *moved > 0) {
      std::cout << *moved << " decided price change(s) released or rejected" << std::endl;
    }
    const int secs =
        static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(elapsed()).count());
    std::cout << "[" << secs << "s]";
    for (const char* tenant : {kRetailer, kManufacturer}) {
      if (auto snap = Take(**store, TenantId(tenant)); snap.ok()) last[tenant] = *snap;
      std::cout << " | " << Line(tenant, last[tenant]);
    }
    std::cout << " | ERP sales orders=" << (*erp)->stats().sales_orders
              << " | storefront prices set=" << (*storefront)->stats().price_updates << std::endl;
    if (duration && elapsed() >= *duration) break;
  }
  for (auto& sender : senders) sender->Cancel();
  for (auto& sender : senders) sender->Wait();
  (*engine)->Stop();
  const sim::ErpStats erp_stats = (*erp)->stats();
  std::cout << "\n== demo stopped" << (interrupted ? " (interrupted)" : "") << " ==\n"
            << "ERP sales orders " << erp_stats.sales_orders << ", duplicate business keys "
            << erp_stats.duplicate_external_document_numbers << "; unknown items "
            << erp_stats.unknown_item << ", blocked customers " << erp_stats.blocked_customer
            << "\nstorefront prices set " << (*storefront)->stats().price_updates
            << ", price changes requested " << prices_requested << "\n"
            << "the data stays in " << args.data_dir << ": `govflow demo --data " << args.data_dir
            << "` continues, `govflow serve --data " << args.data_dir
            << "` shows it without the simulators\n";
  return erp_stats.duplicate_external_document_numbers == 0 ? 0 : 1;
}

}  // namespace

void RegisterDemoCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* demo = app.add_subcommand(
      "demo",
      "a partner, two tenants, users for every role, simulators, a stream of orders, faults and "
      "price changes, and the console");
  demo->add_option("--data", args->data_dir, "data directory (created, or continued)");
  demo->add_option("--listen", args->listen, "HOST:PORT of the console and API");
  demo->add_option("--duration", args->duration, "stop after this long (20s, 5m); default: Ctrl-C");
  demo->add_option("--rate", args->rate, "orders per second, per tenant");
  demo->add_option("--seed", args->seed, "seed of the simulators (default: from the clock)");
  demo->add_option("--faults", args->faults, "ERP simulator fault spec");
  demo->add_option("--bad-sku", args->bad_sku, "fraction of orders with an unknown SKU");
  demo->add_option("--blocked-customer", args->blocked_customer,
                   "fraction of orders from a customer the ERP has blocked");
  demo->add_option("--redeliver", args->redeliver, "fraction of orders Shopify redelivers");
  demo->add_option("--price-every", args->price_every_s, "seconds between price change requests");
  demo->add_option("--config", args->config, "the tenants' configuration (examples/demo)");
  demo->add_option("--branding", args->branding,
                   "branding copied to DIR/branding.json when it has none");
  demo->add_option("--matrix", args->matrix,
                   "the approval matrix drafted and sent for promotion on the retailer");
  demo->add_option("--web-root", args->web_root, "the built console (default: web/dist)");
  demo->callback([args, &result] { result.exit_code = RunDemo(*args); });
}

}  // namespace govflow::cli
