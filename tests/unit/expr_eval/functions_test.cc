// The strings and math extensions and the timestamp functions, beyond what the conformance
// suites cover.
#include <gtest/gtest.h>

#include "expr/program.h"

namespace govflow::expr {
namespace {

Value Eval(std::string_view source) {
  auto program = Compile(source);
  EXPECT_TRUE(program.ok()) << program.status().ToString();
  if (!program.ok()) return Value::Error("compile failed");
  return (*program)->Evaluate(Activation());
}

std::string Str(std::string_view source) {
  Value v = Eval(source);
  EXPECT_EQ(v.kind(), ValueKind::kString) << source << " gave " << v.DebugString();
  return std::string(v.string_value());
}

TEST(StringsExtensionTest, ImplementsCharAtIndexOfAndSubstring) {
  EXPECT_EQ(Str("'héllo'.charAt(1)"), "é");
  EXPECT_EQ(Eval("'hello world'.indexOf('o')").int_value(), 4);
  EXPECT_EQ(Eval("'hello world'.indexOf('o', 5)").int_value(), 7);
  EXPECT_EQ(Eval("'hello world'.lastIndexOf('o')").int_value(), 7);
  EXPECT_EQ(Str("'tacocat'.substring(4)"), "cat");
  EXPECT_EQ(Str("'tacocat'.substring(0, 4)"), "taco");
  EXPECT_TRUE(Eval("'abc'.substring(2, 1)").is_error());
}

TEST(StringsExtensionTest, ImplementsCaseTrimReplaceReverse) {
  EXPECT_EQ(Str("'TacoCat'.lowerAscii()"), "tacocat");
  EXPECT_EQ(Str("'TacoCat'.upperAscii()"), "TACOCAT");
  EXPECT_EQ(Str("'  \\ttrim me\\n '.trim()"), "trim me");
  EXPECT_EQ(Str("'banana'.replace('a', 'o')"), "bonono");
  EXPECT_EQ(Str("'banana'.replace('a', 'o', 2)"), "bonona");
  EXPECT_EQ(Str("'stressed'.reverse()"), "desserts");
}

TEST(StringsExtensionTest, SplitsAndJoins) {
  EXPECT_EQ(Eval("'a,b,c'.split(',')").DebugString(), R"(["a", "b", "c"])");
  EXPECT_EQ(Eval("'a,b,c'.split(',', 2)").DebugString(), R"(["a", "b,c"])");
  EXPECT_EQ(Eval("',a,,b,'.split(',')").DebugString(), R"(["", "a", "", "b", ""])");
  EXPECT_EQ(Eval("'aaa'.split('aa')").DebugString(), R"(["", "a"])");
  EXPECT_EQ(Eval("'abc'.split('')").DebugString(), R"(["a", "b", "c"])");
  EXPECT_EQ(Eval("'a,b'.split(',', 0)").DebugString(), "[]");
  // More parts than the inline fast path holds.
  EXPECT_EQ(Eval("size('0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5'"
                 ".split(','))")
                .int_value(),
            36);
  EXPECT_EQ(Str("'0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5'"
                ".split(',')[35]"),
            "5");
  EXPECT_EQ(Str("['a', 'b', 'c'].join()"), "abc");
  EXPECT_EQ(Str("['a', 'b', 'c'].join('-')"), "a-b-c");
}

TEST(StringsExtensionTest, FormatsWithCelGoVerbs) {
  EXPECT_EQ(Str("'%s and %d'.format(['x', 42])"), "x and 42");
  EXPECT_EQ(Str("'%.2f'.format([3.14159])"), "3.14");
  EXPECT_EQ(Str("'%f'.format([1.5])"), "1.500000");
  EXPECT_EQ(Str("'%e'.format([1052.033])"), "1.052033e+03");
  EXPECT_EQ(Str("'%b %o %x %X'.format([5, 8, 255, 255])"), "101 10 ff FF");
  EXPECT_EQ(Str("'%s'.format([[1, 2]])"), "[1, 2]");
  EXPECT_EQ(Str("'100%%'.format([])"), "100%");
  EXPECT_TRUE(Eval("'%d'.format(['x'])").is_error());
  EXPECT_TRUE(Eval("'%s %s'.format(['x'])").is_error());
}

TEST(StringsExtensionTest, QuotesStrings) {
  EXPECT_EQ(Str("strings.quote('a\"b')"), "\"a\\\"b\"");
}

TEST(ConversionsTest, ParsesDecimalStringsExactly) {
  EXPECT_EQ(Eval("double('1874.40')").double_value(), 1874.40);
  EXPECT_EQ(Eval("double('-0.1')").double_value(), -0.1);
  EXPECT_EQ(Eval("double('123456789012345.6')").double_value(), 123456789012345.6);
  EXPECT_EQ(Eval("double('1e3')").double_value(), 1000.0);
  EXPECT_TRUE(Eval("double('1.2.3')").is_error());
  EXPECT_TRUE(Eval("double('')").is_error());
  EXPECT_TRUE(Eval("double('.')").is_error());
}

TEST(MathExtensionTest, GreatestAndLeastAcceptMixedNumbers) {
  EXPECT_EQ(Eval("math.greatest(1, 2.5, 3u)").uint_value(), 3u);
  EXPECT_EQ(Eval("math.least([5, -1.5, 2u])").double_value(), -1.5);
  EXPECT_TRUE(Eval("math.greatest('a', 1)").is_error());
  EXPECT_TRUE(Eval("math.greatest([])").is_error());
}

TEST(MathExtensionTest, AbsOverflowsOnMinInt) {
  Value v = Eval("math.abs(-9223372036854775808)");
  ASSERT_TRUE(v.is_error());
  EXPECT_NE(v.error_message().find("overflow"), std::string_view::npos);
}

TEST(MathExtensionTest, ShiftsAndBitOps) {
  EXPECT_EQ(Eval("math.bitShiftLeft(1, 3)").int_value(), 8);
  EXPECT_EQ(Eval("math.bitShiftRight(-1024, 3)").int_value(), 2305843009213693824);
  EXPECT_TRUE(Eval("math.bitShiftLeft(1, -1)").is_error());
  EXPECT_EQ(Eval("math.bitXor(5u, 1u)").uint_value(), 4u);
}

TEST(TimeFunctionsTest, AccessorsHonourTimeZones) {
  EXPECT_EQ(Eval("timestamp('2009-02-13T23:31:30Z').getHours('America/Los_Angeles')").int_value(),
            15);
  EXPECT_EQ(Eval("timestamp('2009-02-13T23:31:30Z').getDayOfWeek()").int_value(), 5);
  EXPECT_EQ(Eval("duration('90m').getHours()").int_value(), 1);
  EXPECT_TRUE(Eval("timestamp('2009-02-13T23:31:30Z') + duration('1h') == "
                   "timestamp('2009-02-14T00:31:30Z')")
                  .bool_value());
  EXPECT_TRUE(Eval("timestamp('9999-12-31T23:59:59Z') + duration('1s')").is_error());
}

TEST(OptionalsTest, ChainsAndDefaults) {
  EXPECT_EQ(Str("{'a': {'b': 'x'}}.?a.?b.orValue('none')"), "x");
  EXPECT_EQ(Str("{'a': {}}.?a.?b.orValue('none')"), "none");
  EXPECT_EQ(Eval("[1, 2][?5].hasValue()").bool_value(), false);
}

TEST(EncodersTest, RoundTripsBase64) {
  EXPECT_EQ(Str("base64.encode(b'hello')"), "aGVsbG8=");
  EXPECT_EQ(Eval("base64.decode('aGVsbG8')").string_value(), "hello");
}

}  // namespace
}  // namespace govflow::expr
