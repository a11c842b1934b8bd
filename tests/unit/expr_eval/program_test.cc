#include "expr/program.h"

#include <atomic>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace govflow::expr {
namespace {

Value Eval(std::string_view source, const Activation& activation = Activation(),
           const EvalOptions& options = {}) {
  auto program = Compile(source);
  EXPECT_TRUE(program.ok()) << program.status().ToString();
  if (!program.ok()) return Value::Error("compile failed");
  return (*program)->Evaluate(activation, options);
}

std::string ErrorOf(std::string_view source, const Activation& activation = Activation()) {
  Value v = Eval(source, activation);
  EXPECT_TRUE(v.is_error()) << source << " gave " << v.DebugString();
  return std::string(v.error_message());
}

TEST(ProgramTest, NamesFunctionAndArgumentTypesInNoSuchOverload) {
  EXPECT_EQ(ErrorOf("size(1)"), "no such overload: size(int)");
  EXPECT_EQ(ErrorOf("'a' - 1"), "no such overload: _-_(string, int)");
  EXPECT_EQ(ErrorOf("'a'.startsWith(1u)"), "no such overload: startsWith(string, uint)");
}

TEST(ProgramTest, RejectsOverflowOnIntAddition) {
  EXPECT_EQ(ErrorOf("9223372036854775807 + 1"), "return error for overflow");
  EXPECT_EQ(ErrorOf("-9223372036854775808 - 1"), "return error for overflow");
  EXPECT_EQ(ErrorOf("-(-9223372036854775808)"), "return error for overflow");
  EXPECT_EQ(ErrorOf("0u - 1u"), "return error for overflow");
  EXPECT_EQ(ErrorOf("int(18446744073709551615u)").find("range"), 0u);
}

TEST(ProgramTest, RejectsDivisionAndModuloByZero) {
  EXPECT_EQ(ErrorOf("1 / 0"), "divide by zero");
  EXPECT_EQ(ErrorOf("1 % 0"), "modulus by zero");
  EXPECT_EQ(Eval("1.0 / 0.0").double_value(), std::numeric_limits<double>::infinity());
}

TEST(ProgramTest, LogicalOperatorsAbsorbErrorsCommutatively) {
  EXPECT_FALSE(Eval("false && 1/0 == 1").bool_value());
  EXPECT_FALSE(Eval("1/0 == 1 && false").bool_value());
  EXPECT_TRUE(Eval("true || 1/0 == 1").bool_value());
  EXPECT_TRUE(Eval("1/0 == 1 || true").bool_value());
  EXPECT_EQ(ErrorOf("true && 1/0 == 1"), "divide by zero");
  EXPECT_TRUE(Eval("undefined_var || true").bool_value());
}

TEST(ProgramTest, ConditionalEvaluatesOnlyTheTakenBranch) {
  EXPECT_EQ(Eval("true ? 1 : 1/0").int_value(), 1);
  EXPECT_EQ(Eval("false ? 1/0 : 2").int_value(), 2);
}

TEST(ProgramTest, ReadsBoundJsonInPlace) {
  boost::json::value order = boost::json::parse(
      R"({"total_price":"1500.50","tags":"vip, wholesale","line_items":[{"sku":"A","qty":2}],
          "customer":{"email":"a@example.com"}})");
  Activation activation;
  activation.BindJson("order", order);
  EXPECT_TRUE(Eval("double(order.total_price) > 1000.0 && "
                   "order.tags.split(', ').exists(t, t == 'wholesale')",
                   activation)
                  .bool_value());
  EXPECT_TRUE(Eval("order.line_items[0].qty == 2", activation).bool_value());
  EXPECT_TRUE(Eval("has(order.customer.email) && !has(order.customer.phone)", activation)
                  .bool_value());
  Value email = Eval("order.customer.email", activation);
  // The result views the document's own bytes: nothing was copied.
  EXPECT_EQ(email.string_value().data(), order.at("customer").at("email").as_string().data());
  EXPECT_EQ(ErrorOf("order.missing", activation), "no such key: 'missing'");
}

TEST(ProgramTest, EvaluatesTheHotPathWithoutArenaHeapGrowth) {
  // The benchmark expression must fit in the evaluation's stack buffer.
  boost::json::value order = boost::json::parse(
      R"({"total_price":"1500.50","tags":"a, b, c, wholesale, e, f"})");
  Activation activation;
  activation.BindJson("order", order);
  auto program = Compile(
      "double(order.total_price) > 1000.0 && order.tags.split(', ').exists(t, t == 'wholesale')");
  ASSERT_TRUE(program.ok());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE((*program)->Evaluate(activation).bool_value());
}

TEST(ProgramTest, SharesOneProgramAcrossEightThreads) {
  auto program = Compile("[1, 2, 3].map(x, x * n).filter(y, y > 2).size() + n");
  ASSERT_TRUE(program.ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Activation activation;
      activation.Bind("n", Value::Int(t + 1));
      for (int i = 0; i < 2000; ++i) {
        Value v = (*program)->Evaluate(activation);
        // x*n > 2 holds for 3 elements when n >= 3, 2 when n == 2 (4, 6), 1 when n == 1 (3).
        int64_t n = t + 1;
        int64_t expected = (n >= 3 ? 3 : (n == 2 ? 2 : 1)) + n;
        if (v.kind() != ValueKind::kInt || v.int_value() != expected) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ProgramTest, StopsCleanlyWhenTheCostBudgetIsExceeded) {
  EvalOptions options;
  options.cost_budget = 50;
  Value v = Eval("[1,2,3,4,5,6,7,8,9,10].all(x, [1,2,3,4,5,6,7,8,9,10].all(y, x + y > 0))",
                 Activation(), options);
  ASSERT_TRUE(v.is_error());
  EXPECT_EQ(v.error_message(), "cost budget exceeded");
  // An absorbing operator does not hide the exhausted budget.
  v = Eval("false && [1,2,3].exists(x, x > 5) || [1,2,3,4,5,6,7,8,9,10].exists(x, "
           "[1,2,3,4,5,6,7,8,9,10].exists(y, x * y > 1000))",
           Activation(), options);
  ASSERT_TRUE(v.is_error());
  auto result = (*Compile("[1,2,3].map(x, x)"))->EvaluateToResult(Activation(), EvalOptions{2});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
}

TEST(ProgramTest, ReportsUndeclaredVariablesAtRunTime) {
  EXPECT_EQ(ErrorOf("x"), "undeclared reference to 'x' (in container '')");
}

TEST(ProgramTest, ResolvesQualifiedNamesLongestPrefixFirst) {
  Activation activation;
  activation.Bind("a.b", Value::Map({{Value::String("c"), Value::String("oops")}}));
  activation.Bind("a.b.c", Value::String("yeah"));
  EXPECT_EQ(Eval("a.b.c", activation).string_value(), "yeah");
}

TEST(ProgramTest, ResultOutlivesProgramAndActivation) {
  Value result;
  {
    Activation activation;
    activation.Bind("s", Value::String("hello there"));
    auto program = Compile("[s + '!', s.substring(6), {'k': s}]");
    ASSERT_TRUE(program.ok());
    result = (*program)->Evaluate(activation);
  }
  EXPECT_EQ(result.DebugString(), R"(["hello there!", "there", {"k": "hello there"}])");
}

TEST(ProgramTest, ReportsParseErrorsFromCompile) {
  auto program = Compile("1 + ");
  ASSERT_FALSE(program.ok());
  EXPECT_NE(program.status().message().find("ERROR: <input>:1:"), std::string::npos);
}

TEST(ProgramTest, BindsVariablesWithCelBind) {
  EXPECT_EQ(Eval("cel.bind(x, 'ab', x + x)").string_value(), "abab");
}

TEST(ProgramTest, EvaluatesTwoVariableComprehensions) {
  EXPECT_TRUE(Eval("{'a': 1, 'b': 2}.all(k, v, v > 0 && k != '')").bool_value());
  EXPECT_EQ(Eval("[10, 20].transformList(i, v, i + v)").DebugString(), "[10, 21]");
}

}  // namespace
}  // namespace govflow::expr
