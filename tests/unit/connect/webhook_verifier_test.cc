#include "connect/shopify/webhook_verifier.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace govflow::connect::shopify {
namespace {

// ---- the published vectors (../shared/fixtures/shopify/hmac_test_vectors.json) ----------------

std::optional<boost::json::value> LoadVectors() {
  const char* dir = std::getenv("GOVFLOW_SHARED_DIR");
  if (dir == nullptr) return std::nullopt;
  std::ifstream in(std::string(dir) + "/fixtures/shopify/hmac_test_vectors.json");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str());
}

TEST(ShopifyHmacVectorsTest, EveryPublishedAndDerivedVectorVerifies) {
  auto vectors = LoadVectors();
  if (!vectors) GTEST_SKIP() << "hmac_test_vectors.json not found (GOVFLOW_SHARED_DIR unset?)";
  int checked = 0;
  for (const char* group : {"published_vectors", "derived_vectors_not_literally_published"}) {
    for (const auto& v : vectors->at(group).as_array()) {
      const auto& o = v.as_object();
      const std::string secret(o.at("secret").as_string());
      const std::string body(o.at("body").as_string());
      const std::string expected(o.at("expected_header").as_string());
      SCOPED_TRACE(std::string(o.at("source").as_string()));
      EXPECT_EQ(ComputeWebhookHmac(secret, body), expected);
      EXPECT_TRUE(VerifyWebhookHmac(secret, body, expected));
      // Ruby's Base64.encode64 appends a newline; it must still verify.
      EXPECT_TRUE(VerifyWebhookHmac(secret, body, expected + "\n"));
      EXPECT_FALSE(VerifyWebhookHmac(secret + "x", body, expected));
      EXPECT_FALSE(VerifyWebhookHmac(secret, body + " ", expected));
      if (const auto* neg = o.if_contains("negative_case")) {
        const std::string wrong(neg->as_object().at("secret").as_string());
        EXPECT_FALSE(VerifyWebhookHmac(wrong, body, expected));
        EXPECT_EQ(ComputeWebhookHmac(wrong, body), "/KvVNkBF4SJstp1Thhc3oqAxktLdjnhmd0rGwrUxax4=");
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

TEST(ShopifyHmacVectorsTest, FirstPublishedVectorIsAcceptedAsADeliveryWithItsHeaders) {
  auto vectors = LoadVectors();
  if (!vectors) GTEST_SKIP() << "hmac_test_vectors.json not found (GOVFLOW_SHARED_DIR unset?)";
  const auto& o = vectors->at("published_vectors").as_array()[0].as_object();
  HttpHeaders headers;
  for (const auto& kv : o.at("headers").as_object()) {
    headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
  }
  headers.emplace_back("X-Shopify-Hmac-Sha256", std::string(o.at("expected_header").as_string()));
  WebhookConfig config;
  config.secret = std::string(o.at("secret").as_string());
  auto connector = WebhookConnector::Create(config);
  ASSERT_TRUE(connector.ok());
  const std::string body(o.at("body").as_string());
  InboundResult r = (*connector)->Accept({"POST", "/hooks/t/c", headers, body});
  ASSERT_TRUE(std::holds_alternative<InboundDelivery>(r)) << std::get<DeliveryRejection>(r).message;
  const auto& d = std::get<InboundDelivery>(r);
  const auto& expect = o.at("expected_validation_result").as_object();
  EXPECT_EQ(d.webhook_id, expect.at("webhookId").as_string());
  EXPECT_EQ(d.api_version, expect.at("apiVersion").as_string());
  EXPECT_EQ(d.shop_domain, expect.at("domain").as_string());
  EXPECT_EQ(d.topic, "products/create");
}

// ---- our own vectors and the delivery checks ----------------------------------------------------

TEST(ShopifyHmacTest, KnownValueForEmptySecretAndBody) {
  // HMAC-SHA256("", "") = b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad
  EXPECT_EQ(ComputeWebhookHmac("", ""), "thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0=");
}

TEST(ShopifyHmacTest, RejectsMalformedHeaders) {
  const std::string good = ComputeWebhookHmac("s", "{}");
  EXPECT_TRUE(VerifyWebhookHmac("s", "{}", good));
  EXPECT_TRUE(VerifyWebhookHmac("s", "{}", "  " + good + "\r\n"));
  EXPECT_FALSE(VerifyWebhookHmac("s", "{}", ""));
  EXPECT_FALSE(VerifyWebhookHmac("s", "{}", "not base64 at all!"));
  EXPECT_FALSE(VerifyWebhookHmac("s", "{}", good.substr(0, 20)));  // too short
  EXPECT_FALSE(VerifyWebhookHmac("s", "{}", good + good));         // too long
  EXPECT_FALSE(VerifyWebhookHmac("s", "{}", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  std::string hex_not_base64(64, 'a');
  EXPECT_FALSE(VerifyWebhookHmac("s", "{}", hex_not_base64));
}

class WebhookConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WebhookConfig config;
    config.secret = "hush";
    config.max_body_bytes = 2048;
    config.routes = {{"orders/create", "order_capture"}};
    auto c = WebhookConnector::Create(config);
    ASSERT_TRUE(c.ok());
    connector_ = std::move(*c);
  }

  HttpHeaders Headers(const std::string& body, const std::string& secret = "hush") {
    return {{"X-Shopify-Hmac-Sha256", ComputeWebhookHmac(secret, body)},
            {"X-Shopify-Topic", "orders/create"},
            {"X-Shopify-Shop-Domain", "acme.myshopify.com"},
            {"X-Shopify-API-Version", "2025-01"},
            {"X-Shopify-Webhook-Id", "b1234-eefd-4c9e-9520-049845a02082"},
            {"X-Shopify-Triggered-At", "2025-01-02T03:04:05.678Z"},
            {"X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5"}};
  }

  InboundResult Accept(const HttpHeaders& headers, const std::string& body) {
    return connector_->Accept({"POST", "/hooks/acme/shop", headers, body});
  }

  static const DeliveryRejection& Rejection(const InboundResult& r) {
    EXPECT_TRUE(std::holds_alternative<DeliveryRejection>(r));
    static const DeliveryRejection kNone{};
    return std::holds_alternative<DeliveryRejection>(r) ? std::get<DeliveryRejection>(r) : kNone;
  }

  std::unique_ptr<WebhookConnector> connector_;
  const std::string body_ = R"({"id":820982911946154508,"name":"#1001"})";
};

TEST_F(WebhookConnectorTest, AcceptsSignedDeliveryAndTypesIt) {
  InboundResult r = Accept(Headers(body_), body_);
  ASSERT_TRUE(std::holds_alternative<InboundDelivery>(r)) << Rejection(r).message;
  const auto& d = std::get<InboundDelivery>(r);
  EXPECT_EQ(d.webhook_id, "b1234-eefd-4c9e-9520-049845a02082");
  EXPECT_EQ(d.topic, "orders/create");
  EXPECT_EQ(d.shop_domain, "acme.myshopify.com");
  EXPECT_EQ(d.api_version, "2025-01");
  EXPECT_EQ(d.triggered_at, "2025-01-02T03:04:05.678Z");
  EXPECT_EQ(d.event_id, "98880550-7158-44d4-b7cd-2c97c8a091b5");
  EXPECT_EQ(d.trigger, "order_capture");
  EXPECT_EQ(d.body, body_);
  EXPECT_EQ(d.payload.at("name").as_string(), "#1001");
}

TEST_F(WebhookConnectorTest, AcceptsLowerCaseAndUnprefixedHeaderNames) {
  HttpHeaders h;
  for (auto& [k, v] : Headers(body_)) {
    std::string name = k.substr(2);  // "Shopify-..."
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    h.emplace_back(name, v);
  }
  EXPECT_TRUE(std::holds_alternative<InboundDelivery>(Accept(h, body_)));
}

TEST_F(WebhookConnectorTest, RejectsBadSignatureWith401) {
  auto r = Accept(Headers(body_, "wrong"), body_);
  EXPECT_EQ(Rejection(r).http_status, 401);
  EXPECT_EQ(Rejection(r).reason, "invalid_signature");
}

TEST_F(WebhookConnectorTest, RejectsBodyChangedAfterSigning) {
  auto h = Headers(body_);
  auto r = Accept(h, R"({"id":820982911946154508,"name":"#1002"})");
  EXPECT_EQ(Rejection(r).http_status, 401);
}

TEST_F(WebhookConnectorTest, RejectsMissingOrGarbageSignatureWith401) {
  auto h = Headers(body_);
  h.erase(h.begin());
  EXPECT_EQ(Rejection(Accept(h, body_)).reason, "missing_signature");
  EXPECT_EQ(Rejection(Accept(h, body_)).http_status, 401);
  h.emplace_back("X-Shopify-Hmac-SHA256", "%%%garbage%%%");
  EXPECT_EQ(Rejection(Accept(h, body_)).reason, "invalid_signature");
  h.back().second = "";
  EXPECT_EQ(Rejection(Accept(h, body_)).reason, "missing_signature");
}

TEST_F(WebhookConnectorTest, RejectsMissingHeadersWith400NamingThem) {
  auto h = Headers(body_);
  std::erase_if(h, [](const auto& kv) {
    return kv.first == "X-Shopify-Topic" || kv.first == "X-Shopify-Webhook-Id";
  });
  const InboundResult result = Accept(h, body_);
  const auto& rej = Rejection(result);
  EXPECT_EQ(rej.http_status, 400);
  EXPECT_EQ(rej.reason, "missing_header");
  EXPECT_EQ(rej.message, "missing header(s): X-Shopify-Topic, X-Shopify-Webhook-Id");
}

TEST_F(WebhookConnectorTest, RejectsMalformedHeaderValuesWith400) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"X-Shopify-Topic", "ORDERS CREATE"},
      {"X-Shopify-Shop-Domain", "not a host"},
      {"X-Shopify-API-Version", "v1"},
      {"X-Shopify-Webhook-Id", "has space"},
  };
  for (const auto& [name, value] : bad) {
    auto h = Headers(body_);
    for (auto& kv : h) {
      if (kv.first == name) kv.second = value;
    }
    const InboundResult result = Accept(h, body_);
    const auto& rej = Rejection(result);
    EXPECT_EQ(rej.http_status, 400) << name;
    EXPECT_EQ(rej.reason, "invalid_header") << name;
    EXPECT_NE(rej.message.find(name), std::string::npos) << rej.message;
  }
}

TEST_F(WebhookConnectorTest, RejectsInvalidJsonWith400EvenWhenSigned) {
  const std::string body = "{\"id\": 1,";
  const InboundResult result = Accept(Headers(body), body);
  const auto& rej = Rejection(result);
  EXPECT_EQ(rej.http_status, 400);
  EXPECT_EQ(rej.reason, "invalid_json");
  const std::string array = "[1,2]";
  EXPECT_EQ(Rejection(Accept(Headers(array), array)).reason, "invalid_json");
}

TEST_F(WebhookConnectorTest, RejectsOversizeBodyWith413BeforeCheckingTheSignature) {
  const std::string big = "{\"x\":\"" + std::string(3000, 'a') + "\"}";
  HttpHeaders h;  // no headers at all: size is checked first
  const InboundResult result = Accept(h, big);
  const auto& rej = Rejection(result);
  EXPECT_EQ(rej.http_status, 413);
  EXPECT_EQ(rej.reason, "body_too_large");
}

TEST_F(WebhookConnectorTest, RejectsEmptyBodyWith400) {
  EXPECT_EQ(Rejection(Accept(Headers(""), "")).reason, "missing_body");
}

TEST_F(WebhookConnectorTest, UnroutedTopicIsAcceptedWithoutTrigger) {
  auto h = Headers(body_);
  for (auto& kv : h) {
    if (kv.first == "X-Shopify-Topic") kv.second = "products/update";
  }
  auto r = Accept(h, body_);
  ASSERT_TRUE(std::holds_alternative<InboundDelivery>(r));
  EXPECT_EQ(std::get<InboundDelivery>(r).trigger, std::nullopt);
}

TEST(WebhookConnectorConfigTest, ReadsConfigAndRejectsUnknownOrBadFields) {
  auto ok = WebhookConfig::FromJson(boost::json::parse(
      R"({"secret":"s","previous_secrets":["old"],"shop_domain":"acme.myshopify.com",
          "max_body_bytes":4096,"routes":{"orders/create":"order_capture"}})"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->previous_secrets, std::vector<std::string>{"old"});
  EXPECT_EQ(ok->routes.at("orders/create"), "order_capture");

  auto missing = WebhookConfig::FromJson(boost::json::parse(R"({})"));
  EXPECT_EQ(missing.status().message(), "shopify.webhooks: field 'secret': is required");
  auto typo = WebhookConfig::FromJson(boost::json::parse(R"({"secret":"s","sekret":"x"})"));
  EXPECT_EQ(typo.status().message(), "shopify.webhooks: field 'sekret': unknown field");
  auto route = WebhookConfig::FromJson(boost::json::parse(R"({"secret":"s","routes":{"x":"y"}})"));
  EXPECT_EQ(route.status().message(),
            "shopify.webhooks: field 'routes.x': is not a topic such as orders/create");
}

TEST(WebhookConnectorConfigTest, PreviousSecretStillVerifiesDuringRotation) {
  WebhookConfig config;
  config.secret = "new";
  config.previous_secrets = {"old"};
  auto c = WebhookConnector::Create(config);
  ASSERT_TRUE(c.ok());
  const std::string body = "{}";
  HttpHeaders h = {{"X-Shopify-Hmac-Sha256", ComputeWebhookHmac("old", body)},
                   {"X-Shopify-Topic", "orders/create"},
                   {"X-Shopify-Shop-Domain", "a.myshopify.com"},
                   {"X-Shopify-API-Version", "2025-01"},
                   {"X-Shopify-Webhook-Id", "1"}};
  EXPECT_TRUE(std::holds_alternative<InboundDelivery>((*c)->Accept({"POST", "/", h, body})));
}

TEST(WebhookConnectorConfigTest, OtherShopIsRefusedWith403) {
  WebhookConfig config;
  config.secret = "s";
  config.shop_domain = "acme.myshopify.com";
  auto c = WebhookConnector::Create(config);
  ASSERT_TRUE(c.ok());
  const std::string body = "{}";
  HttpHeaders h = {{"X-Shopify-Hmac-Sha256", ComputeWebhookHmac("s", body)},
                   {"X-Shopify-Topic", "orders/create"},
                   {"X-Shopify-Shop-Domain", "other.myshopify.com"},
                   {"X-Shopify-API-Version", "2025-01"},
                   {"X-Shopify-Webhook-Id", "1"}};
  auto r = (*c)->Accept({"POST", "/", h, body});
  ASSERT_TRUE(std::holds_alternative<DeliveryRejection>(r));
  EXPECT_EQ(std::get<DeliveryRejection>(r).http_status, 403);
}

}  // namespace
}  // namespace govflow::connect::shopify
