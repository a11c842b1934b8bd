#include "workflow/runtime/runtime.h"

#include <algorithm>
#include <atomic>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/canonical_json.h"
#include "governance/approvals.h"
#include "governance/audit.h"
#include "governance/exception_intake.h"
#include "workflow/evaluator.h"
#include "workflow/runtime/run_state.h"

namespace govflow::workflow::runtime {
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

// Work handed to the executor thread. Shared with connector callbacks, which may outlive the
// runtime: once closed, posts are dropped.
class Inbox {
 public:
  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }
  void Poke() {
    {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
    cv_.notify_one();
  }
  // Waits up to `timeout` for tasks; returns them (and whether a poke came).
  std::deque<std::function<void()>> Take(milliseconds timeout, bool& poked) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !tasks_.empty() || poked_ || closed_; });
    std::deque<std::function<void()>> out;
    out.swap(tasks_);
    poked = poked_;
    poked_ = false;
    return out;
  }
  void Close() {
    std::deque<std::function<void()>> drop;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      drop.swap(tasks_);
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool poked_ = false;                       // GUARDED_BY(mu_)
  bool closed_ = false;                      // GUARDED_BY(mu_)
};

expr::timeutil::Timestamp ToTimestamp(TimePoint t) {
  const int64_t us = ToMicros(t);
  int64_t seconds = us / 1'000'000;
  int64_t rem = us % 1'000'000;
  if (rem < 0) {
    rem += 1'000'000;
    --seconds;
  }
  return expr::timeutil::Timestamp{seconds, static_cast<int32_t>(rem * 1000)};
}

TimePoint FromTimestamp(const expr::timeutil::Timestamp& ts) {
  return FromMicros(ts.seconds * 1'000'000 + ts.nanos / 1000);
}

// Until connect and the workflow language agree on operation names, the workflow's
// "<collection>.<verb>" spelling is accepted for the Business Central operations.
std::string_view CanonicalOperation(std::string_view name) {
  if (name == "salesOrders.create") return "create_sales_order";
  if (name == "salesOrders.find") return "find_sales_orders";
  return name;
}

const connect::OperationSpec* FindOperation(connect::OutboundConnector& connector,
                                            std::string_view name) {
  name = CanonicalOperation(name);
  for (const connect::OperationSpec& spec : connector.operations()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string ViolationsPayload(const StepFailure& failure) {
  json::array out;
  for (const RuleViolation& v : failure.violations) {
    json::object o;
    o["rule"] = v.rule;
    o["error_class"] = ErrorClassName(v.error_class);
    o["message"] = v.message;
    out.push_back(std::move(o));
  }
  return json::serialize(out);
}

struct EffectWrite {
  std::string key;
  store::EffectState from;
  store::EffectUpdate update;
};

// What the pre-send part of a flush found in the store.
enum class CallAction { kNone, kSend, kSettle, kAdopt };

// The audit action of a run's state change: "run.<verb>".
std::string_view TransitionVerb(store::RunState from, store::RunState to) {
  switch (to) {
    case store::RunState::kPending:
      return "pending";
    case store::RunState::kRunning:
      return from == store::RunState::kPending ? "started" : "resumed";
    case store::RunState::kWaiting:
      return "waiting";
    case store::RunState::kSucceeded:
      return "succeeded";
    case store::RunState::kFailed:
      return "failed";
    case store::RunState::kCancelled:
      return "cancelled";
  }
  return "changed";
}

// What the executor knows about a unit for its audit event (docs/runtime.md, "Audit"): facts
// only, never payloads (the context is referenced by its digest).
struct RunAuditFacts {
  std::string workflow;
  int64_t version = 0;
  store::RunState from = store::RunState::kPending;
  std::string reason;              // why: the park reason, the failure message
  std::vector<std::string> steps;  // steps this unit records, in order, without repeats
  json::object extra;              // e.g. wake_at_us, error_class
};

// Appends the one audit event of a committed unit whose run changes state (from -> update.state),
// in the unit's transaction, so that the trail and the run never disagree.
// `approval_id`: the approval task the unit asked for or found ("" = none).
Status AppendRunTransitionAudit(store::Txn& txn, const TenantId& tenant, const RunId& run,
                                const RunAuditFacts& facts, const store::RunUpdate& update,
                                const std::string& context_json, const std::string& approval_id) {
  // A short-lived document: built in a stack buffer (spilling to the heap if it must), freed at
  // once.
  unsigned char buffer[2048];
  json::monotonic_resource resource(buffer, sizeof buffer);
  json::object details(facts.extra, &resource);
  if (!approval_id.empty()) details["approval"] = approval_id;
  details["workflow"] = facts.workflow;
  details["version"] = facts.version;
  details["step"] = update.current_step;
  details["from"] = store::RunStateName(facts.from);
  details["to"] = store::RunStateName(update.state);
  if (!facts.steps.empty()) {
    json::array steps(details.storage());
    steps.reserve(facts.steps.size());
    for (const std::string& name : facts.steps) steps.emplace_back(name);
    details["steps"] = std::move(steps);
  }
  if (update.next_wake_at) details["wake_at_us"] = ToMicros(*update.next_wake_at);
  governance::AuditRecord record;
  record.actor = "system:runtime";
  record.action = "run." + std::string(TransitionVerb(facts.from, update.state));
  record.object_type = "run";
  record.object_id = run.value();
  record.reason = facts.reason;
  record.after_digest = context_json.empty() ? std::string() : Sha256Hex(context_json);
  record.details_json = json::serialize(details);
  return governance::AppendAudit(txn, tenant, record).status();
}

}  // namespace

// ---- the executor -------------------------------------------------------------------------------

class Runtime::Executor {
 public:
  Executor(store::Store& store, const Clock& clock, RuntimeOptions options)
      : store_(store),
        clock_(clock),
        options_(std::move(options)),
        committer_(std::make_unique<store::Committer>(store, options_.committer)),
        catalog_(store),
        inbox_(std::make_shared<Inbox>()),
        crashed_(std::make_shared<std::atomic<bool>>(false)),
        ingestion_(catalog_, *committer_, clock, [inbox = inbox_] { inbox->Poke(); },
                   RunHandOff{[this] { return ReserveHandOff(); },
                              [this](const store::Run& run, json::value input) {
                                AcceptHandOff(run, std::move(input));
                              },
                              [this] { reserved_.fetch_sub(1); }}),
        rng_(options_.seed) {
    if (options_.owner.empty()) options_.owner = NewUniqueId("node-");
  }

  ~Executor() { Shutdown(std::chrono::seconds(10)); }

  Catalog& catalog() { return catalog_; }
  Ingestion& ingestion() { return ingestion_; }
  store::Committer& committer() { return *committer_; }

  Status Start() {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) return FailedPrecondition("runtime already started");
    started_ = true;
    thread_ = std::thread([this] { Loop(); });
    taking_runs_.store(true);
    return Status::Ok();
  }

  void Shutdown(milliseconds deadline) {
    std::lock_guard lock(lifecycle_mu_);
    if (!started_ || stopped_) {
      stopped_ = true;
      committer_->Stop();
      return;
    }
    stopped_ = true;
    taking_runs_.store(false);
    const auto until = std::chrono::steady_clock::now() + deadline;
    inbox_->Post([this, until] {
      stopping_ = true;
      stop_deadline_ = until;
    });
    inbox_->Poke();
    thread_.join();
    inbox_->Close();
    committer_->Stop();
  }

  void Abandon() {
    crashed_->store(true);
    taking_runs_.store(false);
    std::lock_guard lock(lifecycle_mu_);
    if (started_ && !stopped_) {
      stopped_ = true;
      inbox_->Post([this] { abandon_ = true; });
      thread_.join();
    }
    stopped_ = true;
    inbox_->Close();
    committer_->Stop();  // queued units fail at once: nothing more is written
  }

  void Poke() { inbox_->Poke(); }

  RuntimeStats stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

 private:
  enum class Phase { kReady, kCommitting, kCalling, kLookingUp, kDead };
  enum class AfterFlush { kPreSend, kRelease, kApproval };

  struct ApprovalPlan {
    std::string task_id;  // the task already asked for (rc.approval_id), or ""
    governance::ApprovalRequest request;  // for a new task; expires_at set in the unit
    std::optional<std::chrono::nanoseconds> expires_in;
    TimePoint recheck_at;  // when a task still pending after its expiry is looked at again
  };

  struct Session {
    TenantId tenant;
    RunId run;
    std::string key;
    std::string step_name;  // the run's current_step as loaded (for runs that cannot load)
    std::string workflow_name;
    int64_t workflow_version = 0;
    // The run's state as last committed: a flush that changes it is audited.
    store::RunState committed_state = store::RunState::kPending;
    store::Lease lease;
    int64_t version = 0;
    std::shared_ptr<const WorkflowDefinition> definition;
    std::unique_ptr<StepContext> context;
    RunContext rc;
    int step = 0;
    Phase phase = Phase::kReady;
    uint64_t seq = 0;  // bumped whenever an outstanding callback must be ignored
    bool renewing = false;
    // The seq the run's next history event takes, as this lease holder (the run's only writer)
    // knows it; 0 = not known yet (the next flush reads it).
    int64_t next_event_seq = 0;
    // Writes accumulated in memory since the last flush (pure steps, call results).
    std::vector<store::RunEvent> events;
    std::vector<EffectWrite> effects;
    // The call step in progress.
    std::optional<CallRequest> request;
    std::shared_ptr<connect::Connector> connector;
    const connect::OperationSpec* operation = nullptr;
    int64_t effect_attempts = 0;
    bool settled_absent = false;  // a lookup found nothing: the next pre-send may create
    // Set while a lookup settles an unknown outcome that the remote answered (the request is
    // over, so no wait-out was needed): the answer, for the retry decision if nothing is found.
    std::optional<connect::CallFailure> answered_failure;
    TimePoint call_deadline;
  };

  struct FlushPlan {
    store::RunUpdate update;
    std::string reason;  // for the audit event of a state change
    json::object audit_extra;
    std::optional<store::Effect> begin_effect;  // pre-send: register/advance the call's effect
    std::optional<store::ExceptionCase> exception;
    bool resolve_retrying = false;
    // An approve step: ask for (or look up) its task; park while it is pending.
    std::optional<ApprovalPlan> approval;
  };
  struct FlushOut {
    int64_t version = 0;
    store::RunState state = store::RunState::kRunning;
    bool intake_failed = false;  // governance::OnExceptionOpened failed (see Flush)
    // For an approval plan: the task as the unit found it, and whether the run parked on it;
    // or why the task could not be asked for.
    std::optional<governance::ApprovalTask> approval_task;
    bool approval_parked = false;
    Status approval_error;
    CallAction action = CallAction::kNone;
    int64_t attempts = 0;
    std::string response_json;
    RunContext rc;
    int64_t next_event_seq = 0;
  };

  // ---- the loop -------------------------------------------------------------------------------

  void Loop() {
    while (true) {
      bool poked = false;
      auto tasks = inbox_->Take(options_.poll_interval, poked);
      for (auto& task : tasks) task();
      if (abandon_) {
        sessions_.clear();
        return;
      }
      if (stopping_) {
        for (auto& [key, s] : sessions_) {
          if (s->phase == Phase::kReady) ParkAt(*s, clock_.Now(), "stopping");
        }
        if (sessions_.empty() || std::chrono::steady_clock::now() >= stop_deadline_) return;
        continue;
      }
      Tick(poked);
    }
  }

  void Tick(bool poked) {
    const TimePoint now = clock_.Now();
    // Per-attempt timeouts and lease renewal.
    std::vector<Session*> timed_out;
    for (auto& [key, s] : sessions_) {
      if (s->phase == Phase::kCalling && now >= s->call_deadline) timed_out.push_back(s.get());
      if (!s->renewing && s->phase != Phase::kCommitting && s->phase != Phase::kDead &&
          s->lease.expires_at - now < options_.lease_for / 2) {
        Renew(*s);
      }
    }
    for (Session* s : timed_out) {
      ++s->seq;  // the late answer, if any, is ignored; the wait-out covers it
      connect::CallFailure f;
      f.error_class = connect::ErrorClass::kUnknown;
      f.code = "timeout";
      f.message = "no answer within the step's timeout";
      OnCallFailure(*s, f);
    }
    const auto real_now = std::chrono::steady_clock::now();
    if (!claiming_ && static_cast<int>(sessions_.size()) < options_.max_active_runs &&
        (poked || real_now >= next_claim_)) {
      next_claim_ = real_now + options_.poll_interval;
      Claim();
    }
  }

  // ---- claims and leases ----------------------------------------------------------------------

  void Claim() {
    claiming_ = true;
    const int limit = std::min(options_.claim_batch, options_.max_active_runs -
                                                         static_cast<int>(sessions_.size()) -
                                                         reserved_.load());
    if (limit <= 0) {
      claiming_ = false;
      return;
    }
    auto out = std::make_shared<std::vector<std::pair<store::ClaimedRun, store::Run>>>();
    auto crashed = crashed_;
    committer_->Submit(
        [out, crashed, limit, owner = options_.owner,
         lease_for = options_.lease_for](store::Txn& txn) -> Status {
          out->clear();
          if (crashed->load()) return Unavailable("runtime abandoned");
          GOVFLOW_ASSIGN_OR_RETURN(auto claimed, txn.ClaimDueRuns(owner, lease_for, limit));
          for (auto& c : claimed) {
            GOVFLOW_ASSIGN_OR_RETURN(store::Run run, txn.GetRun(c.tenant, c.run));
            out->emplace_back(std::move(c), std::move(run));
          }
          return Status::Ok();
        },
        [this, out, inbox = inbox_](Status s) {
          inbox->Post([this, out, s] {
            claiming_ = false;
            if (!s.ok()) return;
            if (!out->empty()) {
              next_claim_ = std::chrono::steady_clock::now();  // there may be more
              Count(&RuntimeStats::claimed, static_cast<int64_t>(out->size()));
            }
            for (auto& [claim, run] : *out) Adopt(claim, run);
          });
        });
  }

  void Renew(Session& s) {
    s.renewing = true;
    auto crashed = crashed_;
    auto lease = std::make_shared<store::Lease>();
    committer_->Submit(
        [crashed, tenant = s.tenant, run = s.run, held = s.lease, lease,
         lease_for = options_.lease_for](store::Txn& txn) -> Status {
          if (crashed->load()) return Unavailable("runtime abandoned");
          GOVFLOW_ASSIGN_OR_RETURN(*lease, txn.RenewLease(tenant, run, held, lease_for));
          return Status::Ok();
        },
        [this, key = s.key, lease, inbox = inbox_](Status st) {
          inbox->Post([this, key, lease, st] {
            Session* s = Find(key);
            if (s == nullptr) return;
            s->renewing = false;
            if (st.ok()) {
              s->lease = *lease;
            } else if (st.code() == StatusCode::kAborted) {
              Drop(*s);  // someone else owns the run now
            }
          });
        });
  }

  // ---- runs handed over by ingestion (no claim) ----------------------------------------------

  // Any thread. A slot for a run that ingestion is about to create, leased to this node, while
  // the executor has room; nullopt (the run is created unleased, for the scheduler) otherwise.
  std::optional<store::Lease> ReserveHandOff() {
    if (!taking_runs_.load()) return std::nullopt;
    if (active_.load() + reserved_.fetch_add(1) >= options_.max_active_runs) {
      reserved_.fetch_sub(1);
      return std::nullopt;
    }
    return store::Lease{options_.owner, 1, clock_.Now() + options_.lease_for};
  }

  // Committer thread: the run committed leased to this node; the executor takes it over as if it
  // had claimed it (same version, same lease), with its input already parsed.
  void AcceptHandOff(const store::Run& run, json::value input) {
    auto shared_input = std::make_shared<json::value>(std::move(input));
    inbox_->Post([this, run, shared_input] {
      reserved_.fetch_sub(1);
      if (abandon_) return;  // a crash: the lease lapses and the run is claimed again
      if (stopping_) {
        // Stopping: give the run back at once (it is due) rather than make the next node wait
        // for the lease to lapse.
        committer_->Submit(
            [tenant = run.tenant, id = run.id,
             lease = store::Lease{run.lease_owner, run.lease_token,
                                  run.lease_expires_at.value_or(TimePoint{})}](
                store::Txn& txn) -> Status { return txn.ReleaseLease(tenant, id, lease); },
            [](Status) {});
        return;
      }
      store::ClaimedRun claim{run.tenant, run.id,
                              store::Lease{run.lease_owner, run.lease_token,
                                           run.lease_expires_at.value_or(clock_.Now())},
                              run.version};
      Count(&RuntimeStats::handed_off, 1);
      Adopt(claim, run, shared_input.get(), /*next_event_seq=*/1);  // a new run has no history
    });
  }

  void Adopt(const store::ClaimedRun& claim, const store::Run& run,
             json::value* parsed_input = nullptr, int64_t next_event_seq = 0) {
    std::string key = claim.tenant.value() + '\n' + claim.run.value();
    if (auto it = sessions_.find(key); it != sessions_.end()) {
      // Our own earlier lease expired and we claimed the run again: the old session's writes
      // are fenced; start over from the store.
      it->second->seq++;
      it->second->phase = Phase::kDead;
      sessions_.erase(it);
    }
    auto s = std::make_unique<Session>();
    s->tenant = claim.tenant;
    s->run = claim.run;
    s->key = key;
    s->lease = claim.lease;
    s->version = claim.version;
    s->step_name = run.current_step;
    s->workflow_name = run.workflow_name;
    s->workflow_version = run.workflow_version;
    s->committed_state = run.state;
    s->next_event_seq = next_event_seq;
    Session& session = *s;
    sessions_.emplace(key, std::move(s));
    SetActive();

    auto definition = catalog_.Get(run.tenant, run.workflow_name, run.workflow_version);
    auto rc = RunContext::FromJson(run.context_json);
    boost::system::error_code ec;
    json::value event =
        parsed_input != nullptr ? std::move(*parsed_input) : json::parse(run.input_json, ec);
    if (!definition.ok() || !rc.ok() || ec) {
      // Without its definition or state the run cannot go on: an exception, not a silent stop.
      session.rc = rc.ok() ? *rc : RunContext{};
      std::string why = !definition.ok() ? definition.status().ToString()
                        : !rc.ok()       ? rc.status().ToString()
                                         : "the run's input is not JSON";
      FailWithoutDefinition(session, run.current_step, why);
      return;
    }
    session.definition = *definition;
    session.rc = std::move(*rc);
    session.context = std::make_unique<StepContext>(**definition, std::move(event),
                                                    RunInfo{run.id.value(), session.rc.attempt},
                                                    ToTimestamp(clock_.Now()));
    if (session.rc.steps.is_object()) {
      for (auto& [name, entry] : session.rc.steps.get_object()) {
        int index = session.definition->FindStep(name);
        if (index < 0 || !entry.is_object()) continue;
        if (json::value* output = entry.get_object().if_contains("output")) {
          session.context->SetOutput(session.definition->step(index), std::move(*output));
        }
      }
    }
    // From here on the steps live in the StepContext (Flush serialises them from there).
    session.rc.steps = nullptr;
    session.step = run.current_step.empty() ? 0 : session.definition->FindStep(run.current_step);
    if (session.step < 0) {
      session.definition = nullptr;
      FailWithoutDefinition(session, run.current_step,
                            "step '" + run.current_step + "' is not in " + run.workflow_name +
                                " version " + std::to_string(run.workflow_version));
      return;
    }
    if (run.state == store::RunState::kPending)
      Event(session, "transition", "", 0, "{\"to\":\"running\"}");
    Advance(session);
  }

  Session* Find(const std::string& key) {
    auto it = sessions_.find(key);
    return it == sessions_.end() ? nullptr : it->second.get();
  }

  void Drop(Session& s) {
    s.seq++;
    s.phase = Phase::kDead;
    sessions_.erase(s.key);  // `s` is gone from here on
    SetActive();
  }

  // ---- running steps --------------------------------------------------------------------------

  void Event(Session& s, std::string kind, std::string step, int64_t attempt, std::string payload) {
    store::RunEvent e;
    e.tenant = s.tenant;
    e.run = s.run;
    e.kind = std::move(kind);
    e.step = std::move(step);
    e.attempt = attempt;
    e.payload_json = std::move(payload);
    s.events.push_back(std::move(e));
  }

  // Runs the run forward in memory until it reaches a boundary, where it flushes.
  void Advance(Session& s) {
    const WorkflowDefinition& def = *s.definition;
    s.context->set_now(ToTimestamp(clock_.Now()));
    while (true) {
      if (s.step == kEndOfRun) return Complete(s);
      const Step& step = def.step(s.step);
      if (IsPureStep(step.kind)) {
        PureRunResult r = RunPureSteps(def, s.step, *s.context);
        for (const ExecutedStep& e : r.executed) {
          Event(s, "step", def.step(e.step).name, 0,
                e.outcome.kind == StepOutcome::Kind::kFail ? "{\"outcome\":\"fail\"}"
                                                           : "{\"outcome\":\"ok\"}");
        }
        if (r.outcome.kind == StepOutcome::Kind::kComplete) return Complete(s);
        if (r.outcome.kind == StepOutcome::Kind::kFail) return Fail(s, *r.outcome.failure);
        s.step = r.outcome.next_step;
        continue;
      }
      if (stopping_) return ParkAt(s, clock_.Now(), "stopping");
      switch (step.kind) {
        case StepKind::kWait: {
          if (s.rc.wait_until_us == 0) {
            auto deadline = WaitDeadline(def, s.step, *s.context);
            if (auto* f = std::get_if<StepFailure>(&deadline)) return Fail(s, *f);
            s.rc.wait_until_us =
                ToMicros(FromTimestamp(std::get<expr::timeutil::Timestamp>(deadline)));
          }
          if (clock_.Now() < FromMicros(s.rc.wait_until_us)) {
            return ParkAt(s, FromMicros(s.rc.wait_until_us), "wait");
          }
          s.rc.wait_until_us = 0;
          Event(s, "timer", step.name, 0, "{\"fired\":true}");
          s.step = step.next_index;
          continue;
        }
        case StepKind::kCall:
          return StartCall(s);
        case StepKind::kApprove:
          return AskApproval(s);
        default:
          return Fail(s, StepFailure{ErrorClass::kInternal,
                                     step.name,
                                     "step kind '" + std::string(StepKindName(step.kind)) +
                                         "' is not supported by this runtime yet",
                                     {}});
      }
    }
  }

  // ---- approve steps --------------------------------------------------------------------------

  // Asks governance for the step's approval task (or looks up the one already asked for) in one
  // commit with everything the run did since its last one; parks the run while the task is
  // pending. DecideApproval / ExpireApprovals wake the run when the task becomes final.
  void AskApproval(Session& s) {
    const Step& step = s.definition->step(s.step);
    const ApproveSpec& spec = step.approve();
    FlushPlan plan;
    ApprovalPlan approval;
    approval.task_id = s.rc.approval_id;
    approval.recheck_at = clock_.Now() + options_.approval_recheck;
    if (approval.task_id.empty()) {
      auto ask = PrepareApproval(*s.definition, s.step, *s.context);
      if (auto* f = std::get_if<StepFailure>(&ask)) return Fail(s, *f);
      ApprovalAsk& a = std::get<ApprovalAsk>(ask);
      governance::ApprovalRequest& r = approval.request;
      r.subject_type = "workflow_step";
      r.subject_id = s.run.value() + "/" + step.name;
      r.title = !a.title.empty() ? a.title
                                 : "Approve step " + step.name + " of " + s.workflow_name +
                                       " (run " + s.run.value() + ")";
      json::object changes;
      changes["workflow"] = s.workflow_name;
      changes["version"] = s.workflow_version;
      changes["run"] = s.run.value();
      changes["step"] = step.name;
      changes["input_digest"] = Sha256Hex(json::serialize(s.context->event()));
      if (!a.details.is_null()) changes["details"] = std::move(a.details);
      r.changes_json = json::serialize(changes);
      r.required_roles = spec.roles;
      r.quorum = spec.quorum;
      r.requested_by = a.requested_by.empty() ? "system:runtime" : a.requested_by;
      r.rule = "workflow " + s.workflow_name + " v" + std::to_string(s.workflow_version) +
               ", step " + step.name;
      if (!spec.escalate_to.empty()) {
        r.on_expiry = governance::ExpiryAction::kEscalate;
        r.escalate_to_roles = spec.escalate_to;
      }
      approval.expires_in = spec.expires_in;
    }
    plan.update.state = store::RunState::kRunning;
    plan.update.next_wake_at = clock_.Now();  // as for a call: due again if the lease lapses
    plan.reason = "approval";
    plan.approval = std::move(approval);
    Flush(s, std::move(plan), AfterFlush::kApproval);
  }

  void OnApproval(Session& s, const FlushOut& out) {
    s.rc = out.rc;
    const Step& step = s.definition->step(s.step);
    if (!out.approval_error.ok()) {
      return Fail(s, StepFailure{ErrorClass::kInternal, step.name,
                                 "approval task: " + out.approval_error.ToString(), {}});
    }
    if (out.approval_parked || !out.approval_task) return Drop(s);
    const governance::ApprovalTask& task = *out.approval_task;
    s.rc.approval_id.clear();  // taken in: a manual retry of the run asks again
    json::array approvers;
    json::array comments;
    std::string rejected_by;
    for (const governance::ApprovalDecision& d : task.decisions) {
      if (d.approve) approvers.emplace_back(d.actor);
      if (!d.approve && rejected_by.empty()) rejected_by = d.actor;
      comments.push_back(json::object{{"actor", d.actor},
                                      {"approve", d.approve},
                                      {"comment", d.comment},
                                      {"at_us", ToMicros(d.at)}});
    }
    json::object output;
    output["approved"] = task.state == governance::ApprovalState::kApproved;
    output["state"] = governance::ApprovalStateName(task.state);
    output["task"] = task.id;
    output["approvers"] = std::move(approvers);
    output["comments"] = std::move(comments);
    Event(s, "approval", step.name, 0,
          json::serialize(json::object{{"task", task.id},
                                       {"state", governance::ApprovalStateName(task.state)}}));
    if (task.state == governance::ApprovalState::kApproved) {
      s.context->SetOutput(step, std::move(output));
      s.step = step.next_index;
      return Advance(s);
    }
    const ApproveSpec& spec = step.approve();
    if (!rejected_by.empty()) output["rejected_by"] = rejected_by;
    if (spec.on_reject_index) {
      s.context->SetOutput(step, std::move(output));
      s.step = *spec.on_reject_index;
      return Advance(s);
    }
    const std::string state(governance::ApprovalStateName(task.state));
    std::string message = "approval " + task.id + " was " + state;
    if (!rejected_by.empty()) message += " by " + rejected_by;
    for (const governance::ApprovalDecision& d : task.decisions) {
      if (!d.approve) message += ": " + d.comment;
    }
    Fail(s, StepFailure{ErrorClass::kPolicy, step.name, message, {}}, "approval_" + state);
  }

  void StartCall(Session& s) {
    const Step& step = s.definition->step(s.step);
    auto prepared = PrepareCall(*s.definition, s.step, *s.context);
    if (auto* f = std::get_if<StepFailure>(&prepared)) return Fail(s, *f);
    s.request = std::move(std::get<CallRequest>(prepared));
    s.connector = catalog_.FindConnector(s.tenant, s.request->connection);
    connect::OutboundConnector* out = s.connector ? s.connector->AsOutbound() : nullptr;
    s.operation = out ? FindOperation(*out, s.request->operation) : nullptr;
    if (s.operation == nullptr) {
      return Fail(
          s, StepFailure{ErrorClass::kInternal,
                         step.name,
                         out == nullptr ? "no outbound connection '" + s.request->connection + "'"
                                        : "connection '" + s.request->connection +
                                              "' has no operation '" + s.request->operation + "'",
                         {}});
    }
    store::Effect effect;
    effect.tenant = s.tenant;
    effect.idempotency_key = IdempotencyKey(s.tenant, s.run, step.name);
    effect.run = s.run;
    effect.step = step.name;
    effect.connection = ConnectionId(s.request->connection);
    effect.business_key = s.request->business_key;
    effect.state = store::EffectState::kPending;
    effect.request_json = json::serialize(s.request->input);

    FlushPlan plan;
    plan.update.state = store::RunState::kRunning;
    plan.update.next_wake_at = clock_.Now();  // due again as soon as the lease lapses
    plan.begin_effect = std::move(effect);
    Flush(s, std::move(plan), AfterFlush::kPreSend);
  }

  void AfterPreSend(Session& s, const FlushOut& out) {
    s.rc = out.rc;
    s.effect_attempts = out.attempts;
    const Step& step = s.definition->step(s.step);
    switch (out.action) {
      case CallAction::kSend:
        return Send(s);
      case CallAction::kAdopt: {
        boost::system::error_code ec;
        json::value response = json::parse(out.response_json, ec);
        return CallSucceeded(s, ec ? json::value() : std::move(response), nullptr);
      }
      case CallAction::kSettle: {
        const milliseconds bound =
            std::max(s.connector->AsOutbound()->in_flight_bound(),
                     std::chrono::duration_cast<milliseconds>(s.request->timeout));
        const TimePoint settle_at = FromMicros(s.rc.call_started_us) + bound;
        if (clock_.Now() < settle_at) return ParkAt(s, settle_at, "wait_out");
        return Lookup(s);
      }
      case CallAction::kNone:
        return Fail(s, StepFailure{ErrorClass::kInternal, step.name, "no call action", {}});
    }
  }

  void Send(Session& s) {
    const Step& step = s.definition->step(s.step);
    s.phase = Phase::kCalling;
    s.settled_absent = false;
    s.call_deadline =
        clock_.Now() + std::chrono::duration_cast<std::chrono::microseconds>(s.request->timeout);
    const uint64_t seq = ++s.seq;
    Count(&RuntimeStats::calls, 1);
    connect::ConnectorCall call;
    call.operation = std::string(s.operation->name);
    call.payload = s.request->input;
    call.idempotency_key = IdempotencyKey(s.tenant, s.run, step.name);
    s.connector->AsOutbound()->Call(std::move(call), [this, key = s.key, seq, inbox = inbox_](
                                                         connect::CallResult<json::value> result) {
      inbox->Post([this, key, seq, result = std::move(result)]() mutable {
        Session* s = Find(key);
        if (s == nullptr || s->seq != seq || s->phase != Phase::kCalling) return;
        if (result.ok()) {
          CallSucceeded(*s, std::move(result).value(), &seq);
        } else {
          OnCallFailure(*s, result.failure());
        }
      });
    });
  }

  void CallSucceeded(Session& s, json::value response, const uint64_t* /*seq*/) {
    const Step& step = s.definition->step(s.step);
    const std::string key = IdempotencyKey(s.tenant, s.run, step.name);
    // The response is serialised once, for the effect and for the event's payload (the text
    // json::serialize gives {"outcome": "ok", "response": response}).
    const std::string response_json = json::serialize(response);
    if (s.phase == Phase::kCalling || s.phase == Phase::kLookingUp) {
      store::EffectUpdate u;
      u.state = store::EffectState::kSucceeded;
      u.response_json = response_json;
      s.effects.push_back({key,
                           s.phase == Phase::kCalling ? store::EffectState::kInFlight
                                                      : store::EffectState::kUnknown,
                           std::move(u)});
    }
    s.phase = Phase::kReady;
    Event(s, "attempt_result", step.name, s.effect_attempts,
          "{\"outcome\":\"ok\",\"response\":" + response_json + "}");
    s.context->SetOutput(step, std::move(response));
    s.rc.call_started_us = 0;
    s.rc.attempt_base = 0;
    s.step = step.next_index;
    Advance(s);
  }

  void OnCallFailure(Session& s, const connect::CallFailure& failure) {
    const Step& step = s.definition->step(s.step);
    const std::string key = IdempotencyKey(s.tenant, s.run, step.name);
    const ErrorClass cls = ToWorkflowErrorClass(failure);
    const bool unknown = OutcomeUnknown(failure);
    s.phase = Phase::kReady;
    json::object p;
    p["outcome"] = unknown ? "unknown" : "failed";
    p["error_class"] = ErrorClassName(cls);
    p["detail"] = failure.ToString();
    Event(s, "attempt_result", step.name, s.effect_attempts, json::serialize(p));
    store::EffectUpdate u;
    u.state = unknown ? store::EffectState::kUnknown : store::EffectState::kFailed;
    u.error_class = std::string(ErrorClassName(cls));
    u.response_json = failure.ToString();
    s.effects.push_back({key, store::EffectState::kInFlight, std::move(u)});

    const int attempts_made = static_cast<int>(s.effect_attempts - s.rc.attempt_base);
    const CallFailureDecision decision = DecideAfterCallFailure(step, cls, attempts_made, Unit());
    if (unknown) {
      // The remote may have acted: nothing is sent again until every request that may still be
      // in flight has ended and a lookup by business key came back empty.
      Count(&RuntimeStats::unknown_outcomes, 1);
      if (RequestEnded(failure) &&
          s.operation->deduplication == connect::Deduplication::kLookupByBusinessKey) {
        // The remote answered (e.g. Business Central's 500 with its error body): this request
        // is over, and every earlier attempt was settled before it was sent, so nothing of ours
        // is in flight. Look up at once; the lookup says whether the order was created.
        s.answered_failure = failure;
        return Lookup(s);
      }
      const milliseconds bound =
          std::max(s.connector->AsOutbound()->in_flight_bound(),
                   std::chrono::duration_cast<milliseconds>(s.request->timeout));
      TimePoint at = FromMicros(s.rc.call_started_us) + bound;
      if (decision.action == CallFailureDecision::Action::kRetry) {
        at = std::max(at, clock_.Now() + std::chrono::duration_cast<std::chrono::microseconds>(
                                             decision.delay));
      }
      return ParkAt(s, at, "wait_out");
    }
    switch (decision.action) {
      case CallFailureDecision::Action::kRetry: {
        auto delay = std::chrono::duration_cast<std::chrono::microseconds>(decision.delay);
        if (failure.retry_after) {
          delay = std::max<std::chrono::microseconds>(delay, *failure.retry_after);
        }
        return ParkAt(s, clock_.Now() + delay, "backoff");
      }
      case CallFailureDecision::Action::kGoto:
        s.rc.call_started_us = 0;
        s.rc.attempt_base = 0;
        s.step = decision.next_step;
        return Advance(s);
      case CallFailureDecision::Action::kFail:
        return Fail(s, StepFailure{cls, step.name, failure.ToString(), {}});
    }
  }

  // Settles an effect of unknown outcome: the business key is looked up; a found object is
  // adopted as the result, otherwise the next pre-send may create.
  void Lookup(Session& s) {
    const Step& step = s.definition->step(s.step);
    if (s.operation->deduplication != connect::Deduplication::kLookupByBusinessKey) {
      // The remote deduplicates by itself (or the call has no effect): send again.
      s.settled_absent = true;
      return StartCall(s);
    }
    connect::OutboundConnector* out = s.connector->AsOutbound();
    json::value payload = s.request->input.is_object() ? s.request->input : json::object();
    if (!s.request->business_key.empty() && !s.operation->business_key_field.empty()) {
      payload.as_object()[s.operation->business_key_field] = s.request->business_key;
    }
    s.phase = Phase::kLookingUp;
    const uint64_t seq = ++s.seq;
    Count(&RuntimeStats::lookups, 1);
    connect::ConnectorCall call;
    call.operation = std::string(s.operation->lookup_operation);
    call.payload = std::move(payload);
    call.idempotency_key = IdempotencyKey(s.tenant, s.run, step.name) + "/lookup";
    out->Call(std::move(call),
              [this, key = s.key, seq, inbox = inbox_](connect::CallResult<json::value> result) {
                inbox->Post([this, key, seq, result = std::move(result)]() mutable {
                  Session* s = Find(key);
                  if (s == nullptr || s->seq != seq || s->phase != Phase::kLookingUp) return;
                  OnLookup(*s, std::move(result));
                });
              });
  }

  void OnLookup(Session& s, connect::CallResult<json::value> result) {
    const Step& step = s.definition->step(s.step);
    std::optional<connect::CallFailure> answered = std::move(s.answered_failure);
    s.answered_failure.reset();
    if (!result.ok()) {
      // (After an answered failure the effect is committed unknown with this park, so whoever
      // resumes the run settles it the safe way: wait-out, then lookup.)
      s.phase = Phase::kReady;
      Event(s, "lookup", step.name, s.effect_attempts,
            json::serialize(
                json::object{{"outcome", "failed"}, {"detail", result.failure().ToString()}}));
      auto delay = std::chrono::duration_cast<std::chrono::microseconds>(
          step.call().retry.BackoffBefore(2, Unit()));
      if (result.failure().retry_after) {
        delay = std::max<std::chrono::microseconds>(delay, *result.failure().retry_after);
      }
      return ParkAt(s, clock_.Now() + delay, "lookup_backoff");
    }
    const json::value& v = result.value();
    const json::object* o = v.if_object();
    const json::value* found = o ? o->if_contains("found") : nullptr;
    const json::value* list = o ? o->if_contains("salesOrders") : nullptr;
    if (found && found->is_bool() && found->get_bool() && list && list->is_array() &&
        !list->get_array().empty()) {
      Count(&RuntimeStats::adopted, 1);
      Event(s, "lookup", step.name, s.effect_attempts,
            json::serialize(json::object{{"outcome", "found"}, {"adopted", list->get_array()[0]}}));
      return CallSucceeded(s, list->get_array()[0], nullptr);
    }
    s.phase = Phase::kReady;
    Event(s, "lookup", step.name, s.effect_attempts, "{\"outcome\":\"absent\"}");
    const int attempts_made = static_cast<int>(s.effect_attempts - s.rc.attempt_base);
    if (answered) return AfterAnsweredAbsent(s, *answered, attempts_made);
    const CallFailureDecision decision =
        DecideAfterCallFailure(step, ErrorClass::kUnknown, attempts_made, Unit());
    if (decision.action != CallFailureDecision::Action::kRetry) {
      store::EffectUpdate u;
      u.state = store::EffectState::kFailed;
      u.error_class = "unknown";
      s.effects.push_back(
          {IdempotencyKey(s.tenant, s.run, step.name), store::EffectState::kUnknown, std::move(u)});
      return Fail(
          s, StepFailure{ErrorClass::kUnknown,
                         step.name,
                         "no answer after " + std::to_string(attempts_made) + " attempts, and '" +
                             s.request->business_key + "' is not in the remote system",
                         {}});
    }
    s.settled_absent = true;
    StartCall(s);
  }

  // An answered failure of unknown outcome whose lookup found nothing: the request is over and
  // created nothing, so the effect is settled `failed` (a later attempt may create) and the step
  // retries after its backoff (honouring Retry-After), or goes on / fails as its policy says.
  void AfterAnsweredAbsent(Session& s, const connect::CallFailure& failure, int attempts_made) {
    const Step& step = s.definition->step(s.step);
    store::EffectUpdate u;
    u.state = store::EffectState::kFailed;
    u.error_class = std::string(connect::ErrorClassName(failure.error_class));
    u.response_json = failure.ToString();
    s.effects.push_back(
        {IdempotencyKey(s.tenant, s.run, step.name), store::EffectState::kUnknown, std::move(u)});
    const CallFailureDecision decision =
        DecideAfterCallFailure(step, ErrorClass::kUnknown, attempts_made, Unit());
    switch (decision.action) {
      case CallFailureDecision::Action::kRetry: {
        auto delay = std::chrono::duration_cast<std::chrono::microseconds>(decision.delay);
        if (failure.retry_after) {
          delay = std::max<std::chrono::microseconds>(delay, *failure.retry_after);
        }
        return ParkAt(s, clock_.Now() + delay, "backoff");
      }
      case CallFailureDecision::Action::kGoto:
        s.rc.call_started_us = 0;
        s.rc.attempt_base = 0;
        s.step = decision.next_step;
        return Advance(s);
      case CallFailureDecision::Action::kFail:
        return Fail(s, StepFailure{ErrorClass::kUnknown,
                                   step.name,
                                   failure.ToString() + "; after " + std::to_string(attempts_made) +
                                       " attempts '" + s.request->business_key +
                                       "' is not in the remote system",
                                   {}});
    }
  }

  // ---- boundaries -----------------------------------------------------------------------------

  void ParkAt(Session& s, TimePoint wake, const char* why) {
    Count(&RuntimeStats::parked, 1);
    FlushPlan plan;
    plan.update.state = store::RunState::kWaiting;
    plan.update.next_wake_at = wake;
    plan.update.release_lease = true;
    plan.reason = why;
    Event(s, "park", s.step == kEndOfRun ? "" : s.definition->step(s.step).name, 0,
          json::serialize(json::object{{"reason", why}, {"wake_at_us", ToMicros(wake)}}));
    Flush(s, std::move(plan), AfterFlush::kRelease);
  }

  void Complete(Session& s) {
    Count(&RuntimeStats::completed, 1);
    s.step = kEndOfRun;
    FlushPlan plan;
    plan.update.state = store::RunState::kSucceeded;
    plan.update.release_lease = true;
    plan.resolve_retrying = s.rc.attempt > 1;
    Event(s, "transition", "", 0, "{\"to\":\"succeeded\"}");
    Flush(s, std::move(plan), AfterFlush::kRelease);
  }

  // `case_error_class` overrides the case's class (default: the failure's workflow class), e.g.
  // approval_rejected, which says more than the workflow's `policy`.
  void Fail(Session& s, const StepFailure& failure, std::string case_error_class = "") {
    Count(&RuntimeStats::failed, 1);
    store::ExceptionCase c;
    c.tenant = s.tenant;
    c.id = ExceptionCaseId(NewUniqueId("exc_"));
    c.run = s.run;
    c.step = failure.step;
    c.error_class = case_error_class.empty() ? std::string(ErrorClassName(failure.error_class))
                                             : std::move(case_error_class);
    c.message = failure.message;
    json::object payload;
    payload["input"] = s.context ? s.context->event() : json::value();
    payload["steps"] = s.context ? s.context->steps_value() : json::value();
    boost::system::error_code ec;
    payload["violations"] = json::parse(ViolationsPayload(failure), ec);
    c.payload_json = json::serialize(payload);
    FlushPlan plan;
    plan.update.state = store::RunState::kFailed;
    plan.update.release_lease = true;
    plan.reason = failure.message;
    plan.audit_extra["error_class"] = c.error_class;
    plan.audit_extra["exception"] = c.id.value();
    plan.exception = std::move(c);
    Event(s, "transition", failure.step, 0,
          json::serialize(json::object{{"to", "failed"},
                                       {"error_class", ErrorClassName(failure.error_class)},
                                       {"message", failure.message}}));
    Flush(s, std::move(plan), AfterFlush::kRelease);
  }

  void FailWithoutDefinition(Session& s, const std::string& step, const std::string& why) {
    Fail(s, StepFailure{ErrorClass::kInternal, step, why, {}});
  }

  // Commits everything the session accumulated plus `plan`, fenced by its lease and version.
  void Flush(Session& s, FlushPlan plan, AfterFlush after) {
    s.phase = Phase::kCommitting;
    // The steps are serialised once here; every context document of this flush embeds the text.
    // (With a StepContext the steps live there, and s.rc.steps is not kept.)
    std::string steps_json = json::serialize(s.context ? s.context->steps_value() : s.rc.steps);
    plan.update.current_step = s.definition == nullptr ? s.step_name
                               : s.step == kEndOfRun   ? std::string()
                                                       : s.definition->step(s.step).name;
    if (!plan.begin_effect) plan.update.context_json = s.rc.ToJson(steps_json);
    if (store::IsTerminal(plan.update.state)) plan.update.next_wake_at.reset();

    RunAuditFacts audit;
    audit.workflow = s.workflow_name;
    audit.version = s.workflow_version;
    audit.from = s.committed_state;
    audit.reason = std::move(plan.reason);
    audit.extra = std::move(plan.audit_extra);
    auto add_step = [&audit](const std::string& step) {
      if (!step.empty() && (audit.steps.empty() || audit.steps.back() != step)) {
        audit.steps.push_back(step);
      }
    };
    for (const store::RunEvent& e : s.events) add_step(e.step);
    add_step(plan.update.current_step);  // where the run now stands

    auto out = std::make_shared<FlushOut>();
    auto crashed = crashed_;
    auto unit = [crashed, out, tenant = s.tenant, run = s.run, lease = s.lease, version = s.version,
                 events = std::move(s.events), effects = std::move(s.effects),
                 plan = std::move(plan), rc = s.rc, steps_json = std::move(steps_json),
                 settled_absent = s.settled_absent, audit = std::move(audit),
                 next_event_seq = s.next_event_seq](store::Txn& txn) mutable -> Status {
      if (crashed->load()) return Unavailable("runtime abandoned");
      const TimePoint now = txn.Now();
      for (const EffectWrite& w : effects) {
        Status moved = txn.MoveEffect(tenant, w.key, w.from, w.update);
        if (!moved.ok()) {
          // A re-run of this unit finds its own write done already.
          auto current = txn.GetEffect(tenant, w.key);
          if (!current.ok() || current->state != w.update.state) return moved;
        }
      }
      out->rc = rc;
      out->intake_failed = false;
      store::RunUpdate update = plan.update;
      // The common first attempt: no record yet, so register it in flight in one write.
      bool created_in_flight = false;
      if (plan.begin_effect && plan.begin_effect->state == store::EffectState::kPending) {
        store::Effect fresh = *plan.begin_effect;
        fresh.state = store::EffectState::kInFlight;
        fresh.attempts = plan.begin_effect->attempts + 1;
        GOVFLOW_ASSIGN_OR_RETURN(created_in_flight, txn.CreateEffectIfAbsent(fresh));
        if (created_in_flight) {
          out->action = CallAction::kSend;
          out->attempts = fresh.attempts;
          out->rc.call_started_us = ToMicros(now);
          update.context_json = out->rc.ToJson(steps_json);
        }
      }
      if (plan.begin_effect && !created_in_flight) {
        GOVFLOW_ASSIGN_OR_RETURN(store::Effect e, txn.BeginEffect(*plan.begin_effect));
        auto to_in_flight = [&](store::EffectState from) -> Status {
          store::EffectUpdate u;
          u.state = store::EffectState::kInFlight;
          u.count_attempt = true;
          GOVFLOW_ASSIGN_OR_RETURN(store::Effect moved,
                                   txn.UpdateEffect(tenant, e.idempotency_key, from, u));
          out->action = CallAction::kSend;
          out->attempts = moved.attempts;
          out->rc.call_started_us = ToMicros(now);
          return Status::Ok();
        };
        out->attempts = e.attempts;
        switch (e.state) {
          case store::EffectState::kPending:
          case store::EffectState::kFailed:
            GOVFLOW_RETURN_IF_ERROR(to_in_flight(e.state));
            break;
          case store::EffectState::kUnknown:
            if (settled_absent) {
              GOVFLOW_RETURN_IF_ERROR(to_in_flight(e.state));
            } else {
              out->action = CallAction::kSettle;
            }
            break;
          case store::EffectState::kInFlight: {
            // Left in flight by an owner that is gone (a crash, a lost lease): its request may
            // still be on its way. Settle it; never send blindly.
            store::EffectUpdate u;
            u.state = store::EffectState::kUnknown;
            u.error_class = "unknown";
            GOVFLOW_RETURN_IF_ERROR(
                txn.UpdateEffect(tenant, e.idempotency_key, e.state, u).status());
            out->action = CallAction::kSettle;
            if (out->rc.call_started_us == 0) out->rc.call_started_us = ToMicros(e.updated_at);
            break;
          }
          case store::EffectState::kSucceeded:
            out->action = CallAction::kAdopt;
            out->response_json = e.response_json;
            break;
        }
        update.context_json = out->rc.ToJson(steps_json);
      }
      out->approval_task.reset();
      out->approval_parked = false;
      out->approval_error = Status::Ok();
      if (plan.approval) {
        GOVFLOW_RETURN_IF_ERROR(
            ApplyApproval(txn, tenant, *plan.approval, steps_json, update, *out));
      }
      GOVFLOW_ASSIGN_OR_RETURN(out->version, txn.UpdateRun(tenant, run, version, update, &lease));
      out->state = update.state;
      if (update.state != audit.from) {
        GOVFLOW_RETURN_IF_ERROR(AppendRunTransitionAudit(
            txn, tenant, run, audit, update, update.context_json,
            out->approval_task ? out->approval_task->id : std::string()));
      }
      // The attempt event joins the unit's events for the one write, and leaves them again
      // afterwards, so that a re-run of the unit starts from the same captured events.
      const size_t unit_events = events.size();
      if (plan.begin_effect && out->action == CallAction::kSend) {
        store::RunEvent e;
        e.tenant = tenant;
        e.run = run;
        e.kind = "attempt";
        e.step = plan.begin_effect->step;
        e.attempt = out->attempts;
        e.payload_json =
            "{\"business_key\":" + json::serialize(json::value(plan.begin_effect->business_key)) +
            "}";
        events.push_back(std::move(e));
      }
      out->next_event_seq = next_event_seq;
      if (!events.empty()) {
        Result<int64_t> first = out->next_event_seq != 0
                                    ? Result<int64_t>(out->next_event_seq)
                                    : txn.NextRunEventSeq(tenant, run);
        Result<int64_t> appended =
            first.ok() ? txn.AppendRunEvents(tenant, run, *first, events) : first;
        events.erase(events.begin() + static_cast<std::ptrdiff_t>(unit_events), events.end());
        GOVFLOW_ASSIGN_OR_RETURN(out->next_event_seq, std::move(appended));
      }
      if (plan.exception) {
        // A run that fails again after a manual retry: the retried case is closed and the
        // new case carries the new reason.
        GOVFLOW_ASSIGN_OR_RETURN(
            auto retrying,
            txn.ListExceptionCases(tenant, store::ExceptionState::kRetrying, 10'000));
        for (const auto& c : retrying) {
          if (c.run != run) continue;
          GOVFLOW_RETURN_IF_ERROR(txn.SetExceptionCaseState(
              tenant, c.id, store::ExceptionState::kRetrying, store::ExceptionState::kResolved));
        }
        Status st = txn.OpenExceptionCase(*plan.exception);
        if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;
        if (st.ok()) {
          // Classification, severity, owner, SLA clocks: governance's part of the same change.
          GOVFLOW_ASSIGN_OR_RETURN(store::Run stored, txn.GetRun(tenant, run));
          GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase opened,
                                   txn.GetExceptionCase(tenant, plan.exception->id));
          // A failing intake must not keep the run from failing (it would be retried forever):
          // the case stays open, unrouted, and the failure is recorded and counted.
          GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("exception_intake"));
          Status intake = governance::OnExceptionOpened(txn, opened, stored);
          if (intake.ok()) {
            GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("exception_intake"));
          } else {
            GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("exception_intake"));
            store::RunEvent e;
            e.tenant = tenant;
            e.run = run;
            e.kind = "exception_intake_failed";
            e.step = opened.step;
            e.payload_json = json::serialize(
                json::object{{"exception", opened.id.value()}, {"error", intake.ToString()}});
            GOVFLOW_ASSIGN_OR_RETURN(const int64_t last, txn.AppendRunEvent(e));
            out->next_event_seq = last + 1;
            out->intake_failed = true;
          }
        }
      }
      if (plan.resolve_retrying) {
        GOVFLOW_ASSIGN_OR_RETURN(
            auto retrying,
            txn.ListExceptionCases(tenant, store::ExceptionState::kRetrying, 10'000));
        for (const auto& c : retrying) {
          if (c.run != run) continue;
          GOVFLOW_RETURN_IF_ERROR(txn.SetExceptionCaseState(
              tenant, c.id, store::ExceptionState::kRetrying, store::ExceptionState::kResolved));
        }
      }
      return Status::Ok();
    };
    s.events.clear();
    s.effects.clear();
    const uint64_t seq = ++s.seq;
    committer_->Submit(std::move(unit),
                       [this, key = s.key, seq, out, after, inbox = inbox_](Status st) {
                         inbox->Post([this, key, seq, out, after, st] {
                           Session* s = Find(key);
                           if (s == nullptr || s->seq != seq) return;
                           if (!st.ok()) {
                             // Lost the lease, or the store failed: the run stays as last committed
                             // and is claimed again when its lease lapses.
                             Count(&RuntimeStats::commit_failures, 1);
                             // A version conflict under a lease still ours (someone woke the run,
                             // e.g. an approval decision raced the claim): give the lease back so
                             // that the run is claimed again now rather than when it lapses.
                             if (st.code() == StatusCode::kAborted) ReleaseAfterConflict(*s);
                             return Drop(*s);
                           }
                           s->version = out->version;
                           s->committed_state = out->state;
                           s->next_event_seq = out->next_event_seq;
                           if (out->intake_failed) Count(&RuntimeStats::intake_failures, 1);
                           s->phase = Phase::kReady;
                           if (after == AfterFlush::kRelease) return Drop(*s);
                           if (after == AfterFlush::kApproval) return OnApproval(*s, *out);
                           AfterPreSend(*s, *out);
                         });
                       });
  }

  // The approval part of a unit: finds or opens the task (as the system, for the run's tenant)
  // and decides the run's update: parked (waiting, lease released, woken by the decision, or at
  // the expiry to look again) while the task is pending, else running on with its lease. A task
  // that cannot be opened (e.g. bad roles) is reported in out.approval_error and fails the run.
  static Status ApplyApproval(store::Txn& txn, const TenantId& tenant, const ApprovalPlan& plan,
                              std::string_view steps_json, store::RunUpdate& update,
                              FlushOut& out) {
    const governance::TenantScope scope = governance::TenantScope::ForSystem(tenant, "runtime");
    const TimePoint now = txn.Now();
    GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("approval_step"));
    Result<governance::ApprovalTask> task = [&]() -> Result<governance::ApprovalTask> {
      if (!plan.task_id.empty()) return governance::GetApproval(txn, scope, plan.task_id);
      governance::ApprovalRequest request = plan.request;
      if (plan.expires_in) {
        request.expires_at =
            now + std::chrono::duration_cast<std::chrono::microseconds>(*plan.expires_in);
      }
      return governance::RequestApproval(txn, scope, request);
    }();
    if (!task.ok()) {
      GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("approval_step"));
      // Conflicts and store failures retry the unit; anything else is the step's failure.
      if (task.status().code() == StatusCode::kAborted ||
          task.status().code() == StatusCode::kUnavailable ||
          task.status().code() == StatusCode::kAlreadyExists) {
        return task.status();
      }
      out.approval_error = task.status();
      update.context_json = out.rc.ToJson(steps_json);
      return Status::Ok();
    }
    GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("approval_step"));
    out.rc.approval_id = task->id;
    if (!governance::IsFinal(task->state)) {
      update.state = store::RunState::kWaiting;
      update.release_lease = true;
      const auto& expires = task->request.expires_at;
      update.next_wake_at = expires && *expires > now ? *expires
                            : expires                 ? std::max(plan.recheck_at, now)
                                                      : std::optional<TimePoint>();
      out.approval_parked = true;
    }
    update.context_json = out.rc.ToJson(steps_json);
    out.approval_task = std::move(*task);
    return Status::Ok();
  }

  void ReleaseAfterConflict(const Session& s) {
    auto crashed = crashed_;
    committer_->Submit(
        [crashed, tenant = s.tenant, run = s.run, lease = s.lease](store::Txn& txn) -> Status {
          if (crashed->load()) return Unavailable("runtime abandoned");
          return txn.ReleaseLease(tenant, run, lease);  // kAborted: the lease was lost anyway
        },
        [inbox = inbox_](Status st) {
          if (st.ok()) inbox->Poke();
        });
  }

  // ---- helpers --------------------------------------------------------------------------------

  double Unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  void Count(int64_t RuntimeStats::*field, int64_t n) {
    std::lock_guard lock(stats_mu_);
    stats_.*field += n;
  }
  void SetActive() {
    active_.store(static_cast<int>(sessions_.size()));
    std::lock_guard lock(stats_mu_);
    stats_.active = static_cast<int64_t>(sessions_.size());
  }

  store::Store& store_;
  const Clock& clock_;
  RuntimeOptions options_;
  std::unique_ptr<store::Committer> committer_;
  Catalog catalog_;
  std::shared_ptr<Inbox> inbox_;
  std::shared_ptr<std::atomic<bool>> crashed_;
  Ingestion ingestion_;

  std::mutex lifecycle_mu_;
  bool started_ = false;  // GUARDED_BY(lifecycle_mu_)
  bool stopped_ = false;  // GUARDED_BY(lifecycle_mu_)
  std::thread thread_;

  // Runs handed over by ingestion: slots reserved and not yet adopted (or given back), the
  // sessions held (a copy of sessions_.size() for other threads), and whether runs are taken.
  std::atomic<int> reserved_{0};
  std::atomic<int> active_{0};
  std::atomic<bool> taking_runs_{false};

  // Executor thread only.
  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;
  bool claiming_ = false;
  bool stopping_ = false;
  bool abandon_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::chrono::steady_clock::time_point next_claim_;
  std::mt19937_64 rng_;

  mutable std::mutex stats_mu_;
  RuntimeStats stats_;  // GUARDED_BY(stats_mu_)
};

// ---- Runtime
// --------------------------------------------------------------------------------------

Runtime::Runtime(store::Store& store, const Clock& clock, RuntimeOptions options)
    : executor_(std::make_unique<Executor>(store, clock, std::move(options))) {}
Runtime::~Runtime() = default;
Catalog& Runtime::catalog() {
  return executor_->catalog();
}
Ingestion& Runtime::ingestion() {
  return executor_->ingestion();
}
store::Committer& Runtime::committer() {
  return executor_->committer();
}
Status Runtime::Start() {
  return executor_->Start();
}
void Runtime::Stop(milliseconds deadline) {
  executor_->Shutdown(deadline);
}
void Runtime::Abandon() {
  executor_->Abandon();
}
void Runtime::Poke() {
  executor_->Poke();
}
RuntimeStats Runtime::stats() const {
  return executor_->stats();
}

}  // namespace govflow::workflow::runtime
