// Signed checkpoints of the per-tenant audit chains, the scheduled job that makes them, and the
// retention of audit events themselves (purging through a checkpoint, which then anchors the
// chain). A checkpoint is an Ed25519 signature over (tenant, seq, hash, at) of the chain head:
// rewriting any event at or before seq, even with every later hash recomputed, no longer matches
// it, and nobody without the signing key can make a new one. Functions on a Txn run in the
// caller's transaction; the Store overloads run their own. Thread-safe as the Store is.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/audit_signer.h"
#include "store/store.h"

namespace govflow::governance {

struct AuditCheckpoint {
  TenantId tenant;
  int64_t seq = 0;         // the chain head's seq when signed
  std::string hash;        // ... and its hash (hex)
  TimePoint at;            // when the checkpoint was made
  std::string public_key;  // base64 of the signing public key
  std::string signature;   // base64 of the 64-byte Ed25519 signature of AuditCheckpointMessage
};

// The signed bytes: the canonical JSON (base/canonical_json.h) of
//   {"at":<unix us>,"hash":"<hex>","seq":<n>,"tenant":"<id>","type":"govflow.audit.checkpoint.v1"}
std::string AuditCheckpointMessage(const TenantId& tenant, int64_t seq, std::string_view hash,
                                   TimePoint at);
// true iff the checkpoint's signature verifies with `public_key` (raw 32 bytes).
bool VerifyAuditCheckpoint(const AuditCheckpoint& checkpoint, std::string_view public_key);

// Signs `tenant`'s current chain head (at = txn.Now()) and stores the checkpoint. Idempotent: a
// checkpoint already at the head is returned as it is. kFailedPrecondition when the tenant has no
// events.
Result<AuditCheckpoint> CreateCheckpoint(store::Txn& txn, const TenantId& tenant,
                                         const AuditSigner& signer);
Result<AuditCheckpoint> CreateCheckpoint(store::Store& store, const TenantId& tenant,
                                         const AuditSigner& signer);

// `tenant`'s stored checkpoints with seq in [from_seq, to_seq] (to_seq <= 0: no upper bound),
// in seq order.
Result<std::vector<AuditCheckpoint>> ListAuditCheckpoints(store::Txn& txn, const TenantId& tenant,
                                                          int64_t from_seq = 0, int64_t to_seq = 0);

// When the scheduled job signs a chain: its head has moved past its latest checkpoint, and either
// `every_events` events were appended since, or `every` time has passed since that checkpoint (a
// chain without any checkpoint is due as soon as it has an event).
struct AuditCheckpointPolicy {
  int64_t every_events = 1000;
  std::chrono::microseconds every = std::chrono::hours(1);
};

// The scheduled job (`govflow serve` runs it periodically): checkpoints every tenant's chain that
// `policy` says is due at clock.Now(), each tenant in its own transaction. Cross-tenant by design
// (a system job over the chain heads). Returns how many checkpoints it made; when some tenant
// fails, the others are still tried and the first error is returned.
Result<int> CheckpointDueChains(store::Store& store, const Clock& clock, const AuditSigner& signer,
                                const AuditCheckpointPolicy& policy);

// Where a purged chain starts: events 1..seq are gone; the next event's prev_hash is `hash`,
// which the signed checkpoint at seq vouches for.
struct AuditAnchor {
  int64_t seq = 0;
  std::string hash;
  TimePoint purged_at;
};
Result<std::optional<AuditAnchor>> GetAuditAnchor(store::Txn& txn, const TenantId& tenant);

// Retention of the audit class itself: deletes `tenant`'s events with seq <= `seq` and the
// checkpoints before seq, keeps the checkpoint at seq as the chain's anchor, and appends an
// "audit.purge" event (actor system:retention, details {"events_deleted":n,"through_seq":seq})
// so the purge is itself on the record. `seq` must be the seq of a stored checkpoint
// (kFailedPrecondition otherwise). Returns how many events were deleted (0 when the chain was
// already purged through seq or beyond). Legal holds are the caller's to check.
Result<int64_t> PurgeAuditEventsThrough(store::Txn& txn, const TenantId& tenant, int64_t seq);

}  // namespace govflow::governance
