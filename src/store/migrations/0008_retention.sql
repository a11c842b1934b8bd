-- Retention (issue 4 item 7): legal holds, the log of retention job runs, and each tenant's
-- retention rules until governed documents hold them (docs/governance/retention.md).

-- A legal hold stops the retention job for a tenant (data_class '*') or for one data class of it.
-- Released holds are kept (released_at set) so that the record of who held what, when and why
-- stays readable next to the audit trail. At most one active hold per (tenant, class).
CREATE TABLE retention_legal_holds (
  tenant_id       TEXT   NOT NULL REFERENCES tenants (tenant_id),
  hold_id         TEXT   NOT NULL,
  data_class      TEXT   NOT NULL,
  reason          TEXT   NOT NULL,
  placed_by       TEXT   NOT NULL,
  placed_at       BIGINT NOT NULL,
  released_by     TEXT,
  released_at     BIGINT,
  release_reason  TEXT,
  PRIMARY KEY (tenant_id, hold_id)
);
CREATE UNIQUE INDEX retention_legal_holds_active ON retention_legal_holds (tenant_id, data_class)
  WHERE released_at IS NULL;

-- One row per tenant per retention job run: what it did (report_json holds counts per data class,
-- never data), so `govflow retention status` can say when each tenant was last swept.
CREATE TABLE retention_runs (
  tenant_id    TEXT    NOT NULL REFERENCES tenants (tenant_id),
  sweep_id     TEXT    NOT NULL,
  started_at   BIGINT  NOT NULL,
  finished_at  BIGINT  NOT NULL,
  dry_run      BIGINT  NOT NULL,
  outcome      TEXT    NOT NULL,
  rules_hash   TEXT    NOT NULL,
  report_json  TEXT    NOT NULL,
  PRIMARY KEY (tenant_id, sweep_id)
);
CREATE INDEX retention_runs_by_time ON retention_runs (tenant_id, started_at);

-- A tenant's current retention rules (the YAML of a RetentionRules policy) when they are not
-- taken from a published governance document.
CREATE TABLE retention_rules (
  tenant_id     TEXT   NOT NULL PRIMARY KEY REFERENCES tenants (tenant_id),
  file_name     TEXT   NOT NULL,
  source_yaml   TEXT   NOT NULL,
  content_hash  TEXT   NOT NULL,
  set_by        TEXT   NOT NULL,
  set_at        BIGINT NOT NULL
);
