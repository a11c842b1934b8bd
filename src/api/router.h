// Router: maps (method, path) to a handler, capturing {name} segments of patterns such as
// "/hooks/{tenant}/{connection}". Unknown paths get 404 and known paths with another method 405
// with an Allow header, both as problem+json. HEAD is served by the GET handler when no HEAD
// route exists. Add() routes before serving; Dispatch() is then thread-safe (read-only).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "base/status.h"

namespace govflow::api {

// A route handler. The request stays valid until the Responder has been answered or dropped (all
// its copies), so a handler may keep a pointer to it while its work completes elsewhere. Handlers
// run on a server I/O thread and must not block: hand slow work to another thread and answer
// through the Responder.
using RouteHandler = std::function<void(const HttpRequest&, Responder)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
};

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `handler` for `method` (upper case, e.g. "POST") and `pattern`: '/'-separated
  // segments, each a literal or a whole-segment capture "{name}" (name: letters, digits, '_').
  // InvalidArgument for a malformed pattern or method, AlreadyExists when the same method and
  // pattern shape (captures compared by position, not name) is already routed.
  Status Add(std::string_view method, std::string_view pattern, RouteHandler handler);

  // Finds the route for `request` (by method and raw_path), fills request.route_params with the
  // percent-decoded captures and calls the handler. Literal segments win over captures at the
  // first position where candidate patterns differ. Answers itself with 400 (malformed escape),
  // 404 or 405 (with Allow) when no handler applies.
  void Dispatch(HttpRequest& request, Responder responder) const;

  // The methods routed for a path ("GET, HEAD, POST"), empty when no pattern matches it.
  std::vector<std::string> AllowedMethods(std::string_view raw_path) const;

  // Every route, in registration order (for documentation checks such as OpenAPI parity).
  std::vector<RouteInfo> Routes() const;

 private:
  struct Segment {
    bool capture = false;
    std::string text;  // the literal, or the capture's name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    RouteHandler handler;
  };

  // Whether `route` matches the split raw (still percent-encoded) path.
  static bool Matches(const Route& route, const std::vector<std::string_view>& parts);
  // True when a is preferred over b (more literal segments first).
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace govflow::api
