// The workflow `approve` step end to end on SQLite and PostgreSQL: a webhook starts a run, the
// run asks governance for an approval task and waits; the requester may not decide; the right
// role approves and the run completes with the decision as the step's output; a rejection or an
// expiry becomes an exception case (or the step's on_reject route). People and roles come from
// the directory and AccessControl; time from a ManualClock.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "connect/shopify/webhook_verifier.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "unit/governance/governance_store_test.h"
#include "workflow/runtime/catalog.h"
#include "workflow/runtime/job_loop.h"
#include "workflow/runtime/runtime.h"

namespace govflow::workflow::runtime {
namespace {

namespace json = boost::json;
using governance::ApprovalState;
using store::RunState;

constexpr char kSecret[] = "hush";
const TenantId kTenant("acme");

// An order above the threshold needs a finance controller; the approval carries the order's
// values; `record` reads the decision.
constexpr char kReviewWorkflow[] = R"(apiVersion: govflow/v1
kind: Workflow
metadata:
  name: big-orders
trigger:
  connection: shop
  topic: orders/create
steps:
  - name: review
    kind: approve
    roles: [finance_controller]
    message: "order {{ event.name }} totals {{ event.total_price }}"
    requested_by: "'user:' + event.requested_by"
    details: "{'order': event.name, 'total': event.total_price}"
    expires_in: 1h
  - name: record
    kind: map
    output: result
    expression: "{'approved_by': steps.review.output.approvers}"
)";

// The same with a route for rejections.
constexpr char kRoutedWorkflow[] = R"(apiVersion: govflow/v1
kind: Workflow
metadata:
  name: routed-orders
trigger:
  connection: shop
  topic: orders/create
steps:
  - name: review
    kind: approve
    roles: [finance_controller]
    requested_by: "'user:' + event.requested_by"
    on_reject: refused
  - name: accepted
    kind: map
    expression: "{'ok': true}"
    next: end
  - name: refused
    kind: map
    expression: "{'state': steps.review.output.state}"
)";

class ApproveStepTest : public govflow::testing::GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    access_ = std::make_unique<governance::AccessControl>(*store_, clock_);
    CreateTenant(kTenant);
    InTxn([](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(governance::SeedDefaultRoles(txn, kTenant));
      return txn.PutConnection({kTenant, ConnectionId("shop"), "shopify.webhooks", "{}", "",
                                TimePoint{}, TimePoint{}});
    });
    // The maker holds the deciding role too: only segregation of duties stops them.
    maker_ = AddUser("mia@acme.test", {"operator", "finance_controller"});
    checker_ = AddUser("fran@acme.test", {"finance_controller"});
    viewer_ = AddUser("vic@acme.test", {"viewer"});
  }

  void TearDown() override {
    if (runtime_) runtime_->Stop();
    runtime_.reset();
    GovernanceStoreTest::TearDown();
  }

  std::string AddUser(const std::string& email, const std::vector<std::string>& roles) {
    std::string id;
    InTxn([&](store::Txn& txn) -> Status {
      governance::NewUser u;
      u.email = email;
      GOVFLOW_ASSIGN_OR_RETURN(id,
                               CreateUser(txn, governance::PartnerScope::ForSystem("test"), u));
      for (const auto& role : roles) {
        GOVFLOW_RETURN_IF_ERROR(governance::GrantTenantRole(
            txn, governance::TenantScope::ForSystem(kTenant, "test"), id, role));
      }
      return Status::Ok();
    });
    return id;
  }

  void StartRuntime(const char* yaml, const std::string& name) {
    auto v = PublishWorkflow(*store_, kTenant, yaml, name + ".yaml");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    RuntimeOptions options;
    options.lease_for = std::chrono::seconds(60);
    options.poll_interval = std::chrono::milliseconds(5);
    options.committer.max_delay = std::chrono::microseconds(200);
    runtime_ = std::make_unique<Runtime>(*store_, clock_, options);
    ASSERT_TRUE(runtime_->catalog().Activate(kTenant, name).ok());
    connect::shopify::WebhookConfig config;
    config.secret = kSecret;
    auto shop = connect::shopify::WebhookConnector::Create(config);
    ASSERT_TRUE(shop.ok());
    runtime_->catalog().AddConnector(kTenant, ConnectionId("shop"),
                                     std::shared_ptr<connect::Connector>(std::move(*shop)));
    ASSERT_TRUE(runtime_->Start().ok());
  }

  RunId StartOrder(const std::string& name, const std::string& requested_by) {
    const std::string body = R"({"name":")" + name + R"(","total_price":"1234.50","requested_by":")" +
                             requested_by + R"("})";
    WebhookRequest r;
    r.tenant = kTenant;
    r.connection = ConnectionId("shop");
    r.path = "/hooks/acme/shop";
    r.body = body;
    r.headers = {{"X-Shopify-Hmac-Sha256", connect::shopify::ComputeWebhookHmac(kSecret, body)},
                 {"X-Shopify-Topic", "orders/create"},
                 {"X-Shopify-Shop-Domain", "acme.myshopify.com"},
                 {"X-Shopify-API-Version", "2025-01"},
                 {"X-Shopify-Webhook-Id", "wh-" + name}};
    std::promise<WebhookAnswer> p;
    runtime_->ingestion().Ingest(std::move(r), [&](WebhookAnswer a) { p.set_value(std::move(a)); });
    WebhookAnswer a = p.get_future().get();
    EXPECT_EQ(a.http_status, 200) << a.message;
    return a.run.value_or(RunId());
  }

  store::Run GetRun(const RunId& id) {
    store::Run out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, txn.GetRun(kTenant, id));
      return Status::Ok();
    });
    return out;
  }

  bool WaitFor(const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      if (runtime_) runtime_->Poke();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

  // Waits until the run is parked on its approval (waiting, lease released) and returns the task.
  governance::ApprovalTask WaitForTask(const RunId& run) {
    EXPECT_TRUE(WaitFor([&] {
      store::Run r = GetRun(run);
      return r.state == RunState::kWaiting && r.lease_owner.empty();
    }));
    governance::ApprovalTask task;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(
          task, governance::FindApprovalForSubject(
                    txn, governance::TenantScope::ForSystem(kTenant, "test"), "workflow_step",
                    run.value() + "/review"));
      return Status::Ok();
    });
    return task;
  }

  Status Decide(const std::string& email, const std::string& task, bool approve,
                const std::string& comment) {
    auto principal = access_->PrincipalForEmail(email);
    if (!principal.ok()) return principal.status();
    auto scope = access_->Authorize(*principal, kTenant, governance::perm::kApprovalsRead);
    if (!scope.ok()) return scope.status();
    return store_->Transact([&](store::Txn& txn) -> Status {
      return governance::DecideApproval(txn, *scope, task, approve, comment).status();
    });
  }

  std::vector<store::ExceptionCase> Cases() {
    std::vector<store::ExceptionCase> out;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, txn.ListExceptionCases(kTenant, std::nullopt, 100));
      return Status::Ok();
    });
    return out;
  }

  std::unique_ptr<governance::AccessControl> access_;
  std::unique_ptr<Runtime> runtime_;
  std::string maker_, checker_, viewer_;
};

TEST_P(ApproveStepTest, RunWaitsForTheRightRoleAndCompletesWithTheDecision) {
  StartRuntime(kReviewWorkflow, "big-orders");
  RunId run = StartOrder("5001", maker_);
  governance::ApprovalTask task = WaitForTask(run);
  ASSERT_FALSE(task.id.empty());
  EXPECT_EQ(task.state, ApprovalState::kPending);
  EXPECT_EQ(task.request.title, "order 5001 totals 1234.50");
  EXPECT_EQ(task.request.requested_by, "user:" + maker_);
  EXPECT_EQ(task.request.required_roles, std::vector<std::string>{"finance_controller"});
  json::object changes = json::parse(task.request.changes_json).as_object();
  EXPECT_EQ(changes.at("details").at("total").as_string(), "1234.50");
  EXPECT_EQ(changes.at("input_digest").as_string().size(), 64u);
  // Parked until the decision (or the expiry, one hour on).
  store::Run parked = GetRun(run);
  ASSERT_TRUE(parked.next_wake_at.has_value());
  EXPECT_EQ(*parked.next_wake_at, clock_.Now() + std::chrono::hours(1));

  // The requester holds the role but may not decide their own request; a viewer may not either.
  Status own = Decide("mia@acme.test", task.id, true, "looks fine to me");
  EXPECT_EQ(own.code(), StatusCode::kPermissionDenied) << own.ToString();
  EXPECT_FALSE(Decide("vic@acme.test", task.id, true, "ok").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  runtime_->Poke();
  EXPECT_EQ(GetRun(run).state, RunState::kWaiting);

  ASSERT_TRUE(Decide("fran@acme.test", task.id, true, "within budget").ok());
  ASSERT_TRUE(WaitFor([&] { return GetRun(run).state == RunState::kSucceeded; }));
  json::object steps = json::parse(GetRun(run).context_json).at("steps").as_object();
  const json::object& review = steps.at("review").at("output").as_object();
  EXPECT_TRUE(review.at("approved").as_bool());
  EXPECT_EQ(review.at("approvers").as_array().size(), 1u);
  EXPECT_EQ(review.at("approvers").as_array()[0].as_string(), "user:" + checker_);
  EXPECT_EQ(review.at("comments").as_array()[0].at("comment").as_string(), "within budget");
  EXPECT_EQ(json::serialize(steps.at("record").at("output")),
            R"({"approved_by":["user:)" + checker_ + R"("]})");
  EXPECT_TRUE(Cases().empty());
}

TEST_P(ApproveStepTest, RejectionBecomesAnApprovalRejectedExceptionCase) {
  StartRuntime(kReviewWorkflow, "big-orders");
  RunId run = StartOrder("5002", maker_);
  governance::ApprovalTask task = WaitForTask(run);
  ASSERT_TRUE(Decide("fran@acme.test", task.id, false, "customer is on credit hold").ok());
  ASSERT_TRUE(WaitFor([&] { return GetRun(run).state == RunState::kFailed; }));
  auto cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].run, run);
  EXPECT_EQ(cases[0].step, "review");
  EXPECT_EQ(cases[0].error_class, "approval_rejected");
  EXPECT_NE(cases[0].message.find("customer is on credit hold"), std::string::npos);
}

TEST_P(ApproveStepTest, UndecidedTaskExpiresIntoAnApprovalExpiredCase) {
  StartRuntime(kReviewWorkflow, "big-orders");
  RunId run = StartOrder("5003", maker_);
  governance::ApprovalTask task = WaitForTask(run);
  clock_.Advance(std::chrono::hours(1) + std::chrono::seconds(1));
  // The expiry job (run by the engine's job loop) rejects the task and wakes the run.
  auto expired = governance::ExpireApprovals(*store_, clock_);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(*expired, 1);
  ASSERT_TRUE(WaitFor([&] { return GetRun(run).state == RunState::kFailed; }));
  auto cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].error_class, "approval_expired");
}

TEST_P(ApproveStepTest, RejectionFollowsOnRejectWithTheDecisionAsOutput) {
  StartRuntime(kRoutedWorkflow, "routed-orders");
  RunId run = StartOrder("5004", maker_);
  governance::ApprovalTask task = WaitForTask(run);
  ASSERT_TRUE(Decide("fran@acme.test", task.id, false, "no").ok());
  ASSERT_TRUE(WaitFor([&] { return GetRun(run).state == RunState::kSucceeded; }));
  json::object steps = json::parse(GetRun(run).context_json).at("steps").as_object();
  EXPECT_FALSE(steps.at("review").at("output").at("approved").as_bool());
  EXPECT_EQ(steps.at("review").at("output").at("rejected_by").as_string(), "user:" + checker_);
  EXPECT_EQ(json::serialize(steps.at("refused").at("output")), R"({"state":"rejected"})");
  EXPECT_FALSE(steps.contains("accepted"));
  EXPECT_TRUE(Cases().empty());
}

// The engine's job loop runs the expiry job on its own: an approval expires in a running engine.
TEST_P(ApproveStepTest, JobLoopExpiresApprovalsAndTheRunMovesOn) {
  StartRuntime(kReviewWorkflow, "big-orders");
  RunId run = StartOrder("5005", maker_);
  WaitForTask(run);
  JobLoop jobs(clock_, {.poll_interval = std::chrono::milliseconds(5)});
  jobs.Add("approvals.expire", std::chrono::seconds(30),
           [&]() -> Status { return governance::ExpireApprovals(*store_, clock_).status(); });
  jobs.Start();
  clock_.Advance(std::chrono::hours(1) + std::chrono::minutes(1));
  jobs.Poke();
  ASSERT_TRUE(WaitFor([&] { return GetRun(run).state == RunState::kFailed; }));
  jobs.Stop();
  EXPECT_GE(jobs.stats().at("approvals.expire").runs, 1);
  EXPECT_EQ(jobs.stats().at("approvals.expire").failures, 0);
  ASSERT_EQ(Cases().size(), 1u);
  EXPECT_EQ(Cases()[0].error_class, "approval_expired");
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(ApproveStepTest);

}  // namespace
}  // namespace govflow::workflow::runtime
