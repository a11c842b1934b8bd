// SLA escalation with a ManualClock: a breached clock escalates exactly at its deadline, level
// by level, each level once (also after a restart), and stops once acknowledged / resolved; an
// escalation e-mail reaches a loopback SMTP server in the partner's brand.
#include "governance/sla_monitor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <mutex>
#include <thread>

#include "governance/exceptions/cases.h"
#include "unit/governance/exceptions/exception_fixture.h"

namespace govflow::governance {
namespace {

// Records what would have been sent; fails the channels it is told to fail.
class RecordingNotifier final : public connect::notify::Notifier {
 public:
  Status Send(const connect::notify::Notification& n) override {
    std::lock_guard lock(mu_);
    if (fail_) return Unavailable("receiver down");
    sent_.push_back(n);
    return Status::Ok();
  }
  std::vector<connect::notify::Notification> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  void set_fail(bool fail) { fail_ = fail; }

 private:
  mutable std::mutex mu_;
  bool fail_ = false;
  std::vector<connect::notify::Notification> sent_;
};

PolicySet ChainPolicies() {
  PolicySet p;
  p.escalation = std::make_shared<policies::EscalationPolicy>(*policies::ParseEscalationPolicy(
      R"(apiVersion: govflow/v1
kind: EscalationPolicy
spec:
  chains:
    - name: standard
      levels:
        - after: 0m
          notify: [{webhook: "http://127.0.0.1:9/hook"}]
        - after: 30m
          notify: [{email: duty@example.com}, {webhook: "http://127.0.0.1:9/lead"}]
)",
      "escalation.yaml"));
  return p;
}

class SlaMonitorTest : public testing::ExceptionFixture {
 protected:
  int Run() {
    auto n = RunDueEscalations(*store_, clock_, notifier_);
    EXPECT_TRUE(n.ok()) << n.status().message();
    return n.ok() ? *n : -1;
  }
  RecordingNotifier notifier_;
};

TEST_P(SlaMonitorTest, EscalatesExactlyAtTheAcknowledgeDeadlineNotASecondBefore) {
  const TenantId t("acme");
  SeedTenant(t);
  // Fallback severity P3 (transient): acknowledge within 4h.
  ExceptionCaseId id = OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient",
                                "connection reset", ChainPolicies());
  clock_.Advance(std::chrono::hours(4) - std::chrono::seconds(1));
  EXPECT_EQ(Run(), 0);
  EXPECT_TRUE(notifier_.sent().empty());
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(notifier_.sent().size(), 1u);
  const auto sent = notifier_.sent();
  const auto& n = sent[0];
  EXPECT_EQ(n.channel, "webhook");
  EXPECT_EQ(n.address, "http://127.0.0.1:9/hook");
  EXPECT_EQ(n.id, "acme/" + id.value() + "/acknowledge/1");
  EXPECT_NE(n.json.find("\"clock\":\"acknowledge\""), std::string::npos);
  EXPECT_NE(n.subject.find("P3"), std::string::npos);

  // Level 2 thirty minutes after the breach, not before; each level once.
  clock_.Advance(std::chrono::minutes(30) - std::chrono::seconds(1));
  EXPECT_EQ(Run(), 0);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(notifier_.sent().size(), 3u);  // level 2 has two targets
  EXPECT_EQ(notifier_.sent()[1].channel, "email");
  EXPECT_EQ(notifier_.sent()[1].id, "acme/" + id.value() + "/acknowledge/2");
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(notifier_.sent().size(), 3u);

  InTxn([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(
        auto rows, txn.sql().Query("SELECT action, actor FROM audit_events WHERE tenant_id = ? "
                                   "AND object_id = ? ORDER BY seq",
                                   {t.value(), id.value()}));
    std::vector<std::string> actions;
    for (const auto& r : rows) actions.push_back(r.Text(0));
    EXPECT_EQ(actions, (std::vector<std::string>{"exception.open", "exception.sla_breach",
                                                 "exception.escalate", "exception.escalate"}));
    EXPECT_EQ(rows[2].Text(1), "system:sla_monitor");
    return Status::Ok();
  });
}

TEST_P(SlaMonitorTest, DoesNotNotifyARecordedLevelAgainAfterARestart) {
  const TenantId t("acme");
  SeedTenant(t);
  OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset", ChainPolicies());
  clock_.Advance(std::chrono::hours(4));
  EXPECT_EQ(Run(), 1);
  std::unique_ptr<store::Store> restarted = OpenAnother();
  RecordingNotifier fresh;
  auto n = RunDueEscalations(*restarted, clock_, fresh);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_TRUE(fresh.sent().empty());
}

TEST_P(SlaMonitorTest, AFailedNoticeIsTriedAgainAndLaterLevelsWait) {
  const TenantId t("acme");
  SeedTenant(t);
  OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset", ChainPolicies());
  clock_.Advance(std::chrono::hours(5));  // both levels due
  notifier_.set_fail(true);
  auto stats = RunDueEscalationsWithStats(*store_, clock_, notifier_);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->notices_sent, 0);
  EXPECT_EQ(stats->notices_failed, 1);
  notifier_.set_fail(false);
  EXPECT_EQ(Run(), 2);
  EXPECT_EQ(notifier_.sent().size(), 3u);
}

TEST_P(SlaMonitorTest, StopsTheAcknowledgeClockOnAcknowledgementAndEverythingOnResolution) {
  const TenantId t("acme");
  SeedTenant(t);
  ExceptionCaseId id = OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "reset",
                                ChainPolicies());
  const TenantScope scope = TenantScope::ForSystem(t, "operator");
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(exceptions::Acknowledge(*store_, scope, {id}, "on it").ok());
  clock_.Advance(std::chrono::hours(10));  // past the acknowledge deadline (4h)
  EXPECT_EQ(Run(), 0);
  // The resolve clock (P3: 2 days) still runs.
  clock_.Advance(std::chrono::hours(48 - 11));
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(notifier_.sent().back().id, "acme/" + id.value() + "/resolve/1");
  ASSERT_TRUE(exceptions::Resolve(*store_, scope, {id}, "fixed").ok());
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(notifier_.sent().size(), 1u);
}

TEST_P(SlaMonitorTest, TakesInCasesTheRuntimeOpenedWithoutGovernance) {
  const TenantId t("acme");
  SeedTenant(t);
  // A case opened by the engine alone (no intake call).
  const RunId run("run_plain");
  InTxn([&](store::Txn& txn) -> Status {
    store::Run r;
    r.tenant = t;
    r.id = run;
    r.workflow_name = "order-capture";
    r.workflow_version = 1;
    r.state = store::RunState::kFailed;
    r.current_step = "post_sales_order";
    r.input_json = Order(1, "20.00", "c");
    GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(r));
    store::ExceptionCase c;
    c.tenant = t;
    c.id = ExceptionCaseId("exc_plain");
    c.run = run;
    c.step = "post_sales_order";
    c.error_class = "rejected";
    c.message = UnknownSku("SKU-2");
    return txn.OpenExceptionCase(c);
  });
  auto stats = RunDueEscalationsWithStats(*store_, clock_, notifier_);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->cases_taken_in, 1);
  auto c =
      exceptions::GetCase(*store_, TenantScope::ForSystem(t, "x"), ExceptionCaseId("exc_plain"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->root_cause_key, "unknown_item:SKU-2");
  EXPECT_EQ(c->order_value_minor, 2000);
}

// One SMTP session on 127.0.0.1:0 (the pattern of tests/unit/connect_notify): accepts a
// message and keeps its DATA.
class OneMessageSmtpServer {
 public:
  OneMessageSmtpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneMessageSmtpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The message, once the session has ended.
  std::string data() {
    if (thread_.joinable()) thread_.join();
    return data_;
  }

 private:
  void Serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    auto write = [c](std::string_view s) { (void)::send(c, s.data(), s.size(), MSG_NOSIGNAL); };
    auto read_until = [c](std::string& buf, std::string_view marker) {
      char chunk[4096];
      while (buf.find(marker) == std::string::npos) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf.append(chunk, static_cast<size_t>(n));
      }
      return true;
    };
    write("220 test ESMTP\r\n");
    std::string buf;
    while (read_until(buf, "\r\n")) {
      const std::string line = buf.substr(0, buf.find("\r\n"));
      buf.erase(0, line.size() + 2);
      if (line.starts_with("EHLO") || line.starts_with("HELO") || line.starts_with("MAIL") ||
          line.starts_with("RCPT")) {
        write("250 OK\r\n");
      } else if (line == "DATA") {
        write("354 go ahead\r\n");
        read_until(buf, "\r\n.\r\n");
        data_ = buf.substr(0, buf.find("\r\n.\r\n") + 2);
        buf.erase(0, data_.size() + 3);
        write("250 queued\r\n");
      } else if (line == "QUIT") {
        write("221 bye\r\n");
        break;
      } else {
        write("502 not implemented\r\n");
      }
    }
    ::close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string data_;
};

TEST_P(SlaMonitorTest, AnEscalationEmailGoesOutInThePartnersBrand) {
  const TenantId t("acme");
  SeedTenant(t);
  PolicySet p;
  p.escalation = std::make_shared<policies::EscalationPolicy>(*policies::ParseEscalationPolicy(
      R"(apiVersion: govflow/v1
kind: EscalationPolicy
spec:
  chains:
    - name: standard
      levels:
        - after: 0m
          notify: [{email: duty@acme.example}]
)",
      "escalation.yaml"));
  ExceptionCaseId id =
      OpenCase(t, Order(1, "10.00", "c"), "post_sales_order", "transient", "connection reset", p);
  clock_.Advance(std::chrono::hours(4));

  OneMessageSmtpServer smtp;
  auto brand = ParseBrand(
      R"({"product_name":"Northwind Ops","colors":{"primary":"#0a7d4f"},)"
      R"("support":{"email":"help@northwind.example"}})");
  ASSERT_TRUE(brand.ok());
  connect::notify::SmtpNotifier mail({.url = smtp.url(),
                                      .from = "ops@northwind.example",
                                      .brand = [&] { return *brand; }});
  auto sent = RunDueEscalations(*store_, clock_, mail);
  ASSERT_TRUE(sent.ok()) << sent.status().message();
  EXPECT_EQ(*sent, 1);
  const std::string data = smtp.data();
  EXPECT_NE(data.find("From: \"Northwind Ops\" <ops@northwind.example>\r\n"), std::string::npos)
      << data;
  EXPECT_NE(data.find("Subject: [Northwind Ops] P3 exception " + id.value() +
                      " breached its acknowledge SLA"),
            std::string::npos)
      << data;
  // The parts are quoted-printable: join its soft line breaks to read the text.
  std::string body = data;
  for (size_t at; (at = body.find("=\r\n")) != std::string::npos;) body.erase(at, 3);
  EXPECT_NE(body.find("Exception case " + id.value() + " of tenant acme was not acknowledged"),
            std::string::npos)
      << body;
  EXPECT_NE(data.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(data.find("background:#0a7d4f"), std::string::npos);
  EXPECT_NE(data.find("help@northwind.example"), std::string::npos);
  // Only the machine header for receivers' de-duplication names the engine.
  std::string lower;
  for (char c : data) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t header = lower.find("x-govflow-notification-id:");
  ASSERT_NE(header, std::string::npos);
  lower.erase(header, lower.find("\r\n", header) - header);
  EXPECT_EQ(lower.find("govflow"), std::string::npos) << data;
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(SlaMonitorTest);

}  // namespace
}  // namespace govflow::governance
