-- Signed checkpoints of the per-tenant audit chains (issue 4 item 6; docs/governance/audit.md).
-- A checkpoint is an Ed25519 signature over (tenant, seq, hash, at) of the chain head at the time
-- it was made; the signing key lives outside the database, so whoever can write these tables
-- still cannot forge one. public_key (base64) says which key signed, so that a rotated key is
-- visible; verification trusts only the key the verifier is given.
CREATE TABLE audit_checkpoints (
  tenant_id   TEXT   NOT NULL,
  seq         BIGINT NOT NULL,
  hash        TEXT   NOT NULL,
  at          BIGINT NOT NULL,
  public_key  TEXT   NOT NULL,
  signature   TEXT   NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);

-- Where a tenant's chain starts after retention purged its oldest events: events 1..seq are
-- gone and the chain continues from the signed checkpoint at seq (whose hash is the next event's
-- prev_hash). At most one row per tenant; the purge itself is an audit event in the chain.
CREATE TABLE audit_chain_anchors (
  tenant_id   TEXT   NOT NULL PRIMARY KEY,
  seq         BIGINT NOT NULL,
  hash        TEXT   NOT NULL,
  purged_at   BIGINT NOT NULL
);
