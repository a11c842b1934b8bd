-- The audit trail (issue 4; DESIGN.md invariant 5): per-tenant hash chains of audit events.
-- audit_chain_heads holds each tenant's last seq and hash; appenders update it in the same
-- transaction as the event, which serialises appenders of one tenant (row lock on PostgreSQL,
-- the single writer on SQLite).
CREATE TABLE audit_chain_heads (
  tenant_id   TEXT   NOT NULL PRIMARY KEY,
  last_seq    BIGINT NOT NULL,
  last_hash   TEXT   NOT NULL
);

CREATE TABLE audit_events (
  tenant_id      TEXT   NOT NULL,
  seq            BIGINT NOT NULL,
  at             BIGINT NOT NULL,
  actor          TEXT   NOT NULL,
  action         TEXT   NOT NULL,
  object_type    TEXT   NOT NULL,
  object_id      TEXT   NOT NULL,
  reason         TEXT   NOT NULL,
  before_digest  TEXT   NOT NULL,
  after_digest   TEXT   NOT NULL,
  details_json   TEXT   NOT NULL,
  prev_hash      TEXT   NOT NULL,
  hash           TEXT   NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_events_by_object ON audit_events (tenant_id, object_type, object_id);
CREATE INDEX audit_events_by_time ON audit_events (tenant_id, at);
