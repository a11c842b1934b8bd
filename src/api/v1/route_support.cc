#include "api/v1/route_support.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace govflow::api::v1 {

namespace json = boost::json;

HttpResponse JsonResponse(int status, const json::value& v) {
  return HttpResponse::Json(status, json::serialize(v)).WithHeader("Cache-Control", "no-store");
}

HttpResponse Unauthenticated(std::string detail) {
  return Problem(401)
      .Type("urn:govflow:problem:unauthenticated")
      .Detail(std::move(detail))
      .ToResponse()
      .WithHeader("Cache-Control", "no-store");
}

// A Status from governance as problem+json. Internal errors are logged, not shown.
HttpResponse FromStatus(const Status& status, std::string_view field) {
  int code = 500;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      code = 400;
      break;
    case StatusCode::kUnauthenticated:
      code = 401;
      break;
    case StatusCode::kPermissionDenied:
      code = 403;
      break;
    case StatusCode::kNotFound:
      code = 404;
      break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      code = 409;
      break;
    case StatusCode::kResourceExhausted:
      code = 429;
      break;
    case StatusCode::kUnavailable:
      code = 503;
      break;
    default:
      break;
  }
  if (code == 500) {
    std::cerr << "govflow api: " << status.message() << "\n";
    return Problem(500).Detail("internal error").ToResponse();
  }
  Problem p(code);
  p.Detail(status.message());
  if (!field.empty()) p.InvalidParam(std::string(field), status.message());
  return p.ToResponse();
}

std::string FormatTime(TimePoint t) {
  const auto us = t.time_since_epoch().count();
  std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>((us / 1000) % 1000));
  return std::string(buf) + frac;
}

json::value OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json::value(FormatTime(*t)) : json::value(nullptr);
}

// The cookie named `name` from the Cookie header(s), "" if none.
std::string CookieValue(const HttpRequest& request, std::string_view name) {
  for (std::string_view header : request.headers.GetAll("Cookie")) {
    while (!header.empty()) {
      size_t end = header.find(';');
      std::string_view pair = header.substr(0, end);
      header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
    }
  }
  return {};
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ClientIp(std::string_view remote) {
  if (remote.starts_with('[')) {
    const size_t close = remote.find(']');
    return std::string(remote.substr(1, close == std::string_view::npos ? remote.npos : close - 1));
  }
  const size_t colon = remote.rfind(':');
  return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

// `limit` from the query: `fallback` when absent, an error naming the parameter when not an
// integer within [1, max].
Result<int> ParseLimit(const HttpRequest& request, int fallback, int max) {
  std::optional<std::string_view> text = request.QueryParam("limit");
  if (!text) return fallback;
  int value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < 1 || value > max) {
    return InvalidArgument("limit must be an integer from 1 to " + std::to_string(max));
  }
  return value;
}

bool IsChange(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// The request body as a JSON object, or a problem naming "(body)".
Result<json::object> BodyObject(const HttpRequest& request) {
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return InvalidArgument("must be a JSON object");
  return std::move(body.as_object());
}

// An optional string member: "" when absent; an error when present and not a string.
Result<std::string> OptionalString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidArgument("must be a string");
  return std::string(v->as_string());
}

json::value ParseOr(std::string_view text, json::value fallback) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? fallback : v;
}

// "2026-11-28T05:43:36Z" or with fractional seconds ("...36.123Z"), UTC only.
std::optional<TimePoint> ParseTime(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(static_cast<size_t>(consumed));
  int64_t micros = 0;
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 6) micros = micros * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (int i = std::min(digits, 6); i < 6; ++i) micros *= 10;
  }
  if (rest != "Z") return std::nullopt;
  const int month = tm.tm_mon, day = tm.tm_mday;
  if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t secs = timegm(&tm);
  if (secs == static_cast<std::time_t>(-1)) return std::nullopt;
  // timegm normalises (month 13, February 30): such a date is not a date.
  if (tm.tm_mon + 1 != month || tm.tm_mday != day) return std::nullopt;
  return TimePoint(std::chrono::microseconds(static_cast<int64_t>(secs) * 1'000'000 + micros));
}

std::string SessionCookie(const ApiOptions& options, std::string_view value,
                          int64_t max_age_seconds) {
  std::string cookie =
      std::string(kSessionCookie) + "=" + std::string(value) +
      "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age_seconds);
  if (options.secure_cookies) cookie += "; Secure";
  return cookie;
}

int64_t LoginLimiter::RetryAfter(std::string_view remote_address) {
  const std::string ip = ClientIp(remote_address);
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  std::deque<TimePoint>& tries = tries_[ip];
  while (!tries.empty() && tries.front() + window_ <= now) tries.pop_front();
  if (static_cast<int>(tries.size()) >= attempts_) {
    const auto wait = tries.front() + window_ - now;
    return std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
  }
  tries.push_back(now);
  // Forget idle addresses now and then so the map stays small.
  if (tries_.size() > 10'000) {
    std::erase_if(tries_, [&](const auto& kv) {
      return kv.second.empty() || kv.second.back() + window_ <= now;
    });
  }
  return 0;
}

}  // namespace govflow::api::v1
