#include "governance/exceptions/cases.h"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <map>
#include <set>

#include "base/canonical_json.h"
#include "governance/audit.h"

namespace govflow::governance::exceptions {
namespace json = boost::json;
namespace sql = store::sql;
namespace {

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

constexpr std::string_view kColumns =
    "c.tenant_id, c.case_id, c.run_id, c.step, c.error_class, c.message, c.payload_json, "
    "c.state, c.created_at, c.updated_at, g.process, g.category, g.root_cause_key, g.severity, "
    "g.owner_team, g.assignee, g.ack_due_at, g.resolve_due_at, g.acknowledged_at, "
    "g.acknowledged_by, g.closed_at, g.closed_by, g.resolution, g.resolution_reason, "
    "g.order_value_minor, g.currency, g.customer_key, g.policy_note";
constexpr std::string_view kFrom =
    " FROM exception_cases c JOIN exception_governance g ON g.tenant_id = c.tenant_id AND "
    "g.case_id = c.case_id ";
// The next deadline that matters, kNever once closed (so closed cases sort last).
constexpr std::string_view kDueKey =
    "(CASE WHEN c.state = 'resolved' THEN 9223372036854775807 WHEN g.acknowledged_at IS NULL "
    "THEN g.ack_due_at ELSE g.resolve_due_at END)";
// The next deadline of a case known to be unresolved. Must stay the expression of migration
// 0014's inbox indexes: both engines match an expression index by the expression itself.
constexpr std::string_view kOpenDueKey =
    "(CASE WHEN g.acknowledged_at IS NULL THEN g.ack_due_at ELSE g.resolve_due_at END)";

constexpr size_t kMaxTextFilter = 200;

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

// `s` as a literal inside a LIKE pattern that declares a backslash as its escape character.
std::string LikeEscaped(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

store::ExceptionState EngineState(const std::string& s) {
  if (s == "retrying") return store::ExceptionState::kRetrying;
  if (s == "resolved") return store::ExceptionState::kResolved;
  return store::ExceptionState::kOpen;
}

CaseView FromRow(const sql::Row& r, TimePoint now, std::chrono::seconds window) {
  CaseView v;
  v.exception.tenant = TenantId(r.Text(0));
  v.exception.id = ExceptionCaseId(r.Text(1));
  v.exception.run = RunId(r.Text(2));
  v.exception.step = r.Text(3);
  v.exception.error_class = r.Text(4);
  v.exception.message = r.Text(5);
  v.exception.payload_json = r.Text(6);
  v.exception.state = EngineState(r.Text(7));
  v.exception.created_at = FromMicros(r.Int(8));
  v.exception.updated_at = FromMicros(r.Int(9));
  v.process = r.Text(10);
  v.category = r.Text(11);
  v.root_cause_key = r.Text(12);
  v.severity = r.Text(13);
  v.owner_team = r.Text(14);
  v.assignee = r.Text(15);
  v.ack_due_at = FromMicros(r.Int(16));
  v.resolve_due_at = FromMicros(r.Int(17));
  if (auto a = r.OptionalInt(18)) v.acknowledged_at = FromMicros(*a);
  v.acknowledged_by = r.Text(19);
  if (auto c = r.OptionalInt(20)) v.closed_at = FromMicros(*c);
  v.closed_by = r.Text(21);
  v.resolution = r.Text(22);
  v.resolution_reason = r.Text(23);
  v.order_value_minor = r.Int(24);
  v.currency = r.Text(25);
  v.customer_key = r.Text(26);
  v.policy_note = r.Text(27);
  switch (v.exception.state) {
    case store::ExceptionState::kResolved:
      v.state = CaseState::kResolved;
      // Closed by the engine (a retried run that succeeded, or failed again and was superseded).
      if (!v.closed_at) v.closed_at = v.exception.updated_at;
      if (v.resolution.empty()) v.resolution = "retried";
      break;
    case store::ExceptionState::kRetrying:
      v.state = CaseState::kRetrying;
      break;
    case store::ExceptionState::kOpen:
      v.state = v.acknowledged_at ? CaseState::kAcknowledged : CaseState::kOpen;
      break;
  }
  if (v.state == CaseState::kResolved) {
    v.sla_risk = SlaRisk::kMet;
  } else {
    v.next_due_at = v.acknowledged_at ? v.resolve_due_at : v.ack_due_at;
    if (*v.next_due_at <= now)
      v.sla_risk = SlaRisk::kBreached;
    else if (*v.next_due_at <= now + window)
      v.sla_risk = SlaRisk::kAtRisk;
    else
      v.sla_risk = SlaRisk::kOk;
  }
  return v;
}

std::string SortKeyOf(const CaseView& v, CaseSort sort) {
  switch (sort) {
    case CaseSort::kSlaRisk:
      return std::to_string(v.next_due_at ? Micros(*v.next_due_at) : kNever);
    case CaseSort::kBusinessImpact:
      return std::to_string(v.order_value_minor);
    case CaseSort::kOldest:
      return std::to_string(Micros(v.exception.created_at));
  }
  return "0";
}

Status NeedReason(std::string_view reason, std::string_view what) {
  if (reason.empty()) return InvalidArgument(std::string(what) + " needs a reason");
  return Status::Ok();
}

}  // namespace

std::string_view CaseStateName(CaseState state) {
  switch (state) {
    case CaseState::kOpen:
      return "open";
    case CaseState::kAcknowledged:
      return "acknowledged";
    case CaseState::kRetrying:
      return "retrying";
    case CaseState::kResolved:
      return "resolved";
  }
  return "open";
}

std::optional<CaseState> ParseCaseState(std::string_view name) {
  for (CaseState s :
       {CaseState::kOpen, CaseState::kAcknowledged, CaseState::kRetrying, CaseState::kResolved}) {
    if (CaseStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view SlaRiskName(SlaRisk risk) {
  switch (risk) {
    case SlaRisk::kBreached:
      return "breached";
    case SlaRisk::kAtRisk:
      return "at_risk";
    case SlaRisk::kOk:
      return "ok";
    case SlaRisk::kMet:
      return "closed";
  }
  return "ok";
}

std::optional<SlaRisk> ParseSlaRisk(std::string_view name) {
  for (SlaRisk r : {SlaRisk::kBreached, SlaRisk::kAtRisk, SlaRisk::kOk, SlaRisk::kMet}) {
    if (SlaRiskName(r) == name) return r;
  }
  return std::nullopt;
}

Result<CasePage> ListCases(store::Store& store, const TenantScope& scope,
                           const CaseFilter& filter) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsRead));
  if (filter.limit < 1 || filter.limit > 1000) {
    return InvalidArgument("limit must be between 1 and 1000");
  }
  if (filter.text.size() > kMaxTextFilter) {
    return InvalidArgument("text must be at most " + std::to_string(kMaxTextFilter) + " bytes");
  }
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
  const TimePoint now = txn.Now();
  const int64_t now_us = Micros(now);
  // Only unresolved cases can match: the partial inbox indexes of migration 0014 apply (their
  // predicate is repeated word for word so that both planners see it).
  const bool open_only = filter.unresolved_only ||
                         (filter.state && *filter.state != CaseState::kResolved) ||
                         (filter.sla_risk && *filter.sla_risk != SlaRisk::kMet);
  const std::string due = std::string(open_only ? kOpenDueKey : kDueKey);
  std::string where = " WHERE g.tenant_id = ? AND c.tenant_id = ?";
  sql::Params params{scope.tenant().value(), scope.tenant().value()};
  if (open_only) where += " AND g.closed_at IS NULL AND c.state <> 'resolved'";
  if (!filter.team.empty()) {
    where += " AND g.owner_team = ?";
    params.push_back(filter.team);
  }
  if (!filter.severity.empty()) {
    where += " AND g.severity = ?";
    params.push_back(filter.severity);
  }
  if (!filter.assignee.empty()) {
    where += " AND g.assignee = ?";
    params.push_back(filter.assignee);
  }
  if (!filter.root_cause_key.empty()) {
    where += " AND g.root_cause_key = ?";
    params.push_back(filter.root_cause_key);
  }
  if (filter.state) {
    switch (*filter.state) {
      case CaseState::kOpen:
        where += " AND c.state = 'open' AND g.acknowledged_at IS NULL";
        break;
      case CaseState::kAcknowledged:
        where += " AND c.state = 'open' AND g.acknowledged_at IS NOT NULL";
        break;
      case CaseState::kRetrying:
        where += " AND c.state = 'retrying'";
        break;
      case CaseState::kResolved:
        where += " AND c.state = 'resolved'";
        break;
    }
  }
  if (filter.sla_risk) {
    const int64_t horizon = now_us + std::chrono::microseconds(filter.at_risk_window).count();
    switch (*filter.sla_risk) {
      case SlaRisk::kBreached:
        where += " AND " + due + " <= ?";
        params.push_back(now_us);
        break;
      case SlaRisk::kAtRisk:
        where += " AND " + due + " > ? AND " + due + " <= ?";
        params.push_back(now_us);
        params.push_back(horizon);
        break;
      case SlaRisk::kOk:
        where += " AND " + due + " > ?";
        params.push_back(horizon);
        break;
      case SlaRisk::kMet:
        where += " AND c.state = 'resolved'";
        break;
    }
  }
  if (!filter.text.empty()) {
    // SQLite's LIKE ignores ASCII case by itself; PostgreSQL's needs both sides lowered.
    const bool lower = txn.sql().dialect() == sql::Dialect::kPostgres;
    const std::string pattern =
        "%" + LikeEscaped(lower ? AsciiLower(filter.text) : filter.text) + "%";
    where += " AND (";
    const char* const columns[] = {"c.message", "g.root_cause_key", "g.customer_key", "c.case_id",
                                   "c.run_id"};
    for (size_t i = 0; i < std::size(columns); ++i) {
      if (i > 0) where += " OR ";
      const std::string column = columns[i];
      where += (lower ? "LOWER(" + column + ")" : column) + " LIKE ? ESCAPE '\\'";
      params.push_back(pattern);
    }
    // An order number, order id or ERP document number: the run's business keys (run_keys,
    // migration 0013), matched exactly through their index.
    if (const std::string key = store::NormalizeBusinessKey(filter.text); !key.empty()) {
      where +=
          " OR c.run_id IN (SELECT k.run_id FROM run_keys k WHERE k.tenant_id = ? AND "
          "k.search_key = ?)";
      params.push_back(scope.tenant().value());
      params.push_back(key);
    }
    where += ")";
  }

  CasePage page;
  if (filter.count_limit > 0) {
    // Bounded: the subquery stops after count_limit + 1 rows of the filter's index.
    sql::Params count_params = params;
    count_params.push_back(filter.count_limit + 1);
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows n, txn.sql().Query("SELECT COUNT(*) FROM (SELECT 1" + std::string(kFrom) + where +
                                         " LIMIT ?) matching",
                                     count_params));
    const int64_t matching = n.empty() ? 0 : n[0].Int(0);
    page.total = std::min(matching, filter.count_limit);
    page.total_capped = matching > filter.count_limit;
  }

  // The sort key and the tie-break column of the index that serves it; business impact sorts
  // by the negated value so that key and tie-break ascend together (keyset on one direction).
  std::string key_expr, id_col = "g.case_id";
  bool negate = false;
  switch (filter.sort) {
    case CaseSort::kSlaRisk:
      key_expr = due;
      break;
    case CaseSort::kBusinessImpact:
      key_expr = "(-g.order_value_minor)";
      negate = true;
      break;
    case CaseSort::kOldest:
      key_expr = "c.created_at";
      id_col = "c.case_id";
      break;
  }
  if (!filter.cursor.empty()) {
    size_t colon = filter.cursor.find(':');
    if (colon == std::string::npos) return InvalidArgument("malformed cursor");
    int64_t key = 0;
    try {
      size_t used = 0;
      key = std::stoll(filter.cursor.substr(0, colon), &used);
      if (used != colon) return InvalidArgument("malformed cursor");
    } catch (const std::exception&) {
      return InvalidArgument("malformed cursor");
    }
    if (negate) key = -key;
    std::string id = filter.cursor.substr(colon + 1);
    // key >= ? bounds the index range; the OR only filters the first key's ties.
    where += " AND " + key_expr + " >= ? AND (" + key_expr + " > ? OR " + id_col + " > ?)";
    params.push_back(key);
    params.push_back(key);
    params.push_back(id);
  }
  params.push_back(static_cast<int64_t>(filter.limit + 1));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT " + std::string(kColumns) + std::string(kFrom) + where +
                          " ORDER BY " + key_expr + ", " + id_col + " LIMIT ?",
                      params));
  for (const sql::Row& r : rows) {
    if (static_cast<int>(page.cases.size()) == filter.limit) {
      const CaseView& last = page.cases.back();
      page.next_cursor = SortKeyOf(last, filter.sort) + ":" + last.exception.id.value();
      break;
    }
    page.cases.push_back(FromRow(r, now, filter.at_risk_window));
  }
  return page;
}

Result<CaseView> LoadCase(store::Txn& txn, const TenantScope& scope, const ExceptionCaseId& id) {
  GOVFLOW_ASSIGN_OR_RETURN(sql::Rows rows,
                           txn.sql().Query("SELECT " + std::string(kColumns) + std::string(kFrom) +
                                               "WHERE c.tenant_id = ? AND c.case_id = ?",
                                           {scope.tenant().value(), id.value()}));
  if (rows.empty()) return NotFound("no exception case " + id.value());
  return FromRow(rows[0], txn.Now(), std::chrono::minutes(30));
}

Result<CaseView> GetCase(store::Store& store, const TenantScope& scope, const ExceptionCaseId& id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsRead));
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
  return LoadCase(txn, scope, id);
}

Result<std::vector<GroupView>> ListGroups(store::Store& store, const TenantScope& scope,
                                          const GroupFilter& filter) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsRead));
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
  std::string where = "WHERE c.tenant_id = ?";
  sql::Params params{scope.tenant().value()};
  if (filter.unresolved_only) where += " AND g.closed_at IS NULL AND c.state <> 'resolved'";
  if (!filter.team.empty()) {
    where += " AND g.owner_team = ?";
    params.push_back(filter.team);
  }
  // Two passes over the matching cases (the inbox index in root-cause order): the figures per
  // (root cause, team, currency), merged here, and the distinct customers per root cause.
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query(
          "SELECT g.root_cause_key, g.owner_team, g.currency, MIN(g.category), MIN(g.severity), "
          "COUNT(*), SUM(CASE WHEN c.state <> 'resolved' THEN 1 ELSE 0 END), "
          "MIN(c.created_at), MAX(c.created_at), MIN(" +
              std::string(kDueKey) + "), SUM(g.order_value_minor)" + std::string(kFrom) + where +
              " GROUP BY g.root_cause_key, g.owner_team, g.currency",
          params));
  std::map<std::string, GroupView> groups;
  std::map<std::string, std::map<std::string, int64_t>> money;  // key -> currency -> sum
  for (const sql::Row& r : rows) {
    auto [it, first] = groups.try_emplace(r.Text(0));
    GroupView& g = it->second;
    if (first) {
      g.root_cause_key = r.Text(0);
      g.category = r.Text(3);
      g.highest_severity = r.Text(4);
      g.first_seen = FromMicros(r.Int(7));
      g.last_seen = FromMicros(r.Int(8));
    } else {
      g.category = std::min(g.category, r.Text(3));
      g.highest_severity = std::min(g.highest_severity, r.Text(4));
      g.first_seen = std::min(g.first_seen, FromMicros(r.Int(7)));
      g.last_seen = std::max(g.last_seen, FromMicros(r.Int(8)));
    }
    g.members += r.Int(5);
    g.unresolved += r.Int(6);
    if (r.Int(9) != kNever) {
      const TimePoint due = FromMicros(r.Int(9));
      if (!g.next_due_at || due < *g.next_due_at) g.next_due_at = due;
    }
    if (g.teams.empty() || g.teams.back() != r.Text(1)) {
      if (std::find(g.teams.begin(), g.teams.end(), r.Text(1)) == g.teams.end()) {
        g.teams.push_back(r.Text(1));
      }
    }
    money[g.root_cause_key][r.Text(2)] += r.Int(10);
  }
  for (auto& [key, g] : groups) {
    std::sort(g.teams.begin(), g.teams.end());
    for (const auto& [currency, value] : money[key]) {
      if (value != 0) g.order_value.push_back({currency, value});
    }
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows customers,
      txn.sql().Query("SELECT g.root_cause_key, COUNT(DISTINCT NULLIF(g.customer_key, ''))" +
                          std::string(kFrom) + where + " GROUP BY g.root_cause_key",
                      params));
  for (const sql::Row& r : customers) {
    auto it = groups.find(r.Text(0));
    if (it != groups.end()) it->second.customers = r.Int(1);
  }
  std::vector<GroupView> out;
  for (auto& [k, g] : groups) out.push_back(std::move(g));
  auto total = [](const GroupView& g) {
    int64_t t = 0;
    for (const MoneyTotal& m : g.order_value) t += m.value_minor;
    return t;
  };
  std::sort(out.begin(), out.end(), [&](const GroupView& a, const GroupView& b) {
    if (a.unresolved != b.unresolved) return a.unresolved > b.unresolved;
    if (total(a) != total(b)) return total(a) > total(b);
    return a.root_cause_key < b.root_cause_key;
  });
  if (static_cast<int>(out.size()) > filter.limit) out.resize(static_cast<size_t>(filter.limit));
  return out;
}

Result<std::vector<ExceptionCaseId>> GroupMembers(store::Store& store, const TenantScope& scope,
                                                  std::string_view root_cause_key,
                                                  bool unresolved_only) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsRead));
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query(
          "SELECT c.case_id" + std::string(kFrom) +
              "WHERE c.tenant_id = ? AND g.root_cause_key = ?" +
              (unresolved_only ? " AND g.closed_at IS NULL AND c.state <> 'resolved'" : "") +
              " ORDER BY c.created_at, c.case_id",
          {scope.tenant().value(), std::string(root_cause_key)}));
  std::vector<ExceptionCaseId> ids;
  for (const sql::Row& r : rows) ids.emplace_back(r.Text(0));
  return ids;
}

Result<BulkOutcome> ForEachCase(store::Txn& txn, const std::vector<ExceptionCaseId>& ids,
                                const std::function<Status(const ExceptionCaseId&)>& action) {
  BulkOutcome out;
  if (ids.size() == 1) {
    GOVFLOW_RETURN_IF_ERROR(action(ids[0]));
    out.done.push_back(ids[0]);
    return out;
  }
  for (const ExceptionCaseId& id : ids) {
    GOVFLOW_RETURN_IF_ERROR(txn.sql().Savepoint("exception_case"));
    Status st = action(id);
    if (st.ok()) {
      GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("exception_case"));
      out.done.push_back(id);
    } else {
      if (st.code() == StatusCode::kAborted || st.code() == StatusCode::kUnavailable ||
          st.code() == StatusCode::kInternal) {
        return st;  // the store failed: the whole bulk action is retried or fails
      }
      GOVFLOW_RETURN_IF_ERROR(txn.sql().RollbackToSavepoint("exception_case"));
      GOVFLOW_RETURN_IF_ERROR(txn.sql().ReleaseSavepoint("exception_case"));
      out.skipped.emplace_back(id, st);
    }
  }
  return out;
}

Status AuditCaseAction(store::Txn& txn, const TenantScope& scope, const CaseView& c,
                       std::string_view verb, std::string_view reason,
                       std::string_view details_json, std::string_view before_digest,
                       std::string_view after_digest) {
  json::object details;
  if (!details_json.empty()) {
    boost::system::error_code ec;
    json::value v = json::parse(details_json, ec);
    if (ec || !v.is_object()) return InvalidArgument("audit details must be a JSON object");
    details = v.as_object();
  }
  details["run"] = c.exception.run.value();
  details["root_cause"] = c.root_cause_key;
  details["team"] = c.owner_team;
  details["severity"] = c.severity;
  AuditRecord record;
  record.actor = scope.actor().id;
  record.action = "exception." + std::string(verb);
  record.object_type = "exception_case";
  record.object_id = c.exception.id.value();
  record.reason = std::string(reason);
  record.before_digest = std::string(before_digest);
  record.after_digest = std::string(after_digest);
  record.details_json = json::serialize(details);
  return AppendAudit(txn, scope.tenant(), record).status();
}

Status MarkAcknowledged(store::Txn& txn, const TenantScope& scope, const CaseView& c) {
  if (c.acknowledged_at) return Status::Ok();
  const int64_t now = Micros(txn.Now());
  return txn.sql()
      .Execute(
          "UPDATE exception_governance SET acknowledged_at = ?, acknowledged_by = ?, "
          "updated_at = ? WHERE tenant_id = ? AND case_id = ? AND acknowledged_at IS NULL",
          {now, scope.actor().id, now, scope.tenant().value(), c.exception.id.value()})
      .status();
}

Status MarkClosed(store::Txn& txn, const TenantScope& scope, const CaseView& c,
                  std::string_view resolution, std::string_view reason) {
  const int64_t now = Micros(txn.Now());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("UPDATE exception_governance SET closed_at = ?, closed_by = ?, resolution = ?, "
                   "resolution_reason = ?, updated_at = ? WHERE tenant_id = ? AND case_id = ?",
                   {now, scope.actor().id, std::string(resolution), std::string(reason), now,
                    scope.tenant().value(), c.exception.id.value()})
          .status());
  if (c.exception.state != store::ExceptionState::kResolved) {
    GOVFLOW_RETURN_IF_ERROR(txn.SetExceptionCaseState(
        scope.tenant(), c.exception.id, c.exception.state, store::ExceptionState::kResolved));
  }
  return Status::Ok();
}

Result<int64_t> RecordPayloadEdit(store::Txn& txn, const TenantScope& scope,
                                  const ExceptionCaseId& id, std::string_view diff_json,
                                  std::string_view before_digest, std::string_view after_digest) {
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT COALESCE(MAX(seq), 0) FROM exception_edits WHERE tenant_id = ? AND "
                      "case_id = ?",
                      {scope.tenant().value(), id.value()}));
  const int64_t seq = rows[0].Int(0) + 1;
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute(
              "INSERT INTO exception_edits (tenant_id, case_id, seq, actor, diff_json, "
              "before_digest, after_digest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              {scope.tenant().value(), id.value(), seq, scope.actor().id, std::string(diff_json),
               std::string(before_digest), std::string(after_digest), Micros(txn.Now())})
          .status());
  return seq;
}

Result<std::vector<PayloadEdit>> ListPayloadEdits(store::Store& store, const TenantScope& scope,
                                                  const ExceptionCaseId& id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsRead));
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT seq, actor, diff_json, before_digest, after_digest, created_at "
                      "FROM exception_edits WHERE tenant_id = ? AND case_id = ? ORDER BY seq",
                      {scope.tenant().value(), id.value()}));
  std::vector<PayloadEdit> out;
  for (const sql::Row& r : rows) {
    out.push_back({r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), FromMicros(r.Int(5))});
  }
  return out;
}

Result<BulkOutcome> Acknowledge(store::Store& store, const TenantScope& scope,
                                const std::vector<ExceptionCaseId>& ids, std::string_view comment) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsAct));
  BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        outcome, ForEachCase(txn, ids, [&](const ExceptionCaseId& id) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(CaseView c, LoadCase(txn, scope, id));
          if (c.state == CaseState::kResolved)
            return FailedPrecondition(id.value() + " is resolved");
          if (c.acknowledged_at) {
            return FailedPrecondition(id.value() + " was acknowledged by " + c.acknowledged_by);
          }
          GOVFLOW_RETURN_IF_ERROR(MarkAcknowledged(txn, scope, c));
          json::object d{{"ack_due_at_us", Micros(c.ack_due_at)},
                         {"within_sla", txn.Now() <= c.ack_due_at}};
          return AuditCaseAction(txn, scope, c, "acknowledge", comment, json::serialize(d));
        }));
    return Status::Ok();
  }));
  return outcome;
}

Result<BulkOutcome> Assign(store::Store& store, const TenantScope& scope,
                           const std::vector<ExceptionCaseId>& ids, std::string_view team,
                           std::string_view assignee, std::string_view comment) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsAct));
  if (team.empty() && assignee.empty()) {
    return InvalidArgument("assign needs a team or an assignee");
  }
  BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        outcome, ForEachCase(txn, ids, [&](const ExceptionCaseId& id) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(CaseView c, LoadCase(txn, scope, id));
          if (c.state == CaseState::kResolved)
            return FailedPrecondition(id.value() + " is resolved");
          const std::string new_team = team.empty() ? c.owner_team : std::string(team);
          const std::string new_assignee = assignee.empty() ? c.assignee : std::string(assignee);
          GOVFLOW_RETURN_IF_ERROR(
              txn.sql()
                  .Execute("UPDATE exception_governance SET owner_team = ?, assignee = ?, "
                           "updated_at = ? WHERE tenant_id = ? AND case_id = ?",
                           {new_team, new_assignee, Micros(txn.Now()), scope.tenant().value(),
                            id.value()})
                  .status());
          json::object d{{"from_team", c.owner_team},
                         {"to_team", new_team},
                         {"from_assignee", c.assignee},
                         {"to_assignee", new_assignee}};
          return AuditCaseAction(txn, scope, c, "assign", comment, json::serialize(d));
        }));
    return Status::Ok();
  }));
  return outcome;
}

Result<BulkOutcome> Resolve(store::Store& store, const TenantScope& scope,
                            const std::vector<ExceptionCaseId>& ids, std::string_view reason) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kExceptionsAct));
  GOVFLOW_RETURN_IF_ERROR(NeedReason(reason, "resolve"));
  BulkOutcome outcome;
  GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        outcome, ForEachCase(txn, ids, [&](const ExceptionCaseId& id) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(CaseView c, LoadCase(txn, scope, id));
          if (c.state == CaseState::kResolved)
            return FailedPrecondition(id.value() + " is resolved");
          GOVFLOW_RETURN_IF_ERROR(MarkAcknowledged(txn, scope, c));
          GOVFLOW_RETURN_IF_ERROR(MarkClosed(txn, scope, c, "resolved", reason));
          json::object d{{"resolve_due_at_us", Micros(c.resolve_due_at)},
                         {"within_sla", txn.Now() <= c.resolve_due_at}};
          return AuditCaseAction(txn, scope, c, "resolve", reason, json::serialize(d));
        }));
    return Status::Ok();
  }));
  return outcome;
}

std::string CaseViewToJson(const CaseView& c, bool with_payload) {
  json::object o;
  o["id"] = c.exception.id.value();
  o["tenant"] = c.exception.tenant.value();
  o["run"] = c.exception.run.value();
  o["step"] = c.exception.step;
  o["error_class"] = c.exception.error_class;
  o["message"] = c.exception.message;
  o["state"] = store::ExceptionStateName(c.exception.state);
  o["status"] = CaseStateName(c.state);
  o["created_at_us"] = Micros(c.exception.created_at);
  o["updated_at_us"] = Micros(c.exception.updated_at);
  o["process"] = c.process;
  o["category"] = c.category;
  o["root_cause"] = c.root_cause_key;
  o["severity"] = c.severity;
  o["team"] = c.owner_team;
  o["assignee"] = c.assignee;
  o["ack_due_at_us"] = Micros(c.ack_due_at);
  o["resolve_due_at_us"] = Micros(c.resolve_due_at);
  o["acknowledged_at_us"] = c.acknowledged_at ? json::value(Micros(*c.acknowledged_at)) : nullptr;
  o["acknowledged_by"] = c.acknowledged_by;
  o["closed_at_us"] = c.closed_at ? json::value(Micros(*c.closed_at)) : nullptr;
  o["closed_by"] = c.closed_by;
  o["resolution"] = c.resolution;
  o["resolution_reason"] = c.resolution_reason;
  o["next_due_at_us"] = c.next_due_at ? json::value(Micros(*c.next_due_at)) : nullptr;
  o["sla_risk"] = SlaRiskName(c.sla_risk);
  o["impact"] = json::object{{"order_value_minor", c.order_value_minor},
                             {"currency", c.currency},
                             {"customer", c.customer_key}};
  o["policies"] = c.policy_note;
  if (with_payload) {
    boost::system::error_code ec;
    json::value p = json::parse(c.exception.payload_json, ec);
    o["payload"] = ec ? json::value(c.exception.payload_json) : p;
  }
  return json::serialize(o);
}

std::string GroupViewToJson(const GroupView& g) {
  json::object o;
  o["root_cause"] = g.root_cause_key;
  o["category"] = g.category;
  o["highest_severity"] = g.highest_severity;
  json::array teams;
  for (const auto& t : g.teams) teams.push_back(json::value(t));
  o["teams"] = std::move(teams);
  o["members"] = g.members;
  o["unresolved"] = g.unresolved;
  o["customers"] = g.customers;
  json::array money;
  for (const MoneyTotal& m : g.order_value) {
    money.push_back(json::object{{"currency", m.currency}, {"value_minor", m.value_minor}});
  }
  o["order_value"] = std::move(money);
  o["first_seen_us"] = Micros(g.first_seen);
  o["last_seen_us"] = Micros(g.last_seen);
  o["next_due_at_us"] = g.next_due_at ? json::value(Micros(*g.next_due_at)) : nullptr;
  return json::serialize(o);
}

}  // namespace govflow::governance::exceptions
