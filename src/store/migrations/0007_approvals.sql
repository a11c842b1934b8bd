-- Approval tasks (issue 4 item 5; src/governance/approvals.h): human decisions demanded by a
-- workflow's approve step, a master-data change, a document promotion or an AI decision.
-- Times are BIGINT microseconds; JSON is TEXT; every key starts with tenant_id.

-- One task. version grows on every change; deciders first bump it (UPDATE ... WHERE state =
-- 'pending'), which takes the row lock on PostgreSQL, so concurrent decisions on one task are
-- serialised and quorum is counted exactly once.
CREATE TABLE approval_tasks (
  tenant_id          TEXT   NOT NULL REFERENCES tenants (tenant_id),
  task_id            TEXT   NOT NULL,
  subject_type       TEXT   NOT NULL,
  subject_id         TEXT   NOT NULL,
  title              TEXT   NOT NULL,
  changes_json       TEXT   NOT NULL,
  quorum             BIGINT NOT NULL CHECK (quorum >= 1),
  requested_by       TEXT   NOT NULL,
  rule               TEXT   NOT NULL,
  expires_at         BIGINT,
  on_expiry          TEXT   NOT NULL CHECK (on_expiry IN ('reject', 'escalate')),
  -- Escalation: the roles added when the task expires under on_expiry = 'escalate', and how long
  -- the escalated task then has (microseconds) before it is rejected.
  escalate_to_json   TEXT   NOT NULL,
  escalation_window  BIGINT NOT NULL,
  escalations        BIGINT NOT NULL,
  -- Segregation of duties beyond the requester rule: deciders holding any of these roles (a JSON
  -- array, e.g. the makers' role) may not decide.
  excluded_roles_json TEXT  NOT NULL,
  state              TEXT   NOT NULL
                     CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  version            BIGINT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, task_id)
);
-- At most one pending task per subject: requesting again returns it.
CREATE UNIQUE INDEX approval_tasks_pending_subject
  ON approval_tasks (tenant_id, subject_type, subject_id) WHERE state = 'pending';
CREATE INDEX approval_tasks_by_subject
  ON approval_tasks (tenant_id, subject_type, subject_id, created_at);
CREATE INDEX approval_tasks_by_time ON approval_tasks (tenant_id, created_at, task_id);
-- The expiry sweep (ExpireApprovals) is cross-tenant by design, like the run scheduler: it looks
-- for pending tasks past their expiry in every tenant, then acts on each inside its tenant.
CREATE INDEX approval_tasks_due ON approval_tasks (expires_at) WHERE state = 'pending';

-- The roles that may decide a task (any one of them), one row each so the inbox can ask "tasks I
-- can decide" in SQL. Escalation adds rows.
CREATE TABLE approval_task_roles (
  tenant_id  TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  role       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, task_id, role)
);
CREATE INDEX approval_task_roles_by_role ON approval_task_roles (tenant_id, role);

-- Decisions, oldest first (seq 1, 2, ...). actor is who decided ("user:<id>"); on_behalf_of is
-- the delegator whose authority a delegate used ("" for the decider's own authority). Final:
-- never updated or deleted.
CREATE TABLE approval_decisions (
  tenant_id     TEXT   NOT NULL,
  task_id       TEXT   NOT NULL,
  seq           BIGINT NOT NULL,
  actor         TEXT   NOT NULL,
  on_behalf_of  TEXT   NOT NULL,
  approve       BIGINT NOT NULL CHECK (approve IN (0, 1)),
  comment       TEXT   NOT NULL,
  at            BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, task_id, seq),
  UNIQUE (tenant_id, task_id, actor)
);

-- Delegation while away: from_actor lends the roles in roles_json (a snapshot of roles it held
-- when delegating) to to_actor for approval decisions during [starts_at, ends_at).
CREATE TABLE approval_delegations (
  tenant_id      TEXT   NOT NULL REFERENCES tenants (tenant_id),
  delegation_id  TEXT   NOT NULL,
  from_actor     TEXT   NOT NULL,
  to_actor       TEXT   NOT NULL,
  roles_json     TEXT   NOT NULL,
  starts_at      BIGINT NOT NULL,
  ends_at        BIGINT NOT NULL,
  reason         TEXT   NOT NULL,
  created_by     TEXT   NOT NULL,
  created_at     BIGINT NOT NULL,
  revoked_at     BIGINT,
  PRIMARY KEY (tenant_id, delegation_id)
);
CREATE INDEX approval_delegations_to ON approval_delegations (tenant_id, to_actor, ends_at);
