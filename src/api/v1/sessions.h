// Console sign-in sessions, stored hashed in the store (table api_sessions, migration 0011): the
// browser holds a random token in an HttpOnly cookie; the store holds its SHA-256, the user, the
// CSRF token the browser must echo on every change, and the session's absolute and idle limits.
// Starting and ending sessions is audited in the partner chain (governance::kPartnerAuditChain),
// in the same transaction; the trail never holds a token or its hash. Thread-safe (every call runs
// its own store transaction).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace govflow::api::v1 {

struct SessionLimits {
  std::chrono::microseconds lifetime = std::chrono::hours(12);  // absolute, from sign-in
  std::chrono::microseconds idle = std::chrono::hours(2);       // since the last request
};

struct NewSession {
  std::string token;  // the cookie value (shown once; only its hash is stored)
  std::string csrf_token;
  TimePoint expires_at;
};

struct SessionInfo {
  std::string user_id;
  std::string email;
  std::string csrf_token;
  TimePoint expires_at;
};

class SessionStore {
 public:
  SessionStore(store::Store& store, const Clock& clock, SessionLimits limits = {});

  // Opens a session for `user_id` (audited as session.start), and drops that user's expired
  // sessions.
  Result<NewSession> Create(const std::string& user_id);
  // The live session of a cookie token: kUnauthenticated when unknown, expired or idle too long
  // (an expired row is deleted). Refreshes last_seen_at (at most once a minute).
  Result<SessionInfo> Lookup(std::string_view token);
  // Ends one session (no error when it is already gone); audited as session.end by `actor`
  // ("user:<id>").
  Status End(std::string_view token, const std::string& actor);
  // Ends every session of a user ("sign out everywhere"; audited as session.end_all by `actor`,
  // "user:<id>" or "token:<id>"); returns how many ended.
  Result<int64_t> EndAllOf(const std::string& user_id, const std::string& actor);

 private:
  store::Store& store_;
  const Clock& clock_;
  SessionLimits limits_;
};

// 32 random bytes as 64 lower-case hex characters (libsodium's CSPRNG).
std::string RandomHexToken();

}  // namespace govflow::api::v1
