// The auditor's copy of a tenant's audit chain: JSON lines that can be verified with the
// published public key and nothing else (docs/governance/audit.md gives the format and the
// algorithm precisely enough to reimplement). The export is signed at the end, so cutting lines
// off the end, or off the start of a range, is detected like any other change. Functions are
// thread-compatible; the exporter reads one store snapshot.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/audit_signer.h"
#include "governance/audit_verify.h"
#include "store/store.h"

namespace govflow::governance {

inline constexpr std::string_view kAuditExportFormat = "govflow.audit.export.v1";

// Which events to export: the contiguous run of seqs from the first event at or after `from`
// to the last event before `to` (unset: the chain's start / end).
struct AuditExportRange {
  std::optional<TimePoint> from;
  std::optional<TimePoint> to;
};

struct AuditExportSummary {
  int64_t first_seq = 0;
  int64_t last_seq = 0;
  int64_t events = 0;
  int64_t checkpoints = 0;
};

// The signed bytes of an export's end line: the canonical JSON of
//   {"events":n,"exported_at":<unix us>,"first_prev_hash":"<hex>","first_seq":n,
//    "last_hash":"<hex>","last_seq":n,"tenant":"<id>","type":"govflow.audit.export.v1"}
std::string AuditExportEndMessage(const TenantId& tenant, int64_t first_seq,
                                  std::string_view first_prev_hash, int64_t last_seq,
                                  std::string_view last_hash, int64_t events,
                                  TimePoint exported_at);

// Writes `tenant`'s events in `range` to `out` as JSON lines: a header, then each event followed
// by the checkpoint at its seq (if any), preceded by the checkpoint just before the range (if
// any), and a signed end line. The whole stored chain is verified first (with the signer's
// public key): a chain that does not verify is not exported (kFailedPrecondition with the
// verification's summary). kNotFound when no event falls in the range.
Result<AuditExportSummary> ExportAuditChain(store::Store& store, const TenantId& tenant,
                                            const AuditSigner& signer,
                                            const AuditExportRange& range, std::ostream& out);

// Verifies an export offline with `public_key` (raw 32 bytes) and nothing else; the key in the
// file's header is informational only. Never fails as a call: the report says what is wrong,
// naming the first event that does not verify.
AuditVerification VerifyAuditExport(std::istream& in, std::string_view public_key);

}  // namespace govflow::governance
