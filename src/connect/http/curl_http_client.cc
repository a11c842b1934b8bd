// libcurl multi driven by one thread. The only file that includes libcurl's headers.
//
// Why request bodies go through a read callback and not CURLOPT_POSTFIELDS: when a reused
// keep-alive connection dies before any answer byte arrives, libcurl silently re-sends the request
// on a fresh connection. For a create that is a second create. Feeding the body through
// CURLOPT_READFUNCTION with a CURLOPT_SEEKFUNCTION that refuses to rewind a non-idempotent body
// turns that silent re-send into CURLE_SEND_FAIL_REWIND, which we report as kConnectionReset with
// may_have_reached_server = true, so that the caller settles the outcome by looking up.
#include "connect/http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace govflow::connect {
namespace {

std::once_flag g_curl_global_once;
CURLcode g_curl_global_status = CURLE_OK;

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpRequest request;
  HttpCallback done;
  HttpResponse response;
  size_t max_response_bytes = 0;
  size_t body_offset = 0;
  bool body_read_started = false;
  bool response_too_large = false;
  std::chrono::nanoseconds started{0};
  char error_buffer[CURL_ERROR_SIZE] = {0};
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response.body.size() + n > t->max_response_bytes) {
    t->response_too_large = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response head (after 1xx): keep only the final one
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response.headers.emplace_back(std::string(name), std::string(value));
  return n;
}

size_t OnReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->body_read_started = true;
  const std::string& body = t->request.body;
  const size_t n = std::min(size * count, body.size() - std::min(t->body_offset, body.size()));
  if (n > 0) std::memcpy(buffer, body.data() + t->body_offset, n);
  t->body_offset += n;
  return n;
}

int OnSeekBody(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  // Rewinding means libcurl wants to send the body again. Refuse for non-idempotent requests
  // once any of the body went out: the server may already have acted on it.
  if (!t->request.idempotent && t->body_read_started) return CURL_SEEKFUNC_FAIL;
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  t->body_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// Whether any of the request may have left this process, judged after a failed transfer.
bool MayHaveReachedServer(const Transfer& t) {
  if (t.body_read_started) return true;
  curl_off_t pretransfer_us = 0;
  long request_size = 0;
  curl_easy_getinfo(t.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
  curl_easy_getinfo(t.easy, CURLINFO_REQUEST_SIZE, &request_size);
  return pretransfer_us > 0 || request_size > 0;
}

}  // namespace

class CurlHttpClient::Impl {
 public:
  explicit Impl(CurlHttpClientOptions options) : options_(std::move(options)) {}

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
    if (thread_.joinable()) thread_.join();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  Status Start() {
    std::call_once(g_curl_global_once,
                   [] { g_curl_global_status = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (g_curl_global_status != CURLE_OK) {
      return Internal(std::string("curl_global_init: ") + curl_easy_strerror(g_curl_global_status));
    }
    multi_ = curl_multi_init();
    if (multi_ == nullptr) return Internal("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, options_.max_total_connections);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections_per_host);
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_idle_connections);
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  void Send(HttpRequest request, HttpCallback done) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        ++in_flight_;
        incoming_.push_back(std::move(t));
      }
    }
    if (t == nullptr) {
      curl_multi_wakeup(multi_);
      return;
    }
    // Shut down: complete at once, on the caller's thread.
    t->response.error = TransportError::kCancelled;
    t->response.error_message = "http client is shutting down";
    t->done(std::move(t->response));
  }

  size_t in_flight() const {
    std::lock_guard lock(mu_);
    return in_flight_;
  }
  size_t connections_opened() const { return connections_opened_.load(); }

 private:
  void Run() {
    std::vector<std::unique_ptr<Transfer>> batch;
    while (true) {
      bool stopping = false;
      {
        std::lock_guard lock(mu_);
        batch.swap(incoming_);
        stopping = stopping_;
      }
      for (auto& t : batch) Start(std::move(t));
      batch.clear();
      if (stopping) break;
      int running = 0;
      curl_multi_perform(multi_, &running);
      CollectFinished();
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    // Shut down: everything still open completes as cancelled.
    std::vector<CURL*> open;
    open.reserve(active_.size());
    for (auto& [easy, t] : active_) open.push_back(easy);
    for (CURL* easy : open) {
      Finish(easy, CURLE_ABORTED_BY_CALLBACK, /*cancelled=*/true);
    }
  }

  void Start(std::unique_ptr<Transfer> t) {
    t->max_response_bytes = options_.max_response_bytes;
    t->started = SystemClock::Get().Monotonic();
    CURL* easy = curl_easy_init();
    if (easy == nullptr) {
      Complete(std::move(t), TransportError::kInvalidRequest, false, "curl_easy_init failed");
      return;
    }
    t->easy = easy;
    const HttpRequest& r = t->request;
    if (r.timeout.count() <= 0 || r.url.empty()) {
      Complete(std::move(t), TransportError::kInvalidRequest, false,
               r.url.empty() ? "empty url" : "timeout must be positive");
      return;
    }
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, r.connect_timeout.count())));
    curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN,
                     static_cast<long>(options_.max_connection_age.count()));
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());

    const bool has_body = r.method == HttpMethod::kPost || r.method == HttpMethod::kPut ||
                          r.method == HttpMethod::kPatch || !r.body.empty();
    switch (r.method) {
      case HttpMethod::kGet:
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        break;
      case HttpMethod::kPost:
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        break;
      default:
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST,
                         std::string(HttpMethodName(r.method)).c_str());
        break;
    }
    if (has_body) {
      if (r.method != HttpMethod::kPost) curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      if (r.method == HttpMethod::kPost) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      } else {
        curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      }
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnReadBody);
      curl_easy_setopt(easy, CURLOPT_READDATA, t.get());
      curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &OnSeekBody);
      curl_easy_setopt(easy, CURLOPT_SEEKDATA, t.get());
    }
    for (const auto& [name, value] : r.headers) {
      std::string line = name + ": " + value;
      if (value.empty()) line = name + ";";  // libcurl's spelling of an empty header
      t->header_list = curl_slist_append(t->header_list, line.c_str());
    }
    // No "Expect: 100-continue" round trip; a custom request keeps libcurl's default otherwise.
    t->header_list = curl_slist_append(t->header_list, "Expect:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->header_list);

    Transfer* raw = t.get();
    active_.emplace(easy, std::move(t));
    const CURLMcode mc = curl_multi_add_handle(multi_, easy);
    if (mc != CURLM_OK) {
      auto node = active_.extract(easy);
      Complete(std::move(node.mapped()), TransportError::kInvalidRequest, false,
               std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc));
    }
    (void)raw;
  }

  void CollectFinished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Finish(msg->easy_handle, msg->data.result, /*cancelled=*/false);
    }
  }

  void Finish(CURL* easy, CURLcode code, bool cancelled) {
    auto node = active_.extract(easy);
    if (node.empty()) return;
    std::unique_ptr<Transfer> t = std::move(node.mapped());
    curl_multi_remove_handle(multi_, easy);
    long connects = 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    connections_opened_ += static_cast<size_t>(std::max(0L, connects));
    const bool reached = MayHaveReachedServer(*t);
    const std::string detail =
        t->error_buffer[0] != 0 ? std::string(t->error_buffer) : curl_easy_strerror(code);
    if (cancelled) {
      Complete(std::move(t), TransportError::kCancelled, reached, "http client shut down");
      return;
    }
    switch (code) {
      case CURLE_OK: {
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        t->response.status = static_cast<int>(status);
        Complete(std::move(t), TransportError::kNone, true, "");
        return;
      }
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE:
        // The body is only read once connected, so this is false unless an earlier attempt on
        // a reused connection sent it.
        Complete(std::move(t), TransportError::kConnectFailed, t->body_read_started, detail);
        return;
      case CURLE_OPERATION_TIMEDOUT:
        Complete(std::move(t), TransportError::kTimeout, reached, detail);
        return;
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        Complete(std::move(t), TransportError::kInvalidRequest, false, detail);
        return;
      case CURLE_WRITE_ERROR:
        if (t->response_too_large) {
          Complete(std::move(t), TransportError::kProtocolError, true,
                   "response body larger than " + std::to_string(t->max_response_bytes) + " bytes");
          return;
        }
        Complete(std::move(t), TransportError::kProtocolError, reached, detail);
        return;
      case CURLE_WEIRD_SERVER_REPLY:
      case CURLE_BAD_CONTENT_ENCODING:
        Complete(std::move(t), TransportError::kProtocolError, reached, detail);
        return;
      default:  // send/recv errors, nothing received, partial body, refused rewind, HTTP/2 errors
        Complete(std::move(t), TransportError::kConnectionReset, reached, detail);
        return;
    }
  }

  // Fills in the response, releases libcurl resources and calls back. Runs on the io thread.
  void Complete(std::unique_ptr<Transfer> t, TransportError error, bool reached,
                std::string message) {
    t->response.error = error;
    if (error != TransportError::kNone) {
      t->response.status = 0;
      t->response.may_have_reached_server = reached;
      t->response.error_message = std::move(message);
    } else {
      t->response.may_have_reached_server = true;
    }
    t->response.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        SystemClock::Get().Monotonic() - t->started);
    if (t->easy != nullptr) curl_easy_cleanup(t->easy);
    if (t->header_list != nullptr) curl_slist_free_all(t->header_list);
    t->easy = nullptr;
    t->header_list = nullptr;
    HttpCallback done = std::move(t->done);
    HttpResponse response = std::move(t->response);
    t.reset();
    {
      std::lock_guard lock(mu_);
      --in_flight_;
    }
    done(std::move(response));
  }

  const CurlHttpClientOptions options_;
  CURLM* multi_ = nullptr;
  std::thread thread_;
  // Owned by the io thread.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::atomic<size_t> connections_opened_{0};

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Transfer>> incoming_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                            // GUARDED_BY(mu_)
  size_t in_flight_ = 0;                             // GUARDED_BY(mu_)
};

Result<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(CurlHttpClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  GOVFLOW_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(impl)));
}

CurlHttpClient::CurlHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CurlHttpClient::~CurlHttpClient() = default;

void CurlHttpClient::Send(HttpRequest request, HttpCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

size_t CurlHttpClient::in_flight() const {
  return impl_->in_flight();
}
size_t CurlHttpClient::connections_opened() const {
  return impl_->connections_opened();
}

}  // namespace govflow::connect
