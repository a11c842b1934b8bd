#include "api/v1/api.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <ctime>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>

#include "api/branding.h"
#include "api/problem.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/audit.h"
#include "governance/audit_verify.h"
#include "governance/documents/lifecycle.h"
#include "governance/exceptions/cases.h"
#include "governance/permissions.h"
#include "governance/price_changes.h"
#include "workflow/runtime/exceptions.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

// What a handler receives: the request, and after the route's check the caller and (tenant
// routes) the scope. Handlers never build scopes themselves.
struct Context {
  const HttpRequest& request;
  const Principal* principal = nullptr;  // nullptr on public routes
  const TenantScope* scope = nullptr;    // tenant routes only
  std::string session_token;             // "" unless authenticated by the session cookie
  std::string csrf_token;                // the session's CSRF token ("" for bearer tokens)
};

using Handler = HttpResponse (Api::Impl::*)(const Context&);

}  // namespace

class Api::Impl {
 public:
  Impl(store::Store& store, const Clock& clock, ApiOptions options)
      : store_(store),
        clock_(clock),
        options_(std::move(options)),
        access_(store, clock),
        sessions_(store, clock, options_.sessions),
        branding_(options_.branding_file) {}

  HttpResponse GetBranding(const Context& ctx);
  HttpResponse CreateSession(const Context& ctx);
  HttpResponse DeleteSession(const Context& ctx);
  HttpResponse DeleteAllSessions(const Context& ctx);
  HttpResponse GetMe(const Context& ctx);
  HttpResponse ListExceptions(const Context& ctx);
  HttpResponse ListApprovals(const Context& ctx);
  HttpResponse GetException(const Context& ctx);
  HttpResponse GetExceptionPayload(const Context& ctx);
  HttpResponse EditAndRetryException(const Context& ctx);
  HttpResponse ExceptionActions(const Context& ctx);
  HttpResponse ListExceptionGroups(const Context& ctx);
  HttpResponse GetApproval(const Context& ctx);
  HttpResponse DecideApproval(const Context& ctx);
  HttpResponse ListPriceChanges(const Context& ctx);
  HttpResponse RequestPriceChange(const Context& ctx);
  HttpResponse ListDocuments(const Context& ctx);
  HttpResponse GetDocument(const Context& ctx);
  HttpResponse GetDocumentVersion(const Context& ctx);
  HttpResponse DiffDocument(const Context& ctx);
  HttpResponse DraftDocumentVersion(const Context& ctx);
  HttpResponse SubmitDocumentVersion(const Context& ctx);
  HttpResponse ApproveDocumentVersion(const Context& ctx);
  HttpResponse RejectDocumentVersion(const Context& ctx);
  HttpResponse PublishDocumentVersion(const Context& ctx);
  HttpResponse PromoteDocument(const Context& ctx);
  HttpResponse ListRuns(const Context& ctx);
  HttpResponse GetRun(const Context& ctx);
  HttpResponse ListAudit(const Context& ctx);
  HttpResponse VerifyAudit(const Context& ctx);

  // Authenticates, checks CSRF and the route's permission, then runs the handler.
  HttpResponse Run(const RouteSpec& spec, Handler handler, const HttpRequest& request);

 private:
  struct Caller {
    Principal principal;
    std::string session_token;
    std::string csrf_token;
  };
  // kUnauthenticated when the request carries no valid credentials.
  Result<Caller> Authenticate(const HttpRequest& request);
  // Seconds to wait when the client IP is over its sign-in budget, else 0 (and counts the try).
  int64_t LoginRetryAfter(std::string_view remote_address);
  std::string SessionCookie(std::string_view value, int64_t max_age_seconds) const;
  // Governed documents: If-Match, then `change` in one transaction (see api.cc).
  HttpResponse ChangeDocument(const Context& ctx,
                              const std::function<Result<boost::json::object>(
                                  store::Txn&, const governance::documents::DocumentRef&)>& change);
  HttpResponse DocumentVersionAction(const Context& ctx, std::string_view action);

  store::Store& store_;
  const Clock& clock_;
  ApiOptions options_;
  governance::AccessControl access_;
  SessionStore sessions_;
  BrandingSource branding_;
  std::mutex login_mu_;
  std::map<std::string, std::deque<TimePoint>, std::less<>> login_attempts_;
};

namespace {

struct RouteEntry {
  RouteSpec spec;
  Handler handler;
};

// THE route table. Each route states who may call it and the permission it needs; Run checks
// both before the handler runs. Add a route here (and to docs/openapi.yaml) and the
// integration tests call it without credentials (401) and as another tenant's user (403/404).
const RouteEntry kRouteTable[] = {
    {{"GET", "/api/v1/branding", Access::kPublic, "", "the partner's branding"},
     &Api::Impl::GetBranding},
    {{"POST", "/api/v1/session", Access::kPublic, "", "sign in with email and password"},
     &Api::Impl::CreateSession},
    {{"DELETE", "/api/v1/session", Access::kAuthenticated, "", "sign out (this session)"},
     &Api::Impl::DeleteSession},
    {{"DELETE", "/api/v1/sessions", Access::kAuthenticated, "",
      "sign out everywhere (every session of the user)"},
     &Api::Impl::DeleteAllSessions},
    {{"GET", "/api/v1/me", Access::kAuthenticated, "",
      "the caller, its CSRF token, and its tenants with roles and permissions"},
     &Api::Impl::GetMe},
    {{"GET", "/api/v1/tenants/{tenant}/exceptions", Access::kTenant,
      governance::perm::kExceptionsRead, "the exceptions inbox, one page"},
     &Api::Impl::ListExceptions},
    {{"GET", "/api/v1/tenants/{tenant}/approvals", Access::kTenant,
      governance::perm::kApprovalsRead, "the approvals inbox, one page"},
     &Api::Impl::ListApprovals},
    {{"GET", "/api/v1/tenants/{tenant}/exceptions/{id}", Access::kTenant,
      governance::perm::kExceptionsRead,
      "one exception case with its payload, the run's history and the payload edits"},
     &Api::Impl::GetException},
    {{"GET", "/api/v1/tenants/{tenant}/exceptions/{id}/payload", Access::kTenant,
      governance::perm::kExceptionsRead, "the editable payload of a case ({input, steps})"},
     &Api::Impl::GetExceptionPayload},
    {{"POST", "/api/v1/tenants/{tenant}/exceptions/{id}/edit-and-retry", Access::kTenant,
      governance::perm::kExceptionsAct,
      "apply a JSON Patch to the case's payload and retry its run (the diff is kept)"},
     &Api::Impl::EditAndRetryException},
    {{"POST", "/api/v1/tenants/{tenant}/exceptions/actions", Access::kTenant,
      governance::perm::kExceptionsAct,
      "acknowledge, assign, retry, resolve, skip or cancel cases (by ids or root-cause group)"},
     &Api::Impl::ExceptionActions},
    {{"GET", "/api/v1/tenants/{tenant}/exception-groups", Access::kTenant,
      governance::perm::kExceptionsRead, "exception cases grouped by root cause"},
     &Api::Impl::ListExceptionGroups},
    {{"GET", "/api/v1/tenants/{tenant}/approvals/{id}", Access::kTenant,
      governance::perm::kApprovalsRead, "one approval task with its request and decisions"},
     &Api::Impl::GetApproval},
    {{"POST", "/api/v1/tenants/{tenant}/approvals/{id}/decision", Access::kTenant,
      governance::perm::kApprovalsDecide, "approve or reject an approval task, with a comment"},
     &Api::Impl::DecideApproval},
    {{"GET", "/api/v1/tenants/{tenant}/price-changes", Access::kTenant,
      governance::perm::kApprovalsRead, "price changes, newest first"},
     &Api::Impl::ListPriceChanges},
    {{"POST", "/api/v1/tenants/{tenant}/price-changes", Access::kTenant,
      governance::perm::kApprovalsRequest,
      "request a price change: released at once, or held for approval by the tenant's matrix"},
     &Api::Impl::RequestPriceChange},
    {{"GET", "/api/v1/tenants/{tenant}/documents", Access::kTenant,
      governance::perm::kDocumentsRead, "governed documents, the newest version of each"},
     &Api::Impl::ListDocuments},
    {{"GET", "/api/v1/tenants/{tenant}/documents/{kind}/{name}", Access::kTenant,
      governance::perm::kDocumentsRead,
      "a document's versions and publications; ETag = the newest version's content hash"},
     &Api::Impl::GetDocument},
    {{"GET", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}", Access::kTenant,
      governance::perm::kDocumentsRead, "one version with its YAML"},
     &Api::Impl::GetDocumentVersion},
    {{"GET", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/diff", Access::kTenant,
      governance::perm::kDocumentsRead, "the structural diff between two versions (?from=&to=)"},
     &Api::Impl::DiffDocument},
    {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions", Access::kTenant,
      governance::perm::kDocumentsEdit,
      "draft a new version from YAML (validated; If-Match honoured)"},
     &Api::Impl::DraftDocumentVersion},
    {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/submit",
      Access::kTenant, governance::perm::kDocumentsEdit,
      "submit a draft for review (If-Match honoured)"},
     &Api::Impl::SubmitDocumentVersion},
    {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/approve",
      Access::kTenant, governance::perm::kDocumentsApprove,
      "approve a submitted version; not by its author or submitter (If-Match honoured)"},
     &Api::Impl::ApproveDocumentVersion},
    {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/reject",
      Access::kTenant, governance::perm::kDocumentsApprove,
      "reject a submitted version, with a comment"},
     &Api::Impl::RejectDocumentVersion},
    {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/versions/{version}/publish",
      Access::kTenant, governance::perm::kDocumentsPublish, "publish an approved version to dev"},
     &Api::Impl::PublishDocumentVersion},
    {{"POST", "/api/v1/tenants/{tenant}/documents/{kind}/{name}/promote", Access::kTenant,
      governance::perm::kDocumentsPublish,
      "promote to the next environment: opens the approval, publishes once another person "
      "approved"},
     &Api::Impl::PromoteDocument},
    {{"GET", "/api/v1/tenants/{tenant}/runs", Access::kTenant, governance::perm::kRunsRead,
      "runs, oldest first"},
     &Api::Impl::ListRuns},
    {{"GET", "/api/v1/tenants/{tenant}/runs/{id}", Access::kTenant, governance::perm::kRunsRead,
      "one run with its input, context and history"},
     &Api::Impl::GetRun},
    {{"GET", "/api/v1/tenants/{tenant}/audit", Access::kTenant, governance::perm::kAuditRead,
      "the tenant's audit trail, oldest first, filtered"},
     &Api::Impl::ListAudit},
    {{"POST", "/api/v1/tenants/{tenant}/audit/verify", Access::kTenant,
      governance::perm::kAuditRead, "verify the tenant's audit chain as stored"},
     &Api::Impl::VerifyAudit},
};

const std::vector<RouteSpec>& SpecList() {
  static const std::vector<RouteSpec> specs = [] {
    std::vector<RouteSpec> out;
    for (const RouteEntry& e : kRouteTable) out.push_back(e.spec);
    return out;
  }();
  return specs;
}

HttpResponse JsonResponse(int status, const json::value& v) {
  return HttpResponse::Json(status, json::serialize(v)).WithHeader("Cache-Control", "no-store");
}

HttpResponse Unauthenticated(std::string detail) {
  return Problem(401)
      .Type("urn:govflow:problem:unauthenticated")
      .Detail(std::move(detail))
      .ToResponse()
      .WithHeader("Cache-Control", "no-store");
}

// A Status from governance as problem+json. Internal errors are logged, not shown.
HttpResponse FromStatus(const Status& status, std::string_view field = {}) {
  int code = 500;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      code = 400;
      break;
    case StatusCode::kUnauthenticated:
      code = 401;
      break;
    case StatusCode::kPermissionDenied:
      code = 403;
      break;
    case StatusCode::kNotFound:
      code = 404;
      break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      code = 409;
      break;
    case StatusCode::kResourceExhausted:
      code = 429;
      break;
    case StatusCode::kUnavailable:
      code = 503;
      break;
    default:
      break;
  }
  if (code == 500) {
    std::cerr << "govflow api: " << status.message() << "\n";
    return Problem(500).Detail("internal error").ToResponse();
  }
  Problem p(code);
  p.Detail(status.message());
  if (!field.empty()) p.InvalidParam(std::string(field), status.message());
  return p.ToResponse();
}

std::string FormatTime(TimePoint t) {
  const auto us = t.time_since_epoch().count();
  std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>((us / 1000) % 1000));
  return std::string(buf) + frac;
}

json::value OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json::value(FormatTime(*t)) : json::value(nullptr);
}

// The cookie named `name` from the Cookie header(s), "" if none.
std::string CookieValue(const HttpRequest& request, std::string_view name) {
  for (std::string_view header : request.headers.GetAll("Cookie")) {
    while (!header.empty()) {
      size_t end = header.find(';');
      std::string_view pair = header.substr(0, end);
      header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
    }
  }
  return {};
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ClientIp(std::string_view remote) {
  if (remote.starts_with('[')) {
    const size_t close = remote.find(']');
    return std::string(remote.substr(1, close == std::string_view::npos ? remote.npos : close - 1));
  }
  const size_t colon = remote.rfind(':');
  return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

// `limit` from the query: `fallback` when absent, an error naming the parameter when not an
// integer within [1, max].
Result<int> ParseLimit(const HttpRequest& request, int fallback, int max) {
  std::optional<std::string_view> text = request.QueryParam("limit");
  if (!text) return fallback;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < 1 || value > max) {
    return InvalidArgument("limit must be an integer from 1 to " + std::to_string(max));
  }
  return value;
}

bool IsChange(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// The request body as a JSON object, or a problem naming "(body)".
Result<json::object> BodyObject(const HttpRequest& request) {
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return InvalidArgument("must be a JSON object");
  return std::move(body.as_object());
}

// An optional string member: "" when absent; an error when present and not a string.
Result<std::string> OptionalString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument("must be a string");
  return std::string(v->as_string());
}

json::value ParseOr(std::string_view text, json::value fallback) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? fallback : v;
}

json::object OutcomeJson(const governance::exceptions::BulkOutcome& outcome) {
  json::array done;
  for (const ExceptionCaseId& id : outcome.done) done.emplace_back(id.value());
  json::array skipped;
  for (const auto& [id, status] : outcome.skipped) {
    skipped.emplace_back(json::object{{"id", id.value()}, {"reason", status.message()}});
  }
  return json::object{{"done", std::move(done)}, {"skipped", std::move(skipped)}};
}

json::object ApprovalJson(const governance::ApprovalTask& t) {
  json::array roles;
  for (const std::string& r : t.request.required_roles) roles.emplace_back(r);
  json::array decisions;
  for (const governance::ApprovalDecision& d : t.decisions) {
    decisions.emplace_back(json::object{{"actor", d.actor},
                                        {"approve", d.approve},
                                        {"comment", d.comment},
                                        {"at", FormatTime(d.at)},
                                        {"on_behalf_of", d.on_behalf_of}});
  }
  return json::object{
      {"id", t.id},
      {"subject_type", t.request.subject_type},
      {"subject_id", t.request.subject_id},
      {"title", t.request.title},
      {"state", governance::ApprovalStateName(t.state)},
      {"required_roles", std::move(roles)},
      {"quorum", t.request.quorum},
      {"approvals", t.approvals()},
      {"requested_by", t.request.requested_by},
      {"rule", t.request.rule},
      {"changes",
       ParseOr(t.request.changes_json.empty() ? "{}" : t.request.changes_json, json::object())},
      {"expires_at", OptionalTime(t.request.expires_at)},
      {"decisions", std::move(decisions)},
      {"created_at", FormatTime(t.created_at)},
      {"updated_at", FormatTime(t.updated_at)},
  };
}

}  // namespace

std::span<const RouteSpec> Routes() {
  return SpecList();
}

// ---- The check every route goes through ---------------------------------------------------------

Result<Api::Impl::Caller> Api::Impl::Authenticate(const HttpRequest& request) {
  Caller caller;
  if (std::optional<std::string_view> auth = request.Header("Authorization")) {
    constexpr std::string_view kBearer = "Bearer ";
    if (!auth->starts_with(kBearer)) {
      return Status(StatusCode::kUnauthenticated, "Authorization must be \"Bearer gft_...\"");
    }
    GOVFLOW_ASSIGN_OR_RETURN(caller.principal,
                             access_.AuthenticateToken(auth->substr(kBearer.size())));
    return caller;
  }
  const std::string token = CookieValue(request, kSessionCookie);
  if (token.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "sign in first (no session cookie or bearer token)");
  }
  GOVFLOW_ASSIGN_OR_RETURN(SessionInfo session, sessions_.Lookup(token));
  Result<Principal> principal = access_.PrincipalForEmail(session.email);
  if (!principal.ok() || principal->user_id != session.user_id) {
    return Status(StatusCode::kUnauthenticated, "the session's user cannot sign in any more");
  }
  caller.principal = std::move(*principal);
  caller.session_token = token;
  caller.csrf_token = session.csrf_token;
  return caller;
}

HttpResponse Api::Impl::Run(const RouteSpec& spec, Handler handler, const HttpRequest& request) {
  Context ctx{request};
  if (spec.access == Access::kPublic) return (this->*handler)(ctx);

  Result<Caller> caller = Authenticate(request);
  if (!caller.ok()) {
    if (caller.status().code() == StatusCode::kUnauthenticated) {
      return Unauthenticated(caller.status().message());
    }
    return FromStatus(caller.status());
  }
  // A browser sends the cookie by itself; a change must also prove it came from our page.
  // Bearer tokens are never sent implicitly, so they need no CSRF token.
  if (!caller->session_token.empty() && IsChange(request.method)) {
    std::optional<std::string_view> sent = request.Header(kCsrfHeader);
    if (!sent || !ConstantTimeEquals(*sent, caller->csrf_token)) {
      return Problem(403)
          .Type("urn:govflow:problem:csrf")
          .Detail("changes made with a session cookie need the session's CSRF token")
          .InvalidParam(std::string(kCsrfHeader), sent ? "does not match" : "missing")
          .ToResponse();
    }
  }
  ctx.principal = &caller->principal;
  ctx.session_token = caller->session_token;
  ctx.csrf_token = caller->csrf_token;
  if (spec.access == Access::kAuthenticated) {
    if (!spec.permission.empty()) {
      Result<governance::PartnerScope> partner =
          access_.AuthorizePartner(caller->principal, spec.permission);
      if (!partner.ok()) return FromStatus(partner.status());
    }
    return (this->*handler)(ctx);
  }
  const std::string_view tenant = request.Param("tenant");
  Result<TenantScope> scope =
      access_.Authorize(caller->principal, TenantId(std::string(tenant)), spec.permission);
  if (!scope.ok()) {
    if (scope.status().code() == StatusCode::kNotFound) {
      // Whether the tenant exists is nobody's business who may not see it.
      return Problem(404).Detail("no such tenant").InvalidParam("tenant", "unknown").ToResponse();
    }
    return FromStatus(scope.status());
  }
  ctx.scope = &*scope;
  return (this->*handler)(ctx);
}

// ---- Public ----------------------------------------------------------------------------------

HttpResponse Api::Impl::GetBranding(const Context&) {
  // Short caching: the console picks up a changed brand on the next load.
  return HttpResponse::Json(200, branding_.Json()).WithHeader("Cache-Control", "no-cache");
}

int64_t Api::Impl::LoginRetryAfter(std::string_view remote_address) {
  const std::string ip = ClientIp(remote_address);
  const TimePoint now = clock_.Now();
  std::lock_guard lock(login_mu_);
  std::deque<TimePoint>& tries = login_attempts_[ip];
  while (!tries.empty() && tries.front() + options_.login_window <= now) tries.pop_front();
  if (static_cast<int>(tries.size()) >= options_.login_attempts_per_window) {
    const auto wait = tries.front() + options_.login_window - now;
    return std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
  }
  tries.push_back(now);
  // Forget idle addresses now and then so the map stays small.
  if (login_attempts_.size() > 10'000) {
    std::erase_if(login_attempts_, [&](const auto& kv) {
      return kv.second.empty() || kv.second.back() + options_.login_window <= now;
    });
  }
  return 0;
}

std::string Api::Impl::SessionCookie(std::string_view value, int64_t max_age_seconds) const {
  std::string cookie =
      std::string(kSessionCookie) + "=" + std::string(value) +
      "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age_seconds);
  if (options_.secure_cookies) cookie += "; Secure";
  return cookie;
}

HttpResponse Api::Impl::CreateSession(const Context& ctx) {
  if (int64_t wait = LoginRetryAfter(ctx.request.remote_address); wait > 0) {
    return Problem(429)
        .Type("urn:govflow:problem:too-many-sign-ins")
        .Detail("too many sign-in attempts from this address; try again later")
        .ToResponse()
        .WithHeader("Retry-After", std::to_string(wait));
  }
  // JSON only: a cross-site HTML form cannot send it without a CORS preflight, so another site
  // cannot sign a visitor in to an account of its choosing (login CSRF).
  const std::string_view type = ctx.request.Header("Content-Type").value_or("");
  if (!type.starts_with("application/json")) {
    return FieldProblem("Content-Type", "must be application/json", 415);
  }
  boost::system::error_code ec;
  json::value body = json::parse(ctx.request.body, ec);
  if (ec || !body.is_object()) return FieldProblem("(body)", "must be a JSON object");
  const json::object& o = body.as_object();
  const json::value* email = o.if_contains("email");
  const json::value* password = o.if_contains("password");
  if (email == nullptr || !email->is_string() || email->as_string().empty()) {
    return FieldProblem("email", "required: a string");
  }
  if (password == nullptr || !password->is_string() || password->as_string().empty()) {
    return FieldProblem("password", "required: a string");
  }
  Result<Principal> principal =
      access_.AuthenticatePassword(email->as_string(), password->as_string());
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kUnauthenticated) {
      return Unauthenticated("wrong email or password, or the account is locked or disabled");
    }
    return FromStatus(principal.status());
  }
  Result<NewSession> session = sessions_.Create(principal->user_id);
  if (!session.ok()) return FromStatus(session.status());
  json::object user{{"id", principal->user_id},
                    {"email", principal->email},
                    {"display_name", principal->display_name}};
  HttpResponse response = JsonResponse(
      200, json::object{{"user", std::move(user)}, {"csrf_token", session->csrf_token}});
  const auto lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(options_.sessions.lifetime);
  response.headers.Add("Set-Cookie", SessionCookie(session->token, lifetime.count()));
  return response;
}

// ---- Authenticated ---------------------------------------------------------------------------

HttpResponse Api::Impl::DeleteSession(const Context& ctx) {
  if (ctx.session_token.empty()) {
    return FieldProblem("Authorization",
                        "API tokens have no session to end; revoke the token instead", 400);
  }
  if (Status s = sessions_.End(ctx.session_token, ctx.principal->actor.id); !s.ok())
    return FromStatus(s);
  HttpResponse response = HttpResponse::Empty(204);
  response.headers.Add("Set-Cookie", SessionCookie("", 0));
  return response;
}

HttpResponse Api::Impl::DeleteAllSessions(const Context& ctx) {
  Result<int64_t> ended = sessions_.EndAllOf(ctx.principal->user_id, ctx.principal->actor.id);
  if (!ended.ok()) return FromStatus(ended.status());
  HttpResponse response = HttpResponse::Empty(204);
  if (!ctx.session_token.empty()) response.headers.Add("Set-Cookie", SessionCookie("", 0));
  return response;
}

HttpResponse Api::Impl::GetMe(const Context& ctx) {
  const Principal& p = *ctx.principal;
  json::array partner_roles;
  std::map<std::string, std::string> names;
  Status read = store_.Transact([&](store::Txn& txn) -> Status {
    partner_roles.clear();
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows roles,
        txn.sql().Query("SELECT role FROM partner_role_grants WHERE user_id = ? ORDER BY role",
                        {p.user_id}));
    // A tenant token acts only on its tenant, never with its user's partner roles.
    if (p.token_tenant.value().empty()) {
      for (const auto& row : roles) partner_roles.emplace_back(row.Text(0));
    }
    GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows tenants,
                             txn.sql().Query("SELECT tenant_id, display_name FROM tenants"));
    for (const auto& row : tenants) names[row.Text(0)] = row.Text(1);
    return Status::Ok();
  });
  if (!read.ok()) return FromStatus(read);
  Result<std::vector<TenantId>> visible = access_.VisibleTenants(p);
  if (!visible.ok()) return FromStatus(visible.status());
  json::array tenants;
  for (const TenantId& t : *visible) {
    Result<TenantScope> scope = access_.Authorize(p, t, governance::perm::kTenantsRead);
    if (!scope.ok()) continue;
    json::array roles;
    for (const std::string& r : scope->roles()) roles.emplace_back(r);
    json::array perms;
    for (std::string_view perm : governance::AllPermissions()) {
      if (scope->Has(perm)) perms.emplace_back(perm);
    }
    tenants.emplace_back(json::object{{"id", t.value()},
                                      {"display_name", names[t.value()]},
                                      {"roles", std::move(roles)},
                                      {"permissions", std::move(perms)}});
  }
  json::object user{{"id", p.user_id}, {"email", p.email}, {"display_name", p.display_name}};
  return JsonResponse(200, json::object{{"user", std::move(user)},
                                        {"csrf_token", ctx.csrf_token},
                                        {"partner_roles", std::move(partner_roles)},
                                        {"tenants", std::move(tenants)}});
}

// ---- Tenant routes -----------------------------------------------------------------------------

HttpResponse Api::Impl::ListExceptions(const Context& ctx) {
  namespace ex = governance::exceptions;
  ex::CaseFilter filter;
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  filter.limit = *limit;
  if (auto cursor = ctx.request.QueryParam("cursor")) filter.cursor = std::string(*cursor);
  if (auto team = ctx.request.QueryParam("team")) filter.team = std::string(*team);
  if (auto severity = ctx.request.QueryParam("severity")) {
    if (*severity != "P1" && *severity != "P2" && *severity != "P3" && *severity != "P4") {
      return FieldProblem("severity", "one of P1, P2, P3, P4");
    }
    filter.severity = std::string(*severity);
  }
  if (auto state = ctx.request.QueryParam("state")) {
    if (*state == "unresolved") {
      filter.unresolved_only = true;
    } else {
      filter.state = ex::ParseCaseState(*state);
      if (!filter.state) {
        return FieldProblem("state", "one of open, acknowledged, retrying, resolved, unresolved");
      }
    }
  }
  if (auto sort = ctx.request.QueryParam("sort")) {
    if (*sort == "sla_risk")
      filter.sort = ex::CaseSort::kSlaRisk;
    else if (*sort == "business_impact")
      filter.sort = ex::CaseSort::kBusinessImpact;
    else if (*sort == "oldest")
      filter.sort = ex::CaseSort::kOldest;
    else
      return FieldProblem("sort", "one of sla_risk, business_impact, oldest");
  }
  Result<ex::CasePage> page = ex::ListCases(store_, *ctx.scope, filter);
  if (!page.ok()) {
    const bool bad_cursor = page.status().code() == StatusCode::kInvalidArgument;
    return FromStatus(page.status(), bad_cursor ? "cursor" : "");
  }
  json::array items;
  for (const ex::CaseView& c : page->cases) {
    items.emplace_back(json::object{
        {"id", c.exception.id.value()},
        {"run_id", c.exception.run.value()},
        {"step", c.exception.step},
        {"error_class", c.exception.error_class},
        {"message", c.exception.message},
        {"state", ex::CaseStateName(c.state)},
        {"process", c.process},
        {"category", c.category},
        {"root_cause_key", c.root_cause_key},
        {"severity", c.severity},
        {"owner_team", c.owner_team},
        {"assignee", c.assignee},
        {"sla_risk", ex::SlaRiskName(c.sla_risk)},
        {"next_due_at", OptionalTime(c.next_due_at)},
        {"order_value_minor", c.order_value_minor},
        {"currency", c.currency},
        {"created_at", FormatTime(c.exception.created_at)},
        {"updated_at", FormatTime(c.exception.updated_at)},
    });
  }
  return JsonResponse(
      200, json::object{{"items", std::move(items)}, {"next_cursor", page->next_cursor}});
}

HttpResponse Api::Impl::ListApprovals(const Context& ctx) {
  governance::ApprovalFilter filter;
  Result<int> limit = ParseLimit(ctx.request, 50, 500);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  filter.limit = *limit;
  if (auto state = ctx.request.QueryParam("state")) {
    for (auto s : {governance::ApprovalState::kPending, governance::ApprovalState::kApproved,
                   governance::ApprovalState::kRejected, governance::ApprovalState::kExpired,
                   governance::ApprovalState::kCancelled}) {
      if (governance::ApprovalStateName(s) == *state) filter.state = s;
    }
    if (!filter.state) {
      return FieldProblem("state", "one of pending, approved, rejected, expired, cancelled");
    }
  }
  if (auto type = ctx.request.QueryParam("subject_type")) filter.subject_type = std::string(*type);
  if (auto mine = ctx.request.QueryParam("decidable_by_me")) {
    if (*mine != "true" && *mine != "false")
      return FieldProblem("decidable_by_me", "true or false");
    filter.decidable_by_me = *mine == "true";
  }
  const std::string cursor(ctx.request.QueryParam("cursor").value_or(""));
  std::optional<governance::ApprovalPage> page;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(page, governance::ListApprovals(txn, *ctx.scope, filter, cursor));
    return Status::Ok();
  });
  if (!status.ok()) {
    return FromStatus(status, status.code() == StatusCode::kInvalidArgument ? "cursor" : "");
  }
  json::array items;
  for (const governance::ApprovalTask& t : page->tasks) items.emplace_back(ApprovalJson(t));
  return JsonResponse(
      200, json::object{{"items", std::move(items)}, {"next_cursor", page->next_cursor}});
}

// ---- Exceptions --------------------------------------------------------------------------------

namespace gx = governance::exceptions;
namespace rt = workflow::runtime;

HttpResponse Api::Impl::GetException(const Context& ctx) {
  const ExceptionCaseId id{std::string(ctx.request.Param("id"))};
  Result<gx::CaseView> view = gx::GetCase(store_, *ctx.scope, id);
  if (!view.ok()) return FromStatus(view.status(), "id");
  Result<rt::ExceptionDetail> detail = rt::ShowException(store_, ctx.scope->tenant(), id);
  if (!detail.ok()) return FromStatus(detail.status(), "id");
  Result<std::vector<gx::PayloadEdit>> edits = gx::ListPayloadEdits(store_, *ctx.scope, id);
  if (!edits.ok()) return FromStatus(edits.status(), "id");
  json::value out = ParseOr(gx::CaseViewToJson(*view, /*with_payload=*/true), json::object());
  if (!out.is_object()) return Problem(500).Detail("internal error").ToResponse();
  json::array history;
  for (const store::RunEvent& e : detail->history) {
    history.emplace_back(json::object{{"seq", e.seq},
                                      {"kind", e.kind},
                                      {"step", e.step},
                                      {"attempt", e.attempt},
                                      {"payload", ParseOr(e.payload_json, json::object())},
                                      {"at", FormatTime(e.at)}});
  }
  json::array edit_list;
  for (const gx::PayloadEdit& e : *edits) {
    edit_list.emplace_back(json::object{{"seq", e.seq},
                                        {"actor", e.actor},
                                        {"diff", ParseOr(e.diff_json, json::array())},
                                        {"before_digest", e.before_digest},
                                        {"after_digest", e.after_digest},
                                        {"at", FormatTime(e.at)}});
  }
  out.as_object()["history"] = std::move(history);
  out.as_object()["edits"] = std::move(edit_list);
  return JsonResponse(200, out);
}

HttpResponse Api::Impl::GetExceptionPayload(const Context& ctx) {
  const ExceptionCaseId id{std::string(ctx.request.Param("id"))};
  Result<std::string> payload = rt::EditablePayload(store_, *ctx.scope, id);
  if (!payload.ok()) return FromStatus(payload.status(), "id");
  return JsonResponse(200, ParseOr(*payload, json::object()));
}

HttpResponse Api::Impl::EditAndRetryException(const Context& ctx) {
  const ExceptionCaseId id{std::string(ctx.request.Param("id"))};
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  const json::value* patch = body->if_contains("patch");
  if (patch == nullptr || !patch->is_array() || patch->as_array().empty()) {
    return FieldProblem("patch", "required: a non-empty JSON Patch (RFC 6902) array");
  }
  Result<std::string> comment = OptionalString(*body, "comment");
  if (!comment.ok()) return FieldProblem("comment", comment.status().message());
  Result<gx::BulkOutcome> outcome =
      rt::EditAndRetryException(store_, *ctx.scope, id, json::serialize(*patch), *comment);
  if (!outcome.ok()) {
    const StatusCode code = outcome.status().code();
    return FromStatus(outcome.status(), code == StatusCode::kInvalidArgument ? "patch"
                                        : code == StatusCode::kNotFound      ? "id"
                                                                             : "");
  }
  return JsonResponse(200, OutcomeJson(*outcome));
}

HttpResponse Api::Impl::ExceptionActions(const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> action = OptionalString(*body, "action");
  if (!action.ok() || action->empty()) {
    return FieldProblem("action",
                        "required: one of acknowledge, assign, retry, resolve, skip, cancel");
  }
  static constexpr std::string_view kTextFields[4] = {"comment", "reason", "team", "assignee"};
  std::string text[4];
  for (int i = 0; i < 4; ++i) {
    Result<std::string> v = OptionalString(*body, kTextFields[i]);
    if (!v.ok()) return FieldProblem(kTextFields[i], v.status().message());
    text[i] = std::move(*v);
  }
  // "comment" and "reason" are one note; each action takes whichever was given.
  const std::string& comment = text[0].empty() ? text[1] : text[0];
  const std::string& reason = text[1].empty() ? text[0] : text[1];
  const json::value* ids_value = body->if_contains("ids");
  Result<std::string> group = OptionalString(*body, "group");
  if (!group.ok()) return FieldProblem("group", group.status().message());
  if ((ids_value != nullptr) == !group->empty()) {
    return FieldProblem("ids", "give either \"ids\" (an array of case ids) or \"group\"");
  }
  static constexpr std::string_view kActions[] = {"acknowledge", "assign", "retry",
                                                  "resolve",     "skip",   "cancel"};
  if (std::find(std::begin(kActions), std::end(kActions), *action) == std::end(kActions)) {
    return FieldProblem("action", "one of acknowledge, assign, retry, resolve, skip, cancel");
  }
  if (*action == "assign" && text[2].empty() && text[3].empty()) {
    return FieldProblem("team", "assign needs \"team\" and/or \"assignee\"");
  }
  if ((*action == "resolve" || *action == "skip" || *action == "cancel") && reason.empty()) {
    return FieldProblem("reason", *action + " needs a reason");
  }
  std::vector<ExceptionCaseId> ids;
  if (ids_value != nullptr) {
    if (!ids_value->is_array() || ids_value->as_array().empty()) {
      return FieldProblem("ids", "must be a non-empty array of case ids");
    }
    for (const json::value& v : ids_value->as_array()) {
      if (!v.is_string() || v.as_string().empty()) {
        return FieldProblem("ids", "must be a non-empty array of case ids");
      }
      ids.emplace_back(std::string(v.as_string()));
    }
  } else {
    Result<std::vector<ExceptionCaseId>> members =
        gx::GroupMembers(store_, *ctx.scope, *group, /*unresolved_only=*/true);
    if (!members.ok()) return FromStatus(members.status(), "group");
    if (members->empty()) return FieldProblem("group", "no unresolved cases in this group", 404);
    ids = std::move(*members);
  }
  Result<gx::BulkOutcome> outcome = gx::BulkOutcome{};
  if (*action == "acknowledge") {
    outcome = gx::Acknowledge(store_, *ctx.scope, ids, comment);
  } else if (*action == "assign") {
    outcome = gx::Assign(store_, *ctx.scope, ids, text[2], text[3], comment);
  } else if (*action == "retry") {
    outcome = rt::RetryExceptions(store_, *ctx.scope, ids, comment);
  } else if (*action == "resolve") {
    outcome = gx::Resolve(store_, *ctx.scope, ids, reason);
  } else if (*action == "skip") {
    outcome = rt::SkipExceptionSteps(store_, *ctx.scope, ids, reason);
  } else {
    outcome = rt::CancelExceptionRuns(store_, *ctx.scope, ids, reason);
  }
  if (!outcome.ok()) {
    return FromStatus(outcome.status(),
                      outcome.status().code() == StatusCode::kNotFound ? "ids" : "");
  }
  return JsonResponse(200, OutcomeJson(*outcome));
}

HttpResponse Api::Impl::ListExceptionGroups(const Context& ctx) {
  gx::GroupFilter filter;
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  filter.limit = *limit;
  if (auto team = ctx.request.QueryParam("team")) filter.team = std::string(*team);
  if (auto unresolved = ctx.request.QueryParam("unresolved_only")) {
    if (*unresolved != "true" && *unresolved != "false") {
      return FieldProblem("unresolved_only", "true or false");
    }
    filter.unresolved_only = *unresolved == "true";
  }
  Result<std::vector<gx::GroupView>> groups = gx::ListGroups(store_, *ctx.scope, filter);
  if (!groups.ok()) return FromStatus(groups.status());
  json::array items;
  for (const gx::GroupView& g : *groups) {
    items.emplace_back(ParseOr(gx::GroupViewToJson(g), json::object()));
  }
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

// ---- Approvals ---------------------------------------------------------------------------------

HttpResponse Api::Impl::GetApproval(const Context& ctx) {
  const std::string id(ctx.request.Param("id"));
  std::optional<governance::ApprovalTask> task;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(task, governance::GetApproval(txn, *ctx.scope, id));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "id");
  return JsonResponse(200, ApprovalJson(*task));
}

HttpResponse Api::Impl::DecideApproval(const Context& ctx) {
  const std::string id(ctx.request.Param("id"));
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  const json::value* approve = body->if_contains("approve");
  if (approve == nullptr || !approve->is_bool()) return FieldProblem("approve", "true or false");
  Result<std::string> comment = OptionalString(*body, "comment");
  if (!comment.ok()) return FieldProblem("comment", comment.status().message());
  if (comment->empty()) return FieldProblem("comment", "required: say why");
  std::optional<governance::ApprovalTask> task;
  bool own_request = false;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(governance::ApprovalTask current,
                             governance::GetApproval(txn, *ctx.scope, id));
    own_request = current.request.requested_by == "user:" + ctx.principal->user_id;
    GOVFLOW_ASSIGN_OR_RETURN(
        task, governance::DecideApproval(txn, *ctx.scope, id, approve->as_bool(), *comment));
    // A decided price change is released (or rejected) in the decision's own transaction, so
    // the console shows the outcome at once rather than after the serve loop's next sweep.
    if (task->request.subject_type == "price_change") {
      GOVFLOW_RETURN_IF_ERROR(
          governance::ApplyPriceApprovalOutcome(txn, ctx.scope->tenant(), *task).status());
    }
    return Status::Ok();
  });
  if (!status.ok()) {
    if (own_request && status.code() == StatusCode::kPermissionDenied) {
      return Problem(403)
          .Type("urn:govflow:problem:own-request")
          .Detail("you cannot decide your own request: another person must approve or reject it")
          .InvalidParam("id", "requested by you")
          .ToResponse();
    }
    return FromStatus(status, status.code() == StatusCode::kNotFound ? "id" : "");
  }
  return JsonResponse(200, ApprovalJson(*task));
}

// ---- Price changes -----------------------------------------------------------------------------

namespace {

json::object PriceChangeJson(const governance::PriceChange& c) {
  json::array tasks;
  for (const std::string& t : c.approval_ids) tasks.emplace_back(t);
  json::object o{
      {"id", c.id},
      {"state", governance::PriceChangeStateName(c.state)},
      {"connection", c.connection.value()},
      {"sku", c.sku},
      {"variant_id", c.variant_id},
      {"currency", c.currency},
      {"old_price", c.old_price},
      {"new_price", c.new_price},
      {"percent", c.percent()},
      {"compare_at_price", c.compare_at_price ? json::value(*c.compare_at_price) : nullptr},
      {"reason", c.reason},
      {"requested_by", c.requested_by},
      {"rule", c.rule},
      {"approval_ids", std::move(tasks)},
      {"outcome", c.outcome},
      {"created_at", FormatTime(c.created_at)},
      {"updated_at", FormatTime(c.updated_at)},
      {"released_at", OptionalTime(c.released_at)},
      {"published_at", OptionalTime(c.published_at)},
  };
  return o;
}

// The field a governance validation message names ("... field 'new_price': ..."), else "".
std::string NamedField(std::string_view message) {
  constexpr std::string_view kField = "field '";
  const size_t at = message.find(kField);
  if (at == std::string_view::npos) return {};
  const size_t start = at + kField.size();
  const size_t end = message.find('\'', start);
  return end == std::string_view::npos ? std::string()
                                       : std::string(message.substr(start, end - start));
}

}  // namespace

HttpResponse Api::Impl::ListPriceChanges(const Context& ctx) {
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  std::optional<governance::PriceChangeState> state;
  if (auto text = ctx.request.QueryParam("state")) {
    for (auto s :
         {governance::PriceChangeState::kPendingApproval, governance::PriceChangeState::kReleased,
          governance::PriceChangeState::kPublished, governance::PriceChangeState::kRejected,
          governance::PriceChangeState::kFailed}) {
      if (governance::PriceChangeStateName(s) == *text) state = s;
    }
    if (!state) {
      return FieldProblem("state",
                          "one of pending_approval, released, published, rejected, failed");
    }
  }
  std::vector<governance::PriceChange> changes;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(changes, governance::ListPriceChanges(txn, *ctx.scope, state, *limit));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const governance::PriceChange& c : changes) items.emplace_back(PriceChangeJson(c));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

HttpResponse Api::Impl::RequestPriceChange(const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  governance::PriceChangeRequest request;
  struct Text {
    std::string_view name;
    std::string* into;
    bool required;
  };
  std::string connection;
  for (const Text& f :
       {Text{"connection", &connection, true}, Text{"sku", &request.sku, true},
        Text{"old_price", &request.old_price, true}, Text{"new_price", &request.new_price, true},
        Text{"currency", &request.currency, true}, Text{"reason", &request.reason, true}}) {
    Result<std::string> v = OptionalString(*body, f.name);
    if (!v.ok()) return FieldProblem(f.name, v.status().message());
    if (f.required && v->empty()) return FieldProblem(f.name, "required: a string");
    *f.into = std::move(*v);
  }
  request.connection = ConnectionId(connection);
  if (const json::value* variant = body->if_contains("variant_id")) {
    if (!variant->is_int64() && !variant->is_uint64()) {
      return FieldProblem("variant_id", "must be the storefront's variant id (an integer)");
    }
    request.variant_id = variant->to_number<int64_t>();
  }
  if (const json::value* compare = body->if_contains("compare_at_price")) {
    if (!compare->is_string()) return FieldProblem("compare_at_price", "must be a string");
    request.compare_at_price = std::string(compare->as_string());
  }
  std::optional<governance::PriceChange> change;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(governance::PriceApprovalPolicy policy,
                             governance::TenantPriceApprovalPolicy(txn, ctx.scope->tenant()));
    GOVFLOW_ASSIGN_OR_RETURN(change,
                             governance::RequestPriceChange(txn, *ctx.scope, request, policy));
    return Status::Ok();
  });
  if (!status.ok()) {
    std::string field = NamedField(status.message());
    if (field.empty() && status.code() == StatusCode::kNotFound) field = "connection";
    return FromStatus(status, field);
  }
  return JsonResponse(201, PriceChangeJson(*change));
}

// ---- Governed documents ------------------------------------------------------------------------

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

}  // namespace

HttpResponse Api::Impl::ListDocuments(const Context& ctx) {
  std::optional<docs::DocumentKind> kind;
  if (auto text = ctx.request.QueryParam("kind")) {
    Result<docs::DocumentKind> parsed = docs::ParseDocumentKind(*text);
    if (!parsed.ok()) return FieldProblem("kind", parsed.status().message());
    kind = *parsed;
  }
  std::vector<docs::DocumentVersion> versions;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(versions, docs::ListDocuments(txn, *ctx.scope, kind));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const docs::DocumentVersion& v : versions) items.emplace_back(VersionJson(v));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

HttpResponse Api::Impl::GetDocument(const Context& ctx) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  std::vector<docs::DocumentVersion> history;
  std::vector<docs::Publication> publications;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
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

HttpResponse Api::Impl::GetDocumentVersion(const Context& ctx) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  Result<int64_t> version = ParseVersion(ctx.request.Param("version"));
  if (!version.ok()) return FieldProblem("version", version.status().message());
  std::optional<docs::DocumentVersion> v;
  std::string effective;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
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

HttpResponse Api::Impl::DiffDocument(const Context& ctx) {
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
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(entries, docs::Diff(txn, *ctx.scope, *ref, range[0], range[1]));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  return JsonResponse(
      200, json::object{{"from", range[0]}, {"to", range[1]}, {"text", docs::FormatDiff(entries)}});
}

// A change to a document: checks If-Match against the newest version's content hash inside the
// change's transaction (so nothing changes on a mismatch), then runs `change`.
HttpResponse Api::Impl::ChangeDocument(
    const Context& ctx,
    const std::function<Result<json::object>(store::Txn&, const docs::DocumentRef&)>& change) {
  std::string bad;
  Result<docs::DocumentRef> ref = RefOf(ctx.request, &bad);
  if (!ref.ok()) return FieldProblem(bad, ref.status().message());
  const std::optional<std::string_view> if_match = ctx.request.Header("If-Match");
  std::optional<json::object> out;
  std::string current_hash;
  bool precondition_failed = false;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
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

HttpResponse Api::Impl::DocumentVersionAction(const Context& ctx, std::string_view action) {
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
  return ChangeDocument(ctx,
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

HttpResponse Api::Impl::DraftDocumentVersion(const Context& ctx) {
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
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
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

HttpResponse Api::Impl::SubmitDocumentVersion(const Context& ctx) {
  return DocumentVersionAction(ctx, "submit");
}
HttpResponse Api::Impl::ApproveDocumentVersion(const Context& ctx) {
  return DocumentVersionAction(ctx, "approve");
}
HttpResponse Api::Impl::RejectDocumentVersion(const Context& ctx) {
  return DocumentVersionAction(ctx, "reject");
}
HttpResponse Api::Impl::PublishDocumentVersion(const Context& ctx) {
  return DocumentVersionAction(ctx, "publish");
}

HttpResponse Api::Impl::PromoteDocument(const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  Result<std::string> from = OptionalString(*body, "from");
  if (!from.ok() || from->empty()) return FieldProblem("from", "required: dev or staging");
  Result<docs::Environment> env = docs::ParseEnvironment(*from);
  if (!env.ok()) return FieldProblem("from", env.status().message());
  return ChangeDocument(ctx,
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

// ---- Runs and the audit trail ------------------------------------------------------------------

namespace {

json::object RunJson(const store::Run& r) {
  return json::object{{"id", r.id.value()},
                      {"workflow", r.workflow_name},
                      {"workflow_version", r.workflow_version},
                      {"state", store::RunStateName(r.state)},
                      {"current_step", r.current_step},
                      {"next_wake_at", OptionalTime(r.next_wake_at)},
                      {"created_at", FormatTime(r.created_at)},
                      {"updated_at", FormatTime(r.updated_at)}};
}

// "2026-11-28T05:43:36Z" or with fractional seconds ("...36.123Z"), UTC only.
std::optional<TimePoint> ParseTime(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(static_cast<size_t>(consumed));
  int64_t micros = 0;
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 6) micros = micros * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (int i = std::min(digits, 6); i < 6; ++i) micros *= 10;
  }
  if (rest != "Z") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t secs = timegm(&tm);
  if (secs == static_cast<std::time_t>(-1)) return std::nullopt;
  return TimePoint(std::chrono::microseconds(static_cast<int64_t>(secs) * 1'000'000 + micros));
}

}  // namespace

HttpResponse Api::Impl::ListRuns(const Context& ctx) {
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  std::optional<store::RunState> state;
  if (auto text = ctx.request.QueryParam("state")) {
    for (auto s :
         {store::RunState::kPending, store::RunState::kRunning, store::RunState::kWaiting,
          store::RunState::kSucceeded, store::RunState::kFailed, store::RunState::kCancelled}) {
      if (store::RunStateName(s) == *text) state = s;
    }
    if (!state) {
      return FieldProblem("state",
                          "one of pending, running, waiting, succeeded, failed, cancelled");
    }
  }
  std::vector<store::Run> runs;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(runs, txn.ListRuns(ctx.scope->tenant(), state, *limit));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const store::Run& r : runs) items.emplace_back(RunJson(r));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

HttpResponse Api::Impl::GetRun(const Context& ctx) {
  const RunId id{std::string(ctx.request.Param("id"))};
  std::optional<store::Run> run;
  std::vector<store::RunEvent> events;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(ctx.scope->tenant(), id));
    GOVFLOW_ASSIGN_OR_RETURN(events, txn.ListRunEvents(ctx.scope->tenant(), id));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "id");
  json::object out = RunJson(*run);
  out["input"] = ParseOr(run->input_json, json::object());
  out["context"] = ParseOr(run->context_json, json::object());
  json::array history;
  for (const store::RunEvent& e : events) {
    history.emplace_back(json::object{{"seq", e.seq},
                                      {"kind", e.kind},
                                      {"step", e.step},
                                      {"attempt", e.attempt},
                                      {"payload", ParseOr(e.payload_json, json::object())},
                                      {"at", FormatTime(e.at)}});
  }
  out["history"] = std::move(history);
  return JsonResponse(200, out);
}

HttpResponse Api::Impl::ListAudit(const Context& ctx) {
  governance::AuditQuery query;
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  query.limit = *limit;
  if (auto v = ctx.request.QueryParam("object_type")) query.object_type = std::string(*v);
  if (auto v = ctx.request.QueryParam("object_id")) query.object_id = std::string(*v);
  if (auto v = ctx.request.QueryParam("actor")) query.actor = std::string(*v);
  if (auto v = ctx.request.QueryParam("action")) query.action_prefix = std::string(*v);
  for (std::string_view name : {std::string_view("from"), std::string_view("to")}) {
    if (auto v = ctx.request.QueryParam(name)) {
      std::optional<TimePoint> t = ParseTime(*v);
      if (!t) return FieldProblem(name, "an RFC 3339 UTC time (2026-11-28T05:43:36Z)");
      (name == "from" ? query.from : query.to) = *t;
    }
  }
  if (auto cursor = ctx.request.QueryParam("cursor"); cursor && !cursor->empty()) {
    int64_t after = 0;
    auto [ptr, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), after);
    if (ec != std::errc() || ptr != cursor->data() + cursor->size() || after < 0) {
      return FieldProblem("cursor", "next_cursor of the previous page");
    }
    query.after_seq = after;
  }
  std::vector<governance::AuditEvent> events;
  Status status = store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(events, governance::ListAuditEvents(txn, *ctx.scope, query));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const governance::AuditEvent& e : events) {
    items.emplace_back(json::object{
        {"seq", e.seq},
        {"at", FormatTime(e.at)},
        {"actor", e.record.actor},
        {"action", e.record.action},
        {"object_type", e.record.object_type},
        {"object_id", e.record.object_id},
        {"reason", e.record.reason},
        {"before_digest", e.record.before_digest},
        {"after_digest", e.record.after_digest},
        {"details",
         ParseOr(e.record.details_json.empty() ? "{}" : e.record.details_json, json::object())},
        {"hash", e.hash},
    });
  }
  const std::string next = static_cast<int>(events.size()) == query.limit && !events.empty()
                               ? std::to_string(events.back().seq)
                               : std::string();
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

HttpResponse Api::Impl::VerifyAudit(const Context& ctx) {
  Result<governance::AuditVerification> report =
      governance::VerifyAuditChain(store_, ctx.scope->tenant(), options_.audit_public_key);
  if (!report.ok()) return FromStatus(report.status());
  return JsonResponse(200, json::object{{"ok", report->ok()},
                                        {"fault", governance::AuditFaultName(report->fault)},
                                        {"seq", report->seq},
                                        {"message", report->message},
                                        {"first_seq", report->first_seq},
                                        {"last_seq", report->last_seq},
                                        {"events", report->events},
                                        {"checkpoints", report->checkpoints},
                                        {"summary", report->Summary()}});
}

// ---- Api ---------------------------------------------------------------------------------------

Api::Api(store::Store& store, const Clock& clock, ApiOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}

Api::~Api() = default;

Status Api::AddRoutes(Router& router) {
  for (const RouteEntry& entry : kRouteTable) {
    const RouteSpec& spec = entry.spec;
    const bool has_tenant = spec.pattern.find("{tenant}") != std::string_view::npos;
    if ((spec.access == Access::kTenant) != has_tenant ||
        (spec.access == Access::kTenant && spec.permission.empty()) ||
        (spec.access == Access::kPublic && !spec.permission.empty())) {
      return Internal("route table: " + std::string(spec.method) + " " + std::string(spec.pattern) +
                      " declares its access inconsistently");
    }
    Impl* impl = impl_.get();
    const Handler handler = entry.handler;
    GOVFLOW_RETURN_IF_ERROR(router.Add(
        spec.method, spec.pattern, [impl, spec, handler](const HttpRequest& request, Responder r) {
          r.Respond(impl->Run(spec, handler, request));
        }));
  }
  return Status::Ok();
}

}  // namespace govflow::api::v1
