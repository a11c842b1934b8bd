#include "sim/json_writer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace govflow::sim {
namespace {

TEST(JsonWriterTest, WritesNestedValuesWithCommasInTheRightPlaces) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Member("a", int64_t{1});
  w.Key("b");
  w.BeginArray();
  w.String("x");
  w.Double(1.5);
  w.BeginObject();
  w.EndObject();
  w.Bool(false);
  w.Null();
  w.EndArray();
  w.Member("c", "d");
  w.EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":["x",1.5,{},false,null],"c":"d"})");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  JsonWriter w(&out);
  std::string tricky = "say \"hi\"\\ \n\t\x01 caf\xc3\xa9";
  w.BeginObject();
  w.Member("k\"", tricky);
  w.EndObject();
  EXPECT_EQ(out, "{\"k\\\"\":\"say \\\"hi\\\"\\\\ \\n\\t\\u0001 caf\xc3\xa9\"}");
  EXPECT_EQ(boost::json::parse(out).at("k\"").as_string(), tricky);
}

}  // namespace
}  // namespace govflow::sim
