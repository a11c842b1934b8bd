// Governed documents: versions, YAML, diff, the lifecycle with ETag/If-Match, promotion.
#include <charconv>
#include <functional>

#include "api/v1/route_support.h"
#include "governance/documents/lifecycle.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

namespace docs = governance::documents;

json::object VersionJson(const docs::DocumentVersion& v) {
  json::array live;
  for (docs::Environment env : v.live_in) live.emplace_back(docs::EnvironmentName(env));
  return json::object{
      {"kind", docs::DocumentKindName(v.kind)},
      {"name", v.name},
      {"version", v.version},
      {"state", docs::DocumentStateName(v.state)},
      {"author", v.author},
      {"submitted_by", v.submitted_by},
      {"reviewed_by", v.reviewed_by},
      {"review_comment", v.review_comment},
      {"content_hash", v.content_hash},
      {"inherits", v.inherits},
      {"live_in", std::move(live)},
      {"created_at", FormatTime(v.created_at)},
      {"updated_at", FormatTime(v.updated_at)},
  };
}

std::string EntityTag(std::string_view content_hash) {
  return "\"" + std::string(content_hash) + "\"";
}

// Whether an If-Match header value names `content_hash` (quoted or bare; "*" matches any).
bool IfMatchHolds(std::string_view header, std::string_view content_hash) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*") return true;
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (tag == content_hash) return true;
  }
  return false;
}

// The {kind}/{name} of the path, or a problem naming the bad one.
Result<docs::DocumentRef> RefOf(const HttpRequest& request, std::string* bad_field) {
  docs::DocumentRef ref;
  Result<docs::DocumentKind> kind = docs::ParseDocumentKind(request.Param("kind"));
  if (!kind.ok()) {
    *bad_field = "kind";
    return kind.status();
  }
  ref.kind = *kind;
  ref.name = std::string(request.Param("name"));
  if (!docs::IsValidDocumentName(ref.name)) {
    *bad_field = "name";
    return InvalidArgument("document names are [a-z0-9][a-z0-9._-]{0,127}");
  }
  return ref;
}

Result<int64_t> ParseVersion(std::string_view text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 1) {
    return InvalidArgument("must be a version number (1, 2, ...)");
  }
  return value;
}

HttpResponse ListDocuments(Services& s, const Context& ctx) {
  std::optional<docs::DocumentKind> kind;
  if (auto text = ctx.request.QueryParam("kind")) {
    Result<docs::DocumentKind> parsed = docs::ParseDocumentKind(*text);
    if (!parsed.ok()) return FieldProblem("kind", parsed.status().message());
    kind = *parsed;
  }
  std::vector<docs::DocumentVersion> versions;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(versions, docs::ListDocuments(txn, *ctx.scope, kind));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const docs::DocumentVersion& v : versions) items.emplace_back(VersionJson(v));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

HttpResponse GetDocument(Services& s, const Context& ctx) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  std::vector<docs::DocumentVersion> history;
  std::vector<docs::Publication> publications;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(history, docs::History(txn, *ctx.scope, *ref));
    if (history.empty()) return NotFound("no such document");
    GOVFLOW_ASSIGN_OR_RETURN(publications, docs::Publications(txn, *ctx.scope, *ref));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "name");
  json::array versions;
  for (const docs::DocumentVersion& v : history) versions.emplace_back(VersionJson(v));
  json::object by_env;
  for (docs::Environment env :
       {docs::Environment::kDev, docs::Environment::kStaging, docs::Environment::kProd}) {
    by_env[docs::EnvironmentName(env)] = json::array();
  }
  for (const docs::Publication& p : publications) {
    by_env[docs::EnvironmentName(p.env)].as_array().emplace_back(
        json::object{{"seq", p.seq},
                     {"version", p.version},
                     {"content_hash", p.content_hash},
                     {"action", p.action},
                     {"actor", p.actor},
                     {"approval_id", p.approval_id},
                     {"at", FormatTime(p.at)}});
  }
  const docs::DocumentVersion& latest = history.back();
  return JsonResponse(200, json::object{{"kind", docs::DocumentKindName(latest.kind)},
                                        {"name", latest.name},
                                        {"latest_version", latest.version},
                                        {"versions", std::move(versions)},
                                        {"publications", std::move(by_env)}})
      .WithHeader("ETag", EntityTag(latest.content_hash));
}

HttpResponse GetDocumentVersion(Services& s, const Context& ctx) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  Result<int64_t> version = ParseVersion(ctx.request.Param("version"));
  if (!version.ok()) return FieldProblem("version", version.status().message());
  std::optional<docs::DocumentVersion> v;
  std::string effective;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(v, docs::GetDocument(txn, *ctx.scope, *ref, *version));
    GOVFLOW_ASSIGN_OR_RETURN(effective, docs::EffectiveYaml(txn, *ctx.scope, *ref, *version));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "version");
  json::object out = VersionJson(*v);
  out["yaml"] = v->source_yaml;
  out["effective_yaml"] = effective;
  return JsonResponse(200, out).WithHeader("ETag", EntityTag(v->content_hash));
}

HttpResponse DiffDocument(Services& s, const Context& ctx) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  int64_t range[2] = {0, 0};
  constexpr std::string_view kParams[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string_view> text = ctx.request.QueryParam(kParams[i]);
    if (!text) return FieldProblem(kParams[i], "required: a version number");
    Result<int64_t> v = ParseVersion(*text);
    if (!v.ok()) return FieldProblem(kParams[i], v.status().message());
    range[i] = *v;
  }
  std::vector<docs::DiffEntry> entries;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(entries, docs::Diff(txn, *ctx.scope, *ref, range[0], range[1]));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  return JsonResponse(
      200, json::object{{"from", range[0]}, {"to", range[1]}, {"text", docs::FormatDiff(entries)}});
}

// A change to a document: checks If-Match against the newest version's content hash inside the
// change's transaction (so nothing changes on a mismatch), then runs `change`.
HttpResponse ChangeDocument(
    Services& s, const Context& ctx,
    const std::function<Result<json::object>(store::Txn&, const docs::DocumentRef&)>& change) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  const std::optional<std::string_view> if_match = ctx.request.Header("If-Match");
  std::optional<json::object> out;
  std::string current_hash;
  bool precondition_failed = false;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    precondition_failed = false;
    GOVFLOW_ASSIGN_OR_RETURN(docs::DocumentVersion latest,
                             docs::GetDocument(txn, *ctx.scope, *ref));
    current_hash = latest.content_hash;
    if (if_match && !IfMatchHolds(*if_match, current_hash)) {
      precondition_failed = true;
      return Status(StatusCode::kAborted, "If-Match does not match");
    }
    GOVFLOW_ASSIGN_OR_RETURN(out, change(txn, *ref));
    GOVFLOW_ASSIGN_OR_RETURN(latest, docs::GetDocument(txn, *ctx.scope, *ref));
    current_hash = latest.content_hash;
    return Status::Ok();
  });
  if (precondition_failed) {
    return Problem(412)
        .Type("urn:govflow:problem:stale-document")
        .Detail(
            "the document changed since you read it (If-Match names another version); "
            "reload it and try again")
        .InvalidParam("If-Match", "the current ETag is " + EntityTag(current_hash))
        .ToResponse()
        .WithHeader("ETag", EntityTag(current_hash));
  }
  if (!status.ok()) {
    return FromStatus(status, status.code() == StatusCode::kNotFound ? "name" : "");
  }
  return JsonResponse(200, *out).WithHeader("ETag", EntityTag(current_hash));
}

HttpResponse DocumentVersionAction(Services& s, const Context& ctx, std::string_view action) {
  Result<int64_t> version = ParseVersion(ctx.request.Param("version"));
  if (!version.ok()) return FieldProblem("version", version.status().message());
  Result<json::object> body = ctx.request.body.empty() ? json::object() : BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> comment = OptionalString(*body, "comment");
  if (!comment.ok()) return FieldProblem("comment", comment.status().message());
  if (action == "reject" && comment->empty()) return FieldProblem("comment", "required: say why");
  std::optional<docs::Environment> env;
  if (action == "publish") {
    Result<std::string> text = OptionalString(*body, "environment");
    if (!text.ok()) return FieldProblem("environment", text.status().message());
    Result<docs::Environment> parsed = docs::ParseEnvironment(text->empty() ? "dev" : *text);
    if (!parsed.ok()) return FieldProblem("environment", parsed.status().message());
    env = *parsed;
  }
  return ChangeDocument(s, ctx,
                        [&](store::Txn& txn, const docs::DocumentRef& ref) -> Result<json::object> {
                          Result<docs::DocumentVersion> v = InvalidArgument("unknown action");
                          if (action == "submit") v = docs::Submit(txn, *ctx.scope, ref, *version);
                          if (action == "approve")
                            v = docs::Approve(txn, *ctx.scope, ref, *version, *comment);
                          if (action == "reject")
                            v = docs::Reject(txn, *ctx.scope, ref, *version, *comment);
                          if (action == "publish")
                            v = docs::Publish(txn, *ctx.scope, ref, *version, *env);
                          if (!v.ok()) return v.status();
                          return VersionJson(*v);
                        });
}

HttpResponse DraftDocumentVersion(Services& s, const Context& ctx) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> yaml = OptionalString(*body, "yaml");
  if (!yaml.ok() || yaml->empty()) return FieldProblem("yaml", "required: the document's YAML");
  Result<std::string> file = OptionalString(*body, "file_name");
  if (!file.ok()) return FieldProblem("file_name", file.status().message());
  const std::string file_name = file->empty() ? ref->name + ".yaml" : *file;
  const std::optional<std::string_view> if_match = ctx.request.Header("If-Match");
  std::optional<docs::DocumentVersion> drafted;
  std::string current_hash;
  bool precondition_failed = false;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    precondition_failed = false;
    current_hash.clear();
    Result<docs::DocumentVersion> latest = docs::GetDocument(txn, *ctx.scope, *ref);
    if (latest.ok()) {
      current_hash = latest->content_hash;
    } else if (latest.status().code() != StatusCode::kNotFound) {
      return latest.status();
    }
    // If-Match on a document that does not exist yet holds only for "*"... which RFC 9110
    // says fails when there is no current representation: so any If-Match fails then.
    if (if_match && (current_hash.empty() || !IfMatchHolds(*if_match, current_hash))) {
      precondition_failed = true;
      return Status(StatusCode::kAborted, "If-Match does not match");
    }
    GOVFLOW_ASSIGN_OR_RETURN(drafted, docs::CreateDraft(txn, *ctx.scope, *ref, *yaml, file_name));
    return Status::Ok();
  });
  if (precondition_failed) {
    HttpResponse r =
        Problem(412)
            .Type("urn:govflow:problem:stale-document")
            .Detail(
                "the document changed since you read it (If-Match names "
                "another version, or the document does not exist)")
            .InvalidParam("If-Match", current_hash.empty()
                                          ? "the document has no version yet"
                                          : "the current ETag is " + EntityTag(current_hash))
            .ToResponse();
    if (!current_hash.empty()) r.headers.Add("ETag", EntityTag(current_hash));
    return r;
  }
  if (!status.ok()) {
    // Diagnostics ("file:line:column: message") are the detail; the field is the YAML.
    return FromStatus(status, status.code() == StatusCode::kInvalidArgument ? "yaml" : "");
  }
  return JsonResponse(201, VersionJson(*drafted))
      .WithHeader("ETag", EntityTag(drafted->content_hash));
}

HttpResponse SubmitDocumentVersion(Services& s, const Context& ctx) {
  return DocumentVersionAction(s, ctx, "submit");
}
HttpResponse ApproveDocumentVersion(Services& s, const Context& ctx) {
  return DocumentVersionAction(s, ctx, "approve");
}
HttpResponse RejectDocumentVersion(Services& s, const Context& ctx) {
  return DocumentVersionAction(s, ctx, "reject");
}
HttpResponse PublishDocumentVersion(Services& s, const Context& ctx) {
  return DocumentVersionAction(s, ctx, "publish");
}

HttpResponse PromoteDocument(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> from = OptionalString(*body, "from");
  if (!from.ok() || from->empty()) return FieldProblem("from", "required: dev or staging");
  Result<docs::Environment> env = docs::ParseEnvironment(*from);
  if (!env.ok()) return FieldProblem("from", env.status().message());
  return ChangeDocument(s, ctx,
                        [&](store::Txn& txn, const docs::DocumentRef& ref) -> Result<json::object> {
                          GOVFLOW_ASSIGN_OR_RETURN(docs::PromotionResult r,
                                                   docs::Promote(txn, *ctx.scope, ref, *env));
                          return json::object{{"promoted", r.promoted},
                                              {"from", docs::EnvironmentName(r.from)},
                                              {"to", docs::EnvironmentName(r.to)},
                                              {"version", VersionJson(r.version)},
                                              {"approval_id", r.approval_id},
                                              {"approval_state", r.approval_state},
                                              {"note", r.note}};
                        });
}

}  // namespace

std::span<const Route> DocumentRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/documents", Access::kTenant,
        governance::perm::kDocumentsRead, "governed documents, the newest version of each"},
       &ListDocuments},
      {{"GET", "/api/v1/tenants/{tenant}/documents/{kind}/{name}", Access::kTenant,
        governance::perm::kDocumentsRead,
        "a document's versions and publications; ETag = the newest version's content hash"},
       &GetDocument},
      {{"GET", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}",
        Access::kTenant, governance::perm::kDocumentsRead, "one version with its YAML"},
       &GetDocumentVersion},
      {{"GET", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/diff", Access::kTenant,
        governance::perm::kDocumentsRead, "the structural diff between two versions (?from=&to=)"},
       &DiffDocument},
      {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions", Access::kTenant,
        governance::perm::kDocumentsEdit,
        "draft a new version from YAML (validated; If-Match honoured)"},
       &DraftDocumentVersion},
      {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/submit",
        Access::kTenant, governance::perm::kDocumentsEdit,
        "submit a draft for review (If-Match honoured)"},
       &SubmitDocumentVersion},
      {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/approve",
        Access::kTenant, governance::perm::kDocumentsApprove,
        "approve a submitted version; not by its author or submitter (If-Match honoured)"},
       &ApproveDocumentVersion},
      {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/reject",
        Access::kTenant, governance::perm::kDocumentsApprove,
        "reject a submitted version, with a comment"},
       &RejectDocumentVersion},
      {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/publish",
        Access::kTenant, governance::perm::kDocumentsPublish, "publish an approved version to dev"},
       &PublishDocumentVersion},
      {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/promote", Access::kTenant,
        governance::perm::kDocumentsPublish,
        "promote to the next environment: opens the approval, publishes once another person "
        "approved"},
       &PromoteDocument},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
