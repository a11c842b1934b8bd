#include "api/problem.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace govflow::api {
namespace {

boost::json::object ParseObject(const std::string& text) {
  return boost::json::parse(text).as_object();
}

TEST(ProblemTest, DefaultsTypeToAboutBlankAndTitleToReasonPhrase) {
  boost::json::object doc = ParseObject(Problem(404).ToJson());
  EXPECT_EQ(doc.at("type").as_string(), "about:blank");
  EXPECT_EQ(doc.at("title").as_string(), "Not Found");
  EXPECT_EQ(doc.at("status").as_int64(), 404);
  EXPECT_FALSE(doc.contains("detail"));
  EXPECT_FALSE(doc.contains("invalid-params"));
}

TEST(ProblemTest, NamesEveryOffendingFieldInInvalidParams) {
  HttpResponse response = Problem(422)
                              .Type("urn:govflow:problem:invalid-order")
                              .Title("Invalid order")
                              .Detail("the order cannot be captured")
                              .Instance("/hooks/acme/shop")
                              .InvalidParam("line_items[0].sku", "must not be empty")
                              .InvalidParam("currency", "must be an ISO 4217 code")
                              .ToResponse();
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.headers.Get("content-type"), "application/problem+json");
  boost::json::object doc = ParseObject(response.body);
  EXPECT_EQ(doc.at("type").as_string(), "urn:govflow:problem:invalid-order");
  EXPECT_EQ(doc.at("title").as_string(), "Invalid order");
  EXPECT_EQ(doc.at("detail").as_string(), "the order cannot be captured");
  EXPECT_EQ(doc.at("instance").as_string(), "/hooks/acme/shop");
  const boost::json::array& params = doc.at("invalid-params").as_array();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].at("name").as_string(), "line_items[0].sku");
  EXPECT_EQ(params[0].at("reason").as_string(), "must not be empty");
  EXPECT_EQ(params[1].at("name").as_string(), "currency");
}

TEST(ProblemTest, ExtensionsNeverShadowStandardMembers) {
  boost::json::object doc =
      ParseObject(Problem(409).Extension("status", "999").Extension("run_id", "r-1").ToJson());
  EXPECT_EQ(doc.at("status").as_int64(), 409);
  EXPECT_EQ(doc.at("run_id").as_string(), "r-1");
}

TEST(ProblemTest, EscapesUntrustedTextIntoValidJson) {
  std::string nasty = "quote\" backslash\\ newline\n nul";
  nasty.push_back('\0');
  boost::json::object doc = ParseObject(Problem(400).Detail(nasty).ToJson());
  EXPECT_EQ(doc.at("detail").as_string(), nasty);
}

TEST(ProblemTest, FieldProblemNamesTheFieldInDetailAndInvalidParams) {
  HttpResponse response = FieldProblem("X-Shopify-Hmac-Sha256", "signature does not match", 401);
  EXPECT_EQ(response.status, 401);
  boost::json::object doc = ParseObject(response.body);
  EXPECT_EQ(doc.at("title").as_string(), "Unauthorized");
  EXPECT_NE(std::string(doc.at("detail").as_string()).find("X-Shopify-Hmac-Sha256"),
            std::string::npos);
  EXPECT_EQ(doc.at("invalid-params").as_array()[0].at("name").as_string(), "X-Shopify-Hmac-Sha256");
}

TEST(ProblemTest, HttpResponseProblemShorthandCarriesDetail) {
  HttpResponse response = HttpResponse::Problem(503, "store not ready");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
  boost::json::object doc = ParseObject(response.body);
  EXPECT_EQ(doc.at("title").as_string(), "Service Unavailable");
  EXPECT_EQ(doc.at("detail").as_string(), "store not ready");
}

}  // namespace
}  // namespace govflow::api
