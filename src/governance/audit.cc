#include "governance/audit.h"

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "governance/access.h"

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
          .Execute(
              "INSERT INTO audit_events (tenant_id, seq, at, actor, action, object_type, "
              "object_id, reason, before_digest, after_digest, details_json, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {tenant.value(), event.seq, static_cast<int64_t>(event.at.time_since_epoch().count()),
               record.actor, record.action, record.object_type, record.object_id, record.reason,
               record.before_digest, record.after_digest, event.record.details_json,
               event.prev_hash, event.hash})
          .status());
  return event;
}

namespace {

constexpr std::string_view kEventColumns =
    "seq, at, actor, action, object_type, object_id, reason, before_digest, after_digest, "
    "details_json, prev_hash, hash";

AuditEvent EventFromRow(const TenantId& tenant, const store::sql::Row& row) {
  AuditEvent e;
  e.tenant = tenant;
  e.seq = row.Int(0);
  e.at = TimePoint(std::chrono::microseconds(row.Int(1)));
  e.record.actor = row.Text(2);
  e.record.action = row.Text(3);
  e.record.object_type = row.Text(4);
  e.record.object_id = row.Text(5);
  e.record.reason = row.Text(6);
  e.record.before_digest = row.Text(7);
  e.record.after_digest = row.Text(8);
  e.record.details_json = row.Text(9);
  e.prev_hash = row.Text(10);
  e.hash = row.Text(11);
  return e;
}

int64_t Micros(TimePoint t) {
  return static_cast<int64_t>(t.time_since_epoch().count());
}

}  // namespace

Result<std::optional<AuditChainHead>> GetAuditChainHead(store::Txn& txn, const TenantId& tenant) {
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ?",
                      {tenant.value()}));
  if (rows.empty()) return std::optional<AuditChainHead>();
  return std::optional<AuditChainHead>(AuditChainHead{rows[0].Int(0), rows[0].Text(1)});
}

Result<std::vector<AuditEvent>> ListAuditEvents(store::Txn& txn, const TenantScope& scope,
                                                const AuditQuery& query) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kAuditRead));
  if (query.limit < 1 || query.limit > 10000) {
    return InvalidArgument("audit query limit must be between 1 and 10000");
  }
  std::string sql =
      "SELECT " + std::string(kEventColumns) + " FROM audit_events WHERE tenant_id = ? AND seq > ?";
  store::sql::Params params{scope.tenant().value(), query.after_seq};
  if (!query.object_type.empty()) {
    sql += " AND object_type = ?";
    params.emplace_back(query.object_type);
  }
  if (!query.object_id.empty()) {
    sql += " AND object_id = ?";
    params.emplace_back(query.object_id);
  }
  if (!query.actor.empty()) {
    sql += " AND actor = ?";
    params.emplace_back(query.actor);
  }
  if (!query.action_prefix.empty()) {
    // substr() rather than LIKE: no escaping of '%' and '_', and the same on both engines.
    // substr() counts characters on both engines; the length is an integer literal because
    // PostgreSQL has no substr(text, int, bigint).
    int64_t chars = 0;
    for (unsigned char c : query.action_prefix) chars += (c & 0xC0) != 0x80 ? 1 : 0;
    sql += " AND substr(action, 1, " + std::to_string(chars) + ") = ?";
    params.emplace_back(query.action_prefix);
  }
  if (query.from) {
    sql += " AND at >= ?";
    params.emplace_back(Micros(*query.from));
  }
  if (query.to) {
    sql += " AND at < ?";
    params.emplace_back(Micros(*query.to));
  }
  sql += " ORDER BY seq LIMIT ?";
  params.emplace_back(static_cast<int64_t>(query.limit));
  GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows, txn.sql().Query(sql, params));
  std::vector<AuditEvent> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(EventFromRow(scope.tenant(), row));
  return out;
}

Result<std::vector<AuditEvent>> ReadStoredAuditEvents(store::Txn& txn, const TenantId& tenant,
                                                      int64_t from_seq, int64_t to_seq, int limit) {
  std::string sql = "SELECT " + std::string(kEventColumns) +
                    " FROM audit_events WHERE tenant_id = ? AND seq >= ?";
  store::sql::Params params{tenant.value(), from_seq};
  if (to_seq > 0) {
    sql += " AND seq <= ?";
    params.emplace_back(to_seq);
  }
  sql += " ORDER BY seq LIMIT ?";
  params.emplace_back(static_cast<int64_t>(limit));
  GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows, txn.sql().Query(sql, params));
  std::vector<AuditEvent> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(EventFromRow(tenant, row));
  return out;
}

}  // namespace govflow::governance
