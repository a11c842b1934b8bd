// Tenancy and access from the command line (docs/governance/access.md):
//   govflow partner init        operator bootstrap: the partner and its first partner_admin
//   govflow tenants create|list
//   govflow users create|list|disable|enable|grant|revoke
//   govflow teams create|add-member|remove-member|list
//   govflow roles list|create|set
//   govflow tokens issue|list|revoke
// Every command but `partner init` acts as `--as EMAIL`, checked by governance::AccessControl
// (trust on the host that holds the store, like a database superuser's socket login). Commands
// with --tenant act on that tenant (a TenantScope); without it, on the partner (a PartnerScope).
// Passwords are read from stdin (--password-stdin) or the environment, never from arguments
// (which other users of the host can see in the process list).
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "governance/access.h"
#include "governance/directory.h"
#include "governance/permissions.h"

namespace govflow::cli {
namespace {

namespace gov = governance;

struct AccessArgs {
  StoreFlags store;
  std::string as;      // --as EMAIL
  std::string tenant;  // --tenant
  // partner init
  std::string partner_id, partner_name, admin_email, admin_name;
  bool password_stdin = false;
  // users, teams, roles, tokens
  std::string email, name, role, team, user, token_id, description;
  std::vector<std::string> permissions;
  int expires_in_days = 0;
};

// What each handler works with: the store, the checked principal and the clock.
struct Session {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<gov::AccessControl> access;
  gov::Principal principal;
};

int Fail(std::string_view command, const Status& status) {
  std::cerr << "govflow " << command << ": " << status.message() << "\n";
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 2;
    default:
      return 1;
  }
}

Result<Session> OpenSession(const AccessArgs& args) {
  if (args.as.empty()) return InvalidArgument("--as EMAIL is required (who is acting)");
  Session s;
  GOVFLOW_ASSIGN_OR_RETURN(s.store, OpenStore(args.store));
  s.access = std::make_unique<gov::AccessControl>(*s.store, SystemClock::Get());
  GOVFLOW_ASSIGN_OR_RETURN(s.principal, s.access->PrincipalForEmail(args.as));
  return s;
}

// The password for a new user or the first admin: one line from stdin, or `env_var`.
Result<std::string> ReadPassword(bool from_stdin, const char* env_var, bool required) {
  if (from_stdin) {
    std::string line;
    std::getline(std::cin, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.empty()) return InvalidArgument("no password on stdin");
    return line;
  }
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0')
    return std::string(env);
  if (required) {
    return InvalidArgument(std::string("give the password on stdin (--password-stdin) or in ") +
                           env_var);
  }
  return std::string();
}

std::string FormatTime(std::optional<TimePoint> t) {
  if (!t) return "-";
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ",") {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

// Runs `body` with a scope for --tenant (or the partner when no --tenant) checked for
// `permission`, in one transaction.
Status WithTenant(Session& s, const AccessArgs& args, std::string_view permission,
                  const std::function<Status(store::Txn&, const gov::TenantScope&)>& body) {
  if (args.tenant.empty()) return InvalidArgument("--tenant is required");
  GOVFLOW_ASSIGN_OR_RETURN(gov::TenantScope scope,
                           s.access->Authorize(s.principal, TenantId(args.tenant), permission));
  return s.store->Transact([&](store::Txn& txn) { return body(txn, scope); });
}
Status WithPartner(Session& s, std::string_view permission,
                   const std::function<Status(store::Txn&, const gov::PartnerScope&)>& body) {
  GOVFLOW_ASSIGN_OR_RETURN(gov::PartnerScope scope,
                           s.access->AuthorizePartner(s.principal, permission));
  return s.store->Transact([&](store::Txn& txn) { return body(txn, scope); });
}

// ---- partner init ---------------------------------------------------------------------------

int RunPartnerInit(const AccessArgs& args) {
  constexpr std::string_view kCmd = "partner init";
  auto password = ReadPassword(args.password_stdin, "GOVFLOW_ADMIN_PASSWORD", true);
  if (!password.ok()) return Fail(kCmd, password.status());
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail(kCmd, store.status());
  gov::PartnerInitResult result;
  Status st = (*store)->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        result,
        gov::InitPartner(txn, gov::PartnerInit{args.partner_id, args.partner_name, args.admin_email,
                                               args.admin_name, *password}));
    return Status::Ok();
  });
  if (!st.ok()) return Fail(kCmd, st);
  std::cout << "partner " << result.partner.id << " (" << result.partner.display_name
            << ") created; partner_admin " << args.admin_email << " (" << result.admin_user_id
            << ")\n";
  return 0;
}

// ---- tenants --------------------------------------------------------------------------------

int RunTenantsCreate(const AccessArgs& args) {
  constexpr std::string_view kCmd = "tenants create";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  Status st = WithPartner(*s, gov::perm::kTenantsManage, [&](store::Txn& txn, const auto& scope) {
    return gov::CreateTenant(txn, scope, TenantId(args.tenant), args.name);
  });
  if (!st.ok()) return Fail(kCmd, st);
  std::cout << "tenant " << args.tenant << " created\n";
  return 0;
}

int RunTenantsList(const AccessArgs& args) {
  constexpr std::string_view kCmd = "tenants list";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  auto tenants = s->access->VisibleTenants(s->principal);
  if (!tenants.ok()) return Fail(kCmd, tenants.status());
  for (const TenantId& t : *tenants) {
    auto scope = s->access->Authorize(s->principal, t, gov::perm::kTenantsRead);
    std::cout << t.value();
    if (scope.ok()) {
      std::vector<std::string> roles(scope->roles().begin(), scope->roles().end());
      std::cout << "  " << Join(roles);
    }
    std::cout << "\n";
  }
  if (tenants->empty()) std::cout << "no tenants\n";
  return 0;
}

// ---- users ----------------------------------------------------------------------------------

Result<std::string> UserId(store::Txn& txn, const std::string& email) {
  return gov::FindUserIdByEmail(txn, email);
}

int RunUsersCreate(const AccessArgs& args) {
  constexpr std::string_view kCmd = "users create";
  auto password = ReadPassword(args.password_stdin, "GOVFLOW_USER_PASSWORD", false);
  if (!password.ok()) return Fail(kCmd, password.status());
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  const gov::NewUser user{args.email, args.name, *password};
  std::string id;
  Status st;
  if (args.tenant.empty()) {
    st =
        WithPartner(*s, gov::perm::kUsersManage, [&](store::Txn& txn, const auto& scope) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(id, gov::CreateUser(txn, scope, user));
          if (!args.role.empty())
            GOVFLOW_RETURN_IF_ERROR(gov::GrantPartnerRole(txn, scope, id, args.role));
          return Status::Ok();
        });
  } else {
    if (args.role.empty()) return Fail(kCmd, InvalidArgument("--role is required with --tenant"));
    st = WithTenant(
        *s, args, gov::perm::kUsersManage, [&](store::Txn& txn, const auto& scope) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(id, gov::CreateTenantUser(txn, scope, user, args.role));
          return Status::Ok();
        });
  }
  if (!st.ok()) return Fail(kCmd, st);
  std::cout << "user " << args.email << " created (" << id << ")\n";
  return 0;
}

int RunUsersList(const AccessArgs& args) {
  constexpr std::string_view kCmd = "users list";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  Status st;
  if (args.tenant.empty()) {
    st = WithPartner(*s, gov::perm::kUsersRead, [&](store::Txn& txn, const auto& scope) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto users, gov::ListUsers(txn, scope));
      for (const auto& u : users) {
        std::cout << u.email << "  " << u.display_name << "  "
                  << (u.partner_roles.empty() ? "-" : Join(u.partner_roles))
                  << (u.disabled ? "  disabled" : "")
                  << (u.locked_until ? "  locked until " + FormatTime(u.locked_until) : "") << "\n";
      }
      return Status::Ok();
    });
  } else {
    st = WithTenant(*s, args, gov::perm::kUsersRead,
                    [&](store::Txn& txn, const auto& scope) -> Status {
                      GOVFLOW_ASSIGN_OR_RETURN(auto members, gov::ListTenantMembers(txn, scope));
                      for (const auto& m : members) {
                        std::cout << m.user.email << "  " << m.user.display_name << "  "
                                  << Join(m.roles) << (m.user.disabled ? "  disabled" : "") << "\n";
                      }
                      return Status::Ok();
                    });
  }
  return st.ok() ? 0 : Fail(kCmd, st);
}

int RunUsersSetDisabled(const AccessArgs& args, bool disabled) {
  const std::string cmd = disabled ? "users disable" : "users enable";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(cmd, s.status());
  Status st =
      WithPartner(*s, gov::perm::kUsersManage, [&](store::Txn& txn, const auto& scope) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(std::string id, UserId(txn, args.email));
        return gov::SetUserDisabled(txn, scope, id, disabled);
      });
  if (!st.ok()) return Fail(cmd, st);
  std::cout << "user " << args.email << (disabled ? " disabled\n" : " enabled\n");
  return 0;
}

int RunUsersGrant(const AccessArgs& args, bool grant) {
  const std::string cmd = grant ? "users grant" : "users revoke";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(cmd, s.status());
  Status st;
  if (args.tenant.empty()) {
    st =
        WithPartner(*s, gov::perm::kUsersManage, [&](store::Txn& txn, const auto& scope) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(std::string id, UserId(txn, args.email));
          return grant ? gov::GrantPartnerRole(txn, scope, id, args.role)
                       : gov::RevokePartnerRole(txn, scope, id, args.role);
        });
  } else {
    st = WithTenant(*s, args, gov::perm::kUsersManage,
                    [&](store::Txn& txn, const auto& scope) -> Status {
                      GOVFLOW_ASSIGN_OR_RETURN(std::string id, UserId(txn, args.email));
                      return grant ? gov::GrantTenantRole(txn, scope, id, args.role)
                                   : gov::RevokeTenantRole(txn, scope, id, args.role);
                    });
  }
  if (!st.ok()) return Fail(cmd, st);
  std::cout << (grant ? "granted " : "revoked ") << args.role << (grant ? " to " : " from ")
            << args.email << (args.tenant.empty() ? "" : " on " + args.tenant) << "\n";
  return 0;
}

// ---- teams ----------------------------------------------------------------------------------

int RunTeamsCreate(const AccessArgs& args) {
  constexpr std::string_view kCmd = "teams create";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  Status st =
      WithTenant(*s, args, gov::perm::kUsersManage, [&](store::Txn& txn, const auto& scope) {
        return gov::CreateTeam(txn, scope, args.team, args.name);
      });
  if (!st.ok()) return Fail(kCmd, st);
  std::cout << "team " << args.team << " created on " << args.tenant << "\n";
  return 0;
}

int RunTeamsMember(const AccessArgs& args, bool add) {
  const std::string cmd = add ? "teams add-member" : "teams remove-member";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(cmd, s.status());
  Status st = WithTenant(*s, args, gov::perm::kUsersManage,
                         [&](store::Txn& txn, const auto& scope) -> Status {
                           GOVFLOW_ASSIGN_OR_RETURN(std::string id, UserId(txn, args.email));
                           return add ? gov::AddTeamMember(txn, scope, args.team, id)
                                      : gov::RemoveTeamMember(txn, scope, args.team, id);
                         });
  if (!st.ok()) return Fail(cmd, st);
  std::cout << args.email << (add ? " added to " : " removed from ") << args.team << "\n";
  return 0;
}

int RunTeamsList(const AccessArgs& args) {
  constexpr std::string_view kCmd = "teams list";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  Status st = WithTenant(
      *s, args, gov::perm::kTenantsRead, [&](store::Txn& txn, const auto& scope) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(auto teams, gov::ListTeams(txn, scope));
        // Members by e-mail where the actor may read users; by id otherwise.
        std::map<std::string, std::string> emails;
        if (scope.Has(gov::perm::kUsersRead)) {
          GOVFLOW_ASSIGN_OR_RETURN(auto members, gov::ListTenantMembers(txn, scope));
          for (const auto& m : members) emails[m.user.user_id] = m.user.email;
        }
        for (const auto& t : teams) {
          std::vector<std::string> names;
          for (const auto& id : t.member_user_ids)
            names.push_back(emails.contains(id) ? emails[id] : id);
          std::cout << t.id << "  " << t.display_name << "  " << (names.empty() ? "-" : Join(names))
                    << "\n";
        }
        if (teams.empty()) std::cout << "no teams\n";
        return Status::Ok();
      });
  return st.ok() ? 0 : Fail(kCmd, st);
}

// ---- roles ----------------------------------------------------------------------------------

int RunRolesList(const AccessArgs& args) {
  constexpr std::string_view kCmd = "roles list";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  if (args.tenant.empty()) {
    // The partner roles (fixed in code): readable by anyone who may act at all.
    for (const gov::BuiltinRole& r : gov::PartnerRoles()) {
      std::vector<std::string> perms(r.permissions.begin(), r.permissions.end());
      std::cout << r.name << "  partner  " << Join(perms) << "\n";
    }
    return 0;
  }
  Status st = WithTenant(*s, args, gov::perm::kTenantsRead,
                         [&](store::Txn& txn, const auto& scope) -> Status {
                           GOVFLOW_ASSIGN_OR_RETURN(auto roles, gov::ListRoles(txn, scope));
                           for (const auto& r : roles) {
                             std::cout << r.name << "  " << (r.builtin ? "built-in" : "custom")
                                       << "  " << Join(r.permissions) << "\n";
                           }
                           return Status::Ok();
                         });
  return st.ok() ? 0 : Fail(kCmd, st);
}

int RunRolesCreate(const AccessArgs& args, bool create) {
  const std::string cmd = create ? "roles create" : "roles set";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(cmd, s.status());
  Status st =
      WithTenant(*s, args, gov::perm::kUsersManage, [&](store::Txn& txn, const auto& scope) {
        return create ? gov::CreateRole(txn, scope, args.role, args.description, args.permissions)
                      : gov::SetRolePermissions(txn, scope, args.role, args.permissions);
      });
  if (!st.ok()) return Fail(cmd, st);
  std::cout << "role " << args.role << (create ? " created" : " updated") << " on " << args.tenant
            << ": " << Join(args.permissions) << "\n";
  return 0;
}

// ---- tokens ---------------------------------------------------------------------------------

int RunTokensIssue(const AccessArgs& args) {
  constexpr std::string_view kCmd = "tokens issue";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  std::optional<TimePoint> expires;
  if (args.expires_in_days > 0) {
    expires = std::chrono::time_point_cast<std::chrono::microseconds>(
        SystemClock::Get().Now() + std::chrono::hours(24 * args.expires_in_days));
  }
  const std::string user_email = args.user.empty() ? args.as : args.user;
  gov::IssuedToken issued;
  Status st;
  if (args.tenant.empty()) {
    st = WithPartner(*s, gov::perm::kTokensManage,
                     [&](store::Txn& txn, const auto& scope) -> Status {
                       GOVFLOW_ASSIGN_OR_RETURN(std::string id, UserId(txn, user_email));
                       GOVFLOW_ASSIGN_OR_RETURN(
                           issued, gov::IssuePartnerToken(txn, scope, id, args.name, expires));
                       return Status::Ok();
                     });
  } else {
    st = WithTenant(*s, args, gov::perm::kTokensManage,
                    [&](store::Txn& txn, const auto& scope) -> Status {
                      GOVFLOW_ASSIGN_OR_RETURN(std::string id, UserId(txn, user_email));
                      GOVFLOW_ASSIGN_OR_RETURN(
                          issued, gov::IssueTenantToken(txn, scope, id, args.name, expires));
                      return Status::Ok();
                    });
  }
  if (!st.ok()) return Fail(kCmd, st);
  // The token goes to stdout alone on its line (for scripts); the note to stderr.
  std::cerr << "token " << issued.token_id << " for " << user_email
            << (args.tenant.empty() ? " (partner)" : " on " + args.tenant)
            << "; it is shown only now — store it safely\n";
  std::cout << issued.token << "\n";
  return 0;
}

void PrintTokens(const std::vector<gov::TokenInfo>& tokens) {
  for (const auto& t : tokens) {
    std::cout << t.token_id << "  " << (t.tenant.empty() ? "(partner)" : t.tenant.value()) << "  "
              << t.name << "  user " << t.user_id << "  expires " << FormatTime(t.expires_at)
              << "  last used " << FormatTime(t.last_used_at)
              << (t.revoked_at ? "  revoked " + FormatTime(t.revoked_at) : "") << "\n";
  }
  if (tokens.empty()) std::cout << "no tokens\n";
}

int RunTokensList(const AccessArgs& args) {
  constexpr std::string_view kCmd = "tokens list";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  Status st;
  if (args.tenant.empty()) {
    st = WithPartner(*s, gov::perm::kTokensManage,
                     [&](store::Txn& txn, const auto& scope) -> Status {
                       GOVFLOW_ASSIGN_OR_RETURN(auto tokens, gov::ListAllTokens(txn, scope));
                       PrintTokens(tokens);
                       return Status::Ok();
                     });
  } else {
    st = WithTenant(*s, args, gov::perm::kTokensManage,
                    [&](store::Txn& txn, const auto& scope) -> Status {
                      GOVFLOW_ASSIGN_OR_RETURN(auto tokens, gov::ListTenantTokens(txn, scope));
                      PrintTokens(tokens);
                      return Status::Ok();
                    });
  }
  return st.ok() ? 0 : Fail(kCmd, st);
}

int RunTokensRevoke(const AccessArgs& args) {
  constexpr std::string_view kCmd = "tokens revoke";
  auto s = OpenSession(args);
  if (!s.ok()) return Fail(kCmd, s.status());
  Status st =
      args.tenant.empty()
          ? WithPartner(*s, gov::perm::kTokensManage,
                        [&](store::Txn& txn, const auto& scope) {
                          return gov::RevokePartnerToken(txn, scope, args.token_id);
                        })
          : WithTenant(*s, args, gov::perm::kTokensManage, [&](store::Txn& txn, const auto& scope) {
              return gov::RevokeTenantToken(txn, scope, args.token_id);
            });
  if (!st.ok()) return Fail(kCmd, st);
  std::cout << "token " << args.token_id << " revoked\n";
  return 0;
}

// Adds --data/--store, --as and (optionally) --tenant to `cmd`.
void AddActing(CLI::App& cmd, AccessArgs& args, const char* tenant_help) {
  AddStoreFlags(cmd, args.store);
  cmd.add_option("--as", args.as, "acting user's e-mail (checked against their roles)")->required();
  if (tenant_help != nullptr) cmd.add_option("--tenant", args.tenant, tenant_help);
}

}  // namespace

void RegisterAccessCommands(CLI::App& app, CommandResult& result) {
  auto a = std::make_shared<AccessArgs>();
  auto run = [&result](std::function<int()> f) {
    return [f = std::move(f), &result] { result.exit_code = f(); };
  };
  constexpr const char* kOnTenant = "act on this tenant (omit: on the partner)";

  // partner
  CLI::App* partner = app.add_subcommand("partner", "the partner that runs this installation");
  partner->require_subcommand(1);
  CLI::App* init = partner->add_subcommand(
      "init", "operator bootstrap: create the partner and its first partner_admin (no --as)");
  AddStoreFlags(*init, a->store);
  init->add_option("--id", a->partner_id, "partner id, e.g. northwind")->required();
  init->add_option("--name", a->partner_name, "display name shown on screens and reports");
  init->add_option("--admin-email", a->admin_email, "the first partner_admin's login")->required();
  init->add_option("--admin-name", a->admin_name, "their display name");
  init->add_flag("--password-stdin", a->password_stdin,
                 "read the admin password from stdin (else GOVFLOW_ADMIN_PASSWORD)");
  init->callback(run([a] { return RunPartnerInit(*a); }));

  // tenants
  CLI::App* tenants = app.add_subcommand("tenants", "the partner's customer tenants");
  tenants->require_subcommand(1);
  CLI::App* tcreate = tenants->add_subcommand("create", "create a tenant (tenants.manage)");
  AddActing(*tcreate, *a, nullptr);
  tcreate->add_option("id", a->tenant, "tenant id: [a-z0-9][a-z0-9_-]*")->required();
  tcreate->add_option("--name", a->name, "display name");
  tcreate->callback(run([a] { return RunTenantsCreate(*a); }));
  CLI::App* tlist = tenants->add_subcommand("list", "the tenants you may see, with your roles");
  AddActing(*tlist, *a, nullptr);
  tlist->callback(run([a] { return RunTenantsList(*a); }));

  // users
  CLI::App* users = app.add_subcommand("users", "people who log in, and their roles");
  users->require_subcommand(1);
  CLI::App* ucreate = users->add_subcommand("create", "create a user (users.manage)");
  AddActing(*ucreate, *a, "create as a member of this tenant (needs --role)");
  ucreate->add_option("email", a->email, "login e-mail")->required();
  ucreate->add_option("--name", a->name, "display name");
  ucreate->add_option("--role", a->role, "role to grant (tenant role with --tenant, else partner)");
  ucreate->add_flag("--password-stdin", a->password_stdin,
                    "read a password from stdin (else GOVFLOW_USER_PASSWORD; none: no password "
                    "login)");
  ucreate->callback(run([a] { return RunUsersCreate(*a); }));
  CLI::App* ulist = users->add_subcommand("list", "users (all, or a tenant's members)");
  AddActing(*ulist, *a, "list this tenant's members");
  ulist->callback(run([a] { return RunUsersList(*a); }));
  CLI::App* udisable = users->add_subcommand("disable", "stop a user logging in or using tokens");
  AddActing(*udisable, *a, nullptr);
  udisable->add_option("email", a->email, "login e-mail")->required();
  udisable->callback(run([a] { return RunUsersSetDisabled(*a, true); }));
  CLI::App* uenable = users->add_subcommand("enable", "re-enable a user (clears a lockout)");
  AddActing(*uenable, *a, nullptr);
  uenable->add_option("email", a->email, "login e-mail")->required();
  uenable->callback(run([a] { return RunUsersSetDisabled(*a, false); }));
  for (bool grant : {true, false}) {
    CLI::App* cmd =
        users->add_subcommand(grant ? "grant" : "revoke", grant ? "grant a role" : "revoke a role");
    AddActing(*cmd, *a, kOnTenant);
    cmd->add_option("email", a->email, "login e-mail")->required();
    cmd->add_option("role", a->role, "role name")->required();
    cmd->callback(run([a, grant] { return RunUsersGrant(*a, grant); }));
  }

  // teams
  CLI::App* teams = app.add_subcommand("teams", "a tenant's teams (owners of processes)");
  teams->require_subcommand(1);
  CLI::App* tmcreate = teams->add_subcommand("create", "create a team (users.manage)");
  AddActing(*tmcreate, *a, "the tenant (required)");
  tmcreate->add_option("team", a->team, "team id: [a-z][a-z0-9_]*")->required();
  tmcreate->add_option("--name", a->name, "display name");
  tmcreate->callback(run([a] { return RunTeamsCreate(*a); }));
  for (bool add : {true, false}) {
    CLI::App* cmd = teams->add_subcommand(add ? "add-member" : "remove-member",
                                          add ? "add a member" : "remove a member");
    AddActing(*cmd, *a, "the tenant (required)");
    cmd->add_option("team", a->team, "team id")->required();
    cmd->add_option("email", a->email, "member's login e-mail")->required();
    cmd->callback(run([a, add] { return RunTeamsMember(*a, add); }));
  }
  CLI::App* tmlist = teams->add_subcommand("list", "a tenant's teams and members");
  AddActing(*tmlist, *a, "the tenant (required)");
  tmlist->callback(run([a] { return RunTeamsList(*a); }));

  // roles
  CLI::App* roles = app.add_subcommand("roles", "roles and their permissions");
  roles->require_subcommand(1);
  CLI::App* rlist =
      roles->add_subcommand("list", "a tenant's roles (omit --tenant: partner roles)");
  AddActing(*rlist, *a, kOnTenant);
  rlist->callback(run([a] { return RunRolesList(*a); }));
  for (bool create : {true, false}) {
    CLI::App* cmd = roles->add_subcommand(create ? "create" : "set",
                                          create ? "define a custom role, e.g. an approver role"
                                                 : "replace a custom role's permissions");
    AddActing(*cmd, *a, "the tenant (required)");
    cmd->add_option("role", a->role, "role name: [a-z][a-z0-9_]*")->required();
    cmd->add_option("--permissions", a->permissions,
                    "comma-separated, e.g. approvals.read,approvals.decide")
        ->delimiter(',')
        ->required();
    if (create) cmd->add_option("--description", a->description, "what the role is for");
    cmd->callback(run([a, create] { return RunRolesCreate(*a, create); }));
  }

  // tokens
  CLI::App* tokens = app.add_subcommand("tokens", "API tokens (stored hashed, revocable)");
  tokens->require_subcommand(1);
  CLI::App* issue = tokens->add_subcommand("issue", "issue a token; printed once on stdout");
  AddActing(*issue, *a, "limit the token to this tenant (omit: a partner token)");
  issue->add_option("--user", a->user, "the user the token acts for (default: --as)");
  issue->add_option("--name", a->name, "what the token is for")->required();
  issue->add_option("--expires-in-days", a->expires_in_days, "expiry (default: none)");
  issue->callback(run([a] { return RunTokensIssue(*a); }));
  CLI::App* tklist = tokens->add_subcommand("list", "tokens (never their secret)");
  AddActing(*tklist, *a, kOnTenant);
  tklist->callback(run([a] { return RunTokensList(*a); }));
  CLI::App* revoke = tokens->add_subcommand("revoke", "revoke a token at once");
  AddActing(*revoke, *a, kOnTenant);
  revoke->add_option("token_id", a->token_id, "tok_...")->required();
  revoke->callback(run([a] { return RunTokensRevoke(*a); }));
}

}  // namespace govflow::cli
