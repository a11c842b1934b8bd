-- Tenancy and access (issue 4 item 1; src/governance/access.h, docs/governance/access.md): the
-- partner, users, role grants, custom roles, teams and API tokens.
--
-- Partner-level tables (no tenant_id first in the key), each justified:
--   partner              one row per installation: the partner is above every tenant.
--   users                a person logs in once, by e-mail, and may work for several tenants (the
--                        partner's own staff work for all of them), so a user belongs to no single
--                        tenant. What a user may do on a tenant lives in tenant_role_grants.
--   partner_role_grants  partner roles (partner_admin, partner_operator, partner_auditor) apply
--                        across all tenants; no single tenant owns them.
--   api_tokens           a token is looked up by its hash before anyone knows its tenant, and a
--                        partner token has no tenant (tenant_id NULL). Tenant-scoped token queries
--                        always filter by tenant_id.
-- Built-in roles (partner and tenant) are fixed in code (src/governance/permissions.cc); only
-- custom tenant roles (approver roles such as pricing_manager) are rows of tenant_roles.

CREATE TABLE partner (
  partner_id    TEXT   NOT NULL PRIMARY KEY,
  display_name  TEXT   NOT NULL,
  created_at    BIGINT NOT NULL,
  -- Exactly one partner per installation.
  singleton     BIGINT NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1)
);

CREATE TABLE users (
  user_id          TEXT   NOT NULL PRIMARY KEY,
  email            TEXT   NOT NULL UNIQUE,  -- lower-cased
  display_name     TEXT   NOT NULL,
  password_hash    TEXT   NOT NULL,         -- "$argon2id$..." or "" (no password login)
  disabled         BIGINT NOT NULL DEFAULT 0,
  failed_attempts  BIGINT NOT NULL DEFAULT 0,
  locked_until     BIGINT,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);

CREATE TABLE partner_role_grants (
  user_id     TEXT   NOT NULL REFERENCES users (user_id),
  role        TEXT   NOT NULL,
  granted_by  TEXT   NOT NULL,
  granted_at  BIGINT NOT NULL,
  PRIMARY KEY (user_id, role)
);

-- Custom roles of a tenant, defined as data: a name and a set of permissions.
CREATE TABLE tenant_roles (
  tenant_id    TEXT   NOT NULL REFERENCES tenants (tenant_id),
  role         TEXT   NOT NULL,
  description  TEXT   NOT NULL,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, role)
);

CREATE TABLE tenant_role_permissions (
  tenant_id   TEXT NOT NULL,
  role        TEXT NOT NULL,
  permission  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, role, permission),
  FOREIGN KEY (tenant_id, role) REFERENCES tenant_roles (tenant_id, role)
);

-- Which user holds which role (built-in or custom) on which tenant. Holding any role on a
-- tenant is what makes the tenant visible to the user.
CREATE TABLE tenant_role_grants (
  tenant_id   TEXT   NOT NULL REFERENCES tenants (tenant_id),
  user_id     TEXT   NOT NULL REFERENCES users (user_id),
  role        TEXT   NOT NULL,
  granted_by  TEXT   NOT NULL,
  granted_at  BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, role)
);
CREATE INDEX tenant_role_grants_by_user ON tenant_role_grants (user_id);

CREATE TABLE teams (
  tenant_id     TEXT   NOT NULL REFERENCES tenants (tenant_id),
  team_id       TEXT   NOT NULL,
  display_name  TEXT   NOT NULL,
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, team_id)
);

CREATE TABLE team_members (
  tenant_id  TEXT   NOT NULL,
  team_id    TEXT   NOT NULL,
  user_id    TEXT   NOT NULL REFERENCES users (user_id),
  added_at   BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, team_id, user_id),
  FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, team_id)
);

-- API tokens: only the SHA-256 of the token is stored (the token itself is shown once).
-- tenant_id NULL: a partner token (acts with the user's partner roles on every tenant).
CREATE TABLE api_tokens (
  token_id      TEXT   NOT NULL PRIMARY KEY,
  token_hash    TEXT   NOT NULL UNIQUE,
  tenant_id     TEXT   REFERENCES tenants (tenant_id),
  user_id       TEXT   NOT NULL REFERENCES users (user_id),
  name          TEXT   NOT NULL,
  created_by    TEXT   NOT NULL,
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT,
  revoked_at    BIGINT,
  last_used_at  BIGINT
);
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id, created_at);
