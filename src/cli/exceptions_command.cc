// `govflow exceptions ...`: the exceptions inbox and its actions. list, show and retry without
// --as keep the engine's first form (issue 3: every tenant, no access check, for the operator on
// the host); with --as EMAIL (and --tenant) they, and groups, ack, assign, edit, skip, cancel,
// resolve and bulk, act as that user, checked by governance::AccessControl (exceptions.read /
// exceptions.act). `escalations run` is an operator command (the SLA monitor's job, as system).
// Works on the store; a running server picks retried runs up at its next claim.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/branding.h"
#include "cli/commands.h"
#include "cli/store_options.h"
#include "connect/notify/notifier.h"
#include "governance/access.h"
#include "governance/exceptions/cases.h"
#include "governance/sla_monitor.h"
#include "workflow/runtime/exceptions.h"

namespace govflow::cli {
namespace {

namespace rt = workflow::runtime;
namespace gov = governance;
namespace gx = governance::exceptions;

struct ExceptionsArgs {
  StoreFlags store;
  std::string tenant;  // empty: every tenant (list); the one holding the case (show/retry)
  std::string state;   // list filter: open, retrying, resolved (+ acknowledged with --as)
  bool json = false;
  std::string id;
  // Governed commands.
  std::string as;  // --as EMAIL
  std::vector<std::string> ids;
  std::string group;  // --group ROOT_CAUSE_KEY: every unresolved member
  std::string team, user, severity, root_cause, sla, sort = "sla", cursor;
  int limit = 100;
  std::string reason, comment, patch_file;
  std::string action;  // bulk ACTION
  // escalations run
  std::string smtp_url, smtp_from;
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

// ---- governed commands (--as) -----------------------------------------------------------------

struct Session {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<gov::AccessControl> access;
  std::optional<gov::TenantScope> scope;
};

Result<Session> OpenSession(const ExceptionsArgs& args, std::string_view permission) {
  if (args.as.empty()) return InvalidArgument("--as EMAIL is required: the person acting");
  Session s;
  GOVFLOW_ASSIGN_OR_RETURN(s.store, OpenStore(args.store));
  s.access = std::make_unique<gov::AccessControl>(*s.store, s.store->clock());
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal principal, s.access->PrincipalForEmail(args.as));
  TenantId tenant(args.tenant);
  if (args.tenant.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(std::vector<TenantId> visible, s.access->VisibleTenants(principal));
    if (visible.size() != 1) return InvalidArgument("--tenant is required");
    tenant = visible[0];
  }
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope,
                           s.access->Authorize(principal, tenant, permission));
  s.scope.emplace(std::move(scope));
  return s;
}

// The ids named on the command line, or the unresolved members of --group.
Result<std::vector<ExceptionCaseId>> Targets(Session& s, const ExceptionsArgs& args) {
  std::vector<ExceptionCaseId> ids;
  for (const std::string& id : args.ids) ids.emplace_back(id);
  if (!args.id.empty()) ids.emplace_back(args.id);
  if (!args.group.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(auto members, gx::GroupMembers(*s.store, *s.scope, args.group, true));
    ids.insert(ids.end(), members.begin(), members.end());
  }
  if (ids.empty() && !args.group.empty()) {
    return NotFound("no unresolved case has root cause " + args.group);
  }
  if (ids.empty()) return InvalidArgument("name case ids or --group ROOT_CAUSE_KEY");
  return ids;
}

int Report(std::string_view what, const ExceptionsArgs& args,
           const Result<gx::BulkOutcome>& outcome) {
  if (!outcome.ok()) return Fail(what, outcome.status());
  if (args.json) {
    boost::json::object o;
    boost::json::array done, skipped;
    for (const auto& id : outcome->done) done.push_back(boost::json::value(id.value()));
    for (const auto& [id, st] : outcome->skipped) {
      skipped.push_back(boost::json::object{{"id", id.value()}, {"reason", st.message()}});
    }
    o["done"] = std::move(done);
    o["skipped"] = std::move(skipped);
    std::cout << boost::json::serialize(o) << "\n";
  } else {
    std::cout << what << ": " << outcome->done.size() << " case(s)";
    if (!outcome->skipped.empty()) std::cout << ", " << outcome->skipped.size() << " passed over";
    std::cout << "\n";
    for (const auto& [id, st] : outcome->skipped) {
      std::cout << "  " << id.value() << ": " << st.message() << "\n";
    }
  }
  return 0;
}

int RunGovernedList(const ExceptionsArgs& args) {
  auto s = OpenSession(args, gov::perm::kExceptionsRead);
  if (!s.ok()) return Fail("list", s.status());
  gx::CaseFilter f;
  f.team = args.team;
  f.severity = args.severity;
  f.root_cause_key = args.root_cause;
  f.limit = args.limit;
  f.cursor = args.cursor;
  if (!args.state.empty()) {
    if (args.state == "unresolved") {
      f.unresolved_only = true;
    } else {
      f.state = gx::ParseCaseState(args.state);
      if (!f.state) {
        return Fail("list", InvalidArgument("--state: expected open, acknowledged, retrying, "
                                            "resolved or unresolved"));
      }
    }
  }
  if (!args.sla.empty()) {
    f.sla_risk = gx::ParseSlaRisk(args.sla);
    if (!f.sla_risk) {
      return Fail("list", InvalidArgument("--sla: expected breached, at_risk, ok or closed"));
    }
  }
  if (args.sort == "sla")
    f.sort = gx::CaseSort::kSlaRisk;
  else if (args.sort == "impact")
    f.sort = gx::CaseSort::kBusinessImpact;
  else if (args.sort == "oldest")
    f.sort = gx::CaseSort::kOldest;
  else
    return Fail("list", InvalidArgument("--sort: expected sla, impact or oldest"));
  auto page = gx::ListCases(*s->store, *s->scope, f);
  if (!page.ok()) return Fail("list", page.status());
  if (args.json) {
    boost::json::array all;
    for (const gx::CaseView& c : page->cases) {
      boost::json::value v = boost::json::parse(gx::CaseViewToJson(c, true));
      v.as_object()["created_at"] = Rfc3339(c.exception.created_at);
      all.push_back(std::move(v));
    }
    std::cout << boost::json::serialize(all) << "\n";
  } else {
    if (page->cases.empty()) std::cout << "no exception cases\n";
    for (const gx::CaseView& c : page->cases) {
      std::cout << c.exception.id.value() << "  " << c.severity << "  "
                << gx::CaseStateName(c.state) << "  " << gx::SlaRiskName(c.sla_risk);
      if (c.next_due_at) std::cout << " (due " << Rfc3339(*c.next_due_at) << ")";
      std::cout << "  " << c.owner_team << "  " << c.root_cause_key << "  "
                << c.order_value_minor / 100 << "." << (c.order_value_minor % 100 < 10 ? "0" : "")
                << c.order_value_minor % 100 << " " << c.currency << "\n";
    }
  }
  if (!page->next_cursor.empty()) std::cerr << "next page: --cursor " << page->next_cursor << "\n";
  return 0;
}

int RunGovernedShow(const ExceptionsArgs& args) {
  auto s = OpenSession(args, gov::perm::kExceptionsRead);
  if (!s.ok()) return Fail("show", s.status());
  auto c = gx::GetCase(*s->store, *s->scope, ExceptionCaseId(args.id));
  if (!c.ok()) return Fail("show", c.status());
  auto edits = gx::ListPayloadEdits(*s->store, *s->scope, ExceptionCaseId(args.id));
  if (!edits.ok()) return Fail("show", edits.status());
  boost::json::value v = boost::json::parse(gx::CaseViewToJson(*c, true));
  boost::json::array e;
  for (const gx::PayloadEdit& p : *edits) {
    e.push_back(boost::json::object{{"seq", p.seq},
                                    {"actor", p.actor},
                                    {"at", Rfc3339(p.at)},
                                    {"diff", boost::json::parse(p.diff_json)},
                                    {"before_digest", p.before_digest},
                                    {"after_digest", p.after_digest}});
  }
  v.as_object()["edits"] = std::move(e);
  if (args.json) {
    std::cout << boost::json::serialize(v) << "\n";
    return 0;
  }
  std::cout << "case:        " << c->exception.id.value() << " (" << gx::CaseStateName(c->state)
            << ")\n"
            << "severity:    " << c->severity << "   team: " << c->owner_team
            << (c->assignee.empty() ? "" : "   assignee: " + c->assignee) << "\n"
            << "root cause:  " << c->root_cause_key << " (" << c->category << ")\n"
            << "error:       " << c->exception.error_class << ": " << c->exception.message << "\n"
            << "run:         " << c->exception.run.value() << " step " << c->exception.step << "\n"
            << "acknowledge: by " << Rfc3339(c->ack_due_at)
            << (c->acknowledged_at
                    ? ", done " + Rfc3339(*c->acknowledged_at) + " by " + c->acknowledged_by
                    : std::string(""))
            << "\n"
            << "resolve:     by " << Rfc3339(c->resolve_due_at)
            << (c->closed_at ? ", " + c->resolution + " " + Rfc3339(*c->closed_at) +
                                   (c->resolution_reason.empty() ? "" : ": " + c->resolution_reason)
                             : std::string(""))
            << "\n"
            << "sla:         " << gx::SlaRiskName(c->sla_risk) << "\n"
            << "impact:      " << c->order_value_minor / 100 << "."
            << (c->order_value_minor % 100 < 10 ? "0" : "") << c->order_value_minor % 100 << " "
            << c->currency << ", customer " << c->customer_key << "\n"
            << "policies:    " << c->policy_note << "\n";
  for (const gx::PayloadEdit& p : *edits) {
    std::cout << "edit " << p.seq << " by " << p.actor << " at " << Rfc3339(p.at) << ": "
              << p.diff_json << "\n";
  }
  return 0;
}

int RunGroups(const ExceptionsArgs& args) {
  auto s = OpenSession(args, gov::perm::kExceptionsRead);
  if (!s.ok()) return Fail("groups", s.status());
  gx::GroupFilter f;
  f.team = args.team;
  f.limit = args.limit;
  f.unresolved_only = args.state != "all";
  auto groups = gx::ListGroups(*s->store, *s->scope, f);
  if (!groups.ok()) return Fail("groups", groups.status());
  if (args.json) {
    boost::json::array all;
    for (const auto& g : *groups) all.push_back(boost::json::parse(gx::GroupViewToJson(g)));
    std::cout << boost::json::serialize(all) << "\n";
    return 0;
  }
  if (groups->empty()) std::cout << "no exception groups\n";
  for (const gx::GroupView& g : *groups) {
    std::cout << g.root_cause_key << "  " << g.highest_severity << "  " << g.unresolved << "/"
              << g.members << " open  " << g.customers << " customers ";
    for (const gx::MoneyTotal& m : g.order_value) {
      std::cout << " " << m.value_minor / 100 << "." << (m.value_minor % 100 < 10 ? "0" : "")
                << m.value_minor % 100 << " " << m.currency;
    }
    std::cout << "\n";
  }
  return 0;
}

Result<gx::BulkOutcome> Act(const std::string& action, Session& s, const ExceptionsArgs& args) {
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<ExceptionCaseId> ids, Targets(s, args));
  if (action == "ack") return gx::Acknowledge(*s.store, *s.scope, ids, args.comment);
  if (action == "assign")
    return gx::Assign(*s.store, *s.scope, ids, args.team, args.user, args.comment);
  if (action == "retry") return rt::RetryExceptions(*s.store, *s.scope, ids, args.comment);
  if (action == "skip") return rt::SkipExceptionSteps(*s.store, *s.scope, ids, args.reason);
  if (action == "cancel") return rt::CancelExceptionRuns(*s.store, *s.scope, ids, args.reason);
  if (action == "resolve") return gx::Resolve(*s.store, *s.scope, ids, args.reason);
  return InvalidArgument("unknown action '" + action +
                         "'; expected ack, assign, retry, skip, cancel or resolve");
}

int RunAction(const std::string& action, const ExceptionsArgs& args) {
  auto s = OpenSession(args, gov::perm::kExceptionsAct);
  if (!s.ok()) return Fail(action, s.status());
  return Report(action, args, Act(action, *s, args));
}

int RunEdit(const ExceptionsArgs& args) {
  auto s = OpenSession(args, gov::perm::kExceptionsAct);
  if (!s.ok()) return Fail("edit", s.status());
  if (args.patch_file.empty()) {
    auto payload = rt::EditablePayload(*s->store, *s->scope, ExceptionCaseId(args.id));
    if (!payload.ok()) return Fail("edit", payload.status());
    std::cout << *payload << "\n";  // what a patch applies to
    return 0;
  }
  std::ifstream in(args.patch_file);
  if (!in) return Fail("edit", NotFound("cannot read " + args.patch_file));
  std::stringstream patch;
  patch << in.rdbuf();
  return Report("edit", args,
                rt::EditAndRetryException(*s->store, *s->scope, ExceptionCaseId(args.id),
                                          patch.str(), args.comment));
}

// Operator command: runs the SLA monitor once as the system (like the periodic job of serve).
int RunEscalations(const ExceptionsArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("escalations run", store.status());
  // The same environment as `govflow serve`'s escalation job (src/cli/engine.cc).
  auto env = [](const char* name, std::string fallback = "") {
    const char* v = std::getenv(name);
    return v != nullptr && *v != 0 ? std::string(v) : fallback;
  };
  connect::notify::WebhookNotifier webhook({.signing_key = env("GOVFLOW_NOTIFY_SIGNING_KEY")});
  // E-mails in the partner's brand: <data dir>/branding.json, as `govflow serve` sends them.
  BrandingFile branding(args.store.data_dir.empty()
                            ? std::filesystem::path()
                            : std::filesystem::path(args.store.data_dir) / "branding.json");
  connect::notify::SmtpNotifier smtp(
      {.url = args.smtp_url.empty() ? env("GOVFLOW_SMTP_URL") : args.smtp_url,
       .from = args.smtp_from.empty() ? env("GOVFLOW_SMTP_FROM", "notifications@localhost")
                                      : args.smtp_from,
       .username = env("GOVFLOW_SMTP_USER"),
       .password = env("GOVFLOW_SMTP_PASSWORD"),
       .brand = [&branding] { return branding.Current(); }});
  connect::notify::RoutingNotifier router;
  router.Route("webhook", &webhook);
  router.Route("email", &smtp);
  auto stats = gov::RunDueEscalationsWithStats(**store, (*store)->clock(), router);
  if (!stats.ok()) return Fail("escalations run", stats.status());
  std::cout << "taken in: " << stats->cases_taken_in
            << ", breaches recorded: " << stats->breaches_recorded
            << ", notices sent: " << stats->notices_sent
            << ", notices failed: " << stats->notices_failed << "\n";
  return stats->notices_failed > 0 ? 1 : 0;
}

}  // namespace

void RegisterExceptionsCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<ExceptionsArgs>();
  CLI::App* group = app.add_subcommand(
      "exceptions", "exception cases: list, show, groups, act on them, escalate SLA breaches");
  group->require_subcommand(1);

  CLI::App* list = group->add_subcommand("list", "list exception cases (oldest first)");
  AddStoreFlags(*list, args->store);
  list->add_option("--tenant", args->tenant, "only this tenant");
  list->add_option("--state", args->state, "open, retrying or resolved (default: all)");
  list->add_flag("--json", args->json, "print a JSON array");
  list->add_option("--as", args->as, "act as this user (governed inbox: filters, sorting, pages)");
  list->add_option("--team", args->team, "with --as: owning team");
  list->add_option("--severity", args->severity, "with --as: P1..P4");
  list->add_option("--root-cause", args->root_cause, "with --as: root-cause key");
  list->add_option("--sla", args->sla, "with --as: breached, at_risk, ok or closed");
  list->add_option("--sort", args->sort, "with --as: sla (default), impact or oldest");
  list->add_option("--limit", args->limit, "with --as: page size (1..1000)");
  list->add_option("--cursor", args->cursor, "with --as: the previous page's cursor");
  list->callback([args, &result] {
    result.exit_code = args->as.empty() ? RunList(*args) : RunGovernedList(*args);
  });

  CLI::App* show = group->add_subcommand("show", "show one case with its run's history");
  AddStoreFlags(*show, args->store);
  show->add_option("id", args->id, "exception case id")->required();
  show->add_option("--tenant", args->tenant, "the case's tenant (default: found)");
  show->add_flag("--json", args->json, "print JSON");
  show->add_option("--as", args->as, "act as this user (governance view: SLA, impact, edits)");
  show->callback([args, &result] {
    result.exit_code = args->as.empty() ? RunShow(*args) : RunGovernedShow(*args);
  });

  CLI::App* retry = group->add_subcommand("retry", "retry the case's run from the failed step");
  AddStoreFlags(*retry, args->store);
  retry->add_option("ids", args->ids, "exception case ids (with --as: several)");
  retry->add_option("--tenant", args->tenant, "the case's tenant (default: found)");
  retry->add_option("--as", args->as, "act as this user (audited; bulk with several ids)");
  retry->add_option("--group", args->group, "with --as: every unresolved case of this root cause");
  retry->add_option("--comment", args->comment, "why (audited)");
  retry->add_flag("--json", args->json, "print JSON");
  retry->callback([args, &result] {
    if (!args->as.empty()) {
      result.exit_code = RunAction("retry", *args);
      return;
    }
    if (args->ids.size() != 1) {
      result.exit_code = Fail("retry", InvalidArgument("one case id (several need --as)"));
      return;
    }
    args->id = args->ids[0];
    result.exit_code = RunRetry(*args);
  });

  auto governed = [&](const char* name, const char* help) {
    CLI::App* cmd = group->add_subcommand(name, help);
    AddStoreFlags(*cmd, args->store);
    cmd->add_option("--as", args->as, "the person acting (e-mail)")->required();
    cmd->add_option("--tenant", args->tenant, "the tenant (default: the only one visible)");
    cmd->add_flag("--json", args->json, "print JSON");
    return cmd;
  };
  for (auto [name, help] : {std::pair{"ack", "acknowledge cases"},
                            std::pair{"assign", "assign cases to a team and/or user"},
                            std::pair{"skip", "skip the failed step and go on (needs --reason)"},
                            std::pair{"cancel", "cancel the cases' runs (needs --reason)"},
                            std::pair{"resolve", "resolve cases (needs --reason)"}}) {
    CLI::App* cmd = governed(name, help);
    cmd->add_option("ids", args->ids, "exception case ids");
    cmd->add_option("--group", args->group, "every unresolved case of this root-cause key");
    cmd->add_option("--comment", args->comment, "a comment (audited)");
    cmd->add_option("--reason", args->reason, "the reason (audited)");
    if (std::string_view(name) == "assign") {
      cmd->add_option("--team", args->team, "the owning team");
      cmd->add_option("--user", args->user, "the assignee (e-mail)");
    }
    cmd->callback([args, &result, action = std::string(name)] {
      result.exit_code = RunAction(action, *args);
    });
  }

  CLI::App* bulk = governed("bulk", "one action on every unresolved case of a root-cause group");
  bulk->add_option("action", args->action, "ack, assign, retry, skip, cancel or resolve")
      ->required();
  bulk->add_option("--group", args->group, "the root-cause key")->required();
  bulk->add_option("--comment", args->comment, "a comment (audited)");
  bulk->add_option("--reason", args->reason, "the reason (skip, cancel, resolve)");
  bulk->add_option("--team", args->team, "assign: the owning team");
  bulk->add_option("--user", args->user, "assign: the assignee");
  bulk->callback([args, &result] { result.exit_code = RunAction(args->action, *args); });

  CLI::App* groups = governed("groups", "root-cause groups with member counts and impact");
  groups->add_option("--team", args->team, "only this owning team");
  groups->add_option("--state", args->state, "all: include resolved cases (default: unresolved)");
  groups->add_option("--limit", args->limit, "at most this many groups");
  groups->callback([args, &result] { result.exit_code = RunGroups(*args); });

  CLI::App* edit = governed("edit", "edit the payload (RFC 6902 JSON Patch) and retry");
  edit->add_option("id", args->id, "exception case id")->required();
  edit->add_option("--patch", args->patch_file,
                   "JSON Patch file over {input, steps}; without it, print the payload");
  edit->add_option("--comment", args->comment, "why (audited)");
  edit->callback([args, &result] { result.exit_code = RunEdit(*args); });

  CLI::App* escalations = group->add_subcommand("escalations", "SLA escalations");
  escalations->require_subcommand(1);
  CLI::App* run = escalations->add_subcommand(
      "run", "operator: notify breached SLA clocks along their escalation chains, once");
  AddStoreFlags(*run, args->store);
  run->add_option("--smtp", args->smtp_url,
                  "SMTP server for e-mail notices (default: GOVFLOW_SMTP_URL)");
  run->add_option("--smtp-from", args->smtp_from,
                  "sender of e-mail notices (default: GOVFLOW_SMTP_FROM)");
  run->callback([args, &result] { result.exit_code = RunEscalations(*args); });
}

}  // namespace govflow::cli
