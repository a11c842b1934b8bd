#include "api/v1/live_events.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <iostream>

#include "api/problem.h"
#include "api/v1/route_support.h"
#include "base/canonical_json.h"
#include "governance/audit.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::TenantScope;

namespace {

// Audit events read per feed per query. A feed that reads a full batch polls again at once.
constexpr int kBatch = 256;

struct TopicRow {
  std::string_view topic;
  std::string_view permission;
};

// The actions' first segment is the topic (see the actions written across src/governance and
// src/workflow/runtime: exception.open, approval.request, run.started, price_change.release,
// document.publish, ...). Everything else in the trail (session.*, user.*, retention.*, audit.*,
// team and role changes) is not a live event.
constexpr TopicRow kTopics[] = {
    {"exception", governance::perm::kExceptionsRead},
    {"approval", governance::perm::kApprovalsRead},
    {"price_change", governance::perm::kApprovalsRead},
    {"run", governance::perm::kRunsRead},
    {"document", governance::perm::kDocumentsRead},
};

}  // namespace

std::string_view LiveTopicOf(std::string_view action) {
  const size_t dot = action.find('.');
  if (dot == std::string_view::npos) return {};
  const std::string_view head = action.substr(0, dot);
  for (const TopicRow& row : kTopics) {
    if (row.topic == head) return row.topic;
  }
  return {};
}

std::string_view LiveTopicPermission(std::string_view topic) {
  for (const TopicRow& row : kTopics) {
    if (row.topic == topic) return row.permission;
  }
  return {};
}

std::string LiveChangeJson(const LiveChange& change) {
  json::object o;
  o["topic"] = change.topic;
  o["action"] = change.action;
  o["subject_id"] = change.subject_id;
  o["at"] = FormatTime(change.at);
  return json::serialize(o);
}

struct LiveEvents::Stream {
  Stream(governance::Principal p, TenantScope s, std::string token,
         std::shared_ptr<ResponseStream> o, int64_t c)
      : principal(std::move(p)),
        scope(std::move(s)),
        session_token(std::move(token)),
        out(std::move(o)),
        cursor(c) {}

  const governance::Principal principal;
  TenantScope scope;  // GUARDED_BY(mu_): refreshed by every heartbeat's re-check
  const std::string session_token;
  const std::shared_ptr<ResponseStream> out;
  // The last audit sequence number this stream was given or skipped. GUARDED_BY(mu_).
  int64_t cursor;
};

struct LiveEvents::TenantFeed {
  std::vector<std::shared_ptr<Stream>> streams;
};

LiveEvents::LiveEvents(store::Store& store, governance::AccessControl& access, const Clock& clock,
                       SessionLimits session_limits, LiveEventsOptions options)
    : store_(store),
      access_(access),
      clock_(clock),
      session_limits_(session_limits),
      options_(options) {}

LiveEvents::~LiveEvents() {
  Stop();
}

int LiveEvents::open_streams() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [tenant, feed] : feeds_) n += static_cast<int>(feed->streams.size());
  return n;
}

Result<int64_t> LiveEvents::Head(const TenantId& tenant) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(std::optional<governance::AuditChainHead> head,
                           governance::GetAuditChainHead(txn, tenant));
  return head ? head->seq : 0;
}

Result<LiveEvents::Batch> LiveEvents::ReadAfter(const TenantId& tenant, int64_t after,
                                                int limit) {
  // A system scope: the feed reads the tenant's trail on behalf of all its streams, and what
  // leaves it (topic, action, subject id, time) is filtered per stream by the stream's own read
  // permissions, never by audit.read.
  const TenantScope system = TenantScope::ForSystem(tenant, "live_events");
  governance::AuditQuery query;
  query.after_seq = after;
  query.limit = limit;
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<governance::AuditEvent> events,
                           governance::ListAuditEvents(txn, system, query));
  Batch out;
  out.last_seq = after;
  out.full = static_cast<int>(events.size()) == limit;
  for (governance::AuditEvent& e : events) {
    out.last_seq = std::max(out.last_seq, e.seq);
    const std::string_view topic = LiveTopicOf(e.record.action);
    if (topic.empty()) continue;
    out.changes.push_back({e.seq, std::string(topic), std::move(e.record.action),
                           std::move(e.record.object_id), e.at});
  }
  return out;
}

Result<LiveChangePage> LiveEvents::Read(const TenantScope& scope, std::optional<int64_t> after,
                                        int limit) {
  LiveChangePage page;
  if (!after) {
    GOVFLOW_ASSIGN_OR_RETURN(page.last_event_id, Head(scope.tenant()));
    return page;
  }
  GOVFLOW_ASSIGN_OR_RETURN(Batch batch, ReadAfter(scope.tenant(), *after, limit));
  page.last_event_id = batch.last_seq;
  for (LiveChange& c : batch.changes) {
    if (scope.Has(LiveTopicPermission(c.topic))) page.items.push_back(std::move(c));
  }
  return page;
}

std::optional<HttpResponse> LiveEvents::Serve(Caller caller, const Responder& responder) {
  const std::string user = caller.principal.user_id;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return Problem(503).Detail("the server is stopping").ToResponse().WithHeader("Retry-After",
                                                                                    "5");
    }
    const bool per_user = streams_per_user_[user] >= options_.max_streams_per_user;
    if (per_user || streams_ >= options_.max_streams) {
      if (streams_per_user_[user] == 0) streams_per_user_.erase(user);
      return Problem(429)
          .Type("urn:govflow:problem:too-many-streams")
          .Detail(per_user ? "you have " + std::to_string(options_.max_streams_per_user) +
                                 " live event streams open already: close a console tab or "
                                 "window, or reuse one stream per tenant"
                           : "the server serves as many live event streams as it may")
          .ToResponse()
          .WithHeader("Retry-After", "30");
    }
    // Counted from here, so that concurrent requests cannot overshoot the limits.
    ++streams_per_user_[user];
    ++streams_;
  }
  auto release = [&] {
    std::lock_guard lock(mu_);
    --streams_;
    if (--streams_per_user_[user] <= 0) streams_per_user_.erase(user);
  };

  Result<int64_t> head = Head(caller.scope.tenant());
  if (!head.ok()) {
    release();
    return FromStatus(head.status());
  }
  int64_t cursor = *head;
  bool reset = false;
  if (caller.last_event_id) {
    const int64_t id = *caller.last_event_id;
    if (id <= *head && *head - id <= options_.max_replay) {
      cursor = id;
    } else {
      reset = true;  // too far back, or from another store: what the client shows is stale
    }
  }

  HttpResponse head_response;
  head_response.status = 200;
  head_response.headers.Set("Content-Type", "text/event-stream");
  head_response.headers.Set("Cache-Control", "no-store");
  head_response.headers.Set("X-Accel-Buffering", "no");  // proxies must not hold events back
  std::shared_ptr<ResponseStream> out = responder.Stream(std::move(head_response));
  if (out == nullptr) {
    release();
    return Problem(500).Detail("this request cannot be answered with a stream").ToResponse();
  }
  // `ready` carries the present position as its id, so that a client that reconnects before
  // any change arrives resumes from here instead of missing what happened in between.
  std::string hello = "retry: " + std::to_string(options_.client_retry.count()) + "\n\n";
  const std::string position = json::serialize(json::object{{"last_event_id", cursor}});
  if (reset) {
    hello += ServerSentEvent(
        "reset",
        json::serialize(json::object{
            {"reason", "changes since the given Last-Event-ID are no longer replayed: re-read"},
            {"last_event_id", cursor}}),
        std::to_string(cursor));
  }
  hello += ServerSentEvent("ready", position, std::to_string(cursor));
  out->Write(std::move(hello));

  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      out->Close();
      --streams_;
      if (--streams_per_user_[user] <= 0) streams_per_user_.erase(user);
      return std::nullopt;
    }
    std::unique_ptr<TenantFeed>& feed = feeds_[caller.scope.tenant()];
    if (feed == nullptr) feed = std::make_unique<TenantFeed>();
    feed->streams.push_back(std::make_shared<Stream>(std::move(caller.principal),
                                                     std::move(caller.scope),
                                                     std::move(caller.session_token), out, cursor));
    if (!pump_.joinable()) pump_ = std::thread([this] { Pump(); });
  }
  wake_.notify_all();  // a resuming stream gets its replay at once
  return std::nullopt;
}

void LiveEvents::Drop(const std::shared_ptr<Stream>& stream, std::string_view reason) {
  if (!reason.empty()) {
    stream->out->Write(
        ServerSentEvent("closed", json::serialize(json::object{{"reason", reason}})));
  }
  stream->out->Close();
  auto it = feeds_.find(stream->scope.tenant());
  if (it == feeds_.end()) return;
  std::vector<std::shared_ptr<Stream>>& streams = it->second->streams;
  const auto pos = std::find(streams.begin(), streams.end(), stream);
  if (pos == streams.end()) return;
  streams.erase(pos);
  --streams_;
  const std::string& user = stream->principal.user_id;
  if (--streams_per_user_[user] <= 0) streams_per_user_.erase(user);
  if (streams.empty()) feeds_.erase(it);
}

bool LiveEvents::PollFeeds(std::vector<std::shared_ptr<Stream>>& garbage) {
  // Under the lock: forget closed streams, and note where each feed must read from (its
  // slowest stream; normally all streams of a tenant share one position, so ONE query per tenant).
  std::vector<std::pair<TenantId, int64_t>> work;
  {
    std::lock_guard lock(mu_);
    const size_t first = garbage.size();
    for (const auto& [tenant, feed] : feeds_) {
      for (const auto& s : feed->streams) {
        if (!s->out->open()) garbage.push_back(s);
      }
    }
    for (size_t i = first; i < garbage.size(); ++i) Drop(garbage[i], {});
    for (const auto& [tenant, feed] : feeds_) {
      int64_t lo = feed->streams.front()->cursor;
      for (const auto& s : feed->streams) lo = std::min(lo, s->cursor);
      work.emplace_back(tenant, lo);
    }
  }
  bool more = false;
  for (const auto& [tenant, from] : work) {
    // Audit sequence numbers of a tenant become visible in order (each append holds the chain
    // head's row until it commits), so reading "after the last seen" never skips an event.
    Result<Batch> batch = ReadAfter(tenant, from, kBatch);
    if (!batch.ok()) {
      std::cerr << "govflow live events: reading " << tenant.value()
                << "'s audit trail failed: " << batch.status().message() << "\n";
      continue;
    }
    more = more || batch->full;
    const int64_t last = batch->last_seq;
    std::lock_guard lock(mu_);
    auto it = feeds_.find(tenant);
    if (it == feeds_.end()) continue;
    const size_t first = garbage.size();
    for (const auto& s : it->second->streams) {
      // A stream that joined after the snapshot further back than `from` waits for the next
      // poll, which reads from its position: it must not skip the events before `from`.
      if (s->cursor < from) continue;
      std::string text;
      for (const LiveChange& c : batch->changes) {
        if (c.seq <= s->cursor || !s->scope.Has(LiveTopicPermission(c.topic))) continue;
        text += ServerSentEvent("change", LiveChangeJson(c), std::to_string(c.seq));
      }
      s->cursor = std::max(s->cursor, last);
      if (!text.empty() && !s->out->Write(std::move(text))) garbage.push_back(s);
    }
    for (size_t i = first; i < garbage.size(); ++i) Drop(garbage[i], {});
  }
  return more;
}

Status LiveEvents::SessionLive(const std::string& token) {
  const int64_t now = clock_.Now().time_since_epoch().count();
  bool live = false;
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(
      store::sql::Rows rows,
      txn.sql().Query("SELECT expires_at, last_seen_at FROM api_sessions WHERE token_hash = ?",
                      {Sha256Hex(token)}));
  if (!rows.empty()) {
    live = rows[0].Int(0) > now && rows[0].Int(1) + session_limits_.idle.count() > now;
  }
  if (!live) return Status(StatusCode::kUnauthenticated, "the session has ended");
  return Status::Ok();
}

void LiveEvents::Recheck(std::vector<std::shared_ptr<Stream>>& garbage) {
  const size_t first = garbage.size();
  {
    std::lock_guard lock(mu_);
    for (const auto& [tenant, feed] : feeds_) {
      garbage.insert(garbage.end(), feed->streams.begin(), feed->streams.end());
    }
  }
  for (size_t i = first; i < garbage.size(); ++i) {
    const std::shared_ptr<Stream>& s = garbage[i];
    // Only const members are read outside the lock; the scope's tenant never changes.
    Status session = s->session_token.empty() ? Status::Ok() : SessionLive(s->session_token);
    Result<TenantScope> scope = session.ok() ? access_.Authorize(s->principal, s->scope.tenant(),
                                                                 governance::perm::kTenantsRead)
                                             : Result<TenantScope>(session);
    std::lock_guard lock(mu_);
    if (!scope.ok()) {
      if (scope.status().code() == StatusCode::kUnavailable ||
          scope.status().code() == StatusCode::kInternal) {
        continue;  // the store hiccuped: keep the stream, check again next heartbeat
      }
      Drop(s, scope.status().code() == StatusCode::kUnauthenticated
                  ? "signed out: sign in again"
                  : "access to this tenant has changed: reload");
      continue;
    }
    s->scope = std::move(*scope);
    // A heartbeat comment keeps proxies from closing a quiet stream; its id moves the client's
    // resume point past events it was not shown.
    if (!s->out->Write(": heartbeat\nid: " + std::to_string(s->cursor) + "\n\n")) Drop(s, {});
  }
}

void LiveEvents::Pump() {
  using SteadyClock = std::chrono::steady_clock;
  const std::shared_ptr<std::atomic<bool>> alive = alive_;
  SteadyClock::time_point next_heartbeat = SteadyClock::now() + options_.heartbeat_interval;
  bool more = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (!more) wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_; });
      if (stopping_) return;
    }
    // Every stream reference this thread lets go of is collected here and released at one
    // point, outside the lock: a stream holds its HTTP server's state, and when the server is
    // gone, releasing the last stream destroys the server's handler and the Api, and with it
    // this object (Stop on this thread detaches it). Nothing of `this` is touched after that.
    std::vector<std::shared_ptr<Stream>> garbage;
    more = PollFeeds(garbage);
    if (SteadyClock::now() >= next_heartbeat) {
      Recheck(garbage);
      next_heartbeat = SteadyClock::now() + options_.heartbeat_interval;
    }
    garbage.clear();
    if (!alive->load()) return;
  }
}

void LiveEvents::Stop() {
  std::vector<std::shared_ptr<Stream>> all;  // released last, outside the lock (see Pump)
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !pump_.joinable()) return;
    stopping_ = true;
  }
  alive_->store(false);
  wake_.notify_all();
  if (pump_.joinable()) {
    if (pump_.get_id() == std::this_thread::get_id()) {
      pump_.detach();  // the pump released the last stream of a stopped server: it returns next
    } else {
      pump_.join();
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& [tenant, feed] : feeds_) {
    all.insert(all.end(), feed->streams.begin(), feed->streams.end());
  }
  for (const auto& s : all) Drop(s, "the server is stopping: reconnect in a moment");
}

}  // namespace govflow::api::v1
