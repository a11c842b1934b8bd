// The only file of govflow's api module that includes Boost.Beast, Asio and OpenSSL.
//
// Shape: one io_context run by N threads; the acceptor and every connection have their own strand,
// so a connection's state is touched by one thread at a time without locks. A connection serves
// its requests one after another (which keeps pipelined requests' responses in order): read the
// head, maybe send 100 Continue, read the body, hand the request to the handler, wait for the
// Responder, write, repeat. While waiting, a timer (handler_timeout) holds the connection alive;
// Responders hold only a weak reference, and a server-wide gate stops them from touching the
// io_context once Stop() has closed it.
//
// TLS: the connection is a template over its stream (beast::tcp_stream or ssl_stream over it).
// A TLS connection first peeks at the client's first bytes: a TLS record starts the handshake
// (bounded by tls_handshake_timeout), anything else is plain HTTP on the TLS port and gets a
// plain 400 before the close. Timeouts are set on the TCP layer below TLS, so every limit of the
// plain server holds the same over TLS. A TLS connection ends with close_notify where the plain
// one half-closes (after a last response, at the end of a stream).
#include "api/http_server.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "api/problem.h"

namespace govflow::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Strand = net::strand<net::io_context::executor_type>;
// Asio's stream rather than beast::ssl_stream: Boost 1.81's beast wrapper declares the buffered
// handshake with the wrong completion signature, and the handshake here is buffered.
using TlsStream = ssl::stream<beast::tcp_stream>;

namespace {

struct Counters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_rejected{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> requests_in_flight{0};
  std::array<std::atomic<std::uint64_t>, 6> responses_by_class{};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> bodies_too_large{0};
  std::atomic<std::uint64_t> headers_too_large{0};
  std::atomic<std::uint64_t> read_timeouts{0};
  std::atomic<std::uint64_t> handler_timeouts{0};
  std::atomic<std::uint64_t> streams_open{0};
  std::atomic<std::uint64_t> tls_handshakes{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
};

class ConnectionStream;

// What the server, Responders and streams need of a connection, whatever its stream type. Every
// method but executor() runs on the connection's strand.
class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual const net::any_io_executor& executor() const = 0;
  virtual void Start() = 0;
  // The server is stopping. Idle connections close now; busy ones finish their exchange and
  // then close.
  virtual void OnStopRequested() = 0;
  // The stop deadline passed.
  virtual void ForceClose() = 0;
  // A Responder answered exchange `exchange`.
  virtual void OnResponse(std::uint64_t exchange, HttpResponse response) = 0;
  // A Responder opened a streamed response for exchange `exchange`.
  virtual void OnStreamStart(std::uint64_t exchange, HttpResponse head,
                             std::shared_ptr<ConnectionStream> stream) = 0;
  // Data written to the stream, and its end.
  virtual void QueueStreamData(std::string data) = 0;
  virtual void EndStream() = 0;
};

// A stream's queued bytes beyond which its client counts as too slow and is disconnected.
constexpr std::size_t kMaxStreamBacklogBytes = 4 << 20;

// What connections and Responders share with the server. Outlives the io_context only through
// Responders, which then find the gate closed.
struct ServerState {
  HttpServerOptions options;
  const Clock* clock = nullptr;  // options.clock or the system clock
  RequestHandler handler;
  Counters counters;
  std::atomic<bool> stopping{false};

  // Held shared by a Responder while it posts onto a connection; taken exclusively by Stop()
  // to close it before the io_context goes away.
  std::shared_mutex gate_mu;
  bool gate_open = true;  // guarded by gate_mu

  std::mutex connections_mu;
  std::condition_variable connections_cv;
  std::unordered_map<std::uint64_t, std::weak_ptr<ConnectionBase>> connections;  // by id
  std::uint64_t next_connection_id = 1;  // guarded by connections_mu

  // The TLS context new connections use (nullptr: plain HTTP); replaced by ReloadTls. Each
  // connection holds a reference to the one it started with.
  std::mutex tls_mu;
  std::shared_ptr<ssl::context> tls_context;  // guarded by tls_mu
};

// The handle behind Responder::Stream(): forwards writes onto the connection's strand.
class ConnectionStream final : public ResponseStream {
 public:
  ConnectionStream(std::weak_ptr<ConnectionBase> connection, std::shared_ptr<ServerState> state)
      : connection_(std::move(connection)), state_(std::move(state)) {}

  bool Write(std::string data) override;
  void Close() override;
  bool open() const override { return open_.load(); }

  // The connection ended the stream (client gone, too slow, server stopping).
  void MarkEnded() { open_.store(false); }

 private:
  // Runs f(connection) on the connection's strand; false when the connection or server is gone.
  template <typename F>
  bool PostToConnection(F f);

  std::weak_ptr<ConnectionBase> connection_;
  std::shared_ptr<ServerState> state_;
  std::atomic<bool> open_{true};
};

// An IMF-fixdate (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(const Clock& clock) {
  const std::time_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::size_t n = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(text, n);
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string EndpointString(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

template <typename F>
bool ConnectionStream::PostToConnection(F f) {
  std::shared_lock gate(state_->gate_mu);
  std::shared_ptr<ConnectionBase> connection = state_->gate_open ? connection_.lock() : nullptr;
  if (connection == nullptr) {
    open_.store(false);
    return false;
  }
  const net::any_io_executor& executor = connection->executor();
  net::post(executor,
            [connection = std::move(connection), f = std::move(f)]() mutable { f(*connection); });
  return true;
}

bool ConnectionStream::Write(std::string data) {
  if (!open_.load()) return false;
  return PostToConnection(
      [data = std::move(data)](ConnectionBase& c) mutable { c.QueueStreamData(std::move(data)); });
}

void ConnectionStream::Close() {
  if (!open_.exchange(false)) return;
  PostToConnection([](ConnectionBase& c) { c.EndStream(); });
}

// The stream of a connection, built from the accepted socket (and the TLS context for TLS).
template <typename Stream>
Stream MakeStream(tcp::socket socket, ssl::context* tls);
template <>
beast::tcp_stream MakeStream<beast::tcp_stream>(tcp::socket socket, ssl::context*) {
  return beast::tcp_stream(std::move(socket));
}
template <>
TlsStream MakeStream<TlsStream>(tcp::socket socket, ssl::context* tls) {
  return TlsStream(std::move(socket), *tls);
}

// A plain-HTTP client on the TLS port gets this (then the connection closes): the answer it can
// read, instead of a TLS alert it cannot.
std::string PlainHttpOnTlsAnswer() {
  HttpResponse r =
      Problem(400).Detail("this port speaks HTTPS: use https:// instead of http://").ToResponse();
  std::string text = "HTTP/1.1 400 Bad Request\r\n";
  for (const auto& [name, value] : r.headers.fields()) {
    text.append(name).append(": ").append(value).append("\r\n");
  }
  text += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  return text + r.body;
}

template <typename Stream>
class Connection final : public ConnectionBase {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Connection(tcp::socket socket, std::shared_ptr<ServerState> state, std::uint64_t id,
             std::shared_ptr<ssl::context> tls)
      : executor_(socket.get_executor()),
        tls_(std::move(tls)),
        stream_(MakeStream<Stream>(std::move(socket), tls_.get())),
        handler_timer_(executor_),
        state_(std::move(state)),
        id_(id) {
    beast::error_code ec;
    tcp::endpoint remote = Tcp().socket().remote_endpoint(ec);
    remote_address_ = ec ? std::string("unknown") : EndpointString(remote);
  }

  ~Connection() override {
    if (phase_ == Phase::kHandling) state_->counters.requests_in_flight--;
    if (phase_ == Phase::kStreaming) state_->counters.streams_open--;
    if (stream_handle_ != nullptr) stream_handle_->MarkEnded();
    state_->counters.connections_open--;
    std::lock_guard lock(state_->connections_mu);
    state_->connections.erase(id_);
    state_->connections_cv.notify_all();
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const net::any_io_executor& executor() const override { return executor_; }

  void Start() override {
    net::dispatch(executor_, [self = Self()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->WaitForRequest();
      }
    });
  }

  void OnStopRequested() override {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) Close();
    if (phase_ == Phase::kStreaming) EndStream();
  }

  void ForceClose() override {
    if (phase_ == Phase::kHandling) state_->counters.requests_in_flight--;
    phase_ = Phase::kClosed;
    Close();
  }

  void OnResponse(std::uint64_t exchange, HttpResponse response) override {
    if (exchange != exchange_ || phase_ != Phase::kHandling) return;  // late or after a timeout
    handler_timer_.cancel();
    state_->counters.requests_in_flight--;
    Write(std::move(response), /*close_after=*/!keep_alive_);
  }

  void OnStreamStart(std::uint64_t exchange, HttpResponse head,
                     std::shared_ptr<ConnectionStream> stream) override;
  void QueueStreamData(std::string data) override;
  void EndStream() override;

 private:
  enum class Phase { kHandshake, kIdle, kReading, kHandling, kWriting, kStreaming, kClosed };

  std::shared_ptr<Connection> Self() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }
  // The TCP layer: timeouts, shutdown and close act here, below TLS.
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void WriteStreamQueue();

  // TLS only: peek at the first bytes, then the handshake, all within tls_handshake_timeout.
  void Handshake() {
    phase_ = Phase::kHandshake;
    if (state_->stopping.load()) return Close();
    Tcp().expires_after(state_->options.tls_handshake_timeout);
    Tcp().async_read_some(
        buffer_.prepare(4096), [self = Self()](beast::error_code ec, std::size_t n) {
          if (self->phase_ == Phase::kClosed) return;
          if (ec) {
            if (ec == beast::error::timeout) self->state_->counters.tls_handshake_failures++;
            return self->Close();
          }
          self->buffer_.commit(n);
          const auto* first = static_cast<const unsigned char*>(self->buffer_.data().data());
          if (n == 0 || first[0] != 0x16) {  // not a TLS handshake record
            self->state_->counters.tls_handshake_failures++;
            return self->AnswerPlainHttp();
          }
          if constexpr (kTls) {
            self->stream_.async_handshake(ssl::stream_base::server, self->buffer_.data(),
                                          [self](beast::error_code ec, std::size_t used) {
                                            if (self->phase_ == Phase::kClosed) return;
                                            if (ec) {
                                              self->state_->counters.tls_handshake_failures++;
                                              return self->Close();
                                            }
                                            self->buffer_.consume(used);
                                            // The client speaks only after the handshake: bytes
                                            // left over here would be TLS records read past the
                                            // handshake, which the parser must never see as HTTP.
                                            if (self->buffer_.size() > 0) return self->Close();
                                            self->state_->counters.tls_handshakes++;
                                            self->WaitForRequest();
                                          });
          }
        });
  }

  void AnswerPlainHttp() {
    phase_ = Phase::kClosed;
    drain_buffer_ = PlainHttpOnTlsAnswer();
    state_->counters.bad_requests++;
    state_->counters.responses_by_class[4]++;
    Tcp().expires_after(state_->options.write_timeout);
    net::async_write(Tcp(), net::buffer(drain_buffer_),
                     [self = Self()](beast::error_code ec, std::size_t) {
                       if (ec) return self->Close();
                       // The rest of the plain request may still be coming: half-close and
                       // discard it for a moment, so that the client reads the answer rather
                       // than a reset.
                       beast::error_code ignored;
                       self->Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
                       self->Tcp().expires_after(std::chrono::seconds(1));
                       self->DrainPlain();
                     });
  }

  // Reads and discards what the TCP layer (not TLS) delivers until the end, an error, the
  // timeout set by the caller or 4 x max_body_bytes; then closes.
  void DrainPlain() {
    drain_buffer_.resize(16 * 1024);
    Tcp().async_read_some(net::buffer(drain_buffer_),
                          [self = Self()](beast::error_code ec, std::size_t n) {
                            self->drained_ += n;
                            if (ec || self->drained_ > 4 * self->state_->options.max_body_bytes) {
                              return self->Close();
                            }
                            self->DrainPlain();
                          });
  }

  void WaitForRequest() {
    if (phase_ == Phase::kClosed) return;
    if (state_->stopping.load()) return Close();
    phase_ = Phase::kIdle;
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    Tcp().expires_after(state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = Self()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              if (self->phase_ == Phase::kClosed) return;
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser_->body_limit(state_->options.max_body_bytes);
    Tcp().expires_after(state_->options.request_read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = Self()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return OnRequest();
    auto expect = parser_->get().find(http::field::expect);
    if (expect != parser_->get().end() &&
        EqualsIgnoreCase(std::string_view(expect->value().data(), expect->value().size()),
                         "100-continue") &&
        parser_->get().version() >= 11) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = Self()](beast::error_code ec, std::size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (phase_ == Phase::kClosed) return;
    http::async_read(stream_, buffer_, *parser_,
                     [self = Self()](beast::error_code ec, std::size_t) {
                       if (self->phase_ == Phase::kClosed) return;
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  void OnReadError(beast::error_code ec) {
    Counters& c = state_->counters;
    if (ec == http::error::body_limit) {
      c.bodies_too_large++;
      return WriteError(Problem(413)
                            .Detail("the request body exceeds the limit of " +
                                    std::to_string(state_->options.max_body_bytes) + " bytes")
                            .ToResponse());
    }
    if (ec == http::error::header_limit) {
      c.headers_too_large++;
      return WriteError(Problem(431)
                            .Detail("the request line and headers exceed " +
                                    std::to_string(state_->options.max_header_bytes) + " bytes")
                            .ToResponse());
    }
    if (ec == beast::error::timeout) {
      c.read_timeouts++;
      return Close();  // a client this slow would not read an answer either
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      // The rest of Beast's parse errors: bad method, target, version, field, chunk, ...
      c.bad_requests++;
      return WriteError(
          Problem(400).Detail("malformed HTTP request: " + ec.message()).ToResponse());
    }
    Close();
  }

  void OnRequest() {
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    auto request = std::make_shared<HttpRequest>();
    request->method = std::string(message.method_string());
    request->version = static_cast<int>(message.version());
    request->remote_address = remote_address_;
    std::string_view target(message.target().data(), message.target().size());
    if (target.empty() || target.front() != '/' || !ParseTarget(target, *request)) {
      state_->counters.bad_requests++;
      return WriteError(Problem(400)
                            .Detail("the request target must be a path with valid percent-escapes")
                            .InvalidParam("request-target", "malformed")
                            .ToResponse());
    }
    for (const auto& field : message) {
      request->headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    request->body = std::move(message.body());
    keep_alive_ = message.keep_alive();
    request_version_ = message.version();
    head_request_ = message.method() == http::verb::head;

    ++exchange_;
    phase_ = Phase::kHandling;
    Tcp().expires_never();
    state_->counters.requests++;
    state_->counters.requests_in_flight++;

    // The handler timer also keeps this connection alive while the answer is pending.
    handler_timer_.expires_after(state_->options.handler_timeout);
    handler_timer_.async_wait([self = Self(), exchange = exchange_](beast::error_code ec) {
      if (ec || exchange != self->exchange_ || self->phase_ != Phase::kHandling) return;
      self->state_->counters.handler_timeouts++;
      self->OnResponse(
          exchange, Problem(503).Detail("the request handler did not answer in time").ToResponse());
    });

    Responder responder(
        [weak = weak_from_this(), state = state_, exchange = exchange_, request](HttpResponse r) {
          std::shared_lock gate(state->gate_mu);
          if (!state->gate_open) return;
          if (std::shared_ptr<ConnectionBase> self = weak.lock()) {
            const net::any_io_executor& executor = self->executor();
            net::post(executor, [self = std::move(self), exchange, r = std::move(r)]() mutable {
              self->OnResponse(exchange, std::move(r));
            });
          }
        },
        [weak = weak_from_this(), state = state_, exchange = exchange_,
         request](HttpResponse head) -> std::shared_ptr<ResponseStream> {
          auto stream = std::make_shared<ConnectionStream>(weak, state);
          std::shared_lock gate(state->gate_mu);
          std::shared_ptr<ConnectionBase> self = state->gate_open ? weak.lock() : nullptr;
          if (self == nullptr) {
            stream->MarkEnded();
            return stream;
          }
          const net::any_io_executor& executor = self->executor();
          net::post(executor,
                    [self = std::move(self), exchange, head = std::move(head), stream]() mutable {
                      self->OnStreamStart(exchange, std::move(head), std::move(stream));
                    });
          return stream;
        });
    try {
      state_->handler(*request, responder);
    } catch (const std::exception& e) {
      responder(
          Problem(500).Detail(std::string("the request handler failed: ") + e.what()).ToResponse());
    } catch (...) {
      responder(Problem(500).Detail("the request handler failed").ToResponse());
    }
  }

  // The server's own error answers (400, 413, 431): always the last on the connection.
  void WriteError(HttpResponse response) {
    keep_alive_ = false;
    request_unread_ = true;
    head_request_ = false;
    Write(std::move(response), /*close_after=*/true);
  }

  void Write(HttpResponse response, bool close_after) {
    phase_ = Phase::kWriting;
    const int status = response.status;
    response_ = {};
    response_.version(request_version_ == 10 ? 10 : 11);
    response_.result(static_cast<unsigned>(status));
    for (const auto& [name, value] : response.headers.fields()) {
      if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
          EqualsIgnoreCase(name, "Connection")) {
        continue;  // framing is the server's job
      }
      response_.insert(name, value);
    }
    if (!state_->options.server_name.empty() && !response.headers.Has("Server")) {
      response_.set(http::field::server, state_->options.server_name);
    }
    if (!response.headers.Has("Date")) response_.set(http::field::date, HttpDate(*state_->clock));
    if (kTls && !state_->options.strict_transport_security.empty() &&
        !response.headers.Has("Strict-Transport-Security")) {
      response_.set(http::field::strict_transport_security,
                    state_->options.strict_transport_security);
    }
    const bool close = close_after || state_->stopping.load();
    response_.keep_alive(!close);
    if (head_request_) {
      response_.content_length(response.body.size());
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    if (status >= 100 && status < 600) state_->counters.responses_by_class[status / 100]++;
    Tcp().expires_after(state_->options.write_timeout);
    http::async_write(stream_, response_,
                      [self = Self(), close](beast::error_code ec, std::size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) return self->Close();
                        if (close) return self->LingeringClose();
                        self->WaitForRequest();
                      });
  }

  // Closes after an answer the client may still be sending a body behind: stop sending, then
  // read and discard for a moment, so that the client sees the answer instead of a reset. Over
  // TLS, after a request read in full: close_notify, and the peer's awaited for that moment;
  // after an error answer the client may still be sending, so drain as the plain server does.
  void LingeringClose() {
    if constexpr (kTls) {
      phase_ = Phase::kClosed;
      Tcp().expires_after(std::chrono::seconds(1));
      if (request_unread_) return Drain();
      stream_.async_shutdown([self = Self()](beast::error_code) { self->Close(); });
      return;
    }
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    phase_ = Phase::kClosed;
    Tcp().expires_after(std::chrono::seconds(1));
    Drain();
  }

  void EndStreamHandle() {
    if (stream_handle_ == nullptr) return;
    stream_handle_->MarkEnded();
    stream_handle_.reset();
  }

  // While streaming, the client may only close: a pending read notices it at once.
  void WatchStreamClient() {
    drain_buffer_.resize(4096);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = Self()](beast::error_code ec, std::size_t) {
                              if (self->phase_ != Phase::kStreaming) return;
                              // Cancelled for the TLS shutdown, which then closes.
                              if (kTls && self->stream_shut_) return;
                              if (ec) return self->Close();
                              self->WatchStreamClient();
                            });
  }

  void Drain() {
    drain_buffer_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = Self()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > 4 * self->state_->options.max_body_bytes) {
                                return self->Close();
                              }
                              self->Drain();
                            });
  }

  void Close() {
    if (phase_ == Phase::kStreaming) state_->counters.streams_open--;
    phase_ = Phase::kClosed;
    EndStreamHandle();
    handler_timer_.cancel();
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

  const net::any_io_executor executor_;
  std::shared_ptr<ssl::context> tls_;  // keeps the context of this connection alive (TLS only)
  Stream stream_;
  net::steady_timer handler_timer_;
  std::shared_ptr<ServerState> state_;
  const std::uint64_t id_;
  std::string remote_address_;

  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string drain_buffer_;
  std::size_t drained_ = 0;

  // While streaming: the handle given out, the bytes waiting to be written, whether a write is
  // under way, and whether the producer has ended the stream.
  std::shared_ptr<ConnectionStream> stream_handle_;
  std::deque<std::string> stream_queue_;
  std::size_t stream_queued_bytes_ = 0;
  bool stream_writing_ = false;
  bool stream_ending_ = false;
  bool stream_shut_ = false;

  Phase phase_ = Phase::kIdle;
  std::uint64_t exchange_ = 0;  // the current request; answers for older ones are ignored
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool request_unread_ = false;    // an error answer was sent before the request was read in full
  unsigned request_version_ = 11;  // answered in kind: HTTP/1.0 clients get 1.0 keep-alive rules
};

template <typename Stream>
void Connection<Stream>::OnStreamStart(std::uint64_t exchange, HttpResponse head,
                                       std::shared_ptr<ConnectionStream> stream) {
  if (exchange != exchange_ || phase_ != Phase::kHandling) {
    stream->MarkEnded();
    return;
  }
  handler_timer_.cancel();
  Counters& c = state_->counters;
  c.requests_in_flight--;
  c.streams_open++;
  phase_ = Phase::kStreaming;
  stream_handle_ = std::move(stream);
  const int status = head.status;
  if (status >= 100 && status < 600) c.responses_by_class[status / 100]++;

  // The head by hand: no length, the body ends when the connection does.
  std::string text =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\r\n";
  auto safe = [](std::string_view v) { return v.find_first_of("\r\n") == std::string_view::npos; };
  for (const auto& [name, value] : head.headers.fields()) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection") || !safe(name) || !safe(value)) {
      continue;
    }
    text.append(name).append(": ").append(value).append("\r\n");
  }
  if (!state_->options.server_name.empty() && !head.headers.Has("Server") &&
      safe(state_->options.server_name)) {
    text.append("Server: ").append(state_->options.server_name).append("\r\n");
  }
  if (!head.headers.Has("Date"))
    text.append("Date: ").append(HttpDate(*state_->clock)).append("\r\n");
  if (kTls && !state_->options.strict_transport_security.empty() &&
      !head.headers.Has("Strict-Transport-Security") &&
      safe(state_->options.strict_transport_security)) {
    text.append("Strict-Transport-Security: ")
        .append(state_->options.strict_transport_security)
        .append("\r\n");
  }
  text.append("Connection: close\r\n\r\n");
  stream_queued_bytes_ += text.size();
  stream_queue_.push_back(std::move(text));
  Tcp().expires_never();  // an event stream may be quiet for long; a slow reader is cut by size
  WatchStreamClient();
  WriteStreamQueue();
}

template <typename Stream>
void Connection<Stream>::QueueStreamData(std::string data) {
  if (phase_ != Phase::kStreaming || stream_ending_ || data.empty()) return;
  stream_queued_bytes_ += data.size();
  stream_queue_.push_back(std::move(data));
  if (stream_queued_bytes_ > kMaxStreamBacklogBytes) return Close();  // the client cannot keep up
  WriteStreamQueue();
}

template <typename Stream>
void Connection<Stream>::EndStream() {
  if (phase_ != Phase::kStreaming || stream_ending_) return;
  stream_ending_ = true;
  EndStreamHandle();
  WriteStreamQueue();
}

template <typename Stream>
void Connection<Stream>::WriteStreamQueue() {
  if (phase_ != Phase::kStreaming || stream_writing_) return;
  if (stream_queue_.empty()) {
    if (stream_ending_ && !stream_shut_) {
      // Everything is out: signal the end, give the client a moment to close, then close.
      stream_shut_ = true;
      if constexpr (kTls) {
        // close_notify marks the end as intended (no truncation); the watching read is
        // cancelled first, as the shutdown reads the client's close_notify itself.
        Tcp().cancel();
        Tcp().expires_after(std::chrono::seconds(1));
        stream_.async_shutdown([self = Self()](beast::error_code) { self->Close(); });
        return;
      }
      beast::error_code ec;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
      handler_timer_.expires_after(std::chrono::seconds(1));
      handler_timer_.async_wait([self = Self()](beast::error_code e) {
        if (!e) self->Close();
      });
    }
    return;
  }
  stream_writing_ = true;
  net::async_write(stream_, net::buffer(stream_queue_.front()),
                   [self = Self()](beast::error_code ec, std::size_t) {
                     self->stream_writing_ = false;
                     if (self->phase_ != Phase::kStreaming) return;
                     if (ec) return self->Close();
                     self->stream_queued_bytes_ -= self->stream_queue_.front().size();
                     self->stream_queue_.pop_front();
                     self->WriteStreamQueue();
                   });
}

Result<tcp::endpoint> ParseListen(std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("listen address '" + std::string(listen) + "' must be host:port");
  }
  std::string_view host = listen.substr(0, colon);
  std::string_view port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return InvalidArgument("listen address '" + std::string(listen) + "': bad port");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty() || host == "*") host = "0.0.0.0";
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(std::string(host), ec);
  if (ec) {
    return InvalidArgument("listen address '" + std::string(listen) + "': bad host (" +
                           ec.message() + ")");
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

// The OpenSSL errors queued by the last failed call, as one line (and the queue emptied).
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

Status CheckReadable(const std::string& what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgument("cannot read the TLS " + what + " file '" + path +
                           "': " + std::strerror(errno));
  }
  return Status::Ok();
}

// A server context from the PEM files: TLS 1.2 and 1.3 only; for 1.2, ECDHE with AES-GCM or
// ChaCha20-Poly1305 (Mozilla's "intermediate" list, forward-secret AEAD only); no compression,
// no renegotiation. The errors name the file at fault.
Result<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  if (tls.certificate_file.empty()) {
    return InvalidArgument("TLS needs a certificate file as well as the key file '" +
                           tls.private_key_file + "'");
  }
  if (tls.private_key_file.empty()) {
    return InvalidArgument("TLS needs a private key file as well as the certificate file '" +
                           tls.certificate_file + "'");
  }
  GOVFLOW_RETURN_IF_ERROR(CheckReadable("certificate", tls.certificate_file));
  GOVFLOW_RETURN_IF_ERROR(CheckReadable("private key", tls.private_key_file));
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    return Internal("TLS cipher list refused: " + OpenSslErrors());
  }
  // An encrypted key must fail here, not prompt for a passphrase on the terminal.
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.certificate_file.c_str()) != 1) {
    return InvalidArgument("the TLS certificate file '" + tls.certificate_file +
                           "' holds no usable PEM certificate: " + OpenSslErrors());
  }
  // The key is read apart from the context so that "not a key" and "not this certificate's
  // key" get different messages.
  EVP_PKEY* key = nullptr;
  if (BIO* bio = BIO_new_file(tls.private_key_file.c_str(), "r")) {
    key = PEM_read_bio_PrivateKey(
        bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
    BIO_free(bio);
  }
  if (key == nullptr) {
    return InvalidArgument("the TLS private key file '" + tls.private_key_file +
                           "' holds no usable unencrypted PEM private key: " + OpenSslErrors());
  }
  const bool matches = X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) == 1;
  const bool used = matches && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    ERR_clear_error();
    return InvalidArgument("the TLS private key file '" + tls.private_key_file +
                           "' does not match the certificate in '" + tls.certificate_file + "'");
  }
  if (!used)
    return InvalidArgument("the TLS private key file '" + tls.private_key_file +
                           "' was refused: " + OpenSslErrors());
  return context;
}

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(std::shared_ptr<ServerState> state)
      : state_(std::move(state)),
        work_(net::make_work_guard(ioc_)),
        acceptor_strand_(net::make_strand(ioc_)),
        acceptor_(acceptor_strand_),
        retry_timer_(acceptor_strand_) {}

  ~Impl() { Stop(std::chrono::milliseconds(0)); }

  Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable("cannot listen on " + EndpointString(endpoint) + ": " + ec.message());
    }
    local_ = acceptor_.local_endpoint(ec);
    if (ec) return Unavailable("cannot read the bound address: " + ec.message());
    return Status::Ok();
  }

  void Run() {
    Accept();
    int threads = std::max(1, state_->options.threads);
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        while (true) {
          try {
            ioc_.run();
            return;
          } catch (...) {
            // A handler threw through Asio (not ours: Connection catches its handler's). Keep
            // serving; the failing operation's connection is gone with the exception.
          }
        }
      });
    }
  }

  bool Stop(std::chrono::milliseconds deadline) {
    std::lock_guard stop_lock(stop_mu_);
    if (stopped_) return stop_result_;
    stopped_ = true;
    const auto until = std::chrono::steady_clock::now() + deadline;
    state_->stopping.store(true);
    net::post(acceptor_strand_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      retry_timer_.cancel();
    });
    ForEachConnection([](const std::shared_ptr<ConnectionBase>& c) {
      net::post(c->executor(), [c] { c->OnStopRequested(); });
    });
    bool clean;
    {
      std::unique_lock lock(state_->connections_mu);
      clean = state_->connections_cv.wait_until(lock, until,
                                                [&] { return state_->connections.empty(); });
    }
    if (!clean) {
      ForEachConnection([](const std::shared_ptr<ConnectionBase>& c) {
        net::post(c->executor(), [c] { c->ForceClose(); });
      });
      std::unique_lock lock(state_->connections_mu);
      state_->connections_cv.wait_for(lock, std::chrono::milliseconds(500),
                                      [&] { return state_->connections.empty(); });
    }
    {
      std::unique_lock gate(state_->gate_mu);
      state_->gate_open = false;
    }
    work_.reset();
    ioc_.stop();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    // No thread calls the handler any more: let go of it here, on the stopping thread. A
    // streamed response still held elsewhere (a live-events feed) keeps this state alive, and
    // must not keep the handler, and what it owns (the API, its feed thread), alive beyond the
    // server's owner, who may then destroy the store under it.
    RequestHandler released = std::move(state_->handler);
    state_->handler = nullptr;
    released = nullptr;
    stop_result_ = clean;
    return clean;
  }

  std::uint16_t port() const { return local_.port(); }
  std::string address() const { return EndpointString(local_); }
  const std::shared_ptr<ServerState>& state() const { return state_; }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [this](beast::error_code ec, tcp::socket socket) {
                             if (ec == net::error::operation_aborted || !acceptor_.is_open())
                               return;
                             if (ec) {
                               // Out of descriptors or similar: back off briefly instead of
                               // spinning.
                               retry_timer_.expires_after(std::chrono::milliseconds(50));
                               retry_timer_.async_wait([this](beast::error_code e) {
                                 if (!e && acceptor_.is_open()) Accept();
                               });
                               return;
                             }
                             OnAccepted(std::move(socket));
                             Accept();
                           });
  }

  void OnAccepted(tcp::socket socket) {
    Counters& c = state_->counters;
    if (state_->stopping.load() || c.connections_open.load() >= state_->options.max_connections) {
      c.connections_rejected++;
      beast::error_code ec;
      socket.close(ec);
      return;
    }
    c.connections_accepted++;
    c.connections_open++;
    std::uint64_t id;
    {
      std::lock_guard lock(state_->connections_mu);
      id = state_->next_connection_id++;
    }
    std::shared_ptr<ssl::context> tls;
    {
      std::lock_guard lock(state_->tls_mu);
      tls = state_->tls_context;
    }
    std::shared_ptr<ConnectionBase> connection;
    if (tls != nullptr) {
      connection =
          std::make_shared<Connection<TlsStream>>(std::move(socket), state_, id, std::move(tls));
    } else {
      connection =
          std::make_shared<Connection<beast::tcp_stream>>(std::move(socket), state_, id, nullptr);
    }
    {
      std::lock_guard lock(state_->connections_mu);
      state_->connections.emplace(id, connection);
    }
    connection->Start();
  }

  template <typename F>
  void ForEachConnection(F f) {
    std::vector<std::shared_ptr<ConnectionBase>> live;
    {
      std::lock_guard lock(state_->connections_mu);
      for (auto& [id, weak] : state_->connections) {
        if (auto c = weak.lock()) live.push_back(std::move(c));
      }
    }
    for (const auto& c : live) f(c);
  }

  std::shared_ptr<ServerState> state_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  Strand acceptor_strand_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  tcp::endpoint local_;
  std::vector<std::thread> threads_;

  std::mutex stop_mu_;
  bool stopped_ = false;      // guarded by stop_mu_
  bool stop_result_ = false;  // guarded by stop_mu_
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      RequestHandler handler) {
  if (!handler) return InvalidArgument("HttpServer needs a request handler");
  if (options.threads < 1) return InvalidArgument("HttpServer needs at least one thread");
  if (options.max_body_bytes == 0 || options.max_header_bytes < 256) {
    return InvalidArgument("HttpServer limits are too small to serve any request");
  }
  GOVFLOW_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListen(options.listen));
  auto state = std::make_shared<ServerState>();
  state->options = std::move(options);
  state->clock = state->options.clock != nullptr ? state->options.clock : &SystemClock::Get();
  state->handler = std::move(handler);
  if (state->options.tls.enabled()) {
    GOVFLOW_ASSIGN_OR_RETURN(state->tls_context, MakeTlsContext(state->options.tls));
  }
  auto impl = std::make_unique<Impl>(std::move(state));
  GOVFLOW_RETURN_IF_ERROR(impl->Listen(endpoint));
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      std::shared_ptr<const Router> router) {
  if (router == nullptr) return InvalidArgument("HttpServer needs a router");
  return Start(std::move(options), [router](HttpRequest& request, Responder responder) {
    router->Dispatch(request, std::move(responder));
  });
}

std::uint16_t HttpServer::port() const {
  return impl_->port();
}

std::string HttpServer::address() const {
  return impl_->address();
}

bool HttpServer::tls() const {
  return impl_->state()->options.tls.enabled();
}

Status HttpServer::ReloadTls() {
  const std::shared_ptr<ServerState>& state = impl_->state();
  if (!state->options.tls.enabled()) return FailedPrecondition("the server does not speak TLS");
  GOVFLOW_ASSIGN_OR_RETURN(std::shared_ptr<ssl::context> context,
                           MakeTlsContext(state->options.tls));
  std::lock_guard lock(state->tls_mu);
  state->tls_context = std::move(context);
  return Status::Ok();
}

bool HttpServer::Stop(std::chrono::milliseconds deadline) {
  return impl_->Stop(deadline);
}

bool HttpServer::accepting() const {
  return !impl_->state()->stopping.load();
}

HttpServerMetrics HttpServer::Metrics() const {
  const Counters& c = impl_->state()->counters;
  HttpServerMetrics m;
  m.connections_accepted = c.connections_accepted.load();
  m.connections_rejected = c.connections_rejected.load();
  m.connections_open = c.connections_open.load();
  m.requests = c.requests.load();
  m.requests_in_flight = c.requests_in_flight.load();
  for (size_t i = 0; i < m.responses_by_class.size(); ++i) {
    m.responses_by_class[i] = c.responses_by_class[i].load();
  }
  m.bad_requests = c.bad_requests.load();
  m.bodies_too_large = c.bodies_too_large.load();
  m.headers_too_large = c.headers_too_large.load();
  m.read_timeouts = c.read_timeouts.load();
  m.handler_timeouts = c.handler_timeouts.load();
  m.streams_open = c.streams_open.load();
  m.tls_handshakes = c.tls_handshakes.load();
  m.tls_handshake_failures = c.tls_handshake_failures.load();
  return m;
}

}  // namespace govflow::api
