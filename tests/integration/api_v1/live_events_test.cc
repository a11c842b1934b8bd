// Live updates (GET /api/v1/tenants/{tenant}/events) over real HTTP on 127.0.0.1 (port 0), on
// SQLite and PostgreSQL: a new exception or approval arrives as a server-sent event within a
// bounded wait; another tenant's changes never do; a person without exceptions.read gets no
// exception events; Last-Event-ID resumes without duplicates (and too far back asks for a
// reload); the stream outlives the server's handler timeout; signing out everywhere and
// disabling the user close it within a heartbeat; too many streams are a 429 problem; and the
// same changes as a JSON page for clients that poll.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "api/http_server.h"
#include "api/router.h"
#include "api/v1/api.h"
#include "api/v1/console.h"
#include "api/v1/live_events.h"
#include "api/v1/sessions.h"
#include "governance/access.h"
#include "governance/approvals.h"
#include "governance/directory.h"
#include "governance/exception_intake.h"
#include "integration/api_v1/http_client.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::testing {
namespace {

namespace json = boost::json;
namespace gov = governance;
using namespace std::chrono_literals;

constexpr char kAnaPassword[] = "ana-password-123";
constexpr char kPamPassword[] = "pam-password-123";
constexpr char kGusPassword[] = "gus-password-123";
// Every wait for an event is bounded by this (the feed polls every 50 ms in these tests).
constexpr auto kEventWait = 5s;

json::value Parse(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

struct SseEvent {
  std::string event;  // "" for the default type
  std::string id;
  std::string data;
};

// A raw-socket client of one event stream: sends the request, reads the head, then parses
// events as they arrive (comments are counted, not returned).
class EventStreamClient {
 public:
  EventStreamClient(uint16_t port, const std::string& target,
                    const std::vector<std::string>& headers) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      closed_ = true;
      return;
    }
    std::string request = "GET " + target +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const std::string& h : headers) request += h + "\r\n";
    request += "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      closed_ = true;
      return;
    }
    const auto until = std::chrono::steady_clock::now() + kEventWait;
    while (head_.empty() && !closed_ && std::chrono::steady_clock::now() < until) ReadSome(50ms);
  }
  ~EventStreamClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  EventStreamClient(const EventStreamClient&) = delete;
  EventStreamClient& operator=(const EventStreamClient&) = delete;

  int status() const { return head_.size() > 12 ? std::stoi(head_.substr(9, 3)) : 0; }
  const std::string& head() const { return head_; }
  // The body so far (a refused stream's problem+json).
  const std::string& body() const { return buffer_; }

  // Waits until an event satisfying `want` has arrived (returning it) or `timeout` passed.
  std::optional<SseEvent> WaitFor(const std::function<bool(const SseEvent&)>& want,
                                  std::chrono::milliseconds timeout = kEventWait) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (; checked_ < events_.size(); ++checked_) {
        if (want(events_[checked_])) return events_[checked_++];
      }
      if (closed_ || std::chrono::steady_clock::now() >= until) return std::nullopt;
      ReadSome(20ms);
    }
  }
  std::optional<SseEvent> WaitForChange(std::string_view subject_id) {
    return WaitFor([&](const SseEvent& e) {
      return e.event == "change" && Parse(e.data).at("subject_id").as_string() == subject_id;
    });
  }
  // Reads for `d`, then returns every event received so far.
  const std::vector<SseEvent>& Collect(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!closed_ && std::chrono::steady_clock::now() < until) ReadSome(20ms);
    return events_;
  }
  // True once the server closed the connection, waiting up to `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < until) ReadSome(20ms);
    return closed_;
  }
  int comments() const { return comments_; }
  const std::vector<SseEvent>& events() const { return events_; }

 private:
  void ReadSome(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    if (head_.empty()) {
      const size_t end = buffer_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = buffer_.substr(0, end + 2);
      buffer_.erase(0, end + 4);
    }
    if (status() != 200) return;  // a problem body, not events
    size_t end;
    while ((end = buffer_.find("\n\n")) != std::string::npos) {
      const std::string block = buffer_.substr(0, end + 1);
      buffer_.erase(0, end + 2);
      SseEvent e;
      bool any = false;
      size_t pos = 0;
      while (pos < block.size()) {
        const size_t eol = block.find('\n', pos);
        const std::string line = block.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.starts_with(":")) {
          ++comments_;
        } else if (line.starts_with("event: ")) {
          e.event = line.substr(7);
          any = true;
        } else if (line.starts_with("id: ")) {
          e.id = line.substr(4);
        } else if (line.starts_with("data: ")) {
          e.data += (e.data.empty() ? "" : "\n") + line.substr(6);
          any = true;
        }
      }
      if (any) events_.push_back(std::move(e));
    }
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string head_;
  std::string buffer_;
  std::vector<SseEvent> events_;
  size_t checked_ = 0;
  int comments_ = 0;
};

class LiveEventsTest : public GovernanceStoreTest {
 protected:
  void SetUp() override {
    GovernanceStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    InTxn([&](store::Txn& txn) -> Status {
      GOVFLOW_RETURN_IF_ERROR(
          gov::InitPartner(txn, {"northwind", "Northwind", "lee@nw.example", "Lee", "lee-pw-12345"})
              .status());
      const auto partner = gov::PartnerScope::ForSystem("test");
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, acme_, "Acme Retail"));
      GOVFLOW_RETURN_IF_ERROR(gov::CreateTenant(txn, partner, globex_, "Globex"));
      GOVFLOW_ASSIGN_OR_RETURN(
          ana_, gov::CreateUser(txn, partner, {"ana@acme.example", "Ana", kAnaPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          pam_, gov::CreateUser(txn, partner, {"pam@acme.example", "Pam", kPamPassword}));
      GOVFLOW_ASSIGN_OR_RETURN(
          gus_, gov::CreateUser(txn, partner, {"gus@globex.example", "Gus", kGusPassword}));
      const auto acme = gov::TenantScope::ForSystem(acme_, "test");
      // Ana reads everything an operator does; Pam only decides prices (no exceptions.read).
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, ana_, "operator"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(txn, acme, pam_, "pricing_manager"));
      GOVFLOW_RETURN_IF_ERROR(gov::GrantTenantRole(
          txn, gov::TenantScope::ForSystem(globex_, "test"), gus_, "operator"));
      GOVFLOW_ASSIGN_OR_RETURN(gov::IssuedToken token,
                               gov::IssueTenantToken(txn, acme, ana_, "live", std::nullopt));
      ana_token_ = token.token;
      for (const TenantId& tenant : {acme_, globex_}) {
        store::WorkflowVersion v;  // the failed runs' workflow (runs reference it)
        v.tenant = tenant;
        v.name = "order-capture";
        v.version = 1;
        v.content_hash = "h1";
        v.source_yaml = "name: order-capture\n";
        v.published_at = txn.Now();
        GOVFLOW_RETURN_IF_ERROR(txn.PublishWorkflowVersion(v));
      }
      return Status::Ok();
    });
    if (HasFatalFailure()) return;
    api::v1::ConsoleOptions options;
    options.api.live.poll_interval = 50ms;
    options.api.live.heartbeat_interval = 300ms;
    options.api.live.max_replay = 20;
    options.api.live.max_streams_per_user = 2;
    auto router = std::make_shared<api::Router>();
    auto handler = api::v1::MountConsole(router, *store_, clock_, options);
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    api::HttpServerOptions server_options;
    // Far shorter than any stream in these tests: a stream must not be cut by it.
    server_options.handler_timeout = 300ms;
    auto server = api::HttpServer::Start(server_options, *handler);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ana_cookie_ = SignIn(ana_);
    pam_cookie_ = SignIn(pam_);
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
    GovernanceStoreTest::TearDown();
  }

  // A console session as POST /api/v1/session opens it (without the password hashing, which
  // takes longer than this server's short handler timeout).
  std::string SignIn(const std::string& user_id) {
    api::v1::SessionStore sessions(*store_, clock_);
    Result<api::v1::NewSession> session = sessions.Create(user_id);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    if (!session.ok()) return "";
    csrf_[user_id] = session->csrf_token;
    return "Cookie: session=" + session->token;
  }

  std::unique_ptr<EventStreamClient> Stream(const std::vector<std::string>& headers,
                                            const std::string& tenant = "acme") {
    auto client = std::make_unique<EventStreamClient>(
        server_->port(), "/api/v1/tenants/" + tenant + "/events", headers);
    if (client->status() == 200) {
      EXPECT_TRUE(client->WaitFor([](const SseEvent& e) { return e.event == "ready"; }))
          << "a stream opens with a ready event";
    }
    return client;
  }

  // A failed run with an open exception case, taken in by governance (audited exception.open).
  std::string OpenCase(const TenantId& tenant) {
    const RunId run(NewUniqueId("run_"));
    const ExceptionCaseId id(NewUniqueId("exc_"));
    InTxn([&](store::Txn& txn) -> Status {
      store::Run r;
      r.tenant = tenant;
      r.id = run;
      r.workflow_name = "order-capture";
      r.workflow_version = 1;
      r.state = store::RunState::kPending;
      r.current_step = "post_sales_order";
      r.input_json = R"({"id":1})";
      r.context_json = "{}";
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(r));
      store::RunUpdate u;
      u.state = store::RunState::kFailed;
      u.current_step = "post_sales_order";
      u.context_json = "{}";
      GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(tenant, run, 1, u).status());
      store::ExceptionCase c;
      c.tenant = tenant;
      c.id = id;
      c.run = run;
      c.step = "post_sales_order";
      c.error_class = "rejected";
      c.message = "The item SKU-404 cannot be found";
      c.payload_json = R"({"input":{"id":1},"steps":{}})";
      GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase(c));
      GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase stored, txn.GetExceptionCase(tenant, id));
      GOVFLOW_ASSIGN_OR_RETURN(store::Run stored_run, txn.GetRun(tenant, run));
      return gov::OnExceptionOpened(txn, stored, stored_run, gov::PolicySet{});
    });
    return id.value();
  }

  // A pending price-change approval for pricing managers (audited approval.request).
  std::string RequestApproval(const TenantId& tenant, const std::string& subject,
                              store::Store* on = nullptr) {
    std::string id;
    auto body = [&](store::Txn& txn) -> Status {
      gov::ApprovalRequest request;
      request.subject_type = "price_change";
      request.subject_id = subject;
      request.title = "MUG-CER-NAV 28.00 -> 21.00";
      request.changes_json = R"({"price":{"from":"28.00","to":"21.00"}})";
      request.required_roles = {"pricing_manager"};
      request.requested_by = "user:" + ana_;
      GOVFLOW_ASSIGN_OR_RETURN(
          gov::ApprovalTask task,
          gov::RequestApproval(txn, gov::TenantScope::ForSystem(tenant, "test"), request));
      id = task.id;
      return Status::Ok();
    };
    if (on == nullptr) {
      InTxn(body);
    } else {
      Status st = on->Transact(body);
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return id;
  }

  const TenantId acme_{"acme"};
  const TenantId globex_{"globex"};
  std::string ana_, pam_, gus_;
  std::string ana_token_;
  std::string ana_cookie_, pam_cookie_;
  std::map<std::string, std::string> csrf_;
  std::unique_ptr<api::HttpServer> server_;
};

TEST_P(LiveEventsTest, NewExceptionAndApprovalArriveAsEventsWithoutPayloads) {
  auto stream = Stream({ana_cookie_});
  ASSERT_EQ(stream->status(), 200) << stream->head() << stream->body();
  EXPECT_NE(stream->head().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(stream->head().find("Cache-Control: no-store"), std::string::npos);

  const std::string case_id = OpenCase(acme_);
  std::optional<SseEvent> opened = stream->WaitForChange(case_id);
  ASSERT_TRUE(opened) << "no event for the new exception case";
  json::value data = Parse(opened->data);
  EXPECT_EQ(data.at("topic").as_string(), "exception");
  EXPECT_EQ(data.at("action").as_string(), "exception.open");
  EXPECT_TRUE(data.at("at").as_string().starts_with("2027-01-15T"));  // the ManualClock's time
  EXPECT_EQ(data.as_object().size(), 4u) << "topic, action, subject_id, at and nothing else";
  EXPECT_FALSE(opened->id.empty());

  const std::string task_id = RequestApproval(acme_, "pc-1");
  std::optional<SseEvent> requested = stream->WaitForChange(task_id);
  ASSERT_TRUE(requested) << "no event for the new approval";
  EXPECT_EQ(Parse(requested->data).at("topic").as_string(), "approval");
  EXPECT_EQ(Parse(requested->data).at("action").as_string(), "approval.request");
  EXPECT_GT(std::stoll(requested->id), std::stoll(opened->id)) << "ids are audit sequence numbers";
  EXPECT_EQ(requested->data.find("28.00"), std::string::npos) << "never the change's body";
}

TEST_P(LiveEventsTest, AnotherTenantsChangesNeverAppear) {
  auto stream = Stream({ana_cookie_});
  ASSERT_EQ(stream->status(), 200);
  const std::string theirs = OpenCase(globex_);
  const std::string their_task = RequestApproval(globex_, "pc-globex");
  const std::string ours = OpenCase(acme_);
  ASSERT_TRUE(stream->WaitForChange(ours));
  for (const SseEvent& e : stream->Collect(300ms)) {
    EXPECT_EQ(e.data.find(theirs), std::string::npos) << e.data;
    EXPECT_EQ(e.data.find(their_task), std::string::npos) << e.data;
  }
  // And another tenant's user cannot open acme's stream at all.
  const std::string gus = SignIn(gus_);
  auto refused = Stream({gus});
  EXPECT_EQ(refused->status(), 404) << refused->head();
}

TEST_P(LiveEventsTest, PersonWithoutExceptionsReadGetsNoExceptionEvents) {
  auto pam = Stream({pam_cookie_});
  auto ana = Stream({ana_cookie_});
  ASSERT_EQ(pam->status(), 200);
  const std::string case_id = OpenCase(acme_);
  const std::string task_id = RequestApproval(acme_, "pc-2");
  ASSERT_TRUE(ana->WaitForChange(case_id)) << "the case did make an event";
  ASSERT_TRUE(pam->WaitForChange(task_id)) << "pam reads approvals";
  for (const SseEvent& e : pam->Collect(300ms)) {
    if (e.event != "change") continue;
    EXPECT_NE(Parse(e.data).at("topic").as_string(), "exception") << e.data;
    EXPECT_EQ(e.data.find(case_id), std::string::npos) << e.data;
  }
}

TEST_P(LiveEventsTest, LastEventIdResumesWithoutDuplicates) {
  std::string first_id;
  {
    auto stream = Stream({ana_cookie_});
    const std::string a = OpenCase(acme_);
    std::optional<SseEvent> e = stream->WaitForChange(a);
    ASSERT_TRUE(e);
    first_id = e->id;
  }  // disconnected
  const std::string b = OpenCase(acme_);
  const std::string c = RequestApproval(acme_, "pc-3");

  auto resumed = Stream({ana_cookie_, "Last-Event-ID: " + first_id});
  ASSERT_EQ(resumed->status(), 200);
  ASSERT_TRUE(resumed->WaitForChange(b)) << "missed while away";
  ASSERT_TRUE(resumed->WaitForChange(c)) << "missed while away";
  const std::string d = OpenCase(acme_);
  ASSERT_TRUE(resumed->WaitForChange(d)) << "and then live again";
  std::map<std::string, int> seen;
  for (const SseEvent& e : resumed->Collect(300ms)) {
    if (e.event != "change") continue;
    EXPECT_GT(std::stoll(e.id), std::stoll(first_id)) << "nothing at or before Last-Event-ID";
    ++seen[std::string(Parse(e.data).at("subject_id").as_string())];
  }
  EXPECT_EQ(seen[b], 1);
  EXPECT_EQ(seen[c], 1);
  EXPECT_EQ(seen[d], 1);

  // The same resume through the query parameter (a client that reconnects by itself).
  auto by_param = std::make_unique<EventStreamClient>(
      server_->port(), "/api/v1/tenants/acme/events?last_event_id=" + first_id,
      std::vector<std::string>{ana_cookie_});
  ASSERT_TRUE(by_param->WaitForChange(b));
}

TEST_P(LiveEventsTest, ResumeFurtherBackThanTheReplayLimitAsksForAReload) {
  for (int i = 0; i < 25; ++i) OpenCase(acme_);  // more than max_replay (20) audit events
  auto stream = std::make_unique<EventStreamClient>(
      server_->port(), "/api/v1/tenants/acme/events",
      std::vector<std::string>{ana_cookie_, "Last-Event-ID: 1"});
  ASSERT_EQ(stream->status(), 200);
  std::optional<SseEvent> reset =
      stream->WaitFor([](const SseEvent& e) { return e.event == "reset"; });
  ASSERT_TRUE(reset) << "the client is told to re-read";
  EXPECT_GT(std::stoll(reset->id), 25) << "and resumes from the present";
  for (const SseEvent& e : stream->Collect(300ms)) EXPECT_NE(e.event, "change") << e.data;
  // A malformed Last-Event-ID is a 400 naming it.
  auto bad = std::make_unique<EventStreamClient>(
      server_->port(), "/api/v1/tenants/acme/events",
      std::vector<std::string>{ana_cookie_, "Last-Event-ID: x1"});
  EXPECT_EQ(bad->status(), 400);
  bad->WaitClosed(2s);
  EXPECT_NE(bad->body().find("Last-Event-ID"), std::string::npos) << bad->body();
}

TEST_P(LiveEventsTest, NoCredentialsGets401) {
  auto stream = Stream({});
  EXPECT_EQ(stream->status(), 401) << stream->head();
  stream->WaitClosed(2s);
  EXPECT_NE(stream->head().find("application/problem+json"), std::string::npos);
  auto unknown = Stream({"Cookie: session=" + std::string(64, '0')});
  EXPECT_EQ(unknown->status(), 401);
}

TEST_P(LiveEventsTest, StreamOutlivesTheHandlerTimeoutAndSendsHeartbeats) {
  auto stream = Stream({ana_cookie_});
  ASSERT_EQ(stream->status(), 200);
  stream->Collect(1000ms);  // > 3 handler timeouts and > 3 heartbeats
  EXPECT_FALSE(stream->WaitClosed(0ms));
  EXPECT_GE(stream->comments(), 2) << "heartbeat comments while quiet";
  const std::string late = OpenCase(acme_);
  EXPECT_TRUE(stream->WaitForChange(late));
}

TEST_P(LiveEventsTest, SigningOutEverywhereClosesTheStreamWithinAHeartbeat) {
  auto stream = Stream({ana_cookie_});
  ASSERT_EQ(stream->status(), 200);
  TestResponse out = Fetch(server_->port(), "DELETE", "/api/v1/sessions",
                           {ana_cookie_, "X-CSRF-Token: " + csrf_[ana_]});
  ASSERT_TRUE(out.status == 200 || out.status == 204) << out.status << " " << out.body;
  std::optional<SseEvent> closed =
      stream->WaitFor([](const SseEvent& e) { return e.event == "closed"; }, 3s);
  ASSERT_TRUE(closed) << "the stream says why it ends";
  EXPECT_NE(closed->data.find("signed out"), std::string::npos) << closed->data;
  EXPECT_TRUE(stream->WaitClosed(3s));
  // Reconnecting with the ended session is refused.
  EXPECT_EQ(Stream({ana_cookie_})->status(), 401);
}

TEST_P(LiveEventsTest, DisablingTheUserClosesTheirTokensStream) {
  auto stream = Stream({"Authorization: Bearer " + ana_token_});
  ASSERT_EQ(stream->status(), 200);
  const std::string case_id = OpenCase(acme_);
  ASSERT_TRUE(stream->WaitForChange(case_id)) << "a token streams like a session";
  InTxn([&](store::Txn& txn) {
    return gov::SetUserDisabled(txn, gov::PartnerScope::ForSystem("test"), ana_, true);
  });
  EXPECT_TRUE(stream->WaitClosed(3s));
}

TEST_P(LiveEventsTest, TooManyStreamsOfOnePersonIs429) {
  auto one = Stream({ana_cookie_});
  auto two = Stream({"Authorization: Bearer " + ana_token_});  // the same person
  ASSERT_EQ(one->status(), 200);
  ASSERT_EQ(two->status(), 200);
  auto three = Stream({ana_cookie_});
  EXPECT_EQ(three->status(), 429) << three->head();
  three->WaitClosed(2s);
  EXPECT_NE(three->head().find("Retry-After:"), std::string::npos);
  EXPECT_NE(three->body().find("too-many-streams"), std::string::npos) << three->body();
  // Others are not affected, and a closed stream frees its place.
  EXPECT_EQ(Stream({pam_cookie_})->status(), 200);
  one.reset();
  std::unique_ptr<EventStreamClient> again;
  for (int i = 0; i < 50; ++i) {
    again = Stream({ana_cookie_});
    if (again->status() == 200) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(again->status(), 200);
}

TEST_P(LiveEventsTest, TooManyStreamsOnTheServerIs429) {
  api::v1::ConsoleOptions options;
  options.api.live.max_streams = 1;
  auto router = std::make_shared<api::Router>();
  auto handler = api::v1::MountConsole(router, *store_, clock_, options);
  ASSERT_TRUE(handler.ok()) << handler.status().ToString();
  auto server = api::HttpServer::Start({}, *handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string target = "/api/v1/tenants/acme/events";
  auto one = std::make_unique<EventStreamClient>((*server)->port(), target,
                                                 std::vector<std::string>{ana_cookie_});
  ASSERT_EQ(one->status(), 200);
  auto other = std::make_unique<EventStreamClient>((*server)->port(), target,
                                                   std::vector<std::string>{pam_cookie_});
  EXPECT_EQ(other->status(), 429) << "another person, but the server is full";
  other->WaitClosed(2s);
  EXPECT_NE(other->body().find("too-many-streams"), std::string::npos) << other->body();
  (*server)->Stop(std::chrono::seconds(2));
}

TEST_P(LiveEventsTest, ServerStopEndsOpenStreams) {
  auto stream = Stream({ana_cookie_});
  ASSERT_EQ(stream->status(), 200);
  EXPECT_TRUE(server_->Stop(std::chrono::seconds(2))) << "streams do not hold the stop up";
  EXPECT_TRUE(stream->WaitClosed(2s));
}

TEST_P(LiveEventsTest, ChangeCommittedByAnotherNodeArrives) {
  // Another govflow node (or a CLI process) on the same store: the feed reads the store, not
  // this process's memory.
  std::unique_ptr<store::Store> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  auto stream = Stream({pam_cookie_});
  ASSERT_EQ(stream->status(), 200);
  const std::string task_id = RequestApproval(acme_, "pc-other-node", other.get());
  ASSERT_FALSE(task_id.empty());
  EXPECT_TRUE(stream->WaitForChange(task_id));
}

TEST_P(LiveEventsTest, ANewRoleAddsItsTopicsWithinAHeartbeat) {
  auto pam = Stream({pam_cookie_});
  ASSERT_EQ(pam->status(), 200);
  InTxn([&](store::Txn& txn) {
    return gov::GrantTenantRole(txn, gov::TenantScope::ForSystem(acme_, "test"), pam_, "operator");
  });
  pam->Collect(700ms);  // > 2 heartbeats: the stream's permissions are read again
  const std::string case_id = OpenCase(acme_);
  EXPECT_TRUE(pam->WaitForChange(case_id)) << "pam now reads exceptions";
}

TEST_P(LiveEventsTest, LosingEveryRoleOnTheTenantClosesTheStream) {
  auto pam = Stream({pam_cookie_});
  ASSERT_EQ(pam->status(), 200);
  InTxn([&](store::Txn& txn) {
    return gov::RevokeTenantRole(txn, gov::TenantScope::ForSystem(acme_, "test"), pam_,
                                 "pricing_manager");
  });
  std::optional<SseEvent> closed =
      pam->WaitFor([](const SseEvent& e) { return e.event == "closed"; }, 3s);
  ASSERT_TRUE(closed);
  EXPECT_NE(closed->data.find("access"), std::string::npos) << closed->data;
  EXPECT_TRUE(pam->WaitClosed(3s));
}

// Regression: a stream keeps its HTTP server's state alive, so once the server is destroyed the
// feed's release of the last stream destroys the Api (and the feed) on the feed's own thread.
// That used to join the thread from itself (std::terminate).
TEST_P(LiveEventsTest, DestroyingTheServerWithStreamsOpenEndsCleanly) {
  // A server whose feed polls rarely, so that the server is gone before the feed notices that
  // its streams ended: the feed then holds the last references.
  api::v1::ConsoleOptions options;
  options.api.live.poll_interval = 1500ms;
  auto router = std::make_shared<api::Router>();
  auto handler = api::v1::MountConsole(router, *store_, clock_, options);
  ASSERT_TRUE(handler.ok()) << handler.status().ToString();
  auto server = api::HttpServer::Start({}, *handler);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  *handler = nullptr;  // the server holds the only handler (and with it the Api)
  auto one = std::make_unique<EventStreamClient>(
      (*server)->port(), "/api/v1/tenants/acme/events", std::vector<std::string>{ana_cookie_});
  ASSERT_TRUE(one->WaitFor([](const SseEvent& e) { return e.event == "ready"; }));
  EXPECT_TRUE((*server)->Stop(std::chrono::seconds(2)));
  server->reset();
  EXPECT_TRUE(one->WaitClosed(1s));
  std::this_thread::sleep_for(2500ms);  // the feed's next poll releases the stream
}

TEST_P(LiveEventsTest, JsonPageForClientsThatPoll) {
  TestResponse start =
      Fetch(server_->port(), "GET", "/api/v1/tenants/acme/events", {pam_cookie_});
  ASSERT_EQ(start.status, 200) << start.body;
  EXPECT_TRUE(Parse(start.body).at("items").as_array().empty()) << "no `after`: the present";
  const int64_t from = Parse(start.body).at("last_event_id").as_int64();

  const std::string case_id = OpenCase(acme_);
  const std::string task_id = RequestApproval(acme_, "pc-4");
  TestResponse page = Fetch(server_->port(), "GET",
                            "/api/v1/tenants/acme/events?after=" + std::to_string(from),
                            {pam_cookie_});
  ASSERT_EQ(page.status, 200) << page.body;
  json::value v = Parse(page.body);
  const json::array& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << "pam sees the approval, not the case: " << page.body;
  EXPECT_EQ(items[0].at("subject_id").as_string(), task_id);
  EXPECT_GT(v.at("last_event_id").as_int64(), from);

  TestResponse bad =
      Fetch(server_->port(), "GET", "/api/v1/tenants/acme/events?after=-3", {pam_cookie_});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"after\""), std::string::npos) << bad.body;
  (void)case_id;
}

GOVFLOW_INSTANTIATE_ON_BOTH_STORES(LiveEventsTest);

TEST(LiveTopics, ActionsMapToTopicsAndTheirReadPermissions) {
  using api::v1::LiveTopicOf;
  using api::v1::LiveTopicPermission;
  EXPECT_EQ(LiveTopicOf("exception.open"), "exception");
  EXPECT_EQ(LiveTopicOf("approval.approve"), "approval");
  EXPECT_EQ(LiveTopicOf("price_change.release"), "price_change");
  EXPECT_EQ(LiveTopicOf("run.failed"), "run");
  EXPECT_EQ(LiveTopicOf("document.publish"), "document");
  for (std::string_view quiet : {"session.start", "user.lock", "retention.purge", "audit.purge",
                                 "exceptions.open", "exception", ""}) {
    EXPECT_EQ(LiveTopicOf(quiet), "") << quiet;
  }
  EXPECT_EQ(LiveTopicPermission("exception"), gov::perm::kExceptionsRead);
  EXPECT_EQ(LiveTopicPermission("approval"), gov::perm::kApprovalsRead);
  EXPECT_EQ(LiveTopicPermission("price_change"), gov::perm::kApprovalsRead);
  EXPECT_EQ(LiveTopicPermission("run"), gov::perm::kRunsRead);
  EXPECT_EQ(LiveTopicPermission("document"), gov::perm::kDocumentsRead);
  EXPECT_EQ(LiveTopicPermission("session"), "");
}

}  // namespace
}  // namespace govflow::testing
