// The runtime with a scripted ERP and a ManualClock: ingestion, pure steps, retries and backoff,
// Retry-After, permanent errors and validation failures as exception cases, unknown outcomes
// settled by lookup before create, per-attempt timeouts, wait steps, manual retry, and recovery
// of an in-flight effect after a crash.
#include <gtest/gtest.h>

#include "unit/runtime/runtime_test_support.h"
#include "workflow/runtime/exceptions.h"

namespace govflow::workflow::runtime::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using store::EffectState;
using store::RunState;

TEST_F(RuntimeTest, AcceptedDeliveryRunsToASalesOrderOnce) {
  RunId run = StartOrder("1001");
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->Orders("SHOP-1001"), 1);
  EXPECT_EQ(erp_->creates(), 1);
  EXPECT_EQ(erp_->lookups(), 0);
  store::Effect e = GetEffect(run);
  EXPECT_EQ(e.state, EffectState::kSucceeded);
  EXPECT_EQ(e.business_key, "SHOP-1001");
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(erp_->idempotency_keys().at(0), "acme/" + run.value() + "/post");
  auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
  auto events = txn->ListRunEvents(tenant_, run);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> kinds;
  for (const auto& ev : *events) kinds.push_back(ev.kind + ":" + ev.step);
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"transition:", "step:check", "step:build", "attempt:post",
                                      "attempt_result:post", "transition:"}));
}

TEST_F(RuntimeTest, DuplicateWebhookIdAnswers200AndStartsNoSecondRun) {
  WebhookAnswer first = Send(Order("1002"), "wh-same");
  WebhookAnswer second = Send(Order("1002"), "wh-same");
  EXPECT_EQ(first.http_status, 200);
  EXPECT_EQ(first.reason, "accepted");
  EXPECT_EQ(second.http_status, 200);
  EXPECT_EQ(second.reason, "duplicate");
  ASSERT_TRUE(second.run.has_value());
  EXPECT_EQ(*second.run, *first.run);
  ASSERT_TRUE(WaitForState(*first.run, RunState::kSucceeded));
  auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
  auto runs = txn->ListRuns(tenant_, std::nullopt, 100);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 1u);
  EXPECT_EQ(erp_->Orders("SHOP-1002"), 1);
}

TEST_F(RuntimeTest, BadSignatureIsRejectedAndRecordedAndChangesNothingElse) {
  WebhookAnswer a = Send(Order("1003"), "wh-bad", "wrong-secret");
  EXPECT_EQ(a.http_status, 401);
  EXPECT_EQ(a.reason, "invalid_signature");
  EXPECT_FALSE(a.run.has_value());
  auto txn = store_->Begin(store::sql::TxnMode::kReadOnly);
  auto deliveries = txn->ListDeliveries(tenant_, 10);
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ(deliveries->at(0).status, store::DeliveryStatus::kRejected);
  EXPECT_NE(deliveries->at(0).reason.find("invalid_signature"), std::string::npos);
  auto runs = txn->ListRuns(tenant_, std::nullopt, 100);
  EXPECT_TRUE(runs->empty());
  EXPECT_NE(WebhookAnswerBody(a).find("\"status\":401"), std::string::npos);
}

TEST_F(RuntimeTest, UnknownConnectionIs404) {
  WebhookRequest r;
  r.tenant = tenant_;
  r.connection = ConnectionId("nope");
  std::promise<WebhookAnswer> p;
  runtime_->ingestion().Ingest(std::move(r), [&](WebhookAnswer a) { p.set_value(a); });
  EXPECT_EQ(p.get_future().get().http_status, 404);
}

TEST_F(RuntimeTest, TransientFailuresRetryWithJitteredBackoffThenSucceed) {
  erp_->Push(Script::kTransient);
  erp_->Push(Script::kTransient);
  RunId run = StartOrder("1004");
  TimePoint wake = WaitParked(run);
  // initial 1s +-20% jitter
  EXPECT_GE(wake - clock_.Now(), milliseconds(800));
  EXPECT_LE(wake - clock_.Now(), milliseconds(1200));
  EXPECT_EQ(GetEffect(run).state, EffectState::kFailed);
  clock_.Set(wake);
  TimePoint wake2;
  ASSERT_TRUE(WaitFor([&] {
    store::Run r = GetRun(run);
    if (r.state == RunState::kWaiting && r.next_wake_at && *r.next_wake_at > wake) {
      wake2 = *r.next_wake_at;
      return true;
    }
    return false;
  }));
  // second retry: 2s +-20%
  EXPECT_GE(wake2 - clock_.Now(), milliseconds(1600));
  EXPECT_LE(wake2 - clock_.Now(), milliseconds(2400));
  clock_.Set(wake2);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->creates(), 3);
  EXPECT_EQ(erp_->Orders("SHOP-1004"), 1);
  EXPECT_EQ(GetEffect(run).attempts, 3);
  EXPECT_EQ(erp_->lookups(), 0);  // definite failures need no lookup
}

TEST_F(RuntimeTest, ThrottledCallWaitsAtLeastRetryAfter) {
  erp_->set_retry_after(seconds(20));
  erp_->Push(Script::kThrottled);
  RunId run = StartOrder("1005");
  TimePoint wake = WaitParked(run);
  EXPECT_GE(wake - clock_.Now(), seconds(20));
  clock_.Advance(seconds(19));
  runtime_->Poke();
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(erp_->creates(), 1);  // not yet
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->creates(), 2);
}

TEST_F(RuntimeTest, PermanentErrorBecomesAnExceptionCase) {
  erp_->Push(Script::kMasterData);
  RunId run = StartOrder("1006");
  ASSERT_TRUE(WaitForState(run, RunState::kFailed));
  auto cases = Exceptions();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].run, run);
  EXPECT_EQ(cases[0].step, "post");
  EXPECT_EQ(cases[0].error_class, "rejected");
  EXPECT_EQ(cases[0].state, store::ExceptionState::kOpen);
  EXPECT_NE(cases[0].payload_json.find("SHOP-1006"), std::string::npos);
  EXPECT_EQ(erp_->creates(), 1);
  EXPECT_EQ(GetEffect(run).state, EffectState::kFailed);
}

TEST_F(RuntimeTest, ValidationFailureBecomesAnExceptionWithoutCallingTheErp) {
  RunId run = StartOrder("1007", "");
  ASSERT_TRUE(WaitForState(run, RunState::kFailed));
  auto cases = Exceptions();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].step, "check");
  EXPECT_EQ(cases[0].error_class, "validation");
  EXPECT_NE(cases[0].message.find("order 1007 has no email"), std::string::npos);
  EXPECT_NE(cases[0].payload_json.find("has_email"), std::string::npos);
  EXPECT_EQ(erp_->creates(), 0);
}

TEST_F(RuntimeTest, ExhaustedRetriesBecomeAnException) {
  for (int i = 0; i < 3; ++i) erp_->Push(Script::kTransient);
  RunId run = StartOrder("1008");
  for (int i = 0; i < 2; ++i) {
    TimePoint wake = WaitParked(run);
    clock_.Set(wake);
    ASSERT_TRUE(WaitFor([&] { return erp_->creates() == i + 2; }));
  }
  ASSERT_TRUE(WaitForState(run, RunState::kFailed));
  auto cases = Exceptions();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].error_class, "transient");
  EXPECT_EQ(erp_->creates(), 3);
}

TEST_F(RuntimeTest, UnknownOutcomeIsSettledByLookupAndTheFoundOrderAdopted) {
  erp_->set_in_flight_bound(seconds(30));
  erp_->Push(Script::kUnknownCreated);
  RunId run = StartOrder("1009");
  const TimePoint started = clock_.Now();
  TimePoint wake = WaitParked(run);
  // Nothing is sent again before every request that may be in flight has ended.
  EXPECT_GE(wake - started, seconds(30));
  EXPECT_EQ(GetEffect(run).state, EffectState::kUnknown);
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->Orders("SHOP-1009"), 1);
  EXPECT_EQ(erp_->creates(), 1);
  EXPECT_EQ(erp_->lookups(), 1);
  store::Effect e = GetEffect(run);
  EXPECT_EQ(e.state, EffectState::kSucceeded);
  EXPECT_NE(e.response_json.find("so-SHOP-1009"), std::string::npos);
}

TEST_F(RuntimeTest, UnknownOutcomeNotFoundIsCreatedOnceAfterLookup) {
  erp_->Push(Script::kUnknownNothing);
  RunId run = StartOrder("1010");
  clock_.Set(WaitParked(run));
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->lookups(), 1);
  EXPECT_EQ(erp_->creates(), 2);
  EXPECT_EQ(erp_->Orders("SHOP-1010"), 1);
}

// An answered 500 is no longer in flight: the lookup runs at once (the clock never moves
// towards the 30 s in-flight bound) and adopts the order the ERP created before failing.
TEST_F(RuntimeTest, AnsweredServerErrorIsSettledByLookupAtOnceWithoutTheInFlightWait) {
  erp_->set_in_flight_bound(seconds(30));
  erp_->Push(Script::kAnsweredServerErrorCreated);
  const TimePoint started = clock_.Now();
  RunId run = StartOrder("1020");
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(clock_.Now(), started);
  EXPECT_EQ(erp_->creates(), 1);
  EXPECT_EQ(erp_->lookups(), 1);
  EXPECT_EQ(erp_->Orders("SHOP-1020"), 1);
  store::Effect e = GetEffect(run);
  EXPECT_EQ(e.state, EffectState::kSucceeded);
  EXPECT_NE(e.response_json.find("so-SHOP-1020"), std::string::npos);
}

// An answered 500 that created nothing: the lookup at once finds nothing, the effect is settled
// failed and the create is retried after the step's backoff (about 1 s), not after the in-flight
// bound; the ERP ends with exactly one order.
TEST_F(RuntimeTest, AnsweredServerErrorWithNothingCreatedRetriesAfterBackoffNotTheInFlightBound) {
  erp_->set_in_flight_bound(seconds(30));
  erp_->Push(Script::kAnsweredServerErrorNothing);
  const TimePoint started = clock_.Now();
  RunId run = StartOrder("1021");
  TimePoint wake = WaitParked(run);
  EXPECT_LE(wake - started, milliseconds(1200));
  EXPECT_EQ(erp_->lookups(), 1);
  EXPECT_EQ(GetEffect(run).state, EffectState::kFailed);
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->creates(), 2);
  EXPECT_EQ(erp_->lookups(), 1);
  EXPECT_EQ(erp_->Orders("SHOP-1021"), 1);
  EXPECT_EQ(GetEffect(run).state, EffectState::kSucceeded);
}

// Answered 500s until the retries (3 attempts) are spent: every attempt is settled by a lookup
// before the next create, and the run ends as an exception case with nothing in the ERP.
TEST_F(RuntimeTest, AnsweredServerErrorsUntilRetriesAreSpentEndAsAnExceptionWithoutOrders) {
  erp_->set_in_flight_bound(seconds(30));
  for (int i = 0; i < 3; ++i) erp_->Push(Script::kAnsweredServerErrorNothing);
  const TimePoint started = clock_.Now();
  RunId run = StartOrder("1022");
  ASSERT_TRUE(WaitFor([&] {
    store::Run r = GetRun(run);
    if (r.state == RunState::kWaiting && r.next_wake_at) {
      clock_.Set(std::max(clock_.Now(), *r.next_wake_at));
      runtime_->Poke();
    }
    return r.state == RunState::kSucceeded || r.state == RunState::kFailed;
  }));
  EXPECT_EQ(GetRun(run).state, RunState::kFailed);
  EXPECT_LT(clock_.Now() - started, seconds(30));  // backoffs only, never the in-flight bound
  EXPECT_EQ(erp_->Orders("SHOP-1022"), 0);
  EXPECT_EQ(erp_->creates(), 3);
  EXPECT_EQ(erp_->lookups(), 3);
  EXPECT_EQ(GetEffect(run).state, EffectState::kFailed);
  auto cases = Exceptions();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].error_class, "unknown");
}

TEST_F(RuntimeTest, AttemptWithoutAnswerTimesOutAndIsSettledNotRepeated) {
  erp_->Push(Script::kHangCreated);
  RunId run = StartOrder("1011");
  ASSERT_TRUE(WaitFor([&] { return erp_->creates() == 1; }));
  clock_.Advance(seconds(11));  // past the step's 10s timeout
  TimePoint wake = WaitParked(run);
  EXPECT_EQ(GetEffect(run).state, EffectState::kUnknown);
  erp_->ReleaseHung();  // the late answer is ignored
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->creates(), 1);
  EXPECT_EQ(erp_->lookups(), 1);
  EXPECT_EQ(erp_->Orders("SHOP-1011"), 1);
}

TEST_F(RuntimeTest, RetriedExceptionIsResolvedWhenTheRunSucceeds) {
  erp_->Push(Script::kMasterData);
  RunId run = StartOrder("1012");
  ASSERT_TRUE(WaitForState(run, RunState::kFailed));
  auto cases = Exceptions(store::ExceptionState::kOpen);
  ASSERT_EQ(cases.size(), 1u);
  auto detail = ShowException(*store_, tenant_, cases[0].id);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->run.id, run);
  EXPECT_FALSE(detail->history.empty());
  EXPECT_NE(ExceptionDetailToJson(*detail).find("\"error_class\":\"rejected\""), std::string::npos);

  ASSERT_TRUE(RetryException(*store_, tenant_, cases[0].id).ok());
  // A second retry of the same case is refused: it is no longer open.
  EXPECT_EQ(RetryException(*store_, tenant_, cases[0].id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_TRUE(WaitFor([&] {
    auto c = Exceptions(store::ExceptionState::kResolved);
    return c.size() == 1 && c[0].id == cases[0].id;
  }));
  EXPECT_EQ(erp_->Orders("SHOP-1012"), 1);
  EXPECT_EQ(GetEffect(run).attempts, 2);
}

TEST_F(RuntimeTest, CrashWithARequestInFlightIsRecoveredWithoutPostingTwice) {
  erp_->set_in_flight_bound(seconds(90));
  erp_->Push(Script::kHangCreated);
  RunId run = StartOrder("1013");
  ASSERT_TRUE(WaitFor([&] { return erp_->creates() == 1; }));
  EXPECT_EQ(GetEffect(run).state, EffectState::kInFlight);  // committed before sending
  const TimePoint sent = clock_.Now();
  runtime_->Abandon();
  runtime_.reset();
  erp_->ReleaseHung();
  store_.reset();
  OpenStore();
  StartRuntime("test-orders");
  clock_.Advance(seconds(61));  // the crashed owner's lease lapses
  runtime_->Poke();
  TimePoint wake = WaitParked(run);
  EXPECT_GE(wake - sent, seconds(90));  // waits out the crashed owner's request
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->Orders("SHOP-1013"), 1);
  EXPECT_EQ(erp_->creates(), 1);
  EXPECT_EQ(erp_->lookups(), 1);
}

TEST_F(RuntimeTest, WaitStepParksUntilItsDeadline) {
  constexpr char kWaiting[] = R"(apiVersion: govflow/v1
kind: Workflow
metadata:
  name: test-wait
trigger:
  connection: shop
  topic: orders/create
steps:
  - name: pause
    kind: wait
    duration: 15m
  - name: build
    kind: map
    output: order
    fields:
      externalDocumentNumber: "'SHOP-' + event.name"
  - name: post
    kind: call
    connection: erp
    operation: create_sales_order
    input: order
    business_key: order.externalDocumentNumber
)";
  ASSERT_TRUE(PublishWorkflow(*store_, tenant_, kWaiting, "test-wait.yaml").ok());
  ASSERT_TRUE(runtime_->catalog().Activate(tenant_, "test-wait").ok());
  RunId run = StartOrder("1014");
  TimePoint wake = WaitParked(run);
  EXPECT_EQ(wake - clock_.Now(), std::chrono::minutes(15));
  EXPECT_EQ(GetRun(run).workflow_name, "test-wait");
  clock_.Advance(std::chrono::minutes(14));
  runtime_->Poke();
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(erp_->creates(), 0);
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->Orders("SHOP-1014"), 1);
}

TEST_F(RuntimeTest, GracefulStopReleasesLeasesAndANewRuntimeFinishes) {
  erp_->Push(Script::kTransient);
  RunId run = StartOrder("1015");
  TimePoint wake = WaitParked(run);
  runtime_->Stop();
  EXPECT_TRUE(GetRun(run).lease_owner.empty());
  StartRuntime("test-orders");
  clock_.Set(wake);
  ASSERT_TRUE(WaitForState(run, RunState::kSucceeded));
  EXPECT_EQ(erp_->Orders("SHOP-1015"), 1);
}

TEST(RunContextTest, RoundTripsAndDefaultsMissingFields) {
  RunContext c;
  c.attempt = 3;
  c.attempt_base = 2;
  c.call_started_us = 77;
  c.steps = boost::json::object{{"a", boost::json::object{{"output", 1}}}};
  auto back = RunContext::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->attempt, 3);
  EXPECT_EQ(back->attempt_base, 2);
  EXPECT_EQ(back->call_started_us, 77);
  EXPECT_EQ(back->steps, c.steps);
  auto empty = RunContext::FromJson("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->attempt, 1);
  EXPECT_FALSE(RunContext::FromJson("[1]").ok());
}

// An answer from the remote itself (a status and its own error code) ends the request; a
// gateway timeout (504), a request timeout (408), a page without the remote's code and a missing
// answer do not: those requests may still be running.
TEST(RunStateTest, RequestEndedOnlyWhenTheRemoteItselfAnsweredOtherThanATimeout) {
  auto failure = [](int status, std::string code) {
    connect::CallFailure f;
    f.error_class = connect::ErrorClass::kUnknown;
    f.http_status = status;
    f.code = std::move(code);
    return f;
  };
  EXPECT_TRUE(RequestEnded(failure(500, "Internal_ServerError")));
  EXPECT_TRUE(RequestEnded(failure(502, "Internal_ServerError")));
  EXPECT_FALSE(RequestEnded(failure(504, "Internal_GatewayTimeout")));
  EXPECT_FALSE(RequestEnded(failure(408, "RequestTimeout")));
  EXPECT_FALSE(RequestEnded(failure(502, "")));
  EXPECT_FALSE(RequestEnded(failure(0, "timeout")));
}

TEST(RunStateTest, MapsConnectorClassesToWorkflowClasses) {
  connect::CallFailure f;
  f.error_class = connect::ErrorClass::kMasterData;
  EXPECT_EQ(ToWorkflowErrorClass(f), ErrorClass::kRejected);
  f.error_class = connect::ErrorClass::kUnknown;
  f.code = "timeout";
  EXPECT_EQ(ToWorkflowErrorClass(f), ErrorClass::kTimeout);
  EXPECT_TRUE(OutcomeUnknown(f));
  f.error_class = connect::ErrorClass::kThrottled;
  EXPECT_EQ(ToWorkflowErrorClass(f), ErrorClass::kThrottled);
  EXPECT_FALSE(OutcomeUnknown(f));
  EXPECT_EQ(IdempotencyKey(TenantId("t"), RunId("r"), "s"), "t/r/s");
}

}  // namespace
}  // namespace govflow::workflow::runtime::testing
