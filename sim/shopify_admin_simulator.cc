#include "sim/shopify_admin_simulator.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

namespace govflow::sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The same plumbing as ErpSimulator's (one io thread, keep-alive sessions, injected delays and
// held connections), around ShopifyAdminService.
class ShopifyAdminSimulator::Impl {
 public:
  explicit Impl(ShopifyAdminOptions options)
      : options_(std::move(options)),
        service_(options_),
        ioc_(std::make_unique<asio::io_context>(1)),
        acceptor_(std::in_place, *ioc_) {}

  Status Listen();
  void Run() {
    thread_ = std::thread([this] { ioc_->run(); });
  }
  void Stop() {
    std::call_once(stop_once_, [this] {
      ioc_->stop();
      if (thread_.joinable()) thread_.join();
      acceptor_.reset();
      ioc_.reset();
    });
  }

  AdminReply Handle(const AdminRequest& request) {
    std::lock_guard<std::mutex> lock(mu_);
    return service_.Handle(request, std::chrono::steady_clock::now());
  }
  template <typename F>
  auto WithService(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(service_);
  }

  uint16_t port() const { return port_; }

 private:
  void Accept();

  ShopifyAdminOptions options_;
  std::mutex mu_;
  ShopifyAdminService service_;  // guarded by mu_
  std::unique_ptr<asio::io_context> ioc_;
  std::optional<tcp::acceptor> acceptor_;
  std::thread thread_;
  std::once_flag stop_once_;
  uint16_t port_ = 0;
};

namespace {

// One client connection: read a request, answer it (after any injected delay), repeat while the
// client keeps the connection alive. Lives as long as a handler holds it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ShopifyAdminSimulator::Impl* impl)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), impl_(impl) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(size_t{8} * 1024 * 1024);
    stream_.expires_after(std::chrono::minutes(5));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // libcurl sends "Expect: 100-continue" before larger bodies and waits (1 s by default) for a
  // go-ahead; answer it at once, as IIS in front of Business Central does.
  void OnHeader(beast::error_code ec) {
    if (ec) return OnRead(ec);
    auto expect = parser_->get().find(http::field::expect);
    if (expect != parser_->get().end() && beast::iequals(expect->value(), "100-continue")) {
      continue_.emplace(http::status::continue_, parser_->get().version());
      http::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      if (ec != http::error::end_of_stream)
        Close();
      else
        Shutdown();
      return;
    }
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    AdminRequest request;
    request.method = req.method_string();
    request.target = req.target();
    auto token = req.find("X-Shopify-Access-Token");
    if (token != req.end()) request.access_token = token->value();
    auto host = req.find(http::field::host);
    if (host != req.end()) request.host = host->value();
    request.body = req.body();
    AdminReply reply = impl_->Handle(request);

    if (reply.action == AdminReply::Action::kHoldAndClose) {
      stream_.expires_never();
      timer_.expires_after(reply.hold);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Close(); });
      return;
    }
    res_ = {};
    res_.version(req.version());
    res_.result(static_cast<http::status>(reply.status));
    res_.set(http::field::content_type, "application/json; charset=utf-8");
    for (auto& [name, value] : reply.headers) res_.set(name, value);
    res_.keep_alive(keep_alive_);
    res_.body() = std::move(reply.body);
    res_.prepare_payload();
    if (reply.delay.count() > 0) {
      timer_.expires_after(reply.delay);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Write(); });
    } else {
      Write();
    }
  }

  void Write() {
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      if (!self->keep_alive_) return self->Shutdown();
      self->Read();
    });
  }

  void Shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::optional<http::response<http::empty_body>> continue_;
  bool keep_alive_ = true;
  ShopifyAdminSimulator::Impl* impl_;
};

}  // namespace

Status ShopifyAdminSimulator::Impl::Listen() {
  std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec)
    return InvalidArgument("shopify admin simulator: bad listen address '" + options_.host + "'");
  if (!address.is_loopback()) {
    return InvalidArgument("shopify admin simulator: refusing to listen on non-loopback address '" +
                           options_.host + "'");
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("shopify admin simulator: cannot listen on " + host + ":" +
                       std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint().port();
  Accept();
  return Status::Ok();
}

void ShopifyAdminSimulator::Impl::Accept() {
  acceptor_->async_accept(*ioc_, [this](beast::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      beast::error_code ignored;
      s.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(s), this)->Start();
    }
    Accept();
  });
}

ShopifyAdminSimulator::ShopifyAdminSimulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ShopifyAdminSimulator::~ShopifyAdminSimulator() {
  Stop();
}

Result<std::unique_ptr<ShopifyAdminSimulator>> ShopifyAdminSimulator::Start(
    ShopifyAdminOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  GOVFLOW_RETURN_IF_ERROR(impl->Listen());
  impl->Run();
  return std::unique_ptr<ShopifyAdminSimulator>(new ShopifyAdminSimulator(std::move(impl)));
}

uint16_t ShopifyAdminSimulator::port() const {
  return impl_->port();
}
std::string ShopifyAdminSimulator::shop_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port());
}
ShopifyAdminStats ShopifyAdminSimulator::stats() const {
  return impl_->WithService([](ShopifyAdminService& s) { return s.Stats(); });
}
std::optional<SimVariant> ShopifyAdminSimulator::Variant(int64_t id) const {
  return impl_->WithService([id](ShopifyAdminService& s) { return s.Variant(id); });
}
std::optional<SimVariant> ShopifyAdminSimulator::VariantBySku(std::string_view sku) const {
  return impl_->WithService([sku](ShopifyAdminService& s) { return s.VariantBySku(sku); });
}
std::vector<SimVariant> ShopifyAdminSimulator::Variants() const {
  return impl_->WithService([](ShopifyAdminService& s) { return s.Variants(); });
}
void ShopifyAdminSimulator::QueueFault(QueuedFault fault) {
  impl_->WithService([fault](ShopifyAdminService& s) {
    s.QueueFault(fault);
    return 0;
  });
}
bool ShopifyAdminSimulator::SetPrice(int64_t variant_id, int64_t cents) {
  return impl_->WithService(
      [variant_id, cents](ShopifyAdminService& s) { return s.SetPrice(variant_id, cents); });
}
void ShopifyAdminSimulator::Reset() {
  impl_->WithService([](ShopifyAdminService& s) {
    s.Reset();
    return 0;
  });
}
void ShopifyAdminSimulator::Stop() {
  impl_->Stop();
}

}  // namespace govflow::sim
