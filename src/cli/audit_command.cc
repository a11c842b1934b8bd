// `govflow audit verify|export|list|checkpoint|public-key`: the tamper-evident audit trail
// (docs/governance/audit.md). verify, export and list read tenant data and act as a user
// (`--as EMAIL`, checked by AccessControl: audit.read, or audit.export for export); the partner
// chain ("_partner") needs the permission as a partner role. `verify --file` checks an export
// offline with nothing but the public key. checkpoint and public-key are operator commands run
// on the host that holds the signing key: they reveal no tenant data.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/store_options.h"
#include "governance/access.h"
#include "governance/audit.h"
#include "governance/audit_checkpoint.h"
#include "governance/audit_export.h"
#include "governance/audit_signer.h"
#include "governance/audit_verify.h"

namespace govflow::cli {
namespace {

namespace gov = governance;

struct AuditArgs {
  StoreFlags store;
  std::string as;          // --as EMAIL
  std::string tenant;      // --tenant
  std::string file;        // verify --file
  std::string public_key;  // --public-key (base64, or a file holding it)
  std::string out;         // export --out
  std::string from, to;    // RFC 3339 or YYYY-MM-DD (UTC)
  std::string object_type, object_id, actor, action;
  int64_t after = 0;
  int limit = 100;
  bool json = false;
};

int Fail(std::string_view what, const Status& status) {
  std::cerr << "govflow audit " << what << ": " << status.message() << "\n";
  return 1;
}

std::string Rfc3339(TimePoint t) {
  const int64_t us = t.time_since_epoch().count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us % 1'000'000));
  return std::string(buf) + frac;
}

// "2026-11-28", "2026-11-28T10:00:00Z" (UTC only).
Result<std::optional<TimePoint>> ParseTime(const std::string& text, std::string_view flag) {
  if (text.empty()) return std::optional<TimePoint>();
  std::tm tm{};
  std::istringstream in(text);
  if (text.size() == 10) {
    in >> std::get_time(&tm, "%Y-%m-%d");
  } else {
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (!in.fail() && in.peek() == 'Z') in.get();
  }
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
    return InvalidArgument(std::string(flag) +
                           ": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), got " + text);
  }
  const std::time_t secs = timegm(&tm);
  return std::optional<TimePoint>(TimePoint(std::chrono::seconds(secs)));
}

// A public key given inline (base64) or as a file holding it.
Result<std::string> PublicKeyArg(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    std::ifstream in(arg);
    std::stringstream text;
    text << in.rdbuf();
    return gov::ParseAuditPublicKey(text.str());
  }
  return gov::ParseAuditPublicKey(arg);
}

// The chains `as` may read with `permission`: one (--tenant) or every visible one.
Result<std::vector<TenantId>> ChainsFor(store::Store& store, const AuditArgs& args,
                                        std::string_view permission) {
  if (args.as.empty()) {
    return InvalidArgument("--as EMAIL is required: audit commands act as a user");
  }
  gov::AccessControl access(store, SystemClock::Get());
  GOVFLOW_ASSIGN_OR_RETURN(gov::Principal who, access.PrincipalForEmail(args.as));
  auto check = [&](const TenantId& chain) -> Status {
    if (chain.value() == gov::kPartnerAuditChain) {
      return access.AuthorizePartner(who, permission).status();
    }
    return access.Authorize(who, chain, permission).status();
  };
  if (!args.tenant.empty()) {
    GOVFLOW_RETURN_IF_ERROR(check(TenantId(args.tenant)));
    return std::vector<TenantId>{TenantId(args.tenant)};
  }
  std::vector<TenantId> chains;
  if (check(TenantId(std::string(gov::kPartnerAuditChain))).ok()) {
    chains.emplace_back(std::string(gov::kPartnerAuditChain));
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<TenantId> visible, access.VisibleTenants(who));
  for (const TenantId& t : visible) {
    if (check(t).ok()) chains.push_back(t);
  }
  return chains;
}

int RunVerifyFile(const AuditArgs& args) {
  if (args.public_key.empty()) {
    return Fail("verify", InvalidArgument("--file needs --public-key KEY (the published key)"));
  }
  auto key = PublicKeyArg(args.public_key);
  if (!key.ok()) return Fail("verify", key.status());
  std::ifstream in(args.file);
  if (!in) return Fail("verify", NotFound("cannot read " + args.file));
  gov::AuditVerification report = gov::VerifyAuditExport(in, *key);
  if (!report.ok()) {
    std::cerr << report.Summary() << "\n";
    return 1;
  }
  std::cout << report.Summary() << "\n";
  return 0;
}

int RunVerify(const AuditArgs& args) {
  if (!args.file.empty()) return RunVerifyFile(args);
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("verify", store.status());
  auto chains = ChainsFor(**store, args, gov::perm::kAuditRead);
  if (!chains.ok()) return Fail("verify", chains.status());
  std::string key;
  if (!args.public_key.empty()) {
    auto k = PublicKeyArg(args.public_key);
    if (!k.ok()) return Fail("verify", k.status());
    key = *k;
  } else if (auto signer = gov::LoadAuditSigner(args.store.data_dir, false); signer.ok()) {
    key = signer->public_key();
  }
  int exit_code = 0;
  for (const TenantId& chain : *chains) {
    auto report = gov::VerifyAuditChain(**store, chain, key);
    if (!report.ok()) return Fail("verify", report.status());
    if (report->ok()) {
      std::cout << report->Summary() << "\n";
    } else {
      std::cerr << report->Summary() << "\n";
      if (key.empty() && report->fault == gov::AuditFault::kBadCheckpointSignature) {
        std::cerr << "(no --public-key was given and there is no signing key here, so no "
                     "checkpoint can be checked)\n";
      }
      exit_code = 1;
    }
  }
  if (chains->empty()) std::cout << "no audit chains visible to " << args.as << "\n";
  return exit_code;
}

int RunExport(const AuditArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("export", store.status());
  if (args.tenant.empty()) return Fail("export", InvalidArgument("--tenant is required"));
  auto chains = ChainsFor(**store, args, gov::perm::kAuditExport);
  if (!chains.ok()) return Fail("export", chains.status());
  auto signer = gov::LoadAuditSigner(args.store.data_dir, true);
  if (!signer.ok()) return Fail("export", signer.status());
  gov::AuditExportRange range;
  auto from = ParseTime(args.from, "--from");
  if (!from.ok()) return Fail("export", from.status());
  auto to = ParseTime(args.to, "--to");
  if (!to.ok()) return Fail("export", to.status());
  range.from = *from;
  range.to = *to;
  std::ofstream out(args.out, std::ios::trunc);
  if (!out) return Fail("export", Unavailable("cannot write " + args.out));
  auto summary = gov::ExportAuditChain(**store, TenantId(args.tenant), *signer, range, out);
  out.close();
  if (!summary.ok()) {
    std::error_code ec;
    std::filesystem::remove(args.out, ec);
    return Fail("export", summary.status());
  }
  std::cout << "exported events " << summary->first_seq << ".." << summary->last_seq << " ("
            << summary->events << " events, " << summary->checkpoints
            << " signed checkpoints) of tenant " << args.tenant << " to " << args.out << "\n"
            << "public key: " << signer->PublicKeyBase64() << "\n";
  return 0;
}

int RunList(const AuditArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("list", store.status());
  if (args.tenant.empty()) return Fail("list", InvalidArgument("--tenant is required"));
  if (args.as.empty()) {
    return Fail("list", InvalidArgument("--as EMAIL is required: audit commands act as a user"));
  }
  gov::AccessControl access(**store, SystemClock::Get());
  auto who = access.PrincipalForEmail(args.as);
  if (!who.ok()) return Fail("list", who.status());
  auto scope = access.Authorize(*who, TenantId(args.tenant), gov::perm::kAuditRead);
  if (!scope.ok()) return Fail("list", scope.status());
  gov::AuditQuery q;
  q.object_type = args.object_type;
  q.object_id = args.object_id;
  q.actor = args.actor;
  q.action_prefix = args.action;
  q.after_seq = args.after;
  q.limit = args.limit;
  auto from = ParseTime(args.from, "--from");
  if (!from.ok()) return Fail("list", from.status());
  auto to = ParseTime(args.to, "--to");
  if (!to.ok()) return Fail("list", to.status());
  q.from = *from;
  q.to = *to;
  std::vector<gov::AuditEvent> events;
  Status st = (*store)->Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(events, gov::ListAuditEvents(txn, *scope, q));
    return Status::Ok();
  });
  if (!st.ok()) return Fail("list", st);
  boost::json::array all;
  for (const gov::AuditEvent& e : events) {
    if (args.json) {
      boost::json::object o;
      o["seq"] = e.seq;
      o["at"] = Rfc3339(e.at);
      o["actor"] = e.record.actor;
      o["action"] = e.record.action;
      o["object_type"] = e.record.object_type;
      o["object_id"] = e.record.object_id;
      o["reason"] = e.record.reason;
      o["before"] = e.record.before_digest;
      o["after"] = e.record.after_digest;
      boost::system::error_code ec;
      boost::json::value details = boost::json::parse(e.record.details_json, ec);
      o["details"] = ec ? boost::json::value(e.record.details_json) : details;
      o["hash"] = e.hash;
      all.push_back(std::move(o));
    } else {
      std::cout << e.seq << "  " << Rfc3339(e.at) << "  " << e.record.actor << "  "
                << e.record.action << "  " << e.record.object_type << "/" << e.record.object_id;
      if (!e.record.reason.empty()) std::cout << "  \"" << e.record.reason << "\"";
      std::cout << "\n";
    }
  }
  if (args.json) {
    std::cout << boost::json::serialize(all) << "\n";
  } else if (events.empty()) {
    std::cout << "no audit events\n";
  }
  return 0;
}

int RunCheckpoint(const AuditArgs& args) {
  auto store = OpenStore(args.store);
  if (!store.ok()) return Fail("checkpoint", store.status());
  auto signer = gov::LoadAuditSigner(args.store.data_dir, true);
  if (!signer.ok()) return Fail("checkpoint", signer.status());
  if (!args.tenant.empty()) {
    auto c = gov::CreateCheckpoint(**store, TenantId(args.tenant), *signer);
    if (!c.ok()) return Fail("checkpoint", c.status());
    std::cout << "checkpoint of tenant " << args.tenant << " at seq " << c->seq << "\n";
    return 0;
  }
  // Every chain whose head moved since its last checkpoint.
  auto n = gov::CheckpointDueChains(**store, SystemClock::Get(), *signer,
                                    {.every_events = 1, .every = std::chrono::microseconds(0)});
  if (!n.ok()) return Fail("checkpoint", n.status());
  std::cout << *n << " checkpoints made\n";
  return 0;
}

int RunPublicKey(const AuditArgs& args) {
  auto signer = gov::LoadAuditSigner(args.store.data_dir, true);
  if (!signer.ok()) return Fail("public-key", signer.status());
  std::cout << signer->PublicKeyBase64() << "\n";
  return 0;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* group =
      app.add_subcommand("audit", "the audit trail: verify, export, list, checkpoint, public-key");
  group->require_subcommand(1);

  CLI::App* verify = group->add_subcommand(
      "verify", "verify audit chains in the store (--as) or an export file (--file, --public-key)");
  AddStoreFlags(*verify, args->store);
  verify->add_option("--as", args->as, "act as this user (e-mail); needs audit.read");
  verify->add_option("--tenant", args->tenant, "only this tenant's chain (default: all visible)");
  verify->add_option("--file", args->file, "an export file to verify offline");
  verify->add_option("--public-key", args->public_key,
                     "the published public key (base64, or a file holding it)");
  verify->callback([args, &result] { result.exit_code = RunVerify(*args); });

  CLI::App* exp = group->add_subcommand("export", "write a tenant's chain as signed JSON lines");
  AddStoreFlags(*exp, args->store);
  exp->add_option("--as", args->as, "act as this user (e-mail); needs audit.export");
  exp->add_option("--tenant", args->tenant, "the tenant")->required();
  exp->add_option("--from", args->from, "events at or after (YYYY-MM-DD[THH:MM:SSZ], UTC)");
  exp->add_option("--to", args->to, "events before (YYYY-MM-DD[THH:MM:SSZ], UTC)");
  exp->add_option("--out", args->out, "the file to write")->required();
  exp->callback([args, &result] { result.exit_code = RunExport(*args); });

  CLI::App* list = group->add_subcommand("list", "list a tenant's audit events (oldest first)");
  AddStoreFlags(*list, args->store);
  list->add_option("--as", args->as, "act as this user (e-mail); needs audit.read");
  list->add_option("--tenant", args->tenant, "the tenant")->required();
  list->add_option("--object-type", args->object_type, "only this object type");
  list->add_option("--object-id", args->object_id, "only this object id");
  list->add_option("--actor", args->actor, "only this actor (user:<id>, system:<component>)");
  list->add_option("--action", args->action, "only actions starting with this (document.)");
  list->add_option("--from", args->from, "at or after (YYYY-MM-DD[THH:MM:SSZ], UTC)");
  list->add_option("--to", args->to, "before (YYYY-MM-DD[THH:MM:SSZ], UTC)");
  list->add_option("--after", args->after, "only events with seq greater than this (paging)");
  list->add_option("--limit", args->limit, "at most this many (1..10000, default 100)");
  list->add_flag("--json", args->json, "print a JSON array");
  list->callback([args, &result] { result.exit_code = RunList(*args); });

  CLI::App* checkpoint = group->add_subcommand(
      "checkpoint", "operator: sign the chain heads now (one tenant, or every chain that moved)");
  AddStoreFlags(*checkpoint, args->store);
  checkpoint->add_option("--tenant", args->tenant, "only this tenant's chain");
  checkpoint->callback([args, &result] { result.exit_code = RunCheckpoint(*args); });

  CLI::App* key = group->add_subcommand(
      "public-key", "operator: print the audit public key (base64) to publish to auditors");
  AddStoreFlags(*key, args->store);
  key->callback([args, &result] { result.exit_code = RunPublicKey(*args); });
}

}  // namespace govflow::cli
