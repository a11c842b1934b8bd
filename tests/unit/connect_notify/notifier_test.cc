// The notifiers against tiny loopback servers started by the test (port 0): the webhook posts the
// JSON body with its notification id and an HMAC-SHA256 signature; SMTP delivers an RFC 5322
// message with the subject, body and ids, in the partner's brand (text and HTML parts, product
// name, colours, logo, support contact; never the govflow name); failures come back as
// kUnavailable.
#include "connect/notify/notifier.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
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
  n.subject = "P1 exception exc_1 breached its acknowledge SLA";
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

// Serves one SMTP session: the commands go to `transcript`, the message (un-dot-stuffed only of
// its terminator) to `data`.
void ServeSmtp(LoopbackServer& server, std::string& transcript, std::string& data) {
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
}

TEST(SmtpNotifierTest, DeliversTheMessageWithSubjectBodyAndIds) {
  LoopbackServer server;
  std::string transcript, data;
  ServeSmtp(server, transcript, data);
  SmtpNotifier notifier({.url = "smtp://127.0.0.1:" + std::to_string(server.port()),
                         .from = "govflow@partner.example"});
  Notification n = Sample("email", "duty@example.com");
  Status st = notifier.Send(n);
  server.Join();
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_NE(transcript.find("MAIL FROM:<govflow@partner.example>"), std::string::npos)
      << transcript;
  EXPECT_NE(transcript.find("RCPT TO:<duty@example.com>"), std::string::npos) << transcript;
  // Without a brand: the neutral product name, never govflow's.
  EXPECT_NE(data.find("Subject: [Console] P1 exception exc_1 breached its acknowledge SLA\r\n"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("To: duty@example.com\r\n"), std::string::npos);
  EXPECT_NE(data.find("Message-ID: <acme/exc_1/acknowledge/1@partner.example>\r\n"),
            std::string::npos);
  EXPECT_NE(data.find("X-Govflow-Notification-Id: acme/exc_1/acknowledge/1\r\n"),
            std::string::npos);
  EXPECT_NE(data.find("quoted-printable\r\n\r\nException case exc_1 was not acknowledged.\r\n"),
            std::string::npos)
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

// ---- the partner's brand in e-mails ----

// Undoes dot-stuffing and quoted-printable (soft breaks, =XX) of one MIME part's body.
std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
      i += 2;  // soft line break
    } else if (in[i] == '=' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// The decoded body of the part with Content-Type `type` in a received message.
std::string Part(const std::string& data, const std::string& type) {
  std::string message;  // dot-stuffing undone
  size_t pos = 0;
  while (pos < data.size()) {
    size_t eol = data.find("\r\n", pos);
    std::string line = data.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (line.starts_with("..")) line.erase(0, 1);
    message += line + "\r\n";
    if (eol == std::string::npos) break;
    pos = eol + 2;
  }
  size_t head = message.find("Content-Type: " + type + "; charset=utf-8\r\n");
  if (head == std::string::npos) return "";
  size_t body = message.find("\r\n\r\n", head) + 4;
  size_t end = message.find("\r\n--=_alternative_0", body);
  return DecodeQuotedPrintable(message.substr(body, end - body + 2));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Brand Northwind() {
  auto brand = ParseBrand(
      R"({"product_name":"Northwind Ops","logo_url":"https://cdn.northwind.example/logo.png",)"
      R"("colors":{"primary":"#0a7d4f","accent":"#f5a623"},)"
      R"("support":{"email":"help@northwind.example","url":"https://northwind.example/help",)"
      R"("phone":"+1 555 0100"}})");
  EXPECT_TRUE(brand.ok()) << brand.status().ToString();
  return brand.ok() ? *brand : Brand{};
}

TEST(SmtpNotifierTest, AnEmailCarriesThePartnersBrandInTextAndHtmlAndNeverGovflow) {
  LoopbackServer server;
  std::string transcript, data;
  ServeSmtp(server, transcript, data);
  SmtpNotifier notifier({.url = "smtp://127.0.0.1:" + std::to_string(server.port()),
                         .from = "ops@northwind.example",
                         .brand = [] { return Northwind(); }});
  Notification n = Sample("email", "duty@example.com");
  n.text += "\nNote: <script>alert(1)</script> & more; a long line " + std::string(120, 'z');
  ASSERT_TRUE(notifier.Send(n).ok());
  server.Join();

  EXPECT_NE(data.find("From: \"Northwind Ops\" <ops@northwind.example>\r\n"), std::string::npos)
      << data;
  EXPECT_NE(
      data.find("Subject: [Northwind Ops] P1 exception exc_1 breached its acknowledge SLA\r\n"),
      std::string::npos)
      << data;
  EXPECT_NE(data.find("Content-Type: multipart/alternative; boundary=\"=_alternative_0\"\r\n"),
            std::string::npos);
  for (std::string_view line : {std::string_view(data)}) {
    size_t pos = 0;
    while (pos < line.size()) {
      size_t eol = line.find("\r\n", pos);
      EXPECT_LE(eol - pos, 78u) << "line longer than RFC 5322 recommends";
      pos = eol + 2;
    }
  }

  const std::string text = Part(data, "text/plain");
  EXPECT_TRUE(text.starts_with(
      "Exception case exc_1 was not acknowledged.\r\n.leading dot line\r\nRoot cause: "))
      << text;
  EXPECT_NE(text.find("a long line " + std::string(120, 'z') + "\r\n"), std::string::npos) << text;
  EXPECT_TRUE(
      text.ends_with("\r\n-- \r\nNorthwind Ops\r\nSupport: help@northwind.example \xC2\xB7 "
                     "https://northwind.example/help \xC2\xB7 +1 555 0100\r\n"))
      << text;

  const std::string html = Part(data, "text/html");
  EXPECT_NE(html.find("background:#0a7d4f;color:#ffffff"), std::string::npos) << html;
  EXPECT_NE(html.find("border-top:4px solid #f5a623"), std::string::npos) << html;
  EXPECT_NE(html.find("<img src=\"https://cdn.northwind.example/logo.png\" alt=\"Northwind Ops\""),
            std::string::npos)
      << html;
  EXPECT_NE(html.find(">Northwind Ops</strong>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"mailto:help@northwind.example\""), std::string::npos);
  EXPECT_NE(html.find("<a href=\"https://northwind.example/help\""), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"), std::string::npos)
      << html;
  EXPECT_EQ(html.find("<script>"), std::string::npos);

  // The id header is for machines; nowhere else may the product's own name show.
  std::string visible = data;
  visible.erase(visible.find("X-Govflow-Notification-Id:"),
                visible.find("\r\n", visible.find("X-Govflow-Notification-Id:")) + 2 -
                    visible.find("X-Govflow-Notification-Id:"));
  EXPECT_EQ(Lower(visible + text + html).find("govflow"), std::string::npos) << visible;
}

TEST(SmtpNotifierTest, AnEditedBrandingFileShowsInTheNextEmail) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("govflow-notify-brand-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "branding.json";
  std::ofstream(path) << R"({"product_name":"Northwind Ops"})";
  BrandingFile branding(path);  // what the engine hands its SMTP notifier
  auto send = [&] {
    LoopbackServer server;
    std::string transcript, data;
    ServeSmtp(server, transcript, data);
    SmtpNotifier n({.url = "smtp://127.0.0.1:" + std::to_string(server.port()),
                    .from = "ops@northwind.example",
                    .brand = [&branding] { return branding.Current(); }});
    EXPECT_TRUE(n.Send(Sample("email", "duty@example.com")).ok());
    server.Join();
    return data;
  };
  EXPECT_NE(send().find("Subject: [Northwind Ops] P1"), std::string::npos);
  std::ofstream(path, std::ios::trunc) << R"({"product_name":"Harbor Managed Services"})";
  std::string second = send();
  EXPECT_NE(second.find("Subject: [Harbor Managed Services] P1"), std::string::npos) << second;
  EXPECT_NE(second.find("From: \"Harbor Managed Services\" <ops@northwind.example>"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SmtpMessageTest, ANonAsciiProductNameIsAnEncodedWordInSubjectAndFrom) {
  Brand brand;
  brand.product_name = "Nordvind Drift \xC3\x98st";  // "Nordvind Drift Øst"
  std::string msg =
      SmtpMessage({.from = "drift@nordvind.example"}, brand, Sample("email", "duty@example.com"));
  // "[Nordvind Drift Øst] P1 exception exc_1 brea" (45 bytes) in base64, then the rest.
  EXPECT_NE(
      msg.find("Subject: =?UTF-8?B?W05vcmR2aW5kIERyaWZ0IMOYc3RdIFAxIGV4Y2VwdGlvbiBleGNfMSBicmVh?="),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("From: =?UTF-8?B?Tm9yZHZpbmQgRHJpZnQgw5hzdA==?= <drift@nordvind.example>\r\n"),
            std::string::npos)
      << msg;
  // The HTML part keeps the name in UTF-8, quoted-printable on the wire.
  EXPECT_NE(msg.find("Nordvind Drift =C3=98st"), std::string::npos);
}

TEST(SmtpMessageTest, ALightPrimaryColourGetsDarkTextAndARelativeLogoIsLeftOut) {
  Brand brand;
  brand.product_name = "Pale";
  brand.colors.primary = "#fde";
  brand.logo_url = "/brand/logo.svg";
  const std::string html = EmailHtml(brand, Sample("email", "duty@example.com"));
  EXPECT_NE(html.find("background:#fde;color:#111111"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << "a path cannot resolve in an e-mail";
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
