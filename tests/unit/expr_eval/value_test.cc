#include "expr/value.h"

#include <cmath>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace govflow::expr {
namespace {

TEST(ValueTest, StaysSixteenBytes) { EXPECT_EQ(sizeof(Value), 16u); }

TEST(ValueTest, ComparesNumbersAcrossTypesByValue) {
  EXPECT_TRUE(ValuesEqual(Value::Int(1), Value::Uint(1)));
  EXPECT_TRUE(ValuesEqual(Value::Int(1), Value::Double(1.0)));
  EXPECT_FALSE(ValuesEqual(Value::Int(-1), Value::Uint(18446744073709551615u)));
  EXPECT_FALSE(ValuesEqual(Value::Double(NAN), Value::Double(NAN)));
  EXPECT_EQ(CompareValues(Value::Int(-1), Value::Uint(0)), -1);
  EXPECT_FALSE(CompareValues(Value::String("a"), Value::Int(1)).has_value());
}

TEST(ValueTest, IdenticalIsTypeExactAndNanEqual) {
  EXPECT_FALSE(ValuesIdentical(Value::Int(1), Value::Uint(1)));
  EXPECT_TRUE(ValuesIdentical(Value::Double(NAN), Value::Double(NAN)));
}

TEST(ValueTest, CopiesShareHeapStorageAndOutliveTheOriginal) {
  Value copy;
  {
    Value s = Value::String("a string long enough to live on the heap");
    copy = s;
  }
  EXPECT_EQ(copy.string_value(), "a string long enough to live on the heap");
  Value list = Value::List({Value::Int(1), Value::String("two")});
  Value list_copy = list;
  list = Value::Null();
  ASSERT_EQ(list_copy.size(), 2u);
  EXPECT_EQ(list_copy.ListElement(1).string_value(), "two");
}

TEST(ValueTest, MapFindsNumericKeysAcrossTypes) {
  Value m = Value::Map({{Value::Uint(1), Value::String("one")}, {Value::Int(2), Value::Bool(true)}});
  ASSERT_FALSE(m.is_error());
  EXPECT_EQ(m.MapFind(Value::Int(1))->string_value(), "one");
  EXPECT_EQ(m.MapFind(Value::Double(1.0))->string_value(), "one");
  EXPECT_FALSE(m.MapFind(Value::Double(1.5)).has_value());
}

TEST(ValueTest, LargeMapsAreIndexedWithCelKeySemantics) {
  std::vector<std::pair<Value, Value>> entries;
  for (int i = 0; i < 200; ++i) {
    entries.emplace_back(Value::Int(i), Value::Int(i * 10));
    entries.emplace_back(Value::String("k" + std::to_string(i)), Value::Int(-i));
  }
  entries.emplace_back(Value::Uint(18446744073709551615u), Value::Bool(true));
  entries.emplace_back(Value::Bool(false), Value::Null());
  Value m = Value::Map(std::move(entries));
  ASSERT_FALSE(m.is_error()) << m.error_message();
  EXPECT_EQ(m.MapFind(Value::Int(150))->int_value(), 1500);
  EXPECT_EQ(m.MapFind(Value::Uint(150))->int_value(), 1500);
  EXPECT_EQ(m.MapFind(Value::Double(150.0))->int_value(), 1500);
  EXPECT_FALSE(m.MapFind(Value::Double(150.5)).has_value());
  EXPECT_FALSE(m.MapFind(Value::Int(-1)).has_value());
  EXPECT_EQ(m.MapFind(Value::String("k42"))->int_value(), -42);
  EXPECT_TRUE(m.MapFind(Value::Uint(18446744073709551615u))->bool_value());
  EXPECT_TRUE(m.MapFind(Value::Bool(false))->IsNull());
  std::vector<std::pair<Value, Value>> dup;
  for (int i = 0; i < 50; ++i) dup.emplace_back(Value::Int(i), Value::Int(i));
  dup.emplace_back(Value::Uint(7), Value::Int(0));
  Value d = Value::Map(std::move(dup));
  ASSERT_TRUE(d.is_error());
  EXPECT_NE(d.error_message().find("repeated key"), std::string_view::npos);
}

TEST(ValueTest, MapRejectsRepeatedAndUnsupportedKeys) {
  Value repeated = Value::Map({{Value::Int(0), Value::Int(1)}, {Value::Uint(0), Value::Int(2)}});
  ASSERT_TRUE(repeated.is_error());
  EXPECT_NE(repeated.error_message().find("repeated key"), std::string_view::npos);
  Value bad = Value::Map({{Value::Double(1.5), Value::Int(1)}});
  ASSERT_TRUE(bad.is_error());
  EXPECT_NE(bad.error_message().find("unsupported key type"), std::string_view::npos);
}

TEST(ValueTest, JsonIsViewedInPlace) {
  boost::json::value doc = boost::json::parse(R"({"name":"widget","qty":3,"tags":["a","b"]})");
  Value v = Value::FromJson(doc);
  ASSERT_EQ(v.kind(), ValueKind::kMap);
  EXPECT_TRUE(v.IsJsonView());
  Value name = *v.MapFind(Value::String("name"));
  // The string points at the document's own storage.
  EXPECT_EQ(name.string_value().data(), doc.at("name").as_string().data());
  Value qty = *v.MapFind(Value::String("qty"));
  EXPECT_EQ(qty.kind(), ValueKind::kDouble);  // JSON numbers are CEL doubles
  EXPECT_EQ(qty.double_value(), 3.0);
  Value tags = *v.MapFind(Value::String("tags"));
  EXPECT_EQ(tags.size(), 2u);
}

TEST(ValueTest, DeepCopyDetachesFromJson) {
  Value copy;
  {
    boost::json::value doc = boost::json::parse(R"({"k":["x"]})");
    copy = Value::FromJson(doc).DeepCopy();
  }
  EXPECT_FALSE(copy.IsJsonView());
  EXPECT_EQ(copy.DebugString(), R"({"k": ["x"]})");
}

TEST(ValueTest, ArenaValuesAreMaterializedIntoOwnedStorage) {
  Value owned;
  {
    alignas(16) char buffer[256];
    Arena arena(buffer, sizeof buffer);
    Value list = arena.NewList(2);
    Arena::MutableElements(list)[0] = arena.NewString("temporary");
    Arena::MutableElements(list)[1] = Value::Int(7);
    owned = MaterializeValue(list);
  }
  EXPECT_EQ(owned.DebugString(), R"(["temporary", 7])");
}

TEST(ValueTest, ArenaGrowsOntoTheHeapOnlyWhenTheBufferIsFull) {
  alignas(16) char buffer[128];
  Arena arena(buffer, sizeof buffer);
  arena.Allocate(64);
  EXPECT_EQ(arena.heap_bytes(), 0u);
  arena.Allocate(1000);
  EXPECT_GT(arena.heap_bytes(), 0u);
}

}  // namespace
}  // namespace govflow::expr
