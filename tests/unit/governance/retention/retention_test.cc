// The retention job on both stores: due bodies are redacted and young ones untouched, runs in
// flight are never touched, legal holds stop everything and are audited, purges keep the audit
// chain verifiable, and one tenant's job never touches another tenant's rows.
#include "governance/retention.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/audit_checkpoint.h"
#include "governance/audit_signer.h"
#include "governance/audit_verify.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::governance {
namespace {

using std::chrono::hours;
using store::RunState;

constexpr auto kDay = hours(24);

std::shared_ptr<const RetentionRules> Rules(std::string_view yaml) {
  auto r = ParseRetentionRules(yaml, "retention.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return nullptr;
  return std::make_shared<const RetentionRules>(std::move(*r));
}

constexpr std::string_view kRedactAfter90Days = R"(rules:
  - {name: bodies, data: payload_bodies, keep_for: 90d, action: redact}
)";

constexpr std::string_view kPurgeHistoryAfter400Days = R"(rules:
  - {name: history, data: run_history, keep_for: 400d, action: purge}
  - {name: cases, data: exception_cases, keep_for: 400d, action: purge}
)";

class RetentionTest : public testing::GovernanceStoreTest {
 protected:
  void SeedTenant(const TenantId& tenant) {
    CreateTenant(tenant);
    InTxn([&](store::Txn& txn) {
      return txn.PublishWorkflowVersion(
          {tenant, "order-capture", 1, "sha256:aaa", "steps: []\n", clock_.Now()});
    });
  }

  // A run of `tenant` started by a delivery, with one event and one effect, audited like the
  // runtime does (a digest of the input, never the input), then brought to `state`.
  void MakeRun(const TenantId& tenant, const std::string& id, RunState state) {
    InTxn([&](store::Txn& txn) -> Status {
      store::Run run;
      run.tenant = tenant;
      run.id = RunId(id);
      run.workflow_name = "order-capture";
      run.workflow_version = 1;
      run.delivery_id = DeliveryId("del-" + id);
      run.state = RunState::kPending;
      run.current_step = "validate";
      run.input_json = R"({"customer":{"email":"jane@example.com"},"run":")" + id + "\"}";
      run.next_wake_at = clock_.Now();
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(run));
      store::Delivery d;
      d.tenant = tenant;
      d.id = DeliveryId("del-" + id);
      d.connection = ConnectionId("shop");
      d.webhook_id = "wh-" + id;
      d.topic = "orders/create";
      d.headers_digest = "ab";
      d.body = R"({"email":"jane@example.com","id":")" + id + "\"}";
      d.received_at = clock_.Now();
      d.run_id = RunId(id);
      GOVFLOW_RETURN_IF_ERROR(txn.RecordDelivery(d).status());
      store::RunEvent e;
      e.tenant = tenant;
      e.run = RunId(id);
      e.kind = "transition";
      e.step = "validate";
      e.payload_json = R"({"to":"running"})";
      GOVFLOW_RETURN_IF_ERROR(txn.AppendRunEvent(e).status());
      store::Effect effect;
      effect.tenant = tenant;
      effect.idempotency_key = tenant.value() + "/" + id + "/post";
      effect.run = RunId(id);
      effect.step = "post";
      effect.connection = ConnectionId("erp");
      effect.business_key = "SO-" + id;
      effect.request_json = R"({"customer":"jane@example.com"})";
      GOVFLOW_RETURN_IF_ERROR(txn.BeginEffect(effect).status());
      AuditRecord audit{.actor = "system:runtime",
                        .action = "run.start",
                        .object_type = "run",
                        .object_id = id,
                        .after_digest = Sha256Hex(run.input_json)};
      GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, tenant, audit).status());
      if (state == RunState::kPending) return Status::Ok();
      store::RunUpdate update;
      update.state = state;
      update.current_step = "done";
      update.context_json = R"({"order":{"email":"jane@example.com"}})";
      return txn.UpdateRun(tenant, RunId(id), 1, update).status();
    });
  }

  void OpenCase(const TenantId& tenant, const std::string& run, const std::string& id,
                bool resolved) {
    InTxn([&](store::Txn& txn) -> Status {
      store::ExceptionCase c;
      c.tenant = tenant;
      c.id = ExceptionCaseId(id);
      c.run = RunId(run);
      c.step = "post";
      c.error_class = "erp.validation";
      c.message = "unknown SKU";
      c.payload_json = R"({"sku":"X-1","email":"jane@example.com"})";
      GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase(c));
      if (!resolved) return Status::Ok();
      return txn.SetExceptionCaseState(tenant, ExceptionCaseId(id), store::ExceptionState::kOpen,
                                       store::ExceptionState::kResolved);
    });
  }

  TenantRetentionReport Sweep(const TenantId& tenant, std::shared_ptr<const RetentionRules> rules,
                              int batch_size = 500, bool dry_run = false) {
    RetentionOptions options;
    options.rules = std::move(rules);
    options.batch_size = batch_size;
    options.dry_run = dry_run;
    auto r = RunRetentionForTenant(*store_, clock_, TenantScope::ForSystem(tenant, "retention"),
                                   options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TenantRetentionReport{};
  }

  static const RetentionClassReport& Class(const TenantRetentionReport& r, DataClass c) {
    for (const auto& cr : r.classes) {
      if (cr.data_class == c) return cr;
    }
    static RetentionClassReport none;
    ADD_FAILURE() << "no report for " << DataClassName(c);
    return none;
  }

  std::string Text(std::string_view sql, const store::sql::Params& params) {
    std::string out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query(sql, params));
      out = rows.empty() ? "<none>" : rows[0].Text(0);
      return Status::Ok();
    });
    return out;
  }
  int64_t Count(std::string_view sql, const store::sql::Params& params) {
    int64_t n = -1;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(auto rows, txn.sql().Query(sql, params));
      n = rows[0].Int(0);
      return Status::Ok();
    });
    return n;
  }
  std::string Body(const TenantId& t, const std::string& run) {
    return Text("SELECT body FROM deliveries WHERE tenant_id = ? AND run_id = ?", {t.value(), run});
  }
  std::string Input(const TenantId& t, const std::string& run) {
    return Text("SELECT input_json FROM run_inputs WHERE tenant_id = ? AND run_id = ?",
                {t.value(), run});
  }
  int64_t AuditCount(const TenantId& t, std::string_view action) {
    return Count("SELECT COUNT(*) FROM audit_events WHERE tenant_id = ? AND action = ?",
                 {t.value(), std::string(action)});
  }
  // Every tenant row count that a sweep of another tenant must not change.
  std::string Fingerprint(const TenantId& t) {
    std::string out;
    for (const char* table :
         {"deliveries", "runs", "run_events", "effects", "exception_cases", "audit_events"}) {
      out +=
          std::to_string(Count(
              std::string("SELECT COUNT(*) FROM ") + table + " WHERE tenant_id = ?", {t.value()})) +
          ",";
    }
    for (const char* col : {"d.body", "i.input_json", "r.context_json", "e.request_json"}) {
      out += Sha256Hex(Text(std::string("SELECT ") + col +
                                " FROM deliveries d JOIN runs r ON r.tenant_id = d.tenant_id AND "
                                "r.run_id = d.run_id JOIN run_inputs i ON i.tenant_id = "
                                "r.tenant_id AND i.run_id = r.run_id JOIN effects e ON "
                                "e.tenant_id = r.tenant_id "
                                "AND e.run_id = r.run_id WHERE d.tenant_id = ? ORDER BY "
                                "d.delivery_id",
                            {t.value()})) +
             ",";
    }
    return out;
  }

  void ExpectChainVerifies(const TenantId& tenant, const AuditSigner* signer = nullptr) {
    auto v = VerifyAuditChain(*store_, tenant, signer ? signer->public_key() : std::string());
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->ok()) << v->Summary();
  }

  const TenantId kAcme{"acme"};
  const TenantId kGlobex{"globex"};
};

TEST_P(RetentionTest, RedactsDuePayloadBodiesAndLeavesYoungOnesUntouched) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "old", RunState::kSucceeded);
  clock_.Advance(60 * kDay);
  MakeRun(kAcme, "young", RunState::kSucceeded);
  const std::string young_body = Body(kAcme, "young");
  const std::string young_input = Input(kAcme, "young");
  clock_.Advance(31 * kDay);  // "old" is 91 days old, "young" 31

  TenantRetentionReport r = Sweep(kAcme, Rules(kRedactAfter90Days));
  const RetentionClassReport& bodies = Class(r, DataClass::kPayloadBodies);
  EXPECT_EQ(bodies.outcome, "done");
  // deliveries.body, run_inputs.input_json, runs.context_json, effects.request_json ("" response)
  EXPECT_EQ(bodies.redacted, 4);
  EXPECT_TRUE(Body(kAcme, "old").starts_with(kRedactedMarkerPrefix)) << Body(kAcme, "old");
  EXPECT_TRUE(Input(kAcme, "old").starts_with(kRedactedMarkerPrefix));
  EXPECT_EQ(Text("SELECT request_json FROM effects WHERE tenant_id = ? AND run_id = 'old'",
                 {kAcme.value()})
                .find("jane@example.com"),
            std::string::npos);
  EXPECT_EQ(Body(kAcme, "young"), young_body);
  EXPECT_EQ(Input(kAcme, "young"), young_input);
  // Ids, keys and states stay.
  EXPECT_EQ(Text("SELECT state FROM runs WHERE tenant_id = ? AND run_id = 'old'", {kAcme.value()}),
            "succeeded");
  EXPECT_EQ(Text("SELECT business_key FROM effects WHERE tenant_id = ? AND run_id = 'old'",
                 {kAcme.value()}),
            "SO-old");
  // One audit event per batch (one batch per table here), naming the rule and the counts.
  EXPECT_EQ(bodies.batches, 3);  // deliveries, runs, effects
  EXPECT_EQ(AuditCount(kAcme, "retention.redact"), 3);
  std::string details = Text(
      "SELECT details_json FROM audit_events WHERE tenant_id = ? AND action = 'retention.redact' "
      "ORDER BY seq",
      {kAcme.value()});
  EXPECT_NE(details.find(R"("rule":"bodies")"), std::string::npos) << details;
  EXPECT_NE(details.find(R"("deliveries.body":1)"), std::string::npos) << details;
  EXPECT_EQ(details.find("jane"), std::string::npos) << details;
}

TEST_P(RetentionTest, RedactedMarkerKeepsTheOriginalsDigestAndSize) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  const std::string original = Body(kAcme, "r1");
  clock_.Advance(91 * kDay);
  Sweep(kAcme, Rules(kRedactAfter90Days));
  boost::json::value marker = boost::json::parse(Body(kAcme, "r1"));
  const auto& inner = marker.at("govflow_redacted");
  EXPECT_EQ(inner.at("sha256").as_string(), Sha256Hex(original));
  EXPECT_EQ(inner.at("size").as_int64(), static_cast<int64_t>(original.size()));
  EXPECT_EQ(inner.at("rule").as_string(), "bodies");
}

TEST_P(RetentionTest, PurgeActionOnBodiesLeavesABareMarker) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  clock_.Advance(31 * kDay);
  Sweep(kAcme, Rules("rules:\n  - {data: payload_bodies, keep_for: 30d, action: purge}\n"));
  boost::json::value marker = boost::json::parse(Body(kAcme, "r1"));
  EXPECT_TRUE(marker.as_object().contains("govflow_purged"));
  EXPECT_FALSE(marker.at("govflow_purged").as_object().contains("sha256"));
  EXPECT_EQ(AuditCount(kAcme, "retention.purge"), 3);  // deliveries, runs, effects
}

TEST_P(RetentionTest, NeverTouchesRunsInFlightOrRunsWhoseCaseIsOpen) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "waiting", RunState::kWaiting);
  MakeRun(kAcme, "failed", RunState::kFailed);
  OpenCase(kAcme, "failed", "case-1", /*resolved=*/false);
  const std::string before = Fingerprint(kAcme);
  clock_.Advance(1000 * kDay);

  TenantRetentionReport r = Sweep(kAcme, Rules(R"(rules:
  - {data: payload_bodies, keep_for: 1d, action: redact}
  - {data: run_history, keep_for: 1d, action: purge}
  - {data: exception_cases, keep_for: 1d, action: purge}
)"));
  EXPECT_EQ(Class(r, DataClass::kPayloadBodies).redacted, 0);
  EXPECT_EQ(Class(r, DataClass::kRunHistory).purged, 0);
  EXPECT_EQ(Class(r, DataClass::kExceptionCases).purged, 0);
  EXPECT_EQ(Fingerprint(kAcme), before);
  EXPECT_EQ(Text("SELECT payload_json FROM exception_cases WHERE tenant_id = ?", {kAcme.value()}),
            R"({"sku":"X-1","email":"jane@example.com"})");
}

TEST_P(RetentionTest, PurgesTerminalRunHistoryButKeepsRunsTheirCasesStillNeed) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "done", RunState::kSucceeded);
  MakeRun(kAcme, "with-case", RunState::kFailed);
  OpenCase(kAcme, "with-case", "case-1", /*resolved=*/true);
  clock_.Advance(200 * kDay);
  MakeRun(kAcme, "recent", RunState::kSucceeded);
  clock_.Advance(201 * kDay);

  TenantRetentionReport r =
      Sweep(kAcme, Rules("rules:\n  - {data: run_history, keep_for: 400d, action: purge}\n"));
  const RetentionClassReport& history = Class(r, DataClass::kRunHistory);
  EXPECT_EQ(history.outcome, "done");
  // run "done": the run, its event, its effect and its delivery.
  EXPECT_EQ(history.purged, 4);
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ? AND run_id = 'done'", {kAcme.value()}),
      0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM run_events WHERE tenant_id = ? AND run_id = 'done'",
                  {kAcme.value()}),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE tenant_id = ? AND run_id = 'done'",
                  {kAcme.value()}),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 2);
  EXPECT_EQ(Class(r, DataClass::kExceptionCases).outcome, "no_rule");
  ExpectChainVerifies(kAcme);
}

TEST_P(RetentionTest, PurgesResolvedExceptionCasesOnly) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "a", RunState::kFailed);
  MakeRun(kAcme, "b", RunState::kFailed);
  OpenCase(kAcme, "a", "case-a", /*resolved=*/true);
  OpenCase(kAcme, "b", "case-b", /*resolved=*/false);
  clock_.Advance(800 * kDay);
  TenantRetentionReport r =
      Sweep(kAcme, Rules("rules:\n  - {data: exception_cases, keep_for: 2y, action: purge}\n"));
  EXPECT_EQ(Class(r, DataClass::kExceptionCases).purged, 1);
  EXPECT_EQ(Text("SELECT case_id FROM exception_cases WHERE tenant_id = ?", {kAcme.value()}),
            "case-b");
  // With its case gone, run "a" is ordinary history now.
  r = Sweep(kAcme, Rules(kPurgeHistoryAfter400Days));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 1);
  ExpectChainVerifies(kAcme);
}

TEST_P(RetentionTest, AfterRetentionPurgesPayloadsAndHistoryTheAuditChainVerifies) {
  SeedTenant(kAcme);
  for (int i = 0; i < 5; ++i) MakeRun(kAcme, "r" + std::to_string(i), RunState::kSucceeded);
  MakeRun(kAcme, "live", RunState::kRunning);
  clock_.Advance(100 * kDay);
  TenantRetentionReport r = Sweep(kAcme, Rules(kRedactAfter90Days), /*batch_size=*/2);
  EXPECT_GT(Class(r, DataClass::kPayloadBodies).redacted, 0);
  ExpectChainVerifies(kAcme);
  clock_.Advance(400 * kDay);
  r = Sweep(kAcme, Rules(kPurgeHistoryAfter400Days), /*batch_size=*/2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 1);
  ExpectChainVerifies(kAcme);
  // Every purge and redaction is itself on the record.
  EXPECT_GE(AuditCount(kAcme, "retention.purge"), 3);  // 5 runs in batches of 2
}

TEST_P(RetentionTest, AuditClassPurgesThroughASignedCheckpointAndTheChainStillVerifies) {
  SeedTenant(kAcme);
  auto signer = AuditSigner::FromSeed(std::string(32, '\x07'));
  ASSERT_TRUE(signer.ok());
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  MakeRun(kAcme, "r2", RunState::kSucceeded);
  int64_t through = 0;
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(AuditCheckpoint c, CreateCheckpoint(txn, kAcme, *signer));
    through = c.seq;
    return Status::Ok();
  });
  clock_.Advance(3 * 365 * kDay);
  MakeRun(kAcme, "r3", RunState::kSucceeded);  // young events, after the checkpoint
  const int64_t total =
      Count("SELECT COUNT(*) FROM audit_events WHERE tenant_id = ?", {kAcme.value()});

  TenantRetentionReport r =
      Sweep(kAcme, Rules("rules:\n  - {data: audit, keep_for: 2y, action: purge}\n"));
  const RetentionClassReport& audit = Class(r, DataClass::kAudit);
  EXPECT_EQ(audit.outcome, "done");
  EXPECT_EQ(audit.purged, through);
  EXPECT_EQ(Count("SELECT MIN(seq) FROM audit_events WHERE tenant_id = ?", {kAcme.value()}),
            through + 1);
  // The young events and the purge's own record remain.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events WHERE tenant_id = ?", {kAcme.value()}),
            total - through + 1);
  ExpectChainVerifies(kAcme, &*signer);
  // Nothing more is due: a second sweep deletes nothing.
  r = Sweep(kAcme, Rules("rules:\n  - {data: audit, keep_for: 2y, action: purge}\n"));
  EXPECT_EQ(Class(r, DataClass::kAudit).purged, 0);
  ExpectChainVerifies(kAcme, &*signer);
}

TEST_P(RetentionTest, LegalHoldStopsEverythingForTheTenantAndIsAudited) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  InTxn([&](store::Txn& txn) {
    return PlaceLegalHold(txn, TenantScope::ForSystem(kAcme, "test"), std::nullopt,
                          "litigation 2026-17")
        .status();
  });
  EXPECT_EQ(AuditCount(kAcme, "retention.hold"), 1);
  const std::string before = Fingerprint(kAcme);
  clock_.Advance(1000 * kDay);

  auto all = Rules(R"(rules:
  - {data: payload_bodies, keep_for: 1d, action: redact}
  - {data: run_history, keep_for: 1d, action: purge}
)");
  TenantRetentionReport r = Sweep(kAcme, all);
  EXPECT_TRUE(r.held);
  EXPECT_NE(r.hold_reason.find("litigation 2026-17"), std::string::npos);
  for (const auto& c : r.classes) EXPECT_EQ(c.outcome, "held") << DataClassName(c.data_class);
  EXPECT_EQ(Fingerprint(kAcme), before);
  // The whole-system job reports the hold too.
  RetentionOptions options;
  options.rules = all;
  auto job = RunRetention(*store_, clock_, options);
  ASSERT_TRUE(job.ok());
  ASSERT_EQ(job->tenants.size(), 1u);
  EXPECT_TRUE(job->tenants[0].held);
  EXPECT_EQ(Fingerprint(kAcme), before);

  // A second hold on the same scope is refused; releasing needs a reason and is audited.
  Status again = store_->Transact([&](store::Txn& txn) {
    return PlaceLegalHold(txn, TenantScope::ForSystem(kAcme, "test"), std::nullopt, "again")
        .status();
  });
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  Status no_reason = store_->Transact([&](store::Txn& txn) {
    return ReleaseLegalHold(txn, TenantScope::ForSystem(kAcme, "test"), std::nullopt, "");
  });
  EXPECT_EQ(no_reason.code(), StatusCode::kInvalidArgument);
  InTxn([&](store::Txn& txn) {
    return ReleaseLegalHold(txn, TenantScope::ForSystem(kAcme, "test"), std::nullopt,
                            "case settled");
  });
  EXPECT_EQ(AuditCount(kAcme, "retention.release"), 1);
  r = Sweep(kAcme, all);
  EXPECT_FALSE(r.held);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 0);
  ExpectChainVerifies(kAcme);
}

TEST_P(RetentionTest, AHoldOnOneDataClassStopsOnlyThatClass) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  InTxn([&](store::Txn& txn) {
    return PlaceLegalHold(txn, TenantScope::ForSystem(kAcme, "test"), DataClass::kRunHistory,
                          "regulator request")
        .status();
  });
  clock_.Advance(500 * kDay);
  TenantRetentionReport r = Sweep(kAcme, Rules(R"(rules:
  - {data: payload_bodies, keep_for: 1d, action: redact}
  - {data: run_history, keep_for: 1d, action: purge}
)"));
  EXPECT_FALSE(r.held);
  EXPECT_EQ(Class(r, DataClass::kRunHistory).outcome, "held");
  EXPECT_EQ(Class(r, DataClass::kPayloadBodies).outcome, "done");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 1);
  EXPECT_TRUE(Body(kAcme, "r1").starts_with(kRedactedMarkerPrefix));
}

TEST_P(RetentionTest, OneTenantsSweepNeverTouchesAnotherTenantsRows) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  // The same ids in both tenants, so a query that forgot the tenant would hit both.
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  MakeRun(kGlobex, "r1", RunState::kSucceeded);
  OpenCase(kAcme, "r1", "case-1", true);
  OpenCase(kGlobex, "r1", "case-1", true);
  const std::string globex_before = Fingerprint(kGlobex);
  clock_.Advance(1000 * kDay);
  auto all = Rules(R"(rules:
  - {data: payload_bodies, keep_for: 1d, action: redact}
  - {data: exception_cases, keep_for: 1d, action: purge}
  - {data: run_history, keep_for: 1d, action: purge}
)");
  TenantRetentionReport r = Sweep(kAcme, all);
  EXPECT_GT(Class(r, DataClass::kRunHistory).purged, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 0);
  EXPECT_EQ(Fingerprint(kGlobex), globex_before);

  // A hold on globex does not stop acme's job, and the all-tenant job skips only globex.
  InTxn([&](store::Txn& txn) {
    return PlaceLegalHold(txn, TenantScope::ForSystem(kGlobex, "test"), std::nullopt, "audit")
        .status();
  });
  MakeRun(kAcme, "r2", RunState::kSucceeded);
  clock_.Advance(10 * kDay);
  const std::string globex_held = Fingerprint(kGlobex);
  RetentionOptions options;
  options.rules = all;
  auto job = RunRetention(*store_, clock_, options);
  ASSERT_TRUE(job.ok());
  ASSERT_EQ(job->tenants.size(), 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 0);
  EXPECT_EQ(Fingerprint(kGlobex), globex_held);
  ExpectChainVerifies(kAcme);
  ExpectChainVerifies(kGlobex);
}

TEST_P(RetentionTest, RunningAgainChangesNothingAndAuditsNothing) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  clock_.Advance(100 * kDay);
  Sweep(kAcme, Rules(kRedactAfter90Days));
  const std::string after_first = Fingerprint(kAcme);
  TenantRetentionReport again = Sweep(kAcme, Rules(kRedactAfter90Days));
  EXPECT_EQ(Class(again, DataClass::kPayloadBodies).redacted, 0);
  EXPECT_EQ(Class(again, DataClass::kPayloadBodies).batches, 0);
  EXPECT_EQ(Fingerprint(kAcme), after_first);
}

TEST_P(RetentionTest, WorksInBoundedBatchesEachAudited) {
  SeedTenant(kAcme);
  for (int i = 0; i < 5; ++i) MakeRun(kAcme, "r" + std::to_string(i), RunState::kSucceeded);
  clock_.Advance(500 * kDay);
  TenantRetentionReport r = Sweep(kAcme, Rules(kPurgeHistoryAfter400Days), /*batch_size=*/2);
  EXPECT_EQ(Class(r, DataClass::kRunHistory).batches, 3);
  EXPECT_EQ(AuditCount(kAcme, "retention.purge"), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE tenant_id = ?", {kAcme.value()}), 0);
}

TEST_P(RetentionTest, DryRunReportsWhatIsDueAndChangesNothing) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  clock_.Advance(500 * kDay);
  const std::string before = Fingerprint(kAcme);
  TenantRetentionReport r = Sweep(kAcme, Rules(kPurgeHistoryAfter400Days), 500, /*dry_run=*/true);
  EXPECT_EQ(Class(r, DataClass::kRunHistory).purged, 1);
  EXPECT_EQ(Fingerprint(kAcme), before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM retention_runs WHERE tenant_id = ?", {kAcme.value()}), 0);
}

TEST_P(RetentionTest, ConditionsSelectWhichRecordsARuleGoverns) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  MakeRun(kAcme, "r2", RunState::kCancelled);
  clock_.Advance(100 * kDay);
  TenantRetentionReport r = Sweep(kAcme, Rules(R"(rules:
  - data: run_history
    when: record.state == "cancelled"
    keep_for: 30d
    action: purge
)"));
  EXPECT_EQ(Class(r, DataClass::kRunHistory).purged, 4);
  EXPECT_EQ(Text("SELECT run_id FROM runs WHERE tenant_id = ?", {kAcme.value()}), "r1");
}

TEST_P(RetentionTest, UsesTheTenantsStoredRulesAndReportsStatus) {
  SeedTenant(kAcme);
  MakeRun(kAcme, "r1", RunState::kSucceeded);
  clock_.Advance(100 * kDay);
  // Without rules nothing is due.
  TenantRetentionReport r = Sweep(kAcme, nullptr);
  EXPECT_EQ(r.rules_source, "none");
  EXPECT_FALSE(Body(kAcme, "r1").starts_with(kRedactedMarkerPrefix));
  InTxn([&](store::Txn& txn) {
    return SetTenantRetentionRules(txn, TenantScope::ForSystem(kAcme, "test"), kRedactAfter90Days,
                                   "retention.yaml", "baseline");
  });
  EXPECT_EQ(AuditCount(kAcme, "retention.rules.set"), 1);
  r = Sweep(kAcme, nullptr);
  EXPECT_EQ(r.rules_source, "tenant");
  EXPECT_TRUE(Body(kAcme, "r1").starts_with(kRedactedMarkerPrefix));
  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(RetentionStatus s,
                             GetRetentionStatus(txn, TenantScope::ForSystem(kAcme, "test")));
    EXPECT_EQ(s.rules_hash, Sha256Hex(kRedactAfter90Days));
    EXPECT_TRUE(s.last_run_at.has_value());
    EXPECT_EQ(s.last_outcome, "done");
    EXPECT_TRUE(s.holds.empty());
    return Status::Ok();
  });
  // Invalid rules are refused with their position, and nothing is stored.
  Status bad = store_->Transact([&](store::Txn& txn) {
    return SetTenantRetentionRules(txn, TenantScope::ForSystem(kAcme, "test"),
                                   "rules:\n  - {data: x, keep_for: 1d, action: purge}\n",
                                   "retention.yaml", "oops");
  });
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("retention.yaml:2:"), std::string::npos) << bad.message();
}

// The metrics class covers src/intel's rollup tables: hour buckets older than the rule go (with
// their latency bins); the rollup's bookkeeping of objects that no longer exist goes too; what
// is younger, another tenant's, or still refers to a live run stays.
TEST_P(RetentionTest, MetricsRulesPurgeOldRollupBucketsAndTheBookkeepingOfGoneObjects) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  MakeRun(kAcme, "run-1", RunState::kRunning);
  MakeRun(kGlobex, "run-1", RunState::kRunning);
  constexpr int64_t kHourUs = 3'600'000'000;
  const int64_t now_us = clock_.Now().time_since_epoch().count();
  const int64_t old_hour = (now_us - 40 * 24 * kHourUs) / kHourUs * kHourUs;
  const int64_t young_hour = (now_us - 2 * 24 * kHourUs) / kHourUs * kHourUs;
  InTxn([&](store::Txn& txn) -> Status {
    for (const TenantId& tenant : {kAcme, kGlobex}) {
      for (int64_t hour : {old_hour, young_hour}) {
        GOVFLOW_RETURN_IF_ERROR(
            txn.sql()
                .Execute("INSERT INTO intel_rollups (tenant_id, resolution, bucket_start, "
                         "process, brand, channel, sku_category, runs_started) VALUES (?, 3600, "
                         "?, 'order-capture', 'b', 'web', 'c', 5)",
                         {tenant.value(), hour})
                .status());
        GOVFLOW_RETURN_IF_ERROR(
            txn.sql()
                .Execute("INSERT INTO intel_latency_bins (tenant_id, resolution, bucket_start, "
                         "process, brand, channel, sku_category, bin, samples) VALUES (?, 3600, "
                         "?, 'order-capture', 'b', 'web', 'c', 7, 5)",
                         {tenant.value(), hour})
                .status());
      }
      // One contribution of a run that is gone, one of a run that is not ("run-1" is seeded).
      for (const char* object : {"run-gone", "run-1"}) {
        GOVFLOW_RETURN_IF_ERROR(
            txn.sql()
                .Execute("INSERT INTO intel_contributions (tenant_id, kind, object_id, "
                         "contribution_json, updated_at) VALUES (?, 'run', ?, '{}', ?)",
                         {tenant.value(), std::string(object), old_hour})
                .status());
      }
    }
    return Status::Ok();
  });
  auto count = [&](const TenantId& tenant, const std::string& sql) {
    int64_t n = -1;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows, txn.sql().Query(sql, {tenant.value()}));
      n = rows[0].Int(0);
      return Status::Ok();
    });
    return n;
  };
  const auto rules = Rules("rules:\n  - {data: metrics, keep_for: 30d, action: purge}\n");

  // A dry run reports and removes nothing.
  TenantRetentionReport dry = Sweep(kAcme, rules, 500, /*dry_run=*/true);
  EXPECT_EQ(Class(dry, DataClass::kMetrics).purged, 3);  // 1 rollup + 1 bin row + 1 contribution
  EXPECT_EQ(count(kAcme, "SELECT COUNT(*) FROM intel_rollups WHERE tenant_id = ?"), 2);

  TenantRetentionReport r = Sweep(kAcme, rules, /*batch_size=*/1);
  EXPECT_EQ(Class(r, DataClass::kMetrics).outcome, "done");
  EXPECT_EQ(Class(r, DataClass::kMetrics).purged, 3);
  EXPECT_EQ(count(kAcme,
                  "SELECT COUNT(*) FROM intel_rollups WHERE tenant_id = ? AND "
                  "bucket_start = " +
                      std::to_string(old_hour)),
            0);
  EXPECT_EQ(count(kAcme,
                  "SELECT COUNT(*) FROM intel_latency_bins WHERE tenant_id = ? AND "
                  "bucket_start = " +
                      std::to_string(old_hour)),
            0);
  EXPECT_EQ(count(kAcme, "SELECT COUNT(*) FROM intel_rollups WHERE tenant_id = ?"), 1);
  EXPECT_EQ(count(kAcme,
                  "SELECT COUNT(*) FROM intel_contributions WHERE tenant_id = ? AND "
                  "object_id = 'run-1'"),
            1);
  EXPECT_EQ(count(kAcme, "SELECT COUNT(*) FROM intel_contributions WHERE tenant_id = ?"), 1);
  // Another tenant's metrics are untouched.
  EXPECT_EQ(count(kGlobex, "SELECT COUNT(*) FROM intel_rollups WHERE tenant_id = ?"), 2);
  EXPECT_EQ(count(kGlobex, "SELECT COUNT(*) FROM intel_contributions WHERE tenant_id = ?"), 2);
  // The purge is audited, and the chain still verifies.
  EXPECT_GE(count(kAcme,
                  "SELECT COUNT(*) FROM audit_events WHERE tenant_id = ? AND action LIKE "
                  "'retention.%' AND details_json LIKE '%metrics%'"),
            1);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(RetentionTest);

}  // namespace
}  // namespace govflow::governance
