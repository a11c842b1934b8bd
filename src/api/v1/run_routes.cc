// Runs: a searchable, keyset-paged list (state, workflow, creation time, business key) and one
// run with its step timeline (transitions and attempts with times, durations, outcomes, error
// classes and the stored request/response summaries), its input and context, its external
// calls, and links to its exception cases and audit events. Payloads that retention purged or
// redacted are reported as such ("purged by retention on ...") instead of being shown.
#include <charconv>
#include <map>

#include "api/v1/route_support.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

// Longest JSON text a summary shows before it is cut ("…" marks the cut).
constexpr size_t kSummaryChars = 240;

// The retention marker a purged or redacted body was replaced by (governance/retention.h):
// {"action":"purged"|"redacted","at":"<RFC 3339>","rule":..,"sha256":..,"size":..}, or null when
// `text` is a body as stored.
json::value RetentionOf(std::string_view text) {
  if (!text.starts_with("{\"govflow_")) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object() || v.as_object().size() != 1) return nullptr;
  for (std::string_view action : {"purged", "redacted"}) {
    const json::value* inner = v.as_object().if_contains("govflow_" + std::string(action));
    if (inner == nullptr || !inner->is_object()) continue;
    json::object out{{"action", action}};
    const json::object& m = inner->as_object();
    if (const json::value* at = m.if_contains("at"); at && at->is_int64()) {
      out["at"] = FormatTime(TimePoint(std::chrono::microseconds(at->as_int64())));
    }
    for (std::string_view k : {"rule", "sha256", "size"}) {
      if (const json::value* f = m.if_contains(k)) out[k] = *f;
    }
    return out;
  }
  return nullptr;
}

// "purged by retention on 2026-11-28" for a retention marker.
std::string RetentionNote(const json::value& retention) {
  const json::object& r = retention.as_object();
  std::string at = r.contains("at") ? std::string(r.at("at").as_string()).substr(0, 10) : "?";
  return std::string(r.at("action").as_string()) + " by retention on " + at;
}

// A one-line summary of a stored JSON body: its text cut at kSummaryChars, or the retention note.
std::string Summary(std::string_view text) {
  if (text.empty()) return {};
  json::value retention = RetentionOf(text);
  if (!retention.is_null()) return RetentionNote(retention);
  if (text.size() <= kSummaryChars) return std::string(text);
  size_t cut = kSummaryChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return std::string(text.substr(0, cut)) + "\u2026";
}

std::string SummaryOf(const json::value& v) {
  return Summary(json::serialize(v));
}

// The business reference a person knows a run by: the input's order name, number or id ("" when
// the input has none or was purged).
std::string ReferenceOf(std::string_view input_json) {
  if (input_json.size() > 1'000'000 || input_json.starts_with("{\"govflow_")) return {};
  boost::system::error_code ec;
  json::value v = json::parse(input_json, ec);
  if (ec || !v.is_object()) return {};
  for (std::string_view field : store::kRunInputKeyFields) {
    if (field == "id") continue;  // a storefront's internal id is the last resort
    if (const json::value* m = v.as_object().if_contains(field)) {
      if (m->is_string() && !m->as_string().empty()) return std::string(m->as_string());
      if (m->is_int64()) return std::to_string(m->as_int64());
    }
  }
  if (const json::value* id = v.as_object().if_contains("id"); id && id->is_int64()) {
    return std::to_string(id->as_int64());
  }
  return {};
}

json::object RunJson(const store::Run& r) {
  return json::object{{"id", r.id.value()},
                      {"workflow", r.workflow_name},
                      {"workflow_version", r.workflow_version},
                      {"state", store::RunStateName(r.state)},
                      {"current_step", r.current_step},
                      {"reference", ReferenceOf(r.input_json)},
                      {"next_wake_at", OptionalTime(r.next_wake_at)},
                      {"created_at", FormatTime(r.created_at)},
                      {"updated_at", FormatTime(r.updated_at)}};
}

std::optional<store::RunState> ParseRunState(std::string_view text) {
  for (auto s :
       {store::RunState::kPending, store::RunState::kRunning, store::RunState::kWaiting,
        store::RunState::kSucceeded, store::RunState::kFailed, store::RunState::kCancelled}) {
    if (store::RunStateName(s) == text) return s;
  }
  return std::nullopt;
}

// A page cursor: "<created_at microseconds>:<run id>" of the previous page's last run.
std::string EncodeCursor(const store::Run& r) {
  return std::to_string(r.created_at.time_since_epoch().count()) + ":" + r.id.value();
}
std::optional<store::RunSearch::Position> DecodeCursor(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  int64_t us = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + colon, us);
  if (ec != std::errc() || ptr != text.data() + colon || us < 0) return std::nullopt;
  return store::RunSearch::Position{TimePoint(std::chrono::microseconds(us)),
                                    RunId(std::string(text.substr(colon + 1)))};
}

HttpResponse ListRuns(Services& s, const Context& ctx) {
  Result<int> limit = ParseLimit(ctx.request, 50, 500);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  store::RunSearch search;
  search.limit = *limit;
  if (auto text = ctx.request.QueryParam("state"); text && !text->empty()) {
    search.state = ParseRunState(*text);
    if (!search.state) {
      return FieldProblem("state",
                          "one of pending, running, waiting, succeeded, failed, cancelled");
    }
  }
  if (auto v = ctx.request.QueryParam("workflow")) search.workflow = std::string(*v);
  for (std::string_view name : {std::string_view("created_from"), std::string_view("created_to")}) {
    if (auto v = ctx.request.QueryParam(name); v && !v->empty()) {
      std::optional<TimePoint> t = ParseTime(*v);
      if (!t) return FieldProblem(name, "an RFC 3339 UTC time (2026-11-28T05:43:36Z)");
      (name == "created_from" ? search.created_from : search.created_to) = *t;
    }
  }
  if (search.created_from && search.created_to && *search.created_to <= *search.created_from) {
    return FieldProblem("created_to", "must be later than created_from");
  }
  if (auto v = ctx.request.QueryParam("q"); v && !v->empty()) {
    if (v->size() > 200) return FieldProblem("q", "at most 200 characters");
    search.business_key = std::string(*v);
  }
  if (auto v = ctx.request.QueryParam("order"); v && !v->empty()) {
    if (*v != "newest" && *v != "oldest") return FieldProblem("order", "newest or oldest");
    search.oldest_first = *v == "oldest";
  }
  if (auto cursor = ctx.request.QueryParam("cursor"); cursor && !cursor->empty()) {
    search.after = DecodeCursor(*cursor);
    if (!search.after) return FieldProblem("cursor", "next_cursor of the previous page");
  }
  std::vector<store::Run> runs;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(runs, txn.SearchRuns(ctx.scope->tenant(), search));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const store::Run& r : runs) items.emplace_back(RunJson(r));
  const std::string next = static_cast<int>(runs.size()) == search.limit && !runs.empty()
                               ? EncodeCursor(runs.back())
                               : std::string();
  return JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

std::string MemberText(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_null()) return {};
  return json::serialize(*v);
}

int64_t Millis(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// The run's history as a timeline: one entry per history event, with what a person asks of it
// (outcome, error class, message, how long it took) lifted out of the event's payload. An
// attempt_result's duration is its call's (from the attempt that sent it); any other entry's is
// the time since the previous entry.
json::array Timeline(const std::vector<store::RunEvent>& events,
                     const std::map<std::string, const store::Effect*>& effect_by_step) {
  json::array out;
  std::map<std::pair<std::string, int64_t>, TimePoint> sent;  // (step, attempt) -> sent at
  std::optional<TimePoint> previous;
  for (const store::RunEvent& e : events) {
    boost::system::error_code ec;
    json::value payload = json::parse(e.payload_json, ec);
    if (ec || !payload.is_object()) payload = json::object();
    const json::object& p = payload.as_object();
    json::object entry{{"seq", e.seq},          {"at", FormatTime(e.at)}, {"kind", e.kind},
                       {"step", e.step},        {"attempt", e.attempt},   {"outcome", ""},
                       {"error_class", ""},     {"message", ""},          {"duration_ms", nullptr},
                       {"request_summary", ""}, {"response_summary", ""}};
    std::string outcome = MemberText(p, "outcome");
    if (outcome.empty()) outcome = MemberText(p, "to");
    if (e.kind == "attempt") outcome = "sent";
    entry["outcome"] = outcome;
    entry["error_class"] = MemberText(p, "error_class");
    std::string message = MemberText(p, "message");
    for (std::string_view k : {"detail", "reason", "exception"}) {
      if (message.empty()) message = MemberText(p, k);
    }
    if (e.kind == "attempt") message = "business key " + MemberText(p, "business_key");
    entry["message"] = message;
    const auto step_effect = effect_by_step.find(e.step);
    if (e.kind == "attempt") {
      sent[{e.step, e.attempt}] = e.at;
      if (step_effect != effect_by_step.end()) {
        entry["request_summary"] = Summary(step_effect->second->request_json);
      }
    } else if (e.kind == "attempt_result") {
      if (auto it = sent.find({e.step, e.attempt}); it != sent.end()) {
        entry["duration_ms"] = Millis(it->second, e.at);
      }
      if (const json::value* response = p.if_contains("response")) {
        entry["response_summary"] = SummaryOf(*response);
      } else {
        // The error detail is the response a failed attempt got: shown once, as its summary.
        entry["response_summary"] = Summary(MemberText(p, "detail"));
        if (message == MemberText(p, "detail")) entry["message"] = "";
      }
    }
    // What the entry refers to, for links: an approval task (approval steps) or an exception
    // case (retries, edits).
    entry["approval_id"] = e.kind == "approval" ? MemberText(p, "task") : std::string();
    entry["exception_id"] = MemberText(p, "exception");
    if (e.kind == "approval" && outcome.empty()) entry["outcome"] = MemberText(p, "state");
    if (entry["duration_ms"].is_null() && previous) entry["duration_ms"] = Millis(*previous, e.at);
    previous = e.at;
    entry["payload"] = std::move(payload);
    out.emplace_back(std::move(entry));
  }
  return out;
}

// A stored body for the detail: the parsed JSON, or null with `<name>_retention` set when
// retention purged or redacted it.
void PutBody(json::object& out, std::string_view name, std::string_view text) {
  json::value retention = RetentionOf(text);
  out[std::string(name) + "_retention"] = retention;
  if (!retention.is_null()) {
    out[name] = nullptr;
    out[std::string(name) + "_note"] = RetentionNote(retention);
  } else {
    out[name] = ParseOr(text.empty() ? "null" : text, json::value(std::string(text)));
  }
}

HttpResponse GetRun(Services& s, const Context& ctx) {
  const RunId id{std::string(ctx.request.Param("id"))};
  const TenantId& tenant = ctx.scope->tenant();
  std::optional<store::Run> run;
  std::vector<store::RunEvent> events;
  std::vector<store::Effect> effects;
  std::vector<store::ExceptionCase> cases;
  std::optional<store::Delivery> delivery;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(run, txn.GetRun(tenant, id));
    GOVFLOW_ASSIGN_OR_RETURN(events, txn.ListRunEvents(tenant, id));
    GOVFLOW_ASSIGN_OR_RETURN(effects, txn.ListEffectsForRun(tenant, id));
    GOVFLOW_ASSIGN_OR_RETURN(cases, txn.ListExceptionCasesForRun(tenant, id));
    if (run->delivery_id) {
      Result<store::Delivery> d = txn.GetDelivery(tenant, *run->delivery_id);
      if (d.ok()) {
        delivery = std::move(*d);
      } else if (d.status().code() != StatusCode::kNotFound) {
        return d.status();  // a purged delivery is simply not shown
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status, "id");
  json::object out = RunJson(*run);
  PutBody(out, "input", run->input_json);
  PutBody(out, "context", run->context_json);
  json::array history;
  for (const store::RunEvent& e : events) {
    history.emplace_back(json::object{{"seq", e.seq},
                                      {"kind", e.kind},
                                      {"step", e.step},
                                      {"attempt", e.attempt},
                                      {"payload", ParseOr(e.payload_json, json::object())},
                                      {"at", FormatTime(e.at)}});
  }
  out["history"] = std::move(history);
  std::map<std::string, const store::Effect*> effect_by_step;
  json::array calls;
  for (const store::Effect& e : effects) {
    effect_by_step[e.step] = &e;
    json::object call{{"step", e.step},
                      {"connection", e.connection.value()},
                      {"business_key", e.business_key},
                      {"state", store::EffectStateName(e.state)},
                      {"attempts", e.attempts},
                      {"error_class", e.error_class},
                      {"idempotency_key", e.idempotency_key},
                      {"request_summary", Summary(e.request_json)},
                      {"response_summary", Summary(e.response_json)},
                      {"created_at", FormatTime(e.created_at)},
                      {"updated_at", FormatTime(e.updated_at)}};
    PutBody(call, "request", e.request_json);
    PutBody(call, "response", e.response_json);
    calls.emplace_back(std::move(call));
  }
  out["timeline"] = Timeline(events, effect_by_step);
  out["calls"] = std::move(calls);
  json::array case_links;
  for (const store::ExceptionCase& c : cases) {
    case_links.emplace_back(json::object{{"id", c.id.value()},
                                         {"state", store::ExceptionStateName(c.state)},
                                         {"step", c.step},
                                         {"error_class", c.error_class},
                                         {"message", c.message},
                                         {"created_at", FormatTime(c.created_at)}});
  }
  out["exception_cases"] = std::move(case_links);
  out["delivery"] =
      delivery ? json::value(json::object{{"id", delivery->id.value()},
                                          {"connection", delivery->connection.value()},
                                          {"topic", delivery->topic},
                                          {"webhook_id", delivery->webhook_id},
                                          {"received_at", FormatTime(delivery->received_at)}})
               : json::value(nullptr);
  // The run's audit events: GET .../audit with these filters.
  out["audit"] = json::object{{"object_type", "run"}, {"object_id", run->id.value()}};
  return JsonResponse(200, out);
}

}  // namespace

std::span<const Route> RunRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/runs", Access::kTenant, governance::perm::kRunsRead,
        "runs, newest first, filtered and searched by business key, cursor-paged"},
       &ListRuns},
      {{"GET", "/api/v1/tenants/{tenant}/runs/{id}", Access::kTenant, governance::perm::kRunsRead,
        "one run with its input, context, step timeline, calls and links"},
       &GetRun},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
