-- Group commit markers: every batch transaction of the Committer inserts one row. When a COMMIT
-- fails in a way that leaves its outcome unknown (connection lost while committing), the
-- committer inserts the same batch_id again in a new transaction: a conflict means the batch
-- did commit. Rows are deleted by the committer's next batch. Not tenant data (no tenant_id):
-- like schema_migrations, it belongs to the store itself.
CREATE TABLE commit_markers (
  batch_id    TEXT   NOT NULL PRIMARY KEY,
  created_at  BIGINT NOT NULL
);
