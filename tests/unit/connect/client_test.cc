#include "connect/erp/business_central/client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "connect/http/fake_http_client.h"

namespace govflow::connect::business_central {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kCompany[] = "4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1";
constexpr char kTokenUrl[] = "http://127.0.0.1:1/token";

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeClient(16); }

  void MakeClient(size_t max_concurrent, int failure_threshold = 5) {
    Config c;
    c.base_url = "http://127.0.0.1:1";
    c.company_id = kCompany;
    c.client_id = "id";
    c.client_secret = "secret";
    c.token_url = kTokenUrl;
    c.request_timeout = milliseconds(2000);
    c.max_concurrent_requests = max_concurrent;
    c.circuit_breaker = {failure_threshold, milliseconds(10'000)};
    auto client = Client::Create(c, http_, clock_);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }

  // Answers token requests itself; everything else from `api`.
  void Script(std::function<HttpResponse(const HttpRequest&)> api) {
    http_.SetHandler([this, api](const HttpRequest& r) {
      if (r.url == kTokenUrl) {
        ++token_serial_;
        HttpResponse t;
        t.status = 200;
        t.body = R"({"token_type":"Bearer","expires_in":3600,"access_token":"tok)" +
                 std::to_string(token_serial_) + "\"}";
        return t;
      }
      return api(r);
    });
  }

  static HttpResponse Created(std::string ext = "SO-1001") {
    HttpResponse r;
    r.status = 201;
    r.body =
        R"({"id":"b6f4017a-b749-ee11-ad0b-a1422c0f7f1f","number":"101005","externalDocumentNumber":")" +
        ext + R"(","status":"Draft"})";
    return r;
  }
  static HttpResponse Answer(int status, std::string body = "", HttpHeaders headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
  }

  boost::json::object Order(std::string ext = "SO-1001") {
    return boost::json::
        parse(R"({"customerNumber":"10000","externalDocumentNumber":")" + ext +
              R"(","salesOrderLines":[{"lineType":"Item","lineObjectNumber":"1996-S","quantity":2}]})")
            .as_object();
  }

  std::optional<CallResult<SalesOrderRef>> Create(std::string ext = "SO-1001") {
    std::optional<CallResult<SalesOrderRef>> out;
    client_->CreateSalesOrder(Order(ext), "idem-1",
                              [&](CallResult<SalesOrderRef> r) { out.emplace(std::move(r)); });
    return out;
  }

  std::vector<HttpRequest> ApiRequests() const {
    std::vector<HttpRequest> out;
    for (auto& r : http_.requests()) {
      if (r.url != kTokenUrl) out.push_back(r);
    }
    return out;
  }

  ManualClock clock_{TimePoint(seconds(1'700'000'000))};
  FakeHttpClient http_;
  std::unique_ptr<Client> client_;
  int token_serial_ = 0;
};

TEST_F(ClientTest, CreatesSalesOrderWithBearerTokenAndReturnsIdAndNumber) {
  Script([](const HttpRequest&) { return Created(); });
  auto r = Create();
  ASSERT_TRUE(r && r->ok()) << r->failure().ToString();
  EXPECT_EQ(r->value().id, "b6f4017a-b749-ee11-ad0b-a1422c0f7f1f");
  EXPECT_EQ(r->value().number, "101005");
  EXPECT_EQ(r->value().external_document_number, "SO-1001");

  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url, kTokenUrl);
  EXPECT_EQ(reqs[0].method, HttpMethod::kPost);
  EXPECT_EQ(reqs[0].body,
            "grant_type=client_credentials&client_id=id&client_secret=secret&scope=https%3A%2F%2F"
            "api.businesscentral.dynamics.com%2F.default");
  const HttpRequest& post = reqs[1];
  EXPECT_EQ(post.method, HttpMethod::kPost);
  EXPECT_EQ(post.url,
            std::string("http://127.0.0.1:1/api/v2.0/companies(") + kCompany + ")/salesOrders");
  EXPECT_FALSE(post.idempotent);
  EXPECT_EQ(*FindHeader(post.headers, "Authorization"), "Bearer tok1");
  EXPECT_EQ(*FindHeader(post.headers, "Content-Type"), "application/json");
  EXPECT_EQ(*FindHeader(post.headers, "Idempotency-Key"), "idem-1");
  EXPECT_EQ(boost::json::parse(post.body), boost::json::value(Order()));
  EXPECT_EQ(post.timeout, milliseconds(2000));
}

TEST_F(ClientTest, CachesTheTokenAcrossCalls) {
  Script([](const HttpRequest&) { return Created(); });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Create()->ok());
  EXPECT_EQ(client_->token_fetches(), 1u);
}

TEST_F(ClientTest, RefreshesTheTokenBeforeItExpires) {
  Script([](const HttpRequest&) { return Created(); });
  ASSERT_TRUE(Create()->ok());
  clock_.Advance(seconds(3000));  // 10 minutes left: inside the 5-minute margin? not yet
  ASSERT_TRUE(Create()->ok());
  EXPECT_EQ(client_->token_fetches(), 1u);
  clock_.Advance(seconds(400));  // 200 s left: renew (the old token still serves this call)
  ASSERT_TRUE(Create()->ok());
  EXPECT_EQ(client_->token_fetches(), 2u);
  ASSERT_TRUE(Create()->ok());
  auto api = ApiRequests();
  EXPECT_EQ(*FindHeader(api.back().headers, "Authorization"), "Bearer tok2");
}

TEST_F(ClientTest, FailedBackgroundRenewalKeepsTheOldTokenAndBacksOff) {
  Script([](const HttpRequest&) { return Created(); });
  ASSERT_TRUE(Create()->ok());
  clock_.Advance(seconds(3400));  // inside the renewal margin
  http_.EnqueueStatus(503, "");   // the renewal fails
  ASSERT_TRUE(Create()->ok());    // served with the old token
  EXPECT_EQ(client_->token_fetches(), 2u);
  ASSERT_TRUE(Create()->ok());  // no new renewal attempt within the back-off
  EXPECT_EQ(client_->token_fetches(), 2u);
  clock_.Advance(seconds(11));
  ASSERT_TRUE(Create()->ok());
  EXPECT_EQ(client_->token_fetches(), 3u);
  EXPECT_EQ(*FindHeader(ApiRequests().back().headers, "Authorization"), "Bearer tok1");
}

TEST_F(ClientTest, FetchesANewTokenOnceExpired) {
  Script([](const HttpRequest&) { return Created(); });
  ASSERT_TRUE(Create()->ok());
  clock_.Advance(seconds(4000));
  ASSERT_TRUE(Create()->ok());
  EXPECT_EQ(client_->token_fetches(), 2u);
  EXPECT_EQ(*FindHeader(ApiRequests().back().headers, "Authorization"), "Bearer tok2");
}

TEST_F(ClientTest, On401RefreshesTheTokenOnceAndResends) {
  int posts = 0;
  Script([&](const HttpRequest&) {
    return ++posts == 1
               ? Answer(401,
                        R"({"error":{"code":"Authentication_InvalidCredentials","message":"x"}})")
               : Created();
  });
  auto r = Create();
  ASSERT_TRUE(r->ok()) << r->failure().ToString();
  EXPECT_EQ(posts, 2);
  EXPECT_EQ(client_->token_fetches(), 2u);
  EXPECT_EQ(*FindHeader(ApiRequests()[1].headers, "Authorization"), "Bearer tok2");
}

TEST_F(ClientTest, SecondConsecutive401IsAnAuthFailure) {
  int posts = 0;
  Script([&](const HttpRequest&) {
    ++posts;
    return Answer(401, R"({"error":{"code":"Authentication_InvalidCredentials","message":"no"}})");
  });
  auto r = Create();
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->failure().error_class, ErrorClass::kAuth);
  EXPECT_EQ(posts, 2);
}

TEST_F(ClientTest, RejectedClientSecretIsAnAuthFailureAndNothingIsPosted) {
  http_.SetHandler([](const HttpRequest&) {
    return Answer(
        401,
        R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret"})");
  });
  auto r = Create();
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->failure().error_class, ErrorClass::kAuth);
  EXPECT_EQ(r->failure().code, "invalid_client");
  EXPECT_TRUE(ApiRequests().empty());
}

TEST_F(ClientTest, ConcurrentCallersShareOneTokenFetch) {
  Script([](const HttpRequest&) { return Created(); });
  http_.set_deferred(true);
  int done = 0;
  for (int i = 0; i < 3; ++i) {
    client_->CreateSalesOrder(Order("SO-" + std::to_string(i)), "k",
                              [&](CallResult<SalesOrderRef> r) { done += r.ok(); });
  }
  EXPECT_EQ(http_.held(), 1u);  // only the token request
  http_.CompleteAll();
  EXPECT_EQ(done, 3);
  EXPECT_EQ(client_->token_fetches(), 1u);
}

TEST_F(ClientTest, TimeoutAfterSendingIsUnknownAndConnectFailureIsTransient) {
  Script([](const HttpRequest&) { return HttpResponse{}; });
  http_.EnqueueStatus(200, R"({"access_token":"t","expires_in":3600})");
  http_.EnqueueTransportError(TransportError::kTimeout, /*may_have_reached_server=*/true);
  auto r = Create();
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->failure().error_class, ErrorClass::kUnknown);
  http_.EnqueueTransportError(TransportError::kConnectFailed, false);
  r = Create();
  EXPECT_EQ(r->failure().error_class, ErrorClass::kTransient);
  http_.EnqueueTransportError(TransportError::kConnectionReset, true);
  r = Create();
  EXPECT_EQ(r->failure().error_class, ErrorClass::kUnknown);
}

TEST_F(ClientTest, CreatedWithoutReadableAnswerIsUnknown) {
  Script([](const HttpRequest&) { return Answer(201, "<html>ok</html>"); });
  auto r = Create();
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->failure().error_class, ErrorClass::kUnknown);
}

// A server error that Business Central itself answered carries its status and BC's own error
// code (what the runtime reads as "the request has ended": it may look the order up at once); a
// gateway's page carries no code, and a timeout no status.
TEST_F(ClientTest, ServerErrorWithBusinessCentralBodyCarriesStatusAndCodeGatewayPageDoesNot) {
  constexpr char kBcError[] =
      R"({"error":{"code":"Internal_ServerError","message":"Cannot establish a connection to the SQL Server/Database."}})";
  MakeClient(16, /*failure_threshold=*/100);  // four failures in a row must not open the circuit
  for (int status : {500, 502}) {
    Script([&](const HttpRequest&) { return Answer(status, kBcError); });
    auto r = Create();
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->failure().error_class, ErrorClass::kUnknown) << status;
    EXPECT_EQ(r->failure().http_status, status);
    EXPECT_EQ(r->failure().code, "Internal_ServerError");
  }
  Script([](const HttpRequest&) { return Answer(502, "<html><h1>502 Bad Gateway</h1></html>"); });
  auto r = Create();
  EXPECT_EQ(r->failure().error_class, ErrorClass::kUnknown);
  EXPECT_EQ(r->failure().http_status, 502);
  EXPECT_EQ(r->failure().code, "");
  http_.EnqueueTransportError(TransportError::kTimeout, /*may_have_reached_server=*/true);
  r = Create();
  EXPECT_EQ(r->failure().error_class, ErrorClass::kUnknown);
  EXPECT_EQ(r->failure().http_status, 0);
}

TEST_F(ClientTest, ThrottledCarriesRetryAfter) {
  Script([](const HttpRequest&) {
    return Answer(429, R"({"error":{"code":"Application_TooManyRequests","message":"x"}})",
                  {{"Retry-After", "3"}});
  });
  auto r = Create();
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->failure().error_class, ErrorClass::kThrottled);
  EXPECT_EQ(r->failure().retry_after, milliseconds(3000));
}

TEST_F(ClientTest, UnknownItemIsMasterData) {
  Script([](const HttpRequest&) {
    return Answer(
        400,
        R"({"error":{"code":"Internal_RecordNotFound","message":"The Item does not exist."}})");
  });
  auto r = Create();
  EXPECT_EQ(r->failure().error_class, ErrorClass::kMasterData);
  EXPECT_EQ(r->failure().message, "The Item does not exist.");
}

TEST_F(ClientTest, RefusesMissingOrOverlongBusinessKeyWithoutSending) {
  auto order = Order();
  order.erase("externalDocumentNumber");
  std::optional<CallResult<SalesOrderRef>> out;
  client_->CreateSalesOrder(order, "k", [&](CallResult<SalesOrderRef> r) { out.emplace(r); });
  ASSERT_TRUE(out);
  EXPECT_EQ(out->failure().error_class, ErrorClass::kValidation);
  EXPECT_EQ(out->failure().code, "missing_business_key");
  auto r = Create(std::string(36, 'X'));
  EXPECT_EQ(r->failure().code, "business_key_too_long");
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(ClientTest, FindQuotesTheBusinessKeyInTheFilter) {
  EXPECT_EQ(
      client_->FindSalesOrdersUrl("O'Brien #1&x=y"),
      std::string("http://127.0.0.1:1/api/v2.0/companies(") + kCompany +
          ")/salesOrders?$filter=externalDocumentNumber%20eq%20%27O%27%27Brien%20%231%26x%3Dy%27");
}

TEST_F(ClientTest, FindReturnsOrdersWithTheKeyComparingCaseInsensitively) {
  Script([](const HttpRequest& r) {
    EXPECT_EQ(r.method, HttpMethod::kGet);
    EXPECT_TRUE(r.idempotent);
    return Answer(200, R"({"value":[
      {"id":"a","number":"1","externalDocumentNumber":"SO-7"},
      {"id":"b","number":"2","externalDocumentNumber":"so-7"},
      {"id":"c","number":"3","externalDocumentNumber":"SO-77"}]})");
  });
  std::optional<CallResult<std::vector<SalesOrderRef>>> out;
  client_->FindSalesOrdersByExternalDocumentNumber("SO-7", [&](auto r) { out.emplace(r); });
  ASSERT_TRUE(out && out->ok());
  ASSERT_EQ(out->value().size(), 2u);
  EXPECT_EQ(out->value()[0].id, "a");
  EXPECT_EQ(out->value()[1].id, "b");
}

TEST_F(ClientTest, FindTimeoutIsTransientNotUnknown) {
  Script([](const HttpRequest&) { return HttpResponse{}; });
  http_.EnqueueStatus(200, R"({"access_token":"t","expires_in":3600})");
  http_.EnqueueTransportError(TransportError::kTimeout, true);
  std::optional<CallResult<std::vector<SalesOrderRef>>> out;
  client_->FindSalesOrdersByExternalDocumentNumber("SO-7", [&](auto r) { out.emplace(r); });
  EXPECT_EQ(out->failure().error_class, ErrorClass::kTransient);
}

TEST_F(ClientTest, CircuitOpensAfterConsecutiveTransientFailuresAndFailsFast) {
  MakeClient(16, /*failure_threshold=*/3);
  int posts = 0;
  Script([&](const HttpRequest&) {
    ++posts;
    return Answer(500, R"({"error":{"code":"Internal_ServerError","message":"sql"}})");
  });
  // A create's 500 is an unknown outcome (settled by lookup); it counts against the breaker.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Create()->failure().error_class, ErrorClass::kUnknown);
  EXPECT_EQ(client_->circuit_state(), CircuitBreaker::State::kOpen);
  auto r = Create();
  EXPECT_EQ(r->failure().code, "circuit_open");
  EXPECT_EQ(r->failure().error_class, ErrorClass::kTransient);
  EXPECT_EQ(r->failure().retry_after, milliseconds(10'000));
  EXPECT_EQ(posts, 3);
  // After the cool-down one probe goes; success closes the breaker.
  clock_.Advance(seconds(10));
  Script([&](const HttpRequest&) {
    ++posts;
    return Created();
  });
  EXPECT_TRUE(Create()->ok());
  EXPECT_EQ(client_->circuit_state(), CircuitBreaker::State::kClosed);
}

TEST_F(ClientTest, ValidationErrorsDoNotTripTheBreaker) {
  MakeClient(16, /*failure_threshold=*/2);
  Script([](const HttpRequest&) {
    return Answer(400, R"({"error":{"code":"BadRequest","message":"Invalid Request Body"}})");
  });
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Create()->failure().error_class, ErrorClass::kValidation);
  EXPECT_EQ(client_->circuit_state(), CircuitBreaker::State::kClosed);
}

TEST_F(ClientTest, ConcurrencyLimitHoldsExtraRequestsBack) {
  MakeClient(2);
  Script([](const HttpRequest&) { return Created(); });
  // Warm the token so that only API requests are held.
  ASSERT_TRUE(Create()->ok());
  http_.set_deferred(true);
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    client_->CreateSalesOrder(Order(), "k", [&](CallResult<SalesOrderRef> r) { done += r.ok(); });
  }
  EXPECT_EQ(http_.held(), 2u);
  http_.CompleteNext();
  EXPECT_EQ(http_.held(), 2u);  // the next queued one started
  http_.CompleteAll();
  EXPECT_EQ(done, 5);
}

TEST_F(ClientTest, InFlightBoundDefaultsToRequestTimeoutPlusMargin) {
  EXPECT_EQ(client_->in_flight_bound(), milliseconds(7000));
}

// ---- the registry adapter ---------------------------------------------------------------------

TEST(BusinessCentralConnectorTest, GenericCallsCreateAndFind) {
  FakeHttpClient http;
  ManualClock clock{TimePoint(seconds(1'700'000'000))};
  http.SetHandler([](const HttpRequest& r) {
    HttpResponse resp;
    resp.status = 200;
    if (r.url.ends_with("/token")) {
      resp.body = R"({"access_token":"t","expires_in":3600})";
    } else if (r.method == HttpMethod::kPost) {
      resp.status = 201;
      resp.body = R"({"id":"g","number":"101","externalDocumentNumber":"K1","status":"Draft"})";
    } else {
      resp.body = R"({"value":[]})";
    }
    return resp;
  });
  Config c;
  c.base_url = "http://127.0.0.1:1";
  c.company_id = kCompany;
  c.client_id = "id";
  c.client_secret = "s";
  c.token_url = "http://127.0.0.1:1/token";
  auto connector = Connector::Create(c, ConnectorContext{&http, &clock});
  ASSERT_TRUE(connector.ok());
  auto ops = (*connector)->operations();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].deduplication, Deduplication::kLookupByBusinessKey);
  EXPECT_EQ(ops[0].lookup_operation, "find_sales_orders");

  std::optional<CallResult<boost::json::value>> out;
  (*connector)
      ->Call(
          {"create_sales_order",
           boost::json::parse(R"({"externalDocumentNumber":"K1","customerNumber":"1"})"), "idem"},
          [&](auto r) { out.emplace(r); });
  ASSERT_TRUE(out && out->ok());
  EXPECT_EQ(boost::json::serialize(out->value()),
            R"({"id":"g","number":"101","externalDocumentNumber":"K1","status":"Draft"})");
  out.reset();
  (*connector)
      ->Call({"find_sales_orders", boost::json::parse(R"({"externalDocumentNumber":"K1"})"), ""},
             [&](auto r) { out.emplace(r); });
  ASSERT_TRUE(out && out->ok());
  EXPECT_EQ(boost::json::serialize(out->value()),
            R"({"found":false,"matches":0,"salesOrders":[]})");
  out.reset();
  (*connector)->Call({"delete_everything", boost::json::object{}, ""}, [&](auto r) {
    out.emplace(r);
  });
  EXPECT_EQ(out->failure().code, "unknown_operation");
}

}  // namespace
}  // namespace govflow::connect::business_central
