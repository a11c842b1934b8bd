#include "connect/http/fake_http_client.h"

#include <gtest/gtest.h>

namespace govflow::connect {
namespace {

TEST(FakeHttpClientTest, AnswersFromQueueThenHandlerAndRecordsRequests) {
  FakeHttpClient fake;
  fake.EnqueueStatus(201, "first");
  fake.SetHandler([](const HttpRequest& r) {
    HttpResponse resp;
    resp.status = 200;
    resp.body = "handled " + r.url;
    return resp;
  });
  std::vector<std::string> bodies;
  for (int i = 0; i < 2; ++i) {
    HttpRequest req;
    req.url = "http://127.0.0.1/" + std::to_string(i);
    fake.Send(req, [&](HttpResponse r) { bodies.push_back(r.body); });
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "handled http://127.0.0.1/1"}));
  ASSERT_EQ(fake.request_count(), 2u);
  EXPECT_EQ(fake.requests()[1].url, "http://127.0.0.1/1");
}

TEST(FakeHttpClientTest, DeferredModeHoldsRequestsUntilCompleted) {
  FakeHttpClient fake;
  fake.set_deferred(true);
  fake.EnqueueTransportError(TransportError::kTimeout, true);
  bool called = false;
  HttpResponse got;
  fake.Send(HttpRequest{}, [&](HttpResponse r) {
    called = true;
    got = std::move(r);
  });
  EXPECT_FALSE(called);
  EXPECT_EQ(fake.held(), 1u);
  EXPECT_TRUE(fake.CompleteNext());
  EXPECT_TRUE(called);
  EXPECT_EQ(got.error, TransportError::kTimeout);
  EXPECT_TRUE(got.may_have_reached_server);
  EXPECT_FALSE(fake.CompleteNext());
}

TEST(FakeHttpClientTest, UnscriptedRequestFailsToConnect) {
  FakeHttpClient fake;
  HttpResponse got;
  fake.Send(HttpRequest{}, [&](HttpResponse r) { got = std::move(r); });
  EXPECT_EQ(got.error, TransportError::kConnectFailed);
  EXPECT_FALSE(got.may_have_reached_server);
}

TEST(HttpHeadersTest, FindHeaderIsCaseInsensitive) {
  HttpHeaders h = {{"Retry-After", "5"}, {"content-type", "application/json"}};
  ASSERT_NE(FindHeader(h, "retry-after"), nullptr);
  EXPECT_EQ(*FindHeader(h, "RETRY-AFTER"), "5");
  EXPECT_EQ(*FindHeader(h, "Content-Type"), "application/json");
  EXPECT_EQ(FindHeader(h, "Retry"), nullptr);
}

}  // namespace
}  // namespace govflow::connect
