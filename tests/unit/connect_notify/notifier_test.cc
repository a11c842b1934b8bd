// The notifiers against tiny loopback servers started by the test (port 0): the webhook posts the
// JSON body with its notification id and an HMAC-SHA256 signature; SMTP delivers an RFC 5322
// message with the subject, body and ids; failures come back as kUnavailable.
#include "connect/notify/notifier.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

namespace govflow::connect::notify {
namespace {

// One listening socket on 127.0.0.1:0; Serve() handles one connection on a thread.
class LoopbackServer {
 public:
  LoopbackServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  void Serve(std::function<void(int)> session) {
    thread_ = std::thread([this, session = std::move(session)] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      session(c);
      ::close(c);
    });
  }
  void Join() { thread_.join(); }

  static bool ReadUntil(int fd, std::string& buf, std::string_view marker) {
    char chunk[4096];
    while (buf.find(marker) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }
  static void Write(int fd, std::string_view s) {
    (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

Notification Sample(std::string channel, std::string address) {
  Notification n;
  n.id = "acme/exc_1/acknowledge/1";
  n.channel = std::move(channel);
  n.address = std::move(address);
  n.subject = "[govflow] P1 exception exc_1 breached its acknowledge SLA";
  n.text =
      "Exception case exc_1 was not acknowledged.\n.leading dot line\nRoot cause: "
      "unknown_item:SKU-404";
  n.json = R"({"type":"exception.escalation","case":"exc_1","level":1})";
  return n;
}

TEST(WebhookNotifierTest, PostsTheJsonBodyWithIdAndHmacSignature) {
  LoopbackServer server;
  std::string request;
  server.Serve([&](int fd) {
    LoopbackServer::ReadUntil(fd, request, "\r\n\r\n");
    size_t cl = request.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos);
    size_t len = std::stoul(request.substr(cl + 16));
    size_t body_at = request.find("\r\n\r\n") + 4;
    while (request.size() < body_at + len) {
      if (!LoopbackServer::ReadUntil(fd, request, std::string(1, '\x7f'))) break;
    }
    LoopbackServer::Write(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  });
  WebhookNotifier notifier({.signing_key = "s3cret"});
  Notification n = Sample("webhook", "http://127.0.0.1:" + std::to_string(server.port()) + "/hook");
  Status st = notifier.Send(n);
  server.Join();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(request.starts_with("POST /hook HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(request.find("X-Govflow-Notification-Id: acme/exc_1/acknowledge/1\r\n"),
            std::string::npos);
  EXPECT_NE(
      request.find("X-Govflow-Signature: sha256=" + WebhookSignature("s3cret", n.json) + "\r\n"),
      std::string::npos)
      << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\n" + n.json)) << request;
}

TEST(WebhookNotifierTest, SignatureIsHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookNotifierTest, ANon2xxAnswerIsUnavailable) {
  LoopbackServer server;
  server.Serve([&](int fd) {
    std::string req;
    LoopbackServer::ReadUntil(fd, req, "\r\n\r\n");
    LoopbackServer::Write(fd,
                          "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
  });
  WebhookNotifier notifier({});
  Status st = notifier.Send(Sample("webhook", "http://127.0.0.1:" + std::to_string(server.port())));
  server.Join();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("HTTP 500"), std::string::npos);
}

TEST(SmtpNotifierTest, DeliversTheMessageWithSubjectBodyAndIds) {
  LoopbackServer server;
  std::string transcript, data;
  server.Serve([&](int fd) {
    LoopbackServer::Write(fd, "220 test ESMTP\r\n");
    std::string buf;
    while (true) {
      if (!LoopbackServer::ReadUntil(fd, buf, "\r\n")) return;
      size_t eol = buf.find("\r\n");
      std::string line = buf.substr(0, eol);
      buf.erase(0, eol + 2);
      transcript += line + "\n";
      if (line.starts_with("EHLO") || line.starts_with("HELO")) {
        LoopbackServer::Write(fd, "250 test\r\n");
      } else if (line.starts_with("MAIL FROM") || line.starts_with("RCPT TO")) {
        LoopbackServer::Write(fd, "250 OK\r\n");
      } else if (line == "DATA") {
        LoopbackServer::Write(fd, "354 go ahead\r\n");
        LoopbackServer::ReadUntil(fd, buf, "\r\n.\r\n");
        size_t end = buf.find("\r\n.\r\n");
        data = buf.substr(0, end + 2);
        buf.erase(0, end + 5);
        LoopbackServer::Write(fd, "250 queued\r\n");
      } else if (line == "QUIT") {
        LoopbackServer::Write(fd, "221 bye\r\n");
        return;
      } else {
        LoopbackServer::Write(fd, "502 not implemented\r\n");
      }
    }
  });
  SmtpNotifier notifier({.url = "smtp://127.0.0.1:" + std::to_string(server.port()),
                         .from = "govflow@partner.example"});
  Notification n = Sample("email", "duty@example.com");
  Status st = notifier.Send(n);
  server.Join();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_NE(transcript.find("MAIL FROM:<govflow@partner.example>"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("RCPT TO:<duty@example.com>"), std::string::npos) << transcript;
  EXPECT_NE(data.find("Subject: [govflow] P1 exception exc_1 breached its acknowledge SLA\r\n"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("To: duty@example.com\r\n"), std::string::npos);
  EXPECT_NE(data.find("Message-ID: <acme/exc_1/acknowledge/1@govflow>\r\n"), std::string::npos);
  EXPECT_NE(data.find("\r\n\r\nException case exc_1 was not acknowledged.\r\n"), std::string::npos)
      << data;
  // Dot-stuffed on the wire (RFC 5321 4.5.2).
  EXPECT_NE(data.find("\r\n..leading dot line\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("Root cause: unknown_item:SKU-404\r\n"), std::string::npos);
}

TEST(SmtpNotifierTest, AnUnreachableServerIsUnavailableAndABadAddressInvalid) {
  LoopbackServer server;  // listening, but closes at once
  server.Serve([](int) {});
  SmtpNotifier notifier({.url = "smtp://127.0.0.1:" + std::to_string(server.port()),
                         .from = "govflow@partner.example",
                         .timeout = std::chrono::milliseconds(3000)});
  EXPECT_EQ(notifier.Send(Sample("email", "duty@example.com")).code(), StatusCode::kUnavailable);
  server.Join();
  EXPECT_EQ(notifier.Send(Sample("email", "not-an-address")).code(), StatusCode::kInvalidArgument);
}

TEST(RoutingNotifierTest, DispatchesByChannelAndRejectsUnknownChannels) {
  WebhookNotifier webhook({});
  RoutingNotifier router;
  router.Route("webhook", &webhook);
  EXPECT_EQ(router.Send(Sample("pager", "123")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Send(Sample("webhook", "ftp://x")).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace govflow::connect::notify
