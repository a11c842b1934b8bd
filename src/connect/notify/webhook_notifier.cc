#include <curl/curl.h>
#include <sodium.h>

#include <string>

#include "connect/notify/notifier.h"

namespace govflow::connect::notify {
namespace {

size_t Discard(char* /*ptr*/, size_t size, size_t nmemb, void* /*user*/) {
  return size * nmemb;
}

}  // namespace

std::string WebhookSignature(std::string_view key, std::string_view body) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  crypto_auth_hmacsha256_final(&state, mac);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : mac) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

Status WebhookNotifier::Send(const Notification& n) {
  if (!n.address.starts_with("http://") && !n.address.starts_with("https://")) {
    return InvalidArgument("webhook address must be an http(s) URL: " + n.address);
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  const std::string body = n.json.empty() ? "{}" : n.json;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, ("X-Govflow-Notification-Id: " + n.id).c_str());
  if (!options_.signing_key.empty()) {
    headers = curl_slist_append(
        headers,
        ("X-Govflow-Signature: sha256=" + WebhookSignature(options_.signing_key, body)).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, n.address.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "govflow-notify/0.1");
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Unavailable("webhook " + n.address + ": " + curl_easy_strerror(rc));
  }
  if (status < 200 || status >= 300) {
    return Unavailable("webhook " + n.address + " answered HTTP " + std::to_string(status));
  }
  return Status::Ok();
}

Status RoutingNotifier::Send(const Notification& n) {
  auto it = routes_.find(n.channel);
  if (it == routes_.end() || it->second == nullptr) {
    return InvalidArgument("no notifier for channel '" + n.channel + "'");
  }
  return it->second->Send(n);
}

}  // namespace govflow::connect::notify
