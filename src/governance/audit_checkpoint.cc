#include "governance/audit_checkpoint.h"

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "governance/audit.h"

namespace govflow::governance {
namespace json = boost::json;

namespace {

int64_t Micros(TimePoint t) {
  return static_cast<int64_t>(t.time_since_epoch().count());
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

AuditCheckpoint CheckpointFromRow(const TenantId& tenant, const store::sql::Row& row) {
  AuditCheckpoint c;
  c.tenant = tenant;
  c.seq = row.Int(0);
  c.hash = row.Text(1);
  c.at = FromMicros(row.Int(2));
  c.public_key = row.Text(3);
  c.signature = row.Text(4);
  return c;
}

}  // namespace

std::string AuditCheckpointMessage(const TenantId& tenant, int64_t seq, std::string_view hash,
                                   TimePoint at) {
  json::object o;
  o["type"] = "govflow.audit.checkpoint.v1";
  o["tenant"] = tenant.value();
  o["seq"] = seq;
  o["hash"] = hash;
  o["at"] = Micros(at);
  return CanonicalJson(json::value(std::move(o)));
}

bool VerifyAuditCheckpoint(const AuditCheckpoint& checkpoint, std::string_view public_key) {
  auto signature = AuditFromBase64(checkpoint.signature);
  if (!signature.ok()) return false;
  return VerifyAuditSignature(
      public_key,
      AuditCheckpointMessage(checkpoint.tenant, checkpoint.seq, checkpoint.hash, checkpoint.at),
      *signature);
}

Result<AuditCheckpoint> CreateCheckpoint(store::Txn& txn, const TenantId& tenant,
                                         const AuditSigner& signer) {
  // Lock the head on PostgreSQL so that the signed (seq, hash) is the head this transaction
  // sees until it commits (appenders take the same lock).
  const bool pg = txn.dialect() == store::sql::Dialect::kPostgres;
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows head,
      txn.sql().Query(pg ? "SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ? "
                           "FOR UPDATE"
                         : "SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ?",
                      {tenant.value()}));
  if (head.empty()) {
    return FailedPrecondition("tenant " + tenant.value() + " has no audit events to checkpoint");
  }
  const int64_t seq = head[0].Int(0);
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditCheckpoint> existing,
                           ListAuditCheckpoints(txn, tenant, seq, seq));
  if (!existing.empty()) return existing.front();

  AuditCheckpoint c;
  c.tenant = tenant;
  c.seq = seq;
  c.hash = head[0].Text(1);
  c.at = txn.Now();
  c.public_key = signer.PublicKeyBase64();
  c.signature = AuditBase64(signer.Sign(AuditCheckpointMessage(tenant, c.seq, c.hash, c.at)));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO audit_checkpoints (tenant_id, seq, hash, at, "
                   "public_key, signature) VALUES (?, ?, ?, ?, ?, ?)",
                   {tenant.value(), c.seq, c.hash, Micros(c.at), c.public_key, c.signature})
          .status());
  return c;
}

Result<AuditCheckpoint> CreateCheckpoint(store::Store& store, const TenantId& tenant,
                                         const AuditSigner& signer) {
  AuditCheckpoint out;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(out, CreateCheckpoint(txn, tenant, signer));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AuditCheckpoint>> ListAuditCheckpoints(store::Txn& txn, const TenantId& tenant,
                                                          int64_t from_seq, int64_t to_seq) {
  std::string sql =
      "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints WHERE tenant_id = ? "
      "AND seq >= ?";
  store::sql::Params params{tenant.value(), from_seq};
  if (to_seq > 0) {
    sql += " AND seq <= ?";
    params.emplace_back(to_seq);
  }
  sql += " ORDER BY seq";
  GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows, txn.sql().Query(sql, params));
  std::vector<AuditCheckpoint> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(CheckpointFromRow(tenant, row));
  return out;
}

Result<int> CheckpointDueChains(store::Store& store, const Clock& clock, const AuditSigner& signer,
                                const AuditCheckpointPolicy& policy) {
  // Every chain head with its latest checkpoint (if any): one read, across tenants.
  std::vector<std::pair<TenantId, bool>> due;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query(
            "SELECT h.tenant_id, h.last_seq, c.seq, c.at FROM audit_chain_heads h "
            "LEFT JOIN audit_checkpoints c ON c.tenant_id = h.tenant_id AND c.seq = "
            "(SELECT MAX(seq) FROM audit_checkpoints m WHERE m.tenant_id = h.tenant_id) "
            "ORDER BY h.tenant_id"));
    const TimePoint now = clock.Now();
    for (const auto& row : rows) {
      const int64_t head_seq = row.Int(1);
      const std::optional<int64_t> cp_seq = row.OptionalInt(2);
      const int64_t signed_seq = cp_seq.value_or(0);
      if (head_seq <= signed_seq) continue;
      const bool by_count = policy.every_events > 0 && head_seq - signed_seq >= policy.every_events;
      const bool by_time = !cp_seq.has_value() || (policy.every.count() > 0 &&
                                                   now - FromMicros(row.Int(3)) >= policy.every);
      if (by_count || by_time) due.emplace_back(TenantId(row.Text(0)), true);
    }
  }
  int made = 0;
  Status first_error;
  for (const auto& [tenant, unused] : due) {
    auto c = CreateCheckpoint(store, tenant, signer);
    if (c.ok()) {
      ++made;
    } else if (first_error.ok()) {
      first_error = Status(c.status().code(), "audit checkpoint for tenant " + tenant.value() +
                                                  ": " + c.status().message());
    }
  }
  if (!first_error.ok()) return first_error;
  return made;
}

Result<std::optional<AuditAnchor>> GetAuditAnchor(store::Txn& txn, const TenantId& tenant) {
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT seq, hash, purged_at FROM audit_chain_anchors WHERE tenant_id = ?",
                      {tenant.value()}));
  if (rows.empty()) return std::optional<AuditAnchor>();
  return std::optional<AuditAnchor>(
      AuditAnchor{rows[0].Int(0), rows[0].Text(1), FromMicros(rows[0].Int(2))});
}

Result<int64_t> PurgeAuditEventsThrough(store::Txn& txn, const TenantId& tenant, int64_t seq) {
  // Serialise with appenders, checkpoints and other purges of this chain (PostgreSQL row lock on
  // the head; SQLite has a single writer).
  if (txn.dialect() == store::sql::Dialect::kPostgres) {
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Query("SELECT last_seq FROM audit_chain_heads WHERE tenant_id = ? FOR UPDATE",
                   {tenant.value()})
            .status());
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditCheckpoint> at_seq,
                           ListAuditCheckpoints(txn, tenant, seq, seq));
  if (seq < 1 || at_seq.empty()) {
    return FailedPrecondition("audit events of tenant " + tenant.value() +
                              " are purged only through a signed checkpoint; there is none at "
                              "seq " +
                              std::to_string(seq));
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<AuditAnchor> anchor, GetAuditAnchor(txn, tenant));
  if (anchor && anchor->seq >= seq) return int64_t{0};

  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t deleted,
      txn.sql().Execute("DELETE FROM audit_events WHERE tenant_id = ? AND seq <= ?",
                        {tenant.value(), seq}));
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("DELETE FROM audit_checkpoints WHERE tenant_id = ? AND seq < ?",
                   {tenant.value(), seq})
          .status());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("DELETE FROM audit_chain_anchors WHERE tenant_id = ?", {tenant.value()})
          .status());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO audit_chain_anchors (tenant_id, seq, hash, "
                   "purged_at) VALUES (?, ?, ?, ?)",
                   {tenant.value(), seq, at_seq.front().hash, Micros(txn.Now())})
          .status());
  json::object details;
  details["through_seq"] = seq;
  details["events_deleted"] = deleted;
  AuditRecord record{.actor = "system:retention",
                     .action = "audit.purge",
                     .object_type = "audit_chain",
                     .object_id = tenant.value(),
                     .reason = "retention",
                     .details_json = json::serialize(details)};
  GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, tenant, record).status());
  return deleted;
}

}  // namespace govflow::governance
