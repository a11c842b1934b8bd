#include "connect/shopify/admin_client.h"

#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>
#include <utility>

#include "connect/config_reader.h"
#include "connect/http/retry_after.h"
#include "connect/http/url_encoding.h"

namespace govflow::connect::shopify {
namespace json = boost::json;
namespace {

using EC = ErrorClass;
using TE = TransportError;

// clang-format off
constexpr std::array<AdminClassificationRule, 24> kRules = {{
  // transport           reached  status      write            read             Retry-After
  // ---- no HTTP answer -------------------------------------------------------------------------
  {TE::kConnectFailed,   false,   0, 0,       EC::kTransient,  EC::kTransient,  false, "never connected: nothing was sent"},
  {TE::kInvalidRequest,  false,   0, 0,       EC::kValidation, EC::kValidation, false, "the request could not be started (bad URL)"},
  {TE::kCancelled,       false,   0, 0,       EC::kTransient,  EC::kTransient,  false, "shut down before sending"},
  {TE::kTimeout,         true,    0, 0,       EC::kUnknown,    EC::kTransient,  false, "sent, no answer in time: the price may have changed"},
  {TE::kConnectionReset, true,    0, 0,       EC::kUnknown,    EC::kTransient,  false, "sent, connection broke: the price may have changed"},
  {TE::kProtocolError,   true,    0, 0,       EC::kUnknown,    EC::kTransient,  false, "sent, garbled answer: the price may have changed"},
  {TE::kCancelled,       true,    0, 0,       EC::kUnknown,    EC::kTransient,  false, "sent, then shut down"},
  {TE::kTimeout,         false,   0, 0,       EC::kTransient,  EC::kTransient,  false, "timed out before sending"},
  {TE::kConnectionReset, false,   0, 0,       EC::kTransient,  EC::kTransient,  false, "broke before sending"},
  {TE::kProtocolError,   false,   0, 0,       EC::kTransient,  EC::kTransient,  false, "failed before sending"},
  // ---- 4xx ------------------------------------------------------------------------------------
  {TE::kNone,            false,   400, 400,   EC::kValidation, EC::kValidation, false, "malformed request"},
  {TE::kNone,            false,   401, 401,   EC::kAuth,       EC::kAuth,       false, "invalid API key or access token"},
  {TE::kNone,            false,   402, 402,   EC::kAuth,       EC::kAuth,       false, "shop frozen (payment required)"},
  {TE::kNone,            false,   403, 403,   EC::kAuth,       EC::kAuth,       false, "access scope missing (write_products)"},
  {TE::kNone,            false,   404, 404,   EC::kNotFound,   EC::kNotFound,   false, "variant (or shop) does not exist"},
  {TE::kNone,            false,   406, 406,   EC::kValidation, EC::kValidation, false, "not acceptable (Accept/format)"},
  {TE::kNone,            false,   409, 409,   EC::kConflict,   EC::kConflict,   false, "conflicting concurrent change"},
  {TE::kNone,            false,   422, 422,   EC::kValidation, EC::kValidation, false, "unprocessable: a field value is invalid (e.g. price)"},
  {TE::kNone,            false,   423, 423,   EC::kAuth,       EC::kAuth,       false, "shop locked"},
  {TE::kNone,            false,   429, 429,   EC::kThrottled,  EC::kThrottled,  true,  "call limit exceeded: wait Retry-After"},
  {TE::kNone,            false,   430, 499,   EC::kValidation, EC::kValidation, false, "other 4xx: the request is not acceptable"},
  // ---- 5xx: Shopify did not complete the request (a write is settled by reading back) --------
  {TE::kNone,            false,   500, 502,   EC::kUnknown,    EC::kTransient,  false, "server error: the write may or may not have applied"},
  {TE::kNone,            false,   503, 504,   EC::kTransient,  EC::kTransient,  true,  "unavailable / gateway timeout"},
  {TE::kNone,            false,   505, 599,   EC::kTransient,  EC::kTransient,  false, "other 5xx"},
}};
// clang-format on

bool Matches(const AdminClassificationRule& rule, const HttpResponse& r) {
  if (r.error != TE::kNone) {
    return rule.transport == r.error && rule.requires_reached == r.may_have_reached_server;
  }
  if (rule.transport != TE::kNone) return false;
  return r.status >= rule.status_min && r.status <= rule.status_max;
}

// Shopify sends Retry-After as fractional seconds ("2.0"); fall back to the RFC forms.
std::optional<std::chrono::milliseconds> ShopifyRetryAfter(std::string_view v, TimePoint now) {
  double seconds = 0;
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data(), end, seconds);
  if (ec == std::errc() && p == end && std::isfinite(seconds) && seconds >= 0) {
    return std::chrono::milliseconds(
        static_cast<int64_t>(std::ceil(std::min(seconds, 3600.0) * 1000)));
  }
  return ParseRetryAfter(v, now);
}

CallFailure Failure(EC c, std::string code, std::string message) {
  CallFailure f;
  f.error_class = c;
  f.code = std::move(code);
  f.message = std::move(message);
  return f;
}

Status FieldError(std::string_view field, std::string_view problem) {
  return InvalidArgument(std::string(kAdminConnectorType) + ": field '" + std::string(field) +
                         "': " + std::string(problem));
}

std::optional<std::string> PriceField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_number()) return json::serialize(*v);
  return std::nullopt;
}

int64_t IntField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return 0;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

VariantPrice VariantFromJson(const json::object& o) {
  VariantPrice v;
  v.variant_id = IntField(o, "id");
  v.product_id = IntField(o, "product_id");
  v.sku = StringField(o, "sku");
  v.title = StringField(o, "title");
  v.price = PriceField(o, "price").value_or("");
  v.compare_at_price = PriceField(o, "compare_at_price");
  v.updated_at = StringField(o, "updated_at");
  return v;
}

// The URL of Link: <url>; rel="next", or "".
std::string NextPageUrl(const HttpResponse& r) {
  const std::string* link = r.FindHeader("Link");
  if (link == nullptr) return "";
  std::string_view rest(*link);
  while (!rest.empty()) {
    size_t lt = rest.find('<');
    size_t gt = rest.find('>', lt == std::string_view::npos ? 0 : lt);
    if (lt == std::string_view::npos || gt == std::string_view::npos) return "";
    std::string_view url = rest.substr(lt + 1, gt - lt - 1);
    size_t comma = rest.find(',', gt);
    std::string_view params = rest.substr(
        gt + 1, comma == std::string_view::npos ? std::string_view::npos : comma - gt - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos) return std::string(url);
    if (comma == std::string_view::npos) return "";
    rest = rest.substr(comma + 1);
  }
  return "";
}

// Where a 2xx answer's JSON object lives, or a failure saying it was unreadable.
CallResult<json::object> ParseObject(const HttpResponse& r, std::string_view key,
                                     AdminRequestKind kind) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  const json::value* inner = (!ec && v.is_object()) ? v.get_object().if_contains(key) : nullptr;
  if (inner == nullptr || !inner->is_object()) {
    CallFailure f = Failure(kind == AdminRequestKind::kWrite ? EC::kUnknown : EC::kTransient,
                            "unreadable_answer",
                            "Shopify answered " + std::to_string(r.status) + " without a '" +
                                std::string(key) + "' object");
    f.http_status = r.status;
    return f;
  }
  return inner->get_object();
}

}  // namespace

std::optional<CallLimit> ParseCallLimit(std::string_view header) {
  size_t slash = header.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  CallLimit out;
  auto a = std::from_chars(header.data(), header.data() + slash, out.used);
  auto b = std::from_chars(header.data() + slash + 1, header.data() + header.size(), out.limit);
  if (a.ec != std::errc() || a.ptr != header.data() + slash || b.ec != std::errc() ||
      b.ptr != header.data() + header.size() || out.limit <= 0 || out.used < 0) {
    return std::nullopt;
  }
  return out;
}

std::string ParseAdminErrors(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const json::value* e = v.get_object().if_contains("errors");
  if (e == nullptr) e = v.get_object().if_contains("error");
  if (e == nullptr) return "";
  if (e->is_string()) return std::string(e->get_string());
  if (e->is_object()) {
    std::string out;
    for (const auto& [field, problems] : e->get_object()) {
      if (!out.empty()) out += "; ";
      out += std::string(field) + ":";
      if (problems.is_array()) {
        for (const auto& p : problems.get_array()) {
          if (p.is_string()) out += " " + std::string(p.get_string());
        }
      } else if (problems.is_string()) {
        out += " " + std::string(problems.get_string());
      }
    }
    return out;
  }
  return json::serialize(*e);
}

std::span<const AdminClassificationRule> AdminClassificationTable() {
  return kRules;
}

std::optional<CallFailure> ClassifyAdminResponse(const HttpResponse& response,
                                                 AdminRequestKind kind, TimePoint now) {
  if (response.error == TE::kNone && response.status >= 200 && response.status <= 299) {
    return std::nullopt;
  }
  const AdminClassificationRule* rule = nullptr;
  for (const auto& row : kRules) {
    if (Matches(row, response)) {
      rule = &row;
      break;
    }
  }
  CallFailure f;
  if (rule == nullptr) {
    // 1xx/3xx final answers: not an Admin API answer.
    f.error_class = kind == AdminRequestKind::kWrite ? EC::kUnknown : EC::kTransient;
    f.http_status = response.status;
    f.code = "unexpected_status";
    f.message = "Shopify answered " + std::to_string(response.status);
    return f;
  }
  f.error_class = kind == AdminRequestKind::kWrite ? rule->for_write : rule->for_read;
  if (response.error != TE::kNone) {
    f.code = std::string(TransportErrorName(response.error));
    f.message = response.error_message;
  } else {
    f.http_status = response.status;
    std::string remote = ParseAdminErrors(response.body);
    f.message = remote.empty() ? std::string(rule->why) : remote;
  }
  if (rule->honour_retry_after) {
    if (const std::string* ra = response.FindHeader("Retry-After")) {
      f.retry_after = ShopifyRetryAfter(*ra, now);
    }
  }
  return f;
}

// ---- config -----------------------------------------------------------------------------------

std::string AdminConfig::AdminUrl() const {
  std::string base = shop_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/admin/api/" + api_version;
}

Status AdminConfig::Validate() const {
  if (!IsHttpUrl(shop_url)) return FieldError("shop_url", "must be an http:// or https:// URL");
  if (shop_url.find('?') != std::string::npos || shop_url.find('#') != std::string::npos) {
    return FieldError("shop_url", "must not contain a query or fragment");
  }
  if (access_token.empty()) return FieldError("access_token", "is required");
  // YYYY-MM (Shopify's quarterly versions) or "unstable".
  bool version_ok = api_version == "unstable" ||
                    (api_version.size() == 7 && api_version[4] == '-' &&
                     std::all_of(api_version.begin(), api_version.begin() + 4, ::isdigit) &&
                     std::isdigit(static_cast<unsigned char>(api_version[5])) &&
                     std::isdigit(static_cast<unsigned char>(api_version[6])));
  if (!version_ok) return FieldError("api_version", "must look like 2026-07 (or be 'unstable')");
  if (request_timeout.count() <= 0) return FieldError("request_timeout_ms", "must be positive");
  return Status::Ok();
}

Result<AdminConfig> AdminConfig::FromJson(const json::value& config) {
  using std::chrono::milliseconds;
  ConfigReader r(std::string(kAdminConnectorType), config);
  AdminConfig c;
  c.shop_url = r.RequiredString("shop_url");
  c.access_token = r.RequiredString("access_token");
  c.api_version = r.OptionalString("api_version", c.api_version);
  c.request_timeout = r.OptionalMillis("request_timeout_ms", c.request_timeout, milliseconds(100),
                                       milliseconds(600'000));
  c.connect_timeout = r.OptionalMillis("connect_timeout_ms", c.connect_timeout, milliseconds(50),
                                       milliseconds(120'000));
  c.circuit_breaker.failure_threshold = static_cast<int>(r.OptionalInt(
      "circuit_failure_threshold", c.circuit_breaker.failure_threshold, 1, 1'000'000));
  c.circuit_breaker.cool_down =
      r.OptionalMillis("circuit_cool_down_ms", c.circuit_breaker.cool_down, milliseconds(0),
                       milliseconds(3'600'000));
  GOVFLOW_RETURN_IF_ERROR(r.Finish());
  GOVFLOW_RETURN_IF_ERROR(c.Validate());
  return c;
}

json::object VariantPriceToJson(const VariantPrice& v) {
  json::object o;
  o["id"] = v.variant_id;
  o["product_id"] = v.product_id;
  o["sku"] = v.sku;
  o["title"] = v.title;
  o["price"] = v.price;
  if (v.compare_at_price) {
    o["compare_at_price"] = *v.compare_at_price;
  } else {
    o["compare_at_price"] = nullptr;
  }
  o["updated_at"] = v.updated_at;
  return o;
}

// ---- the client -------------------------------------------------------------------------------

class AdminClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  using RawCallback = std::function<void(CallResult<HttpResponse>)>;

  Impl(AdminConfig config, HttpClient& http, const Clock& clock)
      : config_(std::move(config)),
        admin_url_(config_.AdminUrl()),
        http_(http),
        clock_(clock),
        breaker_(config_.circuit_breaker, clock) {}

  // One exchange through the breaker; `done` gets the 2xx answer or the classified failure.
  void Execute(HttpMethod method, std::string url, std::string body, std::string idempotency_key,
               AdminRequestKind kind, RawCallback done) {
    if (std::optional<std::chrono::milliseconds> wait = breaker_.Acquire()) {
      CallFailure f = Failure(EC::kTransient, "circuit_open",
                              "circuit breaker open after repeated failures; nothing was sent");
      f.retry_after = *wait;
      done(std::move(f));
      return;
    }
    HttpRequest req;
    req.method = method;
    req.url = std::move(url);
    req.body = std::move(body);
    req.timeout = config_.request_timeout;
    req.connect_timeout = config_.connect_timeout;
    req.idempotent = kind == AdminRequestKind::kRead;
    req.headers = {{"X-Shopify-Access-Token", config_.access_token},
                   {"Accept", "application/json"}};
    if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    if (!idempotency_key.empty()) req.headers.emplace_back("Idempotency-Key", idempotency_key);
    auto self = shared_from_this();
    http_.Send(std::move(req), [self, kind, done = std::move(done)](HttpResponse r) {
      if (const std::string* limit = r.FindHeader("X-Shopify-Shop-Api-Call-Limit")) {
        if (auto parsed = ParseCallLimit(*limit)) {
          std::lock_guard<std::mutex> lock(self->mu_);
          self->last_limit_ = *parsed;
        }
      }
      std::optional<CallFailure> f = ClassifyAdminResponse(r, kind, self->clock_.Now());
      CircuitBreaker::Outcome health = CircuitBreaker::Outcome::kHealthy;
      if (f) {
        if (f->error_class == EC::kTransient || f->error_class == EC::kUnknown) {
          health = CircuitBreaker::Outcome::kFailure;
        } else if (f->error_class == EC::kThrottled) {
          health = CircuitBreaker::Outcome::kNeutral;
        }
      }
      self->breaker_.Record(health);
      if (f) {
        done(std::move(*f));
      } else {
        done(std::move(r));
      }
    });
  }

  std::string VariantUrl(int64_t id) const {
    return admin_url_ + "/variants/" + std::to_string(id) + ".json";
  }

  void FindPage(std::string url, std::shared_ptr<std::string> sku, FindCallback done) {
    auto self = shared_from_this();
    Execute(HttpMethod::kGet, std::move(url), "", "", AdminRequestKind::kRead,
            [self, sku, done = std::move(done)](CallResult<HttpResponse> r) mutable {
              if (!r.ok()) return done(r.failure());
              boost::system::error_code ec;
              json::value v = json::parse(r.value().body, ec);
              const json::value* products =
                  (!ec && v.is_object()) ? v.get_object().if_contains("products") : nullptr;
              if (products == nullptr || !products->is_array()) {
                return done(Failure(EC::kTransient, "unreadable_answer",
                                    "Shopify answered products.json without a 'products' array"));
              }
              for (const auto& p : products->get_array()) {
                const json::value* variants =
                    p.is_object() ? p.get_object().if_contains("variants") : nullptr;
                if (variants == nullptr || !variants->is_array()) continue;
                for (const auto& var : variants->get_array()) {
                  if (!var.is_object()) continue;
                  VariantPrice vp = VariantFromJson(var.get_object());
                  if (vp.sku == *sku) return done(std::optional<VariantPrice>(std::move(vp)));
                }
              }
              std::string next = NextPageUrl(r.value());
              if (next.empty()) return done(std::optional<VariantPrice>());
              self->FindPage(std::move(next), sku, std::move(done));
            });
  }

  AdminConfig config_;
  const std::string admin_url_;
  HttpClient& http_;
  const Clock& clock_;
  CircuitBreaker breaker_;
  mutable std::mutex mu_;
  std::optional<CallLimit> last_limit_;  // GUARDED_BY(mu_)
};

Result<std::unique_ptr<AdminClient>> AdminClient::Create(AdminConfig config, HttpClient& http,
                                                         const Clock& clock) {
  GOVFLOW_RETURN_IF_ERROR(config.Validate());
  return std::unique_ptr<AdminClient>(
      new AdminClient(std::make_shared<Impl>(std::move(config), http, clock)));
}

AdminClient::AdminClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminClient::~AdminClient() = default;

void AdminClient::GetVariant(int64_t variant_id, VariantCallback done) {
  if (variant_id <= 0) {
    done(Failure(EC::kValidation, "invalid_variant_id", "variant id must be positive"));
    return;
  }
  impl_->Execute(HttpMethod::kGet, impl_->VariantUrl(variant_id), "", "", AdminRequestKind::kRead,
                 [done = std::move(done)](CallResult<HttpResponse> r) {
                   if (!r.ok()) return done(r.failure());
                   CallResult<json::object> o =
                       ParseObject(r.value(), "variant", AdminRequestKind::kRead);
                   if (!o.ok()) return done(o.failure());
                   done(VariantFromJson(o.value()));
                 });
}

void AdminClient::UpdateVariantPrice(VariantPriceUpdate update, std::string idempotency_key,
                                     VariantCallback done) {
  if (update.variant_id <= 0) {
    done(Failure(EC::kValidation, "invalid_variant_id", "variant id must be positive"));
    return;
  }
  if (update.price.empty()) {
    done(Failure(EC::kValidation, "missing_price", "price is required"));
    return;
  }
  json::object variant;
  variant["id"] = update.variant_id;
  variant["price"] = update.price;
  if (update.compare_at_price) {
    if (update.compare_at_price->empty()) {
      variant["compare_at_price"] = nullptr;
    } else {
      variant["compare_at_price"] = *update.compare_at_price;
    }
  }
  json::object body;
  body["variant"] = std::move(variant);
  impl_->Execute(HttpMethod::kPut, impl_->VariantUrl(update.variant_id), json::serialize(body),
                 std::move(idempotency_key), AdminRequestKind::kWrite,
                 [done = std::move(done)](CallResult<HttpResponse> r) {
                   if (!r.ok()) return done(r.failure());
                   CallResult<json::object> o =
                       ParseObject(r.value(), "variant", AdminRequestKind::kWrite);
                   if (!o.ok()) return done(o.failure());
                   done(VariantFromJson(o.value()));
                 });
}

void AdminClient::FindVariantBySku(std::string sku, FindCallback done) {
  if (sku.empty()) {
    done(Failure(EC::kValidation, "missing_sku", "sku is required"));
    return;
  }
  impl_->FindPage(
      impl_->admin_url_ + "/products.json?limit=250&fields=" + PercentEncode("id,variants"),
      std::make_shared<std::string>(std::move(sku)), std::move(done));
}

const AdminConfig& AdminClient::config() const {
  return impl_->config_;
}

std::optional<CallLimit> AdminClient::last_call_limit() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->last_limit_;
}

CircuitBreaker::State AdminClient::circuit_state() const {
  return impl_->breaker_.state();
}

// ---- the registry adapter ---------------------------------------------------------------------

namespace {
// A price PUT sets absolute values, so sending it again after an unknown outcome applies the
// same state, not a second effect: the engine may simply re-send (kNotNeeded). The price
// publisher (governance/price_publisher.h) still reads before it writes, so that it never
// overwrites a price someone changed after the request.
constexpr std::array<OperationSpec, 3> kOperations = {{
    {"get_variant", false, Deduplication::kNotNeeded, "", "variant_id"},
    {"update_variant_price", true, Deduplication::kNotNeeded, "", "variant_id"},
    {"find_variant_by_sku", false, Deduplication::kNotNeeded, "", "sku"},
}};

std::optional<int64_t> VariantIdOf(const json::object& o) {
  const json::value* v = o.if_contains("variant_id");
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_string()) {
    int64_t id = 0;
    std::string_view s = v->get_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec == std::errc() && p == s.data() + s.size()) return id;
  }
  return std::nullopt;
}
}  // namespace

Result<std::unique_ptr<AdminConnector>> AdminConnector::Create(AdminConfig config,
                                                               const ConnectorContext& context) {
  if (context.http == nullptr || context.clock == nullptr) {
    return FailedPrecondition("shopify.admin needs an HttpClient and a Clock");
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<AdminClient> client,
                           AdminClient::Create(std::move(config), *context.http, *context.clock));
  return std::unique_ptr<AdminConnector>(new AdminConnector(std::move(client)));
}

std::span<const OperationSpec> AdminConnector::operations() const {
  return kOperations;
}

std::chrono::milliseconds AdminConnector::in_flight_bound() const {
  return client_->config().request_timeout + std::chrono::seconds(5);
}

void AdminConnector::Call(ConnectorCall call, CallCallback done) {
  if (!call.payload.is_object()) {
    done(Failure(EC::kValidation, "invalid_payload",
                 call.operation + ": payload must be a JSON object"));
    return;
  }
  const json::object& p = call.payload.get_object();
  auto to_json = [done](CallResult<VariantPrice> r) {
    if (!r.ok()) return done(r.failure());
    done(json::value(VariantPriceToJson(r.value())));
  };
  if (call.operation == "get_variant" || call.operation == "update_variant_price") {
    std::optional<int64_t> id = VariantIdOf(p);
    if (!id) {
      done(Failure(EC::kValidation, "missing_variant_id",
                   call.operation + ": payload needs a numeric variant_id"));
      return;
    }
    if (call.operation == "get_variant") {
      client_->GetVariant(*id, std::move(to_json));
      return;
    }
    VariantPriceUpdate u;
    u.variant_id = *id;
    if (auto price = PriceField(p, "price")) u.price = *price;
    if (const json::value* c = p.if_contains("compare_at_price")) {
      u.compare_at_price = c->is_null() ? std::string() : PriceField(p, "compare_at_price");
    }
    client_->UpdateVariantPrice(std::move(u), std::move(call.idempotency_key), std::move(to_json));
    return;
  }
  if (call.operation == "find_variant_by_sku") {
    client_->FindVariantBySku(StringField(p, "sku"),
                              [done](CallResult<std::optional<VariantPrice>> r) {
                                if (!r.ok()) return done(r.failure());
                                json::object out;
                                out["found"] = r.value().has_value();
                                if (r.value()) out["variant"] = VariantPriceToJson(*r.value());
                                done(json::value(std::move(out)));
                              });
    return;
  }
  done(Failure(EC::kValidation, "unknown_operation",
               "shopify.admin has no operation '" + call.operation + "'"));
}

}  // namespace govflow::connect::shopify
