#include "connect/http/fake_http_client.h"

#include <utility>

namespace govflow::connect {

void FakeHttpClient::Enqueue(HttpResponse response) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(response));
}

void FakeHttpClient::EnqueueStatus(int status, std::string body, HttpHeaders headers) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.may_have_reached_server = true;
  Enqueue(std::move(r));
}

void FakeHttpClient::EnqueueTransportError(TransportError error, bool may_have_reached_server) {
  HttpResponse r;
  r.error = error;
  r.may_have_reached_server = may_have_reached_server;
  r.error_message = std::string("fake ") + std::string(TransportErrorName(error));
  Enqueue(std::move(r));
}

void FakeHttpClient::SetHandler(Handler handler) {
  std::lock_guard lock(mu_);
  handler_ = std::move(handler);
}

void FakeHttpClient::set_deferred(bool deferred) {
  std::lock_guard lock(mu_);
  deferred_ = deferred;
}

HttpResponse FakeHttpClient::Answer(const HttpRequest& request) {
  Handler handler;
  {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) {
      HttpResponse r = std::move(queue_.front());
      queue_.pop_front();
      return r;
    }
    handler = handler_;
  }
  if (handler) return handler(request);
  HttpResponse r;
  r.error = TransportError::kConnectFailed;
  r.error_message = "FakeHttpClient: no scripted answer";
  return r;
}

void FakeHttpClient::Send(HttpRequest request, HttpCallback done) {
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (deferred_) {
      held_.emplace_back(std::move(request), std::move(done));
      return;
    }
  }
  HttpResponse r = Answer(request);
  done(std::move(r));
}

bool FakeHttpClient::CompleteNext() {
  std::pair<HttpRequest, HttpCallback> next;
  {
    std::lock_guard lock(mu_);
    if (held_.empty()) return false;
    next = std::move(held_.front());
    held_.pop_front();
  }
  HttpResponse r = Answer(next.first);
  next.second(std::move(r));
  return true;
}

size_t FakeHttpClient::CompleteAll() {
  size_t n = 0;
  while (CompleteNext()) ++n;
  return n;
}

size_t FakeHttpClient::held() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

std::vector<HttpRequest> FakeHttpClient::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t FakeHttpClient::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

}  // namespace govflow::connect
