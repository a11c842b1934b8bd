// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (port 0) for the HTTP client's tests.
// One thread per connection, keep-alive, Content-Length bodies only. Behaviour by path:
//   /echo            200, body "<METHOD> <body>", echoes request header X-Echo as response X-Echo
//   /slow?ms=N       waits N ms, then 200 "slow"
//   /hang            reads the request, never answers (until Stop())
//   /drop            reads the request, closes the connection without an answer
//   /drop-first      like /drop the first time, then 200 "second"
//   /big?bytes=N     200 with an N-byte body
//   anything else    404
// Counts connections accepted and requests per path. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace govflow::connect::testing {

class TestHttpServer {
 public:
  TestHttpServer();  // binds and starts accepting; check port() != 0
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const;
  int connections() const { return connections_.load(); }
  int requests(const std::string& path) const;
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::map<std::string, int> requests_;
};

}  // namespace govflow::connect::testing
