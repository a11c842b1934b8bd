// Live updates: server-sent events of new exceptions, approvals, run states, price changes and
// documents (live_events.h), or the same changes as a JSON page for clients that poll.
#include <charconv>

#include "api/v1/live_events.h"
#include "api/v1/route_support.h"

namespace govflow::api::v1 {

namespace json = boost::json;

namespace {

// A non-negative audit sequence number, or nullopt when `text` is not one.
std::optional<int64_t> ParseSeq(std::string_view text) {
  int64_t v = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (err != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

bool WantsEventStream(const HttpRequest& request) {
  for (std::string_view accept : request.headers.GetAll("Accept")) {
    if (accept.find("text/event-stream") != std::string_view::npos) return true;
  }
  return false;
}

// GET /api/v1/tenants/{tenant}/events. With `Accept: text/event-stream` (what EventSource
// sends): the stream, resumed after Last-Event-ID (header, or the last_event_id parameter for a
// client that reconnects by itself). Otherwise: the changes after `after` as JSON.
HttpResponse Events(Services& s, const Context& ctx) {
  if (s.events == nullptr) {
    return Problem(503).Detail("live updates are not available on this server").ToResponse();
  }
  const HttpRequest& request = ctx.request;
  if (WantsEventStream(request)) {
    std::optional<int64_t> last;
    std::string_view field = "Last-Event-ID";
    std::optional<std::string_view> text = request.Header(field);
    if (!text) {
      field = "last_event_id";
      text = request.QueryParam(field);
    }
    if (text && !text->empty()) {
      last = ParseSeq(*text);
      if (!last) {
        return Problem(400)
            .Detail("resume from an event id this stream sent")
            .InvalidParam(std::string(field), "must be a non-negative integer")
            .ToResponse();
      }
    }
    std::optional<HttpResponse> refused = s.events->Serve(
        LiveEvents::Caller{*ctx.principal, *ctx.scope, ctx.session_token, last}, *ctx.responder);
    // Streaming: the stream has answered, and whatever is returned here is ignored.
    return refused ? std::move(*refused) : HttpResponse::Empty(200);
  }

  std::optional<int64_t> after;
  if (std::optional<std::string_view> text = request.QueryParam("after")) {
    after = ParseSeq(*text);
    if (!after) {
      return Problem(400)
          .Detail("`after` is the last_event_id of the previous answer")
          .InvalidParam("after", "must be a non-negative integer")
          .ToResponse();
    }
  }
  Result<int> limit = ParseLimit(request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  Result<LiveChangePage> page = s.events->Read(*ctx.scope, after, *limit);
  if (!page.ok()) return FromStatus(page.status());
  json::array items;
  for (const LiveChange& c : page->items) {
    items.push_back(json::object{{"id", c.seq},
                                 {"topic", c.topic},
                                 {"action", c.action},
                                 {"subject_id", c.subject_id},
                                 {"at", FormatTime(c.at)}});
  }
  return JsonResponse(
      200, json::object{{"items", std::move(items)}, {"last_event_id", page->last_event_id}});
}

}  // namespace

std::span<const Route> EventRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/events", Access::kTenant, governance::perm::kTenantsRead,
        "live changes: server-sent events (Accept: text/event-stream), else a JSON page"},
       &Events},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
