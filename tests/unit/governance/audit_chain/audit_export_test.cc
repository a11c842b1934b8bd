// The auditor's export: JSON lines verified offline with the public key and nothing else. A
// changed, deleted or reordered line names the event; another key fails; a purged chain and a
// time range still verify; a tampered store is not exported. On both stores.
#include "governance/audit_export.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "governance/audit_checkpoint.h"
#include "unit/governance/audit_chain/audit_test_util.h"

namespace govflow::governance {
namespace {

std::string S(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The index of the event line with `seq`.
size_t EventLine(const std::vector<std::string>& lines, int64_t seq) {
  for (size_t i = 0; i < lines.size(); ++i) {
    boost::json::value v = boost::json::parse(lines[i]);
    if (S(v.at("type")) == "event" && v.at("seq").as_int64() == seq) return i;
  }
  ADD_FAILURE() << "no event line " << seq;
  return 0;
}

class AuditExportTest : public AuditChainTest {
 protected:
  std::string Export(const TenantId& tenant, AuditExportRange range = {}) {
    std::ostringstream out;
    auto s = ExportAuditChain(*store_, tenant, Signer(), range, out);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return out.str();
  }
  AuditVerification VerifyText(const std::string& text, char key = 'k') {
    std::istringstream in(text);
    return VerifyAuditExport(in, Signer(key).public_key());
  }
};

TEST_P(AuditExportTest, ExportVerifiesOfflineWithThePublicKey) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 2);
  const std::string text = Export(t);
  std::vector<std::string> lines = Lines(text);
  ASSERT_EQ(lines.size(), 1u + 5u + 1u + 1u);  // header, events, checkpoint, end
  boost::json::value header = boost::json::parse(lines[0]);
  EXPECT_EQ(S(header.at("type")), "header");
  EXPECT_EQ(S(header.at("format")), "govflow.audit.export.v1");
  EXPECT_EQ(S(header.at("tenant")), "acme");
  EXPECT_EQ(S(header.at("public_key")), Signer().PublicKeyBase64());
  EXPECT_EQ(S(boost::json::parse(lines[4]).at("type")), "checkpoint");
  EXPECT_EQ(S(boost::json::parse(lines.back()).at("type")), "end");
  AuditVerification v = VerifyText(text);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.events, 5);
  EXPECT_EQ(v.checkpoints, 1);
  EXPECT_EQ(v.Summary(),
            "audit chain of tenant acme verified: events 1..5 (5 events, 1 signed checkpoint)");
}

TEST_P(AuditExportTest, EventLinesCarryEveryCanonicalFieldAndHashAsDocumented) {
  const TenantId t("acme");
  std::vector<AuditEvent> events = AppendEvents(t, 1);
  std::vector<std::string> lines = Lines(Export(t));
  boost::json::object o = boost::json::parse(lines[1]).as_object();
  EXPECT_EQ(o.size(), 14u);
  EXPECT_EQ(S(o.at("prev_hash")), events[0].prev_hash);
  EXPECT_EQ(S(o.at("hash")), events[0].hash);
  // The documented algorithm, from the line alone.
  const std::string prev(o.at("prev_hash").as_string());
  const std::string hash(o.at("hash").as_string());
  o.erase("type");
  o.erase("prev_hash");
  o.erase("hash");
  EXPECT_EQ(Sha256Hex(prev + CanonicalJson(boost::json::value(o))), hash);
}

TEST_P(AuditExportTest, ChangedLineNamesTheEvent) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  std::vector<std::string> lines = Lines(Export(t));
  size_t i = EventLine(lines, 3);
  const size_t at = lines[i].find("user:alice");
  ASSERT_NE(at, std::string::npos);
  lines[i][at + 9] = 'f';  // user:alicf
  AuditVerification v = VerifyText(Join(lines));
  EXPECT_EQ(v.fault, AuditFault::kHashMismatch);
  EXPECT_EQ(v.seq, 3);
  EXPECT_EQ(v.Summary(),
            "audit chain of tenant acme does not verify: event 3: its hash does not match its "
            "content (the event was changed)");
}

TEST_P(AuditExportTest, EveryFieldOfAnEventLineIsCovered) {
  const TenantId t("acme");
  AppendEvents(t, 4);
  const std::vector<std::string> lines = Lines(Export(t));
  const size_t i = EventLine(lines, 2);
  const boost::json::object original = boost::json::parse(lines[i]).as_object();
  for (const auto& field : original) {
    if (field.key() == "type") continue;
    SCOPED_TRACE(std::string(field.key()));
    boost::json::object changed = original;
    boost::json::value& value = changed[field.key()];
    if (value.is_int64()) {
      value = value.as_int64() + 1;
    } else if (value.is_string()) {
      value = FlipByte(std::string(value.as_string()));
    } else {
      value.as_object()["k"] = "other";
    }
    std::vector<std::string> tampered = lines;
    tampered[i] = boost::json::serialize(changed);
    AuditVerification v = VerifyText(Join(tampered));
    EXPECT_FALSE(v.ok());
    // Changing seq itself makes event 2 look missing: either way event 2 is named.
    EXPECT_EQ(v.seq, 2) << v.message;
  }
}

TEST_P(AuditExportTest, DeletedOrReorderedLinesNameTheEvent) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  const std::vector<std::string> lines = Lines(Export(t));

  std::vector<std::string> middle = lines;
  middle.erase(middle.begin() + static_cast<long>(EventLine(lines, 3)));
  AuditVerification v = VerifyText(Join(middle));
  EXPECT_EQ(v.fault, AuditFault::kMissingEvent);
  EXPECT_EQ(v.seq, 3);

  std::vector<std::string> last = lines;
  last.erase(last.begin() + static_cast<long>(EventLine(lines, 5)));
  v = VerifyText(Join(last));
  EXPECT_EQ(v.fault, AuditFault::kMissingEvent);
  EXPECT_EQ(v.seq, 5);
  EXPECT_EQ(v.message, "event 5 is missing (the export's end line is at seq 5)");

  std::vector<std::string> swapped = lines;
  std::swap(swapped[EventLine(lines, 2)], swapped[EventLine(lines, 4)]);
  v = VerifyText(Join(swapped));
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.seq, 2) << v.message;

  std::vector<std::string> cut = lines;
  cut.pop_back();  // the end line
  v = VerifyText(Join(cut));
  EXPECT_EQ(v.fault, AuditFault::kMalformed);
  EXPECT_EQ(v.message, "the export has no end line (it was cut short)");
}

TEST_P(AuditExportTest, TruncatedTailWithForgedEndLineFailsTheSignature) {
  const TenantId t("acme");
  AppendEvents(t, 5);
  std::vector<std::string> lines = Lines(Export(t));
  // Drop event 5 and make the end line agree: only the signature can tell.
  boost::json::object end = boost::json::parse(lines.back()).as_object();
  boost::json::object ev4 = boost::json::parse(lines[EventLine(lines, 4)]).as_object();
  end["last_seq"] = 4;
  end["last_hash"] = ev4.at("hash");
  end["events"] = 4;
  lines.erase(lines.begin() + static_cast<long>(EventLine(lines, 5)));
  lines.back() = boost::json::serialize(end);
  AuditVerification v = VerifyText(Join(lines));
  EXPECT_EQ(v.fault, AuditFault::kBadExportSignature);
}

TEST_P(AuditExportTest, AnotherPublicKeyFails) {
  const TenantId t("acme");
  AppendEvents(t, 2);
  const std::string no_checkpoint = Export(t);
  AuditVerification v = VerifyText(no_checkpoint, 'z');
  EXPECT_EQ(v.fault, AuditFault::kBadExportSignature);
  EXPECT_FALSE(v.ok());

  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  v = VerifyText(Export(t), 'z');
  EXPECT_EQ(v.fault, AuditFault::kBadCheckpointSignature);
  EXPECT_EQ(v.seq, 2);
}

TEST_P(AuditExportTest, PurgedChainExportsFromItsAnchorAndVerifies) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  ASSERT_TRUE(CreateCheckpoint(*store_, t, Signer()).ok());
  AppendEvents(t, 2);
  InTxn([&](store::Txn& txn) { return PurgeAuditEventsThrough(txn, t, 3).status(); });
  const std::string text = Export(t);
  std::vector<std::string> lines = Lines(text);
  EXPECT_EQ(S(boost::json::parse(lines[1]).at("type")), "checkpoint");  // the anchor
  AuditVerification v = VerifyText(text);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.first_seq, 4);
  EXPECT_EQ(v.last_seq, 6);
  EXPECT_EQ(v.checkpoints, 1);
}

TEST_P(AuditExportTest, TimeRangeExportsTheEventsInItAndVerifies) {
  const TenantId t("acme");
  std::vector<AuditEvent> events = AppendEvents(t, 6);  // one second apart
  AuditExportRange range{.from = events[2].at, .to = events[4].at};
  const std::string text = Export(t, range);
  AuditVerification v = VerifyText(text);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.first_seq, 3);
  EXPECT_EQ(v.last_seq, 4);
  // Cutting the first event of a range is caught by the signed end line.
  std::vector<std::string> lines = Lines(text);
  lines.erase(lines.begin() + static_cast<long>(EventLine(lines, 3)));
  v = VerifyText(Join(lines));
  EXPECT_EQ(v.fault, AuditFault::kMissingEvent);
  EXPECT_EQ(v.seq, 3);

  std::ostringstream out;
  AuditExportRange empty{.from = events[5].at + std::chrono::seconds(1)};
  EXPECT_EQ(ExportAuditChain(*store_, t, Signer(), empty, out).status().code(),
            StatusCode::kNotFound);
}

TEST_P(AuditExportTest, TamperedStoreIsNotExported) {
  const TenantId t("acme");
  AppendEvents(t, 3);
  Sql("UPDATE audit_events SET reason = 'x' WHERE tenant_id = 'acme' AND seq = 2");
  std::ostringstream out;
  auto s = ExportAuditChain(*store_, t, Signer(), {}, out);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("event 2"), std::string::npos) << s.status().message();
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(AuditExportTest);

}  // namespace
}  // namespace govflow::governance
