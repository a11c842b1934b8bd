// The compiled form of a workflow definition: an immutable WorkflowDefinition with its steps
// indexed, every CEL expression compiled once, and its identity (content hash of the canonical
// form). Built only by LoadWorkflow (workflow/loader.h) and shared by every run of that version:
// all members are const after construction, so it may be read from any number of threads.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "expr/program.h"
#include "base/diagnostics.h"
#include "workflow/error_class.h"

namespace govflow::workflow {

inline constexpr std::string_view kWorkflowApiVersion = "govflow/v1";
inline constexpr std::string_view kWorkflowKind = "Workflow";
// A step index meaning "the run completes successfully" (`next: end`, or past the last step).
inline constexpr int kEndOfRun = -1;

// A compiled CEL expression and where it was written.
struct Expression {
  std::string source;  // the YAML scalar's value, as written
  std::shared_ptr<const expr::Program> program;
  SourceLocation location;  // the scalar's first character in the file
};

// Text with `{{ CEL }}` interpolations ("order {{ event.name }} has no email").
struct MessageTemplate {
  struct Part {
    std::string text;  // literal text (when `expression` is empty)
    std::optional<Expression> expression;
  };
  std::string source;
  std::vector<Part> parts;
};

enum class StepKind { kValidate, kMap, kBranch, kCall, kWait, kFail, kApprove };

// The YAML spelling: "validate", "map", ...
std::string_view StepKindName(StepKind kind);
// Pure steps read only the run's context and do no I/O (validate, map, branch, fail): the
// runtime runs them back to back in memory (see workflow/evaluator.h). The others wait for
// something outside the run (a remote system, the clock, a person).
bool IsPureStep(StepKind kind);

struct ValidationRule {
  std::string name;
  Expression condition;  // must evaluate to true for the data to pass
  MessageTemplate message;
  ErrorClass error_class = ErrorClass::kValidation;
  SourceLocation location;
};

struct ValidateSpec {
  std::vector<ValidationRule> rules;  // all are evaluated; every violation is reported
};

// One field of a `fields:` mapping: an expression, or nested fields.
struct MapField {
  std::string name;
  std::optional<Expression> expression;
  std::vector<MapField> fields;
};

struct MapSpec {
  // Exactly one of the two is set.
  std::optional<Expression> expression;
  std::vector<MapField> fields;
};

struct BranchCase {
  Expression when;
  std::string target;  // step name, or "end"
  int target_index = kEndOfRun;
};

struct BranchSpec {
  // The first case whose `when` is true wins; when none is, the run goes to Step::next_index
  // (the `default`, else the following step).
  std::vector<BranchCase> cases;
};

struct RetryPolicy {
  int attempts = 3;  // total attempts, the first included (1 = never retry)
  std::chrono::nanoseconds initial_backoff = std::chrono::seconds(1);
  std::chrono::nanoseconds max_backoff = std::chrono::minutes(1);
  double multiplier = 2.0;
  double jitter = 0.2;               // the delay is spread uniformly over +-jitter of itself
  std::vector<ErrorClass> retry_on;  // defaults to DefaultRetryableClasses()

  bool RetriesOn(ErrorClass error_class) const;
  // The delay before attempt `next_attempt` (2 = the first retry):
  // min(max_backoff, initial_backoff * multiplier^(next_attempt - 2)), scaled by
  // 1 + jitter * (2 * unit_random - 1), where unit_random in [0, 1) comes from the caller's seeded
  // generator (deterministic in tests). Never negative.
  std::chrono::nanoseconds BackoffBefore(int next_attempt, double unit_random) const;
};

// Where a call goes when it fails for good with a given class (instead of failing the run).
struct ErrorRoute {
  ErrorClass error_class = ErrorClass::kUnknown;
  std::string target;
  int target_index = kEndOfRun;
};

struct CallSpec {
  std::string connection;  // a connection of the tenant ("erp")
  std::string operation;   // the connector's operation ("salesOrders.create")
  Expression input;        // the request body
  // Identifies the business object on the remote side (e.g. externalDocumentNumber), so that an
  // attempt of unknown outcome can be settled by looking it up before creating again.
  std::optional<Expression> business_key;
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // per attempt
  RetryPolicy retry;
  std::vector<ErrorRoute> on_error;
};

struct WaitSpec {
  // Exactly one of the two is set.
  std::optional<std::chrono::nanoseconds> duration;
  std::optional<Expression> until;  // evaluates to a timestamp
};

struct FailSpec {
  ErrorClass error_class = ErrorClass::kValidation;
  MessageTemplate message;
};

// A human decision (governance approval task, docs/workflow-language.md "approve"). The run
// waits until the task is final; approved -> `next`, with steps.<name>.output =
// {approved: true, approvers, comments}; rejected or expired -> `on_reject` if set (output
// {approved: false, state, ...}), else the run fails (exception class approval_rejected /
// approval_expired).
struct ApproveSpec {
  std::vector<std::string> roles;
  int quorum = 1;
  std::optional<MessageTemplate> message;  // the task's title
  // The maker, who may not decide (segregation of duties): CEL giving an actor id such as
  // "user:<id>". Absent: the runtime itself asks, and any holder of a role may decide.
  std::optional<Expression> requested_by;
  // CEL giving the values the approver decides on (shown with the task, in its changes).
  std::optional<Expression> details;
  std::optional<std::chrono::nanoseconds> expires_in;  // from when the task is opened
  // Roles added when the task expires (it then gets the same window again before it expires
  // for good); empty: expiry rejects.
  std::vector<std::string> escalate_to;
  std::string on_reject;                               // a step name or "end"; "" = fail
  std::optional<int> on_reject_index;
};

struct Step {
  std::string name;
  StepKind kind = StepKind::kMap;
  std::string description;
  int index = 0;
  // For map and call steps: the result is visible to later steps as steps.<name>.output and,
  // when `output_name` is set, also as the top-level variable of that name.
  std::string output_name;
  // Where the run goes when this step completes normally: `next`, else the following step, else
  // kEndOfRun. For a branch, where it goes when no case matches. Unused for fail steps.
  int next_index = kEndOfRun;
  SourceLocation location;  // the step's first field
  std::variant<ValidateSpec, MapSpec, BranchSpec, CallSpec, WaitSpec, FailSpec, ApproveSpec> spec;

  bool produces_output() const {
    return kind == StepKind::kMap || kind == StepKind::kCall || kind == StepKind::kApprove;
  }
  const ValidateSpec& validate() const { return std::get<ValidateSpec>(spec); }
  const MapSpec& map() const { return std::get<MapSpec>(spec); }
  const BranchSpec& branch() const { return std::get<BranchSpec>(spec); }
  const CallSpec& call() const { return std::get<CallSpec>(spec); }
  const WaitSpec& wait() const { return std::get<WaitSpec>(spec); }
  const FailSpec& fail() const { return std::get<FailSpec>(spec); }
  const ApproveSpec& approve() const { return std::get<ApproveSpec>(spec); }
};

struct Trigger {
  std::string connection;  // the inbound connection ("shop")
  std::string topic;       // the event topic ("orders/create")
};

class WorkflowDefinition {
 public:
  // Everything the loader produced. Use LoadWorkflow, not this, to build a definition.
  struct Parts {
    std::string file_name;
    std::string name;
    std::string description;
    std::string process;
    Trigger trigger;
    boost::json::object vars;
    std::vector<Step> steps;
    boost::json::value canonical;  // the canonical form as a JSON value
    std::vector<Diagnostic> warnings;
  };
  explicit WorkflowDefinition(Parts parts);
  WorkflowDefinition(const WorkflowDefinition&) = delete;
  WorkflowDefinition& operator=(const WorkflowDefinition&) = delete;

  const std::string& file_name() const { return parts_.file_name; }
  const std::string& name() const { return parts_.name; }
  const std::string& description() const { return parts_.description; }
  const std::string& process() const { return parts_.process; }
  const Trigger& trigger() const { return parts_.trigger; }
  // The `vars` constants, visible to CEL as `vars`.
  const boost::json::object& vars() const { return parts_.vars; }
  const boost::json::value& vars_value() const { return vars_value_; }

  const std::vector<Step>& steps() const { return parts_.steps; }
  const Step& step(int index) const { return parts_.steps.at(static_cast<size_t>(index)); }
  // The index of the step called `name`, or -1.
  int FindStep(std::string_view name) const;
  // Runs start at step 0.
  const Step& first_step() const { return parts_.steps.front(); }

  // SHA-256 (hex) of CanonicalJson(): the identity of this content. Comments, whitespace, key
  // order, quoting style and how durations are spelled do not change it; any change of meaning
  // (and of descriptions or messages) does.
  const std::string& content_hash() const { return content_hash_; }
  // "<name>@<first 12 hex digits of content_hash>", e.g. "order-capture@3f2a9c1b0d4e".
  const std::string& version() const { return version_; }
  // The definition as written, normalised: every field present in the file, with object keys
  // sorted, numbers typed, durations in canonical form ("90s" -> "1m30s"), CEL sources and texts
  // with trailing whitespace removed. Defaults are NOT filled in.
  const std::string& CanonicalJson() const { return canonical_json_; }
  const boost::json::value& canonical_value() const { return parts_.canonical; }

  // Non-fatal findings of the loader (also returned by LoadWorkflowWithDiagnostics).
  const std::vector<Diagnostic>& warnings() const { return parts_.warnings; }

 private:
  Parts parts_;
  boost::json::value vars_value_;
  std::unordered_map<std::string, int> index_by_name_;
  std::string canonical_json_;
  std::string content_hash_;
  std::string version_;
};

}  // namespace govflow::workflow
