#include "governance/audit_export.h"

#include <boost/json.hpp>
#include <vector>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/audit_checkpoint.h"

namespace govflow::governance {
namespace json = boost::json;

namespace {

constexpr std::string_view kAlgorithm =
    "Each event line's hash is the lower-case hex SHA-256 of its prev_hash (hex text) followed by "
    "its canonical event: the line's JSON object without the keys type, prev_hash and hash, "
    "written with keys sorted by bytes and no whitespace. Events of a chain have seq 1, 2, 3 ... "
    "and each prev_hash is the previous event's hash (64 zeros before seq 1). Checkpoint lines "
    "carry an Ed25519 signature (base64) of the canonical JSON {at,hash,seq,tenant,"
    "type:\"govflow.audit.checkpoint.v1\"}; the end line one of {events,exported_at,"
    "first_prev_hash,first_seq,last_hash,last_seq,tenant,type:\"govflow.audit.export.v1\"}. "
    "Verify with the published public key; see docs/governance/audit.md.";

int64_t Micros(TimePoint t) {
  return static_cast<int64_t>(t.time_since_epoch().count());
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

std::string EventLine(const AuditEvent& e) {
  json::value v = json::parse(CanonicalAuditEvent(e));
  json::object& o = v.as_object();
  o["type"] = "event";
  o["prev_hash"] = e.prev_hash;
  o["hash"] = e.hash;
  return CanonicalJson(v);
}

std::string CheckpointLine(const AuditCheckpoint& c) {
  json::object o;
  o["type"] = "checkpoint";
  o["tenant"] = c.tenant.value();
  o["seq"] = c.seq;
  o["hash"] = c.hash;
  o["at"] = Micros(c.at);
  o["public_key"] = c.public_key;
  o["signature"] = c.signature;
  return CanonicalJson(json::value(std::move(o)));
}

// Typed access to a parsed line; any missing or mistyped field makes the line malformed.
struct LineReader {
  const json::object& o;
  bool ok = true;
  std::string missing;

  std::string Text(std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return Bad(key), std::string();
    return std::string(v->as_string());
  }
  int64_t Int(std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_int64()) return Bad(key), 0;
    return v->as_int64();
  }
  void Bad(std::string_view key) {
    if (ok) missing = std::string(key);
    ok = false;
  }
};

struct EndLine {
  TenantId tenant;
  int64_t first_seq = 0;
  std::string first_prev_hash;
  int64_t last_seq = 0;
  std::string last_hash;
  int64_t events = 0;
  TimePoint exported_at;
  std::string signature;
};

}  // namespace

std::string AuditExportEndMessage(const TenantId& tenant, int64_t first_seq,
                                  std::string_view first_prev_hash, int64_t last_seq,
                                  std::string_view last_hash, int64_t events,
                                  TimePoint exported_at) {
  json::object o;
  o["type"] = kAuditExportFormat;
  o["tenant"] = tenant.value();
  o["first_seq"] = first_seq;
  o["first_prev_hash"] = first_prev_hash;
  o["last_seq"] = last_seq;
  o["last_hash"] = last_hash;
  o["events"] = events;
  o["exported_at"] = Micros(exported_at);
  return CanonicalJson(json::value(std::move(o)));
}

Result<AuditExportSummary> ExportAuditChain(store::Store& store, const TenantId& tenant,
                                            const AuditSigner& signer,
                                            const AuditExportRange& range, std::ostream& out) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  if (txn.dialect() == store::sql::Dialect::kPostgres) {
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql().Execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").status());
  }
  // Never sign what does not verify.
  GOVFLOW_ASSIGN_OR_RETURN(AuditVerification check,
                           VerifyAuditChain(txn, tenant, signer.public_key()));
  if (!check.ok()) return FailedPrecondition("not exported: " + check.Summary());

  std::string sql = "SELECT MIN(seq), MAX(seq) FROM audit_events WHERE tenant_id = ? AND seq >= ?";
  store::sql::Params params{tenant.value(), check.first_seq};
  if (range.from) {
    sql += " AND at >= ?";
    params.emplace_back(Micros(*range.from));
  }
  if (range.to) {
    sql += " AND at < ?";
    params.emplace_back(Micros(*range.to));
  }
  GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows bounds, txn.sql().Query(sql, params));
  if (check.events == 0 || bounds.empty() || bounds[0].IsNull(0)) {
    return NotFound("tenant " + tenant.value() + " has no audit events in the range");
  }
  const int64_t first = bounds[0].Int(0);
  const int64_t last = bounds[0].Int(1);
  const TimePoint exported_at = txn.Now();

  json::object header;
  header["type"] = "header";
  header["format"] = kAuditExportFormat;
  header["tenant"] = tenant.value();
  header["public_key"] = signer.PublicKeyBase64();
  header["exported_at"] = Micros(exported_at);
  header["algorithm"] = kAlgorithm;
  out << CanonicalJson(json::value(std::move(header))) << "\n";

  GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditCheckpoint> checkpoints,
                           ListAuditCheckpoints(txn, tenant, first - 1, last));
  size_t next_cp = 0;
  if (next_cp < checkpoints.size() && checkpoints[next_cp].seq == first - 1) {
    out << CheckpointLine(checkpoints[next_cp++]) << "\n";
  }
  AuditExportSummary summary;
  summary.first_seq = first;
  summary.last_seq = last;
  std::string first_prev_hash, last_hash;
  constexpr int kPage = 1000;
  for (int64_t from = first; from <= last;) {
    GOVFLOW_ASSIGN_OR_RETURN(std::vector<AuditEvent> page,
                             ReadStoredAuditEvents(txn, tenant, from, last, kPage));
    if (page.empty()) break;
    for (const AuditEvent& e : page) {
      if (summary.events == 0) first_prev_hash = e.prev_hash;
      last_hash = e.hash;
      ++summary.events;
      out << EventLine(e) << "\n";
      while (next_cp < checkpoints.size() && checkpoints[next_cp].seq <= e.seq) {
        if (checkpoints[next_cp].seq == e.seq) {
          out << CheckpointLine(checkpoints[next_cp]) << "\n";
          ++summary.checkpoints;
        }
        ++next_cp;
      }
    }
    from = page.back().seq + 1;
  }
  const std::string signature = AuditBase64(signer.Sign(AuditExportEndMessage(
      tenant, first, first_prev_hash, last, last_hash, summary.events, exported_at)));
  json::object end;
  end["type"] = "end";
  end["tenant"] = tenant.value();
  end["first_seq"] = first;
  end["first_prev_hash"] = first_prev_hash;
  end["last_seq"] = last;
  end["last_hash"] = last_hash;
  end["events"] = summary.events;
  end["exported_at"] = Micros(exported_at);
  end["signature"] = signature;
  out << CanonicalJson(json::value(std::move(end))) << "\n";
  out.flush();
  if (!out) return Unavailable("cannot write the audit export");
  return summary;
}

AuditVerification VerifyAuditExport(std::istream& in, std::string_view public_key) {
  std::string line;
  int64_t line_no = 0;
  auto malformed = [](std::string message) {
    AuditVerification r;
    r.fault = AuditFault::kMalformed;
    r.message = std::move(message);
    return r;
  };

  // The header names the tenant.
  if (!std::getline(in, line)) return malformed("the export is empty");
  ++line_no;
  TenantId tenant;
  {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) return malformed("line 1: not a govflow audit export header");
    LineReader r{v.as_object()};
    const std::string type = r.Text("type");
    const std::string format = r.Text("format");
    tenant = TenantId(r.Text("tenant"));
    if (!r.ok || type != "header" || format != kAuditExportFormat) {
      return malformed("line 1: not a " + std::string(kAuditExportFormat) + " header");
    }
  }

  // Read every line first: checkpoints are checked as the events they sign go by, and the
  // signed end line says where the chain starts and ends.
  struct Line {
    int64_t number = 0;
    bool parsed = false;
    std::string problem;
    std::optional<AuditEvent> event;
  };
  std::vector<Line> events;
  std::vector<AuditCheckpoint> checkpoints;
  std::optional<EndLine> end;
  int64_t end_line_no = 0;
  bool lines_after_end = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    if (end) {
      lines_after_end = true;
      break;
    }
    Line l;
    l.number = line_no;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      l.problem = "not a JSON object";
      events.push_back(std::move(l));
      continue;
    }
    LineReader r{v.as_object()};
    const std::string type = r.Text("type");
    if (type == "event") {
      AuditEvent e;
      e.tenant = TenantId(r.Text("tenant"));
      e.seq = r.Int("seq");
      e.at = FromMicros(r.Int("at"));
      e.record.actor = r.Text("actor");
      e.record.action = r.Text("action");
      e.record.object_type = r.Text("object_type");
      e.record.object_id = r.Text("object_id");
      e.record.reason = r.Text("reason");
      e.record.before_digest = r.Text("before");
      e.record.after_digest = r.Text("after");
      const json::value* details = v.as_object().if_contains("details");
      if (details == nullptr) {
        r.Bad("details");
      } else if (details->is_string()) {
        e.record.details_json = std::string(details->as_string());
      } else {
        e.record.details_json = json::serialize(*details);
      }
      e.prev_hash = r.Text("prev_hash");
      e.hash = r.Text("hash");
      // Exactly the fields of the canonical event plus type, prev_hash and hash.
      if (r.ok && v.as_object().size() != 14) r.Bad("(unknown fields)");
      if (!r.ok) {
        l.problem = "event field " + r.missing + " is missing or mistyped";
      } else {
        l.parsed = true;
        l.event = std::move(e);
      }
      events.push_back(std::move(l));
    } else if (type == "checkpoint") {
      AuditCheckpoint c;
      c.tenant = TenantId(r.Text("tenant"));
      c.seq = r.Int("seq");
      c.hash = r.Text("hash");
      c.at = FromMicros(r.Int("at"));
      c.public_key = r.Text("public_key");
      c.signature = r.Text("signature");
      // A malformed checkpoint cannot vouch for anything: keep it with an empty signature, so
      // the event it claims to sign reports a bad checkpoint signature.
      if (!r.ok) c.signature.clear();
      checkpoints.push_back(std::move(c));
    } else if (type == "end") {
      EndLine e;
      e.tenant = TenantId(r.Text("tenant"));
      e.first_seq = r.Int("first_seq");
      e.first_prev_hash = r.Text("first_prev_hash");
      e.last_seq = r.Int("last_seq");
      e.last_hash = r.Text("last_hash");
      e.events = r.Int("events");
      e.exported_at = FromMicros(r.Int("exported_at"));
      e.signature = r.Text("signature");
      if (!r.ok)
        return malformed("line " + std::to_string(line_no) + ": the end line's field " + r.missing +
                         " is missing or mistyped");
      end = std::move(e);
      end_line_no = line_no;
    } else {
      l.problem = "unknown line type";
      events.push_back(std::move(l));
    }
  }
  if (!end) {
    AuditVerification r = malformed("the export has no end line (it was cut short)");
    r.tenant = tenant;
    return r;
  }
  if (lines_after_end) {
    AuditVerification r =
        malformed("line " + std::to_string(line_no) + ": lines after the end line");
    r.tenant = tenant;
    return r;
  }

  AuditChainVerifier verifier(tenant, std::string(public_key));
  for (const AuditCheckpoint& c : checkpoints) verifier.AddCheckpoint(c);
  if (verifier.Start(end->first_seq, end->first_prev_hash, /*anchored=*/false)) {
    int64_t expected = end->first_seq;
    for (const Line& l : events) {
      if (!l.parsed) {
        verifier.Fail(AuditFault::kMalformed, expected,
                      "event " + std::to_string(expected) + ": line " + std::to_string(l.number) +
                          " where it was expected is malformed (" + l.problem + ")");
        break;
      }
      if (!verifier.AddEvent(*l.event)) break;
      expected = l.event->seq + 1;
    }
  }
  AuditVerification report =
      verifier.Finish(end->last_seq, end->last_hash, "the export's end line");
  if (!report.ok()) return report;
  auto signature = AuditFromBase64(end->signature);
  if (end->tenant != tenant || report.events != end->events || !signature.ok() ||
      !VerifyAuditSignature(
          public_key,
          AuditExportEndMessage(end->tenant, end->first_seq, end->first_prev_hash, end->last_seq,
                                end->last_hash, end->events, end->exported_at),
          *signature)) {
    report.fault = AuditFault::kBadExportSignature;
    report.seq = 0;
    report.message = "line " + std::to_string(end_line_no) +
                     ": the export's end line does not verify with the given public key";
  }
  return report;
}

}  // namespace govflow::governance
