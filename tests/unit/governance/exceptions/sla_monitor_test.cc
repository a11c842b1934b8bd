// SLA escalation with a ManualClock: a breached clock escalates exactly at its deadline, level
// by level, each level once (also after a restart), and stops once acknowledged / resolved.
#include "governance/sla_monitor.h"

#include <gtest/gtest.h>

#include <mutex>

#include "governance/exceptions/cases.h"
#include "unit/governance/exceptions/exception_fixture.h"

namespace govflow::governance {
namespace {

// Records what would have been sent; fails the channels it is told to fail.
class RecordingNotifier final : public connect::notify::Notifier {
 public:
  Status Send(const connect::notify::Notification& n) override {
    std::lock_guard lock(mu_);
    if (fail_) return Unavailable("receiver down");
    sent_.push_back(n);
    return Status::Ok();
  }
  std::vector<connect::notify::Notification> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  void set_fail(bool fail) { fail_ = fail; }

 private:
  mutable std::mutex mu_;
  bool fail_ = false;
  std::vector<connect::notify::Notification> sent_;
};

PolicySet ChainPolicies() {
  PolicySet p;
  p.escalation = std::make_shared<policies::EscalationPolicy>(*policies::ParseEscalationPolicy(
      R"(apiVersion: govflow/v1
kind: EscalationPolicy
spec:
  chains:
    - name: standard
      levels:
        - after: 0m
          notify: [{webhook: "http://127.0.0.1:9/hook"}]
        - after: 30m
          notify: [{email: duty@example.com}, {webhook: "http://127.0.0.1:9/lead"}]
)",
      "escalation.yaml"));
  return p;
}

class SlaMonitorTest : public testing::ExceptionFixture {
 protected:
  int Run() {
    auto n = RunDueEscalations(*store_, clock_, notifier_);
    EXPECT_TRUE(n.ok()) << n.status().message();
    return n.ok() ? *n : -1;
  }
  RecordingNotifier notifier_;
};

TEST_P(SlaMonitorTest, EscalatesExactlyAtTheAcknowledgeDeadlineNotASecondBefore) {
  const TenantId t("acme");
  SeedTenant(t);
  // Fallback severity P3 (transient): acknowledge within 4h.
  ExceptionCaseId id = OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient",
                                "connection reset", ChainPolicies());
  clock_.Advance(std::chrono::hours(4) - std::chrono::seconds(1));
  EXPECT_EQ(Run(), 0);
  EXPECT_TRUE(notifier_.sent().empty());
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(notifier_.sent().size(), 1u);
  const auto sent = notifier_.sent();
  const auto& n = sent[0];
  EXPECT_EQ(n.channel, "webhook");
  EXPECT_EQ(n.address, "http://127.0.0.1:9/hook");
  EXPECT_EQ(n.id, "acme/" + id.value() + "/acknowledge/1");
  EXPECT_NE(n.json.find("\"clock\":\"acknowledge\""), std::string::npos);
  EXPECT_NE(n.subject.find("P3"), std::string::npos);

  // Level 2 thirty minutes after the breach, not before; each level once.
  clock_.Advance(std::chrono::minutes(30) - std::chrono::seconds(1));
  EXPECT_EQ(Run(), 0);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(notifier_.sent().size(), 3u);  // level 2 has two targets
  EXPECT_EQ(notifier_.sent()[1].channel, "email");
  EXPECT_EQ(notifier_.sent()[1].id, "acme/" + id.value() + "/acknowledge/2");
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(notifier_.sent().size(), 3u);

  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto rows, txn.sql().Query("SELECT action, actor FROM audit_events WHERE tenant_id = ? "
                                   "AND object_id = ? ORDER BY seq",
                                   {t.value(), id.value()}));
    std::vector<std::string> actions;
    for (const auto& r : rows) actions.push_back(r.Text(0));
    EXPECT_EQ(actions, (std::vector<std::string>{"exception.open", "exception.sla_breach",
                                                 "exception.escalate", "exception.escalate"}));
    EXPECT_EQ(rows[2].Text(1), "system:sla_monitor");
    return Status::Ok();
  });
}

TEST_P(SlaMonitorTest, DoesNotNotifyARecordedLevelAgainAfterARestart) {
  const TenantId t("acme");
  SeedTenant(t);
  OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset", ChainPolicies());
  clock_.Advance(std::chrono::hours(4));
  EXPECT_EQ(Run(), 1);
  std::unique_ptr<store::Store> restarted = OpenAnother();
  RecordingNotifier fresh;
  auto n = RunDueEscalations(*restarted, clock_, fresh);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_TRUE(fresh.sent().empty());
}

TEST_P(SlaMonitorTest, AFailedNoticeIsTriedAgainAndLaterLevelsWait) {
  const TenantId t("acme");
  SeedTenant(t);
  OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset", ChainPolicies());
  clock_.Advance(std::chrono::hours(5));  // both levels due
  notifier_.set_fail(true);
  auto stats = RunDueEscalationsWithStats(*store_, clock_, notifier_);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->notices_sent, 0);
  EXPECT_EQ(stats->notices_failed, 1);
  notifier_.set_fail(false);
  EXPECT_EQ(Run(), 2);
  EXPECT_EQ(notifier_.sent().size(), 3u);
}

TEST_P(SlaMonitorTest, StopsTheAcknowledgeClockOnAcknowledgementAndEverythingOnResolution) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId id = OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset",
                                ChainPolicies());
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(exceptions::Acknowledge(*store_, scope, {id}, "on it").ok());
  clock_.Advance(std::chrono::hours(10));  // past the acknowledge deadline (4h)
  EXPECT_EQ(Run(), 0);
  // The resolve clock (P3: 2 days) still runs.
  clock_.Advance(std::chrono::hours(48 - 11));
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(notifier_.sent().back().id, "acme/" + id.value() + "/resolve/1");
  ASSERT_TRUE(exceptions::Resolve(*store_, scope, {id}, "fixed").ok());
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(notifier_.sent().size(), 1u);
}

TEST_P(SlaMonitorTest, TakesInCasesTheRuntimeOpenedWithoutGovernance) {
  const TenantId t("acme");
  SeedTenant(t);
  // A case opened by the engine alone (no intake call).
  const RunId run("run_plain");
  InTxn([&](store::Txn& txn) -> Status {
    store::Run r;
    r.tenant = t;
    r.id = run;
    r.workflow_name = "order-capture";
    r.workflow_version = 1;
    r.state = store::RunState::kFailed;
    r.current_step = "post_sales_order";
    r.input_json = Order(1, "20.00", "c");
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(r));
    store::ExceptionCase c;
    c.tenant = t;
    c.id = ExceptionCaseId("exc_plain");
    c.run = run;
    c.step = "post_sales_order";
    c.error_class = "rejected";
    c.message = UnknownSku("SKU-2");
    return txn.OpenExceptionCase(c);
  });
  auto stats = RunDueEscalationsWithStats(*store_, clock_, notifier_);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->cases_taken_in, 1);
  auto c =
      exceptions::GetCase(*store_, TenantScope::ForSystem(t, "x"), ExceptionCaseId("exc_plain"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->root_cause_key, "unknown_item:SKU-2");
  EXPECT_EQ(c->order_value_minor, 2000);
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(SlaMonitorTest);

}  // namespace
}  // namespace govflow::governance
