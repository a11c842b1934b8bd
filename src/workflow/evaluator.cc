#include "workflow/evaluator.h"

#include <boost/json.hpp>

#include "expr/program.h"
#include "base/canonical_json.h"
#include "workflow/cel_json.h"
#include "workflow/message_template.h"

namespace govflow::workflow {
namespace {

std::string Quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

expr::EvalOptions Budget() {
  expr::EvalOptions options;
  options.cost_budget = kExpressionCostBudget;
  return options;
}

StepOutcome Fail(const Step& step, ErrorClass error_class, std::string message) {
  StepOutcome outcome;
  outcome.kind = StepOutcome::Kind::kFail;
  StepFailure failure;
  failure.error_class = error_class;
  failure.step = step.name;
  failure.message = std::move(message);
  outcome.failure = std::move(failure);
  return outcome;
}

StepOutcome Continue(int next_step) {
  StepOutcome outcome;
  outcome.kind = next_step == kEndOfRun ? StepOutcome::Kind::kComplete : StepOutcome::Kind::kNext;
  outcome.next_step = next_step;
  return outcome;
}

// The error message of a failed evaluation, or of a result that cannot be used.
std::string EvaluationError(const expr::Value& value) {
  if (value.is_error()) return std::string(value.error_message());
  return "";
}

StepOutcome RunValidate(const Step& step, const expr::Activation& activation) {
  std::vector<RuleViolation> violations;
  for (const ValidationRule& rule : step.validate().rules) {
    expr::Value result = rule.condition.program->Evaluate(activation, Budget());
    if (result.IsBool() && result.bool_value()) continue;
    RuleViolation violation;
    violation.rule = rule.name;
    violation.error_class = rule.error_class;
    Result<std::string> message = RenderMessage(rule.message, activation, Budget());
    violation.message = message.ok() ? *message : rule.message.source;
    if (result.is_error()) {
      violation.message +=
          " (the condition could not be evaluated: " + EvaluationError(result) + ")";
    } else if (!result.IsBool()) {
      violation.message +=
          " (the condition gave " + std::string(expr::KindName(result.kind())) + ", not bool)";
    }
    violations.push_back(std::move(violation));
  }
  if (violations.empty()) return Continue(step.next_index);
  StepOutcome outcome =
      Fail(step, violations.front().error_class,
           "rule " + Quote(violations.front().rule) + ": " + violations.front().message);
  outcome.failure->violations = std::move(violations);
  return outcome;
}

Result<boost::json::value> EvaluateToJson(const Expression& expression,
                                          const expr::Activation& activation) {
  expr::Value value = expression.program->Evaluate(activation, Budget());
  return ValueToJson(value);
}

Status EvaluateFields(const std::vector<MapField>& fields, const expr::Activation& activation,
                      const std::string& path, boost::json::object& out) {
  for (const MapField& field : fields) {
    std::string field_path = path.empty() ? field.name : path + "." + field.name;
    if (!field.expression) {
      boost::json::object nested;
      GOVFLOW_RETURN_IF_ERROR(EvaluateFields(field.fields, activation, field_path, nested));
      out[field.name] = std::move(nested);
      continue;
    }
    expr::Value value = field.expression->program->Evaluate(activation, Budget());
    // An empty optional leaves the field out (`?` and optional.none() in CEL).
    if (value.kind() == expr::ValueKind::kOptional && !value.optional_has_value()) continue;
    Result<boost::json::value> json = ValueToJson(value);
    if (!json.ok()) {
      return InvalidArgument("field " + Quote(field_path) + ": " + json.status().message());
    }
    out[field.name] = std::move(json).value();
  }
  return Status::Ok();
}

StepOutcome RunMap(const Step& step, const expr::Activation& activation) {
  const MapSpec& spec = step.map();
  boost::json::value output;
  if (spec.expression) {
    Result<boost::json::value> json = EvaluateToJson(*spec.expression, activation);
    if (!json.ok()) return Fail(step, ErrorClass::kMapping, json.status().message());
    output = std::move(json).value();
  } else {
    boost::json::object object;
    Status status = EvaluateFields(spec.fields, activation, "", object);
    if (!status.ok()) return Fail(step, ErrorClass::kMapping, status.message());
    output = std::move(object);
  }
  StepOutcome outcome = Continue(step.next_index);
  outcome.output = std::move(output);
  return outcome;
}

StepOutcome RunBranch(const Step& step, const expr::Activation& activation) {
  int number = 0;
  for (const BranchCase& branch_case : step.branch().cases) {
    ++number;
    expr::Value result = branch_case.when.program->Evaluate(activation, Budget());
    if (!result.IsBool()) {
      std::string why = result.is_error()
                            ? EvaluationError(result)
                            : "gave " + std::string(expr::KindName(result.kind())) + ", not bool";
      return Fail(step, ErrorClass::kMapping, "case " + std::to_string(number) + ": " + why);
    }
    if (result.bool_value()) return Continue(branch_case.target_index);
  }
  return Continue(step.next_index);
}

StepOutcome RunFail(const Step& step, const expr::Activation& activation) {
  const FailSpec& spec = step.fail();
  Result<std::string> message = RenderMessage(spec.message, activation, Budget());
  return Fail(step, spec.error_class,
              message.ok() ? *message
                           : spec.message.source + " (the message could not be rendered: " +
                                 message.status().message() + ")");
}

}  // namespace

StepContext::StepContext(const WorkflowDefinition& definition, boost::json::value event,
                         RunInfo run, expr::timeutil::Timestamp now)
    : event_(std::move(event)), steps_(boost::json::object()), now_(now) {
  boost::json::object run_object;
  run_object["id"] = run.id;
  run_object["attempt"] = run.attempt;
  run_object["workflow"] = definition.name();
  run_object["version"] = definition.version();
  run_ = std::move(run_object);
}

void StepContext::RestoreSteps(boost::json::value steps_value) {
  steps_ =
      steps_value.is_object() ? std::move(steps_value) : boost::json::value(boost::json::object());
}

void StepContext::SetOutput(const Step& step, boost::json::value output) {
  boost::json::object entry;
  entry["output"] = std::move(output);
  steps_.as_object()[step.name] = std::move(entry);
}

const boost::json::value* StepContext::Output(std::string_view step_name) const {
  const boost::json::value* entry = steps_.as_object().if_contains(step_name);
  if (entry == nullptr || !entry->is_object()) return nullptr;
  return entry->as_object().if_contains("output");
}

void StepContext::Bind(const WorkflowDefinition& definition, expr::Activation& activation) const {
  activation.BindJson("event", event_);
  activation.BindJson("vars", definition.vars_value());
  activation.BindJson("steps", steps_);
  activation.BindJson("run", run_);
  activation.Bind("now", expr::Value::Timestamp(now_));
  for (const Step& step : definition.steps()) {
    if (step.output_name.empty()) continue;
    if (const boost::json::value* output = Output(step.name)) {
      activation.BindJson(step.output_name, *output);
    }
  }
}

StepOutcome EvaluatePureStep(const WorkflowDefinition& definition, int step_index,
                             const StepContext& context) {
  const Step& step = definition.step(step_index);
  if (!IsPureStep(step.kind)) {
    return Fail(step, ErrorClass::kInternal,
                "step " + Quote(step.name) + " is a " + std::string(StepKindName(step.kind)) +
                    " step, which the runtime executes (not a pure step)");
  }
  expr::Activation activation;
  context.Bind(definition, activation);
  switch (step.kind) {
    case StepKind::kValidate:
      return RunValidate(step, activation);
    case StepKind::kMap:
      return RunMap(step, activation);
    case StepKind::kBranch:
      return RunBranch(step, activation);
    case StepKind::kFail:
      return RunFail(step, activation);
    default:
      break;
  }
  return Fail(step, ErrorClass::kInternal, "unhandled step kind");
}

PureRunResult RunPureSteps(const WorkflowDefinition& definition, int start_step,
                           StepContext& context, int max_steps) {
  PureRunResult result;
  int current = start_step;
  for (int executed = 0;; ++executed) {
    if (current == kEndOfRun) {
      result.outcome = Continue(kEndOfRun);
      return result;
    }
    const Step& step = definition.step(current);
    if (!IsPureStep(step.kind)) {
      result.outcome = Continue(current);
      return result;
    }
    if (executed >= max_steps) {
      result.outcome =
          Fail(step, ErrorClass::kInternal,
               "more than " + std::to_string(max_steps) + " pure steps in a row without waiting");
      return result;
    }
    StepOutcome outcome = EvaluatePureStep(definition, current, context);
    // The output moves into the context (a map output can be a whole order): not copied.
    if (outcome.output) {
      context.SetOutput(step, std::move(*outcome.output));
      outcome.output.reset();
    }
    const int next = outcome.next_step;
    const bool more = outcome.kind == StepOutcome::Kind::kNext;
    if (!more) result.outcome = outcome;
    result.executed.push_back({current, std::move(outcome)});
    if (!more) return result;
    current = next;
  }
}

std::variant<CallRequest, StepFailure> PrepareCall(const WorkflowDefinition& definition,
                                                   int step_index, const StepContext& context) {
  const Step& step = definition.step(step_index);
  if (step.kind != StepKind::kCall) {
    return *Fail(step, ErrorClass::kInternal, "step " + Quote(step.name) + " is not a call step")
                .failure;
  }
  const CallSpec& spec = step.call();
  expr::Activation activation;
  context.Bind(definition, activation);
  CallRequest request;
  request.connection = spec.connection;
  request.operation = spec.operation;
  request.timeout = spec.timeout;
  Result<boost::json::value> input = EvaluateToJson(spec.input, activation);
  if (!input.ok()) {
    return *Fail(step, ErrorClass::kMapping, "input: " + input.status().message()).failure;
  }
  request.input = std::move(input).value();
  if (spec.business_key) {
    expr::Value key = spec.business_key->program->Evaluate(activation, Budget());
    switch (key.kind()) {
      case expr::ValueKind::kString:
        request.business_key = std::string(key.string_value());
        break;
      case expr::ValueKind::kInt:
        request.business_key = std::to_string(key.int_value());
        break;
      case expr::ValueKind::kUint:
        request.business_key = std::to_string(key.uint_value());
        break;
      case expr::ValueKind::kDouble: {
        Result<boost::json::value> json = ValueToJson(key);
        if (json.ok()) request.business_key = CanonicalJson(*json);
        break;
      }
      default:
        break;
    }
    if (request.business_key.empty()) {
      std::string why = key.is_error() ? EvaluationError(key)
                                       : "gave " + std::string(expr::KindName(key.kind())) +
                                             ", expected a non-empty string";
      return *Fail(step, ErrorClass::kMapping, "business_key: " + why).failure;
    }
  }
  return request;
}

std::variant<ApprovalAsk, StepFailure> PrepareApproval(const WorkflowDefinition& definition,
                                                       int step_index,
                                                       const StepContext& context) {
  const Step& step = definition.step(step_index);
  if (step.kind != StepKind::kApprove) {
    return *Fail(step, ErrorClass::kInternal, "step " + Quote(step.name) + " is not an approve step")
                .failure;
  }
  const ApproveSpec& spec = step.approve();
  expr::Activation activation;
  context.Bind(definition, activation);
  ApprovalAsk ask;
  if (spec.message) {
    Result<std::string> title = RenderMessage(*spec.message, activation, Budget());
    if (!title.ok()) {
      return *Fail(step, ErrorClass::kMapping, "message: " + title.status().message()).failure;
    }
    ask.title = std::move(*title);
  }
  if (spec.requested_by) {
    expr::Value who = spec.requested_by->program->Evaluate(activation, Budget());
    if (who.kind() != expr::ValueKind::kString || who.string_value().empty()) {
      std::string why = who.is_error() ? EvaluationError(who)
                                       : "gave " + std::string(expr::KindName(who.kind())) +
                                             ", expected a non-empty string";
      return *Fail(step, ErrorClass::kMapping, "requested_by: " + why).failure;
    }
    ask.requested_by = std::string(who.string_value());
  }
  if (spec.details) {
    Result<boost::json::value> details = EvaluateToJson(*spec.details, activation);
    if (!details.ok()) {
      return *Fail(step, ErrorClass::kMapping, "details: " + details.status().message()).failure;
    }
    ask.details = std::move(details).value();
  }
  return ask;
}

CallFailureDecision DecideAfterCallFailure(const Step& step, ErrorClass error_class,
                                           int attempts_made, double unit_random) {
  CallFailureDecision decision;
  if (step.kind != StepKind::kCall) return decision;
  const CallSpec& spec = step.call();
  if (attempts_made < spec.retry.attempts && spec.retry.RetriesOn(error_class)) {
    decision.action = CallFailureDecision::Action::kRetry;
    decision.delay = spec.retry.BackoffBefore(attempts_made + 1, unit_random);
    return decision;
  }
  for (const ErrorRoute& route : spec.on_error) {
    if (route.error_class == error_class) {
      decision.action = CallFailureDecision::Action::kGoto;
      decision.next_step = route.target_index;
      return decision;
    }
  }
  return decision;
}

std::variant<expr::timeutil::Timestamp, StepFailure> WaitDeadline(
    const WorkflowDefinition& definition, int step_index, const StepContext& context) {
  const Step& step = definition.step(step_index);
  if (step.kind != StepKind::kWait) {
    return *Fail(step, ErrorClass::kInternal, "step " + Quote(step.name) + " is not a wait step")
                .failure;
  }
  const WaitSpec& spec = step.wait();
  if (spec.duration) {
    int64_t ns = spec.duration->count();
    expr::timeutil::Duration d{ns / 1'000'000'000, static_cast<int32_t>(ns % 1'000'000'000)};
    Result<expr::timeutil::Timestamp> deadline = expr::timeutil::AddDuration(context.now(), d);
    if (!deadline.ok()) {
      return *Fail(step, ErrorClass::kMapping, "duration: " + deadline.status().message()).failure;
    }
    return *deadline;
  }
  expr::Activation activation;
  context.Bind(definition, activation);
  expr::Value value = spec.until->program->Evaluate(activation, Budget());
  if (value.kind() == expr::ValueKind::kTimestamp) return value.timestamp_value();
  if (value.kind() == expr::ValueKind::kString) {
    Result<expr::timeutil::Timestamp> parsed = expr::timeutil::ParseTimestamp(value.string_value());
    if (parsed.ok()) return *parsed;
    return *Fail(step, ErrorClass::kMapping, "until: " + parsed.status().message()).failure;
  }
  std::string why = value.is_error() ? EvaluationError(value)
                                     : "gave " + std::string(expr::KindName(value.kind())) +
                                           ", expected a timestamp";
  return *Fail(step, ErrorClass::kMapping, "until: " + why).failure;
}

}  // namespace govflow::workflow
