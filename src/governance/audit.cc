#include "governance/audit.h"

#include <boost/json.hpp>
#include <map>
#include <memory>

#include "base/canonical_json.h"
#include "governance/access.h"
#include "store/deferred_writes.h"

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

namespace {

constexpr std::string_view kInsertEventColumns =
    "INSERT INTO audit_events (tenant_id, seq, at, actor, action, object_type, object_id, "
    "reason, before_digest, after_digest, details_json, prev_hash, hash) VALUES ";
constexpr std::string_view kEventPlaceholders = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

void AddEventParams(const AuditEvent& e, store::sql::Params& params) {
  params.emplace_back(e.tenant.value());
  params.emplace_back(e.seq);
  params.emplace_back(static_cast<int64_t>(e.at.time_since_epoch().count()));
  params.emplace_back(e.record.actor);
  params.emplace_back(e.record.action);
  params.emplace_back(e.record.object_type);
  params.emplace_back(e.record.object_id);
  params.emplace_back(e.record.reason);
  params.emplace_back(e.record.before_digest);
  params.emplace_back(e.record.after_digest);
  params.emplace_back(e.record.details_json);
  params.emplace_back(e.prev_hash);
  params.emplace_back(e.hash);
}

// Inserts `events` (consecutive rows of one or more chains) in multi-row statements of a few
// fixed sizes, so that SQLite's statement cache holds few distinct texts.
Status InsertEvents(store::sql::Transaction& txn, const std::vector<AuditEvent>& events) {
  size_t i = 0;
  while (i < events.size()) {
    const size_t left = events.size() - i;
    const size_t n = left >= 64 ? 64 : left >= 16 ? 16 : left >= 4 ? 4 : 1;
    std::string sql(kInsertEventColumns);
    store::sql::Params params;
    params.reserve(n * 13);
    for (size_t k = 0; k < n; ++k) {
      if (k > 0) sql += ", ";
      sql += kEventPlaceholders;
      AddEventParams(events[i + k], params);
    }
    GOVFLOW_RETURN_IF_ERROR(txn.Execute(sql, params).status());
    i += n;
  }
  return Status::Ok();
}

// Reads (and, on PostgreSQL, locks) a tenant's chain head; nullopt when it has none yet.
Result<std::optional<AuditChainHead>> ReadHeadForAppend(store::sql::Transaction& txn,
                                                        const TenantId& tenant) {
  const bool pg = txn.dialect() == store::sql::Dialect::kPostgres;
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows head,
      txn.Query(pg ? "SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ? "
                     "FOR UPDATE"
                   : "SELECT last_seq, last_hash FROM audit_chain_heads WHERE tenant_id = ?",
                {tenant.value()}));
  if (head.empty()) return std::optional<AuditChainHead>();
  return std::optional<AuditChainHead>(AuditChainHead{head[0].Int(0), head[0].Text(1)});
}

// Writes a chain's new head: an insert for a tenant's first events, else an update. Two first
// appenders on PostgreSQL race on the insert; the loser gets kAlreadyExists (a conflict the
// caller's transaction retry handles like any other).
Status WriteHead(store::sql::Transaction& txn, const TenantId& tenant, bool exists, int64_t seq,
                 const std::string& hash) {
  if (!exists) {
    return txn
        .Execute("INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash) VALUES (?, ?, ?)",
                 {tenant.value(), seq, hash})
        .status();
  }
  return txn
      .Execute("UPDATE audit_chain_heads SET last_seq = ?, last_hash = ? WHERE tenant_id = ?",
               {seq, hash, tenant.value()})
      .status();
}

// The audit appends of one transaction that allows deferred writes (the group committer's): each
// tenant's head is read once, events are chained in memory and written when the transaction
// commits (or before a savepoint or a read of the trail), one multi-row insert and one head
// write per tenant. The events and hashes are exactly those of one-by-one appends.
class AuditBatch final : public store::sql::DeferredWrites {
 public:
  static constexpr std::string_view kKey = "governance.audit";

  struct Chain {
    bool head_in_db = false;  // the audit_chain_heads row exists (read or written)
    int64_t seq = 0;          // the chain's last seq, including buffered events
    std::string hash;
    std::vector<AuditEvent> pending;
  };

  // The tenant's chain, its head read (and locked) on first use in this transaction.
  Result<Chain*> ChainFor(store::sql::Transaction& txn, const TenantId& tenant) {
    auto it = chains_.find(tenant.value());
    if (it != chains_.end()) return &it->second;
    GOVFLOW_ASSIGN_OR_RETURN(std::optional<AuditChainHead> head, ReadHeadForAppend(txn, tenant));
    Chain c;
    if (head) {
      c.head_in_db = true;
      c.seq = head->seq;
      c.hash = head->hash;
    } else {
      c.hash = std::string(kAuditGenesisHash);
    }
    return &chains_.emplace(tenant.value(), std::move(c)).first->second;
  }

  // nullptr when the tenant's chain has not been touched in this transaction.
  const Chain* Find(const TenantId& tenant) const {
    auto it = chains_.find(tenant.value());
    return it == chains_.end() ? nullptr : &it->second;
  }

  Status Flush(store::sql::Transaction& txn) override {
    for (auto& [tenant, c] : chains_) {
      if (c.pending.empty()) continue;
      GOVFLOW_RETURN_IF_ERROR(InsertEvents(txn, c.pending));
      GOVFLOW_RETURN_IF_ERROR(WriteHead(txn, TenantId(tenant), c.head_in_db, c.seq, c.hash));
      c.head_in_db = true;
      c.pending.clear();
    }
    return Status::Ok();
  }

  void Reset() override { chains_.clear(); }

 private:
  std::map<std::string, Chain> chains_;  // by tenant id
};

AuditBatch* FindBatch(store::Txn& txn) {
  return static_cast<AuditBatch*>(store::sql::FindDeferredWrites(txn.sql(), AuditBatch::kKey));
}

// Readers of the trail see buffered events too: they are written first.
Status FlushBuffered(store::Txn& txn) {
  if (FindBatch(txn) == nullptr) return Status::Ok();
  return store::sql::FlushDeferredWrites(txn.sql());
}

}  // namespace

Result<AuditEvent> AppendAudit(store::Txn& txn, const TenantId& tenant, const AuditRecord& record) {
  if (record.action.empty()) return InvalidArgument("audit event needs an action");
  GOVFLOW_RETURN_IF_ERROR(ParseDetails(record.details_json).status());

  AuditEvent event;
  event.tenant = tenant;
  event.at = txn.Now();
  event.record = record;
  if (event.record.details_json.empty()) event.record.details_json = "{}";

  if (store::sql::DeferredWritesAllowed(txn.sql())) {
    // Batched: one head read per tenant per transaction, written at commit.
    AuditBatch* batch = FindBatch(txn);
    if (batch == nullptr) {
      batch = static_cast<AuditBatch*>(&store::sql::AddDeferredWrites(
          txn.sql(), std::string(AuditBatch::kKey), std::make_unique<AuditBatch>()));
    }
    GOVFLOW_ASSIGN_OR_RETURN(AuditBatch::Chain * chain, batch->ChainFor(txn.sql(), tenant));
    event.seq = chain->seq + 1;
    event.prev_hash = chain->hash;
    event.hash = ComputeAuditHash(event);
    chain->seq = event.seq;
    chain->hash = event.hash;
    chain->pending.push_back(event);
    return event;
  }

  // Read (and, on PostgreSQL, lock) the tenant's chain head; create it on first use.
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<AuditChainHead> head,
                           ReadHeadForAppend(txn.sql(), tenant));
  if (!head) {
    event.seq = 1;
    event.prev_hash = std::string(kAuditGenesisHash);
  } else {
    event.seq = head->seq + 1;
    event.prev_hash = head->hash;
  }
  event.hash = ComputeAuditHash(event);
  GOVFLOW_RETURN_IF_ERROR(WriteHead(txn.sql(), tenant, head.has_value(), event.seq, event.hash));
  GOVFLOW_RETURN_IF_ERROR(InsertEvents(txn.sql(), {event}));
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
  if (const AuditBatch* batch = FindBatch(txn)) {
    if (const AuditBatch::Chain* c = batch->Find(tenant)) {
      if (c->seq == 0) return std::optional<AuditChainHead>();
      return std::optional<AuditChainHead>(AuditChainHead{c->seq, c->hash});
    }
  }
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
  GOVFLOW_RETURN_IF_ERROR(FlushBuffered(txn));
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
  GOVFLOW_RETURN_IF_ERROR(FlushBuffered(txn));
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
