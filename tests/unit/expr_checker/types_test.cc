#include "expr/types.h"

#include <gtest/gtest.h>

namespace govflow::expr {
namespace {

TEST(TypeNameTest, PrintsPrimitivesAsCelGoDoes) {
  EXPECT_EQ(TypeName(Type::Int()), "int");
  EXPECT_EQ(TypeName(Type::Uint()), "uint");
  EXPECT_EQ(TypeName(Type::Double()), "double");
  EXPECT_EQ(TypeName(Type::Bool()), "bool");
  EXPECT_EQ(TypeName(Type::String()), "string");
  EXPECT_EQ(TypeName(Type::Bytes()), "bytes");
  EXPECT_EQ(TypeName(Type::Null()), "null_type");
  EXPECT_EQ(TypeName(Type::Dyn()), "dyn");
  EXPECT_EQ(TypeName(Type::Error()), "*error*");
  EXPECT_EQ(TypeName(Type::Timestamp()), "google.protobuf.Timestamp");
  EXPECT_EQ(TypeName(Type::Duration()), "google.protobuf.Duration");
}

TEST(TypeNameTest, PrintsParameterizedTypesWithCommaSpace) {
  EXPECT_EQ(TypeName(Type::List(Type::Int())), "list(int)");
  EXPECT_EQ(TypeName(Type::Map(Type::String(), Type::Dyn())), "map(string, dyn)");
  EXPECT_EQ(TypeName(Type::Map(Type::String(), Type::List(Type::Map(Type::Int(), Type::Bool())))),
            "map(string, list(map(int, bool)))");
  EXPECT_EQ(TypeName(Type::TypeOf(Type::Int())), "type(int)");
  EXPECT_EQ(TypeName(Type::TypeType()), "type");
  EXPECT_EQ(TypeName(Type::Optional(Type::String())), "optional_type(string)");
  EXPECT_EQ(TypeName(Type::Param("A")), "A");
  EXPECT_EQ(TypeName(Type::Message("acme.Order")), "acme.Order");
  EXPECT_EQ(TypeName(Type::Opaque("vector", {Type::Int()})), "vector(int)");
}

TEST(TypeTest, ComparesStructurally) {
  EXPECT_EQ(Type::List(Type::Int()), Type::List(Type::Int()));
  EXPECT_NE(Type::List(Type::Int()), Type::List(Type::Uint()));
  EXPECT_EQ(Type(), Type::Dyn());
  EXPECT_NE(Type::Param("A"), Type::Param("B"));
}

TEST(TypeTest, DetectsNestedTypeParams) {
  EXPECT_TRUE(HasTypeParams(Type::Map(Type::String(), Type::List(Type::Param("T")))));
  EXPECT_FALSE(HasTypeParams(Type::Map(Type::String(), Type::List(Type::Int()))));
}

TEST(ParseTypeNameTest, ReadsWhatTypeNamePrints) {
  for (const Type& t :
       {Type::Int(), Type::Uint(), Type::Double(), Type::Bool(), Type::String(), Type::Bytes(),
        Type::Null(), Type::Dyn(), Type::Timestamp(), Type::Duration(), Type::TypeType(),
        Type::List(Type::Int()), Type::Map(Type::String(), Type::Dyn()),
        Type::Map(Type::String(), Type::List(Type::Map(Type::Int(), Type::Bool()))),
        Type::TypeOf(Type::String()), Type::Optional(Type::Double())}) {
    std::optional<Type> parsed = ParseTypeName(TypeName(t));
    ASSERT_TRUE(parsed.has_value()) << TypeName(t);
    EXPECT_EQ(*parsed, t) << TypeName(t);
  }
}

TEST(ParseTypeNameTest, AcceptsShortTimeNamesAndSpacing) {
  EXPECT_EQ(ParseTypeName(" map( string ,dyn ) "), Type::Map(Type::String(), Type::Dyn()));
  EXPECT_EQ(ParseTypeName("timestamp"), Type::Timestamp());
  EXPECT_EQ(ParseTypeName("duration"), Type::Duration());
}

TEST(ParseTypeNameTest, RejectsUnknownOrMalformedNames) {
  EXPECT_FALSE(ParseTypeName("integer").has_value());
  EXPECT_FALSE(ParseTypeName("list(int").has_value());
  EXPECT_FALSE(ParseTypeName("map(string)").has_value());
  EXPECT_FALSE(ParseTypeName("list(int))").has_value());
  EXPECT_FALSE(ParseTypeName("").has_value());
  EXPECT_FALSE(ParseTypeName("int(string)").has_value());
}

}  // namespace
}  // namespace govflow::expr
