// The small pieces the language stands on: durations, error classes, the canonical JSON that
// content hashes are computed over, CEL-to-JSON conversion, message templates and retry backoff.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "expr/program.h"
#include "base/canonical_json.h"
#include "workflow/cel_json.h"
#include "workflow/definition.h"
#include "workflow/error_class.h"
#include "workflow/loader.h"
#include "workflow/message_template.h"
#include "base/yaml_source.h"

namespace govflow::workflow {
namespace {

using namespace std::chrono_literals;

TEST(WorkflowDuration, ParsesUnitsAndCombinations) {
  EXPECT_EQ(ParseWorkflowDuration("15m"), std::chrono::nanoseconds(15min));
  EXPECT_EQ(ParseWorkflowDuration("1h30m"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(ParseWorkflowDuration("1.5s"), std::chrono::nanoseconds(1500ms));
  EXPECT_EQ(ParseWorkflowDuration("250ms"), std::chrono::nanoseconds(250ms));
  EXPECT_EQ(ParseWorkflowDuration("2d"), std::chrono::nanoseconds(48h));
  EXPECT_EQ(ParseWorkflowDuration("0"), std::chrono::nanoseconds(0));
}

TEST(WorkflowDuration, RejectsMalformedText) {
  for (const char* bad : {"", "15", "m", "15 m", "-5s", "1.s.", "5x", "1h 30m", ".s"}) {
    EXPECT_FALSE(ParseWorkflowDuration(bad).has_value()) << bad;
  }
}

TEST(WorkflowDuration, FormatsCanonically) {
  EXPECT_EQ(FormatWorkflowDuration(90s), "1m30s");
  EXPECT_EQ(FormatWorkflowDuration(900s), "15m");
  EXPECT_EQ(FormatWorkflowDuration(26h), "1d2h");
  EXPECT_EQ(FormatWorkflowDuration(1500ms), "1.5s");
  EXPECT_EQ(FormatWorkflowDuration(250ms), "250ms");
  EXPECT_EQ(FormatWorkflowDuration(0s), "0s");
}

TEST(ErrorClasses, RoundTripTheirNames) {
  for (ErrorClass c : AllErrorClasses()) {
    EXPECT_EQ(ParseErrorClass(ErrorClassName(c)), c);
  }
  EXPECT_FALSE(ParseErrorClass("Transient").has_value());
  EXPECT_EQ(DefaultRetryableClasses().size(), 4u);
}

TEST(CanonicalJsonText, SortsKeysAndWritesShortestNumbers) {
  boost::json::value v =
      boost::json::parse(R"({"b": [1, 2.5, 0.1], "a": {"y": null, "x": "q\"\n"}})");
  EXPECT_EQ(CanonicalJson(v), R"({"a":{"x":"q\"\n","y":null},"b":[1,2.5,0.1]})");
}

TEST(CanonicalJsonText, Sha256MatchesAKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CelToJson, ConvertsEveryKind) {
  expr::Activation activation;
  auto eval = [&](const char* source) {
    auto value = expr::EvaluateExpression(source, activation);
    EXPECT_TRUE(value.ok()) << source << ": " << value.status().message();
    auto json = ValueToJson(*value);
    EXPECT_TRUE(json.ok()) << source << ": " << json.status().message();
    return json.ok() ? CanonicalJson(*json) : std::string();
  };
  EXPECT_EQ(eval("{'a': [1, 2u, 2.0, 2.5, true, null, 'x']}"),
            R"({"a":[1,2,2,2.5,true,null,"x"]})");
  EXPECT_EQ(eval("timestamp('2026-07-01T10:00:00Z')"), R"("2026-07-01T10:00:00Z")");
  EXPECT_EQ(eval("duration('90s')"), R"("90s")");
  EXPECT_EQ(eval("{1: 'one'}"), R"({"1":"one"})");
  EXPECT_EQ(eval("b'hi'"), R"("aGk=")");

  auto error = expr::EvaluateExpression("1.0 / 0.0", activation);
  ASSERT_TRUE(error.ok());
  EXPECT_FALSE(ValueToJson(*error).ok());
}

// A list or map that views a JSON document (an `event` field, a step output) is converted straight
// from the document; the result must be what converting the same content as CEL values gives
// (CEL reads every JSON number as a double), key order and number forms included.
TEST(CelToJson, ConvertsJsonViewsLikeTheSameCelValues) {
  const char* documents[] = {
      R"({"name":"#1001","total_price":"19.90","line_items":[{"quantity":2,"price":"9.95",
          "sku":" TEE-1 ","grams":0,"ratio":0.25,"neg":-3,"negz":-0.0,"tax_lines":[]}],
          "customer":null,"flags":[true,false],"empty":{},"nested":[[[1]],{"a":{"b":[]}}]})",
      R"([9007199254740991,9007199254740992,-9007199254740992,-9007199254740991,
          9223372036854775807,-9223372036854775808,18446744073709551615,1e300,-1.5e-7,4.0])",
      R"({"z":1,"a":2,"m":{"y":"\u00e9\"\n","b":"x"}})",
  };
  for (const char* text : documents) {
    const boost::json::value doc = boost::json::parse(text);
    const expr::Value view = expr::Value::FromJson(doc);
    ASSERT_TRUE(view.IsJsonView()) << text;
    const expr::Value owned = view.DeepCopy();  // the same content as CEL's own values
    ASSERT_FALSE(owned.IsJsonView()) << text;
    auto from_view = ValueToJson(view);
    auto from_values = ValueToJson(owned);
    ASSERT_TRUE(from_view.ok()) << from_view.status().message();
    ASSERT_TRUE(from_values.ok()) << from_values.status().message();
    EXPECT_EQ(boost::json::serialize(*from_view), boost::json::serialize(*from_values)) << text;
    EXPECT_EQ(from_view->kind(), from_values->kind());
  }
  // Integral numbers below 2^53 become integers whatever their JSON form; larger ones doubles.
  const boost::json::value numbers = boost::json::parse("[2.0, 2, 9007199254740992, 2.5]");
  auto converted = ValueToJson(expr::Value::FromJson(numbers));
  ASSERT_TRUE(converted.ok());
  const boost::json::array& a = converted->as_array();
  EXPECT_TRUE(a[0].is_int64());
  EXPECT_TRUE(a[1].is_int64());
  EXPECT_TRUE(a[2].is_double());
  EXPECT_TRUE(a[3].is_double());
}

TEST(CelToJson, RejectsJsonViewsNestedTooDeeplyLikeCelValues) {
  std::string deep;
  for (int i = 0; i < 250; ++i) deep += '[';
  for (int i = 0; i < 250; ++i) deep += ']';
  boost::json::parse_options options;
  options.max_depth = 1000;
  const boost::json::value doc = boost::json::parse(deep, {}, options);
  auto from_view = ValueToJson(expr::Value::FromJson(doc));
  auto from_values = ValueToJson(expr::Value::FromJson(doc).DeepCopy());
  ASSERT_FALSE(from_view.ok());
  ASSERT_FALSE(from_values.ok());
  EXPECT_EQ(from_view.status().message(), from_values.status().message());
  // Within the limit both convert.
  std::string shallow = std::string(150, '[') + std::string(150, ']');
  EXPECT_TRUE(ValueToJson(expr::Value::FromJson(boost::json::parse(shallow, {}, options))).ok());
}

TEST(MessageTemplates, SplitsInterpolations) {
  size_t error_offset = 0;
  auto segments = SplitTemplate("order {{ event.name }} failed", &error_offset);
  ASSERT_TRUE(segments.ok());
  ASSERT_EQ(segments->size(), 3u);
  EXPECT_EQ((*segments)[0].text, "order ");
  EXPECT_TRUE((*segments)[1].is_expression);
  EXPECT_EQ((*segments)[1].text, " event.name ");
  EXPECT_EQ((*segments)[1].offset, 8u);
  EXPECT_EQ((*segments)[2].text, " failed");

  EXPECT_FALSE(SplitTemplate("a {{ b", &error_offset).ok());
  EXPECT_EQ(error_offset, 2u);
  EXPECT_FALSE(SplitTemplate("a {{ }} b", &error_offset).ok());
}

TEST(SourcePositions, MapScalarOffsetsThroughQuotesAndBlocks) {
  std::string text = "a: \"x \\\" y\"\nb: |\n  first\n  second\n";
  SourceText source(text);
  // In the double-quoted scalar, value offset 4 is 'y' (after the escaped quote).
  size_t quoted = ScalarOffsetToSource(text, 3, "x \" y", 4);
  EXPECT_EQ(text[quoted], 'y');
  EXPECT_EQ(source.LocationOf(quoted), (SourceLocation{1, 10}));
  // In the block scalar, value offset 6 is the 's' of "second" on line 4.
  size_t block = ScalarOffsetToSource(text, text.find('|'), "first\nsecond\n", 6);
  EXPECT_EQ(source.LocationOf(block), (SourceLocation{4, 3}));
  EXPECT_EQ(ExpressionOffset("ab\ncd", 2, 2), 4u);
}

TEST(RetryPolicyBackoff, GrowsGeometricallyUpToTheCapWithJitter) {
  RetryPolicy policy;
  policy.initial_backoff = 1s;
  policy.max_backoff = 10s;
  policy.multiplier = 2.0;
  policy.jitter = 0.0;
  EXPECT_EQ(policy.BackoffBefore(2, 0.5), std::chrono::nanoseconds(1s));
  EXPECT_EQ(policy.BackoffBefore(3, 0.5), std::chrono::nanoseconds(2s));
  EXPECT_EQ(policy.BackoffBefore(4, 0.5), std::chrono::nanoseconds(4s));
  EXPECT_EQ(policy.BackoffBefore(6, 0.5), std::chrono::nanoseconds(10s));
  EXPECT_EQ(policy.BackoffBefore(60, 0.5), std::chrono::nanoseconds(10s));
  policy.jitter = 0.5;
  EXPECT_EQ(policy.BackoffBefore(2, 0.0), std::chrono::nanoseconds(500ms));
  EXPECT_EQ(policy.BackoffBefore(2, 1.0), std::chrono::nanoseconds(1500ms));
}

}  // namespace
}  // namespace govflow::workflow
