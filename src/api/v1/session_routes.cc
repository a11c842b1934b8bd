// Public and signed-in routes: branding, sign-in and sign-out, and the caller (/me).
#include <map>

#include "api/v1/route_support.h"
#include "governance/permissions.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

HttpResponse GetBranding(Services& s, const Context&) {
  // Short caching: the console picks up a changed brand on the next load.
  return HttpResponse::Json(200, s.branding.Json()).WithHeader("Cache-Control", "no-cache");
}

HttpResponse CreateSession(Services& s, const Context& ctx) {
  if (int64_t wait = s.login.RetryAfter(ctx.request.remote_address); wait > 0) {
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
      s.access.AuthenticatePassword(email->as_string(), password->as_string());
  if (!principal.ok()) {
    if (principal.status().code() == StatusCode::kUnauthenticated) {
      return Unauthenticated("wrong email or password, or the account is locked or disabled");
    }
    return FromStatus(principal.status());
  }
  Result<NewSession> session = s.sessions.Create(principal->user_id);
  if (!session.ok()) return FromStatus(session.status());
  json::object user{{"id", principal->user_id},
                    {"email", principal->email},
                    {"display_name", principal->display_name}};
  HttpResponse response = JsonResponse(
      200, json::object{{"user", std::move(user)}, {"csrf_token", session->csrf_token}});
  const auto lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(s.options.sessions.lifetime);
  response.headers.Add("Set-Cookie", SessionCookie(s.options, session->token, lifetime.count()));
  return response;
}

HttpResponse DeleteSession(Services& s, const Context& ctx) {
  if (ctx.session_token.empty()) {
    return FieldProblem("Authorization",
                        "API tokens have no session to end; revoke the token instead", 400);
  }
  if (Status ended = s.sessions.End(ctx.session_token, ctx.principal->actor.id); !ended.ok())
    return FromStatus(ended);
  HttpResponse response = HttpResponse::Empty(204);
  response.headers.Add("Set-Cookie", SessionCookie(s.options, "", 0));
  return response;
}

HttpResponse DeleteAllSessions(Services& s, const Context& ctx) {
  Result<int64_t> ended = s.sessions.EndAllOf(ctx.principal->user_id, ctx.principal->actor.id);
  if (!ended.ok()) return FromStatus(ended.status());
  HttpResponse response = HttpResponse::Empty(204);
  if (!ctx.session_token.empty())
    response.headers.Add("Set-Cookie", SessionCookie(s.options, "", 0));
  return response;
}

HttpResponse GetMe(Services& s, const Context& ctx) {
  const Principal& p = *ctx.principal;
  json::array partner_roles;
  std::map<std::string, std::string> names;
  Status read = s.store.Transact([&](store::Txn& txn) -> Status {
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
  Result<std::vector<TenantId>> visible = s.access.VisibleTenants(p);
  if (!visible.ok()) return FromStatus(visible.status());
  json::array tenants;
  for (const TenantId& t : *visible) {
    Result<TenantScope> scope = s.access.Authorize(p, t, governance::perm::kTenantsRead);
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

}  // namespace

std::span<const Route> SessionRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/branding", Access::kPublic, "", "the partner's branding"}, &GetBranding},
      {{"POST", "/api/v1/session", Access::kPublic, "", "sign in with email and password"},
       &CreateSession},
      {{"DELETE", "/api/v1/session", Access::kAuthenticated, "", "sign out (this session)"},
       &DeleteSession},
      {{"DELETE", "/api/v1/sessions", Access::kAuthenticated, "",
        "sign out everywhere (every session of the user)"},
       &DeleteAllSessions},
      {{"GET", "/api/v1/me", Access::kAuthenticated, "",
        "the caller, its CSRF token, and its tenants with roles and permissions"},
       &GetMe},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
