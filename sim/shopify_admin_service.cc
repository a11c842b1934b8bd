#include "sim/shopify_admin_service.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "sim/catalogue.h"

namespace govflow::sim {
namespace json = boost::json;
namespace {

std::string Cents(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

// Shopify accepts "19.99", "19.9", "20" and numbers; nullopt for anything else or negatives.
std::optional<int64_t> ParseCents(const json::value& v) {
  std::string text;
  if (v.is_string()) {
    text = std::string(v.get_string());
  } else if (v.is_number()) {
    double d = v.to_number<double>();
    if (!std::isfinite(d) || d < 0) return std::nullopt;
    return static_cast<int64_t>(std::llround(d * 100));
  } else {
    return std::nullopt;
  }
  double d = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(d) || d < 0 ||
      d > 1e12) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(d * 100));
}

AdminReply Json(int status, std::string body) {
  AdminReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

AdminReply Errors(int status, std::string_view message) {
  json::object o;
  o["errors"] = message;
  return Json(status, json::serialize(o));
}

std::string_view QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? "" : kv.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return {};
}

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

std::string ShopifyAdminStats::ToJson() const {
  json::object o;
  o["requests"] = requests;
  o["reads"] = reads;
  o["priceUpdates"] = price_updates;
  o["unauthorized"] = unauthorized;
  o["notFound"] = not_found;
  o["invalid"] = invalid;
  o["throttled"] = throttled;
  o["errors"] = errors;
  o["timeouts"] = timeouts;
  o["timeoutsAfterWrite"] = timeouts_after_write;
  return json::serialize(o);
}

ShopifyAdminService::ShopifyAdminService(const ShopifyAdminOptions& options)
    : options_(options), rng_(options.seed) {
  Reset();
}

void ShopifyAdminService::Reset() {
  rng_ = SimRng(options_.seed);
  stats_ = {};
  products_.clear();
  variants_.clear();
  queued_.clear();
  throttle_left_ = 0;
  bucket_ = 0;
  bucket_at_.reset();
  clock_seconds_ = 0;
  const std::string created = "2026-11-01T09:00:00-05:00";
  for (const CatalogueItem& item : Catalogue::Default().items()) {
    if (products_.empty() || products_.back().id != item.shopify_product_id) {
      Product p;
      p.id = item.shopify_product_id;
      p.title = item.product_title;
      p.product_type = item.item_category_code;
      products_.push_back(std::move(p));
    }
    SimVariant v;
    v.id = item.shopify_variant_id;
    v.product_id = item.shopify_product_id;
    v.sku = item.number;
    v.title = item.variant_title;
    v.price_cents = item.price_cents;
    v.position = static_cast<int>(products_.back().variant_ids.size()) + 1;
    v.grams = item.grams;
    v.updated_at = created;
    products_.back().variant_ids.push_back(v.id);
    variants_[v.id] = std::move(v);
  }
}

std::optional<SimVariant> ShopifyAdminService::Variant(int64_t id) const {
  auto it = variants_.find(id);
  if (it == variants_.end()) return std::nullopt;
  return it->second;
}

std::optional<SimVariant> ShopifyAdminService::VariantBySku(std::string_view sku) const {
  for (const auto& [id, v] : variants_) {
    if (v.sku == sku) return v;
  }
  return std::nullopt;
}

std::vector<SimVariant> ShopifyAdminService::Variants() const {
  std::vector<SimVariant> out;
  for (const auto& [id, v] : variants_) out.push_back(v);
  return out;
}

bool ShopifyAdminService::SetPrice(int64_t variant_id, int64_t cents) {
  auto it = variants_.find(variant_id);
  if (it == variants_.end()) return false;
  it->second.price_cents = cents;
  it->second.updated_at = NextTimestamp();
  return true;
}

std::string ShopifyAdminService::NextTimestamp() {
  ++clock_seconds_;
  const int64_t s = clock_seconds_;
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-11-%02lldT%02lld:%02lld:%02lld-05:00",
                static_cast<long long>(2 + (s / 86400) % 27),
                static_cast<long long>((s / 3600) % 24), static_cast<long long>((s / 60) % 60),
                static_cast<long long>(s % 60));
  return buf;
}

std::string ShopifyAdminService::VariantJson(const SimVariant& v) const {
  json::object o;
  o["id"] = v.id;
  o["product_id"] = v.product_id;
  o["title"] = v.title;
  o["price"] = Cents(v.price_cents);
  o["position"] = v.position;
  o["inventory_policy"] = "deny";
  if (v.compare_at_cents) {
    o["compare_at_price"] = Cents(*v.compare_at_cents);
  } else {
    o["compare_at_price"] = nullptr;
  }
  o["option1"] = v.title;
  o["option2"] = nullptr;
  o["option3"] = nullptr;
  o["created_at"] = "2026-11-01T09:00:00-05:00";
  o["updated_at"] = v.updated_at;
  o["taxable"] = true;
  o["barcode"] = nullptr;
  o["fulfillment_service"] = "manual";
  o["grams"] = v.grams;
  o["inventory_management"] = "shopify";
  o["requires_shipping"] = true;
  o["sku"] = v.sku;
  o["weight"] = static_cast<double>(v.grams) / 1000.0;
  o["weight_unit"] = "kg";
  o["inventory_item_id"] = v.id + 1;
  o["inventory_quantity"] = 100;
  o["old_inventory_quantity"] = 100;
  o["admin_graphql_api_id"] = "gid://shopify/ProductVariant/" + std::to_string(v.id);
  o["image_id"] = nullptr;
  return json::serialize(o);
}

std::string ShopifyAdminService::ProductJson(const Product& p, bool variants_only) const {
  json::object o;
  o["id"] = p.id;
  if (!variants_only) {
    o["title"] = p.title;
    o["vendor"] = "govflow-sim";
    o["product_type"] = p.product_type;
    o["status"] = "active";
    o["admin_graphql_api_id"] = "gid://shopify/Product/" + std::to_string(p.id);
  }
  json::array vs;
  for (int64_t id : p.variant_ids) vs.push_back(json::parse(VariantJson(variants_.at(id))));
  o["variants"] = std::move(vs);
  return json::serialize(o);
}

AdminReply ShopifyAdminService::Handle(const AdminRequest& request,
                                       std::chrono::steady_clock::time_point now) {
  ++stats_.requests;
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  if (path.starts_with("/_sim/")) return HandleSim(request, path);
  if (!path.starts_with("/admin/api/")) return Errors(404, "Not Found");
  return HandleApi(request, path, query, now);
}

AdminReply ShopifyAdminService::HandleApi(const AdminRequest& request, std::string_view path,
                                          std::string_view query,
                                          std::chrono::steady_clock::time_point now) {
  // /admin/api/{version}/{rest}
  std::string_view rest = path.substr(std::string_view("/admin/api/").size());
  size_t slash = rest.find('/');
  std::string_view version = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const bool version_ok = version == "unstable" || (version.size() == 7 && version[4] == '-');
  if (!version_ok) return Errors(404, "Not Found");

  if (request.access_token.empty() ||
      (!options_.access_token.empty() && request.access_token != options_.access_token)) {
    ++stats_.unauthorized;
    return Errors(401,
                  "[API] Invalid API key or access token (unrecognized login or wrong password)");
  }

  // The leaky bucket: full -> 429 without acting.
  if (bucket_at_) {
    double leaked =
        std::chrono::duration<double>(now - *bucket_at_).count() * options_.leak_per_second;
    bucket_ = std::max(0.0, bucket_ - leaked);
  }
  bucket_at_ = now;
  auto with_limit = [this](AdminReply r) {
    r.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit",
                           std::to_string(static_cast<int>(std::ceil(bucket_))) + "/" +
                               std::to_string(options_.bucket_size));
    r.headers.emplace_back("X-Request-Id", std::to_string(stats_.requests));
    return r;
  };
  auto throttled = [&] {
    ++stats_.throttled;
    AdminReply r = Errors(429,
                          "Exceeded 2 calls per second for api client. Reduce request rates to "
                          "resume uninterrupted service.");
    r.headers.emplace_back("Retry-After",
                           std::to_string(std::max(1, options_.faults.retry_after_seconds)) + ".0");
    return with_limit(std::move(r));
  };
  if (bucket_ + 1 > options_.bucket_size) return throttled();
  bucket_ += 1;

  const bool is_put = request.method == "PUT";
  std::optional<int64_t> variant_id;
  if (rest.starts_with("variants/") && rest.ends_with(".json")) {
    variant_id = ParseId(rest.substr(9, rest.size() - 9 - 5));
  }

  // One-off faults queued by a test first, then the seeded ones.
  bool apply_first = false;
  int fault_status = -1;
  if (!queued_.empty() && (!queued_.front().writes_only || is_put)) {
    QueuedFault f = queued_.front();
    queued_.pop_front();
    fault_status = f.status;
    apply_first = f.apply_first;
  } else if (throttle_left_ > 0) {
    --throttle_left_;
    return throttled();
  } else if (rng_.Chance(options_.faults.throttle)) {
    throttle_left_ = std::max(0, options_.faults.throttle_burst - 1);
    return throttled();
  } else if (rng_.Chance(options_.faults.error)) {
    static constexpr int kStatuses[] = {500, 503, 503, 504};
    fault_status = kStatuses[rng_.Between(0, 3)];
  } else if (rng_.Chance(options_.faults.timeout)) {
    fault_status = 0;
    apply_first = is_put && rng_.Chance(options_.faults.timeout_after_create);
  }
  if (apply_first && is_put && variant_id) {
    // The write happens, then the answer is lost or fails: the caller cannot know.
    if (PutVariant(*variant_id, request.body).status == 200) ++stats_.timeouts_after_write;
  }
  if (fault_status == 0) {
    ++stats_.timeouts;
    AdminReply r;
    r.action = AdminReply::Action::kHoldAndClose;
    r.hold = options_.faults.timeout_hold;
    return r;
  }
  if (fault_status > 0) {
    if (fault_status == 429) return throttled();
    ++stats_.errors;
    AdminReply r =
        Errors(fault_status, fault_status == 503 ? "Service Unavailable" : "Internal Server Error");
    if (fault_status == 503) r.headers.emplace_back("Retry-After", "1");
    return with_limit(std::move(r));
  }
  std::chrono::microseconds delay{0};
  if (options_.faults.latency_max.count() > 0) {
    delay = std::chrono::microseconds(
        rng_.Between(options_.faults.latency_min.count(), options_.faults.latency_max.count()));
  }

  AdminReply reply;
  if (variant_id) {
    auto it = variants_.find(*variant_id);
    if (it == variants_.end()) {
      ++stats_.not_found;
      reply = Errors(404, "Not Found");
    } else if (request.method == "GET") {
      ++stats_.reads;
      reply = Json(200, "{\"variant\":" + VariantJson(it->second) + "}");
    } else if (is_put) {
      reply = PutVariant(*variant_id, request.body);
    } else {
      reply = Errors(406, "Not Acceptable");
    }
  } else if (rest == "products.json" && request.method == "GET") {
    ++stats_.reads;
    int64_t limit = 50;
    if (auto l = ParseId(QueryParam(query, "limit"))) limit = std::min<int64_t>(*l, 250);
    size_t start = 0;
    if (auto p = ParseId(QueryParam(query, "page_info"))) start = static_cast<size_t>(*p);
    const std::string_view fields = QueryParam(query, "fields");
    const bool variants_only = !fields.empty() && fields.find("title") == std::string_view::npos;
    std::string body = "{\"products\":[";
    size_t end = std::min(products_.size(), start + static_cast<size_t>(limit));
    for (size_t i = start; i < end; ++i) {
      if (i > start) body += ",";
      body += ProductJson(products_[i], variants_only);
    }
    body += "]}";
    reply = Json(200, std::move(body));
    if (end < products_.size()) {
      // Shopify's cursor pagination: an opaque page_info in a Link header.
      std::string next = "<http://" + std::string(request.host) + "/admin/api/" +
                         std::string(version) + "/products.json?limit=" + std::to_string(limit) +
                         "&page_info=" + std::to_string(end);
      if (!fields.empty()) next += "&fields=" + std::string(fields);
      reply.headers.emplace_back("Link", next + ">; rel=\"next\"");
    }
  } else if (rest.starts_with("products/") && rest.ends_with(".json") && request.method == "GET") {
    auto id = ParseId(rest.substr(9, rest.size() - 9 - 5));
    reply = Errors(404, "Not Found");
    for (const auto& p : products_) {
      if (id && p.id == *id) {
        ++stats_.reads;
        reply = Json(200, "{\"product\":" + ProductJson(p, false) + "}");
      }
    }
    if (reply.status == 404) ++stats_.not_found;
  } else {
    ++stats_.not_found;
    reply = Errors(404, "Not Found");
  }
  reply.delay = delay;
  return with_limit(std::move(reply));
}

AdminReply ShopifyAdminService::PutVariant(int64_t id, std::string_view body) {
  auto it = variants_.find(id);
  if (it == variants_.end()) {
    ++stats_.not_found;
    return Errors(404, "Not Found");
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  const json::value* variant =
      (!ec && v.is_object()) ? v.get_object().if_contains("variant") : nullptr;
  if (variant == nullptr || !variant->is_object()) {
    ++stats_.invalid;
    return Errors(400, "Required parameter missing or invalid: variant");
  }
  const json::object& o = variant->get_object();
  if (const json::value* vid = o.if_contains("id");
      vid != nullptr && !(vid->is_int64() && vid->get_int64() == id)) {
    ++stats_.invalid;
    return Errors(400, "variant id does not match the URL");
  }
  json::object problems;
  std::optional<int64_t> price;
  std::optional<std::optional<int64_t>> compare_at;
  if (const json::value* p = o.if_contains("price")) {
    price = ParseCents(*p);
    if (!price) problems["price"] = json::array{"is not a number"};
  }
  if (const json::value* c = o.if_contains("compare_at_price")) {
    if (c->is_null() || (c->is_string() && c->get_string().empty())) {
      compare_at = std::optional<int64_t>();
    } else if (auto cents = ParseCents(*c)) {
      compare_at = cents;
    } else {
      problems["compare_at_price"] = json::array{"is not a number"};
    }
  }
  if (!problems.empty()) {
    ++stats_.invalid;
    json::object e;
    e["errors"] = std::move(problems);
    return Json(422, json::serialize(e));
  }
  SimVariant& var = it->second;
  if (price) var.price_cents = *price;
  if (compare_at) var.compare_at_cents = *compare_at;
  var.updated_at = NextTimestamp();
  ++stats_.price_updates;
  return Json(200, "{\"variant\":" + VariantJson(var) + "}");
}

AdminReply ShopifyAdminService::HandleSim(const AdminRequest& request, std::string_view path) {
  if (path == "/_sim/stats" && request.method == "GET") return Json(200, stats_.ToJson());
  if (path == "/_sim/prices" && request.method == "GET") {
    json::array list;
    for (const auto& [id, v] : variants_) {
      json::object o;
      o["id"] = id;
      o["sku"] = v.sku;
      o["price"] = Cents(v.price_cents);
      if (v.compare_at_cents) {
        o["compare_at_price"] = Cents(*v.compare_at_cents);
      } else {
        o["compare_at_price"] = nullptr;
      }
      o["updated_at"] = v.updated_at;
      list.push_back(std::move(o));
    }
    json::object out;
    out["variants"] = std::move(list);
    return Json(200, json::serialize(out));
  }
  if (path == "/_sim/reset" && request.method == "POST") {
    Reset();
    return Json(200, "{}");
  }
  if (path == "/_sim/faults" && request.method == "POST") {
    // {"status": 503, "count": 1, "writes_only": false, "apply_first": false}
    boost::system::error_code ec;
    json::value v = json::parse(request.body, ec);
    if (ec || !v.is_object()) return Errors(400, "body must be a JSON object");
    const json::object& o = v.get_object();
    QueuedFault f;
    int64_t count = 1;
    if (const auto* s = o.if_contains("status"); s != nullptr && s->is_int64()) {
      f.status = static_cast<int>(s->get_int64());
    }
    if (const auto* c = o.if_contains("count"); c != nullptr && c->is_int64()) {
      count = c->get_int64();
    }
    if (const auto* w = o.if_contains("writes_only"); w != nullptr && w->is_bool()) {
      f.writes_only = w->get_bool();
    }
    if (const auto* a = o.if_contains("apply_first"); a != nullptr && a->is_bool()) {
      f.apply_first = a->get_bool();
    }
    for (int64_t i = 0; i < count && i < 1000; ++i) queued_.push_back(f);
    return Json(200, "{}");
  }
  return Errors(404, "Not Found");
}

}  // namespace govflow::sim
