// `govflow prices request|list|show|publish`: master-data price changes behind the approval gate
// (governance/price_changes.h, docs/governance/pricing.md). request, list and show act as a
// person (`--as EMAIL`) checked by AccessControl on the tenant; `publish` is the operator's
// manual run of the jobs `govflow serve` runs periodically (release or reject changes whose
// approvals were decided, then publish released changes to the storefront; actors
// system:price_changes and system:price_publisher).
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "connect/http/curl_http_client.h"
#include "connect/shopify/admin_client.h"
#include "governance/access.h"
#include "governance/policies/approval_matrix.h"
#include "governance/price_changes.h"
#include "governance/price_publisher.h"

namespace govflow::cli {
namespace {

namespace gov = governance;

struct PricesArgs {
  StoreFlags store;
  std::string as;
  std::string tenant;
  std::string connection;
  std::string sku;
  std::string price;
  std::string reason;
  std::string compare_at;
  bool clear_compare_at = false;
  std::string current_price;
  int64_t variant_id = 0;
  std::string currency = "USD";
  std::string matrix_file;
  std::string state;
  std::string id;
  int limit = 100;
  bool json = false;
};

int Fail(std::string_view what, const Status& status) {
  std::cerr << "govflow prices " << what << ": " << status.message() << "\n";
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

std::string Rfc3339(TimePoint t) {
  const int64_t us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Session {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<gov::AccessControl> access;
  std::optional<gov::TenantScope> scope;
};

// Opens the store and authorises `--as` for `permission` on `--tenant` (or on the one tenant the
// person can see, when --tenant is not given).
Result<Session> OpenSession(const PricesArgs& args, std::string_view permission) {
  if (args.as.empty()) return InvalidArgument("--as EMAIL is required: the person acting");
  Session s;
  GOVFLOW_ASSIGN_OR_RETURN(s.store, OpenStore(args.store));
  s.access = std::make_unique<gov::AccessControl>(*s.store, s.store->clock());
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal principal, s.access->PrincipalForEmail(args.as));
  TenantId tenant(args.tenant);
  if (args.tenant.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(std::vector<TenantId> visible, s.access->VisibleTenants(principal));
    if (visible.size() != 1) {
      return InvalidArgument("--tenant is required (" + args.as + " sees " +
                             std::to_string(visible.size()) + " tenants)");
    }
    tenant = visible[0];
  }
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope,
                           s.access->Authorize(principal, tenant, permission));
  s.scope.emplace(std::move(scope));
  return s;
}

// The tenant's storefront connection: --connection, or its only shopify.admin connection.
Result<ConnectionId> StorefrontConnection(store::Store& store, const TenantId& tenant,
                                          const std::string& flag) {
  if (!flag.empty()) return ConnectionId(flag);
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT connection_id FROM connections WHERE tenant_id = ? AND kind = ? "
                      "ORDER BY connection_id",
                      {tenant.value(), std::string(connect::shopify::kAdminConnectorType)}));
  if (rows.size() != 1) {
    return InvalidArgument("--connection is required (tenant " + tenant.value() + " has " +
                           std::to_string(rows.size()) + " shopify.admin connections)");
  }
  return ConnectionId(rows[0].Text(0));
}

// The approval matrix from --matrix FILE (a trial of a matrix before it is published); nullopt
// without the flag: the tenant's published matrix applies (TenantPriceApprovalPolicy).
Result<std::optional<gov::PriceApprovalPolicy>> Policy(const PricesArgs& args) {
  if (args.matrix_file.empty()) return std::optional<gov::PriceApprovalPolicy>();
  std::ifstream in(args.matrix_file);
  if (!in) return InvalidArgument("--matrix: cannot read " + args.matrix_file);
  std::stringstream text;
  text << in.rdbuf();
  GOVFLOW_ASSIGN_OR_RETURN(gov::policies::ApprovalMatrix matrix,
                           gov::policies::ParseApprovalMatrix(text.str(), args.matrix_file));
  return std::optional<gov::PriceApprovalPolicy>(gov::MatrixPriceApprovalPolicy(
      std::make_shared<const gov::policies::ApprovalMatrix>(std::move(matrix))));
}

boost::json::object ChangeJson(const gov::PriceChange& c) {
  boost::json::object o;
  o["id"] = c.id;
  o["tenant"] = c.tenant.value();
  o["state"] = gov::PriceChangeStateName(c.state);
  o["sku"] = c.sku;
  o["variant_id"] = c.variant_id;
  o["connection"] = c.connection.value();
  o["currency"] = c.currency;
  o["old_price"] = c.old_price;
  o["new_price"] = c.new_price;
  o["percent"] = c.percent();
  if (c.compare_at_price) o["compare_at_price"] = *c.compare_at_price;
  o["reason"] = c.reason;
  o["requested_by"] = c.requested_by;
  o["rule"] = c.rule;
  boost::json::array tasks;
  for (const auto& t : c.approval_ids) tasks.emplace_back(t);
  o["approval_ids"] = std::move(tasks);
  o["outcome"] = c.outcome;
  o["created_at"] = Rfc3339(c.created_at);
  if (c.published_at) o["published_at"] = Rfc3339(*c.published_at);
  return o;
}

void PrintChange(const gov::PriceChange& c) {
  char pct[16];
  std::snprintf(pct, sizeof pct, "%+.2f%%", c.percent());
  std::cout << c.id << "  " << gov::PriceChangeStateName(c.state) << "  " << c.sku << "  "
            << c.old_price << " -> " << c.new_price << " " << c.currency << " (" << pct << ")";
  if (!c.rule.empty()) std::cout << "  held by: " << c.rule;
  for (const auto& t : c.approval_ids) std::cout << "  task " << t;
  if (!c.outcome.empty()) std::cout << "  " << c.outcome;
  std::cout << "\n";
}

// Looks the SKU up on the storefront: its variant id and current price.
Result<connect::shopify::VariantPrice> LookUpVariant(const PricesArgs& args, store::Store& store,
                                                     const TenantId& tenant,
                                                     const ConnectionId& connection) {
  GOVFLOW_ASSIGN_OR_RETURN(std::string key, LoadMasterKey(args.store, /*create=*/false));
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<connect::CurlHttpClient> http,
                           connect::CurlHttpClient::Create());
  gov::StoredStorefrontClients clients(store, *http, store.clock(), key);
  GOVFLOW_ASSIGN_OR_RETURN(connect::shopify::AdminClient * client, clients.For(tenant, connection));
  std::promise<connect::CallResult<std::optional<connect::shopify::VariantPrice>>> promise;
  auto future = promise.get_future();
  client->FindVariantBySku(args.sku, [&promise](auto r) { promise.set_value(std::move(r)); });
  auto found = future.get();
  if (!found.ok())
    return Unavailable("storefront lookup of " + args.sku + ": " + found.failure().ToString());
  if (!found.value()) return NotFound("the storefront has no variant with SKU " + args.sku);
  return *found.value();
}

int RunRequest(const PricesArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRequest);
  if (!session.ok()) return Fail("request", session.status());
  const TenantId tenant = session->scope->tenant();
  auto connection = StorefrontConnection(*session->store, tenant, args.connection);
  if (!connection.ok()) return Fail("request", connection.status());
  auto policy = Policy(args);
  if (!policy.ok()) return Fail("request", policy.status());

  gov::PriceChangeRequest r;
  r.connection = *connection;
  r.sku = args.sku;
  r.new_price = args.price;
  r.reason = args.reason;
  r.currency = args.currency;
  if (args.clear_compare_at) {
    r.compare_at_price = "";
  } else if (!args.compare_at.empty()) {
    r.compare_at_price = args.compare_at;
  }
  if (args.variant_id > 0 && !args.current_price.empty()) {
    // Offline: the caller says where the price starts from.
    r.variant_id = args.variant_id;
    r.old_price = args.current_price;
  } else {
    auto variant = LookUpVariant(args, *session->store, tenant, *connection);
    if (!variant.ok()) return Fail("request", variant.status());
    r.variant_id = variant->variant_id;
    r.old_price = variant->price;
  }
  gov::PriceChange change;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    gov::PriceApprovalPolicy effective;
    if (*policy) {
      effective = **policy;
    } else {
      GOVFLOW_ASSIGN_OR_RETURN(effective, gov::TenantPriceApprovalPolicy(txn, tenant));
    }
    GOVFLOW_ASSIGN_OR_RETURN(change, gov::RequestPriceChange(txn, *session->scope, r, effective));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("request", st);
  if (args.json) {
    std::cout << boost::json::serialize(ChangeJson(change)) << "\n";
  } else {
    PrintChange(change);
    if (change.state == gov::PriceChangeState::kPendingApproval) {
      std::cout << "waiting for approval: govflow approvals show " << *change.approval_id << "\n";
    }
  }
  return 0;
}

int RunList(const PricesArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRead);
  if (!session.ok()) return Fail("list", session.status());
  std::optional<gov::PriceChangeState> state;
  if (!args.state.empty()) {
    for (auto s : {gov::PriceChangeState::kPendingApproval, gov::PriceChangeState::kReleased,
                   gov::PriceChangeState::kPublished, gov::PriceChangeState::kRejected,
                   gov::PriceChangeState::kFailed}) {
      if (gov::PriceChangeStateName(s) == args.state) state = s;
    }
    if (!state) {
      return Fail("list", InvalidArgument("--state: expected pending_approval, released, "
                                          "published, rejected or failed"));
    }
  }
  std::vector<gov::PriceChange> changes;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(changes,
                             gov::ListPriceChanges(txn, *session->scope, state, args.limit));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("list", st);
  if (args.json) {
    boost::json::array out;
    for (const auto& c : changes) out.push_back(ChangeJson(c));
    std::cout << boost::json::serialize(out) << "\n";
    return 0;
  }
  if (changes.empty()) std::cout << "no price changes\n";
  for (const auto& c : changes) PrintChange(c);
  return 0;
}

int RunShow(const PricesArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRead);
  if (!session.ok()) return Fail("show", session.status());
  gov::PriceChange change;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(change, gov::GetPriceChange(txn, *session->scope, args.id));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("show", st);
  boost::json::object o = ChangeJson(change);
  o["diff"] = boost::json::parse(gov::PriceChangeDiffJson(change));
  std::cout << boost::json::serialize(o) << "\n";
  return 0;
}

// Operator command: the serve loop's two pricing jobs, once.
int RunPublish(const PricesArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("publish", store.status());
  auto key = LoadMasterKey(args.store, /*create=*/false);
  if (!key.ok()) return Fail("publish", key.status());
  auto settled = gov::ReleaseDecidedPriceChanges(**store);
  if (!settled.ok()) return Fail("publish", settled.status());
  auto http = connect::CurlHttpClient::Create();
  if (!http.ok()) return Fail("publish", http.status());
  gov::StoredStorefrontClients clients(**store, **http, (*store)->clock(), *key);
  gov::PricePublisherOptions options;
  options.owner = "cli-" + std::to_string(::getpid());
  gov::PricePublisher publisher(**store, clients, options);
  auto report = publisher.PublishDue(args.limit);
  if (!report.ok()) return Fail("publish", report.status());
  std::cout << "settled=" << *settled << " published=" << report->published
            << " already_applied=" << report->already_applied << " retrying=" << report->retrying
            << " failed=" << report->failed << "\n";
  return 0;
}

void AddPersonFlags(CLI::App& cmd, PricesArgs& args) {
  AddStoreFlags(cmd, args.store);
  cmd.add_option("--as", args.as, "acting user's e-mail (checked against their roles)")->required();
  cmd.add_option("--tenant", args.tenant, "tenant (default: the only one the user sees)");
}

}  // namespace

void RegisterPricesCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<PricesArgs>();
  CLI::App* group = app.add_subcommand("prices",
                                       "price changes behind the approval gate: request, list, "
                                       "show, publish");
  group->require_subcommand(1);

  CLI::App* request = group->add_subcommand(
      "request", "request a storefront price change (held for approval when the matrix says so)");
  AddPersonFlags(*request, *args);
  request->add_option("--sku", args->sku, "the variant's SKU")->required();
  request->add_option("--price", args->price, "the new price, e.g. 15.60")->required();
  request->add_option("--reason", args->reason, "why (shown to approvers)")->required();
  request->add_option("--connection", args->connection,
                      "the shopify.admin connection (default: the tenant's only one)");
  request->add_option("--compare-at", args->compare_at,
                      "compare-at price to show the reduction against (e.g. the old price)");
  request->add_flag("--clear-compare-at", args->clear_compare_at, "remove the compare-at price");
  request->add_option("--current-price", args->current_price,
                      "with --variant: skip the storefront lookup (the price to change from)");
  request->add_option("--variant", args->variant_id, "with --current-price: the variant id");
  request->add_option("--currency", args->currency, "ISO 4217 code")->capture_default_str();
  request->add_option("--matrix", args->matrix_file,
                      "approval matrix YAML to apply instead of the tenant's published one "
                      "(default: published to prod, else the shipped baseline)");
  request->add_flag("--json", args->json, "print the change as JSON");
  request->callback([args, &result] { result.exit_code = RunRequest(*args); });

  CLI::App* list = group->add_subcommand("list", "the tenant's price changes, newest first");
  AddPersonFlags(*list, *args);
  list->add_option("--state", args->state,
                   "pending_approval, released, published, rejected or failed");
  list->add_option("--limit", args->limit, "at most this many")->capture_default_str();
  list->add_flag("--json", args->json, "JSON output");
  list->callback([args, &result] { result.exit_code = RunList(*args); });

  CLI::App* show = group->add_subcommand("show", "one price change with its exact diff (JSON)");
  AddPersonFlags(*show, *args);
  show->add_option("id", args->id, "price change id (pc_...)")->required();
  show->callback([args, &result] { result.exit_code = RunShow(*args); });

  CLI::App* publish = group->add_subcommand(
      "publish",
      "operator: release/reject decided changes and publish released ones to the storefront "
      "once (what govflow serve does periodically; no --as)");
  AddStoreFlags(*publish, args->store);
  publish->add_option("--limit", args->limit, "at most this many changes")->capture_default_str();
  publish->callback([args, &result] { result.exit_code = RunPublish(*args); });
}

}  // namespace govflow::cli
