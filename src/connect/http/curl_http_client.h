// CurlHttpClient: the production HttpClient, libcurl's multi interface driven by ONE background
// thread (curl_multi_poll, woken by curl_multi_wakeup when work arrives). Many exchanges are in
// flight at once over keep-alive connections that are reused; no thread ever blocks on a remote
// system. Thread-safe. Callbacks run on the client's thread and must not block.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "connect/http/http_client.h"

namespace govflow::connect {

struct CurlHttpClientOptions {
  // 0 = no limit. Connections beyond a limit wait inside libcurl (within the request timeout).
  long max_total_connections = 0;
  long max_connections_per_host = 0;
  // Idle connections kept open for reuse.
  long max_idle_connections = 256;
  // An idle connection older than this is not reused (servers close idle connections; reusing
  // one they are closing turns a create into an unknown outcome).
  std::chrono::seconds max_connection_age{30};
  // Larger bodies complete with kProtocolError.
  size_t max_response_bytes = 16u << 20;
  std::string user_agent = "govflow/0.1";
  // Extra CA bundle for https (empty = the system's).
  std::string ca_file;
};

class CurlHttpClient final : public HttpClient {
 public:
  // Starts the io thread. Fails only if libcurl cannot be initialised.
  static Result<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options = {});

  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;
  // Completes every outstanding exchange with kCancelled (on the io thread) and joins it.
  // Must not be called from inside a callback.
  ~CurlHttpClient() override;

  void Send(HttpRequest request, HttpCallback done) override;

  // Exchanges accepted and not yet completed (for tests and metrics).
  size_t in_flight() const;
  // Connections opened since start (CURLINFO_NUM_CONNECTS summed): shows keep-alive reuse.
  size_t connections_opened() const;

  class Impl;

 private:
  explicit CurlHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govflow::connect
