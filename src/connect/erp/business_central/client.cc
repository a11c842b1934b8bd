#include "connect/erp/business_central/client.h"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <utility>

#include "connect/erp/business_central/classification.h"
#include "connect/erp/business_central/token_provider.h"
#include "connect/http/url_encoding.h"
#include "connect/resilience/concurrency_limiter.h"

namespace govflow::connect::business_central {
namespace {

using RawCallback = std::function<void(CallResult<HttpResponse>)>;

struct Exchange {
  HttpMethod method = HttpMethod::kGet;
  std::string url;
  std::string body;
  std::string idempotency_key;
  RequestKind kind = RequestKind::kRead;
  RawCallback done;
};

CallFailure Failure(ErrorClass c, std::string code, std::string message) {
  CallFailure f;
  f.error_class = c;
  f.code = std::move(code);
  f.message = std::move(message);
  return f;
}

std::string StringField(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

SalesOrderRef RefFromJson(const boost::json::object& o) {
  return SalesOrderRef{StringField(o, "id"), StringField(o, "number"),
                       StringField(o, "externalDocumentNumber"), StringField(o, "status")};
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// nullopt when the key is acceptable to BC.
std::optional<CallFailure> CheckBusinessKey(std::string_view key) {
  if (key.empty()) {
    return Failure(ErrorClass::kValidation, "missing_business_key",
                   "externalDocumentNumber is required (it is the business key that prevents "
                   "duplicate sales orders)");
  }
  if (key.size() > kMaxExternalDocumentNumber) {
    return Failure(ErrorClass::kValidation, "business_key_too_long",
                   "externalDocumentNumber has " + std::to_string(key.size()) +
                       " characters; Business Central allows at most 35");
  }
  return std::nullopt;
}

}  // namespace

boost::json::object SalesOrderRefToJson(const SalesOrderRef& ref) {
  boost::json::object o;
  o["id"] = ref.id;
  o["number"] = ref.number;
  o["externalDocumentNumber"] = ref.external_document_number;
  o["status"] = ref.status;
  return o;
}

class Client::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(Config config, HttpClient& http, const Clock& clock)
      : config_(std::move(config)),
        http_(http),
        clock_(clock),
        tokens_(TokenProvider::Make(
            TokenSettings{config_.token_url, config_.client_id, config_.client_secret,
                          config_.scope, config_.token_timeout, config_.connect_timeout,
                          config_.token_refresh_margin},
            http, clock)),
        breaker_(config_.circuit_breaker, clock),
        limiter_(config_.max_concurrent_requests, config_.max_queued_requests),
        company_url_(config_.CompanyUrl()) {}

  // Runs one exchange through breaker, limiter and token. `done` gets the 2xx response or the
  // classified failure.
  void Execute(std::shared_ptr<Exchange> ex) {
    if (std::optional<std::chrono::milliseconds> wait = breaker_.Acquire()) {
      CallFailure f = Failure(ErrorClass::kTransient, "circuit_open",
                              "circuit breaker open after repeated failures; nothing was sent");
      f.retry_after = *wait;
      ex->done(std::move(f));
      return;
    }
    auto self = shared_from_this();
    const bool queued = limiter_.Submit([self, ex] { self->Attempt(ex, /*may_refresh=*/true); });
    if (!queued) {
      breaker_.Record(CircuitBreaker::Outcome::kNeutral);
      ex->done(Failure(ErrorClass::kTransient, "queue_full",
                       "too many requests waiting for this connection; nothing was sent"));
    }
  }

  std::string FindUrl(std::string_view key) const {
    return company_url_ + "/salesOrders?$filter=" +
           PercentEncode("externalDocumentNumber eq " + ODataStringLiteral(key));
  }

  Config config_;
  HttpClient& http_;
  const Clock& clock_;
  std::shared_ptr<TokenProvider> tokens_;
  CircuitBreaker breaker_;
  ConcurrencyLimiter limiter_;
  const std::string company_url_;

 private:
  void Attempt(std::shared_ptr<Exchange> ex, bool may_refresh) {
    auto self = shared_from_this();
    tokens_->Get([self, ex, may_refresh](CallResult<std::string> token) {
      if (!token.ok()) {
        self->Finish(ex, token.failure());
        return;
      }
      HttpRequest req;
      req.method = ex->method;
      req.url = ex->url;
      req.body = ex->body;
      req.timeout = self->config_.request_timeout;
      req.connect_timeout = self->config_.connect_timeout;
      req.idempotent = ex->kind == RequestKind::kRead;
      req.headers = {{"Authorization", "Bearer " + token.value()}, {"Accept", "application/json"}};
      if (!ex->body.empty()) req.headers.emplace_back("Content-Type", "application/json");
      if (!ex->idempotency_key.empty()) {
        req.headers.emplace_back("Idempotency-Key", ex->idempotency_key);
      }
      std::string used = token.value();
      self->http_.Send(std::move(req), [self, ex, may_refresh, used](HttpResponse r) {
        if (r.has_status() && r.status == 401 && may_refresh) {
          // BC authenticates before it acts, so resending after a 401 cannot duplicate.
          self->tokens_->Invalidate(used);
          self->Attempt(ex, /*may_refresh=*/false);
          return;
        }
        std::optional<CallFailure> f = Classify(r, ex->kind, self->clock_.Now());
        if (f) {
          self->Finish(ex, std::move(*f));
        } else {
          self->Finish(ex, std::move(r));
        }
      });
    });
  }

  void Finish(const std::shared_ptr<Exchange>& ex, CallResult<HttpResponse> result) {
    CircuitBreaker::Outcome health = CircuitBreaker::Outcome::kHealthy;
    if (!result.ok()) {
      switch (result.failure().error_class) {
        case ErrorClass::kTransient:
        case ErrorClass::kUnknown:
          health = CircuitBreaker::Outcome::kFailure;
          break;
        case ErrorClass::kThrottled:
          health = CircuitBreaker::Outcome::kNeutral;
          break;
        default:
          break;
      }
    }
    breaker_.Record(health);
    limiter_.Release();
    ex->done(std::move(result));
  }
};

Result<std::unique_ptr<Client>> Client::Create(Config config, HttpClient& http,
                                               const Clock& clock) {
  config.ApplyDefaults();
  GOVFLOW_RETURN_IF_ERROR(config.Validate());
  return std::unique_ptr<Client>(
      new Client(std::make_shared<Impl>(std::move(config), http, clock)));
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

void Client::CreateSalesOrder(boost::json::object sales_order, std::string idempotency_key,
                              CreateCallback done) {
  const boost::json::value* key = sales_order.if_contains("externalDocumentNumber");
  if (key != nullptr && !key->is_string()) {
    done(Failure(ErrorClass::kValidation, "invalid_business_key",
                 "externalDocumentNumber must be a string"));
    return;
  }
  if (auto bad = CheckBusinessKey(key ? std::string_view(key->get_string()) : "")) {
    done(std::move(*bad));
    return;
  }
  if (const auto* lines = sales_order.if_contains("salesOrderLines");
      lines != nullptr && !lines->is_array()) {
    done(Failure(ErrorClass::kValidation, "invalid_lines", "salesOrderLines must be an array"));
    return;
  }
  auto ex = std::make_shared<Exchange>();
  ex->method = HttpMethod::kPost;
  ex->url = impl_->company_url_ + "/salesOrders";
  ex->body = boost::json::serialize(sales_order);
  ex->idempotency_key = std::move(idempotency_key);
  ex->kind = RequestKind::kCreate;
  ex->done = [done = std::move(done)](CallResult<HttpResponse> r) {
    if (!r.ok()) {
      done(r.failure());
      return;
    }
    const HttpResponse& resp = r.value();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(resp.body, ec);
    if (ec || !v.is_object() || StringField(v.get_object(), "id").empty()) {
      // It was created (2xx) but we cannot say which order it is: settle by lookup.
      CallFailure f = Failure(ErrorClass::kUnknown, "unreadable_answer",
                              "Business Central answered " + std::to_string(resp.status) +
                                  " without a readable sales order");
      f.http_status = resp.status;
      done(std::move(f));
      return;
    }
    done(RefFromJson(v.get_object()));
  };
  impl_->Execute(std::move(ex));
}

void Client::FindSalesOrdersByExternalDocumentNumber(std::string external_document_number,
                                                     FindCallback done) {
  if (auto bad = CheckBusinessKey(external_document_number)) {
    done(std::move(*bad));
    return;
  }
  auto ex = std::make_shared<Exchange>();
  ex->method = HttpMethod::kGet;
  ex->url = impl_->FindUrl(external_document_number);
  ex->kind = RequestKind::kRead;
  ex->done = [done = std::move(done),
              key = std::move(external_document_number)](CallResult<HttpResponse> r) {
    if (!r.ok()) {
      done(r.failure());
      return;
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(r.value().body, ec);
    const boost::json::value* list =
        (!ec && v.is_object()) ? v.get_object().if_contains("value") : nullptr;
    if (list == nullptr || !list->is_array()) {
      done(Failure(ErrorClass::kTransient, "unreadable_answer",
                   "Business Central answered the lookup without a 'value' array"));
      return;
    }
    std::vector<SalesOrderRef> found;
    for (const auto& item : list->get_array()) {
      if (!item.is_object()) continue;
      SalesOrderRef ref = RefFromJson(item.get_object());
      if (EqualsIgnoreCase(ref.external_document_number, key)) found.push_back(std::move(ref));
    }
    done(std::move(found));
  };
  impl_->Execute(std::move(ex));
}

std::string Client::FindSalesOrdersUrl(std::string_view key) const {
  return impl_->FindUrl(key);
}
const Config& Client::config() const {
  return impl_->config_;
}
std::chrono::milliseconds Client::in_flight_bound() const {
  return impl_->config_.in_flight_bound;
}
CircuitBreaker::State Client::circuit_state() const {
  return impl_->breaker_.state();
}
size_t Client::token_fetches() const {
  return impl_->tokens_->fetches();
}

// ---- the registry adapter ---------------------------------------------------------------------

namespace {
constexpr std::array<OperationSpec, 2> kOperations = {{
    {"create_sales_order", true, Deduplication::kLookupByBusinessKey, "find_sales_orders",
     "externalDocumentNumber"},
    {"find_sales_orders", false, Deduplication::kNotNeeded, "", "externalDocumentNumber"},
}};
}  // namespace

Result<std::unique_ptr<Connector>> Connector::Create(Config config,
                                                     const ConnectorContext& context) {
  if (context.http == nullptr || context.clock == nullptr) {
    return FailedPrecondition("erp.business_central needs an HttpClient and a Clock");
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
                           Client::Create(std::move(config), *context.http, *context.clock));
  return std::unique_ptr<Connector>(new Connector(std::move(client)));
}

std::span<const OperationSpec> Connector::operations() const {
  return kOperations;
}

void Connector::Call(ConnectorCall call, CallCallback done) {
  if (!call.payload.is_object()) {
    done(Failure(ErrorClass::kValidation, "invalid_payload",
                 call.operation + ": payload must be a JSON object"));
    return;
  }
  if (call.operation == "create_sales_order") {
    client_->CreateSalesOrder(std::move(call.payload.get_object()), std::move(call.idempotency_key),
                              [done = std::move(done)](CallResult<SalesOrderRef> r) {
                                if (!r.ok()) {
                                  done(r.failure());
                                } else {
                                  done(boost::json::value(SalesOrderRefToJson(r.value())));
                                }
                              });
    return;
  }
  if (call.operation == "find_sales_orders") {
    const boost::json::value* key = call.payload.get_object().if_contains("externalDocumentNumber");
    if (key == nullptr || !key->is_string()) {
      done(Failure(ErrorClass::kValidation, "missing_business_key",
                   "find_sales_orders: payload needs a string externalDocumentNumber"));
      return;
    }
    client_->FindSalesOrdersByExternalDocumentNumber(
        std::string(key->get_string()),
        [done = std::move(done)](CallResult<std::vector<SalesOrderRef>> r) {
          if (!r.ok()) {
            done(r.failure());
            return;
          }
          boost::json::object out;
          boost::json::array orders;
          for (const auto& ref : r.value()) orders.push_back(SalesOrderRefToJson(ref));
          out["found"] = !orders.empty();
          out["matches"] = static_cast<int64_t>(orders.size());
          if (!orders.empty()) out["record"] = orders.front();
          out["salesOrders"] = std::move(orders);
          done(boost::json::value(std::move(out)));
        });
    return;
  }
  done(Failure(ErrorClass::kValidation, "unknown_operation",
               "erp.business_central has no operation '" + call.operation + "'"));
}

}  // namespace govflow::connect::business_central
