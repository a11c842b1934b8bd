#include "governance/audit_verify.h"

#include <boost/json.hpp>

namespace govflow::governance {
namespace json = boost::json;

namespace {

std::string Seq(int64_t seq) {
  return std::to_string(seq);
}

// through_seq of an audit.purge event's details, or 0.
int64_t PurgedThrough(const AuditEvent& event) {
  if (event.record.action != "audit.purge") return 0;
  boost::system::error_code ec;
  json::value v = json::parse(event.record.details_json, ec);
  if (ec || !v.is_object()) return 0;
  const json::value* through = v.as_object().if_contains("through_seq");
  if (through == nullptr || !through->is_int64()) return 0;
  return through->as_int64();
}

}  // namespace

std::string_view AuditFaultName(AuditFault fault) {
  switch (fault) {
    case AuditFault::kNone:
      return "none";
    case AuditFault::kMalformed:
      return "malformed";
    case AuditFault::kMissingEvent:
      return "missing_event";
    case AuditFault::kUnexpectedEvent:
      return "unexpected_event";
    case AuditFault::kPrevHashMismatch:
      return "prev_hash_mismatch";
    case AuditFault::kHashMismatch:
      return "hash_mismatch";
    case AuditFault::kBadCheckpointSignature:
      return "bad_checkpoint_signature";
    case AuditFault::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case AuditFault::kHeadMismatch:
      return "head_mismatch";
    case AuditFault::kUnrecordedPurge:
      return "unrecorded_purge";
    case AuditFault::kBadExportSignature:
      return "bad_export_signature";
  }
  return "unknown";
}

std::string AuditVerification::Summary() const {
  if (ok()) {
    if (events == 0) return "audit chain of tenant " + tenant.value() + " verified: no events";
    return "audit chain of tenant " + tenant.value() + " verified: events " + Seq(first_seq) +
           ".." + Seq(last_seq) + " (" + Seq(events) + (events == 1 ? " event, " : " events, ") +
           Seq(checkpoints) + (checkpoints == 1 ? " signed checkpoint)" : " signed checkpoints)");
  }
  return "audit chain of tenant " + tenant.value() + " does not verify: " + message;
}

AuditChainVerifier::AuditChainVerifier(TenantId tenant, std::string public_key)
    : public_key_(std::move(public_key)) {
  report_.tenant = std::move(tenant);
}

void AuditChainVerifier::AddCheckpoint(const AuditCheckpoint& checkpoint) {
  checkpoints_[checkpoint.seq] = checkpoint;
}

void AuditChainVerifier::Fail(AuditFault fault, int64_t seq, std::string message) {
  if (failed()) return;
  report_.fault = fault;
  report_.seq = seq;
  report_.message = std::move(message);
}

bool AuditChainVerifier::CheckCheckpointAt(int64_t seq, std::string_view hash) {
  auto it = checkpoints_.find(seq);
  if (it == checkpoints_.end()) return true;
  const AuditCheckpoint& c = it->second;
  if (c.tenant != report_.tenant || !VerifyAuditCheckpoint(c, public_key_)) {
    Fail(AuditFault::kBadCheckpointSignature, seq,
         "checkpoint at seq " + Seq(seq) +
             ": the signature does not verify with the given public key");
    return false;
  }
  if (c.hash != hash) {
    Fail(AuditFault::kCheckpointMismatch, seq,
         "event " + Seq(seq) + ": its hash is not the one the signed checkpoint at seq " +
             Seq(seq) + " records (the chain was rewritten)");
    return false;
  }
  ++report_.checkpoints;
  return true;
}

bool AuditChainVerifier::Start(int64_t first_seq, std::string_view prev_hash, bool anchored) {
  next_seq_ = first_seq;
  prev_hash_ = std::string(prev_hash);
  anchored_ = anchored && first_seq > 1;
  anchor_seq_ = first_seq - 1;
  if (failed()) return false;
  if (first_seq == 1 && prev_hash != kAuditGenesisHash) {
    Fail(AuditFault::kPrevHashMismatch, 1,
         "event 1: the chain does not start from the genesis hash");
    return false;
  }
  if (anchored_ && !checkpoints_.contains(anchor_seq_)) {
    Fail(AuditFault::kCheckpointMismatch, anchor_seq_,
         "the chain starts after seq " + Seq(anchor_seq_) +
             " (purged) but there is no signed checkpoint at seq " + Seq(anchor_seq_));
    return false;
  }
  if (first_seq > 1 && !CheckCheckpointAt(anchor_seq_, prev_hash)) return false;
  return true;
}

bool AuditChainVerifier::AddEvent(const AuditEvent& event) {
  if (failed()) return false;
  const int64_t seq = event.seq;
  if (seq > next_seq_) {
    Fail(AuditFault::kMissingEvent, next_seq_,
         "event " + Seq(next_seq_) + " is missing (the next event is " + Seq(seq) + ")");
    return false;
  }
  if (seq < next_seq_) {
    Fail(AuditFault::kUnexpectedEvent, seq,
         "event " + Seq(seq) + " is out of place (expected event " + Seq(next_seq_) + ")");
    return false;
  }
  if (event.prev_hash != prev_hash_) {
    Fail(AuditFault::kPrevHashMismatch, seq,
         "event " + Seq(seq) +
             ": prev_hash is not the hash of the event before it (events were reordered, "
             "inserted or removed)");
    return false;
  }
  if (ComputeAuditHash(event) != event.hash) {
    Fail(AuditFault::kHashMismatch, seq,
         "event " + Seq(seq) + ": its hash does not match its content (the event was changed)");
    return false;
  }
  if (report_.events == 0) report_.first_seq = seq;
  report_.last_seq = seq;
  ++report_.events;
  recorded_purge_through_ = std::max(recorded_purge_through_, PurgedThrough(event));
  prev_hash_ = event.hash;
  ++next_seq_;
  return CheckCheckpointAt(seq, event.hash);
}

AuditVerification AuditChainVerifier::Finish(int64_t last_seq, std::string_view last_hash,
                                             std::string_view end_what) {
  if (failed()) return report_;
  const int64_t last = next_seq_ - 1;
  // A validly signed checkpoint beyond the last event proves events were cut off the end.
  if (auto it = checkpoints_.upper_bound(last); it != checkpoints_.end()) {
    if (!VerifyAuditCheckpoint(it->second, public_key_) || it->second.tenant != report_.tenant) {
      Fail(AuditFault::kBadCheckpointSignature, it->first,
           "checkpoint at seq " + Seq(it->first) +
               ": the signature does not verify with the given public key");
    } else {
      Fail(AuditFault::kMissingEvent, last + 1,
           "event " + Seq(last + 1) +
               " is missing (a signed checkpoint covers the chain "
               "through seq " +
               Seq(it->first) + ")");
    }
    return report_;
  }
  if (last < last_seq) {
    Fail(AuditFault::kMissingEvent, last + 1,
         "event " + Seq(last + 1) + " is missing (" + std::string(end_what) + " is at seq " +
             Seq(last_seq) + ")");
  } else if (last > last_seq) {
    Fail(AuditFault::kUnexpectedEvent, last_seq + 1,
         "event " + Seq(last_seq + 1) + " is past the end of the chain (" + std::string(end_what) +
             " is at seq " + Seq(last_seq) + ")");
  } else if (last > 0 && prev_hash_ != last_hash) {
    Fail(AuditFault::kHeadMismatch, last,
         "event " + Seq(last) + ": its hash is not the one " + std::string(end_what) + " records");
  } else if (anchored_ && recorded_purge_through_ != anchor_seq_) {
    Fail(AuditFault::kUnrecordedPurge, anchor_seq_ + 1,
         "the chain starts after seq " + Seq(anchor_seq_) +
             " but no audit.purge event in it records a purge through seq " + Seq(anchor_seq_));
  }
  return report_;
}

Result<AuditVerification> VerifyAuditChain(store::Txn& txn, const TenantId& tenant,
                                           std::string_view public_key) {
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<AuditChainHead> head, GetAuditChainHead(txn, tenant));
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<AuditAnchor> anchor, GetAuditAnchor(txn, tenant));
  const int64_t first_seq = anchor ? anchor->seq + 1 : 1;
  AuditChainVerifier verifier(tenant, std::string(public_key));
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditCheckpoint> checkpoints,
                           ListAuditCheckpoints(txn, tenant, first_seq - 1));
  for (const auto& c : checkpoints) verifier.AddCheckpoint(c);
  if (verifier.Start(first_seq, anchor ? anchor->hash : std::string(kAuditGenesisHash),
                     anchor.has_value())) {
    constexpr int kPage = 1000;
    int64_t from = first_seq;
    while (true) {
      GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditEvent> page,
                               ReadStoredAuditEvents(txn, tenant, from, 0, kPage));
      for (const AuditEvent& e : page) {
        if (!verifier.AddEvent(e)) break;
      }
      if (verifier.failed() || page.size() < static_cast<size_t>(kPage)) break;
      from = page.back().seq + 1;
    }
  }
  return verifier.Finish(head ? head->seq : 0, head ? head->hash : std::string(), "the chain head");
}

Result<AuditVerification> VerifyAuditChain(store::Store& store, const TenantId& tenant,
                                           std::string_view public_key) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  if (txn.dialect() == store::sql::Dialect::kPostgres) {
    // One snapshot for the head, the checkpoints and every page of events.
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql().Execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").status());
  }
  return VerifyAuditChain(txn, tenant, public_key);
}

}  // namespace govflow::governance
