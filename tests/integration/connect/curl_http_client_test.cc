// The libcurl multi client over loopback: keep-alive reuse, many requests in flight on one
// thread, and — the part effectively-once delivery rests on — which failures say "the request
// may have reached the server".
#include "connect/http/curl_http_client.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "test_http_server.h"

namespace govflow::connect {
namespace {

using std::chrono::milliseconds;
using testing::TestHttpServer;

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server_.port(), 0);
    auto c = CurlHttpClient::Create();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
  }

  HttpResponse SendAndWait(HttpRequest req) {
    std::promise<HttpResponse> p;
    auto f = p.get_future();
    client_->Send(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return f.get();
  }

  HttpRequest Get(const std::string& path, milliseconds timeout = milliseconds(5000)) {
    HttpRequest r;
    r.url = server_.url(path);
    r.timeout = timeout;
    r.idempotent = true;
    return r;
  }

  HttpRequest Post(const std::string& path, std::string body,
                   milliseconds timeout = milliseconds(5000)) {
    HttpRequest r;
    r.method = HttpMethod::kPost;
    r.url = server_.url(path);
    r.body = std::move(body);
    r.timeout = timeout;
    r.headers = {{"Content-Type", "application/json"}};
    return r;
  }

  TestHttpServer server_;
  std::unique_ptr<CurlHttpClient> client_;
};

TEST_F(CurlHttpClientTest, PostsBodyAndHeadersAndReadsTheAnswer) {
  HttpRequest req = Post("/echo", R"({"a":1})");
  req.headers.emplace_back("X-Echo", "hello");
  HttpResponse r = SendAndWait(req);
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"(POST {"a":1})");
  ASSERT_NE(r.FindHeader("x-echo"), nullptr);
  EXPECT_EQ(*r.FindHeader("x-echo"), "hello");
  EXPECT_TRUE(r.may_have_reached_server);
}

TEST_F(CurlHttpClientTest, SupportsGetPutPatchDelete) {
  for (auto [method, name] : {std::pair{HttpMethod::kGet, "GET"},
                              {HttpMethod::kPut, "PUT"},
                              {HttpMethod::kPatch, "PATCH"},
                              {HttpMethod::kDelete, "DELETE"}}) {
    HttpRequest req = Get("/echo");
    req.method = method;
    if (method == HttpMethod::kPut || method == HttpMethod::kPatch) req.body = "x";
    HttpResponse r = SendAndWait(req);
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.body.substr(0, r.body.find(' ')), name);
  }
}

TEST_F(CurlHttpClientTest, ReusesOneKeepAliveConnectionForSequentialRequests) {
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = SendAndWait(i % 2 ? Get("/echo") : Post("/echo", "x"));
    ASSERT_EQ(r.status, 200);
  }
  EXPECT_EQ(server_.connections(), 1);
  EXPECT_EQ(client_->connections_opened(), 1u);
}

TEST_F(CurlHttpClientTest, CarriesTwoHundredConcurrentRequestsOnItsOneThread) {
  constexpr int kRequests = 200;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, ok = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    // Each takes 200 ms on the server: sequentially that would be 40 s.
    client_->Send(Get("/slow?ms=200"), [&](HttpResponse r) {
      std::lock_guard lock(mu);
      ++done;
      ok += r.status == 200;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return done == kRequests; }));
  EXPECT_EQ(ok, kRequests);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(server_.requests("/slow"), kRequests);
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(CurlHttpClientTest, ConnectRefusedSaysNothingWasSent) {
  HttpRequest req = Post("/echo", "x");
  req.url = "http://127.0.0.1:1/echo";  // nothing listens on port 1
  HttpResponse r = SendAndWait(req);
  EXPECT_EQ(r.error, TransportError::kConnectFailed);
  EXPECT_FALSE(r.may_have_reached_server);
  EXPECT_EQ(r.status, 0);
}

TEST_F(CurlHttpClientTest, TimeoutAfterSendingSaysTheRequestMayHaveReachedTheServer) {
  const auto start = std::chrono::steady_clock::now();
  HttpResponse r = SendAndWait(Post("/hang", "create me", milliseconds(300)));
  EXPECT_EQ(r.error, TransportError::kTimeout);
  EXPECT_TRUE(r.may_have_reached_server);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(290));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  EXPECT_EQ(server_.requests("/hang"), 1);
}

TEST_F(CurlHttpClientTest, ConnectionClosedWithoutAnswerIsResetAfterSending) {
  HttpResponse r = SendAndWait(Post("/drop", "create me"));
  EXPECT_EQ(r.error, TransportError::kConnectionReset);
  EXPECT_TRUE(r.may_have_reached_server);
}

// libcurl re-sends a request on a fresh connection when a reused one dies before any answer
// byte. For a create that would be a duplicate; the client must refuse and report instead.
TEST_F(CurlHttpClientTest, NeverResendsANonIdempotentPostOnADeadReusedConnection) {
  ASSERT_EQ(SendAndWait(Post("/echo", "warm up")).status, 200);  // a keep-alive connection
  HttpResponse r = SendAndWait(Post("/drop-first", "create me"));
  EXPECT_EQ(r.error, TransportError::kConnectionReset) << r.status << " " << r.body;
  EXPECT_TRUE(r.may_have_reached_server);
  EXPECT_EQ(server_.requests("/drop-first"), 1);
}

TEST_F(CurlHttpClientTest, IdempotentRequestMayBeResentOnADeadReusedConnection) {
  ASSERT_EQ(SendAndWait(Get("/echo")).status, 200);
  HttpResponse r = SendAndWait(Get("/drop-first"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "second");
  EXPECT_EQ(server_.requests("/drop-first"), 2);
}

TEST_F(CurlHttpClientTest, OversizeResponseIsAProtocolError) {
  CurlHttpClientOptions options;
  options.max_response_bytes = 1000;
  auto small = CurlHttpClient::Create(options);
  ASSERT_TRUE(small.ok());
  std::promise<HttpResponse> p;
  (*small)->Send(Get("/big?bytes=5000"), [&](HttpResponse r) { p.set_value(std::move(r)); });
  HttpResponse r = p.get_future().get();
  EXPECT_EQ(r.error, TransportError::kProtocolError);
  EXPECT_TRUE(r.may_have_reached_server);
}

TEST_F(CurlHttpClientTest, InvalidUrlIsRefusedWithoutSending) {
  HttpRequest req = Get("/echo");
  req.url = "ftp://127.0.0.1/file";
  HttpResponse r = SendAndWait(req);
  EXPECT_EQ(r.error, TransportError::kInvalidRequest);
  EXPECT_FALSE(r.may_have_reached_server);
}

TEST_F(CurlHttpClientTest, DestructionCancelsOutstandingRequests) {
  std::promise<HttpResponse> p;
  client_->Send(Post("/hang", "x", milliseconds(60'000)),
                [&](HttpResponse r) { p.set_value(std::move(r)); });
  while (server_.requests("/hang") == 0) std::this_thread::sleep_for(milliseconds(5));
  client_.reset();
  HttpResponse r = p.get_future().get();
  EXPECT_EQ(r.error, TransportError::kCancelled);
  EXPECT_TRUE(r.may_have_reached_server);
}

TEST_F(CurlHttpClientTest, CallbacksMaySendFurtherRequests) {
  std::promise<std::string> p;
  client_->Send(Get("/echo"), [&](HttpResponse first) {
    client_->Send(Post("/echo", first.body),
                  [&](HttpResponse second) { p.set_value(second.body); });
  });
  EXPECT_EQ(p.get_future().get(), "POST GET ");
}

}  // namespace
}  // namespace govflow::connect
