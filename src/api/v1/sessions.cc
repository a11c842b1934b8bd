#include "api/v1/sessions.h"

#include <sodium.h>

#include "base/canonical_json.h"
#include "governance/access.h"
#include "governance/audit.h"

namespace govflow::api::v1 {
namespace {

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

constexpr int64_t kLastSeenGranularityUs = 60'000'000;

// Session events go to the partner chain: a session belongs to a person, not to one tenant.
Status Audit(store::Txn& txn, const std::string& actor, std::string_view action,
             const std::string& user_id, std::string details_json) {
  governance::AuditRecord rec{.actor = actor,
                              .action = std::string(action),
                              .object_type = "user",
                              .object_id = user_id,
                              .details_json = std::move(details_json)};
  return governance::AppendAudit(txn, TenantId(std::string(governance::kPartnerAuditChain)), rec)
      .status();
}

}  // namespace

std::string RandomHexToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(hex);
}

SessionStore::SessionStore(store::Store& store, const Clock& clock, SessionLimits limits)
    : store_(store), clock_(clock), limits_(limits) {}

Result<NewSession> SessionStore::Create(const std::string& user_id) {
  NewSession session;
  session.token = RandomHexToken();
  session.csrf_token = RandomHexToken();
  const TimePoint now = clock_.Now();
  session.expires_at = now + limits_.lifetime;
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("DELETE FROM api_sessions WHERE user_id = ? AND (expires_at <= ? OR "
                     "last_seen_at <= ?)",
                     {user_id, Micros(now), Micros(now) - limits_.idle.count()})
            .status());
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("INSERT INTO api_sessions (token_hash, user_id, csrf_token, created_at, "
                     "expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                     {Sha256Hex(session.token), user_id, session.csrf_token, Micros(now),
                      Micros(session.expires_at), Micros(now)})
            .status());
    return Audit(txn, "user:" + user_id, "session.start", user_id,
                 "{\"expires_at_us\":" + std::to_string(Micros(session.expires_at)) + "}");
  }));
  return session;
}

Result<SessionInfo> SessionStore::Lookup(std::string_view token) {
  if (token.empty()) return Status(StatusCode::kUnauthenticated, "no session");
  const std::string hash = Sha256Hex(token);
  const int64_t now = Micros(clock_.Now());
  SessionInfo info;
  bool live = false;
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    live = false;
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("SELECT s.user_id, u.email, s.csrf_token, s.expires_at, s.last_seen_at "
                        "FROM api_sessions s JOIN users u ON u.user_id = s.user_id "
                        "WHERE s.token_hash = ?",
                        {hash}));
    if (rows.empty()) return Status::Ok();
    const int64_t expires_at = rows[0].Int(3);
    const int64_t last_seen = rows[0].Int(4);
    if (expires_at <= now || last_seen + limits_.idle.count() <= now) {
      return txn.sql().Execute("DELETE FROM api_sessions WHERE token_hash = ?", {hash}).status();
    }
    info.user_id = rows[0].Text(0);
    info.email = rows[0].Text(1);
    info.csrf_token = rows[0].Text(2);
    info.expires_at = TimePoint(std::chrono::microseconds(expires_at));
    live = true;
    if (now - last_seen >= kLastSeenGranularityUs) {
      return txn.sql()
          .Execute("UPDATE api_sessions SET last_seen_at = ? WHERE token_hash = ?", {now, hash})
          .status();
    }
    return Status::Ok();
  }));
  if (!live) return Status(StatusCode::kUnauthenticated, "no such session, or it has expired");
  return info;
}

Status SessionStore::End(std::string_view token, const std::string& actor) {
  const std::string hash = Sha256Hex(token);
  return store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("SELECT user_id FROM api_sessions WHERE token_hash = ?", {hash}));
    if (rows.empty()) return Status::Ok();
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql().Execute("DELETE FROM api_sessions WHERE token_hash = ?", {hash}).status());
    return Audit(txn, actor, "session.end", rows[0].Text(0), "");
  });
}

Result<int64_t> SessionStore::EndAllOf(const std::string& user_id, const std::string& actor) {
  int64_t ended = 0;
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        ended, txn.sql().Execute("DELETE FROM api_sessions WHERE user_id = ?", {user_id}));
    return Audit(txn, actor, "session.end_all", user_id,
                 "{\"ended\":" + std::to_string(ended) + "}");
  }));
  return ended;
}

}  // namespace govflow::api::v1
