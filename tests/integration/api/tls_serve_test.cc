// `govflow serve --tls-cert FILE --tls-key FILE` as a real process: the probes, sign-in and a
// Shopify webhook all over TLS; the session cookie is Secure and answers carry
// Strict-Transport-Security; plain HTTP on the port is refused; SIGHUP reloads the certificate;
// an unreadable key stops the start with a message naming the file.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "integration/api/tls_support.h"
#include "integration/cli_engine/process.h"

namespace govflow::testing {
namespace {

constexpr char kSecret[] = "shop-secret-123";

std::string Base64HmacSha256(std::string_view key, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

class TlsServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    dir_ = fs::temp_directory_path() /
           ("govflow-tls-serve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_ = NewKey();
    cert_ = SelfSigned(key_.get(), 7);
    WritePem(dir_ / "cert.pem", cert_.get());
    WritePem(dir_ / "key.pem", key_.get());
    RunOutput init = RunProgram({GOVFLOW_BINARY, "partner", "init", "--data", data(), "--id", "nw",
                                 "--name", "Northwind", "--admin-email", "lee@nw.example"},
                                {{"GOVFLOW_ADMIN_PASSWORD", "lee-password-123"}});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    RunOutput apply = RunProgram(
        {GOVFLOW_BINARY, "apply", "-f",
         std::string(GOVFLOW_SOURCE_DIR) + "/examples/quickstart/govflow.yaml", "--data", data()},
        {{"SHOPIFY_SECRET", kSecret}, {"ERP_URL", "http://127.0.0.1:9"}});
    ASSERT_EQ(apply.exit_code, 0) << apply.err;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string data() const { return (dir_ / "data").string(); }

  std::unique_ptr<Child> Serve(const std::string& key_file) {
    return std::make_unique<Child>(
        std::vector<std::string>{GOVFLOW_BINARY, "serve", "--data", data(), "--listen",
                                 "127.0.0.1:0", "--jobs-ms", "0", "--tls-cert",
                                 (dir_ / "cert.pem").string(), "--tls-key", key_file},
        std::map<std::string, std::string>{});
  }

  fs::path dir_;
  Key key_;
  Cert cert_;
};

TEST_F(TlsServeTest, ServesProbesSignInAndWebhooksOverTlsWithASecureCookie) {
  auto serve = Serve((dir_ / "key.pem").string());
  auto address = serve->WaitForLine("govflow listening on ", 30s);
  ASSERT_TRUE(address.has_value());
  const auto port = static_cast<std::uint16_t>(std::stoi(address->substr(address->rfind(':') + 1)));

  TlsClient probe(port, dir_ / "cert.pem");
  ASSERT_TRUE(probe.connected());
  auto health = probe.Request("GET", "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);
  EXPECT_TRUE(health->Has("Strict-Transport-Security: max-age=31536000")) << health->head;

  TlsClient signin(port, dir_ / "cert.pem");
  ASSERT_TRUE(signin.connected());
  auto session = signin.Request("POST", "/api/v1/session",
                                R"({"email":"lee@nw.example","password":"lee-password-123"})");
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->status, 200) << session->body;
  const size_t cookie = session->head.find("\r\nSet-Cookie: session=");
  ASSERT_NE(cookie, std::string::npos) << session->head;
  const std::string set_cookie =
      session->head.substr(cookie + 2, session->head.find("\r\n", cookie + 2) - cookie - 2);
  EXPECT_NE(set_cookie.find("; Secure"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;

  // A signed Shopify order webhook is accepted over TLS; a forged one is refused.
  const std::string order =
      R"({"id":820982911946154508,"name":"#9001","currency":"EUR","line_items":[]})";
  for (const auto& [signature, expected] :
       {std::pair{Base64HmacSha256(kSecret, order), 2}, std::pair{std::string(44, 'A'), 4}}) {
    TlsClient hook(port, dir_ / "cert.pem");
    ASSERT_TRUE(hook.connected());
    ASSERT_TRUE(hook.Send(
        "POST /hooks/acme/shop HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nX-Shopify-Topic: orders/create\r\n"
        "X-Shopify-Hmac-Sha256: " +
        signature +
        "\r\nX-Shopify-Shop-Domain: acme.myshopify.com\r\n"
        "X-Shopify-Webhook-Id: tls-" +
        std::to_string(expected) + "\r\nX-Shopify-API-Version: 2026-07\r\nContent-Length: " +
        std::to_string(order.size()) + "\r\n\r\n" + order));
    auto answer = hook.Read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status / 100, expected) << answer->head << answer->body;
  }

  // Plain HTTP on the TLS port: an answer saying so, then the close.
  int fd = Connect(port);
  ASSERT_GE(fd, 0);
  const std::string plain = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, plain.data(), plain.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(plain.size()));
  std::string refused;
  char chunk[4096];
  ssize_t n;
  while ((n = ::recv(fd, chunk, sizeof(chunk), 0)) > 0) refused.append(chunk, size_t(n));
  ::close(fd);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 400 ")) << refused;

  // SIGHUP: a renewed certificate serves new connections.
  Key renewed_key = NewKey();
  Cert renewed = SelfSigned(renewed_key.get(), 8);
  WritePem(dir_ / "cert.pem", renewed.get());
  WritePem(dir_ / "key.pem", renewed_key.get());
  ::kill(serve->pid(), SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    TlsClient after(port, dir_ / "cert.pem");
    return after.connected() && after.PeerSerial() == 8;
  }));
  EXPECT_EQ(serve->Signal(SIGTERM), 0);
}

TEST_F(TlsServeTest, AnUnreadableKeyStopsTheStartNamingTheFile) {
  const std::string missing = (dir_ / "missing-key.pem").string();
  RunOutput out = RunProgram({GOVFLOW_BINARY, "serve", "--data", data(), "--listen", "127.0.0.1:0",
                              "--tls-cert", (dir_ / "cert.pem").string(), "--tls-key", missing},
                             {});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.err.find("cannot read the TLS private key file '" + missing + "'"),
            std::string::npos)
      << out.err;
}

}  // namespace
}  // namespace govflow::testing
