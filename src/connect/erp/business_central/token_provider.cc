#include "connect/erp/business_central/token_provider.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "connect/erp/business_central/classification.h"
#include "connect/http/url_encoding.h"

namespace govflow::connect::business_central {

std::shared_ptr<TokenProvider> TokenProvider::Make(TokenSettings settings, HttpClient& http,
                                                   const Clock& clock) {
  return std::shared_ptr<TokenProvider>(new TokenProvider(std::move(settings), http, clock));
}

TokenProvider::TokenProvider(TokenSettings settings, HttpClient& http, const Clock& clock)
    : settings_(std::move(settings)), http_(http), clock_(clock) {}

void TokenProvider::Get(Callback done) {
  bool start = false;
  std::string cached;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.Monotonic();
    const bool valid = !token_.empty() && now < expires_at_;
    if (valid && now >= refresh_at_ && !fetching_) {
      fetching_ = true;  // renew in the background; this caller still gets the valid token
      start = true;
    }
    if (valid) {
      cached = token_;
    } else {
      waiters_.push_back(std::move(done));
      if (!fetching_) {
        fetching_ = true;
        start = true;
      }
    }
  }
  if (start) StartFetch();
  if (!cached.empty()) done(std::move(cached));
}

void TokenProvider::Invalidate(const std::string& token) {
  std::lock_guard lock(mu_);
  if (token == token_) {
    token_.clear();
    expires_at_ = refresh_at_ = std::chrono::nanoseconds(0);
  }
}

size_t TokenProvider::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

void TokenProvider::StartFetch() {
  {
    std::lock_guard lock(mu_);
    ++fetches_;
  }
  HttpRequest req;
  req.method = HttpMethod::kPost;
  req.url = settings_.token_url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = FormEncode({{"grant_type", "client_credentials"},
                         {"client_id", settings_.client_id},
                         {"client_secret", settings_.client_secret},
                         {"scope", settings_.scope}});
  req.timeout = settings_.timeout;
  req.connect_timeout = settings_.connect_timeout;
  req.idempotent = true;  // a second token is harmless
  auto self = shared_from_this();
  http_.Send(std::move(req), [self](HttpResponse r) { self->OnFetched(std::move(r)); });
}

void TokenProvider::OnFetched(HttpResponse response) {
  std::optional<CallFailure> failure = Classify(response, RequestKind::kRead, clock_.Now());
  std::string token;
  std::chrono::seconds lifetime{0};
  if (!failure) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(response.body, ec);
    const boost::json::object* o = (!ec && v.is_object()) ? &v.get_object() : nullptr;
    const boost::json::value* at = o ? o->if_contains("access_token") : nullptr;
    const boost::json::value* exp = o ? o->if_contains("expires_in") : nullptr;
    if (at != nullptr && at->is_string() && !at->get_string().empty()) {
      token = std::string(at->get_string());
      int64_t secs = 3599;
      if (exp != nullptr && exp->is_int64()) secs = exp->get_int64();
      if (exp != nullptr && exp->is_string()) secs = std::atoll(exp->get_string().c_str());
      lifetime = std::chrono::seconds(std::max<int64_t>(secs, 1));
    } else {
      failure = CallFailure{ErrorClass::kTransient, response.status, "invalid_token_response",
                            "token endpoint answered without access_token", std::nullopt};
    }
  }
  std::vector<Callback> waiters;
  {
    std::lock_guard lock(mu_);
    fetching_ = false;
    waiters.swap(waiters_);
    if (failure && !token_.empty()) {
      // A background renewal failed while the old token still works: try again in a while
      // rather than on every call.
      refresh_at_ = std::min(expires_at_, clock_.Monotonic() + std::chrono::seconds(10));
    }
    if (!failure) {
      const auto now = clock_.Monotonic();
      const auto margin =
          std::min<std::chrono::nanoseconds>(settings_.refresh_margin, lifetime / 2);
      token_ = token;
      expires_at_ = now + lifetime;
      refresh_at_ = expires_at_ - margin;
    }
  }
  for (auto& w : waiters) {
    if (failure) {
      CallFailure f = *failure;
      f.message = "token: " + f.message;
      w(std::move(f));
    } else {
      w(token);
    }
  }
}

}  // namespace govflow::connect::business_central
