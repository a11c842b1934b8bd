// runs.context_json as the runtime writes it: RunContext::ToJson(steps_json), which writes the
// document as text around steps serialised once per flush, must give exactly the bytes of the
// document serialised whole (the stored context, its audit digest and the runs other code
// reads back depend on it).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "workflow/runtime/run_state.h"

namespace govflow::workflow::runtime {
namespace {

namespace json = boost::json;

// The context as one document, serialised whole: the form the text must match.
std::string SerialisedAsDocument(const RunContext& c) {
  json::object o;
  o["steps"] = c.steps;
  o["attempt"] = c.attempt;
  o["attempt_base"] = c.attempt_base;
  o["call_started_us"] = c.call_started_us;
  o["wait_until_us"] = c.wait_until_us;
  if (!c.approval_id.empty()) o["approval_id"] = c.approval_id;
  return json::serialize(o);
}

TEST(RunContextText, MatchesTheDocumentSerialisedWhole) {
  RunContext plain;
  RunContext full;
  full.steps = json::parse(
      R"({"validate_order":{"output":null},"map_order":{"output":{"externalDocumentNumber":"SHOP-1001",
          "lines":[{"sequence":10000,"quantity":2,"unitPrice":19.95,"description":"T\u00e9e \"blue\"\n"}]}},
          "post_sales_order":{"output":{"id":"5d1c","number":"S-ORD101001","big":18446744073709551615}}})");
  full.attempt = 7;
  full.attempt_base = 3;
  full.call_started_us = 1'782'900'000'123'456;
  full.wait_until_us = -42;
  full.approval_id = "apr_\"quoted\"\\\u00e9\n";
  RunContext extremes;
  extremes.attempt = std::numeric_limits<int64_t>::max();
  extremes.attempt_base = std::numeric_limits<int64_t>::min();
  extremes.approval_id = "a";
  for (const RunContext* c : {&plain, &full, &extremes}) {
    const std::string expected = SerialisedAsDocument(*c);
    EXPECT_EQ(c->ToJson(), expected);
    EXPECT_EQ(c->ToJson(json::serialize(c->steps)), expected);
  }
}

TEST(RunContextText, TakesTheStepsFromTheTextNotTheField) {
  RunContext c;
  c.steps = nullptr;  // what the runtime keeps while a StepContext holds the steps
  c.attempt = 2;
  c.approval_id = "apr_1";
  const std::string text = c.ToJson(R"({"a":{"output":[1,2.5,"x"]}})");
  EXPECT_EQ(text,
            R"({"steps":{"a":{"output":[1,2.5,"x"]}},"attempt":2,"attempt_base":0,)"
            R"("call_started_us":0,"wait_until_us":0,"approval_id":"apr_1"})");
  auto back = RunContext::FromJson(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->steps, json::parse(R"({"a":{"output":[1,2.5,"x"]}})"));
  EXPECT_EQ(back->attempt, 2);
  EXPECT_EQ(back->approval_id, "apr_1");
}

}  // namespace
}  // namespace govflow::workflow::runtime
