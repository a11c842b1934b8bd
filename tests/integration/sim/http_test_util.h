// Test helpers for the simulator tests: a blocking libcurl client and a tiny HTTP/1.1 receiver on
// a loopback port (plain sockets) that records webhook deliveries. Test-only; the receiver runs
// one thread per connection and its accessors are thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace govflow::sim::testing {

struct HttpResult {
  long status = 0;    // 0 when no answer came (timeout, connection closed)
  int curl_code = 0;  // CURLcode
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  double seconds = 0;
};

// One request; `headers` are "Name: value" lines. timeout_ms bounds the whole exchange.
HttpResult HttpCall(const std::string& method, const std::string& url, const std::string& body = "",
                    const std::vector<std::string>& headers = {}, long timeout_ms = 5000);

// Gets a bearer token from the ERP simulator at base_url.
std::string FetchToken(const std::string& base_url);

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class TinyReceiver {
 public:
  // `respond` picks the status for each request (default 200).
  explicit TinyReceiver(std::function<int(const ReceivedRequest&)> respond = nullptr);
  ~TinyReceiver();
  int port() const { return port_; }
  std::vector<ReceivedRequest> requests() const;

 private:
  void AcceptLoop();
  void Serve(int fd);

  std::function<int(const ReceivedRequest&)> respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
  std::vector<ReceivedRequest> requests_;
};

}  // namespace govflow::sim::testing
