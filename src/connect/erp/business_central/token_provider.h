// TokenProvider: OAuth2 client-credentials bearer tokens for one Business Central connection.
// Caches the token; renews it `refresh_margin` before expiry (serving the still-valid old token
// meanwhile); callers that arrive while a fetch is out share it (one request, many waiters);
// Invalidate() drops a token the API rejected with 401. Thread-safe. Create with Make() (the
// object must be shared: HTTP callbacks keep it alive).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "connect/call_result.h"
#include "connect/http/http_client.h"

namespace govflow::connect::business_central {

struct TokenSettings {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds refresh_margin{300'000};
};

class TokenProvider : public std::enable_shared_from_this<TokenProvider> {
 public:
  using Callback = std::function<void(CallResult<std::string>)>;

  static std::shared_ptr<TokenProvider> Make(TokenSettings settings, HttpClient& http,
                                             const Clock& clock);

  // Calls back with a token (at once when cached) or the failure of fetching one: kAuth for
  // rejected credentials, kTransient/kThrottled when the token endpoint is unavailable.
  void Get(Callback done);
  // Forgets `token` if it is the cached one, so the next Get fetches a fresh one.
  void Invalidate(const std::string& token);
  // Token requests sent so far.
  size_t fetches() const;

 private:
  TokenProvider(TokenSettings settings, HttpClient& http, const Clock& clock);
  void StartFetch();  // with mu_ NOT held
  void OnFetched(HttpResponse response);

  const TokenSettings settings_;
  HttpClient& http_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::string token_;                       // GUARDED_BY(mu_)
  std::chrono::nanoseconds refresh_at_{0};  // GUARDED_BY(mu_)
  std::chrono::nanoseconds expires_at_{0};  // GUARDED_BY(mu_)
  bool fetching_ = false;                   // GUARDED_BY(mu_)
  std::vector<Callback> waiters_;           // GUARDED_BY(mu_)
  size_t fetches_ = 0;                      // GUARDED_BY(mu_)
};

}  // namespace govflow::connect::business_central
