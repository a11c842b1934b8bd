// Running the pure steps of a workflow (validate, map, branch, fail) and computing what the
// runtime needs for the others (a call's request, a wait's deadline, what to do after a failed
// call). Everything here is a pure function of a WorkflowDefinition and a StepContext: no I/O, no
// clock, no randomness (the caller passes the time and a random number), so the runtime can run
// pure steps back to back in memory and replay them deterministically.
// Thread-safety: the functions are thread-safe; a StepContext is a plain value, owned by one run.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "expr/time_util.h"
#include "workflow/definition.h"
#include "workflow/error_class.h"

namespace govflow::workflow {

struct RunInfo {
  std::string id;
  int64_t attempt = 1;  // 1 for the first execution of the run, +1 for each manual retry
};

// What expressions see. CEL variables:
//   event  the trigger payload (e.g. the Shopify order)
//   vars   the definition's constants
//   steps  completed steps' outputs: steps.<name>.output
//   run    {id, attempt, workflow, version}
//   now    the time of the evaluation (a timestamp set by the runtime from its Clock)
//   <alias> the output of a map or call step that declared `output: <alias>`
class StepContext {
 public:
  StepContext(const WorkflowDefinition& definition, boost::json::value event, RunInfo run,
              expr::timeutil::Timestamp now);

  const boost::json::value& event() const { return event_; }
  // Records the output of a completed map or call step (replacing an earlier one).
  void SetOutput(const Step& step, boost::json::value output);
  // The recorded output of `step_name`, or null.
  const boost::json::value* Output(std::string_view step_name) const;
  // {"<step>": {"output": ...}, ...}: what `steps` is bound to; also what the runtime persists.
  const boost::json::value& steps_value() const { return steps_; }
  const boost::json::value& run_value() const { return run_; }

  expr::timeutil::Timestamp now() const { return now_; }
  void set_now(expr::timeutil::Timestamp now) { now_ = now; }

  // Reinstates persisted outputs (a value earlier taken from steps_value()), e.g. when a run is
  // recovered after a restart.
  void RestoreSteps(boost::json::value steps_value);

  // Binds every variable above into `activation`, viewing this context's and the definition's
  // JSON in place: both must outlive every evaluation with it, unchanged.
  void Bind(const WorkflowDefinition& definition, expr::Activation& activation) const;

 private:
  boost::json::value event_;
  boost::json::value steps_;
  boost::json::value run_;
  expr::timeutil::Timestamp now_;
};

struct RuleViolation {
  std::string rule;
  ErrorClass error_class = ErrorClass::kValidation;
  std::string message;
};

// Why a run cannot proceed: what becomes an exception case.
struct StepFailure {
  ErrorClass error_class = ErrorClass::kInternal;
  std::string step;
  std::string message;
  // For validate steps: every rule that failed, in rule order (the first gives error_class and
  // message).
  std::vector<RuleViolation> violations;
};

struct StepOutcome {
  enum class Kind {
    kNext,      // continue at next_step
    kComplete,  // the run has finished successfully
    kFail,      // the run cannot proceed: see failure
  };
  Kind kind = Kind::kComplete;
  int next_step = kEndOfRun;
  // For map steps, from EvaluatePureStep: the output, for the caller to record. RunPureSteps
  // moves it into the StepContext, so its outcomes carry none.
  std::optional<boost::json::value> output;
  std::optional<StepFailure> failure;
};

// Upper bound on the work of one expression evaluation (CEL cost units: one per call and per
// comprehension iteration); past it the evaluation fails as `mapping`. Generous for any real order
// (a 500-line order costs a few thousand; 200,000 units take tens of milliseconds) while stopping a
// runaway expression.
inline constexpr int64_t kExpressionCostBudget = 200'000;

// Runs one pure step. Evaluation problems (a missing field, a type error, a non-boolean
// condition) are failures of the run with class `mapping`, except in validate rules, where a rule
// that cannot be evaluated counts as broken with the rule's own class. Calling this for a step
// that is not pure gives a kFail outcome of class `internal`.
StepOutcome EvaluatePureStep(const WorkflowDefinition& definition, int step_index,
                             const StepContext& context);

struct ExecutedStep {
  int step = 0;
  StepOutcome outcome;
};

struct PureRunResult {
  // kNext: next_step is the first step that is not pure (a call, wait or approve step) for the
  // runtime to execute. kComplete or kFail: the run ended in memory.
  StepOutcome outcome;
  std::vector<ExecutedStep> executed;  // for the run's history, in order
};

// Runs pure steps from `start_step` back to back, recording map outputs into `context`, until a
// step that is not pure, the end of the run, or a failure. The loader rejects loops of pure steps,
// so this always terminates; `max_steps` is a second guard (a kFail of class internal).
PureRunResult RunPureSteps(const WorkflowDefinition& definition, int start_step,
                           StepContext& context, int max_steps = 10'000);

// What a call step sends.
struct CallRequest {
  std::string connection;
  std::string operation;
  boost::json::value input;
  std::string business_key;  // empty when the step has none
  std::chrono::nanoseconds timeout{};
};

// Evaluates a call step's input and business key (a string; numbers are written in decimal).
std::variant<CallRequest, StepFailure> PrepareCall(const WorkflowDefinition& definition,
                                                   int step_index, const StepContext& context);

// What an approve step asks for, evaluated when the run reaches it.
struct ApprovalAsk {
  std::string title;         // the rendered message; "" when the step has none
  std::string requested_by;  // the maker's actor id; "" when the step names none
  boost::json::value details;  // the `details` value, or null
};

// Renders an approve step's message and evaluates its requested_by and details (class
// `mapping` failures, like a call's input).
std::variant<ApprovalAsk, StepFailure> PrepareApproval(const WorkflowDefinition& definition,
                                                       int step_index,
                                                       const StepContext& context);

// After a call step completes, the runtime records the response with context.SetOutput(step, ...)
// and continues at step.next_index (kEndOfRun: the run is complete).

// What to do when attempt number `attempts_made` (1-based) of a call failed with `error_class`.
struct CallFailureDecision {
  enum class Action {
    kRetry,  // attempt again after `delay` (a remote's Retry-After may lengthen it)
    kGoto,   // the failure is routed by on_error: continue at next_step
    kFail,   // the run fails with the call's error class
  };
  Action action = Action::kFail;
  std::chrono::nanoseconds delay{};
  int next_step = kEndOfRun;
};

// Retries while attempts remain and the class is in retry_on; then follows an on_error route for
// the class if there is one; else fails. unit_random in [0, 1) comes from the runtime's seeded
// generator and spreads the delay by the policy's jitter.
CallFailureDecision DecideAfterCallFailure(const Step& step, ErrorClass error_class,
                                           int attempts_made, double unit_random);

// When a wait step ends: now + duration, or its `until` expression (a timestamp, or an RFC 3339
// string). An `until` in the past means "do not wait".
std::variant<expr::timeutil::Timestamp, StepFailure> WaitDeadline(
    const WorkflowDefinition& definition, int step_index, const StepContext& context);

}  // namespace govflow::workflow
