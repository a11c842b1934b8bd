#include "api/router.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "api/problem.h"

namespace govflow::api {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  // "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}.
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool ValidMethod(std::string_view method) {
  if (method.empty()) return false;
  return std::all_of(method.begin(), method.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; });
}

bool ValidCaptureName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

}  // namespace

Status Router::Add(std::string_view method, std::string_view pattern, RouteHandler handler) {
  if (!ValidMethod(method)) {
    return InvalidArgument("route method '" + std::string(method) + "' must be upper-case letters");
  }
  if (pattern.empty() || pattern.front() != '/') {
    return InvalidArgument("route pattern '" + std::string(pattern) + "' must start with '/'");
  }
  if (!handler) return InvalidArgument("route " + std::string(pattern) + " has no handler");
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  std::set<std::string, std::less<>> names;
  for (std::string_view part : SplitPath(pattern)) {
    Segment segment;
    if (!part.empty() && part.front() == '{') {
      if (part.back() != '}' || part.size() < 3) {
        return InvalidArgument("route pattern '" + std::string(pattern) +
                               "': a capture must be a whole segment such as {name}");
      }
      std::string_view name = part.substr(1, part.size() - 2);
      if (!ValidCaptureName(name)) {
        return InvalidArgument("route pattern '" + std::string(pattern) + "': capture name '" +
                               std::string(name) + "' must be letters, digits or '_'");
      }
      if (!names.insert(std::string(name)).second) {
        return InvalidArgument("route pattern '" + std::string(pattern) + "': capture '" +
                               std::string(name) + "' appears twice");
      }
      segment.capture = true;
      segment.text = std::string(name);
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return InvalidArgument("route pattern '" + std::string(pattern) +
                               "': braces are only allowed around a whole segment");
      }
      std::optional<std::string> decoded = PercentDecode(part, false);
      if (!decoded) {
        return InvalidArgument("route pattern '" + std::string(pattern) + "': malformed escape");
      }
      // Literals are kept raw: request segments are compared before decoding.
      segment.text = std::string(part);
    }
    route.segments.push_back(std::move(segment));
  }
  for (const Route& existing : routes_) {
    if (existing.method != route.method || existing.segments.size() != route.segments.size()) {
      continue;
    }
    bool same = true;
    for (size_t i = 0; i < route.segments.size() && same; ++i) {
      const Segment& a = existing.segments[i];
      const Segment& b = route.segments[i];
      same = a.capture == b.capture && (a.capture || a.text == b.text);
    }
    if (same) {
      return AlreadyExists("route " + route.method + " " + route.pattern + " conflicts with " +
                           existing.method + " " + existing.pattern);
    }
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
  return Status::Ok();
}

bool Router::Matches(const Route& route, const std::vector<std::string_view>& parts) {
  if (route.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& segment = route.segments[i];
    if (segment.capture) {
      if (parts[i].empty()) return false;  // a capture never matches an empty segment
    } else if (segment.text != parts[i]) {
      return false;
    }
  }
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].capture != b.segments[i].capture) return !a.segments[i].capture;
  }
  return false;
}

std::vector<std::string> Router::AllowedMethods(std::string_view raw_path) const {
  std::vector<std::string_view> parts = SplitPath(raw_path);
  std::set<std::string> methods;
  for (const Route& route : routes_) {
    if (Matches(route, parts)) methods.insert(route.method);
  }
  if (methods.count("GET") != 0) methods.insert("HEAD");
  return {methods.begin(), methods.end()};
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.push_back({route.method, route.pattern});
  return out;
}

void Router::Dispatch(HttpRequest& request, Responder responder) const {
  std::vector<std::string_view> parts = SplitPath(request.raw_path);
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // for HEAD without its own route
  bool path_known = false;
  for (const Route& route : routes_) {
    if (!Matches(route, parts)) continue;
    path_known = true;
    if (route.method == request.method) {
      if (best == nullptr || MoreSpecific(route, *best)) best = &route;
    } else if (request.method == "HEAD" && route.method == "GET") {
      if (best_get == nullptr || MoreSpecific(route, *best_get)) best_get = &route;
    }
  }
  if (best == nullptr) best = best_get;
  if (best == nullptr) {
    if (!path_known) {
      responder(Problem(404).Detail("no route for " + request.path).ToResponse());
      return;
    }
    std::string allow;
    for (const std::string& method : AllowedMethods(request.raw_path)) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    HttpResponse response = Problem(405)
                                .Detail("method " + request.method + " is not allowed on " +
                                        request.path + "; allowed: " + allow)
                                .ToResponse();
    response.headers.Set("Allow", allow);
    responder(std::move(response));
    return;
  }
  request.route_params.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& segment = best->segments[i];
    if (!segment.capture) continue;
    std::optional<std::string> value = PercentDecode(parts[i], false);
    if (!value) {
      responder(Problem(400)
                    .Detail("malformed percent-escape in path segment " + std::to_string(i + 1))
                    .InvalidParam(segment.text, "malformed percent-escape")
                    .ToResponse());
      return;
    }
    request.route_params.emplace(segment.text, std::move(*value));
  }
  best->handler(request, std::move(responder));
}

}  // namespace govflow::api
