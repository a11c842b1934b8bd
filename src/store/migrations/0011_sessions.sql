-- Console sign-in sessions (src/api/v1/sessions.h): one row per signed-in browser. The cookie
-- holds a random token; only its SHA-256 is stored, so a copy of the store cannot be used to take
-- over a session. Times are BIGINT microseconds.
--
-- A partner-level table (no tenant_id first in its key), like users and partner_role_grants in
-- 0004_access.sql: a session belongs to a person, and one person may hold roles on many tenants
-- (or partner roles over all of them). The session decides WHO is calling, never which tenant is
-- touched: every request names its tenant and is checked by AccessControl::Authorize. Keying it
-- by tenant would either duplicate the session per tenant or pretend it belongs to one.
CREATE TABLE api_sessions (
  token_hash    TEXT   NOT NULL PRIMARY KEY,  -- SHA-256 hex of the cookie's token
  user_id       TEXT   NOT NULL REFERENCES users (user_id),
  csrf_token    TEXT   NOT NULL,              -- sent back in X-CSRF-Token on every change
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,              -- absolute end, whatever the activity
  last_seen_at  BIGINT NOT NULL               -- idle timeout counts from here
);
CREATE INDEX api_sessions_by_user ON api_sessions (user_id);
