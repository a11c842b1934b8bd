#include "sim/shopify_order.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

#include "sim/catalogue.h"
#include "sim/json_writer.h"
#include "sim/rng.h"

namespace govflow::sim {
namespace {

// 2026-07-01T13:00:00Z: the simulated stream starts here; order i is placed i*3 seconds later.
constexpr int64_t kStreamStartUnix = 1782910800;
constexpr int kShopUtcOffsetHours = -4;

std::string Money(int64_t cents) {
  char buf[32];
  char* p = buf;
  if (cents < 0) {
    *p++ = '-';
    cents = -cents;
  }
  p = std::to_chars(p, buf + sizeof buf - 4, cents / 100).ptr;
  *p++ = '.';
  *p++ = static_cast<char>('0' + (cents % 100) / 10);
  *p++ = static_cast<char>('0' + cents % 10);
  return std::string(buf, p);
}

// "2026-07-01T09:00:00-04:00" (shop time) or "2026-07-01T13:00:00Z" (utc == true).
std::string Timestamp(int64_t unix_seconds, bool utc) {
  time_t t = static_cast<time_t>(unix_seconds + (utc ? 0 : kShopUtcOffsetHours * 3600));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (utc) {
    s += ".000Z";
  } else {
    char off[8];
    std::snprintf(off, sizeof off, "%c%02d:00", kShopUtcOffsetHours < 0 ? '-' : '+',
                  kShopUtcOffsetHours < 0 ? -kShopUtcOffsetHours : kShopUtcOffsetHours);
    s += off;
  }
  return s;
}

std::string Hex(SimRng& rng, int chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(chars);
  uint64_t bits = 0;
  for (int i = 0; i < chars; ++i) {
    if (i % 16 == 0) bits = rng.Next();
    s.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
  return s;
}

void MoneySet(JsonWriter& w, std::string_view key, int64_t cents, const std::string& currency) {
  std::string amount = Money(cents);
  w.Key(key);
  w.BeginObject();
  for (const char* side : {"shop_money", "presentment_money"}) {
    w.Key(side);
    w.BeginObject();
    w.Member("amount", amount);
    w.Member("currency_code", currency);
    w.EndObject();
  }
  w.EndObject();
}

void Address(JsonWriter& w, std::string_view key, const CatalogueCustomer& c) {
  w.Key(key);
  w.BeginObject();
  w.Member("first_name", c.first_name);
  w.Member("address1", c.address1);
  w.Member("phone", c.phone);
  w.Member("city", c.city);
  w.Member("zip", c.zip);
  w.Member("province", c.province);
  w.Member("country", c.country);
  w.Member("last_name", c.last_name);
  w.Member("address2", "");
  w.NullMember("company");
  w.Member("name", c.first_name + " " + c.last_name);
  w.Member("country_code", c.country_code);
  w.Member("province_code", c.province_code);
  w.EndObject();
}

struct Line {
  const CatalogueItem* item = nullptr;  // null for the unknown SKU line
  std::string sku;
  std::string title;
  std::string variant_title;
  int64_t price_cents = 0;
  int64_t product_id = 0;
  int64_t variant_id = 0;
  int grams = 0;
  int quantity = 1;
  int64_t discount_cents = 0;
  int64_t tax_cents = 0;
  int64_t line_id = 0;
};

constexpr double kTaxRate = 0.06;
// The sales channel that created the order (Shopify's source_name), mostly the online store.
// Drawn from its own hash of (seed, index) so the other fields' random stream is unchanged.
const char* SourceName(uint64_t seed, uint64_t index) {
  const uint64_t roll = SimRng::Mix(SimRng::Mix(seed ^ 0x5bd1e995ULL) ^ (index + 1)) % 100;
  if (roll < 70) return "web";
  if (roll < 82) return "pos";
  if (roll < 92) return "iphone";
  if (roll < 97) return "android";
  return "shopify_draft_order";
}

constexpr const char* kTags[] = {"", "retail", "wholesale", "retail, vip", "retail, wholesale", ""};

}  // namespace

ShopifyOrder MakeShopifyOrder(const ShopifyOrderOptions& options, uint64_t index) {
  const Catalogue& catalogue = Catalogue::Default();
  SimRng rng(SimRng::Mix(options.seed * 0x2545f4914f6cdd1dULL) ^ SimRng::Mix(index + 1));
  const std::string& cur = options.currency;

  ShopifyOrder order;
  const int64_t id_base =
      5'900'000'000'000 + static_cast<int64_t>(SimRng::Mix(options.seed) % 90'000) * 10'000'000;
  order.id = id_base + static_cast<int64_t>(index);
  // Seed 1 numbers its orders #1001, #1002, ...; other seeds start 10 million apart, so that
  // streams of different seeds never share an order name (a likely business key).
  const int64_t order_number = 1001 +
                               static_cast<int64_t>((options.seed - 1) % 100'000) * 10'000'000 +
                               static_cast<int64_t>(index);
  order.name = "#" + std::to_string(order_number);

  // Customer.
  order.blocked_customer = rng.Chance(options.blocked_customer);
  const auto& pool =
      order.blocked_customer ? catalogue.blocked_customers() : catalogue.active_customers();
  const CatalogueCustomer& customer = catalogue.customers()[pool[rng.Next() % pool.size()]];

  // Lines: 1 to 4 distinct items, mostly one unit each.
  double u = rng.Unit();
  int line_count = u < 0.5 ? 1 : u < 0.8 ? 2 : u < 0.95 ? 3 : 4;
  std::vector<Line> lines;
  const auto& items = catalogue.items();
  size_t start = rng.Next() % items.size();
  size_t stride = 1 + rng.Next() % 17;
  for (int i = 0; i < line_count; ++i) {
    const CatalogueItem& item = items[(start + static_cast<size_t>(i) * stride * 7) % items.size()];
    Line line;
    line.item = &item;
    line.sku = item.number;
    line.title = item.product_title;
    line.variant_title = item.variant_title;
    line.price_cents = item.price_cents;
    line.product_id = item.shopify_product_id;
    line.variant_id = item.shopify_variant_id;
    line.grams = item.grams;
    double q = rng.Unit();
    line.quantity = q < 0.75 ? 1 : q < 0.93 ? 2 : 3;
    lines.push_back(std::move(line));
  }
  order.has_bad_sku = rng.Chance(options.bad_sku);
  if (order.has_bad_sku) {
    Line& line = lines[rng.Next() % lines.size()];
    line.item = nullptr;
    line.sku = "DISC-" + Hex(rng, 6);
    line.title = "Discontinued Sample";
    line.variant_title = "Default Title";
    line.product_id = 8'999'000'000'000 + static_cast<int64_t>(rng.Next() % 1'000'000);
    line.variant_id = 49'999'000'000'000 + static_cast<int64_t>(rng.Next() % 1'000'000);
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    lines[i].line_id = order.id * 10 + static_cast<int64_t>(i) + 13'000'000'000'000;
  }

  // Money, in cents.
  const bool discounted = rng.Chance(0.2);
  int64_t line_items_total = 0, discounts = 0, tax = 0, weight = 0;
  for (Line& line : lines) {
    int64_t total = line.price_cents * line.quantity;
    line_items_total += total;
    line.discount_cents = discounted ? (total + 5) / 10 : 0;
    discounts += line.discount_cents;
    line.tax_cents = std::llround(static_cast<double>(total - line.discount_cents) * kTaxRate);
    tax += line.tax_cents;
    weight += static_cast<int64_t>(line.grams) * line.quantity;
  }
  const int64_t subtotal = line_items_total - discounts;
  const int64_t shipping = subtotal >= 10000 ? 0 : 695;
  const int64_t total = subtotal + shipping + tax;

  const int64_t created = kStreamStartUnix + static_cast<int64_t>(index) * 3;
  const std::string created_at = Timestamp(created, false);
  const std::string token = Hex(rng, 32);
  const std::string tags = kTags[rng.Next() % (sizeof kTags / sizeof kTags[0])];
  const std::string tax_title = std::string(customer.province_code) + " State Tax";

  order.body.reserve(6144);
  JsonWriter w(&order.body);
  w.BeginObject();
  w.Member("id", order.id);
  w.Member("admin_graphql_api_id", "gid://shopify/Order/" + std::to_string(order.id));
  w.Member("app_id", int64_t{580111});
  w.Member("browser_ip", "203.0.113." + std::to_string(1 + rng.Next() % 250));
  w.Member("buyer_accepts_marketing", rng.Chance(0.4));
  w.NullMember("cancel_reason");
  w.NullMember("cancelled_at");
  w.Member("cart_token", Hex(rng, 32));
  w.Member("checkout_id", int64_t{30'100'000'000'000} + static_cast<int64_t>(index));
  w.Member("checkout_token", Hex(rng, 32));
  w.Key("client_details");
  w.BeginObject();
  w.Member("accept_language", "en-US");
  w.NullMember("browser_height");
  w.Member("browser_ip", "203.0.113.7");
  w.NullMember("browser_width");
  w.NullMember("session_hash");
  w.Member("user_agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15");
  w.EndObject();
  w.NullMember("closed_at");
  w.Member("confirmation_number", Hex(rng, 9));
  w.Member("confirmed", true);
  w.Member("contact_email", customer.email);
  w.Member("created_at", created_at);
  w.Member("currency", cur);
  w.Member("current_subtotal_price", Money(subtotal));
  w.Member("current_total_discounts", Money(discounts));
  w.Member("current_total_price", Money(total));
  w.Member("current_total_tax", Money(tax));
  w.Member("customer_locale", "en");
  w.Key("discount_codes");
  w.BeginArray();
  if (discounted) {
    w.BeginObject();
    w.Member("code", "WELCOME10");
    w.Member("amount", Money(discounts));
    w.Member("type", "percentage");
    w.EndObject();
  }
  w.EndArray();
  w.Member("duties_included", false);
  w.Member("email", customer.email);
  w.Member("estimated_taxes", false);
  w.Member("financial_status", "paid");
  w.NullMember("fulfillment_status");
  w.Member("landing_site", "/products?utm_source=newsletter");
  w.NullMember("location_id");
  w.Member("name", order.name);
  w.NullMember("note");
  w.Key("note_attributes");
  w.BeginArray();
  w.EndArray();
  w.Member("number", order_number - 1000);
  w.Member("order_number", order_number);
  w.Member("order_status_url", "https://" + options.shop_domain + "/73910288/orders/" + token +
                                   "/authenticate?key=" + Hex(rng, 16));
  w.Key("payment_gateway_names");
  w.BeginArray();
  w.String("shopify_payments");
  w.EndArray();
  w.Member("phone", customer.phone);
  w.Member("presentment_currency", cur);
  w.Member("processed_at", created_at);
  w.Member("source_name", SourceName(options.seed, index));
  w.Member("subtotal_price", Money(subtotal));
  MoneySet(w, "subtotal_price_set", subtotal, cur);
  w.Member("tags", tags);
  w.Member("tax_exempt", false);
  w.Key("tax_lines");
  w.BeginArray();
  w.BeginObject();
  w.Member("price", Money(tax));
  w.Member("rate", kTaxRate);
  w.Member("title", tax_title);
  MoneySet(w, "price_set", tax, cur);
  w.Member("channel_liable", false);
  w.EndObject();
  w.EndArray();
  w.Member("taxes_included", false);
  w.Member("test", false);
  w.Member("token", token);
  w.Member("total_discounts", Money(discounts));
  MoneySet(w, "total_discounts_set", discounts, cur);
  w.Member("total_line_items_price", Money(line_items_total));
  MoneySet(w, "total_line_items_price_set", line_items_total, cur);
  w.Member("total_outstanding", "0.00");
  w.Member("total_price", Money(total));
  MoneySet(w, "total_price_set", total, cur);
  MoneySet(w, "total_shipping_price_set", shipping, cur);
  w.Member("total_tax", Money(tax));
  MoneySet(w, "total_tax_set", tax, cur);
  w.Member("total_tip_received", "0.00");
  w.Member("total_weight", weight);
  w.Member("updated_at", created_at);
  w.NullMember("user_id");
  Address(w, "billing_address", customer);
  w.Key("customer");
  w.BeginObject();
  w.Member("id", customer.shopify_customer_id);
  w.Member("email", customer.email);
  w.Member("created_at", Timestamp(kStreamStartUnix - int64_t{86400} * 90, false));
  w.Member("updated_at", created_at);
  w.Member("first_name", customer.first_name);
  w.Member("last_name", customer.last_name);
  w.Member("state", "enabled");
  w.NullMember("note");
  w.Member("verified_email", true);
  w.NullMember("multipass_identifier");
  w.Member("tax_exempt", false);
  w.Member("phone", customer.phone);
  w.Member("tags", "");
  w.Member("currency", cur);
  w.Member("admin_graphql_api_id",
           "gid://shopify/Customer/" + std::to_string(customer.shopify_customer_id));
  w.Key("default_address");
  w.BeginObject();
  w.Member("id", customer.shopify_customer_id + 1);
  w.Member("customer_id", customer.shopify_customer_id);
  w.Member("first_name", customer.first_name);
  w.Member("last_name", customer.last_name);
  w.NullMember("company");
  w.Member("address1", customer.address1);
  w.Member("address2", "");
  w.Member("city", customer.city);
  w.Member("province", customer.province);
  w.Member("country", customer.country);
  w.Member("zip", customer.zip);
  w.Member("phone", customer.phone);
  w.Member("name", customer.first_name + " " + customer.last_name);
  w.Member("province_code", customer.province_code);
  w.Member("country_code", customer.country_code);
  w.Member("country_name", customer.country);
  w.Member("default", true);
  w.EndObject();
  w.EndObject();
  w.Key("discount_applications");
  w.BeginArray();
  if (discounted) {
    w.BeginObject();
    w.Member("target_type", "line_item");
    w.Member("type", "discount_code");
    w.Member("value", "10.0");
    w.Member("value_type", "percentage");
    w.Member("allocation_method", "across");
    w.Member("target_selection", "all");
    w.Member("code", "WELCOME10");
    w.EndObject();
  }
  w.EndArray();
  w.Key("fulfillments");
  w.BeginArray();
  w.EndArray();
  w.Key("line_items");
  w.BeginArray();
  for (const Line& line : lines) {
    w.BeginObject();
    w.Member("id", line.line_id);
    w.Member("admin_graphql_api_id", "gid://shopify/LineItem/" + std::to_string(line.line_id));
    w.Member("current_quantity", line.quantity);
    w.Member("fulfillable_quantity", line.quantity);
    w.Member("fulfillment_service", "manual");
    w.NullMember("fulfillment_status");
    w.Member("gift_card", false);
    w.Member("grams", line.grams);
    w.Member("name", line.title + " - " + line.variant_title);
    w.Member("price", Money(line.price_cents));
    MoneySet(w, "price_set", line.price_cents, cur);
    w.Member("product_exists", line.item != nullptr);
    w.Member("product_id", line.product_id);
    w.Key("properties");
    w.BeginArray();
    w.EndArray();
    w.Member("quantity", line.quantity);
    w.Member("requires_shipping", true);
    w.Member("sku", line.sku);
    w.Member("taxable", true);
    w.Member("title", line.title);
    w.Member("total_discount", "0.00");
    w.Member("variant_id", line.variant_id);
    w.Member("variant_inventory_management", "shopify");
    w.Member("variant_title", line.variant_title);
    w.Member("vendor", "Govflow Outfitters");
    w.Key("tax_lines");
    w.BeginArray();
    w.BeginObject();
    w.Member("channel_liable", false);
    w.Member("price", Money(line.tax_cents));
    w.Member("rate", kTaxRate);
    w.Member("title", tax_title);
    w.EndObject();
    w.EndArray();
    w.Key("discount_allocations");
    w.BeginArray();
    if (line.discount_cents > 0) {
      w.BeginObject();
      w.Member("amount", Money(line.discount_cents));
      w.Member("discount_application_index", 0);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.NullMember("payment_terms");
  w.Key("refunds");
  w.BeginArray();
  w.EndArray();
  Address(w, "shipping_address", customer);
  w.Key("shipping_lines");
  w.BeginArray();
  w.BeginObject();
  w.Member("id", order.id + 3'000'000'000'000);
  w.Member("code", shipping == 0 ? "Free Shipping" : "Standard");
  w.Member("discounted_price", Money(shipping));
  w.Member("price", Money(shipping));
  MoneySet(w, "price_set", shipping, cur);
  w.Member("source", "shopify");
  w.Member("title", shipping == 0 ? "Free Shipping" : "Standard Shipping");
  w.Key("tax_lines");
  w.BeginArray();
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();

  SimRng ids(SimRng::Mix(options.seed ^ 0x5eedULL) + SimRng::Mix(index * 2 + 1));
  order.webhook_id = FormatGuid(ids.Next(), ids.Next());
  order.event_id = FormatGuid(ids.Next(), ids.Next());
  order.triggered_at = Timestamp(created + 1, true);
  return order;
}

std::string ShopifyHmacBase64(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
  return Base64(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace govflow::sim
