// The pure-step evaluator on the shipped order-capture template: a realistic Shopify order is
// validated and mapped to a Business Central salesOrder; broken orders fail with the rule's error
// class; and the helpers the runtime uses for call, wait and branch steps.
#include "workflow/evaluator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/canonical_json.h"
#include "workflow/loader.h"

namespace govflow::workflow {
namespace {

using namespace std::chrono_literals;

// A Shopify orders/create webhook body (REST Admin API 2026-07 representation), trimmed to the
// fields a real payload always carries plus the ones the template reads.
constexpr const char* kShopifyOrder = R"({
  "id": 5123456789012,
  "admin_graphql_api_id": "gid://shopify/Order/5123456789012",
  "name": "#1042",
  "order_number": 1042,
  "email": "maria.lopez@example.com",
  "contact_email": "maria.lopez@example.com",
  "created_at": "2026-07-14T09:31:07-04:00",
  "currency": "USD",
  "presentment_currency": "USD",
  "financial_status": "paid",
  "fulfillment_status": null,
  "test": false,
  "subtotal_price": "273.85",
  "total_discounts": "10.00",
  "total_tax": "21.91",
  "total_price": "295.76",
  "customer": {"id": 7001, "email": "maria.lopez@example.com", "first_name": "Maria",
               "last_name": "Lopez"},
  "shipping_address": {"name": "Maria Lopez", "address1": "12 Harbour St", "city": "Boston",
                       "zip": "02110", "country_code": "US"},
  "line_items": [
    {"id": 1301, "variant_id": 4401, "product_id": 3301, "sku": "TSHIRT-NAVY-M",
     "title": "Organic T-shirt", "variant_title": "Navy / M", "quantity": 2, "price": "24.95",
     "total_discount": "0.00", "requires_shipping": true, "taxable": true},
    {"id": 1302, "variant_id": 4402, "product_id": 3302, "sku": " HOODIE-GRY-L ",
     "title": "Zip Hoodie", "variant_title": "Grey / L", "quantity": 1, "price": "89.00",
     "total_discount": "10.00", "requires_shipping": true, "taxable": true},
    {"id": 1303, "variant_id": 4403, "product_id": 3303, "sku": "CAP-BLK",
     "title": "Logo Cap", "variant_title": null, "quantity": 3, "price": "44.95",
     "total_discount": "0.00", "requires_shipping": true, "taxable": true}
  ]
})";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<const WorkflowDefinition> LoadTemplate() {
  auto result =
      LoadWorkflowFile(std::string(GOVFLOW_TEMPLATES_DIR) + "/workflows/order-capture.yaml");
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : nullptr;
}

std::shared_ptr<const WorkflowDefinition> Load(const std::string& yaml) {
  auto result = LoadWorkflow(yaml, "flow.yaml");
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : nullptr;
}

constexpr expr::timeutil::Timestamp kNow{1784021467, 0};  // 2026-07-14T09:31:07Z

StepContext ContextFor(const WorkflowDefinition& def, boost::json::value event) {
  return StepContext(def, std::move(event), RunInfo{"run-0001", 1}, kNow);
}

boost::json::value Order() {
  return boost::json::parse(kShopifyOrder);
}

class OrderCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    def_ = LoadTemplate();
    ASSERT_NE(def_, nullptr);
  }
  std::shared_ptr<const WorkflowDefinition> def_;
};

TEST_F(OrderCaptureTest, ValidatesARealisticShopifyOrder) {
  StepContext context = ContextFor(*def_, Order());
  StepOutcome outcome = EvaluatePureStep(*def_, 0, context);
  EXPECT_EQ(outcome.kind, StepOutcome::Kind::kNext)
      << (outcome.failure ? outcome.failure->message : "");
  EXPECT_EQ(outcome.next_step, 1);
  EXPECT_FALSE(outcome.output.has_value());
}

TEST_F(OrderCaptureTest, MapsTheOrderToABusinessCentralSalesOrder) {
  StepContext context = ContextFor(*def_, Order());
  PureRunResult run = RunPureSteps(*def_, 0, context);
  ASSERT_EQ(run.outcome.kind, StepOutcome::Kind::kNext)
      << (run.outcome.failure ? run.outcome.failure->message : "");
  // Stopped at the call, which the runtime executes.
  EXPECT_EQ(run.outcome.next_step, 2);
  ASSERT_EQ(run.executed.size(), 2u);
  EXPECT_EQ(run.executed[0].step, 0);
  EXPECT_EQ(run.executed[1].step, 1);

  const boost::json::value* order = context.Output("map_order");
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(*order, boost::json::parse(R"({
    "externalDocumentNumber": "SHOP-1042",
    "orderDate": "2026-07-14",
    "customerNumber": "7001",
    "currencyCode": "USD",
    "email": "maria.lopez@example.com",
    "salesOrderLines": [
      {"sequence": 10000, "lineType": "Item", "lineObjectNumber": "TSHIRT-NAVY-M",
       "description": "Organic T-shirt", "quantity": 2, "unitPrice": 24.95},
      {"sequence": 20000, "lineType": "Item", "lineObjectNumber": "HOODIE-GRY-L",
       "description": "Zip Hoodie", "quantity": 1, "unitPrice": 89},
      {"sequence": 30000, "lineType": "Item", "lineObjectNumber": "CAP-BLK",
       "description": "Logo Cap", "quantity": 3, "unitPrice": 44.95}
    ]
  })"))
      << CanonicalJson(*order);
}

TEST_F(OrderCaptureTest, PreparesTheErpCallWithTheBusinessKey) {
  StepContext context = ContextFor(*def_, Order());
  PureRunResult run = RunPureSteps(*def_, 0, context);
  ASSERT_EQ(run.outcome.next_step, 2);
  auto prepared = PrepareCall(*def_, 2, context);
  ASSERT_TRUE(std::holds_alternative<CallRequest>(prepared))
      << std::get<StepFailure>(prepared).message;
  const CallRequest& request = std::get<CallRequest>(prepared);
  EXPECT_EQ(request.connection, "erp");
  EXPECT_EQ(request.operation, "salesOrders.create");
  EXPECT_EQ(request.business_key, "SHOP-1042");
  EXPECT_EQ(request.timeout, std::chrono::nanoseconds(30s));
  EXPECT_EQ(request.input, *context.Output("map_order"));

  // After the call the runtime records the response; the run then completes.
  context.SetOutput(def_->step(2), boost::json::parse(R"({"id": "b6f4", "number": "101005"})"));
  EXPECT_EQ(def_->step(2).next_index, kEndOfRun);
  EXPECT_EQ(context.Output("post_sales_order")->at("number"), "101005");
}

TEST_F(OrderCaptureTest, MissingEmailFailsWithTheRulesErrorClass) {
  boost::json::value order = Order();
  order.as_object()["email"] = "";
  StepContext context = ContextFor(*def_, std::move(order));
  PureRunResult run = RunPureSteps(*def_, 0, context);
  ASSERT_EQ(run.outcome.kind, StepOutcome::Kind::kFail);
  const StepFailure& failure = *run.outcome.failure;
  EXPECT_EQ(failure.error_class, ErrorClass::kValidation);
  EXPECT_EQ(failure.step, "validate_order");
  EXPECT_EQ(failure.message, "rule 'customer_email_present': order #1042: no valid customer email");
  ASSERT_EQ(failure.violations.size(), 1u);
  EXPECT_EQ(failure.violations[0].rule, "customer_email_present");
  // Nothing was mapped.
  EXPECT_EQ(context.Output("map_order"), nullptr);
}

TEST_F(OrderCaptureTest, LineWithoutSkuIsAMappingProblemAndEveryViolationIsListed) {
  boost::json::value order = Order();
  order.as_object()["line_items"].as_array()[1].as_object()["sku"] = nullptr;
  order.as_object()["line_items"].as_array()[2].as_object()["price"] = "44,95";
  order.as_object()["currency"] = "JPY";
  StepContext context = ContextFor(*def_, std::move(order));
  StepOutcome outcome = EvaluatePureStep(*def_, 0, context);
  ASSERT_EQ(outcome.kind, StepOutcome::Kind::kFail);
  const StepFailure& failure = *outcome.failure;
  ASSERT_EQ(failure.violations.size(), 3u);
  EXPECT_EQ(failure.violations[0].rule, "currency_accepted");
  EXPECT_EQ(failure.violations[0].message, "order #1042: currency JPY is not accepted");
  EXPECT_EQ(failure.violations[1].rule, "line_items_have_skus");
  EXPECT_EQ(failure.violations[1].error_class, ErrorClass::kMapping);
  EXPECT_EQ(failure.violations[2].rule, "line_prices_are_money");
  // The first violation decides the run's error class.
  EXPECT_EQ(failure.error_class, ErrorClass::kValidation);
}

TEST_F(OrderCaptureTest, NonMoneyTotalAndMissingLinesFail) {
  boost::json::value order = Order();
  order.as_object()["total_price"] = 295.76;  // a number, not Shopify's money string
  order.as_object()["line_items"] = boost::json::array();
  StepContext context = ContextFor(*def_, std::move(order));
  StepOutcome outcome = EvaluatePureStep(*def_, 0, context);
  ASSERT_EQ(outcome.kind, StepOutcome::Kind::kFail);
  std::vector<std::string> rules;
  for (const RuleViolation& v : outcome.failure->violations) rules.push_back(v.rule);
  EXPECT_EQ(rules, (std::vector<std::string>{"total_is_money", "has_line_items"}));
}

TEST_F(OrderCaptureTest, AnOrderWithoutCreatedAtFailsMappingWithClassMapping) {
  boost::json::value order = Order();
  order.as_object().erase("created_at");
  StepContext context = ContextFor(*def_, std::move(order));
  PureRunResult run = RunPureSteps(*def_, 0, context);
  ASSERT_EQ(run.outcome.kind, StepOutcome::Kind::kFail);
  EXPECT_EQ(run.outcome.failure->error_class, ErrorClass::kMapping);
  EXPECT_EQ(run.outcome.failure->step, "map_order");
  EXPECT_NE(run.outcome.failure->message.find("field 'orderDate'"), std::string::npos)
      << run.outcome.failure->message;
}

TEST_F(OrderCaptureTest, CallFailuresRetryThenFail) {
  const Step& post = def_->step(2);
  CallFailureDecision d = DecideAfterCallFailure(post, ErrorClass::kThrottled, 1, 0.5);
  EXPECT_EQ(d.action, CallFailureDecision::Action::kRetry);
  EXPECT_EQ(d.delay, std::chrono::nanoseconds(2s));
  d = DecideAfterCallFailure(post, ErrorClass::kTimeout, 3, 0.5);
  EXPECT_EQ(d.action, CallFailureDecision::Action::kRetry);
  EXPECT_EQ(d.delay, std::chrono::nanoseconds(8s));
  // The ERP refusing the order is not retried; nor is anything after the last attempt.
  EXPECT_EQ(DecideAfterCallFailure(post, ErrorClass::kRejected, 1, 0.5).action,
            CallFailureDecision::Action::kFail);
  EXPECT_EQ(DecideAfterCallFailure(post, ErrorClass::kTransient, 8, 0.5).action,
            CallFailureDecision::Action::kFail);
}

// Orders from Shopify's own API examples, when ../shared is present.
TEST_F(OrderCaptureTest, ShopifyFixtureOrdersValidateAndMap) {
  const char* env = std::getenv("GOVFLOW_SHARED_DIR");
  std::string shared = env != nullptr && *env != '\0' ? env : GOVFLOW_DEFAULT_SHARED_DIR;
  std::string path = shared + "/fixtures/shopify/rest_examples/rest_order_2026_07.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixture at " << path;
  boost::json::value fixture = boost::json::parse(ReadFile(path));
  int valid = 0;
  int rejected = 0;
  for (const auto& test_case : fixture.at("cases").as_array()) {
    const boost::json::value* body = test_case.as_object().if_contains("response_body");
    if (body == nullptr || !body->is_object()) continue;
    const boost::json::value* order = body->as_object().if_contains("order");
    if (order == nullptr || !order->is_object() || !order->as_object().contains("line_items")) {
      continue;
    }
    StepContext context = ContextFor(*def_, *order);
    PureRunResult run = RunPureSteps(*def_, 0, context);
    if (run.outcome.kind == StepOutcome::Kind::kNext) {
      ++valid;
      EXPECT_EQ(run.outcome.next_step, 2);
      const boost::json::value& mapped = *context.Output("map_order");
      std::string name(order->at("name").as_string());
      EXPECT_EQ(mapped.at("externalDocumentNumber").as_string(), "SHOP-" + name.substr(1));
      EXPECT_EQ(mapped.at("salesOrderLines").as_array().size(),
                order->at("line_items").as_array().size());
    } else {
      ++rejected;
      ASSERT_EQ(run.outcome.kind, StepOutcome::Kind::kFail);
      EXPECT_EQ(run.outcome.failure->step, "validate_order") << run.outcome.failure->message;
      EXPECT_FALSE(run.outcome.failure->violations.empty());
    }
  }
  // The examples hold both complete orders (#1001) and stripped ones (no email, no SKUs).
  EXPECT_GT(valid, 0);
  EXPECT_GT(rejected, 0);
}

// --- Other step kinds, on small inline workflows.

constexpr const char* kRoutingFlow = R"(apiVersion: govflow/v1
kind: Workflow
metadata: {name: routing, process: order_capture}
trigger: {connection: shop, topic: orders/create}
vars:
  review_threshold: 1000
steps:
  - name: route
    kind: branch
    cases:
      - when: double(event.total_price) >= vars.review_threshold
        goto: too_large
      - when: event.test
        goto: end
    default: summarize
  - name: summarize
    kind: map
    output: summary
    expression: "{'run': run.id, 'attempt': run.attempt, 'at': now, 'lines': size(event.line_items)}"
  - name: pause
    kind: wait
    until: timestamp(event.created_at) + duration('1h')
    next: end
  - name: too_large
    kind: fail
    error_class: policy
    message: "order {{ event.name }} totals {{ event.total_price }}, above {{ vars.review_threshold }}"
)";

TEST(PureSteps, BranchTakesTheFirstTrueCaseThenTheDefault) {
  auto def = Load(kRoutingFlow);
  ASSERT_NE(def, nullptr);
  boost::json::value order = Order();
  StepContext normal = ContextFor(*def, order);
  StepOutcome outcome = EvaluatePureStep(*def, 0, normal);
  EXPECT_EQ(outcome.kind, StepOutcome::Kind::kNext);
  EXPECT_EQ(outcome.next_step, 1);

  order.as_object()["test"] = true;
  StepContext test_order = ContextFor(*def, order);
  EXPECT_EQ(EvaluatePureStep(*def, 0, test_order).kind, StepOutcome::Kind::kComplete);

  order.as_object()["total_price"] = "1250.00";
  StepContext large = ContextFor(*def, order);
  PureRunResult run = RunPureSteps(*def, 0, large);
  ASSERT_EQ(run.outcome.kind, StepOutcome::Kind::kFail);
  EXPECT_EQ(run.outcome.failure->error_class, ErrorClass::kPolicy);
  EXPECT_EQ(run.outcome.failure->step, "too_large");
  EXPECT_EQ(run.outcome.failure->message, "order #1042 totals 1250.00, above 1000");
}

TEST(PureSteps, BranchConditionThatIsNotBoolFailsAsMapping) {
  auto def = Load(kRoutingFlow);
  ASSERT_NE(def, nullptr);
  boost::json::value order = Order();
  order.as_object()["test"] = "yes";
  StepContext context = ContextFor(*def, order);
  StepOutcome outcome = EvaluatePureStep(*def, 0, context);
  ASSERT_EQ(outcome.kind, StepOutcome::Kind::kFail);
  EXPECT_EQ(outcome.failure->error_class, ErrorClass::kMapping);
  EXPECT_EQ(outcome.failure->message, "case 2: gave string, not bool");
}

TEST(PureSteps, RunVariablesAndOutputAliasesAreVisible) {
  auto def = Load(kRoutingFlow);
  ASSERT_NE(def, nullptr);
  StepContext context = ContextFor(*def, Order());
  PureRunResult run = RunPureSteps(*def, 0, context);
  ASSERT_EQ(run.outcome.kind, StepOutcome::Kind::kNext);
  EXPECT_EQ(run.outcome.next_step, 2);  // the wait step
  EXPECT_EQ(*context.Output("summarize"), boost::json::parse(R"(
      {"run": "run-0001", "attempt": 1, "at": "2026-07-14T09:31:07Z", "lines": 3})"));

  auto deadline = WaitDeadline(*def, 2, context);
  ASSERT_TRUE(std::holds_alternative<expr::timeutil::Timestamp>(deadline));
  // created_at 09:31:07-04:00 is 13:31:07Z; plus one hour.
  EXPECT_EQ(expr::timeutil::FormatTimestamp(std::get<expr::timeutil::Timestamp>(deadline)),
            "2026-07-14T14:31:07Z");
}

TEST(PureSteps, WaitDurationIsCountedFromNow) {
  auto def = Load(R"(apiVersion: govflow/v1
kind: Workflow
metadata: {name: pause}
trigger: {connection: shop, topic: orders/create}
steps:
  - name: pause
    kind: wait
    duration: 15m
)");
  ASSERT_NE(def, nullptr);
  StepContext context = ContextFor(*def, Order());
  auto deadline = WaitDeadline(*def, 0, context);
  ASSERT_TRUE(std::holds_alternative<expr::timeutil::Timestamp>(deadline));
  EXPECT_EQ(std::get<expr::timeutil::Timestamp>(deadline).seconds, kNow.seconds + 900);
  // A call or wait step is not something EvaluatePureStep runs.
  EXPECT_EQ(EvaluatePureStep(*def, 0, context).failure->error_class, ErrorClass::kInternal);
}

TEST(PureSteps, CallErrorsRouteByClassAfterRetries) {
  auto def = Load(R"(apiVersion: govflow/v1
kind: Workflow
metadata: {name: routed}
trigger: {connection: shop, topic: orders/create}
steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
    business_key: event.order_number
    retry: {attempts: 2, retry_on: [transient]}
    on_error:
      - error_class: rejected
        goto: refused
      - error_class: transient
        goto: refused
    next: end
  - name: refused
    kind: fail
    error_class: rejected
    message: the ERP refused the order
)");
  ASSERT_NE(def, nullptr);
  const Step& post = def->step(0);
  EXPECT_EQ(DecideAfterCallFailure(post, ErrorClass::kTransient, 1, 0.0).action,
            CallFailureDecision::Action::kRetry);
  CallFailureDecision after_retries = DecideAfterCallFailure(post, ErrorClass::kTransient, 2, 0.0);
  EXPECT_EQ(after_retries.action, CallFailureDecision::Action::kGoto);
  EXPECT_EQ(after_retries.next_step, 1);
  EXPECT_EQ(DecideAfterCallFailure(post, ErrorClass::kRejected, 1, 0.0).next_step, 1);
  EXPECT_EQ(DecideAfterCallFailure(post, ErrorClass::kAuth, 1, 0.0).action,
            CallFailureDecision::Action::kFail);

  // A numeric business key is written in decimal.
  StepContext context = ContextFor(*def, Order());
  auto prepared = PrepareCall(*def, 0, context);
  ASSERT_TRUE(std::holds_alternative<CallRequest>(prepared));
  EXPECT_EQ(std::get<CallRequest>(prepared).business_key, "1042");

  // A missing business key fails the run as a mapping problem, before anything is sent.
  boost::json::value order = Order();
  order.as_object().erase("order_number");
  StepContext missing = ContextFor(*def, order);
  auto failed = PrepareCall(*def, 0, missing);
  ASSERT_TRUE(std::holds_alternative<StepFailure>(failed));
  EXPECT_EQ(std::get<StepFailure>(failed).error_class, ErrorClass::kMapping);
}

TEST(PureSteps, RestoredContextContinuesWhereTheRunStopped) {
  auto def = LoadTemplate();
  ASSERT_NE(def, nullptr);
  StepContext before = ContextFor(*def, Order());
  ASSERT_EQ(RunPureSteps(*def, 0, before).outcome.next_step, 2);
  // What the runtime persisted, restored in a fresh process.
  std::string persisted = boost::json::serialize(before.steps_value());
  StepContext after = ContextFor(*def, Order());
  after.RestoreSteps(boost::json::parse(persisted));
  auto prepared = PrepareCall(*def, 2, after);
  ASSERT_TRUE(std::holds_alternative<CallRequest>(prepared));
  EXPECT_EQ(std::get<CallRequest>(prepared).business_key, "SHOP-1042");
}

TEST(PureSteps, RunawayExpressionStopsAtTheCostBudget) {
  auto def = Load(R"(apiVersion: govflow/v1
kind: Workflow
metadata: {name: runaway}
trigger: {connection: shop, topic: orders/create}
steps:
  - name: explode
    kind: map
    expression: >-
      event.line_items.map(a, event.line_items.map(b, event.line_items.map(c,
      event.line_items.map(d, [a, b, c, d]).size())))
)");
  ASSERT_NE(def, nullptr);
  boost::json::value order = Order();
  boost::json::array& lines = order.as_object()["line_items"].as_array();
  while (lines.size() < 30) lines.push_back(lines[0]);  // 30^4 = 810,000 iterations
  StepContext context = ContextFor(*def, order);
  StepOutcome outcome = EvaluatePureStep(*def, 0, context);
  ASSERT_EQ(outcome.kind, StepOutcome::Kind::kFail);
  EXPECT_EQ(outcome.failure->error_class, ErrorClass::kMapping);
  EXPECT_NE(outcome.failure->message.find("cost budget exceeded"), std::string::npos)
      << outcome.failure->message;
}

TEST(PureSteps, DefinitionIsSharedSafelyAcrossThreads) {
  auto def = LoadTemplate();
  ASSERT_NE(def, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> mapped{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        boost::json::value order = Order();
        order.as_object()["name"] = "#" + std::to_string(t * 1000 + i);
        StepContext context(*def, std::move(order), RunInfo{"r", 1}, kNow);
        PureRunResult run = RunPureSteps(*def, 0, context);
        if (run.outcome.kind == StepOutcome::Kind::kNext &&
            context.Output("map_order")->at("externalDocumentNumber").as_string() ==
                "SHOP-" + std::to_string(t * 1000 + i)) {
          ++mapped;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mapped.load(), 200);
}

}  // namespace
}  // namespace govflow::workflow
