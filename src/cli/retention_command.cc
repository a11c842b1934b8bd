// `govflow retention run|hold|release|status|set-rules`: data retention
// (docs/governance/retention.md). Every subcommand acts as a user (`--as EMAIL`) who must hold
// retention.manage on each tenant it touches (AccessControl). `run` without --tenant sweeps every
// tenant the user may manage; `govflow serve` runs the same job periodically as the system.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "governance/access.h"
#include "governance/retention.h"

namespace govflow::cli {
namespace {

namespace gov = governance;

struct RetentionArgs {
  StoreFlags store;
  std::string as;      // --as EMAIL
  std::string tenant;  // --tenant
  std::string reason;  // --reason
  std::string data;    // --data-class (hold/release): one class; empty = the whole tenant
  std::string rules;   // --rules FILE (run) / -f FILE (set-rules)
  bool dry_run = false;
  bool json = false;
  int batch = 500;
};

int Fail(std::string_view what, const Status& status) {
  std::cerr << "govflow retention " << what << ": " << status.message() << "\n";
  return 1;
}

std::string Rfc3339(TimePoint t) {
  const int64_t us = t.time_since_epoch().count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The scopes `--as` holds retention.manage on: --tenant's (an error when denied), or every
// visible tenant's that grants it (the others are listed in `skipped`).
Result<std::vector<gov::TenantScope>> Scopes(store::Store& store, const RetentionArgs& args,
                                             bool tenant_required,
                                             std::vector<std::string>* skipped = nullptr) {
  if (args.as.empty()) {
    return InvalidArgument("--as EMAIL is required: retention commands act as a user");
  }
  if (tenant_required && args.tenant.empty()) return InvalidArgument("--tenant is required");
  gov::AccessControl access(store, SystemClock::Get());
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal who, access.PrincipalForEmail(args.as));
  std::vector<gov::TenantScope> scopes;
  if (!args.tenant.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope, access.Authorize(who, TenantId(args.tenant),
                                                                      gov::perm::kRetentionManage));
    scopes.push_back(std::move(scope));
    return scopes;
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<TenantId> visible, access.VisibleTenants(who));
  for (const TenantId& t : visible) {
    auto scope = access.Authorize(who, t, gov::perm::kRetentionManage);
    if (scope.ok()) {
      scopes.push_back(std::move(*scope));
    } else if (skipped != nullptr) {
      skipped->push_back(t.value() + ": " + scope.status().message());
    }
  }
  return scopes;
}

Result<std::optional<gov::DataClass>> ClassArg(const std::string& text) {
  if (text.empty()) return std::optional<gov::DataClass>();
  auto c = gov::ParseDataClass(text);
  if (!c) {
    return InvalidArgument(
        "--data-class: expected payload_bodies, run_history, exception_cases, "
        "audit or metrics, got " +
        text);
  }
  return std::optional<gov::DataClass>(*c);
}

int RunRun(const RetentionArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("run", store.status());
  gov::RetentionOptions options;
  options.dry_run = args.dry_run;
  options.batch_size = args.batch;
  if (!args.rules.empty()) {
    auto text = ReadFile(args.rules);
    if (!text.ok()) return Fail("run", text.status());
    auto rules = gov::ParseRetentionRules(*text, args.rules);
    if (!rules.ok()) return Fail("run", rules.status());
    options.rules = std::make_shared<const gov::RetentionRules>(std::move(*rules));
  }
  std::vector<std::string> skipped;
  auto scopes = Scopes(**store, args, false, &skipped);
  if (!scopes.ok()) return Fail("run", scopes.status());
  boost::json::array reports;
  int exit_code = 0;
  for (const gov::TenantScope& scope : *scopes) {
    auto report = gov::RunRetentionForTenant(**store, SystemClock::Get(), scope, options);
    if (!report.ok()) {
      std::cerr << "govflow retention run: tenant " << scope.tenant().value() << ": "
                << report.status().message() << "\n";
      exit_code = 1;
      continue;
    }
    if (args.json) {
      reports.push_back(boost::json::parse(gov::RetentionReportToJson(*report)));
      continue;
    }
    std::cout << "tenant " << report->tenant.value() << (args.dry_run ? " (dry run)" : "")
              << ": rules " << report->rules_source
              << (report->rules_hash.empty() ? "" : " " + report->rules_hash.substr(0, 12));
    if (report->held) std::cout << ", LEGAL HOLD: " << report->hold_reason;
    std::cout << "\n";
    for (const gov::RetentionClassReport& c : report->classes) {
      std::cout << "  " << gov::DataClassName(c.data_class) << ": " << c.outcome;
      if (c.outcome == "done") {
        std::cout << ", redacted " << c.redacted << ", purged " << c.purged << " in " << c.batches
                  << " batch(es)";
        if (c.condition_errors > 0) std::cout << ", " << c.condition_errors << " undecided";
        if (c.kept_referenced > 0) std::cout << ", " << c.kept_referenced << " still referenced";
      }
      if (!c.note.empty()) std::cout << " (" << c.note << ")";
      std::cout << "\n";
    }
  }
  if (args.json) std::cout << boost::json::serialize(reports) << "\n";
  for (const std::string& s : skipped) std::cerr << "skipped " << s << "\n";
  if (scopes->empty()) std::cout << "no tenant to sweep\n";
  return exit_code;
}

int RunHold(const RetentionArgs& args, bool place) {
  const char* what = place ? "hold" : "release";
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail(what, store.status());
  auto data_class = ClassArg(args.data);
  if (!data_class.ok()) return Fail(what, data_class.status());
  auto scopes = Scopes(**store, args, true);
  if (!scopes.ok()) return Fail(what, scopes.status());
  const gov::TenantScope& scope = scopes->front();
  std::string hold_id;
  Status st = (*store)->Transact([&](store::Txn& txn) -> Status {
    if (!place) return gov::ReleaseLegalHold(txn, scope, *data_class, args.reason);
    GOVFLOW_ASSIGN_OR_RETURN(gov::LegalHold hold,
                             gov::PlaceLegalHold(txn, scope, *data_class, args.reason));
    hold_id = hold.hold_id;
    return Status::Ok();
  });
  if (!st.ok()) return Fail(what, st);
  const std::string on = data_class->has_value() ? std::string(gov::DataClassName(**data_class))
                                                 : std::string("all data");
  if (place) {
    std::cout << "legal hold " << hold_id << " placed on " << on << " of tenant "
              << scope.tenant().value() << "\n";
  } else {
    std::cout << "legal hold on " << on << " of tenant " << scope.tenant().value() << " released\n";
  }
  return 0;
}

int RunStatus(const RetentionArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("status", store.status());
  auto scopes = Scopes(**store, args, false);
  if (!scopes.ok()) return Fail("status", scopes.status());
  boost::json::array out;
  for (const gov::TenantScope& scope : *scopes) {
    gov::RetentionStatus status;
    Status st = (*store)->Transact([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(status, gov::GetRetentionStatus(txn, scope));
      return Status::Ok();
    });
    if (!st.ok()) return Fail("status", st);
    if (args.json) {
      boost::json::object o;
      o["tenant"] = status.tenant.value();
      o["rules_source"] = status.rules_source;
      o["rules_hash"] = status.rules_hash;
      boost::json::array holds;
      for (const gov::LegalHold& h : status.holds) {
        holds.push_back({{"hold_id", h.hold_id},
                         {"data_class", h.data_class ? gov::DataClassName(*h.data_class) : "*"},
                         {"reason", h.reason},
                         {"placed_by", h.placed_by},
                         {"placed_at", Rfc3339(h.placed_at)}});
      }
      o["holds"] = std::move(holds);
      if (status.last_run_at) {
        o["last_run_at"] = Rfc3339(*status.last_run_at);
        o["last_outcome"] = status.last_outcome;
        o["last_report"] = boost::json::parse(status.last_report_json);
      }
      out.push_back(std::move(o));
      continue;
    }
    std::cout << "tenant " << status.tenant.value() << "\n  rules: "
              << (status.rules_hash.empty()
                      ? status.rules_source + " (nothing is purged)"
                      : status.rules_source + " " + status.rules_hash.substr(0, 12))
              << "\n  last run: "
              << (status.last_run_at
                      ? Rfc3339(*status.last_run_at) + " (" + status.last_outcome + ")"
                      : std::string("never"))
              << "\n";
    if (status.holds.empty()) std::cout << "  legal holds: none\n";
    for (const gov::LegalHold& h : status.holds) {
      std::cout << "  LEGAL HOLD " << h.hold_id << " on "
                << (h.data_class ? gov::DataClassName(*h.data_class) : "all data") << " since "
                << Rfc3339(h.placed_at) << " by " << h.placed_by << ": " << h.reason << "\n";
    }
  }
  if (args.json) std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

int RunSetRules(const RetentionArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("set-rules", store.status());
  auto text = ReadFile(args.rules);
  if (!text.ok()) return Fail("set-rules", text.status());
  auto scopes = Scopes(**store, args, true);
  if (!scopes.ok()) return Fail("set-rules", scopes.status());
  Status st = (*store)->Transact([&](store::Txn& txn) {
    return gov::SetTenantRetentionRules(txn, scopes->front(), *text, args.rules, args.reason);
  });
  if (!st.ok()) return Fail("set-rules", st);
  std::cout << "retention rules of tenant " << args.tenant << " set from " << args.rules << "\n";
  return 0;
}

}  // namespace

void RegisterRetentionCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<RetentionArgs>();
  CLI::App* group = app.add_subcommand(
      "retention", "data retention: run the job, legal holds, status, a tenant's rules");
  group->require_subcommand(1);
  auto common = [&](CLI::App* c, const char* as_help) {
    AddStoreFlags(*c, args->store);
    c->add_option("--as", args->as, as_help)->required();
  };

  CLI::App* run = group->add_subcommand("run", "purge or redact what the rules say is due");
  common(run, "act as this user (e-mail); needs retention.manage");
  run->add_option("--tenant", args->tenant, "only this tenant (default: every tenant you manage)");
  run->add_flag("--dry-run", args->dry_run, "report what is due; change nothing");
  run->add_option("--rules", args->rules,
                  "use this retention policy file instead of each tenant's rules");
  run->add_option("--batch", args->batch, "records per transaction (default 500)")
      ->check(CLI::Range(1, 100000));
  run->add_flag("--json", args->json, "print the reports as JSON");
  run->callback([args, &result] { result.exit_code = RunRun(*args); });

  CLI::App* hold = group->add_subcommand("hold", "place a legal hold: retention stops");
  common(hold, "act as this user (e-mail); needs retention.manage");
  hold->add_option("--tenant", args->tenant, "the tenant")->required();
  hold->add_option("--reason", args->reason, "why (recorded in the audit trail)")->required();
  hold->add_option("--data-class", args->data, "hold only this data class (default: all data)");
  hold->callback([args, &result] { result.exit_code = RunHold(*args, true); });

  CLI::App* release = group->add_subcommand("release", "release a legal hold");
  common(release, "act as this user (e-mail); needs retention.manage");
  release->add_option("--tenant", args->tenant, "the tenant")->required();
  release->add_option("--reason", args->reason, "why (recorded in the audit trail)")->required();
  release->add_option("--data-class", args->data, "the class the hold is on (default: all data)");
  release->callback([args, &result] { result.exit_code = RunHold(*args, false); });

  CLI::App* status = group->add_subcommand("status", "legal holds, rules and the last run");
  common(status, "act as this user (e-mail); needs retention.manage");
  status->add_option("--tenant", args->tenant, "only this tenant");
  status->add_flag("--json", args->json, "print JSON");
  status->callback([args, &result] { result.exit_code = RunStatus(*args); });

  CLI::App* set_rules =
      group->add_subcommand("set-rules", "store a tenant's retention rules (a policy file)");
  common(set_rules, "act as this user (e-mail); needs retention.manage");
  set_rules->add_option("--tenant", args->tenant, "the tenant")->required();
  set_rules->add_option("-f,--file", args->rules, "the retention policy (YAML)")->required();
  set_rules->add_option("--reason", args->reason, "why (recorded in the audit trail)")->required();
  set_rules->callback([args, &result] { result.exit_code = RunSetRules(*args); });
}

}  // namespace govflow::cli
