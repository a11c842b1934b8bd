-- Exception governance (issue 4 item 4): what govflow knows about an exception case beyond the
-- engine's first form (exception_cases, whose state CHECK SQLite cannot alter, so the governance
-- side lives in companion tables keyed like it).
--
-- exception_governance: one row per case, written by governance::OnExceptionOpened in the
-- transaction that opens the case. The case's effective state is derived on read:
--   exception_cases.state resolved -> resolved; retrying -> retrying;
--   open with acknowledged_at set -> acknowledged; else open.
-- order_value_minor is the order value at risk in minor units of `currency` (cents); customer_key
-- identifies the customer ("" when the payload names none) so groups can count distinct customers.
-- escalation_json is the escalation chain in force when the case opened (a snapshot: a policy
-- published later does not rewrite the obligations of cases already open).
CREATE TABLE exception_governance (
  tenant_id          TEXT   NOT NULL,
  case_id            TEXT   NOT NULL,
  process            TEXT   NOT NULL,
  category           TEXT   NOT NULL,
  root_cause_key     TEXT   NOT NULL,
  severity           TEXT   NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
  owner_team         TEXT   NOT NULL,
  assignee           TEXT   NOT NULL,
  ack_due_at         BIGINT NOT NULL,
  resolve_due_at     BIGINT NOT NULL,
  acknowledged_at    BIGINT,
  acknowledged_by    TEXT   NOT NULL,
  closed_at          BIGINT,
  closed_by          TEXT   NOT NULL,
  resolution         TEXT   NOT NULL,
  resolution_reason  TEXT   NOT NULL,
  order_value_minor  BIGINT NOT NULL,
  currency           TEXT   NOT NULL,
  customer_key       TEXT   NOT NULL,
  escalation_json    TEXT   NOT NULL,
  policy_note        TEXT   NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, case_id),
  FOREIGN KEY (tenant_id, case_id) REFERENCES exception_cases (tenant_id, case_id)
);
CREATE INDEX exception_governance_by_root_cause ON exception_governance (tenant_id, root_cause_key);
CREATE INDEX exception_governance_by_team ON exception_governance (tenant_id, owner_team);
CREATE INDEX exception_governance_ack_due ON exception_governance (ack_due_at)
  WHERE acknowledged_at IS NULL;
CREATE INDEX exception_governance_resolve_due ON exception_governance (resolve_due_at)
  WHERE closed_at IS NULL;

-- One row per escalation notice sent: (case, clock, level) is notified once. The row is written
-- in the transaction that audits the notice, after the notifier accepted it; the notice carries
-- the deterministic id "<tenant>/<case>/<clock>/<level>" so that a receiver can drop the repeat
-- a crash between sending and committing may cause.
CREATE TABLE exception_escalations (
  tenant_id     TEXT   NOT NULL,
  case_id       TEXT   NOT NULL,
  clock         TEXT   NOT NULL CHECK (clock IN ('acknowledge', 'resolve')),
  level         BIGINT NOT NULL,
  breached_at   BIGINT NOT NULL,
  notified_at   BIGINT NOT NULL,
  targets       TEXT   NOT NULL,
  PRIMARY KEY (tenant_id, case_id, clock, level),
  FOREIGN KEY (tenant_id, case_id) REFERENCES exception_cases (tenant_id, case_id)
);

-- Edits of a case's payload before a retry, kept as a diff (RFC 6902 operations, each with the
-- value it replaced under "old"), with digests of the payload before and after.
CREATE TABLE exception_edits (
  tenant_id      TEXT   NOT NULL,
  case_id        TEXT   NOT NULL,
  seq            BIGINT NOT NULL,
  actor          TEXT   NOT NULL,
  diff_json      TEXT   NOT NULL,
  before_digest  TEXT   NOT NULL,
  after_digest   TEXT   NOT NULL,
  created_at     BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, case_id, seq),
  FOREIGN KEY (tenant_id, case_id) REFERENCES exception_cases (tenant_id, case_id)
);
