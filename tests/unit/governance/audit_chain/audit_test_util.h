// Helpers shared by the audit chain tests: a chain of events with every column non-empty (so a
// flipped byte can hit any of them), a fixed signing key, and raw-SQL tampering.
#pragma once

#include <string>
#include <vector>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/audit_signer.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {

class AuditChainTest : public testing::GovernanceStoreTest {
 protected:
  // A fixed seed so that signatures are reproducible; a second key for "signed by another key".
  AuditSigner Signer(char fill = 'k') {
    auto s = AuditSigner::FromSeed(std::string(32, fill));
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }

  // Appends `n` events to `tenant`, one clock second apart, every column non-empty.
  std::vector<AuditEvent> AppendEvents(const TenantId& tenant, int n,
                                       const std::string& actor = "user:alice") {
    std::vector<AuditEvent> out;
    for (int i = 0; i < n; ++i) {
      clock_.Advance(std::chrono::seconds(1));
      InTxn([&](store::Txn& txn) -> Status {
        AuditRecord r{.actor = actor,
                      .action = i % 2 == 0 ? "document.submit" : "exception.acknowledge",
                      .object_type = i % 2 == 0 ? "document" : "exception_case",
                      .object_id = "obj-" + std::to_string(i),
                      .reason = "reason " + std::to_string(i),
                      .before_digest = Sha256Hex("before " + std::to_string(i)),
                      .after_digest = Sha256Hex("after " + std::to_string(i)),
                      .details_json = R"({"index":)" + std::to_string(i) + R"(,"k":"value"})"};
        GOVFLOW_ASSIGN_OR_RETURN(AuditEvent e, AppendAudit(txn, tenant, r));
        out.push_back(e);
        return Status::Ok();
      });
    }
    return out;
  }

  void Sql(const std::string& sql, const store::sql::Params& params = {}) {
    InTxn([&](store::Txn& txn) { return txn.sql().Execute(sql, params).status(); });
  }

  std::string Text(const std::string& sql, const store::sql::Params& params) {
    std::string out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query(sql, params));
      EXPECT_EQ(rows.size(), 1u);
      if (!rows.empty()) out = rows[0].Text(0);
      return Status::Ok();
    });
    return out;
  }
};

// One byte of `text` changed (the middle one, xor 1: stays ASCII and never NUL here).
inline std::string FlipByte(std::string text) {
  if (text.empty()) return "x";
  text[text.size() / 2] = static_cast<char>(text[text.size() / 2] ^ 1);
  return text;
}

}  // namespace govflow::governance
