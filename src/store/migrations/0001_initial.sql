-- govflow store schema, version 1: the durable state of the workflow engine (issue 3).
-- One file for both SQLite and PostgreSQL. The only dialect token is @BYTES@ (BLOB / BYTEA).
-- Conventions: every table has tenant_id and every key starts with it (tenant isolation);
-- times are BIGINT microseconds since the Unix epoch (UTC); JSON documents are TEXT.

CREATE TABLE tenants (
  tenant_id     TEXT   NOT NULL PRIMARY KEY,
  display_name  TEXT   NOT NULL,
  created_at    BIGINT NOT NULL
);

-- A configured external system of a tenant. secret_ciphertext is sealed by the caller
-- (libsodium secretbox); the store never sees plaintext credentials.
CREATE TABLE connections (
  tenant_id          TEXT    NOT NULL REFERENCES tenants (tenant_id),
  connection_id      TEXT    NOT NULL,
  kind               TEXT    NOT NULL,
  config_json        TEXT    NOT NULL,
  secret_ciphertext  @BYTES@ NOT NULL,
  created_at         BIGINT  NOT NULL,
  updated_at         BIGINT  NOT NULL,
  PRIMARY KEY (tenant_id, connection_id)
);

-- Published workflow definitions: immutable, identified by a content hash.
CREATE TABLE workflow_versions (
  tenant_id     TEXT   NOT NULL REFERENCES tenants (tenant_id),
  name          TEXT   NOT NULL,
  version       BIGINT NOT NULL,
  content_hash  TEXT   NOT NULL,
  source_yaml   TEXT   NOT NULL,
  published_at  BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name, version),
  UNIQUE (tenant_id, name, content_hash)
);

-- Every inbound webhook, whatever became of it (invariant 3).
CREATE TABLE deliveries (
  tenant_id       TEXT    NOT NULL REFERENCES tenants (tenant_id),
  delivery_id     TEXT    NOT NULL,
  connection_id   TEXT    NOT NULL,
  webhook_id      TEXT,
  topic           TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('accepted', 'rejected', 'duplicate')),
  reason          TEXT    NOT NULL,
  headers_digest  TEXT    NOT NULL,
  body            @BYTES@ NOT NULL,
  received_at     BIGINT  NOT NULL,
  run_id          TEXT,
  duplicate_of    TEXT,
  PRIMARY KEY (tenant_id, delivery_id)
);
-- At most one accepted delivery per webhook id: the sender's redeliveries are recorded as
-- 'duplicate' rows and start nothing.
CREATE UNIQUE INDEX deliveries_dedupe ON deliveries (tenant_id, connection_id, webhook_id)
  WHERE status = 'accepted';
CREATE INDEX deliveries_by_time ON deliveries (tenant_id, received_at);

-- One execution of a workflow version. next_wake_at is the timer: a non-terminal run is due when
-- next_wake_at <= now; terminal runs have it NULL. lease_token grows on every claim and fences
-- writes by stale owners; version grows on every update (optimistic concurrency).
CREATE TABLE runs (
  tenant_id          TEXT   NOT NULL REFERENCES tenants (tenant_id),
  run_id             TEXT   NOT NULL,
  workflow_name      TEXT   NOT NULL,
  workflow_version   BIGINT NOT NULL,
  delivery_id        TEXT,
  state              TEXT   NOT NULL CHECK (state IN
                       ('pending', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  current_step       TEXT   NOT NULL,
  input_json         TEXT   NOT NULL,
  context_json       TEXT   NOT NULL,
  next_wake_at       BIGINT,
  lease_owner        TEXT,
  lease_token        BIGINT NOT NULL,
  lease_expires_at   BIGINT,
  version            BIGINT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, run_id),
  FOREIGN KEY (tenant_id, workflow_name, workflow_version)
    REFERENCES workflow_versions (tenant_id, name, version)
);
CREATE INDEX runs_due ON runs (next_wake_at) WHERE next_wake_at IS NOT NULL;
CREATE INDEX runs_by_state ON runs (tenant_id, state, updated_at);

-- Append-only history of a run: every transition and every attempt.
CREATE TABLE run_events (
  tenant_id     TEXT   NOT NULL,
  run_id        TEXT   NOT NULL,
  seq           BIGINT NOT NULL,
  kind          TEXT   NOT NULL,
  step          TEXT   NOT NULL,
  attempt       BIGINT NOT NULL,
  payload_json  TEXT   NOT NULL,
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, run_id, seq),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id)
);

-- External calls (invariant 2). The idempotency key is derived from (tenant, run, step) and is
-- stable across retries and restarts; business_key (e.g. externalDocumentNumber) is what the
-- remote side can be searched by when an attempt's outcome is unknown.
CREATE TABLE effects (
  tenant_id        TEXT   NOT NULL,
  idempotency_key  TEXT   NOT NULL,
  run_id           TEXT   NOT NULL,
  step             TEXT   NOT NULL,
  connection_id    TEXT   NOT NULL,
  business_key     TEXT   NOT NULL,
  state            TEXT   NOT NULL CHECK (state IN
                     ('pending', 'in_flight', 'succeeded', 'failed', 'unknown')),
  request_json     TEXT   NOT NULL,
  response_json    TEXT   NOT NULL,
  error_class      TEXT   NOT NULL,
  attempts         BIGINT NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id)
);
CREATE INDEX effects_by_run ON effects (tenant_id, run_id);
CREATE INDEX effects_by_business_key ON effects (tenant_id, connection_id, business_key);

-- What a run that cannot proceed becomes (first form; governance extends it later).
CREATE TABLE exception_cases (
  tenant_id     TEXT   NOT NULL,
  case_id       TEXT   NOT NULL,
  run_id        TEXT   NOT NULL,
  step          TEXT   NOT NULL,
  error_class   TEXT   NOT NULL,
  message       TEXT   NOT NULL,
  payload_json  TEXT   NOT NULL,
  state         TEXT   NOT NULL CHECK (state IN ('open', 'retrying', 'resolved')),
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, case_id),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id)
);
CREATE INDEX exception_cases_by_state ON exception_cases (tenant_id, state, created_at);
