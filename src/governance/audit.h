// The audit trail (DESIGN.md invariant 5): every human action, configuration change, approval
// decision, exception action and run transition appends an AuditEvent in the same transaction as
// the change it records. Events are hash-chained per tenant: hash = SHA-256(prev_hash || canonical
// event), where the canonical event is the JSON object of CanonicalAuditEvent (sorted keys, no
// spaces). Payloads never enter the trail: only their digests (Sha256Hex), so retention can purge
// payload bodies while the chain still verifies. Thread-safety: Append works on the caller's Txn;
// concurrent appenders for one tenant serialise on that tenant's chain head row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "store/store.h"

namespace govflow::governance {

// What the caller says about the change.
struct AuditRecord {
  std::string actor;        // "user:alice", "token:tk_..", "system:runtime" (Actor::id)
  std::string action;       // dotted verb: "exception.acknowledge", "document.publish", ...
  std::string object_type;  // "exception_case", "document", "run", "user", ...
  std::string object_id;
  std::string reason;         // the human's comment or the system's reason; may be ""
  std::string before_digest;  // hex SHA-256 of the object's state before, or ""
  std::string after_digest;   // ... after, or ""
  // Small structured facts (ids, states, field names). Never payload bodies or secrets. Must be
  // a JSON object; "" means {}.
  std::string details_json;
};

// A stored event.
struct AuditEvent {
  TenantId tenant;
  int64_t seq = 0;  // 1, 2, 3 ... per tenant
  TimePoint at;
  AuditRecord record;
  std::string prev_hash;  // hex; 64 zeros for seq 1
  std::string hash;       // hex SHA-256(prev_hash || CanonicalAuditEvent(event))
};

inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The canonical bytes that are hashed: a JSON object with keys action, actor, after, at (Unix
// microseconds), before, details (the parsed details object), object_id, object_type, reason,
// seq, tenant; sorted keys, no whitespace (base/canonical_json.h).
std::string CanonicalAuditEvent(const AuditEvent& event);
// SHA-256(prev_hash || CanonicalAuditEvent(event)) in hex.
std::string ComputeAuditHash(const AuditEvent& event);

// Appends an event to `tenant`'s chain inside `txn` (at = txn.Now()) and returns it with its seq
// and hash. kInvalidArgument if details_json is not a JSON object or action is empty.
Result<AuditEvent> AppendAudit(store::Txn& txn, const TenantId& tenant, const AuditRecord& record);

// A tenant's chain head: the last appended event's seq and hash.
struct AuditChainHead {
  int64_t seq = 0;
  std::string hash;
};
// nullopt when the tenant has no events yet.
Result<std::optional<AuditChainHead>> GetAuditChainHead(store::Txn& txn, const TenantId& tenant);

class TenantScope;

// Which events ListAuditEvents returns. Empty strings and nullopts do not filter.
struct AuditQuery {
  std::string object_type;        // exact
  std::string object_id;          // exact
  std::string actor;              // exact ("user:alice")
  std::string action_prefix;      // "exception." matches every exception action
  std::optional<TimePoint> from;  // at >= from
  std::optional<TimePoint> to;    // at < to
  int64_t after_seq = 0;          // cursor: only events with seq > after_seq
  int limit = 100;                // 1..10000; the caller pages with after_seq = last seq
};

// The scope's tenant's events matching `query`, in seq order (oldest first). Requires
// perm::kAuditRead (kPermissionDenied otherwise); kInvalidArgument for a limit out of range.
Result<std::vector<AuditEvent>> ListAuditEvents(store::Txn& txn, const TenantScope& scope,
                                                const AuditQuery& query);

// Reads `tenant`'s stored events with seq in [from_seq, to_seq] (to_seq <= 0: no upper bound),
// at most `limit`, in seq order, exactly as stored (no checking). For the verifier and the
// exporter, which run as operator tools over a whole chain; other callers use ListAuditEvents.
Result<std::vector<AuditEvent>> ReadStoredAuditEvents(store::Txn& txn, const TenantId& tenant,
                                                      int64_t from_seq, int64_t to_seq, int limit);

}  // namespace govflow::governance
