// The loader's contract: the shipped template loads with a stable identity, and every kind of
// mistake is reported with its exact file:line:column message, all at once, sorted by position.
#include "workflow/loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "base/canonical_json.h"

namespace govflow::workflow {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TemplatePath() {
  return std::string(GOVFLOW_TEMPLATES_DIR) + "/workflows/order-capture.yaml";
}

// A small valid workflow; tests splice their mistakes into it.
constexpr const char* kHeader = R"(apiVersion: govflow/v1
kind: Workflow
metadata:
  name: test-flow
  process: order_capture
trigger:
  connection: shop
  topic: orders/create
)";

std::string WithSteps(const std::string& steps) {
  return std::string(kHeader) + steps;
}

// The error text of a load that must fail ("" when it unexpectedly succeeds).
std::string Errors(const std::string& yaml) {
  auto result = LoadWorkflow(yaml, "flow.yaml");
  if (result.ok()) return "";
  return result.status().message();
}

std::shared_ptr<const WorkflowDefinition> MustLoad(const std::string& yaml) {
  auto result = LoadWorkflow(yaml, "flow.yaml");
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? *result : nullptr;
}

// --- The shipped template.

TEST(OrderCaptureTemplate, LoadsWithoutDiagnostics) {
  std::string text = ReadFile(TemplatePath());
  ASSERT_FALSE(text.empty()) << "missing " << TemplatePath();
  LoadReport report = LoadWorkflowWithDiagnostics(text, "order-capture.yaml");
  ASSERT_NE(report.definition, nullptr);
  EXPECT_TRUE(report.diagnostics.empty());
  const WorkflowDefinition& def = *report.definition;
  EXPECT_EQ(def.name(), "order-capture");
  EXPECT_EQ(def.process(), "order_capture");
  EXPECT_EQ(def.trigger().connection, "shop");
  EXPECT_EQ(def.trigger().topic, "orders/create");
  ASSERT_EQ(def.steps().size(), 3u);
  EXPECT_EQ(def.step(0).kind, StepKind::kValidate);
  EXPECT_EQ(def.step(1).kind, StepKind::kMap);
  EXPECT_EQ(def.step(1).output_name, "sales_order");
  const Step& post = def.step(2);
  ASSERT_EQ(post.kind, StepKind::kCall);
  EXPECT_EQ(post.call().connection, "erp");
  EXPECT_EQ(post.call().operation, "salesOrders.create");
  ASSERT_TRUE(post.call().business_key.has_value());
  EXPECT_EQ(post.call().business_key->source, "sales_order.externalDocumentNumber");
  EXPECT_EQ(post.call().timeout, std::chrono::seconds(30));
  EXPECT_EQ(post.call().retry.attempts, 8);
  EXPECT_EQ(post.call().retry.initial_backoff, std::chrono::seconds(2));
  EXPECT_EQ(post.call().retry.max_backoff, std::chrono::minutes(5));
  EXPECT_TRUE(post.call().retry.RetriesOn(ErrorClass::kUnknown));
  EXPECT_FALSE(post.call().retry.RetriesOn(ErrorClass::kRejected));
  EXPECT_EQ(post.next_index, kEndOfRun);
  EXPECT_EQ(def.FindStep("map_order"), 1);
  EXPECT_EQ(def.FindStep("nope"), -1);
}

TEST(OrderCaptureTemplate, HashIsStableAcrossLoadsAndFormatting) {
  std::string text = ReadFile(TemplatePath());
  auto a = MustLoad(text);
  auto b = MustLoad(text);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->content_hash(), b->content_hash());
  EXPECT_EQ(a->content_hash().size(), 64u);
  EXPECT_EQ(a->content_hash(), Sha256Hex(a->CanonicalJson()));
  EXPECT_EQ(a->version(), "order-capture@" + a->content_hash().substr(0, 12));

  // Comments and blank lines are not content.
  std::string commented = "# a new comment\n\n" + text + "\n# trailing comment\n";
  auto c = MustLoad(commented);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->content_hash(), a->content_hash());

  // Any change of meaning is a new version.
  std::string changed = text;
  changed.replace(changed.find("attempts: 8"), 11, "attempts: 7");
  auto d = MustLoad(changed);
  ASSERT_TRUE(d);
  EXPECT_NE(d->content_hash(), a->content_hash());
}

TEST(CanonicalForm, IgnoresKeyOrderQuotingAndDurationSpelling) {
  auto a = MustLoad(WithSteps(R"(steps:
  - name: pause
    kind: wait
    duration: 90s
)"));
  auto b = MustLoad(R"(kind: "Workflow"
apiVersion: 'govflow/v1'
trigger: {topic: orders/create, connection: shop}
metadata: {process: order_capture, name: test-flow}
steps:
  - {duration: 1m30s, kind: wait, name: pause}
)");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->CanonicalJson(), b->CanonicalJson());
  EXPECT_EQ(a->content_hash(), b->content_hash());
  EXPECT_NE(a->CanonicalJson().find(R"("duration":"1m30s")"), std::string::npos);
}

TEST(CanonicalForm, DefaultsAreNotFilledIn) {
  auto a = MustLoad(WithSteps(R"(steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
)"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->CanonicalJson().find("retry"), std::string::npos);
  EXPECT_EQ(a->step(0).call().retry.attempts, 3);
  EXPECT_EQ(a->step(0).call().timeout, std::chrono::seconds(30));
}

// --- Errors, one kind at a time, with their exact text.

TEST(LoaderErrors, UnknownFieldNamesTheExpectedOnes) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
    retires:
      attempts: 3
)")),
            "flow.yaml:15:5: step 'post': unknown field 'retires' (did you mean 'retry'? expected "
            "one of: name, kind, description, next, connection, operation, input, business_key, "
            "output, timeout, retry, on_error)");
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
    retry:
      attemps: 3
)")),
            "flow.yaml:16:7: step 'post' retry: unknown field 'attemps' (did you mean "
            "'attempts'? expected one of: attempts, backoff, jitter, retry_on)");
  EXPECT_EQ(Errors(std::string(kHeader) + "stpes: []\n"),
            "flow.yaml:1:1: workflow: missing required field 'steps'\n"
            "flow.yaml:9:1: workflow: unknown field 'stpes' (did you mean 'steps'? expected one "
            "of: apiVersion, kind, metadata, trigger, vars, steps)");
}

TEST(LoaderErrors, MissingRequiredFields) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: check
    kind: validate
    rules:
      - name: email
        message: no email
  - kind: call
    connection: erp
    input: event
)")),
            "flow.yaml:13:9: step 'check' rule 'email': missing required field 'condition'\n"
            "flow.yaml:15:5: step 2: missing required field 'name'\n"
            "flow.yaml:15:5: step 2: missing required field 'operation'");
}

TEST(LoaderErrors, WrongTypes) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: check
    kind: validate
    rules: has(event.email)
  - name: post
    kind: call
    connection: [erp]
    operation: salesOrders.create
    input: event
    retry:
      attempts: three
)")),
            "flow.yaml:12:12: step 'check': 'rules' must be a non-empty list of rules, got a "
            "scalar\n"
            "flow.yaml:15:17: step 'post': 'connection' must be text, got a list\n"
            "flow.yaml:19:17: step 'post' retry: 'attempts' must be an integer from 1 to 20, "
            "got 'three'");
  EXPECT_EQ(Errors(std::string(kHeader) + "steps:\n  name: x\n"),
            "flow.yaml:10:3: workflow: 'steps' must be a non-empty list of steps, got a mapping");
}

TEST(LoaderErrors, DuplicateStepNamesAndYamlKeys) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: pause
    kind: wait
    duration: 1m
  - name: pause
    kind: wait
    duration: 2m
    duration: 3m
)")),
            "flow.yaml:13:11: step 'pause': duplicate step name (first defined at line 10)\n"
            "flow.yaml:16:5: step 'pause': duplicate field 'duration'");
}

TEST(LoaderErrors, GotoToUnknownStep) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: route
    kind: branch
    cases:
      - when: event.total > 100
        goto: big_order
    default: smal_order
  - name: small_order
    kind: fail
    error_class: validation
    message: small
)")),
            "flow.yaml:14:15: step 'route' case 1: 'goto' names an unknown step 'big_order' "
            "(expected one of: route, small_order, end)\n"
            "flow.yaml:15:14: step 'route': 'default' names an unknown step 'smal_order' (did "
            "you mean 'small_order'? expected one of: route, small_order, end)");
}

TEST(LoaderErrors, UnreachableStep) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: map_order
    kind: map
    expression: event
    next: end
  - name: forgotten
    kind: fail
    error_class: validation
    message: never
)")),
            "flow.yaml:14:5: step 'forgotten' is unreachable: no path from the first step "
            "'map_order' leads to it");
}

TEST(LoaderErrors, LoopWithoutWaitIsRejectedButALoopThatWaitsIsNot) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: check
    kind: branch
    cases:
      - when: event.ready
        goto: end
  - name: again
    kind: map
    expression: event
    next: check
)")),
            "flow.yaml:10:5: steps 'check', 'again' form a loop without a wait step; a loop "
            "that never waits would run forever (add a wait step to the loop)");
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: spin
    kind: map
    expression: event
    next: spin
)")),
            "flow.yaml:10:5: step 'spin' loops to itself without a wait step; a loop that never "
            "waits would run forever (add a wait step to the loop)");
  MustLoad(WithSteps(R"(steps:
  - name: check
    kind: branch
    cases:
      - when: event.ready
        goto: end
  - name: pause
    kind: wait
    duration: 15m
    next: check
)"));
}

TEST(LoaderErrors, CelErrorsPointIntoTheYamlScalar) {
  // Plain scalar: the column of the bad token within the line.
  EXPECT_EQ(
      Errors(WithSteps(R"(steps:
  - name: check
    kind: validate
    rules:
      - name: email
        condition: has(event.email) && )
        message: no email
)")),
      "flow.yaml:14:40: step 'check' rule 'email' condition: Syntax error: mismatched "
      "input ')' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, "
      "NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}");
}

TEST(LoaderErrors, CelErrorsInBlockAndQuotedScalars) {
  std::string errors = Errors(WithSteps(R"(steps:
  - name: map_order
    kind: map
    fields:
      lines: |
        event.line_items.map(l, {
          "sku": l.sku +
        })
      total: "double(event.total_price) * * 2"
)"));
  // The block scalar's error is on its third line (the closing brace), the quoted one at the
  // second '*' (the opening quote is column 14).
  EXPECT_NE(errors.find("flow.yaml:16:9: step 'map_order' fields lines: Syntax error"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("flow.yaml:17:43: step 'map_order' fields total: Syntax error"),
            std::string::npos)
      << errors;
}

TEST(LoaderErrors, ColumnsCountCharactersNotBytes) {
  // "Bestellung für" holds a two-byte 'ü'; the column of 'evnt' counts it once.
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: reject
    kind: fail
    error_class: validation
    message: "Bestellung für {{ evnt.name }}"
)")),
            "flow.yaml:13:33: step 'reject' message: unknown variable 'evnt' (did you mean "
            "'event'? expected one of: event, vars, steps, run, now)");
}

TEST(LoaderErrors, UnknownVariablesAndStepOutputs) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: check
    kind: validate
    rules:
      - name: email
        condition: has(evnt.email)
        message: "no email for {{ steps.map_order.output.name }}"
  - name: map_order
    kind: map
    output: order
    expression: "{'total': vars.totl, 'who': run.user}"
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: order
    business_key: steps.check.output
)")),
            "flow.yaml:14:24: step 'check' rule 'email' condition: unknown variable 'evnt' (did "
            "you mean 'event'? expected one of: event, vars, steps, run, now, order)\n"
            "flow.yaml:15:35: step 'check' rule 'email' message: reads the output of step "
            "'map_order', which never runs before step 'check'\n"
            "flow.yaml:19:28: step 'map_order' expression: unknown variable 'vars.totl' (no vars "
            "are declared)\n"
            "flow.yaml:19:46: step 'map_order' expression: unknown field 'user' of run (expected "
            "one of: id, attempt, workflow, version)\n"
            "flow.yaml:25:19: step 'post' business_key: step 'check' is a validate step and has "
            "no output (only map, call and approve steps have one)");
}

TEST(LoaderErrors, InvalidDurations) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: pause
    kind: wait
    duration: 15 minutes
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
    timeout: 2h
  - name: brief
    kind: wait
    duration: 10ms
)")),
            "flow.yaml:12:15: step 'pause': 'duration': invalid duration '15 minutes' (expected "
            "a number and a unit: d, h, m, s, ms; e.g. '30s', '15m', '1h30m')\n"
            "flow.yaml:18:14: step 'post': 'timeout' must be from 1ms to 1h, got '2h'\n"
            "flow.yaml:21:15: step 'brief': 'duration' must be from 1s to 366d, got '10ms'");
}

TEST(LoaderErrors, RetryNumbersOutOfRange) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
    retry:
      attempts: 0
      jitter: 1.5
      backoff: {initial: 10s, max: 5s, multiplier: 20}
)")),
            "flow.yaml:16:17: step 'post' retry: 'attempts' must be an integer from 1 to 20, got "
            "'0'\n"
            "flow.yaml:17:15: step 'post' retry: 'jitter' must be a number from 0 to 1, got "
            "'1.5'\n"
            "flow.yaml:18:36: step 'post' retry backoff: 'max' (5s) must not be less than "
            "'initial' (10s)\n"
            "flow.yaml:18:52: step 'post' retry backoff: 'multiplier' must be a number from 1 to "
            "10, got '20'");
}

TEST(LoaderErrors, UnknownErrorClasses) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
    retry:
      retry_on: [transient, throttle]
  - name: reject
    kind: fail
    error_class: validaton
    message: bad order
)")),
            "flow.yaml:16:29: step 'post' retry: unknown error class 'throttle' (did you mean "
            "'throttled'? expected one of: validation, mapping, rejected, transient, throttled, "
            "timeout, unknown, auth, conflict, not_found, policy, internal)\n"
            "flow.yaml:19:18: step 'reject': unknown error class 'validaton' (did you mean "
            "'validation'? expected one of: validation, mapping, rejected, transient, throttled, "
            "timeout, unknown, auth, conflict, not_found, policy, internal)");
}

TEST(LoaderErrors, UnknownStepKind) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: post
    kind: cal
    connection: erp
)")),
            "flow.yaml:11:11: step 'post': unknown kind 'cal' (did you mean 'call'? expected one "
            "of: validate, map, branch, call, wait, fail, approve)");
}

TEST(LoaderErrors, ManyErrorsAreReportedAtOnceSortedByPosition) {
  std::string errors = Errors(R"(apiVersion: govflow/v2
kind: Workflow
metadata:
  name: Test_Flow
trigger:
  connection: shop
steps:
  - name: wait_a_bit
    kind: wait
    duration: soon
)");
  EXPECT_EQ(errors,
            "flow.yaml:1:13: workflow: unsupported apiVersion 'govflow/v2' (expected "
            "'govflow/v1')\n"
            "flow.yaml:4:9: metadata: 'name' must be lower-case letters, digits and '-' (at most "
            "63, e.g. 'order-capture'), got 'Test_Flow'\n"
            "flow.yaml:6:3: trigger: missing required field 'topic'\n"
            "flow.yaml:10:15: step 'wait_a_bit': 'duration': invalid duration 'soon' (expected a "
            "number and a unit: d, h, m, s, ms; e.g. '30s', '15m', '1h30m')");
}

TEST(LoaderErrors, YamlSyntaxErrorHasAPosition) {
  EXPECT_EQ(Errors("apiVersion: govflow/v1\nsteps: [a,\nkind: x\n"),
            "flow.yaml:4:1: YAML syntax error: end of sequence flow not found");
}

TEST(LoaderErrors, MapNeedsExactlyOneOfExpressionOrFields) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: map_order
    kind: map
    expression: event
    fields:
      a: event.a
)")),
            "flow.yaml:13:5: step 'map_order': a map step needs exactly one of 'expression' (one "
            "CEL expression) or 'fields' (a mapping of field names to CEL expressions)");
}

TEST(LoaderErrors, ApprovePlaceholderIsChecked) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: sign_off
    kind: approve
    roles: [finance_approver, finance_approver]
    quorum: 0
)")),
            "flow.yaml:12:31: step 'sign_off': role 'finance_approver' is listed twice\n"
            "flow.yaml:13:13: step 'sign_off': 'quorum' must be an integer from 1 to 10, got '0'");
  auto ok = MustLoad(WithSteps(R"(steps:
  - name: sign_off
    kind: approve
    roles: [finance_approver, sales_lead]
    quorum: 2
    message: "approve order {{ event.name }}"
)"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->step(0).approve().quorum, 2);
  EXPECT_EQ(ok->step(0).approve().roles.size(), 2u);
}

TEST(LoaderErrors, ApproveRoutesExpiryAndOutputAreChecked) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: sign_off
    kind: approve
    roles: [finance_approver]
    escalate_to: [finance_controller]
    on_reject: nowhere
)")),
            "flow.yaml:13:18: step 'sign_off': 'escalate_to' needs 'expires_in' (when to "
            "escalate)\n"
            "flow.yaml:14:16: step 'sign_off': 'on_reject' names an unknown step 'nowhere' "
            "(expected one of: sign_off, end)");
  auto ok = MustLoad(WithSteps(R"(steps:
  - name: sign_off
    kind: approve
    roles: [finance_approver]
    requested_by: "'user:' + event.requested_by"
    details: "{'total': event.total}"
    expires_in: 2h
    escalate_to: [finance_controller]
    on_reject: refused
    output: decision
  - name: record
    kind: map
    expression: "{'by': decision.approvers, 'ok': steps.sign_off.output.approved}"
    next: end
  - name: refused
    kind: fail
    error_class: policy
    message: "refused"
)"));
  ASSERT_TRUE(ok);
  const ApproveSpec& spec = ok->step(0).approve();
  EXPECT_EQ(spec.expires_in, std::chrono::hours(2));
  EXPECT_EQ(spec.escalate_to, std::vector<std::string>{"finance_controller"});
  EXPECT_EQ(spec.on_reject_index, 2);
  EXPECT_TRUE(spec.requested_by.has_value());
  EXPECT_TRUE(spec.details.has_value());
  EXPECT_EQ(ok->step(0).output_name, "decision");
}

TEST(LoaderErrors, MessageTemplatesAreChecked) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: reject
    kind: fail
    error_class: validation
    message: "order {{ event.name has no email"
)")),
            "flow.yaml:13:21: step 'reject' message: '{{' without a closing '}}'");
}

TEST(LoaderErrors, OutputNamesMustNotShadowContextVariables) {
  EXPECT_EQ(Errors(WithSteps(R"(steps:
  - name: map_order
    kind: map
    output: event
    expression: event
)")),
            "flow.yaml:12:13: step 'map_order': 'output' 'event' is a reserved name (event, vars, "
            "steps, run, now and the CEL type and namespace names are taken)");
}

TEST(LoaderLimits, RejectsOversizedAndDeeplyNestedInputBeforeParsing) {
  EXPECT_EQ(Errors(std::string(kHeader) + "vars:\n  x: " + std::string(100, '[') + "\n"),
            "flow.yaml:1:1: brackets nested more than 64 deep");
  std::string huge = std::string(kHeader) + "# " + std::string(2 << 20, 'x') + "\n";
  EXPECT_NE(Errors(huge).find("at most 1048576 are accepted"), std::string::npos);
}

// Every complete example in docs/workflow-language.md (a ```yaml block starting with apiVersion)
// must load: the documentation cannot drift from the language.
TEST(LanguageDocs, CompleteExamplesLoad) {
  std::string doc = ReadFile(std::string(GOVFLOW_DOCS_DIR) + "/workflow-language.md");
  ASSERT_FALSE(doc.empty());
  int examples = 0;
  size_t pos = 0;
  while ((pos = doc.find("```yaml\n", pos)) != std::string::npos) {
    size_t start = pos + 8;
    size_t end = doc.find("```", start);
    ASSERT_NE(end, std::string::npos);
    std::string block = doc.substr(start, end - start);
    pos = end + 3;
    if (block.rfind("apiVersion:", 0) != 0) continue;
    ++examples;
    auto result = LoadWorkflow(block, "workflow-language.md");
    EXPECT_TRUE(result.ok()) << result.status().message();
  }
  EXPECT_GE(examples, 1);
}

TEST(LoaderWarnings, RetryingUnknownOutcomesWithoutABusinessKeyIsWarnedAboutNotRejected) {
  LoadReport report = LoadWorkflowWithDiagnostics(WithSteps(R"(steps:
  - name: post
    kind: call
    connection: erp
    operation: salesOrders.create
    input: event
)"),
                                                  "flow.yaml");
  ASSERT_NE(report.definition, nullptr);
  ASSERT_EQ(report.diagnostics.size(), 1u);
  EXPECT_EQ(report.diagnostics[0].ToString("flow.yaml"),
            "flow.yaml:10:5: warning: step 'post': retries after timeouts or unknown outcomes but "
            "has no 'business_key'; unless connection 'erp' deduplicates requests, a retry may "
            "create a duplicate");
  EXPECT_EQ(report.definition->warnings().size(), 1u);
}

// Whatever the bytes, the loader answers with a definition or diagnostics, never a crash: every
// prefix of the template, and seeded random corruptions of it.
TEST(LoaderRobustness, TruncatedAndCorruptedTemplatesNeverCrash) {
  std::string text = ReadFile(TemplatePath());
  ASSERT_FALSE(text.empty());
  for (size_t cut = 0; cut < text.size(); cut += 17) {
    LoadReport report = LoadWorkflowWithDiagnostics(text.substr(0, cut), "cut.yaml");
    EXPECT_TRUE(report.definition != nullptr || !report.diagnostics.empty()) << cut;
  }
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  constexpr char kNoise[] = " :-#[]{}|>'\"\n\t&*!%@`,?{{}}abc0";
  for (int round = 0; round < 100; ++round) {
    std::string mutated = text;
    for (int edits = 0; edits < 4; ++edits) {
      size_t at = next() % mutated.size();
      mutated[at] = kNoise[next() % (sizeof kNoise - 1)];
    }
    LoadReport report = LoadWorkflowWithDiagnostics(mutated, "noise.yaml");
    EXPECT_TRUE(report.definition != nullptr || !report.diagnostics.empty()) << round;
  }
}

TEST(LoadWorkflowFile, MissingFileIsNotFound) {
  auto result = LoadWorkflowFile("/nonexistent/flow.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
}

TEST(Diagnostics, FormatWithSourceLineShowsACaret) {
  LoadReport report = LoadWorkflowWithDiagnostics(WithSteps(R"(steps:
  - name: pause
    kind: wait
    duration: soon
)"),
                                                  "flow.yaml");
  ASSERT_EQ(report.diagnostics.size(), 1u);
  std::string text = WithSteps("steps:\n  - name: pause\n    kind: wait\n    duration: soon\n");
  EXPECT_EQ(FormatWithSourceLine(report.diagnostics[0], "flow.yaml", text).substr(0, 60),
            "flow.yaml:12:15: step 'pause': 'duration': invalid duration ");
  std::string full = FormatWithSourceLine(report.diagnostics[0], "flow.yaml", text);
  EXPECT_NE(full.find("\n      duration: soon\n                ^"), std::string::npos) << full;
}

}  // namespace
}  // namespace govflow::workflow
