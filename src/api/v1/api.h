// The /api/v1 HTTP API: authentication (session cookie with CSRF token, or `Authorization:
// Bearer gft_...` API tokens), login rate limiting, and THE route table: every route declares
// here, in one place (api.cc, kRouteTable), who may call it and the permission it needs, and
// that check runs before its handler does; tenant routes get the governance::TenantScope that
// AccessControl::Authorize returned. docs/api.md describes the model, docs/openapi.yaml every
// route (tests/integration/api_v1/openapi_test.cc keeps them in step).
// Thread-safe once AddRoutes has returned (handlers share only thread-safe parts).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "api/router.h"
#include "api/v1/sessions.h"
#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace govflow::api::v1 {

// Who may call a route.
enum class Access {
  kPublic,         // anyone (branding, sign-in)
  kAuthenticated,  // any signed-in person or token; `permission`, when set, is a partner one
  kTenant,         // the pattern has {tenant}; `permission` is checked on that tenant
};

struct RouteSpec {
  std::string_view method;
  std::string_view pattern;  // full path, e.g. "/api/v1/tenants/{tenant}/exceptions"
  Access access;
  std::string_view permission;  // "" for public or authenticated-only routes
  std::string_view summary;
};

// Every /api/v1 route, in the order of the table.
std::span<const RouteSpec> Routes();

// The session cookie's name.
inline constexpr std::string_view kSessionCookie = "session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// Live updates (GET /api/v1/tenants/{tenant}/events, live_events.h).
struct LiveEventsOptions {
  // How often each tenant's feed reads the audit trail for new events.
  std::chrono::milliseconds poll_interval{300};
  // A comment line keeps quiet streams open through proxies; each heartbeat also re-checks the
  // caller's session and access, so an ended session's stream closes within one heartbeat.
  std::chrono::milliseconds heartbeat_interval{15'000};
  // A resume (Last-Event-ID) further back than this many audit events gets a `reset` event.
  int max_replay = 1000;
  // Open streams per user (a browser holds one per tab) and in total; beyond them 429.
  int max_streams_per_user = 6;
  int max_streams = 2000;
  // The reconnect delay the server advises (the SSE `retry:` field).
  std::chrono::milliseconds client_retry{3000};
};

struct ApiOptions {
  // Adds `Secure` to the session cookie (set when the listener serves TLS).
  bool secure_cookies = false;
  // Sign-in attempts (POST /api/v1/session) per client IP address per window, on top of the
  // account lockout of AccessControl (kMaxFailedLogins).
  int login_attempts_per_window = 10;
  std::chrono::seconds login_window{60};
  SessionLimits sessions;
  // The partner's branding file (branding.h); "" = neutral defaults.
  std::filesystem::path branding_file;
  // The audit signer's public key (raw 32 bytes) that POST .../audit/verify checks signed
  // checkpoints with; "" checks none (a chain with checkpoints then reports
  // bad_checkpoint_signature).
  std::string audit_public_key;
  // The master key (32 bytes) that seals connection secrets written through the API
  // (admin_routes.cc); "" = such writes answer 503.
  std::string master_key;
  LiveEventsOptions live;
};

class Api {
 public:
  // `store` and `clock` must outlive the Api (and the server serving it).
  Api(store::Store& store, const Clock& clock, ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Adds every route of Routes() to `router`, each wrapped in its access check. The Api must
  // outlive the router's use.
  Status AddRoutes(Router& router);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::api::v1
