// `govflow documents list|show|draft|diff|submit|approve|reject|publish|promote|rollback|
// template-diff`: the governed-document lifecycle (src/governance/documents/lifecycle.h) acting
// as a user (`--as EMAIL`, checked by governance::AccessControl) on one tenant (`--tenant`).
// The partner's templates are addressed with `--tenant _partner` and need a partner role
// (AccessControl::AuthorizePartner); they are then changed under a scope whose actor is
// "system:partner-templates/<the user's actor id>", so segregation of duties still tells people
// apart.
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "governance/access.h"
#include "governance/documents/kind_registry.h"
#include "governance/documents/lifecycle.h"
#include "workflow/document_kind.h"
#include "workflow/loader.h"

namespace govflow::cli {
namespace {

namespace docs = governance::documents;

struct DocumentsArgs {
  StoreFlags store;
  std::string as;
  std::string tenant;
  std::string kind;
  std::string name;
  int64_t version = 0;
  int64_t v1 = 0;
  int64_t v2 = 0;
  std::string file;
  std::string env;
  std::string from;
  std::string comment;
  bool yaml = false;
};

int Fail(std::string_view what, const Status& status) {
  std::cerr << "govflow documents " << what << ": " << status.message() << "\n";
  return 1;
}

std::string Time(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(t.time_since_epoch().count() / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The workflow layer's validator for kind "workflow" (the server registers the same at startup).
void RegisterWorkflowValidator() { workflow::RegisterWorkflowDocumentKind(); }

// Authenticates --as and authorises `permission` on --tenant.
Result<governance::TenantScope> ScopeFor(store::Store& store, const DocumentsArgs& args,
                                         std::string_view permission) {
  if (args.as.empty()) return InvalidArgument("--as EMAIL is required (who acts)");
  if (args.tenant.empty()) return InvalidArgument("--tenant is required");
  governance::AccessControl access(store, SystemClock::Get());
  GOVFLOW_ASSIGN_OR_RETURN(governance::Principal principal, access.PrincipalForEmail(args.as));
  if (args.tenant == docs::kPartnerScope) {
    GOVFLOW_ASSIGN_OR_RETURN(governance::PartnerScope partner,
                             access.AuthorizePartner(principal, permission));
    return governance::TenantScope::ForSystem(TenantId(args.tenant),
                                              "partner-templates/" + partner.actor().id);
  }
  return access.Authorize(principal, TenantId(args.tenant), permission);
}

Result<docs::DocumentRef> Ref(const DocumentsArgs& args) {
  GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentKind kind, docs::ParseDocumentKind(args.kind));
  if (args.name.empty()) return InvalidArgument("--name is required");
  return docs::DocumentRef{kind, args.name};
}

std::string Envs(const std::vector<docs::Environment>& envs) {
  std::string out;
  for (docs::Environment e : envs)
    out += (out.empty() ? "" : ",") + std::string(EnvironmentName(e));
  return out.empty() ? "-" : out;
}

void PrintVersion(const docs::DocumentVersion& d) {
  std::cout << DocumentKindName(d.kind) << " " << d.name << " version " << d.version << "\n"
            << "  state:    " << DocumentStateName(d.state) << "\n"
            << "  hash:     " << d.content_hash << "\n"
            << "  live in:  " << Envs(d.live_in) << "\n"
            << "  author:   " << d.author << "\n";
  if (!d.submitted_by.empty()) std::cout << "  submitted by: " << d.submitted_by << "\n";
  if (!d.reviewed_by.empty()) {
    std::cout << "  reviewed by:  " << d.reviewed_by << " (" << d.review_comment << ")\n";
  }
  if (!d.inherits.empty()) std::cout << "  inherits: " << d.inherits << "\n";
  std::cout << "  created:  " << Time(d.created_at) << "\n";
}

// Opens the store, builds the scope for `permission`, runs `body` in one transaction.
int Run(const DocumentsArgs& args, std::string_view what, std::string_view permission,
        const std::function<Status(store::Txn&, const governance::TenantScope&)>& body) {
  RegisterWorkflowValidator();
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail(what, store.status());
  auto scope = ScopeFor(**store, args, permission);
  if (!scope.ok()) return Fail(what, scope.status());
  Status st = (*store)->Transact([&](store::Txn& txn) { return body(txn, *scope); });
  if (!st.ok()) return Fail(what, st);
  return 0;
}

int RunList(const DocumentsArgs& args) {
  return Run(args, "list", governance::perm::kDocumentsRead,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               std::optional<docs::DocumentKind> kind;
               if (!args.kind.empty()) {
                 GOVFLOW_ASSIGN_OR_RETURN(kind, docs::ParseDocumentKind(args.kind));
               }
               GOVFLOW_ASSIGN_OR_RETURN(auto list, docs::ListDocuments(txn, scope, kind));
               if (list.empty()) std::cout << "no documents\n";
               for (const auto& d : list) {
                 std::cout << DocumentKindName(d.kind) << "  " << d.name << "  v" << d.version
                           << "  " << DocumentStateName(d.state) << "  live:" << Envs(d.live_in)
                           << "  " << d.content_hash.substr(0, 12) << "\n";
               }
               return Status::Ok();
             });
}

int RunShow(const DocumentsArgs& args) {
  return Run(args, "show", governance::perm::kDocumentsRead,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               if (args.yaml) {
                 GOVFLOW_ASSIGN_OR_RETURN(std::string y,
                                          docs::EffectiveYaml(txn, scope, ref, args.version));
                 std::cout << y;
                 return Status::Ok();
               }
               GOVFLOW_ASSIGN_OR_RETURN(auto history, docs::History(txn, scope, ref));
               for (const auto& d : history) {
                 if (args.version == 0 || d.version == args.version) PrintVersion(d);
               }
               GOVFLOW_ASSIGN_OR_RETURN(auto pubs, docs::Publications(txn, scope, ref));
               if (!pubs.empty()) std::cout << "publications:\n";
               for (const auto& p : pubs) {
                 std::cout << "  " << EnvironmentName(p.env) << " #" << p.seq << " " << p.action
                           << " v" << p.version << " by " << p.actor << " at " << Time(p.at)
                           << (p.approval_id.empty() ? "" : " approval " + p.approval_id) << "\n";
               }
               return Status::Ok();
             });
}

int RunDraft(const DocumentsArgs& args) {
  std::ifstream in(args.file);
  if (!in) return Fail("draft", NotFound("cannot read " + args.file));
  std::stringstream text;
  text << in.rdbuf();
  return Run(args, "draft", governance::perm::kDocumentsEdit,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               GOVFLOW_ASSIGN_OR_RETURN(auto d,
                                        docs::CreateDraft(txn, scope, ref, text.str(), args.file));
               PrintVersion(d);
               return Status::Ok();
             });
}

int RunDiff(const DocumentsArgs& args) {
  return Run(args, "diff", governance::perm::kDocumentsRead,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               GOVFLOW_ASSIGN_OR_RETURN(auto entries,
                                        docs::Diff(txn, scope, ref, args.v1, args.v2));
               std::string text = docs::FormatDiff(entries);
               std::cout << (text.empty() ? "no differences\n" : text);
               return Status::Ok();
             });
}

int RunTemplateDiff(const DocumentsArgs& args) {
  return Run(args, "template-diff", governance::perm::kDocumentsRead,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               GOVFLOW_ASSIGN_OR_RETURN(auto diff,
                                        docs::DiffAgainstTemplate(txn, scope, ref, args.version));
               std::cout << "against template " << diff.template_name << "@"
                         << diff.template_version << ":\n";
               std::string text = docs::FormatDiff(diff.entries);
               std::cout << (text.empty() ? "no differences\n" : text);
               return Status::Ok();
             });
}

int RunReview(const DocumentsArgs& args, std::string_view what) {
  std::string_view permission =
      what == "submit" ? governance::perm::kDocumentsEdit : governance::perm::kDocumentsApprove;
  return Run(args, what, permission,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               Result<docs::DocumentVersion> d =
                   what == "submit"    ? docs::Submit(txn, scope, ref, args.version)
                   : what == "approve" ? docs::Approve(txn, scope, ref, args.version, args.comment)
                                       : docs::Reject(txn, scope, ref, args.version, args.comment);
               GOVFLOW_RETURN_IF_ERROR(d.status());
               PrintVersion(*d);
               return Status::Ok();
             });
}

int RunPublish(const DocumentsArgs& args) {
  return Run(args, "publish", governance::perm::kDocumentsPublish,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               GOVFLOW_ASSIGN_OR_RETURN(docs::Environment env, docs::ParseEnvironment(args.env));
               GOVFLOW_ASSIGN_OR_RETURN(auto d, docs::Publish(txn, scope, ref, args.version, env));
               PrintVersion(d);
               return Status::Ok();
             });
}

int RunPromote(const DocumentsArgs& args) {
  return Run(args, "promote", governance::perm::kDocumentsPublish,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               GOVFLOW_ASSIGN_OR_RETURN(docs::Environment from, docs::ParseEnvironment(args.from));
               GOVFLOW_ASSIGN_OR_RETURN(auto r, docs::Promote(txn, scope, ref, from));
               if (r.promoted) {
                 std::cout << "promoted " << args.kind << " " << args.name << " version "
                           << r.version.version << " from " << EnvironmentName(r.from) << " to "
                           << EnvironmentName(r.to) << " (approval " << r.approval_id << ")\n";
               } else {
                 std::cout << "promotion of version " << r.version.version << " to "
                           << EnvironmentName(r.to) << " waits for approval task " << r.approval_id
                           << " (" << r.note
                           << "); once another person approves it, run promote again\n";
               }
               return Status::Ok();
             });
}

int RunRollback(const DocumentsArgs& args) {
  return Run(args, "rollback", governance::perm::kDocumentsPublish,
             [&](store::Txn& txn, const governance::TenantScope& scope) -> Status {
               GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentRef ref, Ref(args));
               GOVFLOW_ASSIGN_OR_RETURN(docs::Environment env, docs::ParseEnvironment(args.env));
               GOVFLOW_ASSIGN_OR_RETURN(
                   auto d, docs::Rollback(txn, scope, ref, env, args.version, args.comment));
               std::cout << EnvironmentName(env) << " runs " << args.kind << " " << args.name
                         << " version " << d.version << " again\n";
               return Status::Ok();
             });
}

}  // namespace

void RegisterDocumentsCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<DocumentsArgs>();
  CLI::App* group = app.add_subcommand(
      "documents", "governed documents: draft, diff, submit, approve, publish, promote, rollback");
  group->require_subcommand(1);

  auto common = [&](CLI::App* c, bool named) {
    AddStoreFlags(*c, args->store);
    c->add_option("--as", args->as, "the acting user's email")->required();
    c->add_option("--tenant", args->tenant, "the tenant (_partner for partner templates)")
        ->required();
    if (named) {
      c->add_option("--kind", args->kind, "document kind (workflow, validation_rules, ...)")
          ->required();
      c->add_option("--name", args->name, "document name")->required();
    }
  };

  CLI::App* list = group->add_subcommand("list", "the newest version of every document");
  common(list, false);
  list->add_option("--kind", args->kind, "only this kind");
  list->callback([args, &result] { result.exit_code = RunList(*args); });

  CLI::App* show = group->add_subcommand("show", "a document's versions and publications");
  common(show, true);
  show->add_option("--version", args->version, "one version (default: all)");
  show->add_flag("--yaml", args->yaml, "print the (effective) YAML of --version (default newest)");
  show->callback([args, &result] { result.exit_code = RunShow(*args); });

  CLI::App* draft = group->add_subcommand("draft", "draft a new version from a YAML file");
  common(draft, true);
  draft->add_option("-f,--file", args->file, "the YAML file")->required();
  draft->callback([args, &result] { result.exit_code = RunDraft(*args); });

  CLI::App* diff = group->add_subcommand("diff", "structural diff between two versions");
  common(diff, true);
  diff->add_option("--from-version", args->v1, "the older version")->required();
  diff->add_option("--to-version", args->v2, "the newer version")->required();
  diff->callback([args, &result] { result.exit_code = RunDiff(*args); });

  for (std::string_view verb : {"submit", "approve", "reject"}) {
    CLI::App* c = group->add_subcommand(std::string(verb), std::string(verb) + " a version");
    common(c, true);
    c->add_option("--version", args->version, "the version")->required();
    if (verb != "submit") {
      c->add_option("--comment", args->comment, "why (required to reject)");
    }
    c->callback([args, &result, verb] { result.exit_code = RunReview(*args, verb); });
  }

  CLI::App* publish = group->add_subcommand("publish", "publish an approved version to dev");
  common(publish, true);
  publish->add_option("--version", args->version, "the version")->required();
  publish->add_option("--env", args->env, "dev (staging and prod: promote)")->required();
  publish->callback([args, &result] { result.exit_code = RunPublish(*args); });

  CLI::App* promote = group->add_subcommand(
      "promote", "promote what an environment runs to the next (needs another's approval)");
  common(promote, true);
  promote->add_option("--from", args->from, "dev or staging")->required();
  promote->callback([args, &result] { result.exit_code = RunPromote(*args); });

  CLI::App* rollback =
      group->add_subcommand("rollback", "make an environment run an earlier version again");
  common(rollback, true);
  rollback->add_option("--env", args->env, "the environment")->required();
  rollback->add_option("--to-version", args->version, "a version it ran before")->required();
  rollback->add_option("--reason", args->comment, "why")->required();
  rollback->callback([args, &result] { result.exit_code = RunRollback(*args); });

  CLI::App* tdiff = group->add_subcommand(
      "template-diff", "how a tenant's document differs from the partner template it inherits");
  common(tdiff, true);
  tdiff->add_option("--version", args->version, "the version (default: newest)");
  tdiff->callback([args, &result] { result.exit_code = RunTemplateDiff(*args); });
}

}  // namespace govflow::cli
