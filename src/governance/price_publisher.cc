#include "governance/price_publisher.h"

#include <boost/json.hpp>
#include <future>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "governance/secrets.h"

namespace govflow::governance {
namespace json = boost::json;
using connect::CallFailure;
using connect::CallResult;
using connect::ErrorClass;
using connect::shopify::AdminClient;
using connect::shopify::VariantPrice;

namespace {

int64_t Micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Whether another attempt may succeed. An unknown outcome is retried too: every attempt starts
// by reading the variant, which settles whether the earlier write happened.
bool IsPermanent(const CallFailure& f) {
  return f.error_class != ErrorClass::kUnknown && !connect::IsRetryable(f.error_class);
}

CallFailure LocalFailure(ErrorClass c, std::string code, std::string message) {
  CallFailure f;
  f.error_class = c;
  f.code = std::move(code);
  f.message = std::move(message);
  return f;
}

// Runs one asynchronous client call and waits for its callback (the publisher is a background
// job; it is the one place that may block on the storefront).
template <typename T, typename Start>
CallResult<T> Await(Start start, std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<CallResult<T>>>();
  std::future<CallResult<T>> future = promise->get_future();
  start([promise](CallResult<T> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(wait) != std::future_status::ready) {
    return LocalFailure(ErrorClass::kUnknown, "no_callback",
                        "the storefront call did not finish in time");
  }
  return future.get();
}

bool SamePrice(std::string_view a, int64_t cents) {
  auto parsed = ParsePriceCents(a);
  return parsed.ok() && *parsed == cents;
}

bool CompareAtMatches(const std::optional<std::string>& wanted,
                      const std::optional<std::string>& actual) {
  if (!wanted) return true;  // the change leaves it alone
  if (wanted->empty()) return !actual || actual->empty();
  if (!actual) return false;
  auto a = ParsePriceCents(*wanted);
  auto b = ParsePriceCents(*actual);
  return a.ok() && b.ok() && *a == *b;
}

Status AuditPublish(store::Txn& txn, const PriceChange& c, std::string action, std::string reason,
                    json::object details) {
  details["sku"] = c.sku;
  details["variant_id"] = c.variant_id;
  details["from"] = c.old_price;
  details["to"] = c.new_price;
  details["connection"] = c.connection.value();
  AuditRecord rec;
  rec.actor = "system:price_publisher";
  rec.action = std::move(action);
  rec.object_type = std::string(kPriceChangeSubject);
  rec.object_id = c.id;
  rec.reason = std::move(reason);
  rec.after_digest = Sha256Hex(PriceChangeDiffJson(c));
  rec.details_json = CanonicalJson(json::value(std::move(details)));
  return AppendAudit(txn, c.tenant, rec).status();
}

}  // namespace

// ---- StoredStorefrontClients ------------------------------------------------------------------

StoredStorefrontClients::StoredStorefrontClients(store::Store& store, connect::HttpClient& http,
                                                 const Clock& clock, std::string master_key)
    : store_(store), http_(http), clock_(clock), master_key_(std::move(master_key)) {}

Result<AdminClient*> StoredStorefrontClients::For(const TenantId& tenant,
                                                  const ConnectionId& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(tenant.value(), connection.value());
  if (auto it = clients_.find(key); it != clients_.end()) return it->second.get();
  store::Connection c;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(c, txn.GetConnection(tenant, connection));
  }
  if (c.kind != connect::shopify::kAdminConnectorType) {
    return InvalidArgument("connection " + connection.value() + " is " + c.kind +
                           ", not shopify.admin");
  }
  boost::system::error_code ec;
  json::value config = json::parse(c.config_json.empty() ? "{}" : c.config_json, ec);
  if (ec || !config.is_object()) {
    return InvalidArgument("connection " + connection.value() + ": config is not a JSON object");
  }
  if (!c.secret_ciphertext.empty()) {
    GOVFLOW_ASSIGN_OR_RETURN(std::string opened, OpenSecret(master_key_, c.secret_ciphertext));
    json::value secrets = json::parse(opened.empty() ? "{}" : opened, ec);
    if (ec || !secrets.is_object()) {
      return InvalidArgument("connection " + connection.value() + ": secrets are not an object");
    }
    for (const auto& kv : secrets.as_object()) config.as_object()[kv.key()] = kv.value();
  }
  GOVFLOW_ASSIGN_OR_RETURN(connect::shopify::AdminConfig cfg,
                           connect::shopify::AdminConfig::FromJson(config));
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> client,
                           AdminClient::Create(std::move(cfg), http_, clock_));
  AdminClient* raw = client.get();
  clients_[key] = std::move(client);
  return raw;
}

// ---- PricePublisher ---------------------------------------------------------------------------

PricePublisher::PricePublisher(store::Store& store, StorefrontClients& clients,
                               PricePublisherOptions options)
    : store_(store), clients_(clients), options_(std::move(options)) {}

Result<PublishReport> PricePublisher::PublishDue(int limit) {
  std::vector<std::pair<TenantId, std::string>> due;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
    const int64_t now = Micros(txn.Now());
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows rows,
        txn.sql().Query("SELECT tenant_id, change_id FROM price_change_outbox WHERE "
                        "(state = 'pending' AND next_attempt_at <= ?) OR "
                        "(state = 'in_flight' AND claimed_until < ?) "
                        "ORDER BY next_attempt_at, tenant_id, change_id LIMIT ?",
                        {now, now, static_cast<int64_t>(limit)}));
    for (const auto& r : rows) due.emplace_back(TenantId(r.Text(0)), r.Text(1));
  }
  PublishReport report;
  for (const auto& [tenant, id] : due) {
    GOVFLOW_ASSIGN_OR_RETURN(Outcome o, PublishOne(tenant, id));
    switch (o) {
      case Outcome::kPublished:
        ++report.published;
        break;
      case Outcome::kAlreadyApplied:
        ++report.published;
        ++report.already_applied;
        break;
      case Outcome::kRetrying:
        ++report.retrying;
        break;
      case Outcome::kFailed:
        ++report.failed;
        break;
      case Outcome::kSkipped:
        ++report.skipped;
        break;
    }
  }
  return report;
}

Result<PricePublisher::Outcome> PricePublisher::PublishOne(const TenantId& tenant,
                                                           const std::string& change_id) {
  // 1. Claim, durably, before anything is sent.
  PriceChange change;
  int64_t attempts = 0;
  bool claimed = false;
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    const int64_t now = Micros(txn.Now());
    const int64_t until =
        now + std::chrono::duration_cast<std::chrono::microseconds>(options_.claim_for).count();
    GOVFLOW_ASSIGN_OR_RETURN(
        int64_t n,
        txn.sql().Execute(
            "UPDATE price_change_outbox SET state = 'in_flight', claimed_by = ?, "
            "claimed_until = ?, attempts = attempts + 1, updated_at = ? WHERE tenant_id = ? AND "
            "change_id = ? AND ((state = 'pending' AND next_attempt_at <= ?) OR "
            "(state = 'in_flight' AND claimed_until < ?))",
            {options_.owner, until, now, tenant.value(), change_id, now, now}));
    claimed = n == 1;
    if (!claimed) return Status::Ok();
    GOVFLOW_ASSIGN_OR_RETURN(store::sql::Rows rows,
                             txn.sql().Query("SELECT attempts FROM price_change_outbox WHERE "
                                             "tenant_id = ? AND change_id = ?",
                                             {tenant.value(), change_id}));
    attempts = rows.at(0).Int(0);
    TenantScope scope = TenantScope::ForSystem(tenant, "price_publisher");
    GOVFLOW_ASSIGN_OR_RETURN(change, GetPriceChange(txn, scope, change_id));
    return Status::Ok();
  }));
  if (!claimed) return Outcome::kSkipped;
  if (change.state != PriceChangeState::kReleased) {
    // Only released changes have outbox rows; anything else is a broken invariant: never send.
    GOVFLOW_RETURN_IF_ERROR(RecordFailure(
        tenant, change_id, attempts,
        LocalFailure(
            ErrorClass::kValidation, "not_released",
            "outbox row for a change in state " + std::string(PriceChangeStateName(change.state))),
        /*permanent=*/true));
    return Outcome::kFailed;
  }

  Result<AdminClient*> client = clients_.For(tenant, change.connection);
  if (!client.ok()) {
    GOVFLOW_RETURN_IF_ERROR(RecordFailure(
        tenant, change_id, attempts,
        LocalFailure(client.status().code() == StatusCode::kNotFound ? ErrorClass::kNotFound
                                                                     : ErrorClass::kValidation,
                     "connection", client.status().message()),
        /*permanent=*/true));
    return Outcome::kFailed;
  }

  // 2. Read before write.
  CallResult<VariantPrice> current = Await<VariantPrice>(
      [&](auto done) { (*client)->GetVariant(change.variant_id, std::move(done)); },
      options_.call_wait);
  if (!current.ok()) {
    bool permanent = IsPermanent(current.failure());
    GOVFLOW_RETURN_IF_ERROR(
        RecordFailure(tenant, change_id, attempts, current.failure(), permanent));
    return permanent ? Outcome::kFailed : Outcome::kRetrying;
  }
  const VariantPrice& before = current.value();
  bool already = SamePrice(before.price, change.new_cents) &&
                 CompareAtMatches(change.compare_at_price, before.compare_at_price);
  VariantPrice after = before;
  if (!already) {
    if (!SamePrice(before.price, change.old_cents) && !SamePrice(before.price, change.new_cents)) {
      CallFailure f =
          LocalFailure(ErrorClass::kConflict, "price_moved",
                       "the storefront price of " + change.sku + " is " + before.price +
                           ", not the approved change's starting price " + change.old_price +
                           "; not overwritten (request the change again from the current price)");
      GOVFLOW_RETURN_IF_ERROR(RecordFailure(tenant, change_id, attempts, f, /*permanent=*/true));
      return Outcome::kFailed;
    }
    // 3. Write.
    connect::shopify::VariantPriceUpdate update;
    update.variant_id = change.variant_id;
    update.price = change.new_price;
    update.compare_at_price = change.compare_at_price;
    std::string key = tenant.value() + "/price_change/" + change.id;
    CallResult<VariantPrice> written = Await<VariantPrice>(
        [&](auto done) { (*client)->UpdateVariantPrice(update, key, std::move(done)); },
        options_.call_wait);
    if (!written.ok()) {
      bool permanent = IsPermanent(written.failure());
      GOVFLOW_RETURN_IF_ERROR(
          RecordFailure(tenant, change_id, attempts, written.failure(), permanent));
      return permanent ? Outcome::kFailed : Outcome::kRetrying;
    }
    after = written.value();
    if (!SamePrice(after.price, change.new_cents)) {
      // The storefront acknowledged but holds another price: re-read and settle next time.
      GOVFLOW_RETURN_IF_ERROR(
          RecordFailure(tenant, change_id, attempts,
                        LocalFailure(ErrorClass::kUnknown, "unexpected_price",
                                     "the storefront answered with price " + after.price),
                        /*permanent=*/false));
      return Outcome::kRetrying;
    }
  }

  // 4. Record success under the claim.
  bool recorded = false;
  GOVFLOW_RETURN_IF_ERROR(store_.Transact([&](store::Txn& txn) -> Status {
    const int64_t now = Micros(txn.Now());
    GOVFLOW_ASSIGN_OR_RETURN(
        int64_t n, txn.sql().Execute("UPDATE price_change_outbox SET state = 'done', "
                                     "claimed_until = NULL, last_error_class = '', "
                                     "last_error = '', updated_at = ? WHERE tenant_id = ? AND "
                                     "change_id = ? AND state = 'in_flight' AND claimed_by = ? "
                                     "AND attempts = ?",
                                     {now, tenant.value(), change_id, options_.owner, attempts}));
    recorded = n == 1;
    if (!recorded) return Status::Ok();  // our claim expired and someone else took it over
    const std::string outcome = already ? "the storefront already had the new price"
                                        : "storefront price set to " + after.price;
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("UPDATE price_changes SET state = 'published', "
                                         "published_at = ?, updated_at = ?, outcome = ? WHERE "
                                         "tenant_id = ? AND change_id = ? AND state = 'released'",
                                         {now, now, outcome, tenant.value(), change_id})
                                .status());
    change.state = PriceChangeState::kPublished;
    json::object details;
    details["attempts"] = attempts;
    details["already_applied"] = already;
    details["storefront_price"] = after.price;
    details["storefront_updated_at"] = after.updated_at;
    return AuditPublish(txn, change, "price_change.publish", outcome, std::move(details));
  }));
  if (!recorded) return Outcome::kSkipped;
  return already ? Outcome::kAlreadyApplied : Outcome::kPublished;
}

Status PricePublisher::RecordFailure(const TenantId& tenant, const std::string& change_id,
                                     int64_t attempts, const CallFailure& failure, bool permanent) {
  const bool give_up = permanent || attempts >= options_.max_attempts;
  return store_.Transact([&](store::Txn& txn) -> Status {
    const int64_t now = Micros(txn.Now());
    std::chrono::milliseconds wait = options_.backoff_base;
    for (int64_t i = 1; i < attempts && wait < options_.backoff_max; ++i) wait *= 2;
    wait = std::min(wait, options_.backoff_max);
    if (failure.retry_after && *failure.retry_after > wait) wait = *failure.retry_after;
    const int64_t next = now + std::chrono::duration_cast<std::chrono::microseconds>(wait).count();
    const std::string error_class(connect::ErrorClassName(failure.error_class));
    const std::string message = failure.ToString();
    GOVFLOW_ASSIGN_OR_RETURN(
        int64_t n,
        txn.sql().Execute(
            "UPDATE price_change_outbox SET state = ?, claimed_until = NULL, next_attempt_at = ?, "
            "last_error_class = ?, last_error = ?, updated_at = ? WHERE tenant_id = ? AND "
            "change_id = ? AND state = 'in_flight' AND claimed_by = ? AND attempts = ?",
            {std::string(give_up ? "failed" : "pending"), next, error_class, message, now,
             tenant.value(), change_id, options_.owner, attempts}));
    if (n != 1 || !give_up) return Status::Ok();
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("UPDATE price_changes SET state = 'failed', "
                                         "updated_at = ?, outcome = ? WHERE tenant_id = ? AND "
                                         "change_id = ? AND state = 'released'",
                                         {now, message, tenant.value(), change_id})
                                .status());
    TenantScope scope = TenantScope::ForSystem(tenant, "price_publisher");
    GOVFLOW_ASSIGN_OR_RETURN(PriceChange change, GetPriceChange(txn, scope, change_id));
    json::object details;
    details["attempts"] = attempts;
    details["error_class"] = error_class;
    details["http_status"] = failure.http_status;
    GOVFLOW_RETURN_IF_ERROR(
        AuditPublish(txn, change, "price_change.publish_failed", message, std::move(details)));
    if (options_.on_failure) GOVFLOW_RETURN_IF_ERROR(options_.on_failure(txn, change, failure));
    return Status::Ok();
  });
}

}  // namespace govflow::governance
