// HttpClient: the one way govflow talks HTTP to remote systems. Asynchronous: Send() returns at
// once and the callback runs later on the client's own thread. Implementations are thread-safe
// (Send may be called from any thread, including from inside a callback).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace govflow::connect {

enum class HttpMethod { kGet, kPost, kPut, kPatch, kDelete };
std::string_view HttpMethodName(HttpMethod method);

// Header fields in order; names compare case-insensitively (FindHeader).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` (case-insensitive), or nullptr.
const std::string* FindHeader(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string url;  // absolute http:// or https:// URL, query already encoded
  HttpHeaders headers;
  std::string body;
  // Bound on the whole exchange (connect, send, wait, receive). After it the request completes
  // with TransportError::kTimeout. Must be positive.
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{5'000};
  // Whether the request may be sent a second time on a fresh connection when a reused keep-alive
  // connection turns out dead. Only for requests whose repetition is harmless (GET, token
  // requests). A non-idempotent request (a create) is never re-sent by the client: it completes
  // with kConnectionReset and may_have_reached_server = true instead.
  bool idempotent = false;
};

// Why an exchange produced no HTTP answer.
enum class TransportError {
  kNone,             // an HTTP status was received
  kConnectFailed,    // resolve or connect failed: nothing was sent
  kTimeout,          // the request's timeout passed (see may_have_reached_server)
  kConnectionReset,  // the connection broke or closed before a complete answer
  kInvalidRequest,   // the request could not be started (bad URL, unsupported scheme)
  kProtocolError,    // an answer arrived but was malformed or larger than the limit
  kCancelled,        // the client shut down before the exchange finished
};
std::string_view TransportErrorName(TransportError error);

struct HttpResponse {
  int status = 0;  // 0 when error != kNone
  HttpHeaders headers;
  std::string body;
  TransportError error = TransportError::kNone;
  // False only when it is certain that no byte of the request left this process (the connection
  // was never established, or the request was refused before sending). When true and no status
  // arrived, the server may have received and acted on the request: its outcome is unknown.
  bool may_have_reached_server = false;
  std::string error_message;  // human-readable detail for errors
  std::chrono::microseconds elapsed{0};

  bool has_status() const { return error == TransportError::kNone; }
  const std::string* FindHeader(std::string_view name) const {
    return connect::FindHeader(headers, name);
  }
};

using HttpCallback = std::function<void(HttpResponse)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts the exchange and returns at once. `done` is called exactly once, on the client's
  // thread (never inside Send itself for the real client), and must not block.
  virtual void Send(HttpRequest request, HttpCallback done) = 0;
};

}  // namespace govflow::connect
