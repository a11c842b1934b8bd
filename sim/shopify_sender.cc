#include "sim/shopify_sender.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "sim/loopback_target.h"
#include "sim/rng.h"
#include "sim/shopify_order.h"

namespace govflow::sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

std::string ShopifySendReport::Summary() const {
  return "sent=" + std::to_string(sent) + " acked=" + std::to_string(acked);
}

std::string ShopifySendReport::Details() const {
  char buf[640];
  std::snprintf(
      buf, sizeof buf,
      "sent=%llu acked=%llu failed=%llu deliveries=%llu retries=%llu redeliveries=%llu "
      "non_2xx=%llu timeouts=%llu connection_errors=%llu bad_sku=%llu "
      "blocked_customer=%llu elapsed=%.2fs rate=%.0f/s ack_p50=%.2fms ack_p99=%.2fms "
      "ack_max=%.2fms max_lag=%.1fms%s",
      static_cast<unsigned long long>(sent), static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(failed), static_cast<unsigned long long>(deliveries),
      static_cast<unsigned long long>(retries), static_cast<unsigned long long>(redeliveries),
      static_cast<unsigned long long>(non_2xx), static_cast<unsigned long long>(timeouts),
      static_cast<unsigned long long>(connection_errors),
      static_cast<unsigned long long>(bad_sku_orders),
      static_cast<unsigned long long>(blocked_customer_orders), elapsed_seconds,
      elapsed_seconds > 0 ? static_cast<double>(sent) / elapsed_seconds : 0.0, ack_p50_ms,
      ack_p99_ms, ack_max_ms, max_schedule_lag_ms, cancelled ? " cancelled" : "");
  return buf;
}

namespace {

// One order's webhook, kept for its retries and redelivery.
struct Delivery {
  ShopifyOrder order;
  std::string hmac;
  int attempts = 0;
};

struct Job {
  std::shared_ptr<Delivery> delivery;
  SteadyClock::time_point at;
  bool redelivery = false;
  bool operator>(const Job& o) const { return at > o.at; }
};

}  // namespace

class ShopifySender::Impl {
 public:
  Impl(ShopifySenderOptions options, LoopbackTarget target)
      : options_(std::move(options)),
        target_(std::move(target)),
        rng_(SimRng::Mix(options_.seed ^ 0x5e7de4ULL)),
        pump_timer_(ioc_),
        progress_timer_(ioc_) {
    order_options_.seed = options_.seed;
    order_options_.bad_sku = options_.bad_sku;
    order_options_.blocked_customer = options_.blocked_customer;
    order_options_.shop_domain = options_.shop_domain;
  }

  void Run();
  void Cancel() {
    asio::post(ioc_, [this] { Finish(true); });
  }
  ShopifySendReport Wait() {
    if (thread_.joinable()) thread_.join();
    return Progress();
  }
  ShopifySendReport Progress() const {
    std::lock_guard<std::mutex> lock(mu_);
    return report_;
  }
  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

 private:
  class Connection;
  friend class Connection;

  void Pump();
  void OnResult(const Job& job, int status, std::optional<int> retry_after_seconds, bool timed_out,
                bool connection_error, double latency_ms);
  void Finish(bool cancelled);
  void ReportProgress(bool final_report);
  bool Done() const { return next_index_ >= options_.orders && queue_.empty() && busy_ == 0; }
  template <typename F>
  void Update(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(report_);
  }

  ShopifySenderOptions options_;
  LoopbackTarget target_;
  ShopifyOrderOptions order_options_;
  SimRng rng_;
  asio::io_context ioc_{1};
  asio::steady_timer pump_timer_;
  asio::steady_timer progress_timer_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> queue_;  // retries, redeliveries
  uint64_t next_index_ = 0;
  int busy_ = 0;
  bool finished_ = false;
  SteadyClock::time_point start_;
  std::vector<double> latencies_ms_;
  size_t reported_latencies_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  ShopifySendReport report_;  // guarded by mu_
};

// One keep-alive connection with at most one request in flight.
class ShopifySender::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(Impl* impl) : impl_(impl), stream_(impl->ioc_) {}

  bool busy() const { return busy_; }

  void Send(Job job) {
    busy_ = true;
    job_ = std::move(job);
    resent_on_fresh_ = false;
    BuildRequest();
    if (connected_) {
      Write(/*reused=*/true);
    } else {
      Connect();
    }
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    connected_ = false;
  }

 private:
  void BuildRequest() {
    const Delivery& d = *job_.delivery;
    const ShopifySenderOptions& o = impl_->options_;
    req_ = {};
    req_.method(http::verb::post);
    req_.target(impl_->target_.target);
    req_.version(11);
    req_.set(http::field::host, impl_->target_.host_header);
    req_.set(http::field::user_agent, "Shopify-Captain-Hook");
    req_.set(http::field::accept, "*/*");
    req_.set(http::field::content_type, "application/json");
    req_.set("X-Shopify-Topic", o.topic);
    req_.set("X-Shopify-Hmac-Sha256", d.hmac);
    req_.set("X-Shopify-Shop-Domain", o.shop_domain);
    req_.set("X-Shopify-API-Version", o.api_version);
    req_.set("X-Shopify-Webhook-Id", d.order.webhook_id);
    req_.set("X-Shopify-Triggered-At", d.order.triggered_at);
    req_.set("X-Shopify-Event-Id", d.order.event_id);
    req_.keep_alive(true);
    req_.body() = d.order.body;
    req_.prepare_payload();
  }

  void Connect() {
    beast::error_code ec;
    auto address = asio::ip::make_address(impl_->target_.host, ec);
    if (ec) return Done(0, std::nullopt, false, true);
    stream_.expires_after(impl_->options_.request_timeout);
    stream_.async_connect(tcp::endpoint(address, impl_->target_.port),
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) {
                              self->Close();
                              return self->Done(0, std::nullopt, ec == beast::error::timeout,
                                                ec != beast::error::timeout);
                            }
                            beast::error_code ignored;
                            self->stream_.socket().set_option(tcp::no_delay(true), ignored);
                            self->connected_ = true;
                            self->Write(/*reused=*/false);
                          });
  }

  void Write(bool reused) {
    sent_at_ = SteadyClock::now();
    stream_.expires_after(impl_->options_.request_timeout);
    http::async_write(stream_, req_,
                      [self = shared_from_this(), reused](beast::error_code ec, size_t) {
                        if (ec) return self->OnFailure(ec, reused);
                        self->res_.emplace();
                        self->res_->body_limit(size_t{1024} * 1024);
                        http::async_read(self->stream_, self->buffer_, *self->res_,
                                         [self, reused](beast::error_code ec, size_t) {
                                           if (ec) return self->OnFailure(ec, reused);
                                           self->OnResponse();
                                         });
                      });
  }

  void OnFailure(beast::error_code ec, bool reused) {
    Close();
    // A kept-alive connection the server had already closed: send once more on a fresh one
    // before calling it a failed attempt.
    if (reused && !resent_on_fresh_ && ec != beast::error::timeout) {
      resent_on_fresh_ = true;
      return Connect();
    }
    Done(0, std::nullopt, ec == beast::error::timeout, ec != beast::error::timeout);
  }

  void OnResponse() {
    auto& res = res_->get();
    int status = static_cast<int>(res.result_int());
    std::optional<int> retry_after;
    auto it = res.find(http::field::retry_after);
    if (it != res.end()) {
      int v = 0;
      std::string_view s = it->value();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc()) retry_after = v;
    }
    if (!res.keep_alive()) Close();
    Done(status, retry_after, false, false);
  }

  void Done(int status, std::optional<int> retry_after, bool timed_out, bool connection_error) {
    busy_ = false;
    double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - sent_at_).count();
    Job job = std::move(job_);
    impl_->OnResult(job, status, retry_after, timed_out, connection_error, ms);
  }

  Impl* impl_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::string_body>> res_;
  Job job_;
  SteadyClock::time_point sent_at_;
  bool busy_ = false;
  bool connected_ = false;
  bool resent_on_fresh_ = false;
};

void ShopifySender::Impl::Run() {
  start_ = SteadyClock::now();
  for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
    connections_.push_back(std::make_shared<Connection>(this));
  }
  latencies_ms_.reserve(std::min<uint64_t>(options_.orders, 10'000'000));
  asio::post(ioc_, [this] {
    Pump();
    ReportProgress(false);
  });
  ioc_.run();
  Update([&](ShopifySendReport& r) {
    r.elapsed_seconds = std::chrono::duration<double>(SteadyClock::now() - start_).count();
  });
  if (options_.on_progress) options_.on_progress(Progress());
}

void ShopifySender::Impl::Pump() {
  if (finished_) return;
  auto now = SteadyClock::now();
  for (auto& conn : connections_) {
    if (conn->busy()) continue;
    std::optional<Job> job;
    if (!queue_.empty() && queue_.top().at <= now) {
      job = queue_.top();
      queue_.pop();
    } else if (next_index_ < options_.orders) {
      auto due = start_;
      if (options_.rate_per_second > 0) {
        due += std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(
            static_cast<double>(next_index_) / options_.rate_per_second));
      }
      if (due <= now) {
        const double lag_ms = std::chrono::duration<double, std::milli>(now - due).count();
        auto d = std::make_shared<Delivery>();
        d->order = MakeShopifyOrder(order_options_, next_index_++);
        d->hmac = ShopifyHmacBase64(options_.secret, d->order.body);
        Update([&](ShopifySendReport& r) {
          ++r.sent;
          if (options_.rate_per_second > 0)
            r.max_schedule_lag_ms = std::max(r.max_schedule_lag_ms, lag_ms);
          if (d->order.has_bad_sku) ++r.bad_sku_orders;
          if (d->order.blocked_customer) ++r.blocked_customer_orders;
        });
        job = Job{std::move(d), now, false};
      }
    }
    if (!job) break;
    ++busy_;
    job->delivery->attempts += job->redelivery ? 0 : 1;
    Update([&](ShopifySendReport& r) {
      ++r.deliveries;
      if (job->redelivery)
        ++r.redeliveries;
      else if (job->delivery->attempts > 1)
        ++r.retries;
    });
    conn->Send(std::move(*job));
  }
  if (Done()) return Finish(false);
  // Wake up for the next due job when a connection is free.
  bool idle_connection = busy_ < static_cast<int>(connections_.size());
  if (!idle_connection) return;
  std::optional<SteadyClock::time_point> wake;
  if (!queue_.empty()) wake = queue_.top().at;
  if (next_index_ < options_.orders && options_.rate_per_second > 0) {
    auto due =
        start_ + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(
                     static_cast<double>(next_index_) / options_.rate_per_second));
    wake = wake ? std::min(*wake, due) : due;
  }
  if (wake) {
    pump_timer_.expires_at(*wake);
    pump_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) Pump();
    });
  }
}

void ShopifySender::Impl::OnResult(const Job& job, int status, std::optional<int> retry_after,
                                   bool timed_out, bool connection_error, double latency_ms) {
  --busy_;
  if (finished_) return;
  const bool ok = status >= 200 && status < 300;
  Update([&](ShopifySendReport& r) {
    if (timed_out) ++r.timeouts;
    if (connection_error) ++r.connection_errors;
    if (status != 0 && !ok) ++r.non_2xx;
  });
  if (!job.redelivery) {
    if (ok) {
      latencies_ms_.push_back(latency_ms);
      Update([](ShopifySendReport& r) { ++r.acked; });
      if (rng_.Chance(options_.redeliver)) {
        auto delay = std::chrono::milliseconds(rng_.Between(50, 500));
        queue_.push(Job{job.delivery, SteadyClock::now() + delay, true});
      }
    } else if (job.delivery->attempts >= options_.max_attempts) {
      Update([](ShopifySendReport& r) { ++r.failed; });
    } else {
      int exponent = std::min(job.delivery->attempts - 1, 20);
      double backoff_ms = std::min<double>(
          static_cast<double>(options_.backoff_max.count()),
          static_cast<double>(options_.backoff_initial.count()) * std::pow(2.0, exponent));
      backoff_ms *= 0.5 + 0.5 * rng_.Unit();  // jitter
      if (retry_after) backoff_ms = std::max(backoff_ms, *retry_after * 1000.0);
      queue_.push(Job{
          job.delivery,
          SteadyClock::now() + std::chrono::microseconds(static_cast<int64_t>(backoff_ms * 1000.0)),
          false});
    }
  }
  Pump();
}

void ShopifySender::Impl::ReportProgress(bool final_report) {
  if (finished_ && !final_report) return;
  // Progress reports give the percentiles of the acknowledgements since the previous report
  // (sorting only those); the final report sorts them all once.
  const size_t from = final_report ? 0 : reported_latencies_;
  if (latencies_ms_.size() > from) {
    std::vector<double> sorted(latencies_ms_.begin() + static_cast<std::ptrdiff_t>(from),
                               latencies_ms_.end());
    std::sort(sorted.begin(), sorted.end());
    auto at = [&](double q) {
      return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))];
    };
    Update([&](ShopifySendReport& r) {
      r.ack_p50_ms = at(0.50);
      r.ack_p99_ms = at(0.99);
      r.ack_max_ms = sorted.back();
    });
    reported_latencies_ = latencies_ms_.size();
  }
  Update([&](ShopifySendReport& r) {
    r.elapsed_seconds = std::chrono::duration<double>(SteadyClock::now() - start_).count();
  });
  if (final_report) return;
  if (options_.on_progress) options_.on_progress(Progress());
  progress_timer_.expires_after(std::chrono::seconds(1));
  progress_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) ReportProgress(false);
  });
}

void ShopifySender::Impl::Finish(bool cancelled) {
  if (finished_) return;
  finished_ = true;
  ReportProgress(true);
  Update([&](ShopifySendReport& r) { r.cancelled = cancelled; });
  pump_timer_.cancel();
  progress_timer_.cancel();
  for (auto& conn : connections_) conn->Close();
  if (cancelled) ioc_.stop();
}

ShopifySender::ShopifySender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ShopifySender::~ShopifySender() {
  Cancel();
  impl_->Wait();
}

Result<std::unique_ptr<ShopifySender>> ShopifySender::Start(ShopifySenderOptions options) {
  GOVFLOW_ASSIGN_OR_RETURN(LoopbackTarget target, ParseLoopbackTarget(options.target_url));
  if (options.secret.empty()) return InvalidArgument("shopify sender: --secret must not be empty");
  if (options.concurrency < 1) return InvalidArgument("shopify sender: concurrency must be >= 1");
  if (options.max_attempts < 1) return InvalidArgument("shopify sender: max attempts must be >= 1");
  if (options.rate_per_second < 0) return InvalidArgument("shopify sender: rate must be >= 0");
  for (double f : {options.redeliver, options.bad_sku, options.blocked_customer}) {
    if (f < 0 || f > 1) return InvalidArgument("shopify sender: fractions must be in [0,1]");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(target));
  impl->StartThread();
  return std::unique_ptr<ShopifySender>(new ShopifySender(std::move(impl)));
}

ShopifySendReport ShopifySender::Wait() {
  return impl_->Wait();
}
ShopifySendReport ShopifySender::Progress() const {
  return impl_->Progress();
}
void ShopifySender::Cancel() {
  impl_->Cancel();
}

Result<ShopifySendReport> SendShopifyOrders(ShopifySenderOptions options) {
  GOVFLOW_ASSIGN_OR_RETURN(auto sender, ShopifySender::Start(std::move(options)));
  return sender->Wait();
}

}  // namespace govflow::sim
