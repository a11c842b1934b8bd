// The Store: govflow's durable state (tenants, connections, workflow versions, deliveries, runs and
// their history, external-call effects, exception cases) behind typed, tenant-scoped operations.
// Every operation on tenant data takes the TenantId and filters by it; no query reaches a row by a
// bare id (DESIGN.md invariant 4). The one cross-tenant operation is ClaimDueRuns, for the
// scheduler. Thread-safety: Store is thread-safe; a Txn belongs to one thread at a time.
#pragma once

#include <boost/json/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "store/sql.h"

namespace govflow::store {

// ---- Records ----------------------------------------------------------------------------------

struct Tenant {
  TenantId id;
  std::string display_name;
  TimePoint created_at;
};

struct Connection {
  TenantId tenant;
  ConnectionId id;                // e.g. "shop"
  std::string kind;               // e.g. "shopify.webhooks", "erp.business_central"
  std::string config_json;        // non-secret settings
  std::string secret_ciphertext;  // sealed by the caller; opaque bytes to the store
  TimePoint created_at;
  TimePoint updated_at;
};

struct WorkflowVersion {
  TenantId tenant;
  std::string name;
  int64_t version = 0;
  std::string content_hash;
  std::string source_yaml;
  TimePoint published_at;
};

enum class DeliveryStatus { kAccepted, kRejected, kDuplicate };
std::string_view DeliveryStatusName(DeliveryStatus status);

struct Delivery {
  TenantId tenant;
  DeliveryId id;
  ConnectionId connection;
  std::string webhook_id;  // the sender's delivery id (X-Shopify-Webhook-Id); "" when absent
  std::string topic;
  DeliveryStatus status = DeliveryStatus::kAccepted;
  std::string reason;          // why rejected / duplicate; "" for accepted
  std::string headers_digest;  // hex SHA-256 of the canonical headers
  std::string body;            // raw bytes as received
  TimePoint received_at;
  std::optional<RunId> run_id;             // the run an accepted delivery started
  std::optional<DeliveryId> duplicate_of;  // for duplicates: the accepted delivery
};

// What RecordDelivery did.
struct DeliveryOutcome {
  DeliveryStatus status;   // kDuplicate when an accepted delivery with the same webhook id existed
  DeliveryId delivery_id;  // the row just written
  std::optional<DeliveryId> original;  // for duplicates: the first accepted delivery
  std::optional<RunId> original_run;   // ... and the run it started
  // This very delivery id was already recorded: the unit is running again after a commit whose
  // outcome it could not know (see Committer). Nothing new was written; start nothing new.
  bool replayed = false;
};

enum class RunState { kPending, kRunning, kWaiting, kSucceeded, kFailed, kCancelled };
std::string_view RunStateName(RunState state);
bool IsTerminal(RunState state);

struct Run {
  TenantId tenant;
  RunId id;
  std::string workflow_name;
  int64_t workflow_version = 0;
  std::optional<DeliveryId> delivery_id;
  RunState state = RunState::kPending;
  std::string current_step;
  std::string input_json = "{}";
  // CreateRun indexes InputBusinessKeys(input_json); a creator that has parsed the input may give
  // them here, so that the single commit path does not parse it again.
  std::optional<std::set<std::string>> input_keys;
  std::string context_json = "{}";
  // When the run is next due (the timer). nullopt for terminal runs and runs waiting on an event.
  std::optional<TimePoint> next_wake_at;
  // Lease (set by ClaimDueRuns). lease_token grows on every claim.
  std::string lease_owner;
  int64_t lease_token = 0;
  std::optional<TimePoint> lease_expires_at;
  int64_t version = 0;  // starts at 1; grows on every update
  TimePoint created_at;
  TimePoint updated_at;
};

// Proof of ownership of a run, given by ClaimDueRuns. Writes fenced by a lease fail with kAborted
// once another claimer took the run over (the token moved on).
struct Lease {
  std::string owner;
  int64_t token = 0;
  TimePoint expires_at;
};

struct ClaimedRun {
  TenantId tenant;
  RunId run;
  Lease lease;
  int64_t version = 0;  // the run's version after the claim
};

// The mutable part of a run, written by UpdateRun.
struct RunUpdate {
  RunState state = RunState::kRunning;
  std::string current_step;
  std::string context_json;
  std::optional<TimePoint> next_wake_at;
  bool release_lease = false;  // clear the lease (the owner is done with the run for now)
};

struct RunEvent {
  TenantId tenant;
  RunId run;
  int64_t seq = 0;   // assigned by AppendRunEvent: 1, 2, 3 ... per run
  std::string kind;  // "transition", "attempt", "timer", ...
  std::string step;
  int64_t attempt = 0;
  std::string payload_json = "{}";
  TimePoint at;
};

enum class EffectState { kPending, kInFlight, kSucceeded, kFailed, kUnknown };
std::string_view EffectStateName(EffectState state);

struct Effect {
  TenantId tenant;
  std::string idempotency_key;  // derived from (tenant, run, step); unique per tenant
  RunId run;
  std::string step;
  ConnectionId connection;
  std::string business_key;  // e.g. the ERP externalDocumentNumber
  EffectState state = EffectState::kPending;
  std::string request_json = "{}";
  std::string response_json;
  std::string error_class;
  int64_t attempts = 0;
  TimePoint created_at;
  TimePoint updated_at;
};

struct EffectUpdate {
  EffectState state = EffectState::kInFlight;
  std::string response_json;
  std::string error_class;
  bool count_attempt = false;  // attempts += 1 (set when a request is about to be sent)
};

enum class ExceptionState { kOpen, kRetrying, kResolved };
std::string_view ExceptionStateName(ExceptionState state);

struct ExceptionCase {
  TenantId tenant;
  ExceptionCaseId id;
  RunId run;
  std::string step;
  std::string error_class;
  std::string message;
  std::string payload_json = "{}";
  ExceptionState state = ExceptionState::kOpen;
  TimePoint created_at;
  TimePoint updated_at;
};

// What Txn::SearchRuns looks for (every filter optional) and where a page starts. Pages are in
// (created_at, run_id) order, newest first unless oldest_first; `after` is the last run of the
// previous page (keyset pagination: stable while new runs arrive).
struct RunSearch {
  std::optional<RunState> state;
  std::string workflow;                   // "" = any workflow
  std::optional<TimePoint> created_from;  // created_at >= created_from
  std::optional<TimePoint> created_to;    // created_at < created_to
  // A business key (order id, order name or number, externalDocumentNumber); "" = any. Matched
  // exactly after NormalizeBusinessKey, through the run_keys index (migration 0013).
  std::string business_key;
  struct Position {
    TimePoint created_at;
    RunId run;
  };
  std::optional<Position> after;
  bool oldest_first = false;
  int limit = 100;
};

// The form business keys are stored and searched in: trimmed, lower case, without a leading
// '#' ("#1001" and "1001" find the same run). "" for a blank key.
std::string NormalizeBusinessKey(std::string_view key);

// The top-level members of a run's input that name its business object and make the run
// findable (Txn::CreateRun indexes them): a Shopify order's id, name and order_number, and the
// usual names of an ERP document number.
inline constexpr std::string_view kRunInputKeyFields[] = {
    "id", "name", "order_number", "number", "externalDocumentNumber", "order_id"};
// The normalised kRunInputKeyFields of a run's input (strings and integers; none unless the
// input is an object). For a caller that has the input parsed already (Run::input_keys).
std::set<std::string> InputBusinessKeys(const boost::json::value& input);

// ---- Transactions -----------------------------------------------------------------------------

// A typed transaction. Destroying it without Commit() rolls it back. Errors: kNotFound for a
// missing row (including another tenant's), kAlreadyExists for a duplicate key, kAborted for an
// optimistic-concurrency or lease conflict (re-read and retry).
class Txn {
 public:
  Txn(std::unique_ptr<sql::Transaction> txn, const Clock* clock);
  Txn(Txn&&) noexcept = default;
  Txn& operator=(Txn&&) noexcept = default;

  Status Commit();
  Status Rollback();
  // The underlying SQL transaction, for savepoints and for modules that add their own tables.
  sql::Transaction& sql() { return *txn_; }
  sql::Dialect dialect() const { return txn_->dialect(); }
  TimePoint Now() const { return clock_->Now(); }

  // Tenants and connections. Put* insert or update.
  Status PutTenant(const Tenant& tenant);
  Result<Tenant> GetTenant(const TenantId& tenant);
  Result<std::vector<Tenant>> ListTenants();
  Status PutConnection(const Connection& connection);
  Result<Connection> GetConnection(const TenantId& tenant, const ConnectionId& id);

  // Publishes an immutable workflow version. Publishing the same (name, version, hash) again is a
  // no-op; a different hash for an existing version, or an existing hash under another version,
  // is kAlreadyExists.
  Status PublishWorkflowVersion(const WorkflowVersion& version);
  Result<WorkflowVersion> GetWorkflowVersion(const TenantId& tenant, std::string_view name,
                                             int64_t version);
  Result<WorkflowVersion> GetLatestWorkflowVersion(const TenantId& tenant, std::string_view name);

  // Records an inbound delivery. An accepted delivery whose (connection, webhook_id) was already
  // accepted is stored as kDuplicate (duplicate_of set) and the outcome says so: the caller must
  // then start nothing and may answer 2xx. Recording the same delivery id again is idempotent
  // (outcome.replayed).
  Result<DeliveryOutcome> RecordDelivery(const Delivery& delivery);
  Result<Delivery> GetDelivery(const TenantId& tenant, const DeliveryId& id);
  // Newest first.
  Result<std::vector<Delivery>> ListDeliveries(const TenantId& tenant, int limit);
  // How many deliveries of the tenant have each status (statuses with none are absent).
  Result<std::map<DeliveryStatus, int64_t>> CountDeliveriesByStatus(const TenantId& tenant);

  // Creates a run at version 1 (run.version is ignored). Unleased unless run.lease_owner is set:
  // then it is created leased to that owner (lease_token, lease_expires_at as given), for a node
  // that executes the run it creates without claiming it; should that node die, the run is
  // claimable when the lease expires, like any other.
  Status CreateRun(const Run& run);
  Result<Run> GetRun(const TenantId& tenant, const RunId& id);
  Result<std::vector<Run>> ListRuns(const TenantId& tenant, std::optional<RunState> state,
                                    int limit);
  // One page of the tenant's runs matching `search` (see RunSearch).
  Result<std::vector<Run>> SearchRuns(const TenantId& tenant, const RunSearch& search);
  // How many runs of the tenant are in each state (states with none are absent).
  Result<std::map<RunState, int64_t>> CountRunsByState(const TenantId& tenant);
  // Writes `update` if the run is at `expected_version` and, when `lease` is given, still held
  // under that lease (unexpired tokens only move forward, so a stale owner is fenced off).
  // Returns the new version. kNotFound if there is no such run, kAborted on a conflict.
  Result<int64_t> UpdateRun(const TenantId& tenant, const RunId& id, int64_t expected_version,
                            const RunUpdate& update, const Lease* lease = nullptr);
  // Rewrites the run's input (an exception's edit-and-retry: the one case where it changes) if
  // the run is at `expected_version`; the caller's UpdateRun then moves the version on. The
  // business keys indexed at creation are kept. kAborted if the run changed meanwhile,
  // kNotFound if there is no such run.
  Status ReplaceRunInput(const TenantId& tenant, const RunId& id, int64_t expected_version,
                         std::string_view input_json);

  // Makes a waiting run due now (e.g. its approval was decided): next_wake_at = now, version + 1.
  // Returns false when the run is not waiting (nothing changed). kNotFound if there is no such run.
  Result<bool> WakeRun(const TenantId& tenant, const RunId& id);

  // Scheduler: leases up to `limit` runs that are due (next_wake_at <= now) and not leased by
  // anyone else (or whose lease expired), to `owner` for `lease_for`. On PostgreSQL concurrent
  // claimers skip each other's rows (FOR UPDATE SKIP LOCKED); a run is never given to two
  // claimers with live leases. Cross-tenant by design: the result carries each run's tenant.
  Result<std::vector<ClaimedRun>> ClaimDueRuns(std::string_view owner,
                                               std::chrono::milliseconds lease_for, int limit);
  // Extends a held lease. kAborted if the lease was lost.
  Result<Lease> RenewLease(const TenantId& tenant, const RunId& id, const Lease& lease,
                           std::chrono::milliseconds lease_for);
  // Gives a lease up early (e.g. on shutdown). kAborted if it was already lost.
  Status ReleaseLease(const TenantId& tenant, const RunId& id, const Lease& lease);

  // Appends to a run's history; returns the event's seq. event.seq and event.at are assigned.
  Result<int64_t> AppendRunEvent(const RunEvent& event);
  // Appends `events` (all of tenant/run) with seqs first_seq, first_seq + 1, ... in as few
  // statements as possible (multi-row inserts); for a writer that knows the run's next seq (the
  // run's lease holder, which is its only writer). A seq already taken fails the call with
  // kAborted: someone else wrote the history, the writer's view is stale. Returns the next seq.
  Result<int64_t> AppendRunEvents(const TenantId& tenant, const RunId& run, int64_t first_seq,
                                  const std::vector<RunEvent>& events);
  // The seq the run's next event will take (1 for a run without history).
  Result<int64_t> NextRunEventSeq(const TenantId& tenant, const RunId& run);
  Result<std::vector<RunEvent>> ListRunEvents(const TenantId& tenant, const RunId& run);

  // Registers an external call under its idempotency key, or returns the one already registered
  // under that key (whatever its state): retries and restarts find the same record.
  Result<Effect> BeginEffect(const Effect& effect);
  // Registers an external call that has no record yet, in effect.state with effect.attempts, in
  // one statement; returns false (and writes nothing) when the key is already registered, so the
  // caller goes the BeginEffect way. For the common first attempt: pending -> in_flight in one
  // write instead of an insert, an index read-back and an update.
  Result<bool> CreateEffectIfAbsent(const Effect& effect);
  Result<Effect> GetEffect(const TenantId& tenant, std::string_view idempotency_key);
  // Moves an effect from `expected` to update.state. kAborted if it is no longer in `expected`.
  Result<Effect> UpdateEffect(const TenantId& tenant, std::string_view idempotency_key,
                              EffectState expected, const EffectUpdate& update);
  // UpdateEffect for a caller that does not need the record back (no read of its request and
  // response). kAborted if it is no longer in `expected`; kNotFound if there is no such effect.
  Status MoveEffect(const TenantId& tenant, std::string_view idempotency_key, EffectState expected,
                    const EffectUpdate& update);
  Result<std::vector<Effect>> ListEffectsForRun(const TenantId& tenant, const RunId& run);
  Result<std::vector<Effect>> FindEffectsByBusinessKey(const TenantId& tenant,
                                                       const ConnectionId& connection,
                                                       std::string_view business_key);

  // Exception cases. OpenExceptionCase assigns created_at/updated_at.
  Status OpenExceptionCase(const ExceptionCase& c);
  Result<ExceptionCase> GetExceptionCase(const TenantId& tenant, const ExceptionCaseId& id);
  // Oldest first.
  Result<std::vector<ExceptionCase>> ListExceptionCases(const TenantId& tenant,
                                                        std::optional<ExceptionState> state,
                                                        int limit);
  // The cases opened for `run`, oldest first.
  Result<std::vector<ExceptionCase>> ListExceptionCasesForRun(const TenantId& tenant,
                                                              const RunId& run);
  // kAborted if the case is not in `from`.
  Status SetExceptionCaseState(const TenantId& tenant, const ExceptionCaseId& id,
                               ExceptionState from, ExceptionState to);

 private:
  // Makes `run` findable by `keys` (normalised) in run_keys; existing pairs are kept.
  Status IndexRunKeys(const TenantId& tenant, const RunId& run, const std::set<std::string>& keys);

  std::unique_ptr<sql::Transaction> txn_;
  const Clock* clock_;
};

// ---- Store ------------------------------------------------------------------------------------

struct StoreOptions {
  // sqlite:///abs/path.db or postgresql://user@host:port/db (see sql::Database::Open).
  std::string url;
  sql::DatabaseOptions database;
  // Time for created_at / leases / due checks; defaults to SystemClock::Get().
  const Clock* clock = nullptr;
  // Apply embedded migrations on open.
  bool migrate = true;
};

// The store URL for the CLI's flags: `store_url` (--store) if given, else the embedded SQLite
// database in `data_dir` (--data). kInvalidArgument when both are empty.
Result<std::string> ResolveStoreUrl(std::string_view data_dir, std::string_view store_url);

class Store {
 public:
  // Opens the database and brings its schema up to date.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  // The same over an already open database (e.g. a sql::FaultInjectingDatabase in tests);
  // options.url is ignored.
  static Result<std::unique_ptr<Store>> OpenWith(std::unique_ptr<sql::Database> db,
                                                 const StoreOptions& options);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<Txn> Begin(sql::TxnMode mode = sql::TxnMode::kReadWrite);

  // Runs `body` in a transaction and commits it, retrying the whole body up to `attempts` times
  // when the body or the commit fails with kAborted (a conflict). Any other error rolls back.
  Status Transact(const std::function<Status(Txn&)>& body, int attempts = 3);

  // Tells every node that there may be new due runs (PostgreSQL NOTIFY; SQLite: this process),
  // and waits for such a signal — a hint on top of polling ClaimDueRuns. See
  // sql::Database::Notify for the semantics.
  Status NotifyWork() { return db_->Notify(kWorkChannel); }
  Result<bool> WaitForWork(std::chrono::milliseconds timeout) {
    return db_->WaitForNotification(kWorkChannel, timeout);
  }
  static constexpr std::string_view kWorkChannel = "govflow_work";

  sql::Database& database() { return *db_; }
  sql::Dialect dialect() const { return db_->dialect(); }
  const Clock& clock() const { return *clock_; }

 private:
  Store(std::unique_ptr<sql::Database> db, const Clock* clock)
      : db_(std::move(db)), clock_(clock) {}

  std::unique_ptr<sql::Database> db_;
  const Clock* clock_;
};

}  // namespace govflow::store
