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

}  // namespace
}  // namespace govflow::expr
