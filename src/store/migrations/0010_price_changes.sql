-- Master-data price changes (issue 4 item 5; src/governance/price_changes.h): a requested change
-- of one storefront variant's price, held for approval when the tenant's approval matrix says so,
-- and delivered to the storefront through an outbox (src/governance/price_publisher.h).
-- Times are BIGINT microseconds; prices are integer minor units (cents) next to the exact decimal
-- strings the storefront uses; every key starts with tenant_id.

-- One requested change. state:
--   pending_approval  held: an approval task (approval_id) must be approved first
--   released          approved (or below the threshold): an outbox row waits to be published
--   published         the storefront has the new price (verified by reading it back)
--   rejected          the approval was rejected, expired or cancelled: never published
--   failed            publishing failed for good (permanent error or retries exhausted)
CREATE TABLE price_changes (
  tenant_id            TEXT   NOT NULL REFERENCES tenants (tenant_id),
  change_id            TEXT   NOT NULL,
  connection_id        TEXT   NOT NULL,
  sku                  TEXT   NOT NULL,
  variant_id           BIGINT NOT NULL,
  currency             TEXT   NOT NULL,
  old_price            TEXT   NOT NULL,
  new_price            TEXT   NOT NULL,
  old_cents            BIGINT NOT NULL,
  new_cents            BIGINT NOT NULL,
  -- The compare-at price to set with the new price; NULL leaves it unchanged, '' clears it.
  compare_at_price     TEXT,
  change_bp            BIGINT NOT NULL,  -- (new - old) / old in basis points (-3500 = -35%)
  reason               TEXT   NOT NULL,
  requested_by         TEXT   NOT NULL,
  rule                 TEXT   NOT NULL,  -- the matrix rules that held it ('' when none applied)
  approval_id          TEXT,             -- the first of price_change_approvals
  state                TEXT   NOT NULL CHECK (state IN
                         ('pending_approval', 'released', 'published', 'rejected', 'failed')),
  outcome              TEXT   NOT NULL,  -- the last word on it: decision comment or error
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL,
  released_at          BIGINT,
  published_at         BIGINT,
  PRIMARY KEY (tenant_id, change_id)
);
CREATE INDEX price_changes_by_time ON price_changes (tenant_id, created_at, change_id);
CREATE INDEX price_changes_by_sku ON price_changes (tenant_id, sku, created_at);
-- The release sweep (ReleaseDecidedPriceChanges) is cross-tenant by design, like the run
-- scheduler: it finds held changes in every tenant, then acts on each inside its tenant.
CREATE INDEX price_changes_held ON price_changes (state, tenant_id) WHERE state = 'pending_approval';

-- The approval tasks that hold a change (one per approval matrix row that applies; usually
-- one). The change is released when all are approved and rejected when any is rejected, expires
-- or is cancelled.
CREATE TABLE price_change_approvals (
  tenant_id  TEXT NOT NULL,
  change_id  TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  rule       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, change_id, task_id)
);
CREATE INDEX price_change_approvals_by_task ON price_change_approvals (tenant_id, task_id);

-- The outbox: one row per released change, written in the transaction that released it, so a
-- change is published if and only if it was released. The publisher claims a row (state
-- in_flight, claimed_until), reads the variant before writing (so a crash after the write never
-- applies it twice or overwrites a newer price) and records the outcome. Cross-tenant due index
-- for the publisher, like the scheduler's.
CREATE TABLE price_change_outbox (
  tenant_id        TEXT   NOT NULL,
  change_id        TEXT   NOT NULL,
  idempotency_key  TEXT   NOT NULL,
  state            TEXT   NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
  attempts         BIGINT NOT NULL,
  next_attempt_at  BIGINT NOT NULL,
  claimed_by       TEXT   NOT NULL,
  claimed_until    BIGINT,
  last_error_class TEXT   NOT NULL,
  last_error       TEXT   NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, change_id)
);
CREATE INDEX price_change_outbox_due ON price_change_outbox (next_attempt_at)
  WHERE state IN ('pending', 'in_flight');
