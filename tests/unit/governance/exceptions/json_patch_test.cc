// JSON Patch (RFC 6902) application and the reviewable diff kept with payload edits.
#include "governance/exceptions/json_patch.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace govflow::governance::exceptions {
namespace {

namespace json = boost::json;

TEST(JsonPatchTest, AppliesAddRemoveReplaceMoveCopyAndTest) {
  json::value doc = json::parse(R"({"a":{"b":1,"c":[1,2]},"d":"x"})");
  auto out = ApplyJsonPatch(doc, json::parse(R"([
      {"op":"test","path":"/d","value":"x"},
      {"op":"replace","path":"/a/b","value":2},
      {"op":"add","path":"/a/c/-","value":3},
      {"op":"add","path":"/a/c/0","value":0},
      {"op":"remove","path":"/d"},
      {"op":"copy","from":"/a/b","path":"/e"},
      {"op":"move","from":"/e","path":"/f~1g"}])"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, json::parse(R"({"a":{"b":2,"c":[0,1,2,3]},"f/g":2})"));
}

TEST(JsonPatchTest, RejectsAMissingPathAndAFailedTestNamingTheOperation) {
  json::value doc = json::parse(R"({"a":1})");
  auto missing = ApplyJsonPatch(doc, json::parse(R"([{"op":"replace","path":"/b","value":2}])"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "operation 0: path '/b' does not exist");
  auto test = ApplyJsonPatch(
      doc,
      json::parse(R"([{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}])"));
  ASSERT_FALSE(test.ok());
  EXPECT_EQ(test.status().message(), "operation 1: test failed at '/a'");
}

TEST(JsonPatchTest, DiffNamesEachChangeWithTheValueItReplaced) {
  json::value a = json::parse(R"({"x":{"sku":"A","n":1},"gone":true,"list":[1,2]})");
  json::value b = json::parse(R"({"x":{"sku":"B","n":1},"new":"y","list":[1,2,3]})");
  EXPECT_EQ(json::value(DiffJson(a, b)), json::parse(R"([
      {"op":"replace","path":"/x/sku","value":"B","old":"A"},
      {"op":"remove","path":"/gone","old":true},
      {"op":"replace","path":"/list","value":[1,2,3],"old":[1,2]},
      {"op":"add","path":"/new","value":"y"}])"));
  EXPECT_TRUE(DiffJson(a, a).empty());
}

}  // namespace
}  // namespace govflow::governance::exceptions
