// Live updates for the console: server-sent events of new exceptions, approvals, run states,
// price changes and documents (GET /api/v1/tenants/{tenant}/events). The store's audit trail is
// the change feed, so every govflow node sharing a PostgreSQL store sees every node's changes:
// ONE feed per tenant that has subscribers reads the audit events after its last seen sequence
// number every poll interval, maps their actions to topics and fans them out to the tenant's
// streams whose caller may read the topic. Events carry topic, action, subject id and time, never
// a payload. Thread-safe: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http_types.h"
#include "api/v1/api.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::api::v1 {

// The live topic of an audit action ("exception.open" -> "exception"), "" when the action is not
// a live event (session.*, user.*, retention.*, ...).
std::string_view LiveTopicOf(std::string_view action);
// The read permission a topic needs: exception -> exceptions.read, approval and price_change ->
// approvals.read, run -> runs.read, document -> documents.read; "" for an unknown topic.
std::string_view LiveTopicPermission(std::string_view topic);

// One change, as a stream event's data and the JSON list's items.
struct LiveChange {
  int64_t seq = 0;  // the tenant's audit sequence number: the SSE id
  std::string topic;
  std::string action;
  std::string subject_id;
  TimePoint at;
};
// {"topic":...,"action":...,"subject_id":...,"at":"RFC 3339"}
std::string LiveChangeJson(const LiveChange& change);

// A page of changes for clients that poll instead of streaming.
struct LiveChangePage {
  std::vector<LiveChange> items;  // those the scope may read, oldest first
  // The last audit sequence number examined: pass it as `after` next time. Never lower than the
  // `after` asked for.
  int64_t last_event_id = 0;
};

class LiveEvents {
 public:
  // `store`, `access` and `clock` must outlive this object. `session_limits` decide when a
  // session streaming events has gone idle (the stream itself does not count as activity).
  LiveEvents(store::Store& store, governance::AccessControl& access, const Clock& clock,
             SessionLimits session_limits, LiveEventsOptions options);
  ~LiveEvents();
  LiveEvents(const LiveEvents&) = delete;
  LiveEvents& operator=(const LiveEvents&) = delete;

  // Who opens a stream, as the route's check found them.
  struct Caller {
    governance::Principal principal;
    governance::TenantScope scope;  // the tenant; its permissions filter the topics
    std::string session_token;      // "" for bearer tokens
    // Resume after this audit sequence number (Last-Event-ID), else start at the present.
    std::optional<int64_t> last_event_id;
  };

  // Opens the event stream through `responder` and keeps it until the client goes away, the
  // caller's session ends or loses access (checked every heartbeat), or Stop(). Returns the
  // response to send instead when no stream was opened: 429 problem+json (with Retry-After) when
  // the caller or the server has too many streams open, 503 after Stop(), 500 when the
  // responder cannot stream. A resume further back than options.max_replay events starts at the
  // present with a `reset` event (the client must re-read what it shows).
  std::optional<HttpResponse> Serve(Caller caller, const Responder& responder);

  // The changes after `after` that `scope` may read, at most `limit` audit events examined;
  // without `after`, none and the present position (where to start polling from).
  Result<LiveChangePage> Read(const governance::TenantScope& scope, std::optional<int64_t> after,
                              int limit);

  // Ends every stream (after a last `closed` event) and the feed's thread. Idempotent; Serve
  // refuses new streams afterwards.
  void Stop();

  // Streams open now (gauge), for tests and metrics.
  int open_streams() const;

 private:
  struct Stream;
  struct TenantFeed;

  void Pump();
  // One poll of every feed; true when some feed read a full batch (more may be waiting).
  // Streams it lets go of are added to `garbage`, for the caller to release (see Pump).
  bool PollFeeds(std::vector<std::shared_ptr<Stream>>& garbage);
  // Re-checks every stream's session and access; closes those that lost them. As PollFeeds.
  void Recheck(std::vector<std::shared_ptr<Stream>>& garbage);
  // Ends `stream` with a `closed` event saying why and forgets it; the caller holds another
  // reference, so nothing is destroyed under the lock. REQUIRES(mu_).
  void Drop(const std::shared_ptr<Stream>& stream, std::string_view reason);
  // Up to `limit` audit events after `after`: the live ones, the last sequence number read
  // (`after` when none), and whether the limit was reached (more may be waiting).
  struct Batch {
    std::vector<LiveChange> changes;
    int64_t last_seq = 0;
    bool full = false;
  };
  Result<Batch> ReadAfter(const TenantId& tenant, int64_t after, int limit);
  Result<int64_t> Head(const TenantId& tenant);
  // OK while the session token is live (read only: streaming does not refresh the idle timer).
  Status SessionLive(const std::string& token);

  store::Store& store_;
  governance::AccessControl& access_;
  const Clock& clock_;
  const SessionLimits session_limits_;
  const LiveEventsOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                                  // GUARDED_BY(mu_)
  std::map<TenantId, std::unique_ptr<TenantFeed>> feeds_;  // GUARDED_BY(mu_)
  std::map<std::string, int> streams_per_user_;            // GUARDED_BY(mu_); incl. opening
  int streams_ = 0;                                        // GUARDED_BY(mu_); incl. opening
  std::thread pump_;                                       // started with the first stream
  // False once Stop() has begun; the pump keeps its own reference (it may outlive this object).
  const std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace govflow::api::v1
