#include "intel/dimensions.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <vector>

namespace govflow::intel {
namespace {

namespace json = boost::json;

std::filesystem::path SharedDir() {
  const char* shared = std::getenv("GOVFLOW_SHARED_DIR");
  return std::filesystem::path(shared != nullptr ? shared : "../shared");
}

// The first order of the Shopify REST fixture (../shared/fixtures/shopify), as a webhook sends it.
std::optional<json::object> FixtureOrder() {
  const std::filesystem::path path =
      SharedDir() / "fixtures/shopify/rest_examples/rest_order_2026_07.json";
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

// The DOM-based reading ReadOrderDimensions replaced (a full json::parse, then object lookups):
// the reference the streaming version must match on every input.
namespace reference {

double Money(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_string()) {
    try {
      return std::stod(std::string(v->as_string()));
    } catch (...) {
      return 0;
    }
  }
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return 0;
}

double Quantity(const json::value* v) {
  if (v == nullptr) return 1;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return 1;
}

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->as_string());
}

OrderDimensions ReadOrderDimensions(std::string_view text) {
  OrderDimensions d;
  d.channel = std::string(kNoDimension);
  d.sku_category = std::string(kNoDimension);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return d;
  const json::object& order = v.as_object();
  const json::value* lines = order.if_contains("line_items");
  if (lines == nullptr || !lines->is_array()) return d;
  d.is_order = true;
  const std::string source = StringMember(order, "source_name");
  d.channel = source.empty() ? std::string(kNoDimension) : CleanDimension(source);
  const json::object* best = nullptr;
  double best_value = -1;
  for (const json::value& line : lines->as_array()) {
    if (!line.is_object()) continue;
    const json::object& o = line.as_object();
    const double value = Money(o.if_contains("price")) * Quantity(o.if_contains("quantity"));
    if (value > best_value) {
      best_value = value;
      best = &o;
    }
  }
  std::string category;
  if (best != nullptr) {
    category = StringMember(*best, "product_type");
    d.top_sku = StringMember(*best, "sku");
  }
  d.sku_category = category.empty() ? std::string(kUncategorised) : CleanDimension(category);
  return d;
}

}  // namespace reference

// Compares the streaming reading with the DOM one, field by field.
void ExpectSameAsReference(std::string_view text, std::string_view what) {
  const OrderDimensions want = reference::ReadOrderDimensions(text);
  const OrderDimensions got = ReadOrderDimensions(text);
  EXPECT_EQ(got.is_order, want.is_order) << what << ": " << text;
  EXPECT_EQ(got.channel, want.channel) << what << ": " << text;
  EXPECT_EQ(got.sku_category, want.sku_category) << what << ": " << text;
  EXPECT_EQ(got.top_sku, want.top_sku) << what << ": " << text;
}

TEST(OrderDimensions, PriceAndProductTypeInsideALinesNestedObjectsDoNotCountForTheLine) {
  // Line 1 is worth 10.00 but its tax line, discount allocation and a nested object carry a
  // larger "price" / another "product_type" and "sku"; line 2 (20.00) must win.
  const std::string text = R"({"source_name":"web","line_items":[
    {"price":"10.00","quantity":1,"product_type":"Socks","sku":"SOCK",
     "tax_lines":[{"price":"999.00","product_type":"Tax","sku":"TAX"}],
     "discount_allocations":[{"amount":"1.00","price":"500.00"}],
     "price_set":{"shop_money":{"price":"800.00"}},
     "properties":[{"name":"price","value":"700.00"}],
     "nested":{"product_type":"Nested","sku":"NESTED","quantity":100}},
    {"price":"20.00","quantity":1,"product_type":"Shirts","sku":"SHIRT"}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_TRUE(d.is_order);
  EXPECT_EQ(d.sku_category, "Shirts");
  EXPECT_EQ(d.top_sku, "SHIRT");
  ExpectSameAsReference(text, "nested keys");
}

TEST(OrderDimensions, ANestedProductTypeAfterTheLinesOwnDoesNotReplaceIt) {
  // The line's own members come first; nested members of the same name follow and must not
  // overwrite them (nor the quantity).
  const std::string text = R"({"line_items":[
    {"price":"5.00","quantity":3,"product_type":"Mugs","sku":"MUG",
     "tax_lines":[{"product_type":"Tax","sku":"TAX","quantity":0,"price":"0"}]},
    {"price":"14.00","quantity":1,"product_type":"Plates","sku":"PLATE"}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_EQ(d.sku_category, "Mugs");  // 15.00 beats 14.00
  EXPECT_EQ(d.top_sku, "MUG");
  ExpectSameAsReference(text, "nested after own");
}

TEST(OrderDimensions, OnlyTheOrdersOwnSourceNameAndLineItemsCount) {
  // Real orders carry line_items inside fulfillments and refunds too, and source_name-like
  // keys in nested objects.
  const std::string text = R"({"customer":{"source_name":"evil","line_items":[
      {"price":"900.00","product_type":"Wrong","sku":"WRONG"}]},
    "fulfillments":[{"line_items":[{"price":"800.00","product_type":"Wrong"}]}],
    "line_items":[{"price":"1.00","product_type":"Right","sku":"RIGHT"}],
    "refunds":[{"source_name":"evil2"}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_TRUE(d.is_order);
  EXPECT_EQ(d.channel, kNoDimension);
  EXPECT_EQ(d.sku_category, "Right");
  EXPECT_EQ(d.top_sku, "RIGHT");
  ExpectSameAsReference(text, "nested order keys");
  // Without the order's own line_items, nested ones make no order.
  const std::string nested_only =
      R"({"source_name":"web","fulfillments":[{"line_items":[{"price":"1.00"}]}]})";
  EXPECT_FALSE(ReadOrderDimensions(nested_only).is_order);
  ExpectSameAsReference(nested_only, "nested only");
}

TEST(OrderDimensions, EscapesInKeysAndValuesAreDecodedBeforeMatching) {
  // "pr\u0069ce" is the key "price"; "line\u005fitems" is "line_items".
  const std::string text = R"({"source\u005fname":"p\u006fs","line\u005fitems":[
    {"pr\u0069ce":"3\u002e50","quantity":2,"product_type":"T\u00e9e \"classic\"\n","sku":"A\\B"},
    {"price":"6.99","quantity":1,"product_type":"Other"}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_TRUE(d.is_order);
  EXPECT_EQ(d.channel, "pos");
  EXPECT_EQ(d.sku_category, "T\u00e9e \"classic\" ");  // 7.00 beats 6.99; newline cleaned
  EXPECT_EQ(d.top_sku, "A\\B");
  ExpectSameAsReference(text, "escapes");
}

TEST(OrderDimensions, PriceIsReadFromAStringOrANumberAndQuantityOnlyFromANumber) {
  const std::string text = R"({"line_items":[
    {"price":"12.50","quantity":2,"product_type":"StringPrice"},
    {"price":13,"quantity":2,"product_type":"IntPrice"},
    {"price":12.75,"quantity":"100","product_type":"StringQuantityCountsAsOne"},
    {"price":{"amount":"99.00"},"quantity":1,"product_type":"ObjectPriceIsZero"}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_EQ(d.sku_category, "IntPrice");  // 26 beats 25 and 12.75
  ExpectSameAsReference(text, "price kinds");
}

TEST(OrderDimensions, OfDuplicateKeysTheLastCounts) {
  // As in a parsed document: the last duplicate wins, whatever kinds the values have.
  const std::string text = R"({"source_name":"web","source_name":7,"line_items":[
      {"price":"100.00","price":"1.00","product_type":"A","product_type":null,"sku":"X"},
      {"price":"2.00","quantity":1,"quantity":"many","product_type":"B","sku":"Y","sku":3}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_EQ(d.channel, kNoDimension);
  EXPECT_EQ(d.sku_category, "B");
  EXPECT_EQ(d.top_sku, "");
  ExpectSameAsReference(text, "duplicates");
  // A later line_items that is not an array unmakes the order; a later array replaces the
  // earlier one's lines.
  const std::string not_array = R"({"line_items":[{"price":"1.00"}],"line_items":{}})";
  EXPECT_FALSE(ReadOrderDimensions(not_array).is_order);
  ExpectSameAsReference(not_array, "line_items then object");
  const std::string replaced =
      R"({"line_items":[{"price":"9.00","product_type":"Old"}],"line_items":[{"price":"1.00","product_type":"New"}]})";
  EXPECT_EQ(ReadOrderDimensions(replaced).sku_category, "New");
  ExpectSameAsReference(replaced, "line_items twice");
}

TEST(OrderDimensions, LinesThatAreNotObjectsAreSkippedAndMissingFieldsHaveDefaults) {
  const std::string text =
      R"({"line_items":[1,"x",null,[{"price":"50.00","product_type":"InArray"}],
    {"product_type":"NoPriceIsZero"},{"price":"-3.00","product_type":"NegativeNeverWins"}]})";
  const OrderDimensions d = ReadOrderDimensions(text);
  EXPECT_TRUE(d.is_order);
  EXPECT_EQ(d.sku_category, "NoPriceIsZero");  // 0 x 1 beats the initial -1
  ExpectSameAsReference(text, "odd lines");
  ExpectSameAsReference(R"({"line_items":[]})", "no lines");
  ExpectSameAsReference(R"({"line_items":[{"price":"-1"}]})", "only a negative line");
}

TEST(OrderDimensions, RejectsWhatAParseRejects) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  for (const std::string& text :
       {std::string(R"({"line_items":[{"price":"1.00"}]})") + " x",
        std::string(R"({"line_items":[{"price":"1.00"}],})"),
        std::string(R"({"line_items":[{"price":"1.00"}]/* c */})"),
        std::string(R"({"line_items":[{"price":"1.00"}])"),
        std::string("{\"line_items\":[],\"bad\":\"\xff\"}"),
        std::string(R"({"line_items":[],"deep":)") + deep + "}",
        std::string(R"({"line_items":[{"price":01}]})"), std::string("")}) {
    EXPECT_FALSE(ReadOrderDimensions(text).is_order) << text;
    ExpectSameAsReference(text, "rejected");
  }
}

// Random orders (seeded): relevant keys at every level, duplicates, escapes, every kind of
// value, and now and then a broken document.
class OrderGenerator {
 public:
  explicit OrderGenerator(uint64_t seed) : rng_(seed) {}

  std::string Order() {
    std::string out = "{";
    const int members = Int(0, 6);
    bool first = true;
    // Most documents are orders: a line_items array first or last (more may come between).
    const int own_lines = Chance(85) ? (Chance(50) ? 0 : members) : -1;
    for (int i = 0; i <= members; ++i) {
      if (i == own_lines) {
        Comma(out, first);
        out += Key("line_items") + ":" + Lines(1);
      }
      if (i == members) break;
      Comma(out, first);
      switch (Int(0, 6)) {
        case 0:
        case 1:
          out += Key("line_items") + ":" + (Chance(85) ? Lines(1) : Value(2));
          break;
        case 2:
          out += Key("source_name") + ":" + (Chance(80) ? Text() : Value(2));
          break;
        case 3:  // nested look-alikes: fulfillments, customer
          out += Key(Pick({"fulfillments", "refunds"})) + ":[{" + Key("line_items") + ":" +
                 Lines(3) + "," + Key("source_name") + ":" + Text() + "}]";
          break;
        case 4:
          out += Key("customer") + ":{" + Key("source_name") + ":" + Text() + "," +
                 Key("line_items") + ":" + Lines(2) + "}";
          break;
        default:
          out += Key(Pick({"id", "email", "price", "sku", "note"})) + ":" + Value(2);
          break;
      }
    }
    out += "}";
    return Break(out);
  }

 private:
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  std::string Pick(std::initializer_list<const char*> options) {
    return *(options.begin() + Int(0, static_cast<int>(options.size()) - 1));
  }
  static void Comma(std::string& out, bool& first) {
    if (!first) out += ',';
    first = false;
  }

  // A JSON string literal for `text`, some characters escaped (\uXXXX or short escapes).
  std::string Quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (Chance(15)) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
        out += buf;
      } else {
        out += c;
      }
    }
    return out + "\"";
  }
  std::string Key(std::string_view key) { return Quote(key); }

  std::string Text() {
    switch (Int(0, 7)) {
      case 0:
        return "\"\"";
      case 1:
        return R"("a\"b\\c\nd\u00e9\ud83d\ude00")";
      case 2:
        return Quote(std::string(static_cast<size_t>(Int(70, 120)), 'x'));
      default:
        return Quote(Pick({"web", "pos", "Shirts", "Socks", "TEE-1", "Mugs", "app", "Tee"}));
    }
  }

  std::string Price() {
    switch (Int(0, 13)) {
      case 0:
        return std::to_string(Int(0, 500));
      case 1:
        return std::to_string(Int(0, 500)) + ".25";
      case 2:
        return "\"abc\"";
      case 3:
        return "\" 7.5\"";
      case 4:
        return "\"1e999\"";
      case 5:
        return "\"12.5xyz\"";
      case 6:
        return "18446744073709551615";
      case 7:
        return "-" + std::to_string(Int(1, 50));
      case 8:
        return Value(4);
      case 9:
        return "\"nan\"";
      default:
        return Quote(std::to_string(Int(0, 300)) + "." + std::to_string(Int(10, 99)));
    }
  }

  std::string Quantity() {
    switch (Int(0, 5)) {
      case 0:
        return "\"3\"";
      case 1:
        return "2.5";
      case 2:
        return Value(4);
      default:
        return std::to_string(Int(0, 4));
    }
  }

  std::string Line(int depth) {
    std::string out = "{";
    bool first = true;
    const int members = Int(0, 8);
    for (int i = 0; i < members; ++i) {
      Comma(out, first);
      switch (Int(0, depth > 5 ? 3 : 8)) {  // nested objects only near the top
        case 0:
          out += Key("price") + ":" + Price();
          break;
        case 1:
          out += Key("quantity") + ":" + Quantity();
          break;
        case 2:
          out += Key("product_type") + ":" + (Chance(80) ? Text() : Value(depth + 1));
          break;
        case 3:
          out += Key("sku") + ":" + (Chance(80) ? Text() : Value(depth + 1));
          break;
        case 4:  // the same keys one level down
          out += Key(Pick({"tax_lines", "discount_allocations", "properties"})) + ":[" +
                 Line(depth + 2) + "]";
          break;
        case 5:
          out += Key(Pick({"price_set", "nested"})) + ":" + Line(depth + 1);
          break;
        default:
          out += Key(Pick({"title", "id", "grams", "price_set"})) + ":" + Value(depth + 1);
          break;
      }
    }
    return out + "}";
  }

  std::string Lines(int depth) {
    std::string out = "[";
    bool first = true;
    const int n = Int(0, 5);
    for (int i = 0; i < n; ++i) {
      Comma(out, first);
      out += Chance(85) ? Line(depth + 1) : Value(depth + 1);
    }
    return out + "]";
  }

  // Any value; containers only while `depth` is small.
  std::string Value(int depth) {
    const int kind = Int(0, depth > 6 ? 5 : 7);
    switch (kind) {
      case 0:
        return "null";
      case 1:
        return Chance(50) ? "true" : "false";
      case 2:
        return std::to_string(Int(-1000, 1000));
      case 3:
        return "1.5e3";
      case 4:
      case 5:
        return Text();
      case 6: {
        std::string out = "[";
        bool first = true;
        for (int i = Int(0, 3); i > 0; --i) {
          Comma(out, first);
          out += Value(depth + 1);
        }
        return out + "]";
      }
      default:
        return Line(depth + 1);
    }
  }

  // Now and then a document a parse rejects (or one just past its depth limit).
  std::string Break(std::string text) {
    switch (Int(0, 29)) {
      case 0:
        return text.substr(0, static_cast<size_t>(Int(0, static_cast<int>(text.size()))));
      case 1:
        return text + " garbage";
      case 2:
        return "[" + text + "]";
      case 3:
        return text.empty() ? text : text.substr(0, text.size() - 1) + ",}";
      case 4: {
        const int levels = Int(28, 34);
        return R"({"line_items":[{"price":"1","x":)" + std::string(levels, '[') +
               std::string(levels, ']') + "}]}";
      }
      default:
        return text;
    }
  }

  std::mt19937_64 rng_;
};

TEST(OrderDimensions, StreamingReadingEqualsTheDomReadingOnGeneratedOrders) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    OrderGenerator generator(seed);
    int orders = 0, categorised = 0;
    for (int i = 0; i < 1500; ++i) {
      const std::string text = generator.Order();
      ExpectSameAsReference(text, "seed " + std::to_string(seed) + " #" + std::to_string(i));
      const OrderDimensions want = reference::ReadOrderDimensions(text);
      orders += want.is_order ? 1 : 0;
      categorised += want.is_order && want.sku_category != kUncategorised ? 1 : 0;
      if (HasFailure()) return;  // one input is enough to debug
    }
    // The generator must produce orders most of the time, not only rejected documents, and
    // orders whose top line has a product type.
    EXPECT_GT(orders, 750) << "seed " << seed;
    EXPECT_GT(categorised, 150) << "seed " << seed;
  }
}

// Every object holding line_items in the Shopify fixtures (orders, and the fulfillments and
// refunds inside them), whole fixture files, and fixture orders with product types set.
TEST(OrderDimensions, StreamingReadingEqualsTheDomReadingOnShopifyFixtures) {
  const std::filesystem::path dir = SharedDir() / "fixtures/shopify";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no ../shared fixtures at " << dir;
  int compared = 0;
  std::function<void(const json::value&)> walk = [&](const json::value& v) {
    if (v.is_object()) {
      if (v.as_object().contains("line_items")) {
        ExpectSameAsReference(json::serialize(v), "fixture object");
        json::object changed = v.as_object();
        if (json::value* lines = changed.if_contains("line_items"); lines && lines->is_array()) {
          int n = 0;
          for (json::value& line : lines->as_array()) {
            if (line.is_object()) line.as_object()["product_type"] = "Type " + std::to_string(++n);
          }
        }
        ExpectSameAsReference(json::serialize(changed), "fixture object with product types");
        compared += 2;
      }
      for (const auto& member : v.as_object()) walk(member.value());
    } else if (v.is_array()) {
      for (const json::value& e : v.as_array()) walk(e);
    }
  };
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    ExpectSameAsReference(text.str(), entry.path().string());
    ++compared;
    boost::system::error_code ec;
    const json::value v = json::parse(text.str(), ec);
    if (!ec) walk(v);
  }
  EXPECT_GT(compared, 50);
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
