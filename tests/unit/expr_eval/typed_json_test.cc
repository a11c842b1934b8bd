#include "expr/typed_json.h"

#include <cmath>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace govflow::expr {
namespace {

Value FromText(std::string_view text) {
  auto v = ValueFromTypedJson(boost::json::parse(text));
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : Value::Error("parse failed");
}

TEST(TypedJsonTest, KeepsIntUintAndDoubleDistinct) {
  EXPECT_EQ(FromText(R"({"int":"-5"})").int_value(), -5);
  EXPECT_EQ(FromText(R"({"uint":"18446744073709551615"})").uint_value(), 18446744073709551615u);
  EXPECT_TRUE(std::isnan(FromText(R"({"double":"NaN"})").double_value()));
  EXPECT_EQ(FromText(R"({"double":"-Infinity"})").double_value(), -INFINITY);
}

TEST(TypedJsonTest, DecodesContainersBytesAndTime) {
  Value m = FromText(R"({"map":[[{"string":"k"},{"list":[{"bytes":"AP8="},{"null":null}]}]]})");
  EXPECT_EQ(m.DebugString(), R"({"k": [b"\x00\xff", null]})");
  EXPECT_EQ(FromText(R"({"timestamp":"2009-02-13T23:31:30Z"})").timestamp_value().seconds,
            1234567890);
  EXPECT_EQ(FromText(R"({"duration":"1.5s"})").duration_value().nanos, 500000000);
  EXPECT_EQ(FromText(R"({"type":"int"})").type_name(), "int");
}

TEST(TypedJsonTest, RoundTrips) {
  const char* text =
      R"({"list":[{"int":"1"},{"uint":"2"},{"double":1.5},{"string":"s"},{"bool":true}]})";
  Value v = FromText(text);
  boost::json::value back = ValueToTypedJson(v);
  EXPECT_EQ(back, boost::json::parse(text));
  EXPECT_TRUE(ValuesIdentical(*ValueFromTypedJson(back), v));
}

TEST(TypedJsonTest, RejectsMalformedInput) {
  EXPECT_FALSE(ValueFromTypedJson(boost::json::parse(R"({"int":"x"})")).ok());
  EXPECT_FALSE(ValueFromTypedJson(boost::json::parse(R"({"what":1})")).ok());
  EXPECT_FALSE(ValueFromTypedJson(boost::json::parse(R"([1])")).ok());
}

TEST(TypedJsonTest, PlainJsonNumbersBecomeDoubles) {
  boost::json::value doc = boost::json::parse(R"({"n": 5})");
  Value v = ValueFromJson(doc);
  EXPECT_EQ(v.MapFind(Value::String("n"))->kind(), ValueKind::kDouble);
}

TEST(TypedJsonTest, Base64AcceptsMissingPadding) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(*Base64Decode("aGVsbG8"), "hello");
  EXPECT_FALSE(Base64Decode("a$").ok());
}

}  // namespace
}  // namespace govflow::expr
