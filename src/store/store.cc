#include "store/store.h"

#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <set>
#include <utility>

#include "store/deferred_writes.h"
#include "store/migrations.h"

namespace govflow::store {
namespace {

using sql::Params;
using sql::Row;
using sql::Rows;
using sql::Value;

Status Aborted(std::string m) {
  return Status(StatusCode::kAborted, std::move(m));
}

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint FromMicros(int64_t us) {
  return TimePoint(std::chrono::microseconds(us));
}
Value OptionalMicros(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return Micros(*t);
}
std::optional<TimePoint> ReadOptionalTime(const Row& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return FromMicros(row.Int(i));
}
template <typename IdT>
Value OptionalId(const std::optional<IdT>& id) {
  if (!id) return nullptr;
  return id->value();
}
template <typename IdT>
std::optional<IdT> ReadOptionalId(const Row& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return IdT(row.Text(i));
}

// Enum <-> column text. The strings are the CHECK constraints of the schema.
constexpr std::array<std::string_view, 3> kDeliveryStatusNames = {"accepted", "rejected",
                                                                  "duplicate"};
constexpr std::array<std::string_view, 6> kRunStateNames = {"pending",   "running", "waiting",
                                                            "succeeded", "failed",  "cancelled"};
constexpr std::array<std::string_view, 5> kEffectStateNames = {"pending", "in_flight", "succeeded",
                                                               "failed", "unknown"};
constexpr std::array<std::string_view, 3> kExceptionStateNames = {"open", "retrying", "resolved"};

template <typename E, size_t N>
E ParseEnum(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return static_cast<E>(0);
}

std::string Name(DeliveryStatus s) {
  return std::string(DeliveryStatusName(s));
}
std::string Name(RunState s) {
  return std::string(RunStateName(s));
}
std::string Name(EffectState s) {
  return std::string(EffectStateName(s));
}
std::string Name(ExceptionState s) {
  return std::string(ExceptionStateName(s));
}

// Longest business key kept in run_keys: longer values are not identifiers worth searching for.
constexpr size_t kMaxBusinessKey = 200;

// The normalised business keys of a run's input (kRunInputKeyFields; strings and integers).
// Input that is not a JSON object has none.
std::set<std::string> InputBusinessKeys(std::string_view input_json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(input_json, ec);
  if (ec) return {};
  return store::InputBusinessKeys(v);
}

// ---- Row mapping: each kXColumns list matches ReadX. ----

constexpr std::string_view kTenantColumns = "tenant_id, display_name, created_at";
Tenant ReadTenant(const Row& r) {
  return {TenantId(r.Text(0)), r.Text(1), FromMicros(r.Int(2))};
}

constexpr std::string_view kConnectionColumns =
    "tenant_id, connection_id, kind, config_json, secret_ciphertext, created_at, updated_at";
Connection ReadConnection(const Row& r) {
  return {TenantId(r.Text(0)), ConnectionId(r.Text(1)), r.Text(2),           r.Text(3),
          r.Text(4),           FromMicros(r.Int(5)),    FromMicros(r.Int(6))};
}

constexpr std::string_view kWorkflowColumns =
    "tenant_id, name, version, content_hash, source_yaml, published_at";
WorkflowVersion ReadWorkflow(const Row& r) {
  return {TenantId(r.Text(0)), r.Text(1), r.Int(2), r.Text(3), r.Text(4), FromMicros(r.Int(5))};
}

constexpr std::string_view kDeliveryColumns =
    "tenant_id, delivery_id, connection_id, webhook_id, topic, status, reason, headers_digest, "
    "body, received_at, run_id, duplicate_of";
Delivery ReadDelivery(const Row& r) {
  Delivery d;
  d.tenant = TenantId(r.Text(0));
  d.id = DeliveryId(r.Text(1));
  d.connection = ConnectionId(r.Text(2));
  d.webhook_id = r.Text(3);
  d.topic = r.Text(4);
  d.status = ParseEnum<DeliveryStatus>(kDeliveryStatusNames, r.Text(5));
  d.reason = r.Text(6);
  d.headers_digest = r.Text(7);
  d.body = r.Text(8);
  d.received_at = FromMicros(r.Int(9));
  d.run_id = ReadOptionalId<RunId>(r, 10);
  d.duplicate_of = ReadOptionalId<DeliveryId>(r, 11);
  return d;
}

// Used as Select(kRunColumns, "runs WHERE ..."): the input lives in run_inputs (migration 0016).
constexpr std::string_view kRunColumns =
    "tenant_id, run_id, workflow_name, workflow_version, delivery_id, state, current_step, "
    "(SELECT i.input_json FROM run_inputs i WHERE i.tenant_id = runs.tenant_id AND i.run_id = "
    "runs.run_id), context_json, next_wake_at, lease_owner, lease_token, lease_expires_at, "
    "version, created_at, updated_at";
Run ReadRun(const Row& r) {
  Run run;
  run.tenant = TenantId(r.Text(0));
  run.id = RunId(r.Text(1));
  run.workflow_name = r.Text(2);
  run.workflow_version = r.Int(3);
  run.delivery_id = ReadOptionalId<DeliveryId>(r, 4);
  run.state = ParseEnum<RunState>(kRunStateNames, r.Text(5));
  run.current_step = r.Text(6);
  run.input_json = r.Text(7);
  run.context_json = r.Text(8);
  run.next_wake_at = ReadOptionalTime(r, 9);
  run.lease_owner = r.Text(10);
  run.lease_token = r.Int(11);
  run.lease_expires_at = ReadOptionalTime(r, 12);
  run.version = r.Int(13);
  run.created_at = FromMicros(r.Int(14));
  run.updated_at = FromMicros(r.Int(15));
  return run;
}

constexpr std::string_view kRunEventColumns =
    "tenant_id, run_id, seq, kind, step, attempt, payload_json, created_at";
RunEvent ReadRunEvent(const Row& r) {
  return {TenantId(r.Text(0)), RunId(r.Text(1)), r.Int(2),  r.Text(3),
          r.Text(4),           r.Int(5),         r.Text(6), FromMicros(r.Int(7))};
}

constexpr std::string_view kEffectColumns =
    "tenant_id, idempotency_key, run_id, step, connection_id, business_key, state, "
    "request_json, response_json, error_class, attempts, created_at, updated_at";
Effect ReadEffect(const Row& r) {
  Effect e;
  e.tenant = TenantId(r.Text(0));
  e.idempotency_key = r.Text(1);
  e.run = RunId(r.Text(2));
  e.step = r.Text(3);
  e.connection = ConnectionId(r.Text(4));
  e.business_key = r.Text(5);
  e.state = ParseEnum<EffectState>(kEffectStateNames, r.Text(6));
  e.request_json = r.Text(7);
  e.response_json = r.Text(8);
  e.error_class = r.Text(9);
  e.attempts = r.Int(10);
  e.created_at = FromMicros(r.Int(11));
  e.updated_at = FromMicros(r.Int(12));
  return e;
}

constexpr std::string_view kExceptionColumns =
    "tenant_id, case_id, run_id, step, error_class, message, payload_json, state, created_at, "
    "updated_at";
ExceptionCase ReadException(const Row& r) {
  ExceptionCase c;
  c.tenant = TenantId(r.Text(0));
  c.id = ExceptionCaseId(r.Text(1));
  c.run = RunId(r.Text(2));
  c.step = r.Text(3);
  c.error_class = r.Text(4);
  c.message = r.Text(5);
  c.payload_json = r.Text(6);
  c.state = ParseEnum<ExceptionState>(kExceptionStateNames, r.Text(7));
  c.created_at = FromMicros(r.Int(8));
  c.updated_at = FromMicros(r.Int(9));
  return c;
}

std::string Select(std::string_view columns, std::string_view rest) {
  std::string s = "SELECT ";
  s += columns;
  s += " FROM ";
  s += rest;
  return s;
}

template <typename T, typename F>
Result<std::vector<T>> MapRows(Result<Rows> rows, F read) {
  if (!rows.ok()) return rows.status();
  std::vector<T> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(read(r));
  return out;
}

template <typename T, typename F>
Result<T> OneRow(Result<Rows> rows, F read, std::string_view what) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound(std::string(what) + " not found");
  return read(rows->front());
}

}  // namespace

std::string_view DeliveryStatusName(DeliveryStatus s) {
  return kDeliveryStatusNames[static_cast<size_t>(s)];
}
std::string NormalizeBusinessKey(std::string_view key) {
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) {
    key.remove_prefix(1);
  }
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) {
    key.remove_suffix(1);
  }
  if (key.starts_with('#')) key.remove_prefix(1);
  std::string out(key);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::set<std::string> InputBusinessKeys(const boost::json::value& v) {
  std::set<std::string> keys;
  if (!v.is_object()) return keys;
  for (std::string_view field : kRunInputKeyFields) {
    const boost::json::value* m = v.as_object().if_contains(field);
    if (m == nullptr) continue;
    std::string text;
    if (m->is_string()) {
      text = std::string(m->as_string());
    } else if (m->is_int64()) {
      text = std::to_string(m->as_int64());
    } else if (m->is_uint64()) {
      text = std::to_string(m->as_uint64());
    } else {
      continue;
    }
    std::string key = NormalizeBusinessKey(text);
    if (!key.empty() && key.size() <= kMaxBusinessKey) keys.insert(std::move(key));
  }
  return keys;
}

std::string_view RunStateName(RunState s) {
  return kRunStateNames[static_cast<size_t>(s)];
}
bool IsTerminal(RunState s) {
  return s == RunState::kSucceeded || s == RunState::kFailed || s == RunState::kCancelled;
}
std::string_view EffectStateName(EffectState s) {
  return kEffectStateNames[static_cast<size_t>(s)];
}
std::string_view ExceptionStateName(ExceptionState s) {
  return kExceptionStateNames[static_cast<size_t>(s)];
}

// ---- Txn --------------------------------------------------------------------------------------

Txn::Txn(std::unique_ptr<sql::Transaction> txn, const Clock* clock)
    : txn_(std::move(txn)), clock_(clock) {}

Status Txn::Commit() {
  // Deferred writes (deferred_writes.h: e.g. a batch's audit appends) go in before COMMIT; when
  // they fail, nothing commits.
  if (Status s = sql::FlushDeferredWrites(*txn_); !s.ok()) {
    (void)txn_->Rollback();
    return s;
  }
  return txn_->Commit();
}
Status Txn::Rollback() {
  return txn_->Rollback();
}

Status Txn::PutTenant(const Tenant& t) {
  return txn_
      ->Execute(
          "INSERT INTO tenants (tenant_id, display_name, created_at) VALUES (?, ?, ?) "
          "ON CONFLICT (tenant_id) DO UPDATE SET display_name = excluded.display_name",
          {t.id.value(), t.display_name, Micros(Now())})
      .status();
}

Result<Tenant> Txn::GetTenant(const TenantId& tenant) {
  return OneRow<Tenant>(
      txn_->Query(Select(kTenantColumns, "tenants WHERE tenant_id = ?"), {tenant.value()}),
      ReadTenant, "tenant " + tenant.value());
}

Result<std::vector<Tenant>> Txn::ListTenants() {
  return MapRows<Tenant>(txn_->Query(Select(kTenantColumns, "tenants ORDER BY tenant_id")),
                         ReadTenant);
}

Status Txn::PutConnection(const Connection& c) {
  const int64_t now = Micros(Now());
  return txn_
      ->Execute(
          "INSERT INTO connections (tenant_id, connection_id, kind, config_json, "
          "secret_ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (tenant_id, connection_id) DO UPDATE SET kind = excluded.kind, "
          "config_json = excluded.config_json, secret_ciphertext = excluded.secret_ciphertext, "
          "updated_at = excluded.updated_at",
          {c.tenant.value(), c.id.value(), c.kind, c.config_json, sql::Blob{c.secret_ciphertext},
           now, now})
      .status();
}

Result<Connection> Txn::GetConnection(const TenantId& tenant, const ConnectionId& id) {
  return OneRow<Connection>(
      txn_->Query(
          Select(kConnectionColumns, "connections WHERE tenant_id = ? AND connection_id = ?"),
          {tenant.value(), id.value()}),
      ReadConnection, "connection " + id.value());
}

Status Txn::PublishWorkflowVersion(const WorkflowVersion& w) {
  GOVFLOW_ASSIGN_OR_RETURN(Rows existing,
                           txn_->Query("SELECT content_hash FROM workflow_versions "
                                       "WHERE tenant_id = ? AND name = ? AND version = ?",
                                       {w.tenant.value(), w.name, w.version}));
  if (!existing.empty()) {
    if (existing[0].Text(0) == w.content_hash) return Status::Ok();
    return AlreadyExists("workflow " + w.name + " version " + std::to_string(w.version) +
                         " is already published with different content");
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn_->Execute(
          "INSERT INTO workflow_versions (tenant_id, name, version, content_hash, "
          "source_yaml, published_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          {w.tenant.value(), w.name, w.version, w.content_hash, w.source_yaml, Micros(Now())}));
  if (inserted == 0) {
    return AlreadyExists("workflow " + w.name + " content " + w.content_hash +
                         " is already published under another version");
  }
  return Status::Ok();
}

Result<WorkflowVersion> Txn::GetWorkflowVersion(const TenantId& tenant, std::string_view name,
                                                int64_t version) {
  return OneRow<WorkflowVersion>(
      txn_->Query(Select(kWorkflowColumns,
                         "workflow_versions WHERE tenant_id = ? AND name = ? AND version = ?"),
                  {tenant.value(), std::string(name), version}),
      ReadWorkflow, "workflow " + std::string(name) + " version " + std::to_string(version));
}

Result<WorkflowVersion> Txn::GetLatestWorkflowVersion(const TenantId& tenant,
                                                      std::string_view name) {
  return OneRow<WorkflowVersion>(
      txn_->Query(Select(kWorkflowColumns,
                         "workflow_versions WHERE tenant_id = ? AND name = ? "
                         "ORDER BY version DESC LIMIT 1"),
                  {tenant.value(), std::string(name)}),
      ReadWorkflow, "workflow " + std::string(name));
}

Result<DeliveryOutcome> Txn::RecordDelivery(const Delivery& d) {
  const std::string insert =
      "INSERT INTO deliveries (tenant_id, delivery_id, connection_id, webhook_id, topic, status, "
      "reason, headers_digest, body, received_at, run_id, duplicate_of) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  auto params = [&](DeliveryStatus status, const std::string& reason,
                    const std::optional<RunId>& run,
                    const std::optional<DeliveryId>& duplicate_of) -> Params {
    return {d.tenant.value(),
            d.id.value(),
            d.connection.value(),
            d.webhook_id.empty() ? Value(nullptr) : Value(d.webhook_id),
            d.topic,
            Name(status),
            reason,
            d.headers_digest,
            sql::Blob{d.body},
            Micros(d.received_at),
            OptionalId(run),
            OptionalId(duplicate_of)};
  };

  const std::string idempotent = " ON CONFLICT (tenant_id, delivery_id) DO NOTHING";
  if (d.status != DeliveryStatus::kAccepted || d.webhook_id.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(
        int64_t inserted,
        txn_->Execute(insert + idempotent, params(d.status, d.reason, d.run_id, d.duplicate_of)));
    return DeliveryOutcome{d.status, d.id, std::nullopt, std::nullopt, inserted == 0};
  }
  // Accepted with a webhook id: insert unless one is already accepted (the partial unique index
  // deliveries_dedupe decides, also between concurrent transactions on PostgreSQL).
  // No RETURNING on the hot paths: SQLite collects RETURNING rows in a temporary b-tree it opens
  // and closes per statement; the count of changed rows says the same.
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn_->Execute(insert + " ON CONFLICT (tenant_id, connection_id, webhook_id) "
                             "WHERE status = 'accepted' DO NOTHING",
                    params(DeliveryStatus::kAccepted, d.reason, d.run_id, std::nullopt)));
  if (inserted == 1) {
    return DeliveryOutcome{DeliveryStatus::kAccepted, d.id, std::nullopt, std::nullopt, false};
  }
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows original,
      txn_->Query("SELECT delivery_id, run_id FROM deliveries WHERE tenant_id = ? AND "
                  "connection_id = ? AND webhook_id = ? AND status = 'accepted'",
                  {d.tenant.value(), d.connection.value(), d.webhook_id}));
  if (original.empty()) return Internal("dedupe conflict without an accepted delivery");
  if (original[0].Text(0) == d.id.value()) {
    // This delivery itself was accepted earlier: a replay.
    return DeliveryOutcome{DeliveryStatus::kAccepted, d.id, std::nullopt, std::nullopt, true};
  }
  DeliveryOutcome outcome{DeliveryStatus::kDuplicate, d.id, DeliveryId(original[0].Text(0)),
                          ReadOptionalId<RunId>(original[0], 1), false};
  const std::string reason =
      "duplicate of delivery " + outcome.original->value() + " (webhook id " + d.webhook_id + ")";
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t written, txn_->Execute(insert + idempotent, params(DeliveryStatus::kDuplicate, reason,
                                                                 std::nullopt, outcome.original)));
  outcome.replayed = written == 0;
  return outcome;
}

Result<Delivery> Txn::GetDelivery(const TenantId& tenant, const DeliveryId& id) {
  return OneRow<Delivery>(
      txn_->Query(Select(kDeliveryColumns, "deliveries WHERE tenant_id = ? AND delivery_id = ?"),
                  {tenant.value(), id.value()}),
      ReadDelivery, "delivery " + id.value());
}

Result<std::vector<Delivery>> Txn::ListDeliveries(const TenantId& tenant, int limit) {
  return MapRows<Delivery>(
      txn_->Query(Select(kDeliveryColumns,
                         "deliveries WHERE tenant_id = ? "
                         "ORDER BY received_at DESC, delivery_id DESC LIMIT ?"),
                  {tenant.value(), static_cast<int64_t>(limit)}),
      ReadDelivery);
}

Result<std::map<DeliveryStatus, int64_t>> Txn::CountDeliveriesByStatus(const TenantId& tenant) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn_->Query("SELECT status, COUNT(*) FROM deliveries WHERE tenant_id = ? GROUP BY status",
                  {tenant.value()}));
  std::map<DeliveryStatus, int64_t> out;
  for (const Row& r : rows) {
    out[ParseEnum<DeliveryStatus>(kDeliveryStatusNames, r.Text(0))] = r.Int(1);
  }
  return out;
}

Status Txn::CreateRun(const Run& run) {
  const int64_t now = Micros(Now());
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn_->Execute(
          "INSERT INTO runs (tenant_id, run_id, workflow_name, workflow_version, "
          "delivery_id, state, current_step, context_json, next_wake_at, "
          "lease_owner, lease_token, lease_expires_at, version, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
          "ON CONFLICT (tenant_id, run_id) DO NOTHING",
          {run.tenant.value(), run.id.value(), run.workflow_name, run.workflow_version,
           OptionalId(run.delivery_id), Name(run.state), run.current_step, run.context_json,
           OptionalMicros(run.next_wake_at),
           run.lease_owner.empty() ? sql::Value(nullptr) : sql::Value(run.lease_owner),
           run.lease_owner.empty() ? int64_t{0} : run.lease_token,
           run.lease_owner.empty() ? sql::Value(nullptr) : OptionalMicros(run.lease_expires_at),
           now, now}));
  if (inserted == 0) return AlreadyExists("run " + run.id.value() + " already exists");
  GOVFLOW_RETURN_IF_ERROR(
      txn_->Execute("INSERT INTO run_inputs (tenant_id, run_id, input_json) VALUES (?, ?, ?)",
                    {run.tenant.value(), run.id.value(), run.input_json})
          .status());
  return IndexRunKeys(run.tenant, run.id,
                      run.input_keys ? *run.input_keys : InputBusinessKeys(run.input_json));
}

Status Txn::IndexRunKeys(const TenantId& tenant, const RunId& run,
                         const std::set<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  std::string sql = "INSERT INTO run_keys (tenant_id, search_key, run_id) VALUES ";
  Params params;
  for (const std::string& key : keys) {
    if (!params.empty()) sql += ", ";
    sql += "(?, ?, ?)";
    params.push_back(tenant.value());
    params.push_back(key);
    params.push_back(run.value());
  }
  sql += " ON CONFLICT (tenant_id, search_key, run_id) DO NOTHING";
  return txn_->Execute(sql, params).status();
}

Result<std::vector<Run>> Txn::SearchRuns(const TenantId& tenant, const RunSearch& search) {
  std::string where = "runs WHERE tenant_id = ?";
  Params params{tenant.value()};
  if (search.state) {
    where += " AND state = ?";
    params.push_back(Name(*search.state));
  }
  if (!search.workflow.empty()) {
    where += " AND workflow_name = ?";
    params.push_back(search.workflow);
  }
  if (search.created_from) {
    where += " AND created_at >= ?";
    params.push_back(Micros(*search.created_from));
  }
  if (search.created_to) {
    where += " AND created_at < ?";
    params.push_back(Micros(*search.created_to));
  }
  if (!search.business_key.empty()) {
    where +=
        " AND run_id IN (SELECT k.run_id FROM run_keys k WHERE k.tenant_id = ? AND "
        "k.search_key = ?)";
    params.push_back(tenant.value());
    params.push_back(NormalizeBusinessKey(search.business_key));
  }
  const char* cmp = search.oldest_first ? ">" : "<";
  if (search.after) {
    where +=
        std::string(" AND (created_at ") + cmp + " ? OR (created_at = ? AND run_id " + cmp + " ?))";
    params.push_back(Micros(search.after->created_at));
    params.push_back(Micros(search.after->created_at));
    params.push_back(search.after->run.value());
  }
  where += search.oldest_first ? " ORDER BY created_at, run_id"
                               : " ORDER BY created_at DESC, run_id DESC";
  where += " LIMIT ?";
  params.push_back(static_cast<int64_t>(search.limit));
  return MapRows<Run>(txn_->Query(Select(kRunColumns, where), params), ReadRun);
}

Result<Run> Txn::GetRun(const TenantId& tenant, const RunId& id) {
  return OneRow<Run>(txn_->Query(Select(kRunColumns, "runs WHERE tenant_id = ? AND run_id = ?"),
                                 {tenant.value(), id.value()}),
                     ReadRun, "run " + id.value());
}

Result<std::vector<Run>> Txn::ListRuns(const TenantId& tenant, std::optional<RunState> state,
                                       int limit) {
  if (state) {
    return MapRows<Run>(txn_->Query(Select(kRunColumns,
                                           "runs WHERE tenant_id = ? AND state = ? "
                                           "ORDER BY created_at, run_id LIMIT ?"),
                                    {tenant.value(), Name(*state), static_cast<int64_t>(limit)}),
                        ReadRun);
  }
  return MapRows<Run>(
      txn_->Query(
          Select(kRunColumns, "runs WHERE tenant_id = ? ORDER BY created_at, run_id LIMIT ?"),
          {tenant.value(), static_cast<int64_t>(limit)}),
      ReadRun);
}

Result<std::map<RunState, int64_t>> Txn::CountRunsByState(const TenantId& tenant) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows, txn_->Query("SELECT state, COUNT(*) FROM runs WHERE tenant_id = ? GROUP BY state",
                             {tenant.value()}));
  std::map<RunState, int64_t> out;
  for (const Row& r : rows) out[ParseEnum<RunState>(kRunStateNames, r.Text(0))] = r.Int(1);
  return out;
}

Status Txn::ReplaceRunInput(const TenantId& tenant, const RunId& id, int64_t expected_version,
                            std::string_view input_json) {
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t n,
      txn_->Execute("UPDATE run_inputs SET input_json = ? WHERE tenant_id = ? AND run_id = ? AND "
                    "EXISTS (SELECT 1 FROM runs r WHERE r.tenant_id = run_inputs.tenant_id AND "
                    "r.run_id = run_inputs.run_id AND r.version = ?)",
                    {std::string(input_json), tenant.value(), id.value(), expected_version}));
  if (n == 1) return Status::Ok();
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows current, txn_->Query("SELECT version FROM runs WHERE tenant_id = ? AND run_id = ?",
                                {tenant.value(), id.value()}));
  if (current.empty()) return NotFound("run " + id.value() + " not found");
  return Aborted("run " + id.value() + " changed: expected version " +
                 std::to_string(expected_version) + ", found " + std::to_string(current[0].Int(0)));
}

Result<int64_t> Txn::UpdateRun(const TenantId& tenant, const RunId& id, int64_t expected_version,
                               const RunUpdate& update, const Lease* lease) {
  std::string sql =
      "UPDATE runs SET state = ?, current_step = ?, context_json = ?, next_wake_at = ?, "
      "version = version + 1, updated_at = ?";
  if (update.release_lease) sql += ", lease_owner = NULL, lease_expires_at = NULL";
  sql += " WHERE tenant_id = ? AND run_id = ? AND version = ?";
  Params params = {Name(update.state),  update.current_step,
                   update.context_json, OptionalMicros(update.next_wake_at),
                   Micros(Now()),       tenant.value(),
                   id.value(),          expected_version};
  if (lease != nullptr) {
    sql += " AND lease_owner = ? AND lease_token = ?";
    params.push_back(lease->owner);
    params.push_back(lease->token);
  }
  // The new version is known (the row matched `expected_version`), so no RETURNING: SQLite
  // runs it through a temporary b-tree per statement.
  GOVFLOW_ASSIGN_OR_RETURN(int64_t changed, txn_->Execute(sql, params));
  if (changed == 1) return expected_version + 1;
  GOVFLOW_ASSIGN_OR_RETURN(Rows current,
                           txn_->Query("SELECT version, lease_owner, lease_token FROM runs "
                                       "WHERE tenant_id = ? AND run_id = ?",
                                       {tenant.value(), id.value()}));
  if (current.empty()) return NotFound("run " + id.value() + " not found");
  if (current[0].Int(0) != expected_version) {
    return Aborted("run " + id.value() + " changed: expected version " +
                   std::to_string(expected_version) + ", found " +
                   std::to_string(current[0].Int(0)));
  }
  return Aborted("run " + id.value() + " lease lost: now held by '" + current[0].Text(1) +
                 "' with token " + std::to_string(current[0].Int(2)));
}

Result<bool> Txn::WakeRun(const TenantId& tenant, const RunId& id) {
  const int64_t now = Micros(Now());
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn_->Execute("UPDATE runs SET next_wake_at = ?, version = version + 1, updated_at = ? "
                    "WHERE tenant_id = ? AND run_id = ? AND state = 'waiting'",
                    {now, now, tenant.value(), id.value()}));
  if (changed > 0) return true;
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows, txn_->Query("SELECT 1 FROM runs WHERE tenant_id = ? AND "
                                                  "run_id = ?",
                                                  {tenant.value(), id.value()}));
  if (rows.empty()) return NotFound("run " + id.value() + " not found");
  return false;
}

Result<std::vector<ClaimedRun>> Txn::ClaimDueRuns(std::string_view owner,
                                                  std::chrono::milliseconds lease_for, int limit) {
  const int64_t now = Micros(Now());
  const int64_t expires =
      now + std::chrono::duration_cast<std::chrono::microseconds>(lease_for).count();
  // The subquery picks due, unleased runs; on PostgreSQL it locks them and skips rows that a
  // concurrent claimer holds, so two claimers never pick the same run. SQLite has one writer at
  // a time, so the plain subquery is enough.
  std::string sql =
      "UPDATE runs SET lease_owner = ?, lease_token = lease_token + 1, lease_expires_at = ?, "
      "version = version + 1, updated_at = ? "
      "WHERE (tenant_id, run_id) IN (SELECT tenant_id, run_id FROM runs "
      "WHERE next_wake_at IS NOT NULL AND next_wake_at <= ? "
      "AND (lease_expires_at IS NULL OR lease_expires_at <= ?) "
      "ORDER BY next_wake_at LIMIT ?";
  if (txn_->dialect() == sql::Dialect::kPostgres) sql += " FOR UPDATE SKIP LOCKED";
  sql += ") RETURNING tenant_id, run_id, lease_token, version";
  GOVFLOW_ASSIGN_OR_RETURN(Rows rows, txn_->Query(sql, {std::string(owner), expires, now, now, now,
                                                        static_cast<int64_t>(limit)}));
  std::vector<ClaimedRun> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    out.push_back(ClaimedRun{TenantId(r.Text(0)), RunId(r.Text(1)),
                             Lease{std::string(owner), r.Int(2), FromMicros(expires)}, r.Int(3)});
  }
  return out;
}

Result<Lease> Txn::RenewLease(const TenantId& tenant, const RunId& id, const Lease& lease,
                              std::chrono::milliseconds lease_for) {
  const int64_t now = Micros(Now());
  const int64_t expires =
      now + std::chrono::duration_cast<std::chrono::microseconds>(lease_for).count();
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn_->Execute("UPDATE runs SET lease_expires_at = ?, updated_at = ? WHERE tenant_id = ? "
                    "AND run_id = ? AND lease_owner = ? AND lease_token = ?",
                    {expires, now, tenant.value(), id.value(), lease.owner, lease.token}));
  if (changed == 0) return Aborted("run " + id.value() + " lease lost");
  return Lease{lease.owner, lease.token, FromMicros(expires)};
}

Status Txn::ReleaseLease(const TenantId& tenant, const RunId& id, const Lease& lease) {
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn_->Execute("UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
                    "WHERE tenant_id = ? AND run_id = ? AND lease_owner = ? AND lease_token = ?",
                    {Micros(Now()), tenant.value(), id.value(), lease.owner, lease.token}));
  if (changed == 0) return Aborted("run " + id.value() + " lease lost");
  return Status::Ok();
}

Result<int64_t> Txn::AppendRunEvent(const RunEvent& e) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn_->Query("INSERT INTO run_events (tenant_id, run_id, seq, kind, step, attempt, "
                  "payload_json, created_at) "
                  "SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM run_events "
                  "WHERE tenant_id = ? AND run_id = ? "
                  "ON CONFLICT DO NOTHING RETURNING seq",
                  {e.tenant.value(), e.run.value(), e.kind, e.step, e.attempt, e.payload_json,
                   Micros(Now()), e.tenant.value(), e.run.value()}));
  if (rows.empty()) return Aborted("concurrent append to the history of run " + e.run.value());
  return rows[0].Int(0);
}

Result<int64_t> Txn::AppendRunEvents(const TenantId& tenant, const RunId& run, int64_t first_seq,
                                     const std::vector<RunEvent>& events) {
  const int64_t now = Micros(Now());
  // Chunks of 8/4/2/1 rows: few distinct statement texts for the statement caches.
  size_t done = 0;
  int64_t seq = first_seq;
  while (done < events.size()) {
    const size_t left = events.size() - done;
    const size_t n = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
    std::string sql =
        "INSERT INTO run_events (tenant_id, run_id, seq, kind, step, attempt, payload_json, "
        "created_at) VALUES ";
    sql::Params params;
    params.reserve(n * 8);
    for (size_t i = 0; i < n; ++i) {
      const RunEvent& e = events[done + i];
      sql += i == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
      params.emplace_back(tenant.value());
      params.emplace_back(run.value());
      params.emplace_back(seq++);
      params.emplace_back(e.kind);
      params.emplace_back(e.step);
      params.emplace_back(e.attempt);
      params.emplace_back(e.payload_json);
      params.emplace_back(now);
    }
    sql += " ON CONFLICT DO NOTHING";
    GOVFLOW_ASSIGN_OR_RETURN(int64_t inserted, txn_->Execute(sql, params));
    if (inserted != static_cast<int64_t>(n)) {
      return Aborted("concurrent append to the history of run " + run.value());
    }
    done += n;
  }
  return seq;
}

Result<int64_t> Txn::NextRunEventSeq(const TenantId& tenant, const RunId& run) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn_->Query("SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE tenant_id = ? AND "
                  "run_id = ?",
                  {tenant.value(), run.value()}));
  return rows.empty() ? int64_t{1} : rows[0].Int(0);
}

Result<std::vector<RunEvent>> Txn::ListRunEvents(const TenantId& tenant, const RunId& run) {
  return MapRows<RunEvent>(
      txn_->Query(
          Select(kRunEventColumns, "run_events WHERE tenant_id = ? AND run_id = ? ORDER BY seq"),
          {tenant.value(), run.value()}),
      ReadRunEvent);
}

Result<Effect> Txn::BeginEffect(const Effect& e) {
  const int64_t now = Micros(Now());
  GOVFLOW_RETURN_IF_ERROR(
      txn_->Execute("INSERT INTO effects (tenant_id, idempotency_key, run_id, step, "
                    "connection_id, business_key, state, request_json, response_json, "
                    "error_class, attempts, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING",
                    {e.tenant.value(), e.idempotency_key, e.run.value(), e.step,
                     e.connection.value(), e.business_key, Name(e.state), e.request_json,
                     e.response_json, e.error_class, e.attempts, now, now})
          .status());
  if (std::string key = NormalizeBusinessKey(e.business_key);
      !key.empty() && key.size() <= kMaxBusinessKey) {
    GOVFLOW_RETURN_IF_ERROR(IndexRunKeys(e.tenant, e.run, {key}));
  }
  return GetEffect(e.tenant, e.idempotency_key);
}

Result<bool> Txn::CreateEffectIfAbsent(const Effect& e) {
  const int64_t now = Micros(Now());
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn_->Execute("INSERT INTO effects (tenant_id, idempotency_key, run_id, step, "
                    "connection_id, business_key, state, request_json, response_json, "
                    "error_class, attempts, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING",
                    {e.tenant.value(), e.idempotency_key, e.run.value(), e.step,
                     e.connection.value(), e.business_key, Name(e.state), e.request_json,
                     e.response_json, e.error_class, e.attempts, now, now}));
  if (inserted == 0) return false;
  if (std::string key = NormalizeBusinessKey(e.business_key);
      !key.empty() && key.size() <= kMaxBusinessKey) {
    GOVFLOW_RETURN_IF_ERROR(IndexRunKeys(e.tenant, e.run, {key}));
  }
  return true;
}

Result<Effect> Txn::GetEffect(const TenantId& tenant, std::string_view key) {
  return OneRow<Effect>(
      txn_->Query(Select(kEffectColumns, "effects WHERE tenant_id = ? AND idempotency_key = ?"),
                  {tenant.value(), std::string(key)}),
      ReadEffect, "effect " + std::string(key));
}

Result<Effect> Txn::UpdateEffect(const TenantId& tenant, std::string_view key, EffectState expected,
                                 const EffectUpdate& u) {
  GOVFLOW_ASSIGN_OR_RETURN(
      Rows rows,
      txn_->Query("UPDATE effects SET state = ?, response_json = ?, error_class = ?, "
                  "attempts = attempts + ?, updated_at = ? "
                  "WHERE tenant_id = ? AND idempotency_key = ? AND state = ? RETURNING " +
                      std::string(kEffectColumns),
                  {Name(u.state), u.response_json, u.error_class,
                   static_cast<int64_t>(u.count_attempt ? 1 : 0), Micros(Now()), tenant.value(),
                   std::string(key), Name(expected)}));
  if (!rows.empty()) return ReadEffect(rows[0]);
  GOVFLOW_ASSIGN_OR_RETURN(Effect current, GetEffect(tenant, key));
  return Aborted("effect " + std::string(key) + " is " + Name(current.state) + ", not " +
                 Name(expected));
}

Status Txn::MoveEffect(const TenantId& tenant, std::string_view key, EffectState expected,
                       const EffectUpdate& u) {
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn_->Execute("UPDATE effects SET state = ?, response_json = ?, error_class = ?, "
                    "attempts = attempts + ?, updated_at = ? "
                    "WHERE tenant_id = ? AND idempotency_key = ? AND state = ?",
                    {Name(u.state), u.response_json, u.error_class,
                     static_cast<int64_t>(u.count_attempt ? 1 : 0), Micros(Now()), tenant.value(),
                     std::string(key), Name(expected)}));
  if (changed > 0) return Status::Ok();
  GOVFLOW_ASSIGN_OR_RETURN(Effect current, GetEffect(tenant, key));
  return Aborted("effect " + std::string(key) + " is " + Name(current.state) + ", not " +
                 Name(expected));
}

Result<std::vector<Effect>> Txn::ListEffectsForRun(const TenantId& tenant, const RunId& run) {
  return MapRows<Effect>(txn_->Query(Select(kEffectColumns,
                                            "effects WHERE tenant_id = ? AND run_id = ? "
                                            "ORDER BY created_at, idempotency_key"),
                                     {tenant.value(), run.value()}),
                         ReadEffect);
}

Result<std::vector<Effect>> Txn::FindEffectsByBusinessKey(const TenantId& tenant,
                                                          const ConnectionId& connection,
                                                          std::string_view business_key) {
  return MapRows<Effect>(
      txn_->Query(Select(kEffectColumns,
                         "effects WHERE tenant_id = ? AND connection_id = ? AND business_key = ? "
                         "ORDER BY created_at, idempotency_key"),
                  {tenant.value(), connection.value(), std::string(business_key)}),
      ReadEffect);
}

Status Txn::OpenExceptionCase(const ExceptionCase& c) {
  const int64_t now = Micros(Now());
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn_->Execute("INSERT INTO exception_cases (tenant_id, case_id, run_id, step, error_class, "
                    "message, payload_json, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id, case_id) DO NOTHING",
                    {c.tenant.value(), c.id.value(), c.run.value(), c.step, c.error_class,
                     c.message, c.payload_json, Name(c.state), now, now}));
  if (inserted == 0) return AlreadyExists("exception case " + c.id.value() + " already exists");
  return Status::Ok();
}

Result<ExceptionCase> Txn::GetExceptionCase(const TenantId& tenant, const ExceptionCaseId& id) {
  return OneRow<ExceptionCase>(
      txn_->Query(Select(kExceptionColumns, "exception_cases WHERE tenant_id = ? AND case_id = ?"),
                  {tenant.value(), id.value()}),
      ReadException, "exception case " + id.value());
}

Result<std::vector<ExceptionCase>> Txn::ListExceptionCasesForRun(const TenantId& tenant,
                                                                 const RunId& run) {
  return MapRows<ExceptionCase>(
      txn_->Query(Select(kExceptionColumns,
                         "exception_cases WHERE tenant_id = ? AND run_id = ? "
                         "ORDER BY created_at, case_id"),
                  {tenant.value(), run.value()}),
      ReadException);
}

Result<std::vector<ExceptionCase>> Txn::ListExceptionCases(const TenantId& tenant,
                                                           std::optional<ExceptionState> state,
                                                           int limit) {
  if (state) {
    return MapRows<ExceptionCase>(
        txn_->Query(Select(kExceptionColumns,
                           "exception_cases WHERE tenant_id = ? AND state = ? "
                           "ORDER BY created_at, case_id LIMIT ?"),
                    {tenant.value(), Name(*state), static_cast<int64_t>(limit)}),
        ReadException);
  }
  return MapRows<ExceptionCase>(
      txn_->Query(
          Select(kExceptionColumns,
                 "exception_cases WHERE tenant_id = ? ORDER BY created_at, case_id LIMIT ?"),
          {tenant.value(), static_cast<int64_t>(limit)}),
      ReadException);
}

Status Txn::SetExceptionCaseState(const TenantId& tenant, const ExceptionCaseId& id,
                                  ExceptionState from, ExceptionState to) {
  GOVFLOW_ASSIGN_OR_RETURN(
      int64_t changed,
      txn_->Execute("UPDATE exception_cases SET state = ?, updated_at = ? "
                    "WHERE tenant_id = ? AND case_id = ? AND state = ?",
                    {Name(to), Micros(Now()), tenant.value(), id.value(), Name(from)}));
  if (changed > 0) return Status::Ok();
  GOVFLOW_ASSIGN_OR_RETURN(ExceptionCase current, GetExceptionCase(tenant, id));
  return Aborted("exception case " + id.value() + " is " + Name(current.state) + ", not " +
                 Name(from));
}

// ---- Store ------------------------------------------------------------------------------------

Result<std::string> ResolveStoreUrl(std::string_view data_dir, std::string_view store_url) {
  if (!store_url.empty()) return std::string(store_url);
  if (!data_dir.empty()) return sql::SqliteUrlForDataDir(data_dir);
  return InvalidArgument("no store given: pass --data DIR (embedded SQLite) or --store URL");
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<sql::Database> db,
                           sql::Database::Open(options.url, options.database));
  return OpenWith(std::move(db), options);
}

Result<std::unique_ptr<Store>> Store::OpenWith(std::unique_ptr<sql::Database> db,
                                               const StoreOptions& options) {
  const Clock* clock = options.clock != nullptr ? options.clock : &SystemClock::Get();
  if (options.migrate) {
    GOVFLOW_RETURN_IF_ERROR(ApplyMigrations(*db, EmbeddedMigrations(), *clock).status());
  }
  return std::unique_ptr<Store>(new Store(std::move(db), clock));
}

Result<Txn> Store::Begin(sql::TxnMode mode) {
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<sql::Transaction> txn, db_->Begin(mode));
  return Txn(std::move(txn), clock_);
}

Status Store::Transact(const std::function<Status(Txn&)>& body, int attempts) {
  Status last = Status::Ok();
  for (int i = 0; i < std::max(1, attempts); ++i) {
    GOVFLOW_ASSIGN_OR_RETURN(Txn txn, Begin());
    last = body(txn);
    if (last.ok()) last = txn.Commit();
    if (last.ok()) return last;
    (void)txn.Rollback();
    if (last.code() != StatusCode::kAborted) return last;
  }
  return last;
}

}  // namespace govflow::store
