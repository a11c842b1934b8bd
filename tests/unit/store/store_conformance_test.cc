// The store conformance suite (see store_conformance.h): behaviour every back end must have.
#include "unit/store/store_conformance.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/committer.h"
#include "store/migrations.h"

namespace govflow::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TenantId kAcme("acme");
const TenantId kGlobex("globex");
const ConnectionId kShop("shop");

const Status& StatusOf(const Status& s) {
  return s;
}
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}
#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const auto& r_ = (expr);                                \
    const ::govflow::Status& s_ = StatusOf(r_);             \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)

template <typename T>
T ValueOrDie(Result<T> r, const char* what) {
  EXPECT_TRUE(r.ok()) << what << ": " << r.status().ToString();
  if (!r.ok()) std::abort();
  return std::move(r).value();
}
#define VALUE(expr) ValueOrDie((expr), #expr)
#define EXPECT_OK(expr)                                     \
  do {                                                      \
    const auto& r_ = (expr);                                \
    const ::govflow::Status& s_ = StatusOf(r_);             \
    EXPECT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)

Delivery NewDelivery(const TenantId& tenant, const std::string& id, const std::string& webhook_id) {
  Delivery d;
  d.tenant = tenant;
  d.id = DeliveryId(id);
  d.connection = kShop;
  d.webhook_id = webhook_id;
  d.topic = "orders/create";
  d.status = DeliveryStatus::kAccepted;
  d.headers_digest = "ab12";
  d.body = R"({"id": 1})";
  d.received_at = TimePoint(seconds(1'800'000'000));
  return d;
}

}  // namespace

std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

void StoreConformanceTest::SetUp() {
  Result<std::string> url = GetParam().fresh_database_url();
  if (!url.ok()) GTEST_SKIP() << GetParam().name << " unavailable: " << url.status().message();
  url_ = *url;
  StoreOptions options;
  options.url = url_;
  options.clock = &clock_;
  Result<std::unique_ptr<Store>> store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  constexpr std::string_view kSqlite = "sqlite://";
  if (url_.starts_with(kSqlite)) {
    std::filesystem::path dir = std::filesystem::path(url_.substr(kSqlite.size())).parent_path();
    if (dir.filename().string().starts_with("govflow-store-")) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
}

std::unique_ptr<Store> StoreConformanceTest::OpenAnother() {
  StoreOptions options;
  options.url = url_;
  options.clock = &clock_;
  return VALUE(Store::Open(options));
}

std::unique_ptr<Store> StoreConformanceTest::OpenWithFaults(sql::FaultInjectingDatabase** faults) {
  auto inner = VALUE(sql::Database::Open(url_));
  auto wrapped = std::make_unique<sql::FaultInjectingDatabase>(std::move(inner));
  *faults = wrapped.get();
  StoreOptions options;
  options.clock = &clock_;
  return VALUE(Store::OpenWith(std::move(wrapped), options));
}

void StoreConformanceTest::SeedTenant(const TenantId& tenant) {
  Status s = store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.PutTenant({tenant, "Tenant " + tenant.value(), {}}));
    GOVFLOW_RETURN_IF_ERROR(txn.PutConnection(
        {tenant, kShop, "shopify.webhooks", R"({"shop":"x"})", "sealed", {}, {}}));
    return txn.PublishWorkflowVersion(
        {tenant, "order-capture", 1, "sha256:aaa", "steps: []\n", {}});
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
}

store::Run StoreConformanceTest::NewRun(const TenantId& tenant, const std::string& id) {
  store::Run run;
  run.tenant = tenant;
  run.id = RunId(id);
  run.workflow_name = "order-capture";
  run.workflow_version = 1;
  run.state = RunState::kPending;
  run.current_step = "validate";
  run.input_json = R"({"order": 1})";
  run.next_wake_at = clock_.Now();
  return run;
}

// ---- SQL layer ----------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, SqlLayerRoundTripsTypedValues) {
  auto txn = VALUE(store_->database().Begin());
  ASSERT_OK(txn->Execute("CREATE TABLE probe (i BIGINT, d DOUBLE PRECISION, t TEXT, n TEXT)"));
  ASSERT_OK(
      txn->Execute("INSERT INTO probe (i, d, t, n) VALUES (?, ?, ?, ?)",
                   {int64_t{-9007199254740993}, 2.5, std::string("it's \"quoted\" ?"), nullptr}));
  sql::Rows rows = VALUE(
      txn->Query("SELECT i, d, t, n FROM probe WHERE t = ?", {std::string("it's \"quoted\" ?")}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), -9007199254740993);
  EXPECT_DOUBLE_EQ(rows[0].Double(1), 2.5);
  EXPECT_EQ(rows[0].Text(2), "it's \"quoted\" ?");
  EXPECT_TRUE(rows[0].IsNull(3));
  EXPECT_EQ(rows[0].OptionalText(3), std::nullopt);
  // A literal '?' inside quotes is not a placeholder.
  sql::Rows literal = VALUE(txn->Query("SELECT '?' AS q, ? AS p", {int64_t{7}}));
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(literal[0].Text(0), "?");
  EXPECT_EQ(literal[0].Int(1), 7);
}

TEST_P(StoreConformanceTest, SqlLayerMapsUniqueViolationToAlreadyExists) {
  SeedTenant(kAcme);
  auto txn = VALUE(store_->database().Begin());
  Status s = txn->Execute(
                    "INSERT INTO tenants (tenant_id, display_name, created_at) "
                    "VALUES (?, ?, ?)",
                    {kAcme.value(), std::string("again"), int64_t{0}})
                 .status();
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
}

TEST_P(StoreConformanceTest, SqlLayerSavepointContainsAFailedStatement) {
  SeedTenant(kAcme);
  auto txn = VALUE(store_->database().Begin());
  ASSERT_OK(txn->Savepoint("sp"));
  EXPECT_FALSE(txn->Execute("INSERT INTO tenants (tenant_id, display_name, created_at) "
                            "VALUES (?, ?, ?)",
                            {kAcme.value(), std::string("dup"), int64_t{0}})
                   .ok());
  ASSERT_OK(txn->RollbackToSavepoint("sp"));
  ASSERT_OK(txn->ReleaseSavepoint("sp"));
  // The transaction is still usable and commits.
  ASSERT_OK(
      txn->Execute("INSERT INTO tenants (tenant_id, display_name, created_at) "
                   "VALUES (?, ?, ?)",
                   {std::string("other"), std::string("Other"), int64_t{0}}));
  ASSERT_OK(txn->Commit());
  Txn check = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(check.GetTenant(TenantId("other"))).display_name, "Other");
}

TEST_P(StoreConformanceTest, BlobsRoundTripAllByteValues) {
  SeedTenant(kAcme);
  std::string secret;
  for (int i = 0; i < 256; ++i) secret.push_back(static_cast<char>(i));
  ASSERT_OK(store_->Transact([&](Txn& txn) {
    return txn.PutConnection(
        {kAcme, ConnectionId("erp"), "erp.business_central", "{}", secret, {}, {}});
  }));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  Connection c = VALUE(txn.GetConnection(kAcme, ConnectionId("erp")));
  EXPECT_EQ(c.secret_ciphertext, secret);
  EXPECT_EQ(c.kind, "erp.business_central");
}

// ---- Migrations ---------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, MigrationsApplyOnceAndAreIdempotent) {
  // Store::Open already applied everything; applying again does nothing.
  EXPECT_EQ(VALUE(ApplyMigrations(store_->database(), EmbeddedMigrations(), clock_)), 0);
  std::unique_ptr<Store> again = OpenAnother();
  auto txn = VALUE(store_->database().Begin(sql::TxnMode::kReadOnly));
  sql::Rows rows =
      VALUE(txn->Query("SELECT version, name FROM schema_migrations ORDER BY version"));
  ASSERT_EQ(rows.size(), EmbeddedMigrations().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].Int(0), EmbeddedMigrations()[i].version);
    EXPECT_EQ(rows[i].Text(1), EmbeddedMigrations()[i].name);
  }
  ASSERT_GE(EmbeddedMigrations().size(), 1u);
  EXPECT_EQ(EmbeddedMigrations()[0].version, 1);
}

TEST_P(StoreConformanceTest, MigrationsRefuseASchemaNewerThanTheBinary) {
  {
    auto txn = VALUE(store_->database().Begin());
    ASSERT_OK(
        txn->Execute("INSERT INTO schema_migrations (version, name, applied_at_unix_s) "
                     "VALUES (9999, 'from_the_future', 0)"));
    ASSERT_OK(txn->Commit());
  }
  Result<int> applied = ApplyMigrations(store_->database(), EmbeddedMigrations(), clock_);
  EXPECT_EQ(applied.status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreConformanceTest, FailedMigrationLeavesNoTrace) {
  const Migration broken[] = {
      {1, "0001_initial", EmbeddedMigrations()[0].sql},
      {500, "0500_broken", "CREATE TABLE half_done (x BIGINT); SELECT * FROM no_such_table;"},
  };
  Result<int> applied = ApplyMigrations(store_->database(), broken, clock_);
  EXPECT_FALSE(applied.ok());
  auto txn = VALUE(store_->database().Begin(sql::TxnMode::kReadOnly));
  EXPECT_TRUE(VALUE(txn->Query("SELECT 1 FROM schema_migrations WHERE version = 500")).empty());
  // The half-created table was rolled back with the migration.
  EXPECT_FALSE(txn->Query("SELECT x FROM half_done").ok());
}

// ---- Tenant isolation ---------------------------------------------------------------------------

TEST_P(StoreConformanceTest, TenantCannotReadOrChangeAnotherTenantsRowsById) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-1")));
    GOVFLOW_RETURN_IF_ERROR(txn.RecordDelivery(NewDelivery(kAcme, "del-1", "w-1")).status());
    GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase({kAcme,
                                                   ExceptionCaseId("case-1"),
                                                   RunId("run-1"),
                                                   "post",
                                                   "validation",
                                                   "bad sku",
                                                   "{}",
                                                   ExceptionState::kOpen,
                                                   {},
                                                   {}}));
    Effect e;
    e.tenant = kAcme;
    e.idempotency_key = "acme/run-1/post";
    e.run = RunId("run-1");
    e.step = "post";
    e.connection = ConnectionId("erp");
    e.business_key = "SO-1";
    return txn.BeginEffect(e).status();
  }));

  Txn txn = VALUE(store_->Begin());
  EXPECT_EQ(txn.GetRun(kGlobex, RunId("run-1")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(txn.GetDelivery(kGlobex, DeliveryId("del-1")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(txn.GetExceptionCase(kGlobex, ExceptionCaseId("case-1")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(txn.GetEffect(kGlobex, "acme/run-1/post").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(txn.GetConnection(kGlobex, ConnectionId("erp")).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(VALUE(txn.ListRuns(kGlobex, std::nullopt, 100)).empty());
  EXPECT_TRUE(VALUE(txn.ListDeliveries(kGlobex, 100)).empty());
  EXPECT_TRUE(VALUE(txn.ListExceptionCases(kGlobex, std::nullopt, 100)).empty());
  EXPECT_TRUE(VALUE(txn.ListRunEvents(kGlobex, RunId("run-1"))).empty());
  EXPECT_TRUE(VALUE(txn.ListEffectsForRun(kGlobex, RunId("run-1"))).empty());
  RunUpdate update;
  update.state = RunState::kFailed;
  EXPECT_EQ(txn.UpdateRun(kGlobex, RunId("run-1"), 1, update).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(txn.SetExceptionCaseState(kGlobex, ExceptionCaseId("case-1"), ExceptionState::kOpen,
                                         ExceptionState::kResolved)
                   .ok());
  // The owner still sees everything, unchanged.
  store::Run run = VALUE(txn.GetRun(kAcme, RunId("run-1")));
  EXPECT_EQ(run.state, RunState::kPending);
  EXPECT_EQ(run.version, 1);
  EXPECT_EQ(VALUE(txn.GetExceptionCase(kAcme, ExceptionCaseId("case-1"))).state,
            ExceptionState::kOpen);
}

TEST_P(StoreConformanceTest, SameIdsInTwoTenantsAreDistinctRows) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    store::Run a = NewRun(kAcme, "run-1");
    a.input_json = R"({"tenant":"acme"})";
    store::Run b = NewRun(kGlobex, "run-1");
    b.input_json = R"({"tenant":"globex"})";
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(a));
    return txn.CreateRun(b);
  }));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(txn.GetRun(kAcme, RunId("run-1"))).input_json, R"({"tenant":"acme"})");
  EXPECT_EQ(VALUE(txn.GetRun(kGlobex, RunId("run-1"))).input_json, R"({"tenant":"globex"})");
}

// ---- Deliveries ---------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, DeliveryDedupeByWebhookIdRecordsTheDuplicate) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  Txn txn = VALUE(store_->Begin());
  Delivery first = NewDelivery(kAcme, "del-1", "webhook-42");
  first.run_id = RunId("run-1");
  DeliveryOutcome o1 = VALUE(txn.RecordDelivery(first));
  EXPECT_EQ(o1.status, DeliveryStatus::kAccepted);

  DeliveryOutcome o2 = VALUE(txn.RecordDelivery(NewDelivery(kAcme, "del-2", "webhook-42")));
  EXPECT_EQ(o2.status, DeliveryStatus::kDuplicate);
  ASSERT_TRUE(o2.original.has_value());
  EXPECT_EQ(*o2.original, DeliveryId("del-1"));
  ASSERT_TRUE(o2.original_run.has_value());
  EXPECT_EQ(*o2.original_run, RunId("run-1"));

  // Recorded, with its reason: nothing is silent.
  Delivery dup = VALUE(txn.GetDelivery(kAcme, DeliveryId("del-2")));
  EXPECT_EQ(dup.status, DeliveryStatus::kDuplicate);
  EXPECT_NE(dup.reason.find("del-1"), std::string::npos) << dup.reason;
  EXPECT_EQ(dup.duplicate_of, DeliveryId("del-1"));
  EXPECT_FALSE(dup.run_id.has_value());

  // Same webhook id on another connection or another tenant is a different delivery.
  Delivery other_conn = NewDelivery(kAcme, "del-3", "webhook-42");
  other_conn.connection = ConnectionId("shop-eu");
  EXPECT_EQ(VALUE(txn.RecordDelivery(other_conn)).status, DeliveryStatus::kAccepted);
  EXPECT_EQ(VALUE(txn.RecordDelivery(NewDelivery(kGlobex, "del-4", "webhook-42"))).status,
            DeliveryStatus::kAccepted);
  ASSERT_OK(txn.Commit());

  Txn read = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(read.ListDeliveries(kAcme, 10)).size(), 3u);
  EXPECT_EQ(VALUE(read.CountDeliveriesByStatus(kAcme)),
            (std::map<DeliveryStatus, int64_t>{{DeliveryStatus::kAccepted, 2},
                                               {DeliveryStatus::kDuplicate, 1}}));
}

TEST_P(StoreConformanceTest, RejectedDeliveryIsRecordedAndDoesNotBlockTheRealOne) {
  SeedTenant(kAcme);
  Txn txn = VALUE(store_->Begin());
  Delivery bad = NewDelivery(kAcme, "del-bad", "webhook-7");
  bad.status = DeliveryStatus::kRejected;
  bad.reason = "bad signature";
  EXPECT_EQ(VALUE(txn.RecordDelivery(bad)).status, DeliveryStatus::kRejected);
  EXPECT_EQ(VALUE(txn.RecordDelivery(NewDelivery(kAcme, "del-good", "webhook-7"))).status,
            DeliveryStatus::kAccepted);
  Delivery stored = VALUE(txn.GetDelivery(kAcme, DeliveryId("del-bad")));
  EXPECT_EQ(stored.status, DeliveryStatus::kRejected);
  EXPECT_EQ(stored.reason, "bad signature");
  EXPECT_EQ(stored.body, R"({"id": 1})");
}

// ---- Workflow versions --------------------------------------------------------------------------

TEST_P(StoreConformanceTest, PublishedWorkflowVersionsAreImmutable) {
  SeedTenant(kAcme);
  Txn txn = VALUE(store_->Begin());
  // Republishing identical content is a no-op.
  ASSERT_OK(txn.PublishWorkflowVersion({kAcme, "order-capture", 1, "sha256:aaa", "x", {}}));
  EXPECT_EQ(txn.PublishWorkflowVersion({kAcme, "order-capture", 1, "sha256:bbb", "y", {}}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(txn.PublishWorkflowVersion({kAcme, "order-capture", 2, "sha256:aaa", "x", {}}).code(),
            StatusCode::kAlreadyExists);
  ASSERT_OK(txn.PublishWorkflowVersion({kAcme, "order-capture", 2, "sha256:ccc", "v2", {}}));
  WorkflowVersion latest = VALUE(txn.GetLatestWorkflowVersion(kAcme, "order-capture"));
  EXPECT_EQ(latest.version, 2);
  EXPECT_EQ(latest.source_yaml, "v2");
  EXPECT_EQ(VALUE(txn.GetWorkflowVersion(kAcme, "order-capture", 1)).source_yaml, "steps: []\n");
  EXPECT_EQ(txn.GetLatestWorkflowVersion(kGlobex, "order-capture").status().code(),
            StatusCode::kNotFound);
}

// ---- Runs ---------------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, RunUpdateDetectsOptimisticConcurrencyConflict) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) { return txn.CreateRun(NewRun(kAcme, "run-1")); }));
  EXPECT_EQ(
      store_->Transact([&](Txn& txn) { return txn.CreateRun(NewRun(kAcme, "run-1")); }).code(),
      StatusCode::kAlreadyExists);

  // Two workers read version 1.
  store::Run seen_by_a =
      VALUE(VALUE(store_->Begin(sql::TxnMode::kReadOnly)).GetRun(kAcme, RunId("run-1")));
  store::Run seen_by_b = seen_by_a;
  ASSERT_EQ(seen_by_a.version, 1);

  RunUpdate a;
  a.state = RunState::kWaiting;
  a.current_step = "post";
  a.context_json = R"({"by":"a"})";
  a.next_wake_at = clock_.Now() + seconds(30);
  {
    Txn txn = VALUE(store_->Begin());
    EXPECT_EQ(VALUE(txn.UpdateRun(kAcme, RunId("run-1"), seen_by_a.version, a)), 2);
    ASSERT_OK(txn.Commit());
  }
  RunUpdate b;
  b.state = RunState::kFailed;
  b.context_json = R"({"by":"b"})";
  {
    Txn txn = VALUE(store_->Begin());
    Result<int64_t> r = txn.UpdateRun(kAcme, RunId("run-1"), seen_by_b.version, b);
    EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
  }
  Txn txn = VALUE(store_->Begin());
  store::Run now = VALUE(txn.GetRun(kAcme, RunId("run-1")));
  EXPECT_EQ(now.version, 2);
  EXPECT_EQ(now.state, RunState::kWaiting);
  EXPECT_EQ(now.current_step, "post");
  EXPECT_EQ(now.context_json, R"({"by":"a"})");
  EXPECT_EQ(now.next_wake_at, clock_.Now() + seconds(30));
  EXPECT_EQ(txn.UpdateRun(kAcme, RunId("missing"), 1, b).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, RunHistoryIsAppendOnlyAndOrdered) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-1")));
    for (int i = 0; i < 3; ++i) {
      RunEvent e;
      e.tenant = kAcme;
      e.run = RunId("run-1");
      e.kind = i == 1 ? "attempt" : "transition";
      e.step = "step-" + std::to_string(i);
      e.attempt = i;
      Result<int64_t> seq = txn.AppendRunEvent(e);
      if (!seq.ok()) return seq.status();
      if (*seq != i + 1) return Internal("unexpected seq " + std::to_string(*seq));
    }
    return Status::Ok();
  }));
  std::vector<RunEvent> events =
      VALUE(VALUE(store_->Begin(sql::TxnMode::kReadOnly)).ListRunEvents(kAcme, RunId("run-1")));
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].seq, i + 1);
    EXPECT_EQ(events[i].step, "step-" + std::to_string(i));
    EXPECT_EQ(events[i].attempt, i);
  }
  EXPECT_EQ(events[1].kind, "attempt");
}

TEST_P(StoreConformanceTest, AppendRunEventsWritesKnownSeqsInOrderAndRefusesATakenSeq) {
  SeedTenant(kAcme);
  auto event = [](const std::string& step) {
    RunEvent e;
    e.tenant = kAcme;
    e.run = RunId("run-1");
    e.kind = "step";
    e.step = step;
    e.payload_json = R"({"outcome":"ok"})";
    return e;
  };
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-1")));
    GOVFLOW_ASSIGN_OR_RETURN(int64_t next, txn.NextRunEventSeq(kAcme, RunId("run-1")));
    if (next != 1) return Internal("a new run's next seq is " + std::to_string(next));
    // 11 events: chunks of 8, 2 and 1 rows.
    std::vector<RunEvent> events;
    for (int i = 0; i < 11; ++i) events.push_back(event("s" + std::to_string(i)));
    GOVFLOW_ASSIGN_OR_RETURN(next, txn.AppendRunEvents(kAcme, RunId("run-1"), 1, events));
    if (next != 12) return Internal("next seq after 11 events is " + std::to_string(next));
    GOVFLOW_ASSIGN_OR_RETURN(next, txn.NextRunEventSeq(kAcme, RunId("run-1")));
    if (next != 12) return Internal("stored next seq is " + std::to_string(next));
    // The one-by-one append goes on after them.
    GOVFLOW_ASSIGN_OR_RETURN(int64_t seq, txn.AppendRunEvent(event("after")));
    if (seq != 12) return Internal("one-by-one append got seq " + std::to_string(seq));
    return Status::Ok();
  }));
  std::vector<RunEvent> events =
      VALUE(VALUE(store_->Begin(sql::TxnMode::kReadOnly)).ListRunEvents(kAcme, RunId("run-1")));
  ASSERT_EQ(events.size(), 12u);
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(events[i].seq, i + 1);
    EXPECT_EQ(events[i].step, "s" + std::to_string(i));
    EXPECT_EQ(events[i].payload_json, R"({"outcome":"ok"})");
  }
  // A writer with a stale idea of the next seq (someone else appended) is refused, and its
  // transaction can roll back without leaving anything.
  Txn txn = VALUE(store_->Begin());
  EXPECT_EQ(txn.AppendRunEvents(kAcme, RunId("run-1"), 12, {event("stale")}).status().code(),
            StatusCode::kAborted);
  ASSERT_OK(txn.Rollback());
  EXPECT_EQ(
      VALUE(VALUE(store_->Begin(sql::TxnMode::kReadOnly)).ListRunEvents(kAcme, RunId("run-1")))
          .size(),
      12u);
}

TEST_P(StoreConformanceTest, RunCreatedLeasedIsNotClaimableUntilItsLeaseLapses) {
  SeedTenant(kAcme);
  store::Run run = NewRun(kAcme, "run-1");
  run.lease_owner = "node-a";
  run.lease_token = 1;
  run.lease_expires_at = clock_.Now() + seconds(10);
  ASSERT_OK(store_->Transact([&](Txn& txn) { return txn.CreateRun(run); }));
  store::Run stored =
      VALUE(VALUE(store_->Begin(sql::TxnMode::kReadOnly)).GetRun(kAcme, RunId("run-1")));
  EXPECT_EQ(stored.lease_owner, "node-a");
  EXPECT_EQ(stored.lease_token, 1);
  EXPECT_EQ(stored.lease_expires_at, clock_.Now() + seconds(10));
  EXPECT_EQ(stored.version, 1);
  auto claim = [&](const std::string& owner) {
    std::vector<ClaimedRun> out;
    EXPECT_OK(store_->Transact([&](Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, txn.ClaimDueRuns(owner, milliseconds(5'000), 10));
      return Status::Ok();
    }));
    return out;
  };
  EXPECT_TRUE(claim("node-b").empty()) << "the creator's lease is live";
  // The creator's lease fences its writes like a claimed one.
  Lease creator{"node-a", 1, clock_.Now() + seconds(10)};
  {
    Txn txn = VALUE(store_->Begin());
    RunUpdate update;
    update.state = RunState::kRunning;
    update.current_step = "post";
    EXPECT_EQ(VALUE(txn.UpdateRun(kAcme, RunId("run-1"), 1, update, &creator)), 2);
    ASSERT_OK(txn.Rollback());
  }
  clock_.Advance(seconds(11));  // the creator died
  std::vector<ClaimedRun> b = claim("node-b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GT(b[0].lease.token, 1);
  Txn txn = VALUE(store_->Begin());
  RunUpdate update;
  update.state = RunState::kRunning;
  EXPECT_EQ(txn.UpdateRun(kAcme, RunId("run-1"), b[0].version, update, &creator).status().code(),
            StatusCode::kAborted);
}

// ---- Leases -------------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ClaimTakesOnlyDueUnleasedRuns) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "due")));
    store::Run later = NewRun(kAcme, "later");
    later.next_wake_at = clock_.Now() + seconds(60);
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(later));
    store::Run done = NewRun(kAcme, "done");
    done.state = RunState::kSucceeded;
    done.next_wake_at.reset();
    return txn.CreateRun(done);
  }));
  std::vector<ClaimedRun> claimed;
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(claimed, txn.ClaimDueRuns("node-a", milliseconds(10'000), 10));
    return Status::Ok();
  }));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].tenant, kAcme);
  EXPECT_EQ(claimed[0].run, RunId("due"));
  EXPECT_EQ(claimed[0].lease.owner, "node-a");
  EXPECT_EQ(claimed[0].lease.token, 1);

  // Leased: nobody else gets it. Timer fires: "later" becomes due.
  clock_.Advance(seconds(61));
  std::vector<ClaimedRun> second;
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(second, txn.ClaimDueRuns("node-b", milliseconds(10'000), 10));
    return Status::Ok();
  }));
  // 61 s > 10 s lease: "due" is free again, "later" is due now.
  std::set<std::string> ids;
  for (const ClaimedRun& c : second) ids.insert(c.run.value());
  EXPECT_EQ(ids, (std::set<std::string>{"due", "later"}));
}

TEST_P(StoreConformanceTest, StaleLeaseHolderIsFencedOff) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) { return txn.CreateRun(NewRun(kAcme, "run-1")); }));
  auto claim = [&](const std::string& owner) {
    std::vector<ClaimedRun> out;
    Status s = store_->Transact([&](Txn& txn) -> Status {
      GOVFLOW_ASSIGN_OR_RETURN(out, txn.ClaimDueRuns(owner, milliseconds(5'000), 10));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  };
  std::vector<ClaimedRun> a = claim("node-a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(claim("node-b").empty());  // lease is live

  clock_.Advance(seconds(6));  // node-a stalls past its lease
  std::vector<ClaimedRun> b = claim("node-b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GT(b[0].lease.token, a[0].lease.token);

  RunUpdate update;
  update.state = RunState::kRunning;
  update.current_step = "post";
  Txn txn = VALUE(store_->Begin());
  // node-a wakes up with the current version but an old lease: refused.
  store::Run current = VALUE(txn.GetRun(kAcme, RunId("run-1")));
  EXPECT_EQ(
      txn.UpdateRun(kAcme, RunId("run-1"), current.version, update, &a[0].lease).status().code(),
      StatusCode::kAborted);
  EXPECT_EQ(txn.RenewLease(kAcme, RunId("run-1"), a[0].lease, milliseconds(5'000)).status().code(),
            StatusCode::kAborted);
  EXPECT_EQ(txn.ReleaseLease(kAcme, RunId("run-1"), a[0].lease).code(), StatusCode::kAborted);
  // node-b's lease works.
  EXPECT_TRUE(txn.UpdateRun(kAcme, RunId("run-1"), current.version, update, &b[0].lease).ok());
  Lease renewed = VALUE(txn.RenewLease(kAcme, RunId("run-1"), b[0].lease, milliseconds(9'000)));
  EXPECT_EQ(renewed.expires_at, clock_.Now() + milliseconds(9'000));
  ASSERT_OK(txn.ReleaseLease(kAcme, RunId("run-1"), renewed));
  ASSERT_OK(txn.Commit());
}

TEST_P(StoreConformanceTest, TwoClaimersNeverBothGetARun) {
  SeedTenant(kAcme);
  constexpr int kRuns = 60;
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    for (int i = 0; i < kRuns; ++i) {
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-" + std::to_string(i))));
    }
    return Status::Ok();
  }));
  std::unique_ptr<Store> other_node = OpenAnother();
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> owners;  // run -> claimers
  std::atomic<int> errors{0};
  auto claimer = [&](Store* store, const std::string& name) {
    for (;;) {
      std::vector<ClaimedRun> got;
      Status s = store->Transact([&](Txn& txn) -> Status {
        GOVFLOW_ASSIGN_OR_RETURN(got, txn.ClaimDueRuns(name, milliseconds(60'000), 3));
        return Status::Ok();
      });
      if (!s.ok()) {
        ++errors;
        return;
      }
      if (got.empty()) return;
      std::lock_guard lock(mu);
      for (const ClaimedRun& c : got) owners[c.run.value()].push_back(name);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(claimer, i % 2 == 0 ? store_.get() : other_node.get(),
                         "node-" + std::to_string(i));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(owners.size(), static_cast<size_t>(kRuns));
  for (const auto& [run, claimers] : owners) {
    EXPECT_EQ(claimers.size(), 1u) << run << " was claimed by " << claimers.size();
  }
}

// ---- Effects ------------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, IdempotencyKeyIsUniqueAndStableAcrossRetries) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  Effect e;
  e.tenant = kAcme;
  e.idempotency_key = "acme:run-1:post-order";
  e.run = RunId("run-1");
  e.step = "post-order";
  e.connection = ConnectionId("erp");
  e.business_key = "#1001";
  e.request_json = R"({"attempt":1})";
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-1")));
    Result<Effect> first = txn.BeginEffect(e);
    if (!first.ok()) return first.status();
    return txn
        .UpdateEffect(kAcme, e.idempotency_key, EffectState::kPending,
                      {EffectState::kInFlight, "", "", true})
        .status();
  }));

  // A retry after a restart registers the same key again: it gets the existing record, not a new
  // one, and sees that an attempt may be in flight.
  Effect retry = e;
  retry.request_json = R"({"attempt":2})";
  Txn txn = VALUE(store_->Begin());
  Effect found = VALUE(txn.BeginEffect(retry));
  EXPECT_EQ(found.state, EffectState::kInFlight);
  EXPECT_EQ(found.attempts, 1);
  EXPECT_EQ(found.request_json, R"({"attempt":1})");
  EXPECT_EQ(VALUE(txn.ListEffectsForRun(kAcme, RunId("run-1"))).size(), 1u);

  // Outcome unknown (timeout), then settled by a lookup of the business key.
  EXPECT_EQ(VALUE(txn.UpdateEffect(kAcme, e.idempotency_key, EffectState::kInFlight,
                                   {EffectState::kUnknown, "", "timeout", false}))
                .state,
            EffectState::kUnknown);
  EXPECT_EQ(txn.UpdateEffect(kAcme, e.idempotency_key, EffectState::kInFlight,
                             {EffectState::kSucceeded, "{}", "", false})
                .status()
                .code(),
            StatusCode::kAborted);
  Effect settled =
      VALUE(txn.UpdateEffect(kAcme, e.idempotency_key, EffectState::kUnknown,
                             {EffectState::kSucceeded, R"({"number":"SO-1"})", "", false}));
  EXPECT_EQ(settled.response_json, R"({"number":"SO-1"})");
  EXPECT_EQ(settled.attempts, 1);
  // MoveEffect: the same rule without reading the record back.
  EXPECT_EQ(txn.MoveEffect(kAcme, e.idempotency_key, EffectState::kUnknown,
                           {EffectState::kFailed, "", "transient", false})
                .code(),
            StatusCode::kAborted);
  EXPECT_EQ(txn.MoveEffect(kAcme, "acme:run-1:no-such-step", EffectState::kUnknown,
                           {EffectState::kFailed, "", "transient", false})
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(VALUE(txn.GetEffect(kAcme, e.idempotency_key)).state, EffectState::kSucceeded);
  std::vector<Effect> by_key =
      VALUE(txn.FindEffectsByBusinessKey(kAcme, ConnectionId("erp"), "#1001"));
  ASSERT_EQ(by_key.size(), 1u);
  EXPECT_EQ(by_key[0].idempotency_key, e.idempotency_key);
  EXPECT_TRUE(VALUE(txn.FindEffectsByBusinessKey(kGlobex, ConnectionId("erp"), "#1001")).empty());
  ASSERT_OK(txn.Commit());
}

TEST_P(StoreConformanceTest, CreateEffectIfAbsentRegistersOnceAndLeavesAnExistingRecordAlone) {
  SeedTenant(kAcme);
  Effect e;
  e.tenant = kAcme;
  e.idempotency_key = "acme:run-1:post-order";
  e.run = RunId("run-1");
  e.step = "post-order";
  e.connection = ConnectionId("erp");
  e.business_key = "SHOP-1001";
  e.state = EffectState::kInFlight;
  e.attempts = 1;
  e.request_json = R"({"attempt":1})";
  Txn txn = VALUE(store_->Begin());
  ASSERT_OK(txn.CreateRun(NewRun(kAcme, "run-1")));
  EXPECT_TRUE(VALUE(txn.CreateEffectIfAbsent(e)));
  Effect again = e;
  again.state = EffectState::kPending;
  again.attempts = 0;
  again.request_json = R"({"attempt":2})";
  EXPECT_FALSE(VALUE(txn.CreateEffectIfAbsent(again)));
  Effect stored = VALUE(txn.GetEffect(kAcme, e.idempotency_key));
  EXPECT_EQ(stored.state, EffectState::kInFlight);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.request_json, R"({"attempt":1})");
  // Registered in flight it is the record BeginEffect finds, and its business key is indexed
  // for run search like BeginEffect's.
  EXPECT_EQ(VALUE(txn.BeginEffect(again)).state, EffectState::kInFlight);
  EXPECT_EQ(VALUE(txn.FindEffectsByBusinessKey(kAcme, ConnectionId("erp"), "SHOP-1001")).size(),
            1u);
  RunSearch search;
  search.business_key = "SHOP-1001";
  std::vector<store::Run> found = VALUE(txn.SearchRuns(kAcme, search));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, RunId("run-1"));
  ASSERT_OK(txn.Commit());
}

// ---- Exception cases ----------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ExceptionCaseMovesOnlyFromTheExpectedState) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-1")));
    return txn.OpenExceptionCase({kAcme,
                                  ExceptionCaseId("case-1"),
                                  RunId("run-1"),
                                  "map",
                                  "unknown_item",
                                  "item SKU-9 not found",
                                  R"({"sku":"SKU-9"})",
                                  ExceptionState::kOpen,
                                  {},
                                  {}});
  }));
  Txn txn = VALUE(store_->Begin());
  EXPECT_EQ(txn.OpenExceptionCase({kAcme,
                                   ExceptionCaseId("case-1"),
                                   RunId("run-1"),
                                   "map",
                                   "x",
                                   "y",
                                   "{}",
                                   ExceptionState::kOpen,
                                   {},
                                   {}})
                .code(),
            StatusCode::kAlreadyExists);
  std::vector<ExceptionCase> open = VALUE(txn.ListExceptionCases(kAcme, ExceptionState::kOpen, 10));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].error_class, "unknown_item");
  EXPECT_EQ(open[0].payload_json, R"({"sku":"SKU-9"})");
  EXPECT_EQ(open[0].created_at, clock_.Now());
  ASSERT_OK(txn.SetExceptionCaseState(kAcme, ExceptionCaseId("case-1"), ExceptionState::kOpen,
                                      ExceptionState::kRetrying));
  EXPECT_EQ(txn.SetExceptionCaseState(kAcme, ExceptionCaseId("case-1"), ExceptionState::kOpen,
                                      ExceptionState::kResolved)
                .code(),
            StatusCode::kAborted);
  EXPECT_TRUE(VALUE(txn.ListExceptionCases(kAcme, ExceptionState::kOpen, 10)).empty());
  EXPECT_EQ(VALUE(txn.ListExceptionCases(kAcme, std::nullopt, 10)).size(), 1u);
}

// ---- Transactions -------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, RollbackLeavesNothing) {
  SeedTenant(kAcme);
  {
    Txn txn = VALUE(store_->Begin());
    ASSERT_OK(txn.CreateRun(NewRun(kAcme, "run-dropped")));
    ASSERT_OK(txn.RecordDelivery(NewDelivery(kAcme, "del-dropped", "w-dropped")).status());
    ASSERT_OK(txn.PutTenant({TenantId("ghost"), "Ghost", {}}));
    // Destroyed without Commit().
  }
  {
    Txn txn = VALUE(store_->Begin());
    ASSERT_OK(txn.CreateRun(NewRun(kAcme, "run-rolled-back")));
    ASSERT_OK(txn.Rollback());
  }
  EXPECT_FALSE(store_
                   ->Transact([&](Txn& txn) -> Status {
                     GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-failed-body")));
                     return InvalidArgument("the body changed its mind");
                   })
                   .ok());
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_TRUE(VALUE(txn.ListRuns(kAcme, std::nullopt, 10)).empty());
  EXPECT_TRUE(VALUE(txn.ListDeliveries(kAcme, 10)).empty());
  EXPECT_EQ(txn.GetTenant(TenantId("ghost")).status().code(), StatusCode::kNotFound);
  // The webhook id is free again: the dropped delivery never existed.
  ASSERT_OK(txn.Rollback());
  Txn write = VALUE(store_->Begin());
  EXPECT_EQ(VALUE(write.RecordDelivery(NewDelivery(kAcme, "del-new", "w-dropped"))).status,
            DeliveryStatus::kAccepted);
}

// ---- Group commit -------------------------------------------------------------------------------

// The unit a webhook handler submits: record the delivery and, unless it is a duplicate, start
// its run, all in one durable step.
static Committer::WriteUnit AcceptOrder(const store::Run& run, const std::string& webhook_id,
                                        std::shared_ptr<DeliveryOutcome> outcome) {
  return [run, webhook_id, outcome](Txn& txn) -> Status {
    Delivery d = NewDelivery(run.tenant, "del-" + run.id.value(), webhook_id);
    d.run_id = run.id;
    GOVFLOW_ASSIGN_OR_RETURN(*outcome, txn.RecordDelivery(d));
    if (outcome->status != DeliveryStatus::kAccepted || outcome->replayed) return Status::Ok();
    return txn.CreateRun(run);
  };
}

TEST_P(StoreConformanceTest, GroupCommitBatchesManyConcurrentSubmissions) {
  SeedTenant(kAcme);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 125;  // 1,000 submissions
  CommitterOptions options;
  options.max_delay = milliseconds(5);
  Committer committer(*store_, options);
  std::vector<std::vector<std::future<Status>>> futures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        futures[t].push_back(committer.Submit(AcceptOrder(NewRun(kAcme, "run-" + id), "w-" + id,
                                                          std::make_shared<DeliveryOutcome>())));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& per_thread : futures) {
    for (auto& f : per_thread) {
      Status s = f.get();
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }
  CommitterStats stats = committer.stats();
  EXPECT_EQ(stats.units, kThreads * kPerThread);
  EXPECT_EQ(stats.failed_units, 0);
  EXPECT_EQ(stats.failed_commits, 0);
  // Far fewer transactions than units.
  EXPECT_LE(stats.transactions, kThreads * kPerThread / 10)
      << "transactions=" << stats.transactions;
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(txn.ListRuns(kAcme, std::nullopt, 5000)).size(),
            static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(StoreConformanceTest, GroupCommitFailsOnlyTheBadUnit) {
  SeedTenant(kAcme);
  CommitterOptions options;
  options.max_delay = milliseconds(50);  // make sure all of them share one batch
  Committer committer(*store_, options);
  auto good1 = committer.Submit(
      AcceptOrder(NewRun(kAcme, "run-1"), "w-1", std::make_shared<DeliveryOutcome>()));
  // A database error mid-batch (unknown workflow version violates a foreign key) ...
  store::Run orphan = NewRun(kAcme, "run-orphan");
  orphan.workflow_version = 99;
  auto bad_db = committer.Submit([orphan](Txn& txn) { return txn.CreateRun(orphan); });
  // ... and a unit that refuses after writing.
  auto bad_logic = committer.Submit([this](Txn& txn) -> Status {
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(kAcme, "run-refused")));
    return InvalidArgument("refused");
  });
  auto good2 = committer.Submit(
      AcceptOrder(NewRun(kAcme, "run-2"), "w-2", std::make_shared<DeliveryOutcome>()));
  EXPECT_TRUE(good1.get().ok());
  EXPECT_FALSE(bad_db.get().ok());
  EXPECT_EQ(bad_logic.get().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(good2.get().ok());
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  std::vector<store::Run> runs = VALUE(txn.ListRuns(kAcme, std::nullopt, 10));
  std::set<std::string> ids;
  for (const store::Run& r : runs) ids.insert(r.id.value());
  EXPECT_EQ(ids, (std::set<std::string>{"run-1", "run-2"}));
  EXPECT_EQ(committer.stats().failed_units, 2);
}

TEST_P(StoreConformanceTest, GroupCommitReleasesCallersOnlyAfterCommit) {
  SeedTenant(kAcme);
  Committer committer(*store_);
  std::promise<bool> visible;
  committer.Submit(
      AcceptOrder(NewRun(kAcme, "run-1"), "w-1", std::make_shared<DeliveryOutcome>()),
      [&](Status s) {
        // Runs after COMMIT: a new transaction (another connection) sees the run.
        Result<Txn> txn = store_->Begin(sql::TxnMode::kReadOnly);
        visible.set_value(s.ok() && txn.ok() && txn->GetRun(kAcme, RunId("run-1")).ok());
      });
  EXPECT_TRUE(visible.get_future().get());
}

TEST_P(StoreConformanceTest, GroupCommitDedupesRedeliveriesInTheSameBatch) {
  SeedTenant(kAcme);
  CommitterOptions options;
  options.max_delay = milliseconds(50);
  Committer committer(*store_, options);
  auto first_outcome = std::make_shared<DeliveryOutcome>();
  auto second_outcome = std::make_shared<DeliveryOutcome>();
  auto first = committer.Submit(AcceptOrder(NewRun(kAcme, "run-a"), "w-same", first_outcome));
  auto second = committer.Submit(AcceptOrder(NewRun(kAcme, "run-b"), "w-same", second_outcome));
  ASSERT_OK(first.get());
  ASSERT_OK(second.get());
  EXPECT_EQ(first_outcome->status, DeliveryStatus::kAccepted);
  EXPECT_EQ(second_outcome->status, DeliveryStatus::kDuplicate);
  EXPECT_EQ(second_outcome->original_run, RunId("run-a"));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(txn.ListRuns(kAcme, std::nullopt, 10)).size(), 1u);
  EXPECT_EQ(VALUE(txn.ListDeliveries(kAcme, 10)).size(), 2u);
}

TEST_P(StoreConformanceTest, CommitterStopCommitsWhatWasSubmittedAndRefusesMore) {
  SeedTenant(kAcme);
  auto committer = std::make_unique<Committer>(*store_);
  std::vector<std::future<Status>> futures;
  for (int i = 0; i < 20; ++i) {
    const std::string id = std::to_string(i);
    futures.push_back(committer->Submit(
        AcceptOrder(NewRun(kAcme, "run-" + id), "w-" + id, std::make_shared<DeliveryOutcome>())));
  }
  committer->Stop();
  for (auto& f : futures) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(committer->Submit([](Txn&) { return Status::Ok(); }).get().code(),
            StatusCode::kUnavailable);
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(txn.ListRuns(kAcme, std::nullopt, 100)).size(), 20u);
}

TEST_P(StoreConformanceTest, GroupCommitRetriesUnitsAloneWhenTheBatchCommitFails) {
  SeedTenant(kAcme);
  sql::FaultInjectingDatabase* faults = nullptr;
  std::unique_ptr<Store> store = OpenWithFaults(&faults);
  faults->FailNth(sql::FaultInjectingDatabase::Op::kCommit, 1, Unavailable("connection reset"));
  CommitterOptions options;
  options.max_delay = milliseconds(50);
  Committer committer(*store, options);
  std::vector<std::future<Status>> futures;
  for (int i = 0; i < 10; ++i) {
    const std::string id = std::to_string(i);
    futures.push_back(committer.Submit(
        AcceptOrder(NewRun(kAcme, "run-" + id), "w-" + id, std::make_shared<DeliveryOutcome>())));
  }
  for (auto& f : futures) EXPECT_TRUE(f.get().ok());
  CommitterStats stats = committer.stats();
  EXPECT_EQ(stats.failed_commits, 1);
  EXPECT_EQ(stats.failed_units, 0);
  EXPECT_GE(stats.transactions, 11);  // the failed batch, then each unit alone
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  EXPECT_EQ(VALUE(txn.ListRuns(kAcme, std::nullopt, 100)).size(), 10u);
  EXPECT_EQ(VALUE(txn.ListDeliveries(kAcme, 100)).size(), 10u);
}

TEST_P(StoreConformanceTest, GroupCommitSurvivesACommitWhoseReplyWasLost) {
  // The batch commits but the committer is told it failed (e.g. the connection dropped during
  // COMMIT). The batch's commit marker shows it is durable: callers get success and no unit runs
  // again (running them again would start a second run or report a false duplicate).
  SeedTenant(kAcme);
  sql::FaultInjectingDatabase* faults = nullptr;
  std::unique_ptr<Store> store = OpenWithFaults(&faults);
  faults->FailNth(sql::FaultInjectingDatabase::Op::kCommitLost, 1, Unavailable("reply lost"));
  CommitterOptions options;
  options.max_delay = milliseconds(50);
  Committer committer(*store, options);
  auto accepted = std::make_shared<DeliveryOutcome>();
  auto redelivered = std::make_shared<DeliveryOutcome>();
  auto f1 = committer.Submit(AcceptOrder(NewRun(kAcme, "run-1"), "w-1", accepted));
  auto f2 = committer.Submit(AcceptOrder(NewRun(kAcme, "run-2"), "w-1", redelivered));
  ASSERT_OK(f1.get());
  ASSERT_OK(f2.get());
  CommitterStats stats = committer.stats();
  EXPECT_EQ(stats.failed_commits, 1);
  EXPECT_EQ(stats.transactions, 1);
  EXPECT_EQ(accepted->status, DeliveryStatus::kAccepted);
  EXPECT_FALSE(accepted->replayed);
  EXPECT_EQ(redelivered->status, DeliveryStatus::kDuplicate);
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  std::vector<store::Run> runs = VALUE(txn.ListRuns(kAcme, std::nullopt, 100));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, RunId("run-1"));
  EXPECT_EQ(VALUE(txn.ListDeliveries(kAcme, 100)).size(), 2u);
}

TEST_P(StoreConformanceTest, CommitMarkersDoNotAccumulate) {
  SeedTenant(kAcme);
  Committer committer(*store_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(committer.SubmitAndWait([](Txn&) { return Status::Ok(); }));
  }
  auto txn = VALUE(store_->database().Begin(sql::TxnMode::kReadOnly));
  sql::Rows rows = VALUE(txn->Query("SELECT COUNT(*) FROM commit_markers"));
  EXPECT_EQ(rows[0].Int(0), 1);  // only the latest batch's
}

TEST_P(StoreConformanceTest, GroupCommitFailsEveryUnitWhileTheStoreIsDownAndRecovers) {
  SeedTenant(kAcme);
  sql::FaultInjectingDatabase* faults = nullptr;
  std::unique_ptr<Store> store = OpenWithFaults(&faults);
  faults->FailNth(sql::FaultInjectingDatabase::Op::kBegin, 1, Unavailable("database down"),
                  /*times=*/0);
  Committer committer(*store);
  std::vector<std::future<Status>> futures;
  for (int i = 0; i < 5; ++i) {
    const std::string id = std::to_string(i);
    futures.push_back(committer.Submit(
        AcceptOrder(NewRun(kAcme, "run-" + id), "w-" + id, std::make_shared<DeliveryOutcome>())));
  }
  for (auto& f : futures) EXPECT_EQ(f.get().code(), StatusCode::kUnavailable);
  faults->Clear();
  ASSERT_OK(committer.SubmitAndWait(
      AcceptOrder(NewRun(kAcme, "run-after"), "w-after", std::make_shared<DeliveryOutcome>())));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  std::map<RunState, int64_t> counts = VALUE(txn.CountRunsByState(kAcme));
  EXPECT_EQ(counts, (std::map<RunState, int64_t>{{RunState::kPending, 1}}));
}

TEST_P(StoreConformanceTest, ConcurrentTransactionsAcceptAWebhookIdOnlyOnce) {
  SeedTenant(kAcme);
  std::unique_ptr<Store> other_node = OpenAnother();
  std::promise<void> first_recorded;
  std::vector<DeliveryOutcome> outcomes(2);
  std::thread first([&] {
    Txn txn = VALUE(store_->Begin());
    outcomes[0] = VALUE(txn.RecordDelivery(NewDelivery(kAcme, "del-1", "w-race")));
    first_recorded.set_value();
    // Hold the uncommitted row while the other transaction tries the same webhook id.
    std::this_thread::sleep_for(milliseconds(200));
    ASSERT_OK(txn.Commit());
  });
  first_recorded.get_future().wait();
  {
    Txn txn =
        VALUE(other_node->Begin());  // SQLite: waits for the writer; PostgreSQL: the insert waits
    outcomes[1] = VALUE(txn.RecordDelivery(NewDelivery(kAcme, "del-2", "w-race")));
    ASSERT_OK(txn.Commit());
  }
  first.join();
  EXPECT_EQ(outcomes[0].status, DeliveryStatus::kAccepted);
  EXPECT_EQ(outcomes[1].status, DeliveryStatus::kDuplicate);
  EXPECT_EQ(outcomes[1].original, DeliveryId("del-1"));
}

TEST_P(StoreConformanceTest, RecordingTheSameDeliveryAgainIsAReplay) {
  SeedTenant(kAcme);
  Txn txn = VALUE(store_->Begin());
  Delivery d = NewDelivery(kAcme, "del-1", "w-1");
  EXPECT_FALSE(VALUE(txn.RecordDelivery(d)).replayed);
  DeliveryOutcome again = VALUE(txn.RecordDelivery(d));
  EXPECT_EQ(again.status, DeliveryStatus::kAccepted);
  EXPECT_TRUE(again.replayed);
  Delivery dup = NewDelivery(kAcme, "del-2", "w-1");
  EXPECT_FALSE(VALUE(txn.RecordDelivery(dup)).replayed);
  DeliveryOutcome dup_again = VALUE(txn.RecordDelivery(dup));
  EXPECT_EQ(dup_again.status, DeliveryStatus::kDuplicate);
  EXPECT_TRUE(dup_again.replayed);
  Delivery rejected = NewDelivery(kAcme, "del-3", "");
  rejected.status = DeliveryStatus::kRejected;
  rejected.reason = "body is not JSON";
  EXPECT_FALSE(VALUE(txn.RecordDelivery(rejected)).replayed);
  EXPECT_TRUE(VALUE(txn.RecordDelivery(rejected)).replayed);
  EXPECT_EQ(VALUE(txn.ListDeliveries(kAcme, 10)).size(), 3u);
}

TEST_P(StoreConformanceTest, NodesWakeEachOtherWhenWorkArrives) {
  std::unique_ptr<Store> other_node = OpenAnother();
  EXPECT_FALSE(VALUE(store_->WaitForWork(milliseconds(0))));  // starts listening
  ASSERT_OK(other_node->NotifyWork());
  EXPECT_TRUE(VALUE(store_->WaitForWork(seconds(10))));
  EXPECT_FALSE(VALUE(store_->WaitForWork(milliseconds(50))));  // the signal was consumed

  std::thread notifier([&] {
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_TRUE(other_node->NotifyWork().ok());
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(VALUE(store_->WaitForWork(seconds(20))));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));  // woken, not timed out
  notifier.join();
}

TEST_P(StoreConformanceTest, AcknowledgedUnitsSurviveSigkillOfTheWriter) {
  // Invariant 1 at the store's level: a child process commits orders through the group committer
  // and reports each acknowledgement down a pipe; it is killed with SIGKILL mid-stream. Every
  // acknowledged order must be in the store afterwards, and every order must be whole (its
  // delivery and its run, or neither).
  SeedTenant(kAcme);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    StoreOptions options;
    options.url = url_;
    Result<std::unique_ptr<Store>> store = Store::Open(options);
    if (!store.ok()) _exit(2);
    Committer committer(**store);
    for (int i = 0;; ++i) {
      const std::string id = std::to_string(i);
      committer.Submit(
          AcceptOrder(NewRun(kAcme, "run-" + id), "w-" + id, std::make_shared<DeliveryOutcome>()),
          [fd = fds[1], id](Status s) {
            if (!s.ok()) return;
            const std::string line = id + "\n";
            if (write(fd, line.data(), line.size()) < 0) _exit(3);
          });
      if (i % 20 == 19) std::this_thread::sleep_for(milliseconds(1));
    }
  }
  close(fds[1]);
  std::string acked_text;
  char buf[4096];
  // Kill once a few hundred orders were acknowledged (mid-stream: more are in flight), or after
  // a few seconds on a very slow machine.
  const auto kill_at = std::chrono::steady_clock::now() + seconds(5);
  bool killed = false;
  for (;;) {
    if (!killed && (std::count(acked_text.begin(), acked_text.end(), '\n') >= 300 ||
                    std::chrono::steady_clock::now() >= kill_at)) {
      kill(pid, SIGKILL);
      killed = true;
    }
    const ssize_t n = read(fds[0], buf, sizeof buf);  // EOF once the child is gone
    if (n <= 0) break;
    acked_text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);

  std::set<std::string> acked;
  size_t start = 0;
  for (size_t nl; (nl = acked_text.find('\n', start)) != std::string::npos; start = nl + 1) {
    acked.insert("run-" + acked_text.substr(start, nl - start));
  }
  ASSERT_GT(acked.size(), 10u) << "the child acknowledged too little to test anything";

  std::unique_ptr<Store> reopened = OpenAnother();  // recovers the SQLite WAL if needed
  Txn txn = VALUE(reopened->Begin(sql::TxnMode::kReadOnly));
  std::set<std::string> runs;
  for (const store::Run& r : VALUE(txn.ListRuns(kAcme, std::nullopt, 1'000'000))) {
    runs.insert(r.id.value());
  }
  for (const std::string& id : acked) EXPECT_TRUE(runs.contains(id)) << id << " was lost";
  EXPECT_GE(runs.size(), acked.size());
  // Whole orders only: one accepted delivery per run, no orphans either way.
  std::map<DeliveryStatus, int64_t> deliveries = VALUE(txn.CountDeliveriesByStatus(kAcme));
  EXPECT_EQ(deliveries[DeliveryStatus::kAccepted], static_cast<int64_t>(runs.size()));
}

// ---- Run search (migration 0013) ----------------------------------------------------------------

std::vector<std::string> RunIds(const std::vector<store::Run>& runs) {
  std::vector<std::string> ids;
  for (const store::Run& r : runs) ids.push_back(r.id.value());
  return ids;
}

TEST_P(StoreConformanceTest, SearchRunsPagesNewestFirstWithoutGapsOrRepeats) {
  SeedTenant(kAcme);
  // Seven runs; runs 3 and 4 share a creation time, so the run id breaks the tie.
  for (int i = 1; i <= 7; ++i) {
    if (i != 4) clock_.Advance(std::chrono::seconds(1));
    ASSERT_OK(store_->Transact(
        [&](Txn& txn) { return txn.CreateRun(NewRun(kAcme, "run-" + std::to_string(i))); }));
  }
  for (bool oldest_first : {false, true}) {
    RunSearch search;
    search.limit = 3;
    search.oldest_first = oldest_first;
    std::vector<std::string> seen;
    for (int page = 0; page < 5; ++page) {
      std::vector<store::Run> runs =
          VALUE(VALUE(store_->Begin(sql::TxnMode::kReadOnly)).SearchRuns(kAcme, search));
      if (runs.empty()) break;
      for (const std::string& id : RunIds(runs)) seen.push_back(id);
      search.after = RunSearch::Position{runs.back().created_at, runs.back().id};
    }
    std::vector<std::string> expected = {"run-7", "run-6", "run-5", "run-4",
                                         "run-3", "run-2", "run-1"};
    if (oldest_first) std::reverse(expected.begin(), expected.end());
    EXPECT_EQ(seen, expected) << (oldest_first ? "oldest first" : "newest first");
  }
}

TEST_P(StoreConformanceTest, SearchRunsFiltersByStateWorkflowAndCreationTime) {
  SeedTenant(kAcme);
  const TimePoint start = clock_.Now();
  for (int i = 1; i <= 4; ++i) {
    clock_.Advance(std::chrono::seconds(10));
    store::Run run = NewRun(kAcme, "run-" + std::to_string(i));
    if (i % 2 == 0) run.state = RunState::kFailed;
    ASSERT_OK(store_->Transact([&](Txn& txn) { return txn.CreateRun(run); }));
  }
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  RunSearch failed;
  failed.state = RunState::kFailed;
  EXPECT_EQ(RunIds(VALUE(txn.SearchRuns(kAcme, failed))),
            (std::vector<std::string>{"run-4", "run-2"}));
  RunSearch window;  // [start+20s, start+40s): runs 2 and 3
  window.created_from = start + std::chrono::seconds(20);
  window.created_to = start + std::chrono::seconds(40);
  EXPECT_EQ(RunIds(VALUE(txn.SearchRuns(kAcme, window))),
            (std::vector<std::string>{"run-3", "run-2"}));
  RunSearch other_workflow;
  other_workflow.workflow = "returns";
  EXPECT_TRUE(VALUE(txn.SearchRuns(kAcme, other_workflow)).empty());
  other_workflow.workflow = "order-capture";
  EXPECT_EQ(VALUE(txn.SearchRuns(kAcme, other_workflow)).size(), 4u);
}

TEST_P(StoreConformanceTest, SearchRunsFindsARunByItsOrderNumberIdOrDocumentNumberInItsTenantOnly) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  for (const TenantId& tenant : {kAcme, kGlobex}) {
    ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
      store::Run order = NewRun(tenant, "run-order");
      order.input_json =
          R"({"id": 820982911946154508, "name": "#1001", "order_number": 1001, "note": "zz-9"})";
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(order));
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(tenant, "run-other")));
      Effect e;
      e.tenant = tenant;
      e.idempotency_key = tenant.value() + ":run-order:post";
      e.run = RunId("run-order");
      e.step = "post";
      e.connection = ConnectionId("erp");
      e.business_key = "SHOP-1001";
      return txn.BeginEffect(e).status();
    }));
  }
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  for (std::string_view key : {"1001", "#1001", " SHOP-1001 ", "shop-1001", "820982911946154508"}) {
    RunSearch search;
    search.business_key = std::string(key);
    std::vector<store::Run> runs = VALUE(txn.SearchRuns(kAcme, search));
    ASSERT_EQ(RunIds(runs), std::vector<std::string>{"run-order"}) << key;
    EXPECT_EQ(runs[0].tenant, kAcme) << key;
  }
  // Only the identifying fields are indexed, and only exact keys match.
  for (std::string_view key : {"zz-9", "100", "shop"}) {
    RunSearch search;
    search.business_key = std::string(key);
    EXPECT_TRUE(VALUE(txn.SearchRuns(kAcme, search)).empty()) << key;
  }
}

TEST_P(StoreConformanceTest, ARunsBusinessKeysGoWithTheRun) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    store::Run order = NewRun(kAcme, "run-order");
    order.input_json = R"({"name": "#2002"})";
    return txn.CreateRun(order);
  }));
  // Retention deletes a run's rows without knowing run_keys (migration 0013 cascades).
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    return txn.sql()
        .Execute("DELETE FROM runs WHERE tenant_id = ? AND run_id = ?",
                 {kAcme.value(), "run-order"})
        .status();
  }));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  sql::Rows left =
      VALUE(txn.sql().Query("SELECT COUNT(*) FROM run_keys WHERE tenant_id = ?", {kAcme.value()}));
  EXPECT_EQ(left[0].Int(0), 0);
  RunSearch search;
  search.business_key = "2002";
  EXPECT_TRUE(VALUE(txn.SearchRuns(kAcme, search)).empty());
}

TEST_P(StoreConformanceTest, ARunsInputIsWrittenOnceKeptThroughUpdatesAndGoesWithTheRun) {
  SeedTenant(kAcme);
  const std::string input = R"({"name": "#3003", "line_items": [{"sku": "SKU-1"}]})";
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    store::Run run = NewRun(kAcme, "run-in");
    run.input_json = input;
    return txn.CreateRun(run);
  }));
  // Updates write the runs row only (migration 0016): the input stays as created.
  for (int64_t version = 1; version <= 2; ++version) {
    ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
      RunUpdate u;
      u.state = RunState::kRunning;
      u.current_step = "step-" + std::to_string(version);
      u.context_json = R"({"v":)" + std::to_string(version) + "}";
      return txn.UpdateRun(kAcme, RunId("run-in"), version, u).status();
    }));
  }
  {
    Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
    EXPECT_EQ(VALUE(txn.GetRun(kAcme, RunId("run-in"))).input_json, input);
    std::vector<store::Run> listed = VALUE(txn.ListRuns(kAcme, RunState::kRunning, 10));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].input_json, input);
    EXPECT_EQ(listed[0].current_step, "step-2");
    RunSearch search;
    search.business_key = "3003";
    std::vector<store::Run> found = VALUE(txn.SearchRuns(kAcme, search));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].input_json, input);
  }
  // Deleting the run (retention's purge) takes its input with it.
  ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
    return txn.sql()
        .Execute("DELETE FROM runs WHERE tenant_id = ? AND run_id = ?", {kAcme.value(), "run-in"})
        .status();
  }));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  sql::Rows left = VALUE(
      txn.sql().Query("SELECT COUNT(*) FROM run_inputs WHERE tenant_id = ?", {kAcme.value()}));
  EXPECT_EQ(left[0].Int(0), 0);
}

TEST_P(StoreConformanceTest, ReplaceRunInputRewritesOnlyAtTheExpectedVersion) {
  SeedTenant(kAcme);
  ASSERT_OK(store_->Transact([&](Txn& txn) { return txn.CreateRun(NewRun(kAcme, "run-edit")); }));
  EXPECT_EQ(store_
                ->Transact([&](Txn& txn) {
                  return txn.ReplaceRunInput(kAcme, RunId("run-edit"), 7, R"({"stale":true})");
                })
                .code(),
            StatusCode::kAborted);
  EXPECT_EQ(store_
                ->Transact([&](Txn& txn) {
                  return txn.ReplaceRunInput(kAcme, RunId("missing"), 1, R"({})");
                })
                .code(),
            StatusCode::kNotFound);
  ASSERT_OK(store_->Transact([&](Txn& txn) {
    return txn.ReplaceRunInput(kAcme, RunId("run-edit"), 1, R"({"edited":true})");
  }));
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  store::Run run = VALUE(txn.GetRun(kAcme, RunId("run-edit")));
  EXPECT_EQ(run.input_json, R"({"edited":true})");
  EXPECT_EQ(run.version, 1);  // the caller's UpdateRun moves the version on
}

TEST_P(StoreConformanceTest, MigrationMovesInputsOfExistingRunsOutOfTheRunsRow) {
  // A database at migration 15 with a run whose input is still in the runs row.
  Result<std::string> url = GetParam().fresh_database_url();
  if (!url.ok()) GTEST_SKIP() << url.status().message();
  std::unique_ptr<sql::Database> db = VALUE(sql::Database::Open(*url));
  std::span<const Migration> all = EmbeddedMigrations();
  size_t before = 0;
  while (before < all.size() && all[before].version < 16) ++before;
  ASSERT_LT(before, all.size());
  ASSERT_EQ(VALUE(ApplyMigrations(*db, all.first(before), clock_)), static_cast<int>(before));
  {
    auto txn = VALUE(db->Begin());
    ASSERT_OK(
        txn->Execute("INSERT INTO tenants (tenant_id, display_name, created_at) VALUES ('acme', "
                     "'Acme', 0)"));
    ASSERT_OK(txn->Execute(
        "INSERT INTO workflow_versions (tenant_id, name, version, content_hash, source_yaml, "
        "published_at) VALUES ('acme', 'order-capture', 1, 'h', 'y', 0)"));
    ASSERT_OK(txn->Execute(
        "INSERT INTO runs (tenant_id, run_id, workflow_name, workflow_version, delivery_id, "
        "state, current_step, input_json, context_json, next_wake_at, lease_owner, lease_token, "
        "lease_expires_at, version, created_at, updated_at) VALUES ('acme', 'run-old', "
        "'order-capture', 1, NULL, 'succeeded', 'done', '{\"name\":\"#1001\"}', '{}', NULL, NULL, "
        "0, NULL, 3, 1, 2)"));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_EQ(VALUE(ApplyMigrations(*db, all, clock_)), static_cast<int>(all.size() - before));
  db.reset();
  StoreOptions options;
  options.url = *url;
  options.clock = &clock_;
  std::unique_ptr<Store> migrated = VALUE(Store::Open(options));
  Txn txn = VALUE(migrated->Begin(sql::TxnMode::kReadOnly));
  store::Run run = VALUE(txn.GetRun(TenantId("acme"), RunId("run-old")));
  EXPECT_EQ(run.input_json, R"({"name":"#1001"})");
  EXPECT_EQ(run.version, 3);
  EXPECT_EQ(run.state, RunState::kSucceeded);
}

TEST_P(StoreConformanceTest, ARunsExceptionCasesAreListedForItInItsTenantOnly) {
  SeedTenant(kAcme);
  SeedTenant(kGlobex);
  for (const TenantId& tenant : {kAcme, kGlobex}) {
    ASSERT_OK(store_->Transact([&](Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(tenant, "run-1")));
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(NewRun(tenant, "run-2")));
      for (const char* run : {"run-1", "run-2"}) {
        ExceptionCase c;
        c.tenant = tenant;
        c.id = ExceptionCaseId(tenant.value() + "-case-" + run);
        c.run = RunId(run);
        c.step = "post";
        c.error_class = "rejected";
        c.message = "bad sku";
        GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase(c));
      }
      return Status::Ok();
    }));
  }
  Txn txn = VALUE(store_->Begin(sql::TxnMode::kReadOnly));
  std::vector<ExceptionCase> cases = VALUE(txn.ListExceptionCasesForRun(kAcme, RunId("run-2")));
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].id.value(), "acme-case-run-2");
  EXPECT_TRUE(VALUE(txn.ListExceptionCasesForRun(kAcme, RunId("run-9"))).empty());
}

}  // namespace govflow::store::testing
