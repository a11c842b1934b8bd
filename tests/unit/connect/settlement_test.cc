#include "connect/settlement.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "connect/erp/business_central/client.h"
#include "connect/http/fake_http_client.h"

namespace govflow::connect {
namespace {

class SettlementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    business_central::Config c;
    c.base_url = "http://127.0.0.1:1";
    c.company_id = "4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1";
    c.client_id = "id";
    c.client_secret = "s";
    c.token_url = "http://127.0.0.1:1/token";
    auto connector = business_central::Connector::Create(c, ConnectorContext{&http_, &clock_});
    ASSERT_TRUE(connector.ok());
    connector_ = std::move(*connector);
  }

  // Token requests are answered; lookups get `lookup`.
  void AnswerLookupWith(int status, std::string body) {
    http_.SetHandler([status, body](const HttpRequest& r) {
      HttpResponse resp;
      resp.status = 200;
      if (r.url.ends_with("/token")) {
        resp.body = R"({"access_token":"t","expires_in":3600})";
      } else {
        EXPECT_EQ(r.method, HttpMethod::kGet) << "settlement must never create";
        resp.status = status;
        resp.body = body;
      }
      return resp;
    });
  }

  std::optional<CallResult<Settlement>> Settle(std::string operation = "create_sales_order") {
    std::optional<CallResult<Settlement>> out;
    ConnectorCall original{
        std::move(operation),
        boost::json::parse(R"({"externalDocumentNumber":"SHOP-1","customerNumber":"1"})"), "idem"};
    SettleUnknownOutcome(*connector_, original, [&](CallResult<Settlement> r) { out.emplace(r); });
    return out;
  }

  FakeHttpClient http_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'700'000'000))};
  std::unique_ptr<business_central::Connector> connector_;
};

TEST_F(SettlementTest, FoundOrderMeansAlreadyAppliedWithItsRecord) {
  AnswerLookupWith(
      200,
      R"({"value":[{"id":"g1","number":"101","externalDocumentNumber":"SHOP-1","status":"Draft"}]})");
  auto r = Settle();
  ASSERT_TRUE(r && r->ok());
  EXPECT_TRUE(r->value().already_applied);
  EXPECT_EQ(r->value().matches, 1);
  EXPECT_EQ(boost::json::serialize(r->value().record),
            R"({"id":"g1","number":"101","externalDocumentNumber":"SHOP-1","status":"Draft"})");
}

TEST_F(SettlementTest, NoOrderMeansSafeToCreateAgain) {
  AnswerLookupWith(200, R"({"value":[]})");
  auto r = Settle();
  ASSERT_TRUE(r && r->ok());
  EXPECT_FALSE(r->value().already_applied);
  EXPECT_EQ(r->value().matches, 0);
}

TEST_F(SettlementTest, ReportsExistingDuplicates) {
  AnswerLookupWith(200, R"({"value":[{"id":"a","externalDocumentNumber":"SHOP-1"},
                                     {"id":"b","externalDocumentNumber":"SHOP-1"}]})");
  auto r = Settle();
  ASSERT_TRUE(r && r->ok());
  EXPECT_TRUE(r->value().already_applied);
  EXPECT_EQ(r->value().matches, 2);
}

TEST_F(SettlementTest, FailedLookupIsAFailureNotAVerdict) {
  AnswerLookupWith(503, R"({"error":{"code":"Internal_ServiceUnavailable","message":"queue"}})");
  auto r = Settle();
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->failure().error_class, ErrorClass::kTransient);
}

TEST_F(SettlementTest, ReadsNeedNoSettlementAndUnknownOperationsAreRefused) {
  auto read = Settle("find_sales_orders");
  ASSERT_TRUE(read && read->ok());
  EXPECT_FALSE(read->value().already_applied);
  EXPECT_EQ(http_.request_count(), 0u);
  auto bad = Settle("post_invoice");
  ASSERT_TRUE(bad && !bad->ok());
  EXPECT_EQ(bad->failure().error_class, ErrorClass::kValidation);
}

}  // namespace
}  // namespace govflow::connect
