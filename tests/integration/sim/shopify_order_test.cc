#include "sim/shopify_order.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "sim/catalogue.h"

namespace govflow::sim {
namespace {
namespace json = boost::json;

int64_t Cents(const json::value& v) {
  std::string s(v.as_string());
  size_t dot = s.find('.');
  return std::stoll(s.substr(0, dot)) * 100 + std::stoll(s.substr(dot + 1));
}

TEST(ShopifyHmacTest, MatchesKnownValue) {
  // shopify-app-js validate.test.ts: secret test_secret_key over {"foo": "bar"}.
  EXPECT_EQ(ShopifyHmacBase64("test_secret_key", "{\"foo\": \"bar\"}"),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
}

TEST(ShopifyHmacTest, MatchesEveryFixtureVector) {
  const char* shared = std::getenv("GOVFLOW_SHARED_DIR");
  std::string path =
      std::string(shared ? shared : "../shared") + "/fixtures/shopify/hmac_test_vectors.json";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "no HMAC fixture at " << path;
  std::stringstream text;
  text << in.rdbuf();
  json::value doc = json::parse(text.str());
  int checked = 0;
  for (const char* group : {"published_vectors", "derived_vectors_not_literally_published"}) {
    if (!doc.as_object().contains(group)) continue;
    for (const json::value& v : doc.at(group).as_array()) {
      const json::object& o = v.as_object();
      EXPECT_EQ(ShopifyHmacBase64(std::string(o.at("secret").as_string()),
                                  std::string(o.at("body").as_string())),
                std::string(o.at("expected_header").as_string()))
          << json::serialize(v);
      if (o.contains("negative_case")) {
        const json::object& neg = o.at("negative_case").as_object();
        EXPECT_NE(ShopifyHmacBase64(std::string(neg.at("secret").as_string()),
                                    std::string(o.at("body").as_string())),
                  std::string(o.at("expected_header").as_string()));
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

TEST(ShopifyOrderTest, SameSeedAndIndexGiveIdenticalOrders) {
  ShopifyOrderOptions options;
  options.seed = 42;
  ShopifyOrder a = MakeShopifyOrder(options, 17);
  ShopifyOrder b = MakeShopifyOrder(options, 17);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.webhook_id, b.webhook_id);
  options.seed = 43;
  EXPECT_NE(MakeShopifyOrder(options, 17).body, a.body);
}

TEST(ShopifyOrderTest, OrdersOfAStreamAreDistinct) {
  ShopifyOrderOptions options;
  std::set<int64_t> ids;
  std::set<std::string> names, webhooks, events;
  for (uint64_t i = 0; i < 500; ++i) {
    ShopifyOrder o = MakeShopifyOrder(options, i);
    ids.insert(o.id);
    names.insert(o.name);
    webhooks.insert(o.webhook_id);
    events.insert(o.event_id);
  }
  EXPECT_EQ(ids.size(), 500u);
  EXPECT_EQ(names.size(), 500u);
  EXPECT_EQ(webhooks.size(), 500u);
  EXPECT_EQ(events.size(), 500u);
  EXPECT_EQ(MakeShopifyOrder(options, 0).name, "#1001");
}

TEST(ShopifyOrderTest, StreamsOfDifferentSeedsShareNoOrderNameOrId) {
  ShopifyOrderOptions one, two;
  two.seed = 2;
  std::set<std::string> names;
  std::set<int64_t> ids;
  for (uint64_t i = 0; i < 200; ++i) {
    for (const ShopifyOrderOptions* o : {&one, &two}) {
      ShopifyOrder order = MakeShopifyOrder(*o, i);
      names.insert(order.name);
      ids.insert(order.id);
    }
  }
  EXPECT_EQ(names.size(), 400u);
  EXPECT_EQ(ids.size(), 400u);
  EXPECT_EQ(MakeShopifyOrder(two, 0).name, "#10001001");
}

TEST(ShopifyOrderTest, BodyIsShapedLikeTheRestOrderWithMoneyAsStringsThatAddUp) {
  ShopifyOrderOptions options;
  for (uint64_t i = 0; i < 200; ++i) {
    ShopifyOrder o = MakeShopifyOrder(options, i);
    json::object order = json::parse(o.body).as_object();
    EXPECT_EQ(order.at("id").as_int64(), o.id);
    EXPECT_EQ(order.at("admin_graphql_api_id").as_string(),
              "gid://shopify/Order/" + std::to_string(o.id));
    EXPECT_EQ(order.at("name").as_string(), o.name);
    for (const char* k : {"total_price", "subtotal_price", "total_tax", "total_discounts",
                          "total_line_items_price", "current_total_price"}) {
      ASSERT_TRUE(order.at(k).is_string()) << k;
    }
    int64_t shipping = Cents(order.at("total_shipping_price_set").at("shop_money").at("amount"));
    EXPECT_EQ(Cents(order.at("total_price")),
              Cents(order.at("subtotal_price")) + shipping + Cents(order.at("total_tax")));
    int64_t lines_total = 0;
    const json::array& lines = order.at("line_items").as_array();
    ASSERT_FALSE(lines.empty());
    for (const json::value& lv : lines) {
      const json::object& line = lv.as_object();
      EXPECT_TRUE(line.at("price").is_string());
      EXPECT_TRUE(line.at("quantity").is_int64());
      EXPECT_TRUE(line.at("variant_id").is_int64());
      EXPECT_FALSE(line.at("sku").as_string().empty());
      lines_total += Cents(line.at("price")) * line.at("quantity").as_int64();
    }
    EXPECT_EQ(Cents(order.at("total_line_items_price")), lines_total);
    EXPECT_EQ(order.at("customer").at("email"), order.at("email"));
    EXPECT_TRUE(order.at("shipping_address").is_object());
    EXPECT_TRUE(order.at("billing_address").is_object());
    EXPECT_GT(o.body.size(), 2500u);
    EXPECT_LT(o.body.size(), 12000u);
  }
}

TEST(ShopifyOrderTest, SkusAndCustomersMatchTheErpCatalogueUnlessAskedOtherwise) {
  const Catalogue& catalogue = Catalogue::Default();
  std::set<std::string> skus;
  for (const auto& item : catalogue.items()) skus.insert(item.number);
  std::set<std::string> active, blocked;
  for (const auto& c : catalogue.customers()) (c.blocked ? blocked : active).insert(c.number);

  ShopifyOrderOptions clean;
  for (uint64_t i = 0; i < 300; ++i) {
    json::object order = json::parse(MakeShopifyOrder(clean, i).body).as_object();
    for (const json::value& line : order.at("line_items").as_array()) {
      EXPECT_TRUE(skus.count(std::string(line.at("sku").as_string())));
    }
    EXPECT_TRUE(active.count(std::to_string(order.at("customer").at("id").as_int64())));
  }

  ShopifyOrderOptions faulty;
  faulty.bad_sku = 0.5;
  faulty.blocked_customer = 0.5;
  int bad = 0, blocked_orders = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    ShopifyOrder o = MakeShopifyOrder(faulty, i);
    json::object order = json::parse(o.body).as_object();
    bool unknown = false;
    for (const json::value& line : order.at("line_items").as_array()) {
      unknown |= skus.count(std::string(line.at("sku").as_string())) == 0;
    }
    EXPECT_EQ(unknown, o.has_bad_sku);
    EXPECT_EQ(blocked.count(std::to_string(order.at("customer").at("id").as_int64())) == 1,
              o.blocked_customer);
    bad += o.has_bad_sku;
    blocked_orders += o.blocked_customer;
  }
  EXPECT_GT(bad, 100);
  EXPECT_LT(bad, 200);
  EXPECT_GT(blocked_orders, 100);
  EXPECT_LT(blocked_orders, 200);
}

// Orders come from several sales channels (Shopify's source_name), mostly the online store, so
// that the dashboards' channel breakdown has something to show; the same seed gives the same mix.
TEST(ShopifyOrderTest, OrdersComeMostlyFromTheOnlineStoreAndSomeFromOtherChannels) {
  const std::set<std::string> known = {"web", "pos", "iphone", "android", "shopify_draft_order"};
  std::map<std::string, int> seen;
  ShopifyOrderOptions options;
  for (uint64_t i = 0; i < 1000; ++i) {
    json::object order = json::parse(MakeShopifyOrder(options, i).body).as_object();
    const std::string source(order.at("source_name").as_string());
    EXPECT_TRUE(known.count(source)) << source;
    ++seen[source];
    EXPECT_EQ(json::parse(MakeShopifyOrder(options, i).body).at("source_name").as_string(), source);
  }
  EXPECT_GT(seen["web"], 600);
  EXPECT_LT(seen["web"], 800);
  EXPECT_GT(seen["pos"], 50);
  EXPECT_GE(seen.size(), 4u);
}

}  // namespace
}  // namespace govflow::sim
