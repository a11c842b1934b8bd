// A contribution's stored text: written byte for byte as boost::json::serialize wrote it (texts
// stored by earlier versions must compare equal), and read back with the same result as the
// full parse earlier versions used, on generated contributions and on mangled texts (seeded).
#include "intel/contribution.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <climits>
#include <random>

namespace govflow::intel {
namespace {

namespace json = boost::json;

// The writing and reading ContributionToJson / ContributionFromJson replaced.
std::string ReferenceToJson(const Contribution& c) {
  json::array counts;
  for (const auto& [counter, at] : c.counts) counts.push_back(json::array{counter, at});
  json::object o{
      {"d", json::array{c.dims.process, c.dims.brand, c.dims.channel, c.dims.sku_category}},
      {"c", std::move(counts)}};
  if (c.latency) o["l"] = json::array{c.latency->first, c.latency->second};
  if (!c.open_severity.empty()) o["o"] = c.open_severity;
  return json::serialize(o);
}

std::optional<Contribution> ReferenceFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  try {
    Contribution out;
    const json::array& d = v.at("d").as_array();
    out.dims = {std::string(d.at(0).as_string()), std::string(d.at(1).as_string()),
                std::string(d.at(2).as_string()), std::string(d.at(3).as_string())};
    for (const json::value& e : v.at("c").as_array()) {
      out.counts.emplace_back(static_cast<int>(e.as_array().at(0).to_number<int64_t>()),
                              e.as_array().at(1).to_number<int64_t>());
    }
    if (const json::value* l = v.as_object().if_contains("l")) {
      out.latency.emplace(l->as_array().at(0).to_number<int64_t>(),
                          l->as_array().at(1).to_number<int64_t>());
    }
    if (const json::value* o = v.as_object().if_contains("o")) {
      out.open_severity = std::string(o->as_string());
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

class ContributionGenerator {
 public:
  explicit ContributionGenerator(uint64_t seed) : rng_(seed) {}

  Contribution Next() {
    Contribution c;
    c.dims = {Text(), Text(), Text(), Text()};
    for (int i = Int(0, 4); i > 0; --i) c.counts.emplace_back(Int(0, 11), Micros());
    if (Int(0, 2) == 0) c.latency.emplace(Micros(), Micros());
    if (Int(0, 3) == 0) c.open_severity = Text();
    return c;
  }

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  int64_t Micros() {
    switch (Int(0, 6)) {
      case 0:
        return 0;
      case 1:
        return INT64_MAX;
      case 2:
        return INT64_MIN;
      case 3:
        return -Int(1, 1'000'000);
      default:
        return 1'800'000'000'000'000 + Int(0, 1'000'000'000);
    }
  }

  // Mostly the dimension values the rollup writes; now and then quotes, backslashes, control
  // characters, UTF-8 or bytes that are not UTF-8.
  std::string Text() {
    switch (Int(0, 9)) {
      case 0:
        return "";
      case 1: {
        std::string s;
        for (int i = Int(1, 12); i > 0; --i) s += static_cast<char>(Int(0, 255));
        return s;
      }
      case 2:
        return "Harbor \"&\" Pine \\ co\t\x01\x1f\x7f";
      case 3:
        return "T\u00e9e \U0001F600";
      default: {
        static const char* kValues[] = {"order-capture", "-",      "shop", "web", "pos",
                                        "uncategorised", "Shirts", "P1",   "P4"};
        return kValues[Int(0, 8)];
      }
    }
  }

  std::mt19937_64 rng_;
};

TEST(ContributionJson, WritesTheTextBoostJsonSerializeWrote) {
  ContributionGenerator generator(11);
  for (int i = 0; i < 20000; ++i) {
    const Contribution c = generator.Next();
    ASSERT_EQ(ContributionToJson(c), ReferenceToJson(c)) << i;
  }
}

TEST(ContributionJson, ReadsBackWhatItWrites) {
  Contribution c;
  c.dims = {"order-capture", "Harbor \"Pine\"", "web", "T\u00e9e"};
  c.counts = {{0, 1'800'000'000'000'000}, {1, 1'800'000'000'500'000}};
  c.latency.emplace(1'800'000'000'500'000, 500'000);
  c.open_severity = "P2";
  EXPECT_EQ(ContributionFromJson(ContributionToJson(c)), c);
  ContributionGenerator generator(12);
  for (int i = 0; i < 20000; ++i) {
    const Contribution g = generator.Next();
    const std::string text = ContributionToJson(g);
    ASSERT_EQ(ContributionFromJson(text), ReferenceFromJson(text)) << text;
  }
}

TEST(ContributionJson, ReadsEveryTextAsTheFullParseDoes) {
  // Texts near the written form: other member orders, spaces, escapes, numbers written as
  // decimals or with leading zeros, extra members and elements, duplicates, truncations.
  const std::vector<std::string> fixed = {
      R"({"d":["a","b","c","d"],"c":[]})",
      R"({"c":[],"d":["a","b","c","d"]})",
      R"({ "d" : ["a","b","c","d"] , "c" : [ [0,1] ] })",
      R"({"d":["\u0061","b","c","d"],"c":[[0,1]]})",
      R"({"d":["a","b","c","d","e"],"c":[[0,1,2]]})",
      R"({"d":["a","b","c"],"c":[]})",
      R"({"d":["a","b","c",4],"c":[]})",
      R"({"d":["a","b","c","d"],"c":[[0,1.0]]})",
      R"({"d":["a","b","c","d"],"c":[[0,1.5]]})",
      R"({"d":["a","b","c","d"],"c":[[0,01]]})",
      R"({"d":["a","b","c","d"],"c":[[0,-0]]})",
      R"({"d":["a","b","c","d"],"c":[[0,1e3]]})",
      R"({"d":["a","b","c","d"],"c":[[0,9223372036854775807]]})",
      R"({"d":["a","b","c","d"],"c":[[0,9223372036854775808]]})",
      R"({"d":["a","b","c","d"],"c":[[0,-9223372036854775808]]})",
      R"({"d":["a","b","c","d"],"c":[[4294967297,5]]})",
      R"({"d":["a","b","c","d"],"c":[],"l":[1,2],"o":"P1"})",
      R"({"d":["a","b","c","d"],"c":[],"o":"P1","l":[1,2]})",
      R"({"d":["a","b","c","d"],"c":[],"l":[1,2],"l":[3,4]})",
      R"({"d":["a","b","c","d"],"c":[],"d":["e","f","g","h"]})",
      R"({"d":["a","b","c","d"],"c":[],"o":7})",
      R"({"d":["a","b","c","d"],"c":[],"l":[1]})",
      R"({"d":["a","b","c","d"],"c":[],"x":1})",
      R"({"d":["a","b","c","d"],"c":[]} )",
      R"({"d":["a","b","c","d"],"c":[]}x)",
      R"({"d":["a","b","c","d"],"c":[],})",
      "{\"d\":[\"a\x01\",\"b\",\"c\",\"d\"],\"c\":[]}",
      "{\"d\":[\"\xff\",\"b\",\"c\",\"d\"],\"c\":[]}",
      R"([1,2])",
      "",
  };
  for (const std::string& text : fixed) {
    EXPECT_EQ(ContributionFromJson(text), ReferenceFromJson(text)) << text;
  }
  ContributionGenerator generator(13);
  std::mt19937_64 rng(14);
  for (int i = 0; i < 20000; ++i) {
    std::string text = ContributionToJson(generator.Next());
    // One to three edits: delete, duplicate or replace a byte with a JSON-ish character.
    for (int edits = generator.Int(1, 3); edits > 0 && !text.empty(); --edits) {
      const size_t at = rng() % text.size();
      static constexpr std::string_view kChars = "{}[],:\"\\0123456789.-e ulod";
      switch (generator.Int(0, 2)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, 1, text[at]);
          break;
        default:
          text[at] = kChars[rng() % kChars.size()];
      }
    }
    ASSERT_EQ(ContributionFromJson(text), ReferenceFromJson(text)) << text;
  }
}

}  // namespace
}  // namespace govflow::intel
