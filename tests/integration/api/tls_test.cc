// HttpServer with TLS on 127.0.0.1 (port 0): a throwaway self-signed certificate is made with
// OpenSSL's API at test time, and a small OpenSSL client that trusts only that certificate talks
// to the server. Covers what the plain server does (probes, keep-alive, a webhook POST and its
// body limit, a server-sent event stream, graceful stop) over TLS, plus TLS's own rules: 1.2+
// only, HSTS on every answer, plain HTTP on the TLS port refused cleanly, a stalled handshake
// cut by its timeout, clear start errors naming the file, and a certificate reload.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "api/http_server.h"
#include "api/probes.h"
#include "api/router.h"
#include "integration/api/tls_support.h"

namespace govflow::api {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using namespace govflow::testing;  // NOLINT: the TLS test support

// ---- the fixture ---------------------------------------------------------------------------

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The client writes to sockets the server may close (the 413 case): no SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    dir_ = fs::temp_directory_path() /
           ("govflow-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_ = NewKey();
    cert_ = SelfSigned(key_.get(), 1);
    WritePem(cert_file(), cert_.get());
    WritePem(key_file(), key_.get());
  }
  void TearDown() override {
    if (server_) server_->Stop(2s);
    server_.reset();
    fs::remove_all(dir_);
  }

  fs::path cert_file() const { return dir_ / "cert.pem"; }
  fs::path key_file() const { return dir_ / "key.pem"; }

  HttpServerOptions TlsOptionsFor() const {
    HttpServerOptions options;
    options.tls.certificate_file = cert_file().string();
    options.tls.private_key_file = key_file().string();
    return options;
  }

  // Probes, a webhook-shaped POST that echoes what arrived, and an event stream of two events.
  void Start(HttpServerOptions options) {
    auto router = std::make_shared<Router>();
    ASSERT_TRUE(AddProbeRoutes(*router, [] { return Status::Ok(); }).ok());
    ASSERT_TRUE(router
                    ->Add("POST", "/hooks/{tenant}/{connection}",
                          [this](const HttpRequest& r, Responder respond) {
                            received_ = r.body;
                            respond(HttpResponse::Json(
                                202, R"({"accepted":)" + std::to_string(r.body.size()) + "}"));
                          })
                    .ok());
    ASSERT_TRUE(router
                    ->Add("GET", "/events",
                          [](const HttpRequest&, Responder respond) {
                            HttpResponse head;
                            head.status = 200;
                            head.headers.Set("Content-Type", "text/event-stream");
                            auto stream = respond.Stream(std::move(head));
                            std::thread([stream] {
                              stream->Write("data: one\n\n");
                              std::this_thread::sleep_for(50ms);
                              stream->Write("data: two\n\n");
                              stream->Close();
                            }).detach();
                          })
                    .ok());
    auto server = HttpServer::Start(std::move(options), router);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  fs::path dir_;
  Key key_;
  Cert cert_;
  std::unique_ptr<HttpServer> server_;
  std::string received_;
};

TEST_F(TlsServerTest, ServesHealthzOverTlsWithStrictTransportSecurity) {
  Start(TlsOptionsFor());
  EXPECT_TRUE(server_->tls());
  TlsClient client(server_->port(), cert_file());
  ASSERT_TRUE(client.connected());
  EXPECT_GE(client.version(), TLS1_2_VERSION);
  auto r = client.Request("GET", "/healthz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"status":"ok"})");
  EXPECT_TRUE(r->Has("Strict-Transport-Security: max-age=31536000")) << r->head;
  EXPECT_EQ(server_->Metrics().tls_handshakes, 1u);
}

TEST_F(TlsServerTest, APlainServerSendsNoStrictTransportSecurity) {
  Start(HttpServerOptions{});
  EXPECT_FALSE(server_->tls());
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string answer;
  char chunk[4096];
  ssize_t n;
  while ((n = ::recv(fd, chunk, sizeof(chunk), 0)) > 0)
    answer.append(chunk, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  EXPECT_EQ(answer.find("Strict-Transport-Security"), std::string::npos) << answer;
}

TEST_F(TlsServerTest, KeepsOneTlsConnectionAliveAcrossRequests) {
  Start(TlsOptionsFor());
  TlsClient client(server_->port(), cert_file());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    auto r = client.Request("GET", "/readyz");
    ASSERT_TRUE(r.has_value()) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
  HttpServerMetrics m = server_->Metrics();
  EXPECT_EQ(m.tls_handshakes, 1u);
  EXPECT_EQ(m.connections_accepted, 1u);
  EXPECT_EQ(m.requests, 3u);
}

TEST_F(TlsServerTest, AWebhookPostArrivesWholeAndTheBodyLimitHolds) {
  HttpServerOptions options = TlsOptionsFor();
  options.max_body_bytes = 200'000;
  Start(options);
  std::string body = R"({"id":1,"note":")" + std::string(150'000, 'x') + R"("})";
  {
    TlsClient client(server_->port(), cert_file());
    ASSERT_TRUE(client.connected());
    auto r = client.Request("POST", "/hooks/acme/shop", body);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 202);
    EXPECT_EQ(r->body, R"({"accepted":)" + std::to_string(body.size()) + "}");
    EXPECT_EQ(received_, body);
  }
  TlsClient client(server_->port(), cert_file());
  ASSERT_TRUE(client.connected());
  auto r = client.Request("POST", "/hooks/acme/shop", std::string(300'000, 'y'));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(r->Has("Connection: close")) << r->head;
}

TEST_F(TlsServerTest, StreamsServerSentEventsAndEndsThemWithCloseNotify) {
  Start(TlsOptionsFor());
  TlsClient client(server_->port(), cert_file());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  bool clean = false;
  std::string all = client.ReadToEnd(clean);
  EXPECT_TRUE(all.starts_with("HTTP/1.1 200 OK\r\n")) << all;
  EXPECT_NE(all.find("Strict-Transport-Security: max-age=31536000\r\n"), std::string::npos);
  EXPECT_TRUE(all.ends_with("\r\n\r\ndata: one\n\ndata: two\n\n")) << all;
  EXPECT_TRUE(clean) << "the stream ended without close_notify (looks truncated)";
}

TEST_F(TlsServerTest, RefusesPlainHttpOnTheTlsPortAndKeepsServing) {
  Start(TlsOptionsFor());
  int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  // A plain POST with a body far beyond the first read: the answer must still arrive (no reset).
  const std::string body(200'000, 'p');
  std::string req = "POST /hooks/acme/shop HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char chunk[4096];
  ssize_t n;
  while ((n = ::recv(fd, chunk, sizeof(chunk), 0)) > 0)
    answer.append(chunk, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(n, 0) << "the server must close the connection";
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 Bad Request\r\n")) << answer;
  EXPECT_NE(answer.find("application/problem+json"), std::string::npos) << answer;
  EXPECT_NE(answer.find("use https://"), std::string::npos) << answer;
  EXPECT_EQ(answer.find(R"({"accepted")"), std::string::npos) << "served over plain HTTP";
  EXPECT_TRUE(received_.empty());
  EXPECT_TRUE(Eventually([&] { return server_->Metrics().tls_handshake_failures == 1; }));

  TlsClient client(server_->port(), cert_file());
  ASSERT_TRUE(client.connected());
  auto r = client.Request("GET", "/healthz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsServerTest, CutsAHandshakeThatStallsPastItsTimeout) {
  HttpServerOptions options = TlsOptionsFor();
  options.tls_handshake_timeout = 300ms;
  Start(options);
  for (std::string_view sent : {std::string_view(), std::string_view("\x16\x03\x01", 3)}) {
    int fd = Connect(server_->port());
    ASSERT_GE(fd, 0);
    if (!sent.empty()) {
      ASSERT_EQ(::send(fd, sent.data(), sent.size(), MSG_NOSIGNAL), 3);
    }
    const auto started = std::chrono::steady_clock::now();
    char c;
    ssize_t n = ::recv(fd, &c, 1, 0);  // blocks until the server gives up (5 s receive timeout)
    const auto waited = std::chrono::steady_clock::now() - started;
    ::close(fd);
    EXPECT_LE(n, 0) << "a stalled handshake got an answer";
    EXPECT_LT(waited, 3s) << "the handshake timeout did not cut the connection";
  }
  // The timeout closes the socket just before the server's own handler counts it.
  EXPECT_TRUE(Eventually([&] { return server_->Metrics().tls_handshake_failures == 2; }));
  EXPECT_TRUE(Eventually([&] { return server_->Metrics().connections_open == 0; }));
}

TEST_F(TlsServerTest, RefusesClientsBelowTls12) {
  Start(TlsOptionsFor());
  TlsClient old(server_->port(), cert_file(), TLS1_1_VERSION);
  EXPECT_FALSE(old.connected());
  TlsClient current(server_->port(), cert_file(), TLS1_2_VERSION);
  ASSERT_TRUE(current.connected());
  EXPECT_EQ(current.version(), TLS1_2_VERSION);
  auto r = current.Request("GET", "/healthz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsServerTest, StopsGracefullyWithAnIdleTlsConnectionOpen) {
  Start(TlsOptionsFor());
  TlsClient client(server_->port(), cert_file());
  ASSERT_TRUE(client.connected());
  auto r = client.Request("GET", "/healthz");
  ASSERT_TRUE(r.has_value());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(server_->Stop(2s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  bool clean = false;
  client.ReadToEnd(clean);                             // the server closed the idle connection
  EXPECT_EQ(server_->Metrics().connections_open, 0u);  // Stop returned: all ended
}

TEST_F(TlsServerTest, StartNamesTheUnreadableOrMismatchedFile) {
  auto start = [](TlsOptions tls) {
    HttpServerOptions options;
    options.tls = std::move(tls);
    return HttpServer::Start(options, [](HttpRequest&, Responder) {});
  };
  const std::string missing = (dir_ / "nope" / "key.pem").string();
  auto no_key = start({cert_file().string(), missing});
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_key.status().message().find("'" + missing + "'"), std::string::npos)
      << no_key.status().message();
  EXPECT_NE(no_key.status().message().find("No such file"), std::string::npos);

  std::ofstream(dir_ / "garbage.pem") << "not a certificate\n";
  auto garbage = start({(dir_ / "garbage.pem").string(), key_file().string()});
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("certificate file '" + (dir_ / "garbage.pem").string()),
            std::string::npos)
      << garbage.status().message();

  Key other = NewKey();
  WritePem(dir_ / "other-key.pem", other.get());
  auto mismatch = start({cert_file().string(), (dir_ / "other-key.pem").string()});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("does not match the certificate in '" +
                                             cert_file().string() + "'"),
            std::string::npos)
      << mismatch.status().message();

  auto half = start({cert_file().string(), ""});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("private key"), std::string::npos);
}

TEST_F(TlsServerTest, ReloadsARenewedCertificateForNewConnections) {
  Start(TlsOptionsFor());
  TlsClient before(server_->port(), cert_file());
  ASSERT_TRUE(before.connected());
  EXPECT_EQ(before.PeerSerial(), 1);

  // A broken file on reload keeps the current certificate.
  std::ofstream(key_file(), std::ios::trunc) << "broken\n";
  EXPECT_FALSE(server_->ReloadTls().ok());
  TlsClient still(server_->port(), cert_file());
  ASSERT_TRUE(still.connected());
  EXPECT_EQ(still.PeerSerial(), 1);

  Key renewed_key = NewKey();
  Cert renewed = SelfSigned(renewed_key.get(), 2);
  WritePem(cert_file(), renewed.get());
  WritePem(key_file(), renewed_key.get());
  ASSERT_TRUE(server_->ReloadTls().ok());
  TlsClient after(server_->port(), cert_file());
  ASSERT_TRUE(after.connected());
  EXPECT_EQ(after.PeerSerial(), 2);
  // The connection made before the reload still works.
  auto r = before.Request("GET", "/healthz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsServerTest, ReloadWithoutTlsIsAFailedPrecondition) {
  Start(HttpServerOptions{});
  EXPECT_EQ(server_->ReloadTls().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace govflow::api
