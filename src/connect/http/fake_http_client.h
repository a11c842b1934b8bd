// FakeHttpClient: an in-memory HttpClient for tests. It records every request and answers from a
// script (queued responses, or a handler function). By default it answers inside Send (on the
// caller's thread); with set_deferred(true) answers wait until CompleteNext()/CompleteAll(), so a
// test can hold requests "in flight". Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "connect/http/http_client.h"

namespace govflow::connect {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Queues an answer; queued answers are used first, in order, before the handler.
  void Enqueue(HttpResponse response);
  // Convenience: an answer with status and body (and optional headers).
  void EnqueueStatus(int status, std::string body, HttpHeaders headers = {});
  // Convenience: a transport failure.
  void EnqueueTransportError(TransportError error, bool may_have_reached_server);
  // Answers requests when the queue is empty. Without a handler (and queue) a request gets
  // kConnectFailed with may_have_reached_server = false.
  void SetHandler(Handler handler);
  void set_deferred(bool deferred);

  void Send(HttpRequest request, HttpCallback done) override;

  // Deferred mode: answers the oldest held request. Returns false if none is held.
  bool CompleteNext();
  // Deferred mode: answers held requests until none is left (including ones sent meanwhile).
  size_t CompleteAll();
  size_t held() const;

  // Every request sent so far, in order.
  std::vector<HttpRequest> requests() const;
  size_t request_count() const;

 private:
  HttpResponse Answer(const HttpRequest& request);

  mutable std::mutex mu_;
  std::deque<HttpResponse> queue_;
  Handler handler_;
  bool deferred_ = false;
  std::vector<HttpRequest> requests_;
  std::deque<std::pair<HttpRequest, HttpCallback>> held_;
};

}  // namespace govflow::connect
