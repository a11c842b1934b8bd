// `govflow exceptions list|show|retry`: exception cases, through the runtime's exceptions API
// (works on the store; a running server picks retried runs up at its next claim).
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "workflow/runtime/exceptions.h"

namespace govflow::cli {
namespace {

namespace rt = workflow::runtime;

struct ExceptionsArgs {
  StoreFlags store;
  std::string tenant;  // empty: every tenant (list); the one holding the case (show/retry)
  std::string state;   // list filter: open, retrying, resolved; empty: all
  bool json = false;
  std::string id;
};

std::string Rfc3339(TimePoint t) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us % 1'000'000));
  return std::string(buf) + frac;
}

int Fail(std::string_view what, const Status& status) {
  std::cerr << "govflow exceptions " << what << ": " << status.message() << "\n";
  return 1;
}

Result<std::vector<TenantId>> Tenants(store::Store& store, const std::string& only) {
  if (!only.empty()) return std::vector<TenantId>{TenantId(only)};
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<store::Tenant> tenants, txn.ListTenants());
  std::vector<TenantId> ids;
  for (const auto& t : tenants) ids.push_back(t.id);
  return ids;
}

int RunList(const ExceptionsArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("list", store.status());
  std::optional<store::ExceptionState> state;
  if (args.state == "open")
    state = store::ExceptionState::kOpen;
  else if (args.state == "retrying")
    state = store::ExceptionState::kRetrying;
  else if (args.state == "resolved")
    state = store::ExceptionState::kResolved;
  else if (!args.state.empty()) {
    return Fail("list", InvalidArgument("--state: expected open, retrying or resolved"));
  }
  auto tenants = Tenants(**store, args.tenant);
  if (!tenants.ok()) return Fail("list", tenants.status());
  boost::json::array all;
  size_t count = 0;
  for (const TenantId& tenant : *tenants) {
    auto cases = rt::ListExceptions(**store, tenant, state, 100000);
    if (!cases.ok()) return Fail("list", cases.status());
    for (const store::ExceptionCase& c : *cases) {
      ++count;
      if (args.json) {
        boost::json::value v = boost::json::parse(rt::ExceptionCaseToJson(c));
        v.as_object()["created_at"] = Rfc3339(c.created_at);
        all.push_back(std::move(v));
      } else {
        std::cout << c.id.value() << "  " << c.tenant.value() << "  "
                  << store::ExceptionStateName(c.state) << "  " << c.step << "  " << c.error_class
                  << "  " << c.message << "\n";
      }
    }
  }
  if (args.json) {
    std::cout << boost::json::serialize(all) << "\n";
  } else if (count == 0) {
    std::cout << "no exception cases\n";
  }
  return 0;
}

// Finds the tenant that holds case `id` (ids are unique; lookups stay tenant-scoped).
Result<TenantId> TenantOf(store::Store& store, const ExceptionsArgs& args) {
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<TenantId> tenants, Tenants(store, args.tenant));
  for (const TenantId& t : tenants) {
    auto d = rt::ShowException(store, t, ExceptionCaseId(args.id));
    if (d.ok()) return t;
    if (d.status().code() != StatusCode::kNotFound) return d.status();
  }
  return NotFound("no exception case " + args.id);
}

int RunShow(const ExceptionsArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("show", store.status());
  auto tenant = TenantOf(**store, args);
  if (!tenant.ok()) return Fail("show", tenant.status());
  auto detail = rt::ShowException(**store, *tenant, ExceptionCaseId(args.id));
  if (!detail.ok()) return Fail("show", detail.status());
  if (args.json) {
    std::cout << rt::ExceptionDetailToJson(*detail) << "\n";
    return 0;
  }
  const store::ExceptionCase& c = detail->exception;
  std::cout << "case:        " << c.id.value() << "\n"
            << "tenant:      " << c.tenant.value() << "\n"
            << "state:       " << store::ExceptionStateName(c.state) << "\n"
            << "run:         " << c.run.value() << " (" << detail->run.workflow_name << " v"
            << detail->run.workflow_version << ", " << store::RunStateName(detail->run.state)
            << ")\n"
            << "step:        " << c.step << "\n"
            << "error class: " << c.error_class << "\n"
            << "message:     " << c.message << "\n"
            << "payload:     " << c.payload_json << "\n"
            << "history:\n";
  for (const store::RunEvent& e : detail->history) {
    std::cout << "  " << e.seq << " " << e.kind << " " << e.step << " attempt=" << e.attempt << " "
              << e.payload_json << "\n";
  }
  return 0;
}

int RunRetry(const ExceptionsArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("retry", store.status());
  auto tenant = TenantOf(**store, args);
  if (!tenant.ok()) return Fail("retry", tenant.status());
  Status s = rt::RetryException(**store, *tenant, ExceptionCaseId(args.id));
  if (!s.ok()) return Fail("retry", s);
  std::cout << "retrying " << args.id << "\n";
  return 0;
}

}  // namespace

void RegisterExceptionsCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<ExceptionsArgs>();
  CLI::App* group = app.add_subcommand("exceptions", "exception cases: list, show, retry");
  group->require_subcommand(1);

  CLI::App* list = group->add_subcommand("list", "list exception cases (oldest first)");
  AddStoreFlags(*list, args->store);
  list->add_option("--tenant", args->tenant, "only this tenant");
  list->add_option("--state", args->state, "open, retrying or resolved (default: all)");
  list->add_flag("--json", args->json, "print a JSON array");
  list->callback([args, &result] { result.exit_code = RunList(*args); });

  CLI::App* show = group->add_subcommand("show", "show one case with its run's history");
  AddStoreFlags(*show, args->store);
  show->add_option("id", args->id, "exception case id")->required();
  show->add_option("--tenant", args->tenant, "the case's tenant (default: found)");
  show->add_flag("--json", args->json, "print JSON");
  show->callback([args, &result] { result.exit_code = RunShow(*args); });

  CLI::App* retry = group->add_subcommand("retry", "retry the case's run from the failed step");
  AddStoreFlags(*retry, args->store);
  retry->add_option("id", args->id, "exception case id")->required();
  retry->add_option("--tenant", args->tenant, "the case's tenant (default: found)");
  retry->callback([args, &result] { result.exit_code = RunRetry(*args); });
}

}  // namespace govflow::cli
