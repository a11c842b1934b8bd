// `govflow approvals list|show|approve|reject|delegate|delegations|undelegate|expire`: approval
// tasks from the command line (governance/approvals.h). Every command but `expire` acts as a
// person (`--as EMAIL`) checked by AccessControl on `--tenant`; `expire` is the operator's
// manual run of the expiry job that `govflow serve` runs periodically (actor system:approvals).
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "governance/policies/approval_matrix.h"
#include "governance/price_changes.h"

namespace govflow::cli {
namespace {

namespace gov = governance;

struct ApprovalsArgs {
  StoreFlags store;
  std::string as;      // --as EMAIL
  std::string tenant;  // --tenant
  std::string id;
  // list
  std::string state;
  std::string type;
  std::string role;
  bool mine = false;
  int limit = 50;
  std::string cursor;
  bool json = false;
  // approve / reject
  std::string comment;
  // delegate
  std::string to;
  std::vector<std::string> roles;
  std::string starts_in = "0s";
  std::string duration;
  std::string reason;
};

std::string Rfc3339(TimePoint t) {
  const int64_t us = t.time_since_epoch().count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int Fail(std::string_view what, const Status& status) {
  std::cerr << "govflow approvals " << what << ": " << status.message() << "\n";
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

boost::json::object TaskJson(const gov::ApprovalTask& t) {
  boost::json::object o;
  o["id"] = t.id;
  o["tenant"] = t.tenant.value();
  o["state"] = gov::ApprovalStateName(t.state);
  o["subject_type"] = t.request.subject_type;
  o["subject_id"] = t.request.subject_id;
  o["title"] = t.request.title;
  o["rule"] = t.request.rule;
  o["requested_by"] = t.request.requested_by;
  boost::json::array roles;
  for (const auto& r : t.request.required_roles) roles.emplace_back(r);
  o["required_roles"] = std::move(roles);
  o["quorum"] = t.request.quorum;
  o["approvals"] = t.approvals();
  boost::system::error_code ec;
  boost::json::value changes = boost::json::parse(t.request.changes_json, ec);
  o["changes"] = ec ? boost::json::value(boost::json::object()) : changes;
  if (t.request.expires_at) o["expires_at"] = Rfc3339(*t.request.expires_at);
  o["on_expiry"] = t.request.on_expiry == gov::ExpiryAction::kEscalate ? "escalate" : "reject";
  o["escalations"] = t.escalations;
  o["created_at"] = Rfc3339(t.created_at);
  boost::json::array decisions;
  for (const auto& d : t.decisions) {
    boost::json::object j;
    j["actor"] = d.actor;
    j["decision"] = d.approve ? "approve" : "reject";
    j["comment"] = d.comment;
    j["at"] = Rfc3339(d.at);
    if (!d.on_behalf_of.empty()) j["on_behalf_of"] = d.on_behalf_of;
    decisions.push_back(std::move(j));
  }
  o["decisions"] = std::move(decisions);
  return o;
}

void PrintTask(const gov::ApprovalTask& t) {
  std::cout << "task:         " << t.id << "\n"
            << "tenant:       " << t.tenant.value() << "\n"
            << "state:        " << gov::ApprovalStateName(t.state) << "\n"
            << "subject:      " << t.request.subject_type << " " << t.request.subject_id << "\n"
            << "title:        " << t.request.title << "\n"
            << "rule:         " << t.request.rule << "\n"
            << "requested by: " << t.request.requested_by << " at " << Rfc3339(t.created_at) << "\n"
            << "deciders:     any of " << Joined(t.request.required_roles) << "; " << t.approvals()
            << " of " << t.request.quorum << " approvals\n";
  if (!t.request.excluded_roles.empty()) {
    std::cout << "excluded:     " << Joined(t.request.excluded_roles) << "\n";
  }
  if (t.request.expires_at) {
    std::cout << "expires:      " << Rfc3339(*t.request.expires_at) << " (then "
              << (t.request.on_expiry == gov::ExpiryAction::kEscalate && t.escalations == 0
                      ? "escalate to " + Joined(t.request.escalate_to_roles)
                      : std::string("reject"))
              << ")\n";
  }
  std::cout << "changes:      " << t.request.changes_json << "\n";
  for (const auto& d : t.decisions) {
    std::cout << "  " << Rfc3339(d.at) << "  " << (d.approve ? "approved" : "rejected") << " by "
              << d.actor;
    if (!d.on_behalf_of.empty()) std::cout << " on behalf of " << d.on_behalf_of;
    std::cout << ": " << d.comment << "\n";
  }
}

// Opens the store and authorises `--as` on `--tenant` for `permission`.
struct Session {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<gov::AccessControl> access;
  std::optional<gov::TenantScope> scope;
};

Result<Session> OpenSession(const ApprovalsArgs& args, std::string_view permission) {
  if (args.as.empty()) return InvalidArgument("--as EMAIL is required: the person acting");
  if (args.tenant.empty()) return InvalidArgument("--tenant is required");
  Session s;
  GOVFLOW_ASSIGN_OR_RETURN(s.store, OpenStore(args.store));
  s.access = std::make_unique<gov::AccessControl>(*s.store, s.store->clock());
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal principal, s.access->PrincipalForEmail(args.as));
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope,
                           s.access->Authorize(principal, TenantId(args.tenant), permission));
  s.scope.emplace(std::move(scope));
  return s;
}

int RunList(const ApprovalsArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRead);
  if (!session.ok()) return Fail("list", session.status());
  gov::ApprovalFilter filter;
  if (!args.state.empty()) {
    bool known = false;
    for (auto s : {gov::ApprovalState::kPending, gov::ApprovalState::kApproved,
                   gov::ApprovalState::kRejected, gov::ApprovalState::kExpired,
                   gov::ApprovalState::kCancelled}) {
      if (gov::ApprovalStateName(s) == args.state) {
        filter.state = s;
        known = true;
      }
    }
    if (!known) {
      return Fail("list", InvalidArgument("--state: expected pending, approved, rejected, "
                                          "expired or cancelled"));
    }
  }
  filter.subject_type = args.type;
  filter.role = args.role;
  filter.decidable_by_me = args.mine;
  filter.limit = args.limit;
  gov::ApprovalPage page;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(page, gov::ListApprovals(txn, *session->scope, filter, args.cursor));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("list", st);
  if (args.json) {
    boost::json::array tasks;
    for (const auto& t : page.tasks) tasks.push_back(TaskJson(t));
    boost::json::object out;
    out["tasks"] = std::move(tasks);
    out["next_cursor"] = page.next_cursor;
    std::cout << boost::json::serialize(out) << "\n";
    return 0;
  }
  if (page.tasks.empty()) std::cout << "no approval tasks\n";
  for (const auto& t : page.tasks) {
    std::cout << t.id << "  " << gov::ApprovalStateName(t.state) << "  " << t.request.subject_type
              << " " << t.request.subject_id << "  " << t.approvals() << "/" << t.request.quorum
              << "  " << Joined(t.request.required_roles) << "  " << t.request.title << "\n";
  }
  if (!page.next_cursor.empty()) std::cout << "more: --cursor " << page.next_cursor << "\n";
  return 0;
}

int RunShow(const ApprovalsArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRead);
  if (!session.ok()) return Fail("show", session.status());
  gov::ApprovalTask task;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(task, gov::GetApproval(txn, *session->scope, args.id));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("show", st);
  if (args.json) {
    std::cout << boost::json::serialize(TaskJson(task)) << "\n";
  } else {
    PrintTask(task);
  }
  return 0;
}

int RunDecide(const ApprovalsArgs& args, bool approve) {
  const char* what = approve ? "approve" : "reject";
  auto session = OpenSession(args, gov::perm::kApprovalsDecide);
  if (!session.ok()) return Fail(what, session.status());
  gov::ApprovalTask task;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        task, gov::DecideApproval(txn, *session->scope, args.id, approve, args.comment));
    // A decided price-change approval releases or rejects its change in the same transaction,
    // as the API's decision route does.
    if (task.request.subject_type == "price_change") {
      GOVFLOW_RETURN_IF_ERROR(
          gov::ApplyPriceApprovalOutcome(txn, session->scope->tenant(), task).status());
    }
    return Status::Ok();
  });
  if (!st.ok()) return Fail(what, st);
  std::cout << task.id << ": " << (approve ? "approved" : "rejected") << " by " << args.as
            << "; task is " << gov::ApprovalStateName(task.state) << " (" << task.approvals()
            << " of " << task.request.quorum << " approvals)\n";
  return 0;
}

int RunDelegate(const ApprovalsArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsDecide);
  if (!session.ok()) return Fail("delegate", session.status());
  auto starts_in = gov::policies::ParseMatrixDuration(args.starts_in, /*allow_zero=*/true);
  auto length = gov::policies::ParseMatrixDuration(args.duration, /*allow_zero=*/false);
  if (!starts_in || !length) {
    return Fail("delegate", InvalidArgument("--starts-in and --for take durations such as 30m, "
                                            "8h or 14d"));
  }
  gov::ApprovalDelegation d;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(std::string to_user, gov::FindUserIdByEmail(txn, args.to));
    const TimePoint start = txn.Now() + *starts_in;
    GOVFLOW_ASSIGN_OR_RETURN(
        d, gov::DelegateApprovals(txn, *session->scope, "user:" + to_user, args.roles, start,
                                  start + *length, args.reason));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("delegate", st);
  std::cout << d.id << ": " << args.as << " lends " << Joined(d.roles) << " to " << args.to
            << " from " << Rfc3339(d.starts_at) << " until " << Rfc3339(d.ends_at) << "\n";
  return 0;
}

int RunDelegations(const ApprovalsArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRead);
  if (!session.ok()) return Fail("delegations", session.status());
  std::vector<gov::ApprovalDelegation> list;
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(list, gov::ListDelegations(txn, *session->scope));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("delegations", st);
  if (list.empty()) std::cout << "no current delegations\n";
  for (const auto& d : list) {
    std::cout << d.id << "  " << d.from_actor << " -> " << d.to_actor << "  " << Joined(d.roles)
              << "  " << Rfc3339(d.starts_at) << " .. " << Rfc3339(d.ends_at) << "  " << d.reason
              << "\n";
  }
  return 0;
}

int RunUndelegate(const ApprovalsArgs& args) {
  auto session = OpenSession(args, gov::perm::kApprovalsRead);
  if (!session.ok()) return Fail("undelegate", session.status());
  Status st = session->store->Transact([&](store::Txn& txn) -> Status {
    return gov::RevokeDelegation(txn, *session->scope, args.id).status();
  });
  if (!st.ok()) return Fail("undelegate", st);
  std::cout << args.id << ": revoked\n";
  return 0;
}

int RunExpire(const ApprovalsArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("expire", store.status());
  auto n = gov::ExpireApprovals(**store, (*store)->clock());
  if (!n.ok()) return Fail("expire", n.status());
  std::cout << *n << " approval task(s) expired or escalated\n";
  return 0;
}

void AddPersonFlags(CLI::App& command, ApprovalsArgs& args) {
  AddStoreFlags(command, args.store);
  command.add_option("--as", args.as, "the person acting (e-mail)")->required();
  command.add_option("--tenant", args.tenant, "the tenant")->required();
}

}  // namespace

void RegisterApprovalsCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<ApprovalsArgs>();
  CLI::App* group = app.add_subcommand(
      "approvals", "approval tasks: list, show, approve, reject, delegate, expire");
  group->require_subcommand(1);

  CLI::App* list = group->add_subcommand("list", "list approval tasks (oldest first)");
  AddPersonFlags(*list, *args);
  list->add_option("--state", args->state, "pending, approved, rejected, expired or cancelled");
  list->add_option("--type", args->type, "only this subject type (e.g. price_change)");
  list->add_option("--role", args->role, "only tasks this role may decide");
  list->add_flag("--mine", args->mine, "only pending tasks I may decide now");
  list->add_option("--limit", args->limit, "page size (1..500)");
  list->add_option("--cursor", args->cursor, "continue after a previous page");
  list->add_flag("--json", args->json, "print JSON");
  list->callback([args, &result] { result.exit_code = RunList(*args); });

  CLI::App* show = group->add_subcommand("show", "one task with its changes and decisions");
  AddPersonFlags(*show, *args);
  show->add_option("id", args->id, "approval task id")->required();
  show->add_flag("--json", args->json, "print JSON");
  show->callback([args, &result] { result.exit_code = RunShow(*args); });

  for (bool approve : {true, false}) {
    CLI::App* decide =
        group->add_subcommand(approve ? "approve" : "reject",
                              approve ? "approve a task (final)" : "reject a task (final)");
    AddPersonFlags(*decide, *args);
    decide->add_option("id", args->id, "approval task id")->required();
    decide->add_option("--comment", args->comment, "why (required; kept in the audit trail)")
        ->required();
    decide->callback([args, approve, &result] { result.exit_code = RunDecide(*args, approve); });
  }

  CLI::App* delegate =
      group->add_subcommand("delegate", "lend my approver roles to a colleague while away");
  AddPersonFlags(*delegate, *args);
  delegate->add_option("--to", args->to, "the delegate (e-mail)")->required();
  delegate->add_option("--role", args->roles, "a role to lend (repeatable; default: all mine)");
  delegate->add_option("--starts-in", args->starts_in, "when it starts (default 0s: now)");
  delegate->add_option("--for", args->duration, "how long, e.g. 14d")->required();
  delegate->add_option("--reason", args->reason, "e.g. annual leave");
  delegate->callback([args, &result] { result.exit_code = RunDelegate(*args); });

  CLI::App* delegations =
      group->add_subcommand("delegations", "the tenant's current and future delegations");
  AddPersonFlags(*delegations, *args);
  delegations->callback([args, &result] { result.exit_code = RunDelegations(*args); });

  CLI::App* undelegate = group->add_subcommand("undelegate", "revoke a delegation now");
  AddPersonFlags(*undelegate, *args);
  undelegate->add_option("id", args->id, "delegation id")->required();
  undelegate->callback([args, &result] { result.exit_code = RunUndelegate(*args); });

  CLI::App* expire = group->add_subcommand(
      "expire", "operator: run the expiry job once (reject or escalate overdue tasks)");
  AddStoreFlags(*expire, args->store);
  expire->callback([args, &result] { result.exit_code = RunExpire(*args); });
}

}  // namespace govflow::cli
