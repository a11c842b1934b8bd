// Plain HTTP value types shared by the server, the router and every handler: HttpRequest,
// HttpResponse, HttpHeaders, and the Responder through which a handler answers, now or later.
// Values are thread-compatible; a Responder may be invoked from any thread (see below).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace govflow::api {

// Header fields in arrival order. Names compare case-insensitively (RFC 9110 5.1); a name may
// repeat (Set-Cookie), Get() returns the first.
class HttpHeaders {
 public:
  using Field = std::pair<std::string, std::string>;

  // Appends a field, keeping any existing one of the same name.
  void Add(std::string name, std::string value);
  // Replaces every field of this name with one.
  void Set(std::string name, std::string value);
  void Remove(std::string_view name);

  std::optional<std::string_view> Get(std::string_view name) const;
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// One request as received. `body` holds the bytes exactly as they arrived (after chunked
// transfer decoding, if the client used it); webhook signatures are computed over it.
struct HttpRequest {
  std::string method;    // as sent, e.g. "GET", "POST"
  std::string target;    // the raw request-target, e.g. "/hooks/acme/shop?x=1"
  std::string raw_path;  // target before '?', still percent-encoded
  std::string path;      // raw_path percent-decoded ("%2F" becomes '/': route on raw_path)
  std::vector<std::pair<std::string, std::string>> query;  // decoded, '+' as space, in order
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53122"
  int version = 11;            // 10 or 11
  // Filled by the Router from the matched pattern's {name} captures, percent-decoded.
  std::map<std::string, std::string, std::less<>> route_params;

  std::optional<std::string_view> Header(std::string_view name) const { return headers.Get(name); }
  // The first value of a query parameter.
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  // A route parameter; empty when the pattern has no such capture.
  std::string_view Param(std::string_view name) const;
};

// One response. A handler sets status, headers and body; the server adds Content-Length, Server
// and Connection. For HEAD requests the server sends the headers of this response with
// the body's length and no body.
struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // application/json body.
  static HttpResponse Json(int status, std::string json_body);
  // text/plain; charset=utf-8 body.
  static HttpResponse Text(int status, std::string text);
  // No body (e.g. 204, 202).
  static HttpResponse Empty(int status);
  // RFC 9457 application/problem+json with type about:blank, the status's reason phrase as title
  // and `detail`. For more fields (the offending field, a type URI) use api::Problem (problem.h).
  static HttpResponse Problem(int status, std::string_view detail);

  HttpResponse& WithHeader(std::string name, std::string value) & {
    headers.Set(std::move(name), std::move(value));
    return *this;
  }
  HttpResponse&& WithHeader(std::string name, std::string value) && {
    headers.Set(std::move(name), std::move(value));
    return std::move(*this);
  }
};

// The standard reason phrase of a status code ("Not Found"); "Unknown" for codes it does not know.
std::string_view ReasonPhrase(int status);

// A response whose body is written piece by piece as it is produced: server-sent events
// (text/event-stream). Obtained from Responder::Stream(). Thread-safe; use it from any thread.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `data` after everything queued before. False once the stream has ended (the client
  // went away or was too slow to keep up, the server is stopping, or Close() was called): stop
  // producing then. True means queued, not yet delivered.
  virtual bool Write(std::string data) = 0;
  // Ends the response once the queued data is written; the connection closes.
  virtual void Close() = 0;
  virtual bool open() const = 0;
};

// One server-sent event: "event: <event>\nid: <id>\ndata: <line>\n...\n\n" ("event" and "id"
// omitted when empty, and cut at a line break; every line of `data` gets its own "data:" field).
std::string ServerSentEvent(std::string_view event, std::string_view data,
                            std::string_view id = {});

// How a handler answers. One-shot: the first Respond() wins, later calls are ignored. Cheap to
// copy; all copies share one slot, so a Responder may be captured by a std::function (e.g. a
// commit callback) and invoked later from ANY thread. If every copy is destroyed without a
// response, the client gets 500 problem+json, never a hung connection. Invoking it after the
// server stopped is a harmless no-op. Thread-safe.
class Responder {
 public:
  // Receives the one response; called at most once, on whatever thread answers.
  using Sink = std::function<void(HttpResponse)>;

  // An empty Responder: Respond() does nothing. Mostly a moved-from state.
  Responder() = default;
  // Opens a streamed response from its head (status and headers; the head's body is ignored).
  using StreamSink = std::function<std::shared_ptr<ResponseStream>(HttpResponse head)>;

  // For servers and tests: `sink` gets the response, or a 500 if none is given.
  explicit Responder(Sink sink, StreamSink stream_sink = nullptr);

  void Respond(HttpResponse response) const;
  void operator()(HttpResponse response) const { Respond(std::move(response)); }

  // Answers with a streamed body instead (server-sent events): sends `head` without a length,
  // then whatever is written to the returned stream, until it is closed. The connection is not
  // reused afterwards. nullptr when this Responder was already answered or cannot stream (a
  // test Responder without a StreamSink); it is then left as it was.
  std::shared_ptr<ResponseStream> Stream(HttpResponse head) const;

  // True once some copy has responded (or for an empty Responder).
  bool responded() const;

 private:
  struct Slot;
  std::shared_ptr<Slot> slot_;
};

// Percent-decodes `in`; with `plus_as_space`, '+' becomes ' ' (query strings). nullopt on a
// malformed escape ("%4", "%zz").
std::optional<std::string> PercentDecode(std::string_view in, bool plus_as_space);

// Splits a raw target into raw_path, path and query of `request`. False when the path or query
// holds a malformed escape.
bool ParseTarget(std::string_view target, HttpRequest& request);

}  // namespace govflow::api
