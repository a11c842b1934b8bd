// Approval tasks over the tables of migration 0007 (approval_tasks, approval_task_roles,
// approval_decisions, approval_delegations). See approvals.h for the rules.
#include "governance/approvals.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/canonical_json.h"
#include "governance/audit.h"

namespace govflow::governance {

namespace sql = store::sql;
namespace {

constexpr std::string_view kSubjectWorkflowStep = "workflow_step";
constexpr int kExpiryBatch = 200;

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

Result<ApprovalState> ParseState(std::string_view s) {
  if (s == "pending") return ApprovalState::kPending;
  if (s == "approved") return ApprovalState::kApproved;
  if (s == "rejected") return ApprovalState::kRejected;
  if (s == "expired") return ApprovalState::kExpired;
  if (s == "cancelled") return ApprovalState::kCancelled;
  return Internal("unknown approval state '" + std::string(s) + "' in approval_tasks");
}

std::string_view ExpiryActionName(ExpiryAction a) {
  return a == ExpiryAction::kEscalate ? "escalate" : "reject";
}

std::string ToJsonArray(const std::vector<std::string>& items) {
  boost::json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return boost::json::serialize(a);
}

std::vector<std::string> FromJsonArray(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

constexpr std::string_view kTaskColumns =
    "task_id, subject_type, subject_id, title, changes_json, quorum, requested_by, rule, "
    "expires_at, on_expiry, escalate_to_json, escalation_window, escalations, state, created_at, "
    "updated_at, excluded_roles_json";

Result<ApprovalTask> TaskFromRow(store::Txn& txn, const TenantId& tenant, const sql::Row& row) {
  ApprovalTask t;
  t.tenant = tenant;
  t.id = row.Text(0);
  t.request.subject_type = row.Text(1);
  t.request.subject_id = row.Text(2);
  t.request.title = row.Text(3);
  t.request.changes_json = row.Text(4);
  t.request.quorum = static_cast<int>(row.Int(5));
  t.request.requested_by = row.Text(6);
  t.request.rule = row.Text(7);
  if (auto e = row.OptionalInt(8)) t.request.expires_at = FromMicros(*e);
  t.request.on_expiry = row.Text(9) == "escalate" ? ExpiryAction::kEscalate : ExpiryAction::kReject;
  t.request.escalate_to_roles = FromJsonArray(row.Text(10));
  t.request.escalation_window = std::chrono::microseconds(row.Int(11));
  t.escalations = static_cast<int>(row.Int(12));
  GOVFLOW_ASSIGN_OR_RETURN(t.state, ParseState(row.Text(13)));
  t.created_at = FromMicros(row.Int(14));
  t.updated_at = FromMicros(row.Int(15));
  t.request.excluded_roles = FromJsonArray(row.Text(16));

  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows roles,
      txn.sql().Query("SELECT role FROM approval_task_roles WHERE tenant_id = ? AND task_id = ? "
                      "ORDER BY role",
                      {tenant.value(), t.id}));
  for (const auto& r : roles) t.request.required_roles.push_back(r.Text(0));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows decisions,
      txn.sql().Query("SELECT actor, approve, comment, at, on_behalf_of FROM approval_decisions "
                      "WHERE tenant_id = ? AND task_id = ? ORDER BY seq",
                      {tenant.value(), t.id}));
  for (const auto& d : decisions) {
    t.decisions.push_back(ApprovalDecision{.actor = d.Text(0),
                                           .approve = d.Int(1) != 0,
                                           .comment = d.Text(2),
                                           .at = FromMicros(d.Int(3)),
                                           .on_behalf_of = d.Text(4)});
  }
  return t;
}

Result<ApprovalTask> LoadTask(store::Txn& txn, const TenantId& tenant, std::string_view id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT " + std::string(kTaskColumns) +
                          " FROM approval_tasks WHERE tenant_id = ? AND task_id = ?",
                      {tenant.value(), std::string(id)}));
  if (rows.empty()) return NotFound("no approval task " + std::string(id));
  return TaskFromRow(txn, tenant, rows[0]);
}

Result<std::optional<ApprovalTask>> LoadPendingForSubject(store::Txn& txn, const TenantId& tenant,
                                                          std::string_view subject_type,
                                                          std::string_view subject_id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT " + std::string(kTaskColumns) +
                          " FROM approval_tasks WHERE tenant_id = ? AND subject_type = ? AND "
                          "subject_id = ? AND state = 'pending'",
                      {tenant.value(), std::string(subject_type), std::string(subject_id)}));
  if (rows.empty()) return std::optional<ApprovalTask>();
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask t, TaskFromRow(txn, tenant, rows[0]));
  return std::optional<ApprovalTask>(std::move(t));
}

// Takes the task's row lock (PostgreSQL; SQLite writers are already serialised) by bumping its
// version, but only while it is pending. Returns false when the task is not pending (or absent).
Result<bool> LockPending(store::Txn& txn, const TenantId& tenant, std::string_view id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t n, txn.sql().Execute("UPDATE approval_tasks SET version = version + 1, "
                                   "updated_at = ? WHERE tenant_id = ? AND task_id = ? AND "
                                   "state = 'pending'",
                                   {Micros(txn.Now()), tenant.value(), std::string(id)}));
  return n > 0;
}

Status NotPendingError(store::Txn& txn, const TenantId& tenant, std::string_view id) {
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask t, LoadTask(txn, tenant, id));
  return FailedPrecondition("approval task " + t.id + " is " +
                            std::string(ApprovalStateName(t.state)) +
                            "; decisions on it are final");
}

Status SetState(store::Txn& txn, const TenantId& tenant, std::string_view id, ApprovalState s) {
  return txn.sql()
      .Execute(
          "UPDATE approval_tasks SET state = ?, updated_at = ? WHERE tenant_id = ? AND "
          "task_id = ?",
          {std::string(ApprovalStateName(s)), Micros(txn.Now()), tenant.value(), std::string(id)})
      .status();
}

boost::json::object TaskFacts(const ApprovalTask& t) {
  boost::json::object o;
  o["subject_type"] = t.request.subject_type;
  o["subject_id"] = t.request.subject_id;
  o["state"] = ApprovalStateName(t.state);
  o["quorum"] = t.request.quorum;
  o["approvals"] = t.approvals();
  boost::json::array roles;
  for (const auto& r : t.request.required_roles) roles.emplace_back(r);
  o["required_roles"] = std::move(roles);
  return o;
}

Status Audit(store::Txn& txn, const TenantId& tenant, std::string actor, std::string action,
             const ApprovalTask& t, std::string reason, const boost::json::object& details) {
  AuditRecord r;
  r.actor = std::move(actor);
  r.action = std::move(action);
  r.object_type = "approval_task";
  r.object_id = t.id;
  r.reason = std::move(reason);
  r.details_json = boost::json::serialize(details);
  return AppendAudit(txn, tenant, r).status();
}

// A final workflow_step task wakes its run ("<run_id>/<step>") so the approve step resumes. A
// run that no longer exists (purged by retention) has nothing to resume: the decision stands
// and is audited all the same, rather than leaving the task undecidable forever.
Status WakeSubjectRun(store::Txn& txn, const ApprovalTask& t) {
  if (t.request.subject_type != kSubjectWorkflowStep || !IsFinal(t.state)) return Status::Ok();
  const std::string& sid = t.request.subject_id;
  const std::string run = sid.substr(0, sid.find('/'));
  Result<bool> woken = txn.WakeRun(t.tenant, RunId(run));
  if (!woken.ok() && woken.status().code() == StatusCode::kNotFound) return Status::Ok();
  return woken.status();
}

Result<std::vector<ApprovalDelegation>> QueryDelegations(store::Txn& txn, const TenantId& tenant,
                                                         const std::string& where,
                                                         sql::Params params) {
  sql::Params all{tenant.value()};
  for (auto& p : params) all.push_back(std::move(p));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT delegation_id, from_actor, to_actor, roles_json, starts_at, ends_at, "
                      "reason, created_by, created_at, revoked_at FROM approval_delegations "
                      "WHERE tenant_id = ? " +
                          where + " ORDER BY created_at, delegation_id",
                      all));
  std::vector<ApprovalDelegation> out;
  for (const auto& r : rows) {
    ApprovalDelegation d;
    d.tenant = tenant;
    d.id = r.Text(0);
    d.from_actor = r.Text(1);
    d.to_actor = r.Text(2);
    d.roles = FromJsonArray(r.Text(3));
    d.starts_at = FromMicros(r.Int(4));
    d.ends_at = FromMicros(r.Int(5));
    d.reason = r.Text(6);
    d.created_by = r.Text(7);
    d.created_at = FromMicros(r.Int(8));
    if (auto rv = r.OptionalInt(9)) d.revoked_at = FromMicros(*rv);
    out.push_back(std::move(d));
  }
  return out;
}

// Delegations lent to `person` that are active at `now`.
Result<std::vector<ApprovalDelegation>> ActiveDelegationsTo(store::Txn& txn, const TenantId& tenant,
                                                            const std::string& person,
                                                            TimePoint now) {
  return QueryDelegations(
      txn, tenant, "AND to_actor = ? AND revoked_at IS NULL AND starts_at <= ? AND ends_at > ?",
      {person, Micros(now), Micros(now)});
}

bool Intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  }
  return false;
}

// The authority under which `scope`'s actor may decide `t` now: "" for its own roles, the
// delegator's person for a delegated decision; kPermissionDenied with the reason otherwise.
Result<std::string> AuthorityToDecide(store::Txn& txn, const TenantScope& scope,
                                      const ApprovalTask& t, TimePoint now) {
  const std::string person = ApprovalPersonOf(scope.actor());
  if (scope.actor().is_system()) {
    return PermissionDenied("approvals are decided by people, not by " + scope.actor().id);
  }
  if (person == t.request.requested_by) {
    return PermissionDenied(person + " requested approval task " + t.id +
                            " and may not decide it (segregation of duties)");
  }
  std::set<std::string> decided;
  for (const auto& d : t.decisions) {
    decided.insert(d.actor);
    if (!d.on_behalf_of.empty()) decided.insert(d.on_behalf_of);
  }
  if (decided.contains(person)) {
    return PermissionDenied(person + " already decided approval task " + t.id +
                            " (each person counts once)");
  }
  for (const auto& role : t.request.excluded_roles) {
    if (scope.HasRole(role)) {
      return PermissionDenied(person + " holds role " + role +
                              ", which may not decide approval task " + t.id +
                              " (segregation of duties)");
    }
  }
  for (const auto& role : t.request.required_roles) {
    if (scope.HasRole(role)) return std::string();
  }
  GOVFLOW_ASSIGN_OR_RETURN(auto delegations, ActiveDelegationsTo(txn, scope.tenant(), person, now));
  for (const auto& d : delegations) {
    if (d.from_actor == t.request.requested_by || d.from_actor == person) continue;
    if (decided.contains(d.from_actor)) continue;
    if (Intersects(d.roles, t.request.required_roles)) return d.from_actor;
  }
  std::string roles;
  for (const auto& r : t.request.required_roles) roles += (roles.empty() ? "" : ", ") + r;
  return PermissionDenied(person + " holds none of the roles that decide approval task " + t.id +
                          " (" + roles + "), directly or by delegation");
}

std::chrono::microseconds EscalationWindow(const ApprovalTask& t) {
  if (t.request.escalation_window.count() > 0) return t.request.escalation_window;
  if (t.request.expires_at) {
    auto w =
        std::chrono::duration_cast<std::chrono::microseconds>(*t.request.expires_at - t.created_at);
    if (w.count() > 0) return w;
  }
  return std::chrono::hours(24);
}

// Expires or escalates one task if it is still pending and due at `now`. Returns whether it
// changed anything.
Result<bool> ExpireOne(store::Txn& txn, const TenantId& tenant, const std::string& id,
                       TimePoint now) {
  GOVFLOW_ASSIGN_OR_RETURN(bool locked, LockPending(txn, tenant, id));
  if (!locked) return false;
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask t, LoadTask(txn, tenant, id));
  if (!t.request.expires_at || *t.request.expires_at > now) return false;
  const std::string actor = "system:approvals";
  if (t.request.on_expiry == ExpiryAction::kEscalate && t.escalations == 0) {
    const TimePoint new_expiry = now + EscalationWindow(t);
    for (const auto& role : SortedUnique(t.request.escalate_to_roles)) {
      if (std::find(t.request.required_roles.begin(), t.request.required_roles.end(), role) !=
          t.request.required_roles.end()) {
        continue;
      }
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute(
                  "INSERT INTO approval_task_roles (tenant_id, task_id, role) VALUES (?, ?, ?)",
                  {tenant.value(), id, role})
              .status());
    }
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("UPDATE approval_tasks SET expires_at = ?, escalations = escalations + 1, "
                     "updated_at = ? WHERE tenant_id = ? AND task_id = ?",
                     {Micros(new_expiry), Micros(txn.Now()), tenant.value(), id})
            .status());
    GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask after, LoadTask(txn, tenant, id));
    boost::json::object details = TaskFacts(after);
    boost::json::array added;
    for (const auto& r : t.request.escalate_to_roles) added.emplace_back(r);
    details["escalated_to"] = std::move(added);
    details["expired_at"] = Micros(*t.request.expires_at);
    details["new_expires_at"] = Micros(new_expiry);
    GOVFLOW_RETURN_IF_ERROR(Audit(txn, tenant, actor, "approval.escalate", after,
                                  "no decision before expiry; escalated as the policy says",
                                  details));
    return true;
  }
  GOVFLOW_RETURN_IF_ERROR(SetState(txn, tenant, id, ApprovalState::kExpired));
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask after, LoadTask(txn, tenant, id));
  boost::json::object details = TaskFacts(after);
  details["expired_at"] = Micros(*t.request.expires_at);
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, tenant, actor, "approval.expire", after,
                                "no decision before expiry; rejected as the policy says", details));
  GOVFLOW_RETURN_IF_ERROR(WakeSubjectRun(txn, after));
  return true;
}

}  // namespace

std::string_view ApprovalStateName(ApprovalState state) {
  switch (state) {
    case ApprovalState::kPending:
      return "pending";
    case ApprovalState::kApproved:
      return "approved";
    case ApprovalState::kRejected:
      return "rejected";
    case ApprovalState::kExpired:
      return "expired";
    case ApprovalState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

int ApprovalTask::approvals() const {
  // Each stored decision is by a distinct person (DecideApproval enforces it).
  return static_cast<int>(
      std::count_if(decisions.begin(), decisions.end(), [](const auto& d) { return d.approve; }));
}

std::string ApprovalPersonOf(const Actor& actor) {
  if (actor.is_system() || actor.user_id.empty()) return actor.id;
  return "user:" + actor.user_id;
}

Result<ApprovalTask> RequestApproval(store::Txn& txn, const TenantScope& scope,
                                     const ApprovalRequest& request) {
  if (!scope.actor().is_system()) GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRequest));
  ApprovalRequest req = request;
  if (req.requested_by.empty() || req.requested_by == scope.actor().id) {
    req.requested_by = ApprovalPersonOf(scope.actor());
  }
  if (req.subject_type.empty() || req.subject_id.empty()) {
    return InvalidArgument("an approval request needs a subject_type and a subject_id");
  }
  req.required_roles = SortedUnique(req.required_roles);
  std::erase(req.required_roles, std::string());
  if (req.required_roles.empty()) {
    return InvalidArgument("an approval request needs at least one role that may decide it");
  }
  if (req.quorum < 1) return InvalidArgument("an approval request's quorum must be at least 1");
  if (req.changes_json.empty()) req.changes_json = "{}";
  boost::system::error_code ec;
  boost::json::value changes = boost::json::parse(req.changes_json, ec);
  if (ec || !changes.is_object()) {
    return InvalidArgument("an approval request's changes must be a JSON object");
  }
  const TimePoint now = txn.Now();
  if (req.expires_at && *req.expires_at <= now) {
    return InvalidArgument("an approval request's expiry must be in the future");
  }
  req.escalate_to_roles = SortedUnique(req.escalate_to_roles);
  std::erase(req.escalate_to_roles, std::string());
  if (req.on_expiry == ExpiryAction::kEscalate && req.escalate_to_roles.empty()) {
    return InvalidArgument("an approval request that escalates on expiry needs escalate_to roles");
  }
  req.excluded_roles = SortedUnique(req.excluded_roles);
  std::erase(req.excluded_roles, std::string());
  for (const auto& role : req.excluded_roles) {
    if (std::find(req.required_roles.begin(), req.required_roles.end(), role) !=
        req.required_roles.end()) {
      return InvalidArgument("role " + role + " cannot both decide and be excluded from deciding");
    }
  }
  if (req.escalation_window.count() < 0) {
    return InvalidArgument("an approval request's escalation window must not be negative");
  }

  GOVFLOW_ASSIGN_OR_RETURN(
      auto pending, LoadPendingForSubject(txn, scope.tenant(), req.subject_type, req.subject_id));
  if (pending) return std::move(*pending);

  const std::string id = NewUniqueId("apr_");
  GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("approval_request"));
  Result<int64_t> inserted = txn.sql().Execute(
      "INSERT INTO approval_tasks (tenant_id, task_id, subject_type, subject_id, title, "
      "changes_json, quorum, requested_by, rule, expires_at, on_expiry, escalate_to_json, "
      "escalation_window, escalations, state, version, created_at, updated_at, "
      "excluded_roles_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending', 1, ?, ?, "
      "?)",
      {scope.tenant().value(), id, req.subject_type, req.subject_id, req.title, req.changes_json,
       static_cast<int64_t>(req.quorum), req.requested_by, req.rule,
       req.expires_at ? sql::Value(Micros(*req.expires_at)) : sql::Value(nullptr),
       std::string(ExpiryActionName(req.on_expiry)), ToJsonArray(req.escalate_to_roles),
       static_cast<int64_t>(req.escalation_window.count()), Micros(now), Micros(now),
       ToJsonArray(req.excluded_roles)});
  if (!inserted.ok()) {
    if (inserted.status().code() != StatusCode::kAlreadyExists) return inserted.status();
    // A concurrent request for the same subject won: return its task.
    GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("approval_request"));
    GOVFLOW_ASSIGN_OR_RETURN(
        auto winner, LoadPendingForSubject(txn, scope.tenant(), req.subject_type, req.subject_id));
    if (!winner) return inserted.status();
    return std::move(*winner);
  }
  GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("approval_request"));
  for (const auto& role : req.required_roles) {
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("INSERT INTO approval_task_roles (tenant_id, task_id, role) VALUES (?, ?, ?)",
                     {scope.tenant().value(), id, role})
            .status());
  }
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask task, LoadTask(txn, scope.tenant(), id));
  boost::json::object details = TaskFacts(task);
  details["requested_by"] = req.requested_by;
  details["rule"] = req.rule;
  details["on_expiry"] = ExpiryActionName(req.on_expiry);
  if (req.expires_at) details["expires_at"] = Micros(*req.expires_at);
  AuditRecord r;
  r.actor = scope.actor().id;
  r.action = "approval.request";
  r.object_type = "approval_task";
  r.object_id = id;
  r.reason = req.title;
  // The change itself may carry business data: the trail holds its digest only.
  r.after_digest = Sha256Hex(CanonicalJson(changes));
  r.details_json = boost::json::serialize(details);
  GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, scope.tenant(), r).status());
  return task;
}

Result<ApprovalTask> GetApproval(store::Txn& txn, const TenantScope& scope, std::string_view id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRead));
  return LoadTask(txn, scope.tenant(), id);
}

Result<ApprovalTask> FindApprovalForSubject(store::Txn& txn, const TenantScope& scope,
                                            std::string_view subject_type,
                                            std::string_view subject_id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRead));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query(
          "SELECT " + std::string(kTaskColumns) +
              " FROM approval_tasks WHERE tenant_id = ? AND subject_type = ? AND "
              "subject_id = ? ORDER BY created_at DESC, task_id DESC LIMIT 1",
          {scope.tenant().value(), std::string(subject_type), std::string(subject_id)}));
  if (rows.empty()) {
    return NotFound("no approval task for " + std::string(subject_type) + " " +
                    std::string(subject_id));
  }
  return TaskFromRow(txn, scope.tenant(), rows[0]);
}

Result<ApprovalTask> DecideApproval(store::Txn& txn, const TenantScope& scope, std::string_view id,
                                    bool approve, std::string_view comment) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsDecide));
  if (IsBlank(comment)) return InvalidArgument("a decision needs a comment saying why");
  GOVFLOW_ASSIGN_OR_RETURN(bool locked, LockPending(txn, scope.tenant(), id));
  if (!locked) return NotPendingError(txn, scope.tenant(), id);
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask task, LoadTask(txn, scope.tenant(), id));
  const TimePoint now = txn.Now();
  if (task.request.expires_at && *task.request.expires_at <= now) {
    return FailedPrecondition("approval task " + task.id +
                              " is past its expiry; it takes no more decisions");
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::string on_behalf_of, AuthorityToDecide(txn, scope, task, now));
  const std::string person = ApprovalPersonOf(scope.actor());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO approval_decisions (tenant_id, task_id, seq, actor, on_behalf_of, "
                   "approve, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {scope.tenant().value(), task.id,
                    static_cast<int64_t>(task.decisions.size() + 1), person, on_behalf_of,
                    static_cast<int64_t>(approve ? 1 : 0), std::string(comment), Micros(now)})
          .status());
  task.decisions.push_back(ApprovalDecision{.actor = person,
                                            .approve = approve,
                                            .comment = std::string(comment),
                                            .at = now,
                                            .on_behalf_of = on_behalf_of});
  if (!approve) {
    task.state = ApprovalState::kRejected;
  } else if (task.approvals() >= task.request.quorum) {
    task.state = ApprovalState::kApproved;
  }
  if (task.state != ApprovalState::kPending) {
    GOVFLOW_RETURN_IF_ERROR(SetState(txn, scope.tenant(), task.id, task.state));
  }
  boost::json::object details = TaskFacts(task);
  details["decision"] = approve ? "approve" : "reject";
  if (!on_behalf_of.empty()) details["on_behalf_of"] = on_behalf_of;
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, scope.tenant(), scope.actor().id,
                                approve ? "approval.approve" : "approval.reject", task,
                                std::string(comment), details));
  GOVFLOW_RETURN_IF_ERROR(WakeSubjectRun(txn, task));
  return LoadTask(txn, scope.tenant(), task.id);
}

Result<ApprovalTask> CancelApproval(store::Txn& txn, const TenantScope& scope, std::string_view id,
                                    std::string_view reason) {
  GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask task, LoadTask(txn, scope.tenant(), id));
  if (!scope.actor().is_system() && ApprovalPersonOf(scope.actor()) != task.request.requested_by) {
    return PermissionDenied("only the requester may withdraw approval task " + task.id);
  }
  GOVFLOW_ASSIGN_OR_RETURN(bool locked, LockPending(txn, scope.tenant(), id));
  if (!locked) return NotPendingError(txn, scope.tenant(), id);
  GOVFLOW_RETURN_IF_ERROR(SetState(txn, scope.tenant(), id, ApprovalState::kCancelled));
  GOVFLOW_ASSIGN_OR_RETURN(task, LoadTask(txn, scope.tenant(), id));
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, scope.tenant(), scope.actor().id, "approval.cancel", task,
                                std::string(reason), TaskFacts(task)));
  GOVFLOW_RETURN_IF_ERROR(WakeSubjectRun(txn, task));
  return task;
}

Result<int> ExpireApprovals(store::Store& store, const Clock& clock) {
  int changed = 0;
  // Each round takes the due tasks, then handles each in its own transaction, so one tenant's
  // failure does not hold back the others' expiries and a decision racing the sweep is safe (the
  // per-task lock re-checks the state and the expiry).
  for (int round = 0; round < 1000; ++round) {
    const TimePoint now = clock.Now();
    std::vector<std::pair<TenantId, std::string>> due;
    {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
      GOVFLOW_ASSIGN_OR_RETURN(
          sql::Rows rows,
          txn.sql().Query("SELECT tenant_id, task_id FROM approval_tasks WHERE state = 'pending' "
                          "AND expires_at IS NOT NULL AND expires_at <= ? "
                          "ORDER BY expires_at, tenant_id, task_id LIMIT ?",
                          {Micros(now), static_cast<int64_t>(kExpiryBatch)}));
      for (const auto& r : rows) due.emplace_back(TenantId(r.Text(0)), r.Text(1));
      GOVFLOW_RETURN_IF_ERROR(txn.Rollback());
    }
    int changed_this_round = 0;
    Status first_error;
    for (const auto& entry : due) {
      // Named copies: lambdas may not capture structured bindings before C++20 (clang).
      const TenantId& tenant = entry.first;
      const std::string& id = entry.second;
      bool did = false;
      Status st = store.Transact([&](store::Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(did, ExpireOne(txn, tenant, id, now));
        return Status::Ok();
      });
      if (!st.ok()) {
        if (first_error.ok()) first_error = st;
        continue;
      }
      if (did) ++changed_this_round;
    }
    changed += changed_this_round;
    if (!first_error.ok()) return first_error;
    if (static_cast<int>(due.size()) < kExpiryBatch || changed_this_round == 0) break;
  }
  return changed;
}

// ---- Inbox ------------------------------------------------------------------------------------

Result<ApprovalPage> ListApprovals(store::Txn& txn, const TenantScope& scope,
                                   const ApprovalFilter& filter, std::string_view cursor) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRead));
  if (filter.limit < 1 || filter.limit > 500) {
    return InvalidArgument("the page size must be between 1 and 500");
  }
  std::string where = "WHERE t.tenant_id = ?";
  sql::Params params{scope.tenant().value()};
  if (!cursor.empty()) {
    const size_t dot = cursor.find('.');
    int64_t created = 0;
    bool ok = dot != std::string_view::npos && dot > 0 && dot + 1 < cursor.size();
    if (ok) {
      for (char c : cursor.substr(0, dot)) {
        if (c < '0' || c > '9') ok = false;
      }
    }
    if (ok) created = std::stoll(std::string(cursor.substr(0, dot)));
    if (!ok) return InvalidArgument("malformed approvals cursor '" + std::string(cursor) + "'");
    where += " AND (t.created_at > ? OR (t.created_at = ? AND t.task_id > ?))";
    params.emplace_back(created);
    params.emplace_back(created);
    params.emplace_back(std::string(cursor.substr(dot + 1)));
  }
  if (filter.state) {
    where += " AND t.state = ?";
    params.emplace_back(std::string(ApprovalStateName(*filter.state)));
  }
  if (!filter.subject_type.empty()) {
    where += " AND t.subject_type = ?";
    params.emplace_back(filter.subject_type);
  }
  if (!filter.role.empty()) {
    where +=
        " AND EXISTS (SELECT 1 FROM approval_task_roles fr WHERE fr.tenant_id = t.tenant_id AND "
        "fr.task_id = t.task_id AND fr.role = ?)";
    params.emplace_back(filter.role);
  }
  const TimePoint now = txn.Now();
  const std::string person = ApprovalPersonOf(scope.actor());
  if (filter.decidable_by_me) {
    std::set<std::string> roles = scope.roles();
    GOVFLOW_ASSIGN_OR_RETURN(auto delegations,
                             ActiveDelegationsTo(txn, scope.tenant(), person, now));
    for (const auto& d : delegations) roles.insert(d.roles.begin(), d.roles.end());
    if (roles.empty() || scope.actor().is_system() || !scope.Has(perm::kApprovalsDecide)) {
      return ApprovalPage{};
    }
    where +=
        " AND t.state = 'pending' AND t.requested_by <> ? AND (t.expires_at IS NULL OR "
        "t.expires_at > ?) AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE "
        "d.tenant_id = t.tenant_id AND d.task_id = t.task_id AND (d.actor = ? OR "
        "d.on_behalf_of = ?)) AND EXISTS (SELECT 1 FROM approval_task_roles r WHERE "
        "r.tenant_id = t.tenant_id AND r.task_id = t.task_id AND r.role IN (";
    params.emplace_back(person);
    params.emplace_back(Micros(now));
    params.emplace_back(person);
    params.emplace_back(person);
    bool first = true;
    for (const auto& role : roles) {
      where += first ? "?" : ", ?";
      first = false;
      params.emplace_back(role);
    }
    where += "))";
  }
  params.emplace_back(static_cast<int64_t>(filter.limit + 1));
  GOVFLOW_ASSIGN_OR_RETURN(sql::Rows rows,
                           txn.sql().Query("SELECT t.task_id, t.created_at FROM approval_tasks t " +
                                               where + " ORDER BY t.created_at, t.task_id LIMIT ?",
                                           params));
  ApprovalPage page;
  const size_t n = std::min(rows.size(), static_cast<size_t>(filter.limit));
  for (size_t i = 0; i < n; ++i) {
    GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask t, LoadTask(txn, scope.tenant(), rows[i].Text(0)));
    // The SQL pre-filter cannot see every rule (e.g. a delegation from the requester lends
    // nothing for the requester's task): the final word is the decision rule itself, so a page
    // may hold fewer than `limit` tasks.
    if (filter.decidable_by_me && !AuthorityToDecide(txn, scope, t, now).ok()) continue;
    page.tasks.push_back(std::move(t));
  }
  if (rows.size() > n) {
    page.next_cursor = std::to_string(rows[n - 1].Int(1)) + "." + rows[n - 1].Text(0);
  }
  return page;
}

// ---- Delegation -------------------------------------------------------------------------------

Result<ApprovalDelegation> DelegateApprovals(store::Txn& txn, const TenantScope& scope,
                                             std::string_view to_actor,
                                             const std::vector<std::string>& roles,
                                             TimePoint starts_at, TimePoint ends_at,
                                             std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsDecide));
  if (scope.actor().is_system()) {
    return PermissionDenied("only people delegate their approval roles");
  }
  const std::string from = ApprovalPersonOf(scope.actor());
  if (!to_actor.starts_with("user:") || to_actor.size() <= 5) {
    return InvalidArgument("a delegate is a person: \"user:<id>\", not '" + std::string(to_actor) +
                           "'");
  }
  if (to_actor == from) return InvalidArgument("a person cannot delegate to themselves");
  if (ends_at <= starts_at) return InvalidArgument("a delegation must end after it starts");
  if (ends_at <= txn.Now()) return InvalidArgument("a delegation must end in the future");
  std::vector<std::string> lent;
  if (roles.empty()) {
    lent.assign(scope.roles().begin(), scope.roles().end());
  } else {
    for (const auto& r : SortedUnique(roles)) {
      if (!scope.HasRole(r)) {
        return PermissionDenied(from + " does not hold role " + r + " and cannot delegate it");
      }
      lent.push_back(r);
    }
  }
  if (lent.empty()) return InvalidArgument(from + " holds no roles to delegate");

  ApprovalDelegation d;
  d.tenant = scope.tenant();
  d.id = NewUniqueId("dlg_");
  d.from_actor = from;
  d.to_actor = std::string(to_actor);
  d.roles = lent;
  d.starts_at = starts_at;
  d.ends_at = ends_at;
  d.reason = std::string(reason);
  d.created_by = scope.actor().id;
  d.created_at = txn.Now();
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO approval_delegations (tenant_id, delegation_id, from_actor, "
                   "to_actor, roles_json, starts_at, ends_at, reason, created_by, created_at, "
                   "revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                   {d.tenant.value(), d.id, d.from_actor, d.to_actor, ToJsonArray(d.roles),
                    Micros(d.starts_at), Micros(d.ends_at), d.reason, d.created_by,
                    Micros(d.created_at)})
          .status());
  boost::json::object details;
  details["from"] = d.from_actor;
  details["to"] = d.to_actor;
  details["roles"] = boost::json::parse(ToJsonArray(d.roles));
  details["starts_at"] = Micros(d.starts_at);
  details["ends_at"] = Micros(d.ends_at);
  AuditRecord r;
  r.actor = scope.actor().id;
  r.action = "approval.delegate";
  r.object_type = "approval_delegation";
  r.object_id = d.id;
  r.reason = d.reason;
  r.details_json = boost::json::serialize(details);
  GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, scope.tenant(), r).status());
  return d;
}

Result<ApprovalDelegation> RevokeDelegation(store::Txn& txn, const TenantScope& scope,
                                            std::string_view id) {
  GOVFLOW_ASSIGN_OR_RETURN(
      auto found,
      QueryDelegations(txn, scope.tenant(), "AND delegation_id = ?", {std::string(id)}));
  if (found.empty()) return NotFound("no approval delegation " + std::string(id));
  ApprovalDelegation d = std::move(found[0]);
  if (ApprovalPersonOf(scope.actor()) != d.from_actor && !scope.Has(perm::kUsersManage)) {
    return PermissionDenied("only the delegator or a user manager may revoke delegation " + d.id);
  }
  if (d.revoked_at) return FailedPrecondition("delegation " + d.id + " is already revoked");
  d.revoked_at = txn.Now();
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("UPDATE approval_delegations SET revoked_at = ? WHERE tenant_id = ? AND "
                   "delegation_id = ?",
                   {Micros(*d.revoked_at), d.tenant.value(), d.id})
          .status());
  boost::json::object details;
  details["from"] = d.from_actor;
  details["to"] = d.to_actor;
  AuditRecord r;
  r.actor = scope.actor().id;
  r.action = "approval.delegation_revoke";
  r.object_type = "approval_delegation";
  r.object_id = d.id;
  r.details_json = boost::json::serialize(details);
  GOVFLOW_RETURN_IF_ERROR(AppendAudit(txn, scope.tenant(), r).status());
  return d;
}

Result<std::vector<ApprovalDelegation>> ListDelegations(store::Txn& txn, const TenantScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRead));
  return QueryDelegations(txn, scope.tenant(), "AND revoked_at IS NULL AND ends_at > ?",
                          {Micros(txn.Now())});
}

}  // namespace govflow::governance
