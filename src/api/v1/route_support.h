// Internal to src/api/v1: what the resource files (*_routes.cc) share. Each resource file owns
// its handlers and its slice of the route table (XxxRoutes() below); api.cc joins the slices into
// THE route table and runs each route's access check before its handler (see api.h).
// A handler is a plain function of (Services&, const Context&) and returns its response; a
// streaming handler (server-sent events) answers through ctx.responder->Stream() instead, and
// whatever it returns is then ignored.
#pragma once

#include <boost/json.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/branding.h"
#include "api/http_types.h"
#include "api/problem.h"
#include "api/v1/api.h"
#include "api/v1/sessions.h"
#include "base/clock.h"
#include "base/status.h"
#include "governance/access.h"
#include "governance/permissions.h"
#include "store/store.h"

namespace govflow::api::v1 {

class LiveEvents;  // live_events.h: the server-sent event feed

// What a handler receives: the request, and after the route's check the caller and (tenant
// routes) the scope. Handlers never build scopes themselves.
struct Context {
  const HttpRequest& request;
  // The route's Responder; only streaming handlers use it (Stream()).
  const Responder* responder = nullptr;
  const governance::Principal* principal = nullptr;  // nullptr on public routes
  const governance::TenantScope* scope = nullptr;    // tenant routes only
  std::string session_token;  // "" unless authenticated by the session cookie
  std::string csrf_token;     // the session's CSRF token ("" for bearer tokens)
};

// Sign-in attempts per client IP address per window (on top of the account lockout).
class LoginLimiter {
 public:
  LoginLimiter(const Clock& clock, int attempts_per_window, std::chrono::seconds window)
      : clock_(clock), attempts_(attempts_per_window), window_(window) {}
  // Seconds to wait when the client IP is over its budget, else 0 (and counts the try).
  int64_t RetryAfter(std::string_view remote_address);

 private:
  const Clock& clock_;
  const int attempts_;
  const std::chrono::seconds window_;
  std::mutex mu_;
  std::map<std::string, std::deque<TimePoint>, std::less<>> tries_;
};

// The parts handlers share; all thread-safe.
struct Services {
  store::Store& store;
  const Clock& clock;
  const ApiOptions& options;
  governance::AccessControl& access;
  SessionStore& sessions;
  BrandingSource& branding;
  LoginLimiter& login;
  LiveEvents* events = nullptr;  // nullptr until the API has a live event feed
};

using HandlerFn = HttpResponse (*)(Services&, const Context&);

struct Route {
  RouteSpec spec;
  HandlerFn handler;
};

// The slices of the route table, one per resource file, in the table's order.
std::span<const Route> SessionRoutes();      // session_routes.cc
std::span<const Route> ExceptionRoutes();    // exception_routes.cc
std::span<const Route> ApprovalRoutes();     // approval_routes.cc
std::span<const Route> PriceChangeRoutes();  // price_change_routes.cc
std::span<const Route> DocumentRoutes();     // document_routes.cc
std::span<const Route> RunRoutes();          // run_routes.cc
std::span<const Route> AuditRoutes();        // audit_routes.cc
std::span<const Route> AdminRoutes();        // admin_routes.cc: users, teams, roles, ...
std::span<const Route> IntelRoutes();        // intel_routes.cc: dashboards
std::span<const Route> EventRoutes();        // event_routes.cc: server-sent events

// ---- Shared helpers (route_support.cc) ------------------------------------------------------

// A JSON body with Cache-Control: no-store.
HttpResponse JsonResponse(int status, const boost::json::value& v);
// 401 problem+json.
HttpResponse Unauthenticated(std::string detail);
// A Status from governance as problem+json (naming `field` when given). Internal errors are
// logged, not shown.
HttpResponse FromStatus(const Status& status, std::string_view field = {});
// RFC 3339 UTC with milliseconds: "2026-11-28T05:43:36.123Z".
std::string FormatTime(TimePoint t);
boost::json::value OptionalTime(const std::optional<TimePoint>& t);
// "2026-11-28T05:43:36Z" or with fractional seconds ("...36.123Z"), UTC only.
std::optional<TimePoint> ParseTime(std::string_view text);
// The cookie named `name` from the Cookie header(s), "" if none.
std::string CookieValue(const HttpRequest& request, std::string_view name);
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// "127.0.0.1" from "127.0.0.1:53122", "::1" from "[::1]:53122".
std::string ClientIp(std::string_view remote);
// `limit` from the query: `fallback` when absent, an error naming the parameter when not an
// integer within [1, max].
Result<int> ParseLimit(const HttpRequest& request, int fallback, int max);
bool IsChange(std::string_view method);
// The request body as a JSON object, or an error for "(body)".
Result<boost::json::object> BodyObject(const HttpRequest& request);
// An optional string member: "" when absent; an error when present and not a string.
Result<std::string> OptionalString(const boost::json::object& o, std::string_view key);
boost::json::value ParseOr(std::string_view text, boost::json::value fallback);
// The session cookie (HttpOnly, SameSite=Strict, Secure when options.secure_cookies).
std::string SessionCookie(const ApiOptions& options, std::string_view value,
                          int64_t max_age_seconds);

}  // namespace govflow::api::v1
