// HttpServer over real HTTP on 127.0.0.1 (port 0), driven by a small POSIX-socket client so that
// the test itself stays free of Beast/Asio.
#include "api/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/problem.h"
#include "api/router.h"

namespace govflow::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One TCP connection speaking just enough HTTP/1.1 to test the server: responses framed by
// Content-Length (what the server always sends).
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  // Sends all of `bytes`; false when the peer closed.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response; nullopt on EOF, error or timeout. 1xx interim responses are returned
  // like any other.
  std::optional<RawResponse> Read(std::chrono::milliseconds timeout = 5s) {
    const auto until = Clock::now() + timeout;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(until)) return std::nullopt;
    }
    RawResponse response;
    std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.rfind("HTTP/1.", 0) != 0) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        response.headers[Lower(line.substr(0, colon))] = value;
      }
      pos = end + 2;
    }
    if (response.status / 100 == 1) return response;
    size_t length = 0;
    if (!response.Header("content-length").empty() && !skip_body_) {
      length = std::stoul(response.Header("content-length"));
    }
    while (buffer_.size() < length) {
      if (!Fill(until)) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // For HEAD: the next Read() ignores Content-Length.
  void SkipBodyOnce(bool skip) { skip_body_ = skip; }

  // True when the server closes the connection (EOF or reset) within `timeout`.
  bool WaitForClose(std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      int status = FillStatus(until);
      if (status <= 0) return status == 0 || status == -1;
    }
    return false;
  }

  const std::string& unread() const { return buffer_; }

  // Reads until the unread bytes contain `needle`; false on EOF, error or timeout.
  bool ReadUntil(std::string_view needle, std::chrono::milliseconds timeout = 5s) {
    const auto until = Clock::now() + timeout;
    while (buffer_.find(needle) == std::string::npos) {
      if (!Fill(until)) return false;
    }
    return true;
  }

  void CloseNow() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  // 1: got bytes, 0: EOF, -1: error, -2: timeout.
  int FillStatus(Clock::time_point until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return -2;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready == 0) return -2;
    if (ready < 0) return -1;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) return 0;
    if (n < 0) return -1;
    buffer_.append(chunk, static_cast<size_t>(n));
    return 1;
  }
  bool Fill(Clock::time_point until) { return FillStatus(until) == 1; }

  int fd_ = -1;
  bool connected_ = false;
  bool skip_body_ = false;
  std::string buffer_;
};

std::string Post(std::string_view path, std::string_view body, std::string_view extra = "") {
  std::string out = "POST " + std::string(path) +
                    " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n" + std::string(extra) + "\r\n";
  out.append(body);
  return out;
}

std::string Get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

// Runs jobs on one background thread, like a committer answering webhooks later.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool done_ = false;
  std::thread thread_;
};

std::unique_ptr<HttpServer> StartServer(RequestHandler handler, HttpServerOptions options = {}) {
  options.listen = "127.0.0.1:0";
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

std::unique_ptr<HttpServer> StartRouter(std::shared_ptr<Router> router,
                                        HttpServerOptions options = {}) {
  options.listen = "127.0.0.1:0";
  auto server = HttpServer::Start(std::move(options), std::shared_ptr<const Router>(router));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

TEST(HttpServerTest, BindsAFreePortAndRejectsBadListenAddresses) {
  auto server = StartServer([](HttpRequest&, Responder r) { r(HttpResponse::Empty(204)); });
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
  HttpServerOptions bad;
  bad.listen = "127.0.0.1";
  EXPECT_EQ(HttpServer::Start(bad, [](HttpRequest&, Responder) {}).status().code(),
            StatusCode::kInvalidArgument);
  bad.listen = "not-an-ip:80";
  EXPECT_EQ(HttpServer::Start(bad, [](HttpRequest&, Responder) {}).status().code(),
            StatusCode::kInvalidArgument);
  bad.listen = server->address();  // already taken
  EXPECT_EQ(HttpServer::Start(bad, [](HttpRequest&, Responder) {}).status().code(),
            StatusCode::kUnavailable);
}

TEST(HttpServerTest, RoutesWebhookWithParamsHeadersQueryAndRemoteAddress) {
  auto router = std::make_shared<Router>();
  ASSERT_TRUE(router
                  ->Add("POST", "/hooks/{tenant}/{connection}",
                        [](const HttpRequest& request, Responder responder) {
                          std::string text =
                              std::string(request.Param("tenant")) + "|" +
                              std::string(request.Param("connection")) + "|" +
                              std::string(request.Header("x-shopify-topic").value_or("")) + "|" +
                              std::string(request.QueryParam("q").value_or("")) + "|" +
                              request.body + "|" + request.remote_address;
                          responder(HttpResponse::Text(202, text));
                        })
                  .ok());
  auto server = StartRouter(router);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(
      Post("/hooks/acme/my%20shop?q=a+b", "{\"id\":1}", "X-Shopify-Topic: orders/create\r\n")));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body.substr(0, response->body.rfind('|')),
            "acme|my shop|orders/create|a b|{\"id\":1}");
  EXPECT_EQ(response->body.substr(response->body.rfind('|') + 1, 10), "127.0.0.1:");
  EXPECT_EQ(response->Header("server"), "govflow");
  // An IMF-fixdate: "Sat, 28 Nov 2026 02:13:48 GMT".
  const std::string date = response->Header("date");
  EXPECT_EQ(date.size(), 29u) << date;
  EXPECT_EQ(date.substr(date.size() - 4), " GMT") << date;
}

TEST(HttpServerTest, UnknownPathGets404AndWrongMethod405WithAllow) {
  auto router = std::make_shared<Router>();
  ASSERT_TRUE(router
                  ->Add("GET", "/healthz",
                        [](const HttpRequest&, Responder r) { r(HttpResponse::Text(200, "ok")); })
                  .ok());
  auto server = StartRouter(router);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/nope")));
  auto not_found = client.Read();
  ASSERT_TRUE(not_found.has_value());
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_found->Header("content-type"), "application/problem+json");
  EXPECT_EQ(boost::json::parse(not_found->body).at("status").as_int64(), 404);
  ASSERT_TRUE(client.Send(Post("/healthz", "x")));  // same connection: errors keep it alive
  auto not_allowed = client.Read();
  ASSERT_TRUE(not_allowed.has_value());
  EXPECT_EQ(not_allowed->status, 405);
  EXPECT_EQ(not_allowed->Header("allow"), "GET, HEAD");
}

TEST(HttpServerTest, HeadGetsGetHeadersAndLengthWithoutBody) {
  auto router = std::make_shared<Router>();
  ASSERT_TRUE(
      router
          ->Add("GET", "/healthz",
                [](const HttpRequest&, Responder r) { r(HttpResponse::Text(200, "alive")); })
          .ok());
  auto server = StartRouter(router);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/healthz")));
  client.SkipBodyOnce(true);
  auto head = client.Read();
  client.SkipBodyOnce(false);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"), "5");
  auto get = client.Read();  // must start right after the HEAD response's headers
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "alive");
}

TEST(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  std::atomic<int> counter{0};
  auto server = StartServer([&](HttpRequest& request, Responder r) {
    r(HttpResponse::Text(200, request.path + "#" + std::to_string(++counter)));
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(client.Send(Get("/r" + std::to_string(i))));
    auto response = client.Read();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->body, "/r" + std::to_string(i) + "#" + std::to_string(i));
    EXPECT_NE(Lower(response->Header("connection")), "close");
  }
  EXPECT_EQ(server->Metrics().connections_accepted, 1u);
}

TEST(HttpServerTest, Http10ClientsGetA10ResponseAndCloseUnlessKeepAliveAsked) {
  auto server = StartServer([](HttpRequest&, Responder r) { r(HttpResponse::Text(200, "ok")); });
  ASSERT_NE(server, nullptr);
  {
    Client client(server->port());
    ASSERT_TRUE(client.Send("GET / HTTP/1.0\r\n\r\n"));
    auto response = client.Read();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, "ok");
    EXPECT_TRUE(client.WaitForClose(2s));
  }
  Client client(server->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto first = client.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Lower(first->Header("connection")), "keep-alive");
  ASSERT_TRUE(client.Send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_TRUE(client.Read().has_value());
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow) {
  Worker worker;
  auto server = StartServer([&](HttpRequest& request, Responder r) {
    std::string path = request.path;
    if (path == "/slow") {
      worker.Post([r, path] {
        std::this_thread::sleep_for(30ms);
        r(HttpResponse::Text(200, path));
      });
    } else {
      r(HttpResponse::Text(200, path));
    }
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/slow") + Post("/two", "2") + Get("/three")));
  for (const char* expected : {"/slow", "/two", "/three"}) {
    auto response = client.Read();
    ASSERT_TRUE(response.has_value()) << expected;
    EXPECT_EQ(response->body, expected);
  }
}

TEST(HttpServerTest, HandlerMayRespondLaterFromAnotherThread) {
  Worker worker;
  auto server = StartServer([&](HttpRequest& request, Responder r) {
    // The request stays valid until the Responder is done: read it on the worker thread.
    const HttpRequest* req = &request;
    worker.Post([r, req] {
      std::this_thread::sleep_for(20ms);
      r(HttpResponse::Json(201, "{\"echo\":\"" + req->body + "\"}"));
    });
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send(Post("/hooks/acme/shop", "committed")));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_GE(Clock::now() - start, 20ms);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->Header("content-type"), "application/json");
  EXPECT_EQ(response->body, "{\"echo\":\"committed\"}");
  // And the connection is still usable afterwards.
  ASSERT_TRUE(client.Send(Post("/again", "x")));
  auto again = client.Read();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 201);
}

TEST(HttpServerTest, DroppedResponderGives500Problem) {
  Worker worker;
  auto server = StartServer([&](HttpRequest& request, Responder r) {
    if (request.path == "/drop-now") return;  // never answers, drops it at once
    worker.Post([r] {});                      // a copy that dies on another thread
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  for (const char* path : {"/drop-now", "/drop-later"}) {
    ASSERT_TRUE(client.Send(Get(path)));
    auto response = client.Read(2s);
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_EQ(response->status, 500);
    EXPECT_EQ(response->Header("content-type"), "application/problem+json");
  }
}

TEST(HttpServerTest, ThrowingHandlerGives500) {
  auto server = StartServer([](HttpRequest&, Responder) { throw std::runtime_error("boom"); });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

TEST(HttpServerTest, OversizeBodyGets413ProblemWithoutReadingIt) {
  std::atomic<int> handled{0};
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(
      [&](HttpRequest&, Responder r) {
        handled++;
        r(HttpResponse::Empty(200));
      },
      options);
  ASSERT_NE(server, nullptr);
  {
    // Declares 50 MB but sends only the head: the answer must come anyway.
    Client client(server->port());
    ASSERT_TRUE(client.Send(
        "POST /hooks/acme/shop HTTP/1.1\r\nHost: t\r\nContent-Length: 52428800\r\n\r\n"));
    auto response = client.Read(2s);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(response->Header("content-type"), "application/problem+json");
    EXPECT_EQ(Lower(response->Header("connection")), "close");
    auto doc = boost::json::parse(response->body);
    EXPECT_EQ(doc.at("status").as_int64(), 413);
    EXPECT_TRUE(client.WaitForClose(3s));
  }
  {
    // A chunked body is cut off as soon as it passes the limit.
    Client client(server->port());
    std::string chunk(800, 'x');
    ASSERT_TRUE(
        client.Send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "320\r\n" +
                    chunk + "\r\n320\r\n" + chunk + "\r\n"));
    auto response = client.Read(2s);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 413);
  }
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(server->Metrics().bodies_too_large, 2u);
}

TEST(HttpServerTest, ExactlyMaxBodyIsAccepted) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(
      [](HttpRequest& request, Responder r) {
        r(HttpResponse::Text(200, std::to_string(request.body.size())));
      },
      options);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Post("/x", std::string(1024, 'b'))));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "1024");
}

TEST(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  auto server = StartServer(
      [](HttpRequest& request, Responder r) { r(HttpResponse::Text(200, request.body)); });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(
      "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.Read(2s);
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("hello"));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
}

TEST(HttpServerTest, MalformedRequestsGet400Problem) {
  auto server = StartServer([](HttpRequest&, Responder r) { r(HttpResponse::Empty(200)); });
  ASSERT_NE(server, nullptr);
  for (std::string bad : {std::string("GET / HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n"),
                          std::string("GET / HTTP/7.1\r\nHost: t\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
                          std::string("GET relative HTTP/1.1\r\nHost: t\r\n\r\n"),
                          std::string("GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n"),
                          std::string("\x01\x02\x03 garbage\r\n\r\n")}) {
    Client client(server->port());
    ASSERT_TRUE(client.Send(bad));
    auto response = client.Read(2s);
    ASSERT_TRUE(response.has_value()) << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_EQ(response->Header("content-type"), "application/problem+json") << bad;
    EXPECT_TRUE(client.WaitForClose(3s)) << bad;
  }
  EXPECT_EQ(server->Metrics().bad_requests, 6u);
}

TEST(HttpServerTest, OversizeHeadersGet431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  auto server =
      StartServer([](HttpRequest&, Responder r) { r(HttpResponse::Empty(200)); }, options);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/", "X-Big: " + std::string(4000, 'h') + "\r\n")));
  auto response = client.Read(2s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
}

TEST(HttpServerTest, PreservesRawBodyByteForByte) {
  auto server = StartServer([](HttpRequest& request, Responder r) {
    r(HttpResponse{200, {}, request.body});
  });
  ASSERT_NE(server, nullptr);
  std::string body;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) body.push_back(static_cast<char>(b));
  }
  body += "\r\n\r\nGET / HTTP/1.1\r\n\r\n\n\r \t";  // looks like framing, is data
  Client client(server->port());
  ASSERT_TRUE(client.Send(Post("/raw", body, "Content-Type: application/octet-stream\r\n")));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, body);
  // The same bytes sent chunked arrive identical after transfer decoding.
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zx\r\n", body.size());
  ASSERT_TRUE(client.Send("POST /raw HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          std::string(size_line) + body + "\r\n0\r\n\r\n"));
  auto chunked = client.Read();
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->body, body);
}

TEST(HttpServerTest, Serves200ConcurrentConnections) {
  constexpr int kConnections = 200;
  std::mutex mu;
  std::vector<Responder> waiting;
  // Answers nobody until all 200 requests are in the handler at once.
  auto server = StartServer([&](HttpRequest& request, Responder r) {
    std::vector<Responder> release;
    {
      std::lock_guard lock(mu);
      waiting.push_back(r);
      if (static_cast<int>(waiting.size()) == kConnections) release.swap(waiting);
    }
    (void)request;
    for (std::size_t i = 0; i < release.size(); ++i) {
      release[i](HttpResponse::Text(200, "ok"));
    }
  });
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    ASSERT_TRUE(clients.back()->Send(Get("/c/" + std::to_string(i))));
  }
  int ok = 0;
  for (auto& client : clients) {
    auto response = client->Read(10s);
    if (response && response->status == 200) ++ok;
  }
  EXPECT_EQ(ok, kConnections);
  HttpServerMetrics metrics = server->Metrics();
  EXPECT_EQ(metrics.connections_accepted, static_cast<std::uint64_t>(kConnections));
  EXPECT_EQ(metrics.responses_by_class[2], static_cast<std::uint64_t>(kConnections));
  EXPECT_EQ(metrics.requests_in_flight, 0u);
}

TEST(HttpServerTest, SlowClientIsDisconnectedAfterReadTimeout) {
  HttpServerOptions options;
  options.request_read_timeout = 200ms;
  auto server =
      StartServer([](HttpRequest&, Responder r) { r(HttpResponse::Empty(200)); }, options);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: "));
  const auto start = Clock::now();
  // Trickle a byte every 50 ms: each arrives in time, the whole head does not.
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    client.Send("a");
    closed = client.WaitForClose(50ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, 1500ms);
  // The stream closes the socket before the read's handler counts the timeout.
  for (int i = 0; i < 200 && server->Metrics().read_timeouts == 0; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(server->Metrics().read_timeouts, 1u);
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = 150ms;
  auto server =
      StartServer([](HttpRequest&, Responder r) { r(HttpResponse::Empty(204)); }, options);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.Read().has_value());
  EXPECT_TRUE(client.WaitForClose(2s));
}

TEST(HttpServerTest, HandlerThatNeverAnswersGets503AfterHandlerTimeout) {
  std::vector<Responder> kept;
  std::mutex mu;
  HttpServerOptions options;
  options.handler_timeout = 100ms;
  auto server = StartServer(
      [&](HttpRequest&, Responder r) {
        std::lock_guard lock(mu);
        kept.push_back(r);
      },
      options);
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/stuck")));
  auto response = client.Read(2s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  {
    std::lock_guard lock(mu);
    kept.front()(HttpResponse::Empty(200));  // too late: ignored
  }
  ASSERT_TRUE(client.Send(Get("/next")));  // the connection still works
  auto next = client.Read(2s);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 503);
  EXPECT_EQ(server->Metrics().handler_timeouts, 2u);
  server->Stop(0ms);
}

TEST(HttpServerTest, StopFinishesInFlightResponsesAndClosesIdleConnections) {
  std::mutex mu;
  std::vector<Responder> pending;
  auto server = StartServer([&](HttpRequest&, Responder r) {
    std::lock_guard lock(mu);
    pending.push_back(r);
  });
  ASSERT_NE(server, nullptr);
  Client idle(server->port());
  ASSERT_TRUE(idle.connected());
  Client busy(server->port());
  ASSERT_TRUE(busy.Send(Post("/hooks/acme/shop", "order")));
  while (server->Metrics().requests_in_flight < 1) std::this_thread::sleep_for(1ms);

  std::atomic<bool> stop_result{false};
  std::thread stopper([&] { stop_result = server->Stop(5s); });
  EXPECT_TRUE(idle.WaitForClose(2s));  // idle keep-alive connections go at once
  std::this_thread::sleep_for(50ms);   // ... while the busy one waits for its commit
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(pending.size(), 1u);
    pending[0](HttpResponse::Empty(202));
  }
  auto response = busy.Read(2s);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(Lower(response->Header("connection")), "close");
  stopper.join();
  EXPECT_TRUE(stop_result.load());
  EXPECT_FALSE(server->accepting());
  Client late(server->port());
  EXPECT_FALSE(late.connected() && late.Send(Get("/")) && late.Read(500ms).has_value());
}

TEST(HttpServerTest, StopDeadlineCutsOffHandlersThatNeverAnswer) {
  std::mutex mu;
  std::vector<Responder> pending;
  auto server = StartServer([&](HttpRequest&, Responder r) {
    std::lock_guard lock(mu);
    pending.push_back(r);
  });
  ASSERT_NE(server, nullptr);
  Client busy(server->port());
  ASSERT_TRUE(busy.Send(Get("/forever")));
  while (server->Metrics().requests_in_flight < 1) std::this_thread::sleep_for(1ms);
  const auto start = Clock::now();
  EXPECT_FALSE(server->Stop(100ms));
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(busy.WaitForClose(1s));
  std::lock_guard lock(mu);
  pending[0](HttpResponse::Empty(200));  // after Stop: a harmless no-op
  server.reset();
  pending.clear();  // the last copy dies after the server is gone: no 500, no crash
}

// Server-sent events: a handler that streams from a worker thread.
struct EventSource {
  std::mutex mu;
  std::shared_ptr<ResponseStream> stream;

  RequestHandler Handler() {
    return [this](HttpRequest&, Responder r) {
      HttpResponse head = HttpResponse::Empty(200);
      head.headers.Set("Content-Type", "text/event-stream");
      head.headers.Set("Cache-Control", "no-cache");
      auto s = r.Stream(std::move(head));
      ASSERT_NE(s, nullptr);
      std::lock_guard lock(mu);
      stream = std::move(s);
    };
  }
  std::shared_ptr<ResponseStream> Wait() {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mu);
        if (stream != nullptr) return stream;
      }
      std::this_thread::sleep_for(2ms);
    }
    return nullptr;
  }
};

// A streamed response kept after the server stopped (a live-events feed holds its streams) must
// not keep the handler, and what the handler owns, alive: the server's owner destroys those next
// (and the store under them). Regression: the API's feed thread outlived its test and read a
// destroyed store.
TEST(HttpServerTest, StopLetsGoOfTheHandlerEvenWhileAStreamIsStillHeld) {
  EventSource source;
  auto owned = std::make_shared<int>(7);  // stands for what the handler owns (the API)
  RequestHandler inner = source.Handler();
  auto server = StartServer(
      [inner, owned](HttpRequest& request, Responder r) { inner(request, std::move(r)); });
  ASSERT_NE(server, nullptr);
  auto client = std::make_unique<Client>(server->port());
  ASSERT_TRUE(client->Send(Get("/api/v1/events", "Accept: text/event-stream\r\n")));
  ASSERT_TRUE(client->Read().has_value());
  std::shared_ptr<ResponseStream> stream = source.Wait();
  ASSERT_NE(stream, nullptr);
  EXPECT_GT(owned.use_count(), 1) << "the server holds the handler while it serves";
  server->Stop(std::chrono::seconds(2));
  EXPECT_FALSE(stream->Write("data: after stop\n\n"));
  EXPECT_EQ(owned.use_count(), 1) << "the stopped server still holds the handler";
}

TEST(HttpServerTest, StreamsServerSentEventsFromAnotherThreadUntilTheClientLeaves) {
  EventSource source;
  auto server = StartServer(source.Handler());
  ASSERT_NE(server, nullptr);
  auto client = std::make_unique<Client>(server->port());
  ASSERT_TRUE(client->Send(Get("/api/v1/events", "Accept: text/event-stream\r\n")));
  auto head = client->Read();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-type"), "text/event-stream");
  EXPECT_EQ(head->Header("content-length"), "");
  auto stream = source.Wait();
  ASSERT_NE(stream, nullptr);
  std::thread producer([stream] {
    for (int i = 1; i <= 3; ++i) {
      std::this_thread::sleep_for(10ms);
      EXPECT_TRUE(stream->Write(
          ServerSentEvent("exception", "{\"n\":" + std::to_string(i) + "}", std::to_string(i))));
    }
  });
  producer.join();
  ASSERT_TRUE(client->ReadUntil("id: 3\ndata: {\"n\":3}\n\n"));
  EXPECT_EQ(client->unread().substr(0, 38), "event: exception\nid: 1\ndata: {\"n\":1}\n\n");
  EXPECT_EQ(server->Metrics().streams_open, 1u);
  client->CloseNow();
  for (int i = 0; i < 500 && stream->open(); ++i) std::this_thread::sleep_for(2ms);
  EXPECT_FALSE(stream->open());
  EXPECT_FALSE(stream->Write("data: late\n\n"));
  for (int i = 0; i < 500 && server->Metrics().connections_open > 0; ++i) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(server->Metrics().streams_open, 0u);
}

TEST(HttpServerTest, ClosingAStreamFlushesItAndEndsTheConnection) {
  EventSource source;
  auto server = StartServer(source.Handler());
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/events")));
  ASSERT_TRUE(client.Read().has_value());
  auto stream = source.Wait();
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(stream->Write(ServerSentEvent("", "last\nwords")));
  stream->Close();
  EXPECT_FALSE(stream->open());
  EXPECT_TRUE(client.WaitForClose(2s));
  EXPECT_EQ(client.unread(), "data: last\ndata: words\n\n");
}

TEST(HttpServerTest, StopEndsOpenEventStreamsPromptly) {
  EventSource source;
  auto server = StartServer(source.Handler());
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  ASSERT_TRUE(client.Send(Get("/events")));
  ASSERT_TRUE(client.Read().has_value());
  auto stream = source.Wait();
  ASSERT_NE(stream, nullptr);
  std::thread closer([&] { EXPECT_TRUE(client.WaitForClose(3s)); });
  const auto start = Clock::now();
  EXPECT_TRUE(server->Stop(3s));
  EXPECT_LT(Clock::now() - start, 2s);
  closer.join();
  EXPECT_FALSE(stream->open());
  EXPECT_FALSE(stream->Write("data: x\n\n"));
}

TEST(HttpServerTest, CountsResponsesByStatusClass) {
  auto server = StartServer([](HttpRequest& request, Responder r) {
    r(HttpResponse::Empty(request.path == "/ok" ? 200 : 404));
  });
  ASSERT_NE(server, nullptr);
  Client client(server->port());
  for (const char* path : {"/ok", "/ok", "/missing"}) {
    ASSERT_TRUE(client.Send(Get(path)));
    ASSERT_TRUE(client.Read().has_value());
  }
  HttpServerMetrics metrics = server->Metrics();
  EXPECT_EQ(metrics.requests, 3u);
  EXPECT_EQ(metrics.responses_by_class[2], 2u);
  EXPECT_EQ(metrics.responses_by_class[4], 1u);
  EXPECT_EQ(metrics.connections_open, 1u);
}

}  // namespace
}  // namespace govflow::api
