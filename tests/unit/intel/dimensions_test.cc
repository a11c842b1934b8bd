#include "intel/dimensions.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace govflow::intel {
namespace {

namespace json = boost::json;

// The first order of the Shopify REST fixture (../shared/fixtures/shopify), as a webhook sends it.
std::optional<json::object> FixtureOrder() {
  const char* shared = std::getenv("GOVFLOW_SHARED_DIR");
  const std::filesystem::path path =
      std::filesystem::path(shared != nullptr ? shared : "../shared") /
      "fixtures/shopify/rest_examples/rest_order_2026_07.json";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  json::value v = json::parse(text.str());
  return v.at("cases").at(0).at("response_body").at("orders").at(0).as_object();
}

TEST(OrderDimensions, ReadsChannelAndUncategorisedFromARealShopifyOrder) {
  auto order = FixtureOrder();
  if (!order) GTEST_SKIP() << "no ../shared fixtures";
  OrderDimensions d = ReadOrderDimensions(json::serialize(*order));
  EXPECT_TRUE(d.is_order);
  EXPECT_EQ(d.channel, "web");
  // The fixture's line items carry no product_type.
  EXPECT_EQ(d.sku_category, kUncategorised);
}

TEST(OrderDimensions, SkuCategoryIsTheProductTypeOfTheMostValuableLine) {
  auto order = FixtureOrder();
  if (!order) GTEST_SKIP() << "no ../shared fixtures";
  json::array lines;
  lines.push_back(json::object{{"price", "10.00"}, {"quantity", 5}, {"product_type", "Socks"}});
  lines.push_back(json::object{{"price", "30.00"}, {"quantity", 2}, {"product_type", "Shirts"}});
  lines.push_back(json::object{{"price", "45.00"}, {"quantity", 1}, {"product_type", ""}});
  (*order)["line_items"] = std::move(lines);
  (*order)["source_name"] = "pos";
  OrderDimensions d = ReadOrderDimensions(json::serialize(*order));
  EXPECT_EQ(d.channel, "pos");
  EXPECT_EQ(d.sku_category, "Shirts");  // 60.00 beats 50.00 and 45.00
}

TEST(OrderDimensions, AnInputThatIsNotAnOrderHasNoChannelOrCategory) {
  for (const char* text : {"{}", "[1,2]", "not json", R"({"sku":"A","price":"1.00"})"}) {
    OrderDimensions d = ReadOrderDimensions(text);
    EXPECT_FALSE(d.is_order) << text;
    EXPECT_EQ(d.channel, kNoDimension) << text;
    EXPECT_EQ(d.sku_category, kNoDimension) << text;
  }
}

TEST(OrderDimensions, AnOrderWithoutSourceNameHasChannelDash) {
  OrderDimensions d = ReadOrderDimensions(R"({"line_items":[{"price":"1.00","quantity":1}]})");
  EXPECT_TRUE(d.is_order);
  EXPECT_EQ(d.channel, kNoDimension);
  EXPECT_EQ(d.sku_category, kUncategorised);
}

TEST(ResolveBrand, LabelThenConnectionThenDash) {
  EXPECT_EQ(ResolveBrand("Harbor & Pine", "shop"), "Harbor & Pine");
  EXPECT_EQ(ResolveBrand("", "shop-coastal"), "shop-coastal");
  EXPECT_EQ(ResolveBrand("", ""), kNoDimension);
}

TEST(CleanDimension, CutsTo80BytesAndReplacesControlCharacters) {
  EXPECT_EQ(CleanDimension("a\nb\tc"), "a b c");
  EXPECT_EQ(CleanDimension(std::string(200, 'x')).size(), 80u);
}

}  // namespace
}  // namespace govflow::intel
