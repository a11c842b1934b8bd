#include "api/http_types.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace govflow::api {
namespace {

TEST(HttpHeadersTest, LooksUpNamesCaseInsensitively) {
  HttpHeaders headers;
  headers.Add("X-Shopify-Hmac-Sha256", "abc");
  EXPECT_EQ(headers.Get("x-shopify-hmac-sha256"), "abc");
  EXPECT_EQ(headers.Get("X-SHOPIFY-HMAC-SHA256"), "abc");
  EXPECT_FALSE(headers.Get("X-Shopify-Topic").has_value());
}

TEST(HttpHeadersTest, KeepsRepeatedFieldsAndSetReplacesThemAll) {
  HttpHeaders headers;
  headers.Add("Set-Cookie", "a=1");
  headers.Add("set-cookie", "b=2");
  EXPECT_EQ(headers.GetAll("SET-COOKIE"), (std::vector<std::string_view>{"a=1", "b=2"}));
  EXPECT_EQ(headers.Get("Set-Cookie"), "a=1");
  headers.Set("Set-Cookie", "c=3");
  EXPECT_EQ(headers.GetAll("set-cookie"), (std::vector<std::string_view>{"c=3"}));
  headers.Remove("SET-cookie");
  EXPECT_TRUE(headers.empty());
}

TEST(PercentDecodeTest, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%e2%82%ac", false), "\xe2\x82\xac");
}

TEST(PercentDecodeTest, RejectsTruncatedAndNonHexEscapes) {
  EXPECT_FALSE(PercentDecode("%", false).has_value());
  EXPECT_FALSE(PercentDecode("ab%4", false).has_value());
  EXPECT_FALSE(PercentDecode("%zz", false).has_value());
}

TEST(ParseTargetTest, SplitsPathAndDecodesQueryInOrder) {
  HttpRequest request;
  ASSERT_TRUE(ParseTarget("/api/v1/runs%20x?state=failed&q=a+b%26c&flag&state=open", request));
  EXPECT_EQ(request.raw_path, "/api/v1/runs%20x");
  EXPECT_EQ(request.path, "/api/v1/runs x");
  ASSERT_EQ(request.query.size(), 4u);
  EXPECT_EQ(request.QueryParam("state"), "failed");  // the first wins
  EXPECT_EQ(request.QueryParam("q"), "a b&c");
  EXPECT_EQ(request.QueryParam("flag"), "");
  EXPECT_FALSE(request.QueryParam("missing").has_value());
  EXPECT_EQ(request.query[3], (std::pair<std::string, std::string>{"state", "open"}));
}

TEST(ParseTargetTest, RejectsMalformedEscapes) {
  HttpRequest request;
  EXPECT_FALSE(ParseTarget("/a%zz", request));
  EXPECT_FALSE(ParseTarget("/a?x=%4", request));
}

TEST(ResponderTest, DeliversTheFirstResponseOnly) {
  std::vector<int> seen;
  Responder responder([&](HttpResponse r) { seen.push_back(r.status); });
  EXPECT_FALSE(responder.responded());
  Responder copy = responder;
  copy(HttpResponse::Empty(202));
  responder(HttpResponse::Empty(500));
  EXPECT_TRUE(responder.responded());
  EXPECT_EQ(seen, std::vector<int>{202});
}

TEST(ResponderTest, DroppingEveryCopyUnansweredSends500Problem) {
  std::vector<HttpResponse> seen;
  {
    Responder responder([&](HttpResponse r) { seen.push_back(std::move(r)); });
    Responder copy = responder;
    Responder moved = std::move(copy);
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].status, 500);
  EXPECT_EQ(seen[0].headers.Get("Content-Type"), "application/problem+json");
}

TEST(ResponderTest, OneWinnerWhenManyThreadsRespond) {
  std::atomic<int> calls{0};
  Responder responder([&](HttpResponse) { calls++; });
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([responder, i] { responder(HttpResponse::Empty(200 + i)); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
}

TEST(ResponderTest, FitsInACopyableStdFunction) {
  int status = 0;
  std::function<void()> later;
  {
    Responder responder([&](HttpResponse r) { status = r.status; });
    later = [responder] { responder(HttpResponse::Empty(201)); };
  }
  EXPECT_EQ(status, 0);  // a copy is still alive inside `later`
  later();
  EXPECT_EQ(status, 201);
}

TEST(ServerSentEventTest, SplitsDataLinesAndOmitsEmptyFields) {
  EXPECT_EQ(ServerSentEvent("run", "{\"a\":1}", "42"), "event: run\nid: 42\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(ServerSentEvent("", "one\ntwo\r\nthree\rfour"),
            "data: one\ndata: two\ndata: three\ndata: four\n\n");
  EXPECT_EQ(ServerSentEvent("", ""), "data: \n\n");
  EXPECT_EQ(ServerSentEvent("a\ndata: forged", "x", "7\r\nevent: b"), "event: a\nid: 7\ndata: x\n\n");
}

TEST(ResponderTest, StreamIsNullWithoutAStreamSinkAndLeavesTheResponderOpen) {
  std::vector<int> seen;
  Responder responder([&](HttpResponse r) { seen.push_back(r.status); });
  EXPECT_EQ(responder.Stream(HttpResponse::Empty(200)), nullptr);
  EXPECT_FALSE(responder.responded());
  responder(HttpResponse::Empty(204));
  EXPECT_EQ(seen, std::vector<int>{204});
}

TEST(HttpResponseTest, HelpersSetContentType) {
  EXPECT_EQ(HttpResponse::Json(200, "{}").headers.Get("content-type"), "application/json");
  EXPECT_EQ(HttpResponse::Text(200, "ok").headers.Get("content-type"), "text/plain; charset=utf-8");
  HttpResponse r = HttpResponse::Empty(204).WithHeader("ETag", "\"v1\"");
  EXPECT_EQ(r.headers.Get("etag"), "\"v1\"");
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace govflow::api
