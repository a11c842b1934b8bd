#include "governance/price_changes.h"

#include <atomic>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/documents/lifecycle.h"

namespace govflow::governance {
namespace json = boost::json;
namespace {

constexpr std::string_view kColumns =
    "tenant_id, change_id, connection_id, sku, variant_id, currency, old_price, new_price, "
    "old_cents, new_cents, compare_at_price, change_bp, reason, requested_by, rule, approval_id, "
    "state, outcome, created_at, updated_at, released_at, published_at";

int64_t Micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us)));
}

std::optional<PriceChangeState> ParseState(std::string_view s) {
  for (PriceChangeState st :
       {PriceChangeState::kPendingApproval, PriceChangeState::kReleased,
        PriceChangeState::kPublished, PriceChangeState::kRejected, PriceChangeState::kFailed}) {
    if (PriceChangeStateName(st) == s) return st;
  }
  return std::nullopt;
}

PriceChange FromRow(const store::sql::Row& r) {
  PriceChange c;
  c.tenant = TenantId(r.Text(0));
  c.id = r.Text(1);
  c.connection = ConnectionId(r.Text(2));
  c.sku = r.Text(3);
  c.variant_id = r.Int(4);
  c.currency = r.Text(5);
  c.old_price = r.Text(6);
  c.new_price = r.Text(7);
  c.old_cents = r.Int(8);
  c.new_cents = r.Int(9);
  c.compare_at_price = r.OptionalText(10);
  c.change_bp = r.Int(11);
  c.reason = r.Text(12);
  c.requested_by = r.Text(13);
  c.rule = r.Text(14);
  c.approval_id = r.OptionalText(15);
  c.state = ParseState(r.Text(16)).value_or(PriceChangeState::kFailed);
  c.outcome = r.Text(17);
  c.created_at = FromMicros(r.Int(18));
  c.updated_at = FromMicros(r.Int(19));
  if (auto v = r.OptionalInt(20)) c.released_at = FromMicros(*v);
  if (auto v = r.OptionalInt(21)) c.published_at = FromMicros(*v);
  return c;
}

// A fresh id: random, so two nodes never collide, and not derived from the wall clock.
std::string NewChangeId() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[40];
  std::snprintf(buf, sizeof buf, "pc_%016llx%04llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(counter.fetch_add(1) & 0xffff));
  return buf;
}

// The person behind an actor, as approvals record requesters ("user:<id>" for a token too).
std::string PersonOf(const Actor& actor) {
  if (actor.is_system() || actor.user_id.empty()) return actor.id;
  return "user:" + actor.user_id;
}

std::string PercentText(int64_t bp) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f%%", static_cast<double>(bp) / 100.0);
  return buf;
}

Status Audit(store::Txn& txn, const PriceChange& c, std::string actor, std::string action,
             std::string reason, json::object details) {
  details["sku"] = c.sku;
  details["variant_id"] = c.variant_id;
  details["from"] = c.old_price;
  details["to"] = c.new_price;
  details["currency"] = c.currency;
  details["change_bp"] = c.change_bp;
  details["state"] = PriceChangeStateName(c.state);
  if (c.approval_id) details["approval_id"] = *c.approval_id;
  AuditRecord rec;
  rec.actor = std::move(actor);
  rec.action = std::move(action);
  rec.object_type = std::string(kPriceChangeSubject);
  rec.object_id = c.id;
  rec.reason = std::move(reason);
  rec.after_digest = Sha256Hex(PriceChangeDiffJson(c));
  rec.details_json = CanonicalJson(json::value(std::move(details)));
  return AppendAudit(txn, c.tenant, rec).status();
}

Status LoadApprovalIds(store::Txn& txn, PriceChange& c) {
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT task_id FROM price_change_approvals WHERE tenant_id = ? AND "
                      "change_id = ? ORDER BY task_id",
                      {c.tenant.value(), c.id}));
  c.approval_ids.clear();
  // The first task (approval_id) leads; the others follow in id order.
  if (c.approval_id) c.approval_ids.push_back(*c.approval_id);
  for (const auto& r : rows) {
    if (r.Text(0) != c.approval_id) c.approval_ids.push_back(r.Text(0));
  }
  return Status::Ok();
}

Result<std::optional<PriceChange>> Load(store::Txn& txn, const TenantId& tenant,
                                        std::string_view id, bool for_update) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM price_changes WHERE tenant_id = ? AND change_id = ?";
  if (for_update && txn.dialect() == store::sql::Dialect::kPostgres) sql += " FOR UPDATE";
  GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows,
                           txn.sql().Query(sql, {tenant.value(), std::string(id)}));
  if (rows.empty()) return std::optional<PriceChange>();
  PriceChange c = FromRow(rows[0]);
  GOVFLOW_RETURN_IF_ERROR(LoadApprovalIds(txn, c));
  return std::optional<PriceChange>(std::move(c));
}

// released: the outbox row in the same transaction as the state change.
Status WriteOutbox(store::Txn& txn, const PriceChange& c) {
  const int64_t now = Micros(txn.Now());
  return txn.sql()
      .Execute(
          "INSERT INTO price_change_outbox (tenant_id, change_id, idempotency_key, state, "
          "attempts, next_attempt_at, claimed_by, claimed_until, last_error_class, last_error, "
          "created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, '', NULL, '', '', ?, ?)",
          {c.tenant.value(), c.id, c.tenant.value() + "/price_change/" + c.id, now, now, now})
      .status();
}

Status Release(store::Txn& txn, PriceChange& c, const std::string& actor, const std::string& reason,
               json::object details) {
  const int64_t now = Micros(txn.Now());
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.sql().Execute("UPDATE price_changes SET state = 'released', released_at = ?, "
                        "updated_at = ?, outcome = ? WHERE tenant_id = ? AND change_id = ? "
                        "AND state = 'pending_approval'",
                        {now, now, reason, c.tenant.value(), c.id}));
  if (changed != 1)
    return Status(StatusCode::kAborted, "price change " + c.id + " is no longer held");
  c.state = PriceChangeState::kReleased;
  c.released_at = txn.Now();
  c.updated_at = txn.Now();
  c.outcome = reason;
  GOVFLOW_RETURN_IF_ERROR(WriteOutbox(txn, c));
  return Audit(txn, c, actor, "price_change.release", reason, std::move(details));
}

}  // namespace

std::string_view PriceChangeStateName(PriceChangeState state) {
  switch (state) {
    case PriceChangeState::kPendingApproval:
      return "pending_approval";
    case PriceChangeState::kReleased:
      return "released";
    case PriceChangeState::kPublished:
      return "published";
    case PriceChangeState::kRejected:
      return "rejected";
    case PriceChangeState::kFailed:
      return "failed";
  }
  return "failed";
}

Result<int64_t> ParsePriceCents(std::string_view price) {
  auto bad = [&] {
    return InvalidArgument("'" + std::string(price) +
                           "' is not a price (digits with at most two decimals, e.g. 19.99)");
  };
  if (price.empty() || price.size() > 15) return bad();
  int64_t whole = 0;
  size_t i = 0;
  size_t digits = 0;
  for (; i < price.size() && price[i] >= '0' && price[i] <= '9'; ++i, ++digits) {
    whole = whole * 10 + (price[i] - '0');
  }
  if (digits == 0) return bad();
  int64_t frac = 0;
  if (i < price.size()) {
    if (price[i] != '.') return bad();
    ++i;
    size_t fd = 0;
    for (; i < price.size() && price[i] >= '0' && price[i] <= '9'; ++i, ++fd) {
      frac = frac * 10 + (price[i] - '0');
    }
    if (fd == 0 || fd > 2 || i != price.size()) return bad();
    if (fd == 1) frac *= 10;
  }
  return whole * 100 + frac;
}

std::string FormatPriceCents(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

int64_t PriceChangeBasisPoints(int64_t old_cents, int64_t new_cents) {
  const long double ratio = static_cast<long double>(new_cents - old_cents) * 10000.0L /
                            static_cast<long double>(old_cents);
  return static_cast<int64_t>(std::llround(ratio));
}

PriceApprovalPolicy ThresholdPriceApprovalPolicy(double threshold_percent,
                                                 std::vector<std::string> roles, int quorum) {
  return [threshold_percent, roles = std::move(roles), quorum](
             const TenantId&,
             const PriceChangeFacts& facts) -> Result<std::vector<PriceApprovalRequirement>> {
    std::vector<PriceApprovalRequirement> out;
    if (facts.abs_percent > threshold_percent) {
      PriceApprovalRequirement req;
      char buf[80];
      std::snprintf(buf, sizeof buf, "price_change abs(percent) > %g", threshold_percent);
      req.rule = buf;
      req.roles = roles;
      req.quorum = quorum;
      out.push_back(std::move(req));
    }
    return out;
  };
}

Result<PriceApprovalPolicy> TenantPriceApprovalPolicy(store::Txn& txn, const TenantId& tenant) {
  namespace docs = documents;
  TenantScope scope = TenantScope::ForSystem(tenant, "price_changes");
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<docs::DocumentVersion> matrices,
                           docs::ListDocuments(txn, scope, docs::DocumentKind::kApprovalMatrix));
  auto combined = std::make_shared<policies::ApprovalMatrix>();
  bool any = false;
  for (const docs::DocumentVersion& d : matrices) {
    docs::DocumentRef ref{docs::DocumentKind::kApprovalMatrix, d.name};
    GOVFLOW_ASSIGN_OR_RETURN(std::optional<docs::DocumentVersion> live,
                             docs::ActiveVersion(txn, scope, ref, docs::Environment::kProd));
    if (!live) continue;
    GOVFLOW_ASSIGN_OR_RETURN(std::string yaml, docs::EffectiveYaml(txn, scope, ref, live->version));
    GOVFLOW_ASSIGN_OR_RETURN(policies::ApprovalMatrix m,
                             policies::ParseApprovalMatrix(yaml, d.name + ".yaml"));
    if (!any) combined->name = m.name;
    any = true;
    for (auto& row : m.rows) combined->rows.push_back(std::move(row));
  }
  if (!any) {
    return MatrixPriceApprovalPolicy(std::shared_ptr<const policies::ApprovalMatrix>(
        &policies::FallbackApprovalMatrix(), [](const policies::ApprovalMatrix*) {}));
  }
  return MatrixPriceApprovalPolicy(std::move(combined));
}

json::value PriceChangeFactsJson(const PriceChangeFacts& f) {
  json::object o;
  o["sku"] = f.sku;
  o["variant_id"] = f.variant_id;
  o["currency"] = f.currency;
  o["old_price"] = f.old_price;
  o["new_price"] = f.new_price;
  o["percent_change"] = f.percent;
  o["abs_percent_change"] = f.abs_percent;
  o["reason"] = f.reason;
  return o;
}

PriceApprovalPolicy MatrixPriceApprovalPolicy(
    std::shared_ptr<const policies::ApprovalMatrix> matrix) {
  return [matrix = std::move(matrix)](
             const TenantId&,
             const PriceChangeFacts& facts) -> Result<std::vector<PriceApprovalRequirement>> {
    std::vector<PriceApprovalRequirement> out;
    for (const policies::ApprovalRuleMatch& m : policies::EvaluateApprovalMatrix(
             *matrix, kPriceChangeSubject, PriceChangeFactsJson(facts))) {
      const policies::ApprovalMatrixRow& row = *m.row;
      PriceApprovalRequirement r;
      r.rule = row.name;
      if (!m.evaluation_error.empty())
        r.rule += " (condition failed closed: " + m.evaluation_error + ")";
      r.roles = row.required_roles;
      r.quorum = row.quorum;
      r.excluded_roles = row.approver_not_in_roles;
      if (row.expires_after) {
        r.expires_after = std::chrono::duration_cast<std::chrono::microseconds>(*row.expires_after);
      }
      r.on_expiry = row.on_expiry;
      r.escalate_to_roles = row.escalate_to;
      r.escalation_window =
          std::chrono::duration_cast<std::chrono::microseconds>(row.escalation_window);
      out.push_back(std::move(r));
    }
    return out;
  };
}

std::string PriceChangeDiffJson(const PriceChange& c) {
  json::object o;
  o["sku"] = c.sku;
  o["variant_id"] = c.variant_id;
  o["connection"] = c.connection.value();
  o["currency"] = c.currency;
  o["price"] = json::object{{"from", c.old_price}, {"to", c.new_price}};
  o["percent"] = c.percent();
  if (c.compare_at_price) {
    o["compare_at_price"] =
        json::object{{"to", c.compare_at_price->empty() ? json::value(nullptr)
                                                        : json::value(*c.compare_at_price)}};
  }
  o["reason"] = c.reason;
  return CanonicalJson(json::value(std::move(o)));
}

Result<PriceChange> RequestPriceChange(store::Txn& txn, const TenantScope& scope,
                                       const PriceChangeRequest& request,
                                       const PriceApprovalPolicy& policy) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRequest));
  auto field = [](std::string_view name, const Status& s) {
    return InvalidArgument("price change: field '" + std::string(name) + "': " + s.message());
  };
  if (request.sku.empty()) return InvalidArgument("price change: field 'sku': is required");
  if (request.variant_id <= 0) {
    return InvalidArgument("price change: field 'variant_id': must be a positive storefront id");
  }
  if (request.reason.empty()) {
    return InvalidArgument("price change: field 'reason': is required (say why)");
  }
  if (request.currency.size() != 3) {
    return InvalidArgument("price change: field 'currency': must be an ISO 4217 code (USD)");
  }
  auto old_cents = ParsePriceCents(request.old_price);
  if (!old_cents.ok()) return field("old_price", old_cents.status());
  auto new_cents = ParsePriceCents(request.new_price);
  if (!new_cents.ok()) return field("new_price", new_cents.status());
  if (*old_cents == 0) return InvalidArgument("price change: field 'old_price': must be above 0");
  if (*new_cents == *old_cents) {
    return InvalidArgument("price change: field 'new_price': equals the current price");
  }
  std::optional<std::string> compare_at;
  if (request.compare_at_price) {
    if (request.compare_at_price->empty()) {
      compare_at = "";
    } else {
      auto c = ParsePriceCents(*request.compare_at_price);
      if (!c.ok()) return field("compare_at_price", c.status());
      compare_at = FormatPriceCents(*c);
    }
  }
  GOVFLOW_ASSIGN_OR_RETURN(store::Connection connection,
                           txn.GetConnection(scope.tenant(), request.connection));
  if (connection.kind != "shopify.admin") {
    return InvalidArgument("price change: field 'connection': '" + request.connection.value() +
                           "' is a " + connection.kind +
                           " connection; prices are set through a shopify.admin connection");
  }

  PriceChange c;
  c.tenant = scope.tenant();
  c.id = NewChangeId();
  c.connection = request.connection;
  c.sku = request.sku;
  c.variant_id = request.variant_id;
  c.currency = request.currency;
  c.old_cents = *old_cents;
  c.new_cents = *new_cents;
  c.old_price = FormatPriceCents(c.old_cents);
  c.new_price = FormatPriceCents(c.new_cents);
  c.compare_at_price = compare_at;
  c.change_bp = PriceChangeBasisPoints(c.old_cents, c.new_cents);
  c.reason = request.reason;
  c.requested_by = PersonOf(scope.actor());
  c.state = PriceChangeState::kPendingApproval;
  c.created_at = txn.Now();
  c.updated_at = txn.Now();

  PriceChangeFacts facts;
  facts.sku = c.sku;
  facts.variant_id = c.variant_id;
  facts.currency = c.currency;
  facts.reason = c.reason;
  facts.old_price = static_cast<double>(c.old_cents) / 100.0;
  facts.new_price = static_cast<double>(c.new_cents) / 100.0;
  facts.percent = c.percent();
  facts.abs_percent = std::fabs(facts.percent);
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<PriceApprovalRequirement> requirements,
                           policy(c.tenant, facts));
  for (const auto& r : requirements) c.rule += (c.rule.empty() ? "" : ", ") + r.rule;

  const int64_t now = Micros(txn.Now());
  GOVFLOW_RETURN_IF_ERROR(
      txn.sql()
          .Execute("INSERT INTO price_changes (" + std::string(kColumns) +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, "
                       "'pending_approval', '', ?, ?, NULL, NULL)",
                   {c.tenant.value(), c.id, c.connection.value(), c.sku, c.variant_id, c.currency,
                    c.old_price, c.new_price, c.old_cents, c.new_cents,
                    store::sql::Nullable(c.compare_at_price), c.change_bp, c.reason, c.requested_by,
                    c.rule, now, now})
          .status());

  if (requirements.empty()) {
    GOVFLOW_RETURN_IF_ERROR(
        Audit(txn, c, scope.actor().id, "price_change.request", c.reason, json::object{}));
    GOVFLOW_RETURN_IF_ERROR(Release(txn, c, scope.actor().id,
                                    "within the approval threshold: released at once",
                                    json::object{}));
    return c;
  }

  json::array tasks;
  json::array rules;
  for (const PriceApprovalRequirement& requirement : requirements) {
    ApprovalRequest ar;
    ar.subject_type = std::string(kPriceChangeSubject);
    ar.subject_id = requirements.size() == 1 ? c.id : c.id + "#" + requirement.rule;
    ar.title = "Price " + c.sku + ": " + c.old_price + " -> " + c.new_price + " " + c.currency +
               " (" + PercentText(c.change_bp) + ")";
    ar.changes_json = PriceChangeDiffJson(c);
    ar.required_roles = requirement.roles;
    ar.quorum = requirement.quorum;
    ar.requested_by = c.requested_by;
    ar.rule = requirement.rule;
    ar.excluded_roles = requirement.excluded_roles;
    if (requirement.expires_after) {
      ar.expires_at =
          txn.Now() + std::chrono::duration_cast<TimePoint::duration>(*requirement.expires_after);
    }
    ar.on_expiry = requirement.on_expiry;
    ar.escalate_to_roles = requirement.escalate_to_roles;
    ar.escalation_window = requirement.escalation_window;
    GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask task, RequestApproval(txn, scope, ar));
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("INSERT INTO price_change_approvals (tenant_id, "
                                         "change_id, task_id, rule) VALUES (?, ?, ?, ?)",
                                         {c.tenant.value(), c.id, task.id, requirement.rule})
                                .status());
    if (!c.approval_id) c.approval_id = task.id;
    c.approval_ids.push_back(task.id);
    tasks.emplace_back(task.id);
    json::object rule;
    rule["rule"] = requirement.rule;
    rule["quorum"] = requirement.quorum;
    json::array roles;
    for (const auto& r : requirement.roles) roles.emplace_back(r);
    rule["roles"] = std::move(roles);
    rules.push_back(std::move(rule));
  }
  GOVFLOW_RETURN_IF_ERROR(txn.sql()
                              .Execute("UPDATE price_changes SET approval_id = ? WHERE "
                                       "tenant_id = ? AND change_id = ?",
                                       {*c.approval_id, c.tenant.value(), c.id})
                              .status());
  json::object details;
  details["approval_ids"] = std::move(tasks);
  details["rules"] = std::move(rules);
  GOVFLOW_RETURN_IF_ERROR(
      Audit(txn, c, scope.actor().id, "price_change.request", c.reason, std::move(details)));
  return c;
}

Result<PriceChange> GetPriceChange(store::Txn& txn, const TenantScope& scope, std::string_view id) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRead));
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<PriceChange> c,
                           Load(txn, scope.tenant(), id, /*for_update=*/false));
  if (!c) return NotFound("no price change '" + std::string(id) + "'");
  return *c;
}

Result<std::vector<PriceChange>> ListPriceChanges(store::Txn& txn, const TenantScope& scope,
                                                  std::optional<PriceChangeState> state,
                                                  int limit) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(perm::kApprovalsRead));
  if (limit < 1 || limit > 10'000) return InvalidArgument("limit must be in 1..10000");
  std::string sql = "SELECT " + std::string(kColumns) + " FROM price_changes WHERE tenant_id = ?";
  store::sql::Params params{scope.tenant().value()};
  if (state) {
    sql += " AND state = ?";
    params.emplace_back(std::string(PriceChangeStateName(*state)));
  }
  sql += " ORDER BY created_at DESC, change_id DESC LIMIT ?";
  params.emplace_back(static_cast<int64_t>(limit));
  GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows, txn.sql().Query(sql, params));
  std::vector<PriceChange> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back(FromRow(r));
    GOVFLOW_RETURN_IF_ERROR(LoadApprovalIds(txn, out.back()));
  }
  return out;
}

namespace {

// Releases or rejects held change `change_id` from the states of all its tasks.
Result<bool> Settle(store::Txn& txn, const TenantId& tenant, const std::string& change_id) {
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<PriceChange> loaded,
                           Load(txn, tenant, change_id, /*for_update=*/true));
  if (!loaded || loaded->state != PriceChangeState::kPendingApproval) return false;
  PriceChange c = std::move(*loaded);
  // A held change always has tasks; without any, nothing may release it.
  if (c.approval_ids.empty()) return false;
  TenantScope system = TenantScope::ForSystem(tenant, "price_changes");
  std::vector<ApprovalTask> tasks;
  for (const auto& id : c.approval_ids) {
    GOVFLOW_ASSIGN_OR_RETURN(ApprovalTask t, GetApproval(txn, system, id));
    tasks.push_back(std::move(t));
  }
  bool all_approved = true;
  const ApprovalTask* stopper = nullptr;
  for (const auto& t : tasks) {
    if (t.state != ApprovalState::kApproved) all_approved = false;
    if (t.state == ApprovalState::kRejected || t.state == ApprovalState::kExpired ||
        t.state == ApprovalState::kCancelled) {
      if (stopper == nullptr) stopper = &t;
    }
  }
  if (!all_approved && stopper == nullptr) return false;  // still waiting

  const std::string actor = "system:price_changes";
  json::array deciders;
  std::string comments;
  for (const auto& t : tasks) {
    for (const auto& d : t.decisions) {
      deciders.emplace_back(d.actor);
      if (!comments.empty()) comments += "; ";
      comments += d.actor + (d.approve ? " approved: " : " rejected: ") + d.comment;
    }
  }
  json::object details;
  details["deciders"] = std::move(deciders);
  if (all_approved) {
    details["approval_state"] = "approved";
    GOVFLOW_RETURN_IF_ERROR(Release(txn, c, actor, comments, std::move(details)));
    return true;
  }
  details["approval_state"] = ApprovalStateName(stopper->state);
  details["stopped_by"] = stopper->id;
  std::string why = comments;
  if (stopper->state == ApprovalState::kExpired) {
    why = "approval expired" + (why.empty() ? "" : ": " + why);
  } else if (stopper->state == ApprovalState::kCancelled) {
    why = "approval cancelled" + (why.empty() ? "" : ": " + why);
  }
  // The change is dead: its other tasks no longer ask anyone for a decision.
  for (const auto& t : tasks) {
    if (t.state == ApprovalState::kPending) {
      GOVFLOW_RETURN_IF_ERROR(
          CancelApproval(txn, system, t.id, "price change " + c.id + " was rejected").status());
    }
  }
  const int64_t now = Micros(txn.Now());
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.sql().Execute("UPDATE price_changes SET state = 'rejected', updated_at = ?, outcome = ? "
                        "WHERE tenant_id = ? AND change_id = ? AND state = 'pending_approval'",
                        {now, why, tenant.value(), c.id}));
  if (changed != 1) return false;
  c.state = PriceChangeState::kRejected;
  c.outcome = why;
  GOVFLOW_RETURN_IF_ERROR(Audit(txn, c, actor, "price_change.reject", why, std::move(details)));
  return true;
}

}  // namespace

Result<bool> ApplyPriceApprovalOutcome(store::Txn& txn, const TenantId& tenant,
                                       const ApprovalTask& task) {
  if (task.request.subject_type != kPriceChangeSubject) return false;
  if (task.tenant != tenant) return false;
  if (task.state == ApprovalState::kPending) return false;
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT change_id FROM price_change_approvals WHERE tenant_id = ? AND "
                      "task_id = ?",
                      {tenant.value(), task.id}));
  if (rows.empty()) return false;
  return Settle(txn, tenant, rows[0].Text(0));
}

Result<int> ReleaseDecidedPriceChanges(store::Store& store, int limit) {
  std::vector<std::pair<TenantId, std::string>> due;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
    // Held changes with a task that stopped them, or with no task left undecided.
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query(
            "SELECT p.tenant_id, p.change_id FROM price_changes p "
            "WHERE p.state = 'pending_approval' AND ("
            " EXISTS (SELECT 1 FROM price_change_approvals a JOIN approval_tasks t"
            "  ON t.tenant_id = a.tenant_id AND t.task_id = a.task_id"
            "  WHERE a.tenant_id = p.tenant_id AND a.change_id = p.change_id"
            "  AND t.state IN ('rejected', 'expired', 'cancelled'))"
            " OR NOT EXISTS (SELECT 1 FROM price_change_approvals a JOIN approval_tasks t"
            "  ON t.tenant_id = a.tenant_id AND t.task_id = a.task_id"
            "  WHERE a.tenant_id = p.tenant_id AND a.change_id = p.change_id"
            "  AND t.state <> 'approved'))"
            " ORDER BY p.tenant_id, p.created_at LIMIT ?",
            {static_cast<int64_t>(limit)}));
    for (const auto& r : rows) due.emplace_back(TenantId(r.Text(0)), r.Text(1));
  }
  int moved = 0;
  for (const auto& [tenant, change_id] : due) {
    bool did = false;
    GOVFLOW_RETURN_IF_ERROR(
        store.Transact([&, &tenant = tenant, &change_id = change_id](store::Txn& txn) -> Status {
          GOVFLOW_ASSIGN_OR_RETURN(did, Settle(txn, tenant, change_id));
          return Status::Ok();
        }));
    if (did) ++moved;
  }
  return moved;
}

}  // namespace govflow::governance
