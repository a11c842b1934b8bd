// Verifying a tenant's audit chain, in the store or in an export file: every event links to the
// previous one (prev_hash), its hash is SHA-256(prev_hash || canonical event), seqs have no gaps,
// the chain ends where its head (or the export's signed end) says, and every checkpoint's
// Ed25519 signature verifies with the given public key and matches the chain. The report names
// the first event that does not verify and why. Thread-compatible (a verifier is one-shot).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/ids.h"
#include "base/status.h"
#include "governance/audit.h"
#include "governance/audit_checkpoint.h"
#include "store/store.h"

namespace govflow::governance {

enum class AuditFault {
  kNone,
  kMalformed,         // an export line that is not a well-formed record
  kMissingEvent,      // a seq is absent: an event was deleted (seq names it)
  kUnexpectedEvent,   // an event where none belongs (duplicated, out of order, past the end)
  kPrevHashMismatch,  // prev_hash is not the previous event's hash: reordered/inserted/removed
  kHashMismatch,      // the stored hash is not the hash of the content: the event changed
  kBadCheckpointSignature,  // a checkpoint's signature does not verify with the public key
  kCheckpointMismatch,      // a validly signed checkpoint disagrees with the chain: rewritten
  kHeadMismatch,            // the last event's hash is not the chain head's
  kUnrecordedPurge,         // the chain starts after an anchor that no audit.purge event records
  kBadExportSignature,      // an export's signed end line does not verify
};
std::string_view AuditFaultName(AuditFault fault);

struct AuditVerification {
  TenantId tenant;
  AuditFault fault = AuditFault::kNone;
  int64_t seq = 0;        // the first event (or checkpoint) that does not verify; 0 if none/unknown
  std::string message;    // what is wrong, naming the event
  int64_t first_seq = 0;  // the events checked: first_seq..last_seq
  int64_t last_seq = 0;
  int64_t events = 0;
  int64_t checkpoints = 0;  // checkpoints whose signature and hash were checked

  bool ok() const { return fault == AuditFault::kNone; }
  // One line for people: "audit chain of tenant acme verified: events 1..20 (20 events, 2 signed
  // checkpoints)" or "audit chain of tenant acme does not verify: event 7: ...".
  std::string Summary() const;
};

// Checks a chain fed in order. Both the store and the export verifiers drive it; exposed so that
// other readers (an API endpoint streaming events) can too.
class AuditChainVerifier {
 public:
  // `public_key`: raw 32 bytes ("" verifies no signature: every checkpoint then fails).
  AuditChainVerifier(TenantId tenant, std::string public_key);

  // Checkpoints the events will be checked against (any order; call before Start).
  void AddCheckpoint(const AuditCheckpoint& checkpoint);
  // The chain (or range) starts at event `first_seq`, whose prev_hash must be `prev_hash`. When
  // first_seq > 1 and `anchored` is true, a valid checkpoint at first_seq - 1 with that hash is
  // required (a purged chain), and the chain must record the purge (an audit.purge event with
  // through_seq = first_seq - 1). Returns false once a fault was found.
  bool Start(int64_t first_seq, std::string_view prev_hash, bool anchored);
  // The next event. Returns false once a fault was found (stop feeding).
  bool AddEvent(const AuditEvent& event);
  // Fails the verification with `fault` at `seq` (for readers that find a problem themselves)
  // unless it already failed.
  void Fail(AuditFault fault, int64_t seq, std::string message);
  // The chain must end at `last_seq` with `last_hash` (`end_what` names the authority in
  // messages: "the chain head", "the export's end line"). A chain with no events passes when
  // last_seq is 0.
  AuditVerification Finish(int64_t last_seq, std::string_view last_hash, std::string_view end_what);

  bool failed() const { return !report_.ok(); }

 private:
  bool CheckCheckpointAt(int64_t seq, std::string_view hash);

  std::string public_key_;
  std::map<int64_t, AuditCheckpoint> checkpoints_;
  AuditVerification report_;
  bool anchored_ = false;
  int64_t anchor_seq_ = 0;
  int64_t recorded_purge_through_ = 0;
  int64_t next_seq_ = 1;
  std::string prev_hash_;
};

// Verifies `tenant`'s chain as stored, in one read-only snapshot: from its anchor (if retention
// purged its start) to its head, checking every stored checkpoint with `public_key` (raw 32
// bytes). Errors are only for failing to read the store; a chain that does not verify is an ok
// Result whose report says why.
Result<AuditVerification> VerifyAuditChain(store::Store& store, const TenantId& tenant,
                                           std::string_view public_key);
// The same inside the caller's transaction (which should be a snapshot: a read-only SQLite
// transaction, or REPEATABLE READ on PostgreSQL, so concurrent appends do not look like faults).
Result<AuditVerification> VerifyAuditChain(store::Txn& txn, const TenantId& tenant,
                                           std::string_view public_key);

}  // namespace govflow::governance
