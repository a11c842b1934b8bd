// The /api/v1 route table and the check every route goes through. The handlers live in the
// resource files (*_routes.cc, route_support.h); this file joins their slices of the table and
// authenticates, checks CSRF and the route's permission before any handler runs.
#include "api/v1/api.h"

#include <vector>

#include "api/v1/live_events.h"
#include "api/v1/route_support.h"
#include "governance/access.h"

namespace govflow::api::v1 {

using governance::Principal;
using governance::TenantScope;

class Api::Impl {
 public:
  Impl(store::Store& store, const Clock& clock, ApiOptions options)
      : options_(std::move(options)),
        access_(store, clock),
        sessions_(store, clock, options_.sessions),
        branding_(options_.branding_file),
        login_(clock, options_.login_attempts_per_window, options_.login_window),
        events_(store, access_, clock, options_.sessions, options_.live),
        services_{store, clock, options_, access_, sessions_, branding_, login_, &events_} {}
  // Live streams end first: their feed reads the store and checks access.
  ~Impl() { events_.Stop(); }

  // Authenticates, checks CSRF and the route's permission, then runs the handler.
  HttpResponse Run(const Route& route, const HttpRequest& request, const Responder& responder);

 private:
  struct Caller {
    Principal principal;
    std::string session_token;
    std::string csrf_token;
  };
  // kUnauthenticated when the request carries no valid credentials.
  Result<Caller> Authenticate(const HttpRequest& request);

  ApiOptions options_;
  governance::AccessControl access_;
  SessionStore sessions_;
  BrandingSource branding_;
  LoginLimiter login_;
  LiveEvents events_;
  Services services_;
};

namespace {

// THE route table: the resource files' slices, in order. Each route states who may call it and
// the permission it needs; Run checks both before the handler runs. Add a route to its
// resource's slice (and to docs/openapi.yaml) and the integration tests call it without
// credentials (401) and as another tenant's user (403/404).
const std::vector<Route>& RouteTable() {
  static const std::vector<Route> table = [] {
    std::vector<Route> all;
    for (auto slice :
         {SessionRoutes, ExceptionRoutes, ApprovalRoutes, PriceChangeRoutes, DocumentRoutes,
          RunRoutes, AuditRoutes, AdminRoutes, IntelRoutes, EventRoutes}) {
      for (const Route& r : slice()) all.push_back(r);
    }
    return all;
  }();
  return table;
}

}  // namespace

std::span<const RouteSpec> Routes() {
  static const std::vector<RouteSpec> specs = [] {
    std::vector<RouteSpec> out;
    for (const Route& r : RouteTable()) out.push_back(r.spec);
    return out;
  }();
  return specs;
}

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

HttpResponse Api::Impl::Run(const Route& route, const HttpRequest& request,
                            const Responder& responder) {
  const RouteSpec& spec = route.spec;
  Context ctx{request, &responder};
  if (spec.access == Access::kPublic) return route.handler(services_, ctx);

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
    return route.handler(services_, ctx);
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
  return route.handler(services_, ctx);
}

Api::Api(store::Store& store, const Clock& clock, ApiOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}

Api::~Api() = default;

Status Api::AddRoutes(Router& router) {
  for (const Route& route : RouteTable()) {
    const RouteSpec& spec = route.spec;
    const bool has_tenant = spec.pattern.find("{tenant}") != std::string_view::npos;
    if ((spec.access == Access::kTenant) != has_tenant ||
        (spec.access == Access::kTenant && spec.permission.empty()) ||
        (spec.access == Access::kPublic && !spec.permission.empty())) {
      return Internal("route table: " + std::string(spec.method) + " " + std::string(spec.pattern) +
                      " declares its access inconsistently");
    }
    Impl* impl = impl_.get();
    const Route* entry = &route;
    GOVFLOW_RETURN_IF_ERROR(router.Add(spec.method, spec.pattern,
                                       [impl, entry](const HttpRequest& request, Responder r) {
                                         // A streaming handler has answered through r already;
                                         // Respond is then a no-op.
                                         r.Respond(impl->Run(*entry, request, r));
                                       }));
  }
  return Status::Ok();
}

}  // namespace govflow::api::v1
