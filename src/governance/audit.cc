#include "governance/audit.h"

#include <boost/json.hpp>

#include "base/canonical_json.h"

namespace govflow::governance {
namespace json = boost::json;

namespace {

Result<json::object> ParseDetails(std::string_view details_json) {
  if (details_json.empty()) return json::object();
  boost::system::error_code ec;
  json::value v = json::parse(details_json, ec);
  if (ec || !v.is_object()) {
    return InvalidArgument("audit details must be a JSON object, got: " +
                           std::string(details_json.substr(0, 80)));
  }
  return std::move(v.as_object());
}

}  // namespace

std::string CanonicalAuditEvent(const AuditEvent& event) {
  json::object o;
  o["tenant"] = event.tenant.value();
  o["seq"] = event.seq;
  o["at"] = static_cast<int64_t>(event.at.time_since_epoch().count());
  o["actor"] = event.record.actor;
  o["action"] = event.record.action;
  o["object_type"] = event.record.object_type;
  o["object_id"] = event.record.object_id;
  o["reason"] = event.record.reason;
  o["before"] = event.record.before_digest;
  o["after"] = event.record.after_digest;
  auto details = ParseDetails(event.record.details_json);
  // A stored event whose details no longer parse still hashes deterministically (as the raw
  // text), so verification reports a hash mismatch rather than failing.
  if (details.ok()) {
    o["details"] = std::move(*details);
  } else {
    o["details"] = event.record.details_json;
  }
  return CanonicalJson(json::value(std::move(o)));
}

std::string ComputeAuditHash(const AuditEvent& event) {
  return Sha256Hex(event.prev_hash + CanonicalAuditEvent(event));
}

Result<AuditEvent> AppendAudit(store::Txn& txn, const TenantId& tenant, const AuditRecord& record) {
  if (record.action.empty()) return InvalidArgument("audit event needs an action");
  GOVFLOW_RETURN_IF_ERROR(ParseDetails(record.details_json).status());

  AuditEvent event;
  event.tenant = tenant;
  event.at = txn.Now();
  event.record = record;
  if (event.record.details_json.empty()) event.record.details_json = "{}";

  // Read (and, on PostgreSQL, lock) the tenant's chain head; create it on first use.
  const bool pg = txn.dialect() == store::sql::Dialect::kPostgres;
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows head,
      txn.sql().Query(pg ? "SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ? "
                           "FOR UPDATE"
                         : "SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ?",
                      {tenant.value()}));
  if (head.empty()) {
    event.seq = 1;
    event.prev_hash = std::string(kAuditGenesisHash);
  } else {
    event.seq = head[0].Int(0) + 1;
    event.prev_hash = head[0].Text(1);
  }
  event.hash = ComputeAuditHash(event);

  if (head.empty()) {
    // Two first appenders on PostgreSQL race here; the loser gets kAlreadyExists (a conflict the
    // caller's transaction retry handles like any other).
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("INSERT INTO audit_chain_heads (tenant_id, last_seq, "
                                         "last_hash) VALUES (?, ?, ?)",
                                         {tenant.value(), event.seq, event.hash})
                                .status());
  } else {
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("UPDATE audit_chain_heads SET last_seq = ?, last_hash = ? "
                                         "WHERE tenant_id = ?",
                                         {event.seq, event.hash, tenant.value()})
                                .status());
  }
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO audit_events (tenant_id, seq, at, actor, action, object_type, "
                   "object_id, reason, before_digest, after_digest, details_json, prev_hash, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {tenant.value(), event.seq,
                    static_cast<int64_t>(event.at.time_since_epoch().count()), record.actor,
                    record.action, record.object_type, record.object_id, record.reason,
                    record.before_digest, record.after_digest, event.record.details_json,
                    event.prev_hash, event.hash})
          .status());
  return event;
}

}  // namespace govflow::governance
