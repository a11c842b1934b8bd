// HttpServer: govflow's HTTP/1.1 listener (webhooks, probes, the /api/v1 API), plain or over TLS
// (OpenSSL). A pool of I/O threads serves keep-alive connections; each request goes to one
// RequestHandler, which answers through a Responder now or later from any thread.
// Boost.Beast/Asio/OpenSSL stay inside http_server.cc. Every public method is thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "api/router.h"
#include "base/clock.h"
#include "base/status.h"

namespace govflow::api {

// TLS on the listener. Both files are PEM and read once at Start (and again by
// HttpServer::ReloadTls). TLS 1.2 and 1.3 only, forward-secret AEAD cipher suites only.
struct TlsOptions {
  std::string certificate_file;  // the server's certificate, then any intermediates
  std::string private_key_file;  // its private key, unencrypted
  // Either file set turns TLS on (and then both are required).
  bool enabled() const { return !certificate_file.empty() || !private_key_file.empty(); }
};

struct HttpServerOptions {
  // "host:port" ("127.0.0.1:8080", "[::1]:0", "0.0.0.0:8080", "localhost:0"); port 0 picks a
  // free port, read it back with HttpServer::port().
  std::string listen = "127.0.0.1:0";
  // I/O threads running handlers and socket work. Handlers must not block them.
  int threads = 2;
  // A request body longer than this gets 413 problem+json (from Content-Length before the body
  // is read, or as soon as a chunked body passes it) and the connection is closed.
  std::size_t max_body_bytes = 1 << 20;
  // Request line plus header fields; beyond it 431 problem+json and close.
  std::size_t max_header_bytes = 16 * 1024;
  // From the first byte of a request until its last body byte; a slower client (slowloris) is
  // disconnected.
  std::chrono::milliseconds request_read_timeout{10'000};
  // How long a keep-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // A handler that has not answered after this long gets 503 sent for it (its later answer is
  // dropped).
  std::chrono::milliseconds handler_timeout{30'000};
  // Writing one response.
  std::chrono::milliseconds write_timeout{10'000};
  // Connections beyond this are accepted and closed at once.
  std::size_t max_connections = 10'000;
  // The Server header; empty for none.
  std::string server_name = "govflow";
  // TLS; when off (the default) the listener speaks plain HTTP.
  TlsOptions tls;
  // With TLS: from accepting a connection until its handshake is done; a slower client
  // (slowloris on the handshake) is disconnected.
  std::chrono::milliseconds tls_handshake_timeout{10'000};
  // With TLS: the Strict-Transport-Security value added to every response that has none; ""
  // for none.
  std::string strict_transport_security = "max-age=31536000";
  // Time for the Date header; nullptr means SystemClock::Get(). Must outlive the server.
  const Clock* clock = nullptr;
};

// A snapshot of the server's counters (monotonic unless named otherwise).
struct HttpServerMetrics {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_rejected = 0;  // over max_connections or while stopping
  std::uint64_t connections_open = 0;      // gauge
  std::uint64_t requests = 0;              // requests read in full and handed to the handler
  std::uint64_t requests_in_flight = 0;    // gauge: handed over, not yet answered
  // Responses sent by status class: [1] 1xx ... [5] 5xx ([0] unused). Includes the server's own
  // 400/408/413/431/503 answers.
  std::array<std::uint64_t, 6> responses_by_class{};
  std::uint64_t bad_requests = 0;       // malformed requests (400)
  std::uint64_t bodies_too_large = 0;   // 413
  std::uint64_t headers_too_large = 0;  // 431
  std::uint64_t read_timeouts = 0;      // requests that did not arrive within the timeout
  std::uint64_t handler_timeouts = 0;   // 503 sent for a handler that did not answer
  std::uint64_t streams_open = 0;       // gauge: streamed responses (server-sent events)
  std::uint64_t tls_handshakes = 0;     // TLS handshakes completed
  // TLS handshakes that failed or timed out, including plain HTTP sent to the TLS port (which
  // gets a plain 400 problem+json and is closed).
  std::uint64_t tls_handshake_failures = 0;
};

// The single entry point of the server. `request` stays valid until the Responder has been
// answered or dropped (all its copies). Runs on an I/O thread: must not block.
using RequestHandler = std::function<void(HttpRequest& request, Responder responder)>;

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. InvalidArgument for a bad `listen` or option,
  // or a TLS certificate/key that is unreadable, not PEM or not a matching pair (the message
  // names the file); Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                   RequestHandler handler);
  // Serves `router` (kept alive by the server). Its routes must all be added before this call.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                   std::shared_ptr<const Router> router);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Stop(0) if Stop() was not called.
  ~HttpServer();

  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // "127.0.0.1:41234": the bound address, usable in a URL ("http://" + address()).
  std::string address() const;
  // True when the listener speaks TLS ("https://" + address()).
  bool tls() const;

  // Reads the certificate and key files of options.tls again (after a renewal); connections
  // accepted from then on use them, open ones keep theirs. On error (the same as Start's) the
  // current certificate stays. FailedPrecondition when the server has no TLS.
  Status ReloadTls();

  // Graceful stop: stops accepting, closes idle keep-alive connections, lets requests being read
  // or handled finish and their responses be written (with Connection: close) until `deadline`,
  // then closes whatever remains and joins the threads. Responders invoked afterwards do nothing.
  // Returns true when every connection ended before the deadline. Idempotent; later calls return
  // the first call's result.
  bool Stop(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  // False once Stop() has begun (a /readyz handler reports not-ready from then on).
  bool accepting() const;

  HttpServerMetrics Metrics() const;

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::api
