#include "expr/declarations.h"

#include <gtest/gtest.h>

namespace govflow::expr {
namespace {

Type MustParse(std::string_view text) {
  Result<Type> t = ParseTypeText(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : Type::Error();
}

TEST(ParseTypeTextTest, ReadsPrimitivesAndAggregates) {
  EXPECT_EQ(MustParse("primitive: INT64"), Type::Int());
  EXPECT_EQ(MustParse("primitive: UINT64"), Type::Uint());
  EXPECT_EQ(MustParse("null: NULL_VALUE"), Type::Null());
  EXPECT_EQ(MustParse("list_type { elem_type { primitive: STRING } }"), Type::List(Type::String()));
  EXPECT_EQ(
      MustParse("map_type { key_type { primitive: STRING } value_type { primitive: INT64 } }"),
      Type::Map(Type::String(), Type::Int()));
  EXPECT_EQ(MustParse("type { primitive: INT64 }"), Type::TypeOf(Type::Int()));
  EXPECT_EQ(MustParse("dyn {}"), Type::Dyn());
  EXPECT_EQ(MustParse("type_param: \"A\""), Type::Param("A"));
  EXPECT_EQ(MustParse("well_known: TIMESTAMP"), Type::Timestamp());
  EXPECT_EQ(
      MustParse("abstract_type { name: \"optional_type\" parameter_types { primitive: INT64 } }"),
      Type::Optional(Type::Int()));
}

TEST(ParseTypeTextTest, MapsWellKnownMessagesToJsonShapes) {
  EXPECT_EQ(MustParse("message_type: \"google.protobuf.Duration\""), Type::Duration());
  EXPECT_EQ(MustParse("message_type: \"google.protobuf.Timestamp\""), Type::Timestamp());
  EXPECT_EQ(MustParse("message_type: \"google.protobuf.Struct\""),
            Type::Map(Type::String(), Type::Dyn()));
  EXPECT_EQ(MustParse("message_type: \"google.protobuf.Value\""), Type::Dyn());
  EXPECT_EQ(MustParse("message_type: \"acme.Order\""), Type::Message("acme.Order"));
}

TEST(ParseTypeTextTest, RejectsMalformedText) {
  EXPECT_FALSE(ParseTypeText("primitive: INT65").ok());
  EXPECT_FALSE(ParseTypeText("list_type { elem_type { primitive: INT64 }").ok());
  EXPECT_FALSE(ParseTypeText("").ok());
  EXPECT_FALSE(ParseTypeText("primitive: INT64 primitive: BOOL").ok());
}

TEST(ParseDeclarationsTest, DeclaresIdentsOnTopOfStandard) {
  Result<TypeEnvironment> env = ParseDeclarations({
      R"(name: "x" ident { type { primitive: INT64 } })",
      R"(name: "a.b" ident { type { map_type { key_type { primitive: STRING } value_type { primitive: STRING } } } })",
      R"(name: "d" ident { type { message_type: "google.protobuf.Duration" } })",
  });
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_NE(env->FindVariable("x"), nullptr);
  EXPECT_EQ(*env->FindVariable("x"), Type::Int());
  EXPECT_EQ(*env->FindVariable("a.b"), Type::Map(Type::String(), Type::String()));
  EXPECT_EQ(*env->FindVariable("d"), Type::Duration());
  EXPECT_NE(env->FindFunction("_+_"), nullptr);
}

TEST(ParseDeclarationsTest, DeclaresFunctionOverloads) {
  Result<TypeEnvironment> env = ParseDeclarations({
      R"(name: "fn" function { overloads { overload_id: "fn_string_int" params { primitive: STRING } params { primitive: INT64 } result_type { primitive: BOOL } } })",
  });
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  const std::vector<FunctionOverload>* fn = env->FindFunction("fn");
  ASSERT_NE(fn, nullptr);
  ASSERT_EQ(fn->size(), 1u);
  EXPECT_EQ((*fn)[0].id, "fn_string_int");
  EXPECT_FALSE((*fn)[0].member);
  EXPECT_EQ((*fn)[0].params, (std::vector<Type>{Type::String(), Type::Int()}));
  EXPECT_EQ((*fn)[0].result, Type::Bool());
}

TEST(ParseDeclarationsTest, RejectsDuplicateAndMalformedDeclarations) {
  Result<TypeEnvironment> dup = ParseDeclarations({
      R"(name: "x" ident { type { primitive: INT64 } })",
      R"(name: "x" ident { type { primitive: BOOL } })",
  });
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  Result<TypeEnvironment> bad =
      ParseDeclarations({R"(name: "x" ident { type { primitive: NOPE } })"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("name: \"x\""), std::string::npos);
}

TEST(TypeEnvironmentTest, RejectsDuplicateOverloadIdAndReceiverlessMember) {
  TypeEnvironment env;
  ASSERT_TRUE(env.AddFunctionOverload("f", {"f_int", false, {Type::Int()}, Type::Int()}).ok());
  EXPECT_EQ(env.AddFunctionOverload("f", {"f_int", false, {Type::Int()}, Type::Int()}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(env.AddFunctionOverload("g", {"g", true, {}, Type::Int()}).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace govflow::expr
