// Run transitions in the audit trail: every change of a run's state appends one audit event in
// the transaction that commits it (issue 4 item 6), hash-chained, with payloads only as digests;
// a failed run's exception case goes through governance's intake in the same commit.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "unit/runtime/runtime_test_support.h"

namespace govflow::workflow::runtime::testing {
namespace {

using store::RunState;

class RunAuditTest : public RuntimeTest {
 protected:
  std::vector<governance::AuditEvent> Trail() {
    std::vector<governance::AuditEvent> out;
    auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto rows = txn->sql().Query(
        "SELECT seq, at, actor, action, object_type, object_id, reason, before_digest, "
        "after_digest, details_json, prev_hash, hash FROM audit_events WHERE tenant_id = ? "
        "ORDER BY seq",
        {tenant_.value()});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return out;
    for (size_t i = 0; i < rows->size(); ++i) {
      const auto& r = (*rows)[i];
      governance::AuditEvent e;
      e.tenant = tenant_;
      e.seq = r.Int(0);
      e.at = FromMicros(r.Int(1));
      e.record.actor = r.Text(2);
      e.record.action = r.Text(3);
      e.record.object_type = r.Text(4);
      e.record.object_id = r.Text(5);
      e.record.reason = r.Text(6);
      e.record.before_digest = r.Text(7);
      e.record.after_digest = r.Text(8);
      e.record.details_json = r.Text(9);
      e.prev_hash = r.Text(10);
      e.hash = r.Text(11);
      out.push_back(std::move(e));
    }
    return out;
  }

  // The actions about `object_id`, in chain order.
  static std::vector<std::string> Actions(const std::vector<governance::AuditEvent>& trail,
                                          const std::string& object_id) {
    std::vector<std::string> out;
    for (const auto& e : trail) {
      if (e.record.object_id == object_id) out.push_back(e.record.action);
    }
    return out;
  }

  static void ExpectChainVerifies(const std::vector<governance::AuditEvent>& trail) {
    std::string prev(governance::kAuditGenesisHash);
    for (size_t i = 0; i < trail.size(); ++i) {
      EXPECT_EQ(trail[i].seq, static_cast<int64_t>(i + 1));
      EXPECT_EQ(trail[i].prev_hash, prev) << "event " << trail[i].seq;
      EXPECT_EQ(governance::ComputeAuditHash(trail[i]), trail[i].hash) << "event " << trail[i].seq;
      prev = trail[i].hash;
    }
  }

  static boost::json::object Details(const governance::AuditEvent& e) {
    return boost::json::parse(e.record.details_json).as_object();
  }
};

TEST_F(RunAuditTest, SuccessfulRunAuditsCreatedStartedSucceededWithDigestsOnly) {
  const std::string body = Order("2001", "buyer@shop.example");
  WebhookAnswer a = Send(body, "wh-2001");
  ASSERT_EQ(a.http_status, 200);
  RunId run = *a.run;
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));

  auto trail = Trail();
  EXPECT_EQ(Actions(trail, run.value()),
            (std::vector<std::string>{"run.created", "run.started", "run.succeeded"}));
  ExpectChainVerifies(trail);
  for (const auto& e : trail) {
    EXPECT_EQ(e.record.actor, "system:runtime");
    EXPECT_EQ(e.record.object_type, "run");
    // Payload values never enter the trail.
    EXPECT_EQ(e.record.details_json.find("buyer@shop.example"), std::string::npos);
    EXPECT_EQ(e.record.reason.find("buyer@shop.example"), std::string::npos);
    boost::json::object d = Details(e);
    EXPECT_EQ(d.at("workflow").as_string(), "test-orders");
  }
  // The created event carries the input's digest; the last one the committed context's digest.
  EXPECT_EQ(trail[0].record.after_digest, Sha256Hex(GetRun(run).input_json));
  EXPECT_EQ(trail.back().record.after_digest, Sha256Hex(GetRun(run).context_json));
  boost::json::object started = Details(trail[1]);
  EXPECT_EQ(started.at("from").as_string(), "pending");
  EXPECT_EQ(started.at("to").as_string(), "running");
  EXPECT_EQ(started.at("step").as_string(), "post");
  // The unit's pure steps are named in its one event.
  EXPECT_EQ(boost::json::serialize(started.at("steps")), R"(["check","build","post"])");
}

TEST_F(RunAuditTest, RetryBackoffAuditsWaitingAndResumed) {
  erp_->Push(Script::kTransient);
  RunId run = StartOrder("2002");
  TimePoint wake = WaitParked(run);
  auto parked = Trail();
  ASSERT_EQ(Actions(parked, run.value()),
            (std::vector<std::string>{"run.created", "run.started", "run.waiting"}));
  boost::json::object d = Details(parked.back());
  EXPECT_EQ(d.at("wake_at_us").as_int64(), ToMicros(wake));
  EXPECT_EQ(parked.back().record.reason, "backoff");

  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  auto trail = Trail();
  EXPECT_EQ(Actions(trail, run.value()),
            (std::vector<std::string>{"run.created", "run.started", "run.waiting", "run.resumed",
                                      "run.succeeded"}));
  ExpectChainVerifies(trail);
}

TEST_F(RunAuditTest, FailedRunAuditsTheFailureAndTheExceptionIntakeInOneCommit) {
  erp_->Push(Script::kMasterData);
  RunId run = StartOrder("2003");
  ASSERT_TRUE(WaitForState(run, RunState::kFailed));
  auto cases = Exceptions();
  ASSERT_EQ(cases.size(), 1u);

  auto trail = Trail();
  EXPECT_EQ(Actions(trail, run.value()),
            (std::vector<std::string>{"run.created", "run.started", "run.failed"}));
  ExpectChainVerifies(trail);
  const governance::AuditEvent* failed = nullptr;
  for (const auto& e : trail) {
    if (e.record.action == "run.failed") failed = &e;
  }
  ASSERT_NE(failed, nullptr);
  boost::json::object d = Details(*failed);
  EXPECT_EQ(d.at("error_class").as_string(), "rejected");
  EXPECT_EQ(d.at("exception").as_string(), cases[0].id.value());
  // Governance's intake audited the case it received, in the same commit (same instant).
  std::vector<std::string> case_actions = Actions(trail, cases[0].id.value());
  ASSERT_FALSE(case_actions.empty());
  for (const auto& e : trail) {
    if (e.record.object_id == cases[0].id.value()) {
      EXPECT_EQ(e.at, failed->at);
    }
  }
  EXPECT_EQ(runtime_->stats().intake_failures, 0);
}

}  // namespace
}  // namespace govflow::workflow::runtime::testing
