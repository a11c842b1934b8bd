#include "governance/documents/lifecycle.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "base/canonical_json.h"
#include "governance/approvals.h"
#include "governance/audit.h"
#include "governance/documents/kind_registry.h"
#include "governance/documents/yaml_reader.h"

namespace govflow::governance::documents {
namespace json = boost::json;
namespace {

using store::sql::Row;
using store::sql::Rows;

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

constexpr std::string_view kColumns =
    "tenant_id, kind, name, version, content_hash, source_yaml, inherits, state, author, "
    "submitted_by, reviewed_by, review_comment, created_at, updated_at";

std::string ObjectId(const DocumentRef& ref, int64_t version) {
  return std::string(DocumentKindName(ref.kind)) + "/" + ref.name + "@" + std::to_string(version);
}

std::string Describe(const DocumentRef& ref, int64_t version) {
  return std::string(DocumentKindName(ref.kind)) + " " + ref.name + " version " +
         std::to_string(version);
}

Result<DocumentVersion> ReadRow(const Row& r) {
  DocumentVersion d;
  d.tenant = TenantId(r.Text(0));
  GOVFLOW_ASSIGN_OR_RETURN(d.kind, ParseDocumentKind(r.Text(1)));
  d.name = r.Text(2);
  d.version = r.Int(3);
  d.content_hash = r.Text(4);
  d.source_yaml = r.Text(5);
  d.inherits = r.Text(6);
  GOVFLOW_ASSIGN_OR_RETURN(d.state, ParseDocumentState(r.Text(7)));
  d.author = r.Text(8);
  d.submitted_by = r.Text(9);
  d.reviewed_by = r.Text(10);
  d.review_comment = r.Text(11);
  d.created_at = FromMicros(r.Int(12));
  d.updated_at = FromMicros(r.Int(13));
  return d;
}

// Fills live_in and ever_published.
Status AddPublicationFacts(store::Txn& txn, DocumentVersion& d) {
  const std::string kind(DocumentKindName(d.kind));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows envs, txn.sql().Query("SELECT env FROM document_environments WHERE "
                                 "tenant_id = ? AND kind = ? AND name = ? AND version = ?",
                                 {d.tenant.value(), kind, d.name, d.version}));
  d.live_in.clear();
  for (Environment env : {Environment::kDev, Environment::kStaging, Environment::kProd}) {
    for (const Row& r : envs) {
      if (r.Text(0) == EnvironmentName(env)) d.live_in.push_back(env);
    }
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows pubs, txn.sql().Query("SELECT COUNT(*) FROM document_publications WHERE tenant_id = ? "
                                 "AND kind = ? AND name = ? AND version = ?",
                                 {d.tenant.value(), kind, d.name, d.version}));
  d.ever_published = pubs[0].Int(0) > 0;
  return Status::Ok();
}

// One version, read without a permission check (callers check; templates are readable by every
// tenant). version 0: the newest.
Result<DocumentVersion> LoadVersion(store::Txn& txn, const TenantId& tenant, const DocumentRef& ref,
                                    int64_t version) {
  const std::string kind(DocumentKindName(ref.kind));
  Rows rows;
  if (version == 0) {
    GOVFLOW_ASSIGN_OR_RETURN(
        rows, txn.sql().Query("SELECT " + std::string(kColumns) +
                                  " FROM governance_documents WHERE tenant_id = ? AND kind = ? "
                                  "AND name = ? ORDER BY version DESC LIMIT 1",
                              {tenant.value(), kind, ref.name}));
  } else {
    GOVFLOW_ASSIGN_OR_RETURN(
        rows, txn.sql().Query("SELECT " + std::string(kColumns) +
                                  " FROM governance_documents WHERE tenant_id = ? AND kind = ? "
                                  "AND name = ? AND version = ?",
                              {tenant.value(), kind, ref.name, version}));
  }
  if (rows.empty()) {
    return NotFound(version == 0 ? "no document " + kind + " " + ref.name
                                 : "no " + Describe(ref, version));
  }
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, ReadRow(rows[0]));
  GOVFLOW_RETURN_IF_ERROR(AddPublicationFacts(txn, d));
  return d;
}

Status Audit(store::Txn& txn, const TenantScope& scope, std::string action, const DocumentRef& ref,
             int64_t version, std::string before, std::string after, std::string reason,
             json::object details) {
  details["kind"] = DocumentKindName(ref.kind);
  details["name"] = ref.name;
  details["version"] = version;
  AuditRecord record;
  record.actor = scope.actor().id;
  record.action = std::move(action);
  record.object_type = "document";
  record.object_id = ObjectId(ref, version);
  record.reason = std::move(reason);
  record.before_digest = std::move(before);
  record.after_digest = std::move(after);
  record.details_json = json::serialize(details);
  return AppendAudit(txn, scope.tenant(), record).status();
}

// "<name>@<version>" -> (name, version).
std::optional<std::pair<std::string, int64_t>> ParseInherits(std::string_view text) {
  size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= text.size()) return std::nullopt;
  std::string_view digits = text.substr(at + 1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos || digits.size() > 15) {
    return std::nullopt;
  }
  int64_t v = std::stoll(std::string(digits));
  if (v < 1 || !IsValidDocumentName(text.substr(0, at))) return std::nullopt;
  return std::make_pair(std::string(text.substr(0, at)), v);
}

json::value WithoutInherits(json::value v) {
  if (v.is_object()) v.as_object().erase("inherits");
  return v;
}

// The merged document of a tenant version over its template version.
json::value MergeEffective(const json::value& template_json, const json::value& own,
                           const std::string& name) {
  json::value merged = MergeOverTemplate(WithoutInherits(template_json), WithoutInherits(own));
  if (merged.is_object()) {
    if (json::value* meta = merged.as_object().if_contains("metadata");
        meta != nullptr && meta->is_object()) {
      (*meta).as_object()["name"] = name;
    }
  }
  return merged;
}

Result<json::value> ParseStored(const DocumentVersion& d) {
  DiagnosticList diagnostics;
  auto parsed = YamlTextToJson(d.source_yaml, diagnostics);
  if (!parsed) {
    return Internal("stored " + std::string(DocumentKindName(d.kind)) + " " + d.name + " version " +
                    std::to_string(d.version) + " no longer parses: " + diagnostics.Format(d.name));
  }
  return std::move(*parsed);
}

Result<DocumentVersion> LoadTemplate(store::Txn& txn, DocumentKind kind, const std::string& name,
                                     int64_t version) {
  return LoadVersion(txn, TenantId(std::string(kPartnerScope)), DocumentRef{kind, name}, version);
}

// The effective JSON of a stored version (merged over its template when it inherits).
Result<json::value> EffectiveJson(store::Txn& txn, const DocumentVersion& d) {
  GOVFLOW_ASSIGN_OR_RETURN(json::value own, ParseStored(d));
  if (d.inherits.empty()) return own;
  auto ref = ParseInherits(d.inherits);
  if (!ref) return Internal("stored inherits '" + d.inherits + "' is malformed");
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion tmpl,
                           LoadTemplate(txn, d.kind, ref->first, ref->second));
  GOVFLOW_ASSIGN_OR_RETURN(json::value tmpl_json, ParseStored(tmpl));
  return MergeEffective(tmpl_json, own, d.name);
}

Result<std::optional<int64_t>> ActiveIn(store::Txn& txn, const TenantId& tenant,
                                        const DocumentRef& ref, Environment env) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn.sql().Query("SELECT version FROM document_environments WHERE tenant_id = ? "
                                 "AND kind = ? AND name = ? AND env = ?",
                                 {tenant.value(), std::string(DocumentKindName(ref.kind)), ref.name,
                                  std::string(EnvironmentName(env))}));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0].Int(0));
}

// Makes the runtime able to run a workflow version published to prod: the workflow_versions
// row holding the same content (same document hash) if there is one, else a new runtime
// version after the latest. Returns the runtime version.
Result<int64_t> PublishToRuntime(store::Txn& txn, const DocumentVersion& d,
                                 const std::string& yaml) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows same, txn.sql().Query("SELECT version FROM workflow_versions WHERE tenant_id = ? AND "
                                 "name = ? AND content_hash = ?",
                                 {d.tenant.value(), d.name, d.content_hash}));
  if (!same.empty()) return same[0].Int(0);
  int64_t next = 1;
  auto latest = txn.GetLatestWorkflowVersion(d.tenant, d.name);
  if (latest.ok()) {
    next = latest->version + 1;
  } else if (latest.status().code() != StatusCode::kNotFound) {
    return latest.status();
  }
  store::WorkflowVersion w;
  w.tenant = d.tenant;
  w.name = d.name;
  w.version = next;
  w.content_hash = d.content_hash;
  w.source_yaml = yaml;
  w.published_at = txn.Now();
  GOVFLOW_RETURN_IF_ERROR(txn.PublishWorkflowVersion(w));
  return next;
}

// Points `env` at `d` (which the caller checked may go there), records the publication and
// audits it as document.<action>.
Status SetEnvironment(store::Txn& txn, const TenantScope& scope, const DocumentVersion& d,
                      Environment env, std::string_view action, std::string_view approval_id,
                      std::string_view reason) {
  const DocumentRef ref{d.kind, d.name};
  const std::string kind(DocumentKindName(d.kind));
  const std::string env_name(EnvironmentName(env));
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<int64_t> previous, ActiveIn(txn, d.tenant, ref, env));
  std::string before_digest;
  if (previous) {
    GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion prev, LoadVersion(txn, d.tenant, ref, *previous));
    before_digest = prev.content_hash;
  }
  std::optional<int64_t> runtime_version;
  if (d.kind == DocumentKind::kWorkflow && env == Environment::kProd && !IsPartnerScope(d.tenant)) {
    std::string yaml = d.source_yaml;
    if (!d.inherits.empty()) {
      GOVFLOW_ASSIGN_OR_RETURN(json::value effective, EffectiveJson(txn, d));
      yaml = RenderYaml(effective);
    }
    GOVFLOW_ASSIGN_OR_RETURN(int64_t rv, PublishToRuntime(txn, d, yaml));
    runtime_version = rv;
  }
  const std::string actor = IdentityOf(scope.actor());
  const int64_t now = Micros(txn.Now());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO document_environments (tenant_id, kind, name, env, version, "
                   "content_hash, runtime_version, published_by, published_at) VALUES (?, ?, ?, "
                   "?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, kind, name, env) DO UPDATE SET "
                   "version = excluded.version, content_hash = excluded.content_hash, "
                   "runtime_version = excluded.runtime_version, published_by = "
                   "excluded.published_by, published_at = excluded.published_at",
                   {d.tenant.value(), kind, d.name, env_name, d.version, d.content_hash,
                    store::sql::Nullable(runtime_version), actor, now})
          .status());
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows seq, txn.sql().Query("SELECT COALESCE(MAX(seq), 0) FROM document_publications WHERE "
                                "tenant_id = ? AND kind = ? AND name = ? AND env = ?",
                                {d.tenant.value(), kind, d.name, env_name}));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO document_publications (tenant_id, kind, name, env, seq, version, "
                   "content_hash, action, actor, approval_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                   "?, ?, ?)",
                   {d.tenant.value(), kind, d.name, env_name, seq[0].Int(0) + 1, d.version,
                    d.content_hash, std::string(action), actor, std::string(approval_id), now})
          .status());
  json::object details;
  details["env"] = env_name;
  details["previous_version"] = previous ? json::value(*previous) : json::value(nullptr);
  if (runtime_version) details["runtime_version"] = *runtime_version;
  if (!approval_id.empty()) details["approval_id"] = approval_id;
  return Audit(txn, scope, "document." + std::string(action), ref, d.version, before_digest,
               d.content_hash, std::string(reason), std::move(details));
}

Status UpdateReview(store::Txn& txn, const DocumentVersion& d, DocumentState state,
                    const std::string& submitted_by, const std::string& reviewed_by,
                    std::string_view comment) {
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.sql().Execute(
          "UPDATE governance_documents SET state = ?, submitted_by = ?, reviewed_by = ?, "
          "review_comment = ?, updated_at = ? WHERE tenant_id = ? AND kind = ? AND name = ? AND "
          "version = ? AND state = ?",
          {std::string(DocumentStateName(state)), submitted_by, reviewed_by, std::string(comment),
           Micros(txn.Now()), d.tenant.value(), std::string(DocumentKindName(d.kind)), d.name,
           d.version, std::string(DocumentStateName(d.state))}));
  if (changed != 1) return Status(StatusCode::kAborted, "the document changed concurrently");
  return Status::Ok();
}

Result<DocumentVersion> Review(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                               int64_t version, bool approve, std::string_view comment) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsApprove));
  if (!approve && comment.empty()) {
    return InvalidArgument("a rejection needs a comment saying why");
  }
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, version));
  if (d.state != DocumentState::kSubmitted) {
    return FailedPrecondition(
        Describe(ref, version) + " is " + std::string(DocumentStateName(d.state)) +
        "; only a submitted version can be " + (approve ? "approved" : "rejected"));
  }
  const std::string me = IdentityOf(scope.actor());
  if (me == d.author || me == d.submitted_by) {
    return PermissionDenied(me + " drafted or submitted " + Describe(ref, version) +
                            " and may not review it (segregation of duties)");
  }
  const DocumentState next = approve ? DocumentState::kApproved : DocumentState::kRejected;
  GOVFLOW_RETURN_IF_ERROR(UpdateReview(txn, d, next, d.submitted_by, me, comment));
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, scope, approve ? "document.approve" : "document.reject", ref,
                                version, d.content_hash, d.content_hash, std::string(comment),
                                json::object{{"state", DocumentStateName(next)}}));
  return LoadVersion(txn, scope.tenant(), ref, version);
}

std::string PromotionSubject(const DocumentRef& ref, int64_t version, Environment from,
                             Environment to) {
  return ObjectId(ref, version) + ":" + std::string(EnvironmentName(from)) + "->" +
         std::string(EnvironmentName(to));
}

}  // namespace

std::string IdentityOf(const Actor& actor) {
  return ApprovalPersonOf(actor);
}

bool IsValidDocumentName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  auto lower_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_digit(name[0])) return false;
  for (char c : name) {
    if (!lower_digit(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

Result<DocumentVersion> CreateDraft(store::Txn& txn, const TenantScope& scope,
                                    const DocumentRef& ref, std::string_view yaml_text,
                                    std::string_view file_name) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsEdit));
  if (!IsValidDocumentName(ref.name)) {
    return InvalidArgument("document name '" + ref.name +
                           "' is not valid (lower-case letters, digits, '.', '_', '-'; starting "
                           "with a letter or digit; at most 128 characters)");
  }
  if (!HasDocumentValidator(ref.kind)) {
    return ValidateDocument(ref.kind, yaml_text, file_name);  // kFailedPrecondition, named
  }
  DiagnosticList diagnostics;
  YamlReader reader(yaml_text, diagnostics);
  std::optional<json::value> own;
  if (reader.Parse()) own = reader.ToJson(reader.root());
  if (!own) return InvalidArgument(diagnostics.Format(file_name));

  // Inheritance.
  std::string inherits;
  std::optional<json::value> template_json;
  std::string template_label;
  if (YAML::Node node = reader.root()["inherits"]; node.IsDefined()) {
    std::optional<std::pair<std::string, int64_t>> parsed;
    if (node.IsScalar()) parsed = ParseInherits(node.Scalar());
    if (IsPartnerScope(scope.tenant())) {
      reader.Error(node, "inherits: a partner template cannot inherit another template");
    } else if (!parsed) {
      reader.Error(node, "inherits: expected <template name>@<version>, e.g. order-capture@3");
    } else {
      auto tmpl = LoadTemplate(txn, ref.kind, parsed->first, parsed->second);
      if (!tmpl.ok() && tmpl.status().code() != StatusCode::kNotFound) return tmpl.status();
      if (!tmpl.ok()) {
        reader.Error(node, "inherits: the partner has no " +
                               std::string(DocumentKindName(ref.kind)) + " template " +
                               node.Scalar());
      } else if (tmpl->state != DocumentState::kApproved) {
        reader.Error(node, "inherits: template " + node.Scalar() + " is " +
                               std::string(DocumentStateName(tmpl->state)) +
                               "; only approved templates can be inherited");
      } else {
        GOVFLOW_ASSIGN_OR_RETURN(json::value tj, ParseStored(*tmpl));
        template_json = std::move(tj);
        inherits = node.Scalar();
        template_label = inherits;
      }
    }
  } else if (YAML::Node meta = reader.root()["metadata"]; meta.IsMap()) {
    if (YAML::Node name = meta["name"]; name.IsDefined()) {
      if (!name.IsScalar() || name.Scalar() != ref.name) {
        reader.Error(name, "metadata.name must be the document's name '" + ref.name + "'");
      }
    }
  }
  if (diagnostics.has_errors()) return InvalidArgument(diagnostics.Format(file_name));

  if (template_json) {
    json::value merged = MergeEffective(*template_json, *own, ref.name);
    GOVFLOW_RETURN_IF_ERROR(ValidateDocument(
        ref.kind, RenderYaml(merged),
        std::string(file_name) + " (merged over template " + template_label + ")"));
  } else {
    GOVFLOW_RETURN_IF_ERROR(ValidateDocument(ref.kind, yaml_text, file_name));
  }

  const std::string hash = Sha256Hex(CanonicalJson(*own));
  const std::string kind(DocumentKindName(ref.kind));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows same, txn.sql().Query("SELECT version FROM governance_documents WHERE tenant_id = ? "
                                 "AND kind = ? AND name = ? AND content_hash = ?",
                                 {scope.tenant().value(), kind, ref.name, hash}));
  if (!same.empty()) return LoadVersion(txn, scope.tenant(), ref, same[0].Int(0));

  GOVFLOW_ASSIGN_OR_RETURN(
      Rows max, txn.sql().Query("SELECT COALESCE(MAX(version), 0) FROM governance_documents "
                                "WHERE tenant_id = ? AND kind = ? AND name = ?",
                                {scope.tenant().value(), kind, ref.name}));
  const int64_t version = max[0].Int(0) + 1;
  const int64_t now = Micros(txn.Now());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute(
              "INSERT INTO governance_documents (" + std::string(kColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {scope.tenant().value(), kind, ref.name, version, hash, std::string(yaml_text),
               inherits, std::string(DocumentStateName(DocumentState::kDraft)),
               IdentityOf(scope.actor()), std::string(), std::string(), std::string(), now, now})
          .status());
  json::object details;
  if (!inherits.empty()) details["inherits"] = inherits;
  GOVFLOW_RETURN_IF_ERROR(
      Audit(txn, scope, "document.draft", ref, version, "", hash, "", std::move(details)));
  return LoadVersion(txn, scope.tenant(), ref, version);
}

Result<DocumentVersion> Submit(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                               int64_t version) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsEdit));
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, version));
  if (d.state != DocumentState::kDraft) {
    return FailedPrecondition(Describe(ref, version) + " is " +
                              std::string(DocumentStateName(d.state)) +
                              "; only a draft can be submitted");
  }
  const std::string me = IdentityOf(scope.actor());
  GOVFLOW_RETURN_IF_ERROR(UpdateReview(txn, d, DocumentState::kSubmitted, me, "", ""));
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, scope, "document.submit", ref, version, d.content_hash,
                                d.content_hash, "", json::object{{"state", "submitted"}}));
  return LoadVersion(txn, scope.tenant(), ref, version);
}

Result<DocumentVersion> Approve(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                int64_t version, std::string_view comment) {
  return Review(txn, scope, ref, version, true, comment);
}

Result<DocumentVersion> Reject(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                               int64_t version, std::string_view comment) {
  return Review(txn, scope, ref, version, false, comment);
}

Result<DocumentVersion> Publish(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                int64_t version, Environment env) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsPublish));
  if (env != Environment::kDev) {
    return FailedPrecondition(
        std::string(EnvironmentName(env)) + " is reached by promotion (documents promote --from " +
        (env == Environment::kStaging ? "dev" : "staging") + "), not by publishing");
  }
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, version));
  if (d.state != DocumentState::kApproved) {
    return FailedPrecondition(Describe(ref, version) + " is " +
                              std::string(DocumentStateName(d.state)) +
                              "; only an approved version can be published");
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<int64_t> active, ActiveIn(txn, d.tenant, ref, env));
  if (active && *active == version) return d;
  GOVFLOW_RETURN_IF_ERROR(SetEnvironment(txn, scope, d, env, "publish", "", ""));
  return LoadVersion(txn, scope.tenant(), ref, version);
}

Result<PromotionResult> Promote(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                Environment from) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsPublish));
  std::optional<Environment> to = NextEnvironment(from);
  if (!to) return FailedPrecondition("prod is the last environment; nothing to promote to");
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<int64_t> active, ActiveIn(txn, scope.tenant(), ref, from));
  if (!active) {
    return FailedPrecondition(std::string(DocumentKindName(ref.kind)) + " " + ref.name +
                              " is not published to " + std::string(EnvironmentName(from)));
  }
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, *active));
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<int64_t> target, ActiveIn(txn, scope.tenant(), ref, *to));
  if (target && *target == d.version) {
    return FailedPrecondition(std::string(EnvironmentName(*to)) + " already runs " +
                              Describe(ref, d.version));
  }
  PromotionResult result;
  result.from = from;
  result.to = *to;
  result.version = d;
  const std::string subject = PromotionSubject(ref, d.version, from, *to);
  const std::string me = IdentityOf(scope.actor());

  auto existing = FindApprovalForSubject(txn, scope, kPromotionSubjectType, subject);
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  if (existing.ok() && existing->state == ApprovalState::kPending) {
    result.approval_id = existing->id;
    result.approval_state = std::string(ApprovalStateName(existing->state));
    result.note = "waiting for approval";
    return result;
  }
  if (existing.ok() && existing->state == ApprovalState::kApproved) {
    bool independent = false;
    for (const ApprovalDecision& decision : existing->decisions) {
      if (!decision.approve) continue;
      const std::string& person =
          decision.on_behalf_of.empty() ? decision.actor : decision.on_behalf_of;
      if (person != d.author && person != me && decision.actor != d.author &&
          decision.actor != me) {
        independent = true;
      }
    }
    if (!independent) {
      return PermissionDenied("promotion of " + Describe(ref, d.version) +
                              " needs an approval by someone other than its author and its "
                              "promoter");
    }
    GOVFLOW_RETURN_IF_ERROR(SetEnvironment(txn, scope, d, *to, "promote", existing->id, ""));
    result.promoted = true;
    result.approval_id = existing->id;
    result.approval_state = std::string(ApprovalStateName(existing->state));
    GOVFLOW_ASSIGN_OR_RETURN(result.version, LoadVersion(txn, scope.tenant(), ref, d.version));
    return result;
  }
  // No task yet, or the last one ended without approval: ask (again).
  ApprovalRequest request;
  request.subject_type = std::string(kPromotionSubjectType);
  request.subject_id = subject;
  request.title = "Promote " + Describe(ref, d.version) + " from " +
                  std::string(EnvironmentName(from)) + " to " + std::string(EnvironmentName(*to));
  json::object changes;
  changes["kind"] = DocumentKindName(ref.kind);
  changes["name"] = ref.name;
  changes["version"] = d.version;
  changes["content_hash"] = d.content_hash;
  changes["from"] = EnvironmentName(from);
  changes["to"] = EnvironmentName(*to);
  changes["replaces_version"] = target ? json::value(*target) : json::value(nullptr);
  if (target) {
    GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion current,
                             LoadVersion(txn, scope.tenant(), ref, *target));
    GOVFLOW_ASSIGN_OR_RETURN(json::value a, ParseStored(current));
    GOVFLOW_ASSIGN_OR_RETURN(json::value b, ParseStored(d));
    changes["diff"] = FormatDiff(StructuralDiff(a, b));
  }
  request.changes_json = json::serialize(changes);
  request.required_roles = kPromotionApproverRoles;
  request.quorum = 1;
  request.rule = "promotion to " + std::string(EnvironmentName(*to)) +
                 " needs approval by someone other than the author";
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask task, RequestApproval(txn, scope, request));
  result.approval_id = task.id;
  result.approval_state = std::string(ApprovalStateName(task.state));
  result.note = existing.ok() ? "the previous request was " +
                                    std::string(ApprovalStateName(existing->state)) +
                                    "; approval requested again"
                              : "approval requested";
  return result;
}

Result<DocumentVersion> Rollback(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                 Environment env, int64_t to_version, std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsPublish));
  if (reason.empty()) return InvalidArgument("a rollback needs a reason");
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, to_version));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows ran, txn.sql().Query("SELECT COUNT(*) FROM document_publications WHERE tenant_id = ? "
                                "AND kind = ? AND name = ? AND env = ? AND version = ?",
                                {scope.tenant().value(), std::string(DocumentKindName(ref.kind)),
                                 ref.name, std::string(EnvironmentName(env)), to_version}));
  if (ran[0].Int(0) == 0) {
    return FailedPrecondition(std::string(EnvironmentName(env)) + " never ran " +
                              Describe(ref, to_version) +
                              "; a rollback returns to a version the environment ran before");
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<int64_t> active, ActiveIn(txn, scope.tenant(), ref, env));
  if (active && *active == to_version) {
    return FailedPrecondition(std::string(EnvironmentName(env)) + " already runs " +
                              Describe(ref, to_version));
  }
  GOVFLOW_RETURN_IF_ERROR(SetEnvironment(txn, scope, d, env, "rollback", "", reason));
  return LoadVersion(txn, scope.tenant(), ref, to_version);
}

Result<DocumentVersion> GetDocument(store::Txn& txn, const TenantScope& scope,
                                    const DocumentRef& ref, int64_t version) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  return LoadVersion(txn, scope.tenant(), ref, version);
}

Result<std::vector<DocumentVersion>> ListDocuments(store::Txn& txn, const TenantScope& scope,
                                                   std::optional<DocumentKind> kind) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  std::string where = "d.tenant_id = ?";
  store::sql::Params params{scope.tenant().value()};
  if (kind) {
    where += " AND d.kind = ?";
    params.emplace_back(std::string(DocumentKindName(*kind)));
  }
  std::string columns;
  for (std::string_view c :
       {"tenant_id", "kind", "name", "version", "content_hash", "source_yaml", "inherits", "state",
        "author", "submitted_by", "reviewed_by", "review_comment", "created_at", "updated_at"}) {
    columns += (columns.empty() ? "d." : ", d.") + std::string(c);
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn.sql().Query("SELECT " + columns + " FROM governance_documents d WHERE " + where +
                          " AND d.version = (SELECT MAX(e.version) FROM governance_documents e "
                          "WHERE e.tenant_id = d.tenant_id AND e.kind = d.kind AND e.name = "
                          "d.name) ORDER BY d.kind, d.name",
                      params));
  std::vector<DocumentVersion> out;
  for (const Row& r : rows) {
    GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, ReadRow(r));
    GOVFLOW_RETURN_IF_ERROR(AddPublicationFacts(txn, d));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<DocumentVersion>> History(store::Txn& txn, const TenantScope& scope,
                                             const DocumentRef& ref) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn.sql().Query("SELECT " + std::string(kColumns) +
                          " FROM governance_documents WHERE tenant_id = ? AND kind = ? "
                          "AND name = ? ORDER BY version",
                      {scope.tenant().value(), std::string(DocumentKindName(ref.kind)), ref.name}));
  if (rows.empty()) {
    return NotFound("no document " + std::string(DocumentKindName(ref.kind)) + " " + ref.name);
  }
  std::vector<DocumentVersion> out;
  for (const Row& r : rows) {
    GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, ReadRow(r));
    GOVFLOW_RETURN_IF_ERROR(AddPublicationFacts(txn, d));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Publication>> Publications(store::Txn& txn, const TenantScope& scope,
                                              const DocumentRef& ref) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn.sql().Query("SELECT env, seq, version, content_hash, action, actor, approval_id, at "
                      "FROM document_publications WHERE tenant_id = ? AND kind = ? AND name = ? "
                      "ORDER BY at, env, seq",
                      {scope.tenant().value(), std::string(DocumentKindName(ref.kind)), ref.name}));
  std::vector<Publication> out;
  for (const Row& r : rows) {
    Publication p;
    GOVFLOW_ASSIGN_OR_RETURN(p.env, ParseEnvironment(r.Text(0)));
    p.seq = r.Int(1);
    p.version = r.Int(2);
    p.content_hash = r.Text(3);
    p.action = r.Text(4);
    p.actor = r.Text(5);
    p.approval_id = r.Text(6);
    p.at = FromMicros(r.Int(7));
    out.push_back(std::move(p));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Publication& a, const Publication& b) { return a.env < b.env; });
  return out;
}

Result<std::optional<DocumentVersion>> ActiveVersion(store::Txn& txn, const TenantScope& scope,
                                                     const DocumentRef& ref, Environment env) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<int64_t> active, ActiveIn(txn, scope.tenant(), ref, env));
  if (!active) return std::optional<DocumentVersion>();
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, *active));
  return std::optional<DocumentVersion>(std::move(d));
}

Result<std::optional<int64_t>> ProdWorkflowRuntimeVersion(store::Txn& txn, const TenantScope& scope,
                                                          std::string_view name) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn.sql().Query(
          "SELECT runtime_version FROM document_environments WHERE "
          "tenant_id = ? AND kind = ? AND name = ? AND env = ?",
          {scope.tenant().value(), std::string(DocumentKindName(DocumentKind::kWorkflow)),
           std::string(name), std::string(EnvironmentName(Environment::kProd))}));
  if (rows.empty() || rows[0].IsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(rows[0].Int(0));
}

Result<std::vector<DiffEntry>> Diff(store::Txn& txn, const TenantScope& scope,
                                    const DocumentRef& ref, int64_t v1, int64_t v2) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion a, LoadVersion(txn, scope.tenant(), ref, v1));
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion b, LoadVersion(txn, scope.tenant(), ref, v2));
  GOVFLOW_ASSIGN_OR_RETURN(json::value ja, ParseStored(a));
  GOVFLOW_ASSIGN_OR_RETURN(json::value jb, ParseStored(b));
  return StructuralDiff(ja, jb);
}

Result<TemplateDiff> DiffAgainstTemplate(store::Txn& txn, const TenantScope& scope,
                                         const DocumentRef& ref, int64_t version) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, version));
  if (d.inherits.empty()) {
    return FailedPrecondition(Describe(ref, d.version) + " does not inherit a partner template");
  }
  auto parsed = ParseInherits(d.inherits);
  if (!parsed) return Internal("stored inherits '" + d.inherits + "' is malformed");
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion tmpl,
                           LoadTemplate(txn, ref.kind, parsed->first, parsed->second));
  GOVFLOW_ASSIGN_OR_RETURN(json::value tmpl_json, ParseStored(tmpl));
  GOVFLOW_ASSIGN_OR_RETURN(json::value effective, EffectiveJson(txn, d));
  // Compare under the template's own name, so the rename alone is not a difference.
  if (effective.is_object()) {
    if (json::value* meta = effective.as_object().if_contains("metadata");
        meta != nullptr && meta->is_object()) {
      const json::value* tmeta =
          tmpl_json.is_object() ? tmpl_json.as_object().if_contains("metadata") : nullptr;
      const json::value* tname =
          tmeta != nullptr && tmeta->is_object() ? tmeta->as_object().if_contains("name") : nullptr;
      if (tname != nullptr) {
        meta->as_object()["name"] = *tname;
      } else {
        meta->as_object().erase("name");
      }
    }
  }
  TemplateDiff out;
  out.template_name = parsed->first;
  out.template_version = parsed->second;
  out.entries = StructuralDiff(WithoutInherits(tmpl_json), effective);
  return out;
}

Result<std::string> EffectiveYaml(store::Txn& txn, const TenantScope& scope, const DocumentRef& ref,
                                  int64_t version) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kDocumentsRead));
  GOVFLOW_ASSIGN_OR_RETURN(DocumentVersion d, LoadVersion(txn, scope.tenant(), ref, version));
  if (d.inherits.empty()) return d.source_yaml;
  GOVFLOW_ASSIGN_OR_RETURN(json::value effective, EffectiveJson(txn, d));
  return RenderYaml(effective);
}

}  // namespace govflow::governance::documents
