-- Governed documents (issue 4 item 2; DESIGN.md invariant 7): every version of every workflow,
-- policy and connector mapping, and which version each environment runs. The partner's
-- templates are stored under the reserved tenant id '_partner' (governance/documents/document.h
-- explains why); so tenant_id is not a foreign key to tenants here.
--
-- governance_documents: one immutable row per version; only the review columns (state,
-- reviewed_by, review_comment, updated_at) change, and only until the version is approved or
-- rejected. The same content (content_hash) is one version.
CREATE TABLE governance_documents (
  tenant_id       TEXT   NOT NULL,
  kind            TEXT   NOT NULL,
  name            TEXT   NOT NULL,
  version         BIGINT NOT NULL,
  content_hash    TEXT   NOT NULL,
  source_yaml     TEXT   NOT NULL,
  inherits        TEXT   NOT NULL,
  state           TEXT   NOT NULL,
  author          TEXT   NOT NULL,
  submitted_by    TEXT   NOT NULL,
  reviewed_by     TEXT   NOT NULL,
  review_comment  TEXT   NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, kind, name, version),
  UNIQUE (tenant_id, kind, name, content_hash)
);

-- What each environment runs now. runtime_version: for workflows in prod, the
-- workflow_versions.version that holds the same content (what the engine runs).
CREATE TABLE document_environments (
  tenant_id        TEXT   NOT NULL,
  kind             TEXT   NOT NULL,
  name             TEXT   NOT NULL,
  env              TEXT   NOT NULL,
  version          BIGINT NOT NULL,
  content_hash     TEXT   NOT NULL,
  runtime_version  BIGINT,
  published_by     TEXT   NOT NULL,
  published_at     BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, kind, name, env)
);

-- Every publication, promotion and rollback, per environment, in order (append-only).
CREATE TABLE document_publications (
  tenant_id     TEXT   NOT NULL,
  kind          TEXT   NOT NULL,
  name          TEXT   NOT NULL,
  env           TEXT   NOT NULL,
  seq           BIGINT NOT NULL,
  version       BIGINT NOT NULL,
  content_hash  TEXT   NOT NULL,
  action        TEXT   NOT NULL,
  actor         TEXT   NOT NULL,
  approval_id   TEXT   NOT NULL,
  at            BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, kind, name, env, seq)
);
