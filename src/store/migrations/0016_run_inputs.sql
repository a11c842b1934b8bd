-- A run's input, written once when the run is created, in its own table (issue 3,
-- docs/performance.md). In the runs row, the ~6 KB Shopify order went with every run update:
-- SQLite writes a whole new record, overflow pages included, at every UPDATE, and PostgreSQL a
-- whole new row version; two or three times per order. The runs row now holds only what changes.
-- Txn::CreateRun writes the input, Txn::ReplaceRunInput rewrites it (edit-and-retry), and every
-- read of a Run takes it from here. Rows go with their run (ON DELETE CASCADE), like run_keys, so
-- retention's purge of a run needs to know nothing about this table.
CREATE TABLE run_inputs (
  tenant_id   TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  input_json  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_id),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id) ON DELETE CASCADE
);

INSERT INTO run_inputs (tenant_id, run_id, input_json)
  SELECT tenant_id, run_id, input_json FROM runs;

ALTER TABLE runs DROP COLUMN input_json;
