-- Run search for the console's runs page (issue 5): keyset pages over a tenant's runs by
-- creation time, and a search by business key (the Shopify order id, the order name "#1001" and
-- number, the ERP externalDocumentNumber) that reads an index instead of every run's payload.

-- Keyset pages, newest or oldest first, with and without a state filter.
CREATE INDEX runs_by_created ON runs (tenant_id, created_at, run_id);
CREATE INDEX runs_by_state_created ON runs (tenant_id, state, created_at, run_id);

-- The business keys a run can be found by, normalised (Txn::NormalizeBusinessKey: trimmed,
-- lower case, without a leading '#'). Written by Txn::CreateRun (the identifying top-level
-- fields of the run's input) and Txn::BeginEffect (the effect's business key), in the same
-- transaction. Rows go with their run (ON DELETE CASCADE), so retention's purge of a run's
-- history needs to know nothing about this table.
CREATE TABLE run_keys (
  tenant_id   TEXT NOT NULL,
  search_key  TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, search_key, run_id),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id) ON DELETE CASCADE
);
-- For the cascade: deleting a run finds its keys without a scan.
CREATE INDEX run_keys_by_run ON run_keys (tenant_id, run_id);

-- A run's exception cases (Txn::ListExceptionCasesForRun: the run page links to them).
CREATE INDEX exception_cases_by_run ON exception_cases (tenant_id, run_id);

-- Runs created before this migration: their effects' business keys (externalDocumentNumber).
-- Their input fields are not back-filled (reading JSON in SQL differs between the engines);
-- such runs are found by id, time, state and workflow.
INSERT INTO run_keys (tenant_id, search_key, run_id)
  SELECT DISTINCT tenant_id, lower(trim(business_key)), run_id FROM effects
  WHERE trim(business_key) <> '';
