-- Operational intelligence (src/intel, docs/intel.md): metric rollups that the dashboards read
-- instead of the raw runs. Maintained incrementally by intel::RunRollup (the `intel.rollup` job of
-- `govflow serve`). Times are BIGINT microseconds; every key starts with tenant_id.

-- Counters per time bucket and dimension tuple. resolution is the bucket width in seconds (60:
-- minute buckets, kept two days; 3600: hour buckets, kept for the long windows). A row holds the
-- sum of the contributions (intel_contributions) of every object whose event falls in the bucket.
CREATE TABLE intel_rollups (
  tenant_id             TEXT   NOT NULL,
  resolution            BIGINT NOT NULL,
  bucket_start          BIGINT NOT NULL,
  process               TEXT   NOT NULL,
  brand                 TEXT   NOT NULL,
  channel               TEXT   NOT NULL,
  sku_category          TEXT   NOT NULL,
  runs_started          BIGINT NOT NULL DEFAULT 0,
  runs_succeeded        BIGINT NOT NULL DEFAULT 0,
  runs_failed           BIGINT NOT NULL DEFAULT 0,
  runs_cancelled        BIGINT NOT NULL DEFAULT 0,
  latency_count         BIGINT NOT NULL DEFAULT 0,
  latency_sum_us        BIGINT NOT NULL DEFAULT 0,
  exceptions_opened     BIGINT NOT NULL DEFAULT 0,
  sla_met               BIGINT NOT NULL DEFAULT 0,
  sla_breached          BIGINT NOT NULL DEFAULT 0,
  deliveries_accepted   BIGINT NOT NULL DEFAULT 0,
  deliveries_rejected   BIGINT NOT NULL DEFAULT 0,
  deliveries_duplicate  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, resolution, bucket_start, process, brand, channel, sku_category)
);

-- Run latency (creation to success) as a log-scale histogram per bucket and dimension tuple, so
-- that percentiles over any window and any dimension filter are sums of bins (mergeable).
CREATE TABLE intel_latency_bins (
  tenant_id     TEXT   NOT NULL,
  resolution    BIGINT NOT NULL,
  bucket_start  BIGINT NOT NULL,
  process       TEXT   NOT NULL,
  brand         TEXT   NOT NULL,
  channel       TEXT   NOT NULL,
  sku_category  TEXT   NOT NULL,
  bin           BIGINT NOT NULL,
  samples       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, resolution, bucket_start, process, brand, channel, sku_category, bin)
);

-- A gauge: exception cases not resolved now, by severity and dimension tuple.
CREATE TABLE intel_open_exceptions (
  tenant_id     TEXT   NOT NULL,
  process       TEXT   NOT NULL,
  brand         TEXT   NOT NULL,
  channel       TEXT   NOT NULL,
  sku_category  TEXT   NOT NULL,
  severity      TEXT   NOT NULL,
  open_cases    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, process, brand, channel, sku_category, severity)
);

-- What each source object (kind: run, case, delivery) currently contributes to the three tables
-- above. The rollup subtracts an object's old contribution and adds its new one, so processing
-- an object twice changes nothing and a late update moves its counts instead of adding more.
CREATE TABLE intel_contributions (
  tenant_id          TEXT   NOT NULL,
  kind               TEXT   NOT NULL,
  object_id          TEXT   NOT NULL,
  contribution_json  TEXT   NOT NULL,
  updated_at         BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, kind, object_id)
);

-- Per tenant and source: every change with a time up to `watermark` has been rolled up (the
-- next pass re-reads from watermark minus the allowed lateness).
CREATE TABLE intel_watermarks (
  tenant_id   TEXT   NOT NULL,
  source      TEXT   NOT NULL,
  watermark   BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, source)
);

-- The brand a storefront connection sells (a multi-brand retailer runs one store per brand).
CREATE TABLE intel_brand_labels (
  tenant_id      TEXT   NOT NULL,
  connection_id  TEXT   NOT NULL,
  brand          TEXT   NOT NULL,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, connection_id)
);

-- The rollup reads changes by time; these indexes make that a range scan per tenant.
CREATE INDEX intel_runs_by_update ON runs (tenant_id, updated_at);
CREATE INDEX intel_cases_by_update ON exception_cases (tenant_id, updated_at);
CREATE INDEX intel_case_governance_by_update ON exception_governance (tenant_id, updated_at);
