#include "connect/shopify/webhook_verifier.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <cctype>

#include "connect/config_reader.h"

namespace govflow::connect::shopify {
namespace {

constexpr size_t kHmacBytes = 32;  // SHA-256

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// OpenSSL's HMAC-SHA256 (the CPU's SHA extensions): about 12 us for a 6 KB order against 65 us
// with libsodium's portable SHA-256, on every webhook (docs/performance.md). False only if
// OpenSSL fails, which then verifies nothing.
bool Hmac(std::string_view secret, std::string_view body,
          std::array<unsigned char, kHmacBytes>& mac) {
  unsigned int length = 0;
  return HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(),
              &length) != nullptr &&
         length == mac.size();
}

// Finds "X-Shopify-<suffix>" or "shopify-<suffix>"; empty values count as absent.
const std::string* ShopifyHeader(const HttpHeaders& headers, std::string_view suffix) {
  const std::string prefixed = "X-Shopify-" + std::string(suffix);
  if (const std::string* v = FindHeader(headers, prefixed); v != nullptr && !v->empty()) return v;
  const std::string bare = "Shopify-" + std::string(suffix);
  if (const std::string* v = FindHeader(headers, bare); v != nullptr && !v->empty()) return v;
  return nullptr;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsTopic(std::string_view t) {
  // "orders/create", "inventory_levels/update", "app/uninstalled"; sub-paths allowed.
  if (t.empty() || t.size() > 128 || t.front() == '/' || t.back() == '/') return false;
  bool slash = false;
  for (char c : t) {
    if (c == '/') {
      slash = true;
    } else if (!(std::islower(static_cast<unsigned char>(c)) ||
                 std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return false;
    }
  }
  return slash;
}

bool IsHostname(std::string_view h) {
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.back() == '.' ||
      h.find('.') == std::string_view::npos) {
    return false;
  }
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return h.find("..") == std::string_view::npos;
}

bool IsApiVersion(std::string_view v) {
  if (v == "unstable") return true;
  return v.size() == 7 && std::isdigit(static_cast<unsigned char>(v[0])) &&
         std::isdigit(static_cast<unsigned char>(v[1])) &&
         std::isdigit(static_cast<unsigned char>(v[2])) &&
         std::isdigit(static_cast<unsigned char>(v[3])) && v[4] == '-' &&
         std::isdigit(static_cast<unsigned char>(v[5])) &&
         std::isdigit(static_cast<unsigned char>(v[6]));
}

bool IsPrintableToken(std::string_view v, size_t max) {
  if (v.empty() || v.size() > max) return false;
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) return false;
  }
  return true;
}

DeliveryRejection Reject(int status, std::string reason, std::string message) {
  return DeliveryRejection{status, std::move(reason), std::move(message)};
}

}  // namespace

std::string ComputeWebhookHmac(std::string_view secret, std::string_view body) {
  std::array<unsigned char, kHmacBytes> mac{};
  if (!SodiumReady() || !Hmac(secret, body, mac)) return {};
  std::string out(sodium_base64_ENCODED_LEN(mac.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), mac.data(), mac.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool VerifyWebhookHmac(std::string_view secret, std::string_view body, std::string_view header) {
  if (!SodiumReady()) return false;
  const std::string_view encoded = Trim(header);
  if (encoded.empty() || encoded.size() > 128) return false;
  std::array<unsigned char, kHmacBytes + 8> given{};
  size_t given_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(given.data(), given.size(), encoded.data(), encoded.size(), "\r\n ",
                        &given_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != encoded.data() + encoded.size() || given_len != kHmacBytes) {
    return false;
  }
  std::array<unsigned char, kHmacBytes> expected{};
  if (!Hmac(secret, body, expected)) return false;
  return sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

Result<WebhookConfig> WebhookConfig::FromJson(const boost::json::value& json) {
  ConfigReader reader(std::string(kConnectorType), json);
  WebhookConfig config;
  config.secret = reader.RequiredString("secret");
  config.shop_domain = reader.OptionalString("shop_domain");
  if (!config.shop_domain.empty() && !IsHostname(config.shop_domain)) {
    reader.Fail("shop_domain", "must be a host name such as shop1.myshopify.com");
  }
  config.max_body_bytes = static_cast<size_t>(reader.OptionalInt(
      "max_body_bytes", static_cast<int64_t>(config.max_body_bytes), 1024, int64_t{64} << 20));
  if (const boost::json::object* routes = reader.OptionalObject("routes")) {
    for (const auto& kv : *routes) {
      const std::string field = "routes." + std::string(kv.key());
      if (!IsTopic(kv.key())) {
        reader.Fail(field, "is not a topic such as orders/create");
      } else if (!kv.value().is_string() || kv.value().get_string().empty()) {
        reader.Fail(field, "must name a trigger (a non-empty string)");
      } else {
        config.routes.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
      }
    }
  }
  if (const boost::json::array* previous = reader.OptionalArray("previous_secrets")) {
    for (const auto& secret : *previous) {
      if (!secret.is_string() || secret.get_string().empty()) {
        reader.Fail("previous_secrets", "must be an array of non-empty strings");
        break;
      }
      config.previous_secrets.emplace_back(secret.get_string());
    }
  }
  GOVFLOW_RETURN_IF_ERROR(reader.Finish());
  return config;
}

Result<std::unique_ptr<WebhookConnector>> WebhookConnector::Create(WebhookConfig config) {
  if (!SodiumReady()) return Internal("libsodium failed to initialise");
  if (config.secret.empty()) {
    return InvalidArgument(std::string(kConnectorType) + ": field 'secret': is required");
  }
  return std::unique_ptr<WebhookConnector>(new WebhookConnector(std::move(config)));
}

InboundResult WebhookConnector::Accept(const InboundHttpRequest& request) const {
  if (request.body.size() > config_.max_body_bytes) {
    return Reject(413, "body_too_large",
                  "body of " + std::to_string(request.body.size()) +
                      " bytes exceeds the limit of " + std::to_string(config_.max_body_bytes));
  }
  if (request.body.empty()) return Reject(400, "missing_body", "the request has no body");

  const std::string* hmac = ShopifyHeader(request.headers, "Hmac-Sha256");
  if (hmac == nullptr) {
    return Reject(401, "missing_signature", "header X-Shopify-Hmac-Sha256 is missing");
  }
  bool valid = VerifyWebhookHmac(config_.secret, request.body, *hmac);
  for (size_t i = 0; !valid && i < config_.previous_secrets.size(); ++i) {
    valid = VerifyWebhookHmac(config_.previous_secrets[i], request.body, *hmac);
  }
  if (!valid) {
    return Reject(401, "invalid_signature",
                  "header X-Shopify-Hmac-Sha256 does not match the body and the connection's "
                  "secret");
  }

  static constexpr std::array<std::string_view, 4> kRequired = {"Topic", "Shop-Domain",
                                                                "API-Version", "Webhook-Id"};
  std::string missing;
  for (std::string_view name : kRequired) {
    if (ShopifyHeader(request.headers, name) == nullptr) {
      if (!missing.empty()) missing += ", ";
      missing += "X-Shopify-" + std::string(name);
    }
  }
  if (!missing.empty()) return Reject(400, "missing_header", "missing header(s): " + missing);

  InboundDelivery d;
  d.topic = std::string(Trim(*ShopifyHeader(request.headers, "Topic")));
  d.shop_domain = std::string(Trim(*ShopifyHeader(request.headers, "Shop-Domain")));
  d.api_version = std::string(Trim(*ShopifyHeader(request.headers, "API-Version")));
  d.webhook_id = std::string(Trim(*ShopifyHeader(request.headers, "Webhook-Id")));
  if (const std::string* v = ShopifyHeader(request.headers, "Triggered-At")) d.triggered_at = *v;
  if (const std::string* v = ShopifyHeader(request.headers, "Event-Id")) d.event_id = *v;
  if (!IsTopic(d.topic)) {
    return Reject(400, "invalid_header",
                  "header X-Shopify-Topic: '" + d.topic + "' is not a topic such as orders/create");
  }
  if (!IsHostname(d.shop_domain)) {
    return Reject(400, "invalid_header",
                  "header X-Shopify-Shop-Domain: '" + d.shop_domain + "' is not a host name");
  }
  if (!IsApiVersion(d.api_version)) {
    return Reject(
        400, "invalid_header",
        "header X-Shopify-API-Version: '" + d.api_version + "' is not YYYY-MM or unstable");
  }
  if (!IsPrintableToken(d.webhook_id, 255)) {
    return Reject(400, "invalid_header",
                  "header X-Shopify-Webhook-Id: must be 1 to 255 printable characters");
  }
  if (!d.event_id.empty() && !IsPrintableToken(d.event_id, 255)) {
    return Reject(400, "invalid_header",
                  "header X-Shopify-Event-Id: must be 1 to 255 printable characters");
  }

  boost::system::error_code ec;
  d.payload = boost::json::parse(request.body, ec);
  if (ec) {
    return Reject(400, "invalid_json", "body is not valid JSON: " + ec.message());
  }
  if (!d.payload.is_object()) return Reject(400, "invalid_json", "body is not a JSON object");

  if (!config_.shop_domain.empty() && d.shop_domain != config_.shop_domain) {
    return Reject(403, "unexpected_shop",
                  "header X-Shopify-Shop-Domain: '" + d.shop_domain +
                      "' is not this connection's shop '" + config_.shop_domain + "'");
  }
  if (config_.routes.empty()) {
    d.trigger = d.topic;
  } else if (auto it = config_.routes.find(d.topic); it != config_.routes.end()) {
    d.trigger = it->second;
  }
  d.body = std::string(request.body);
  return d;
}

}  // namespace govflow::connect::shopify
