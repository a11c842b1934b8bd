#include "api/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <optional>

namespace govflow::api {
namespace {

// Dispatches a request synchronously and returns the response.
HttpResponse Call(const Router& router, std::string method, std::string_view target,
                  HttpRequest* seen = nullptr) {
  HttpRequest request;
  request.method = std::move(method);
  EXPECT_TRUE(ParseTarget(target, request));
  std::optional<HttpResponse> out;
  router.Dispatch(request, Responder([&](HttpResponse r) { out = std::move(r); }));
  if (seen != nullptr) *seen = request;
  EXPECT_TRUE(out.has_value());
  return out.value_or(HttpResponse::Empty(0));
}

RouteHandler Answer(std::string text) {
  return
      [text](const HttpRequest&, Responder responder) { responder(HttpResponse::Text(200, text)); };
}

TEST(RouterTest, CapturesAndDecodesPathParameters) {
  Router router;
  ASSERT_TRUE(router
                  .Add("POST", "/hooks/{tenant}/{connection}",
                       [](const HttpRequest& request, Responder responder) {
                         responder(
                             HttpResponse::Text(200, std::string(request.Param("tenant")) + "|" +
                                                         std::string(request.Param("connection"))));
                       })
                  .ok());
  HttpResponse response = Call(router, "POST", "/hooks/acme/shop%2Feu%20west");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "acme|shop/eu west");  // %2F stays inside its segment
}

TEST(RouterTest, PrefersLiteralSegmentsOverCaptures) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/runs/{id}", Answer("by id")).ok());
  ASSERT_TRUE(router.Add("GET", "/runs/stats", Answer("stats")).ok());
  EXPECT_EQ(Call(router, "GET", "/runs/stats").body, "stats");
  EXPECT_EQ(Call(router, "GET", "/runs/r-42").body, "by id");
}

TEST(RouterTest, UnknownPathGets404Problem) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/healthz", Answer("ok")).ok());
  HttpResponse response = Call(router, "GET", "/nope");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
  EXPECT_EQ(boost::json::parse(response.body).at("status").as_int64(), 404);
  // Segment counts must match exactly; captures never match empty segments.
  EXPECT_EQ(Call(router, "GET", "/healthz/").status, 404);
  ASSERT_TRUE(router.Add("GET", "/a/{x}", Answer("x")).ok());
  EXPECT_EQ(Call(router, "GET", "/a/").status, 404);
}

TEST(RouterTest, WrongMethodGets405WithAllowHeader) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/items/{id}", Answer("get")).ok());
  ASSERT_TRUE(router.Add("DELETE", "/items/{id}", Answer("delete")).ok());
  HttpResponse response = Call(router, "POST", "/items/7");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "DELETE, GET, HEAD");
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/problem+json");
}

TEST(RouterTest, HeadFallsBackToGetUnlessRoutedItself) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/healthz", Answer("get")).ok());
  EXPECT_EQ(Call(router, "HEAD", "/healthz").body, "get");
  ASSERT_TRUE(router.Add("HEAD", "/healthz", Answer("head")).ok());
  EXPECT_EQ(Call(router, "HEAD", "/healthz").body, "head");
}

TEST(RouterTest, MalformedEscapeInCaptureGets400NamingTheParameter) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/t/{tenant}", Answer("x")).ok());
  HttpRequest request;
  request.method = "GET";
  request.raw_path = "/t/%zz";  // ParseTarget would refuse it; the router must too
  std::optional<HttpResponse> out;
  router.Dispatch(request, Responder([&](HttpResponse r) { out = std::move(r); }));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 400);
  EXPECT_EQ(boost::json::parse(out->body).at("invalid-params").as_array()[0].at("name").as_string(),
            "tenant");
}

TEST(RouterTest, RejectsMalformedPatternsAndMethods) {
  Router router;
  EXPECT_EQ(router.Add("GET", "no-slash", Answer("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/{", Answer("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/x{y}", Answer("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/{b-c}", Answer("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a/{x}/{x}", Answer("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("get", "/a", Answer("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add("GET", "/a", nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(RouterTest, RejectsAmbiguousDuplicateRoutes) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/runs/{id}", Answer("")).ok());
  EXPECT_EQ(router.Add("GET", "/runs/{run}", Answer("")).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(router.Add("POST", "/runs/{run}", Answer("")).ok());
  ASSERT_EQ(router.Routes().size(), 2u);
  EXPECT_EQ(router.Routes()[1].method, "POST");
  EXPECT_EQ(router.Routes()[1].pattern, "/runs/{run}");
}

TEST(RouterTest, ReplacesStaleRouteParamsOnEachDispatch) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/a/{x}", Answer("")).ok());
  HttpRequest request;
  request.method = "GET";
  ASSERT_TRUE(ParseTarget("/a/1", request));
  request.route_params["stale"] = "yes";
  router.Dispatch(request, Responder([](HttpResponse) {}));
  EXPECT_EQ(request.Param("x"), "1");
  EXPECT_EQ(request.Param("stale"), "");
}

TEST(RouterTest, AllowedMethodsListsEveryRoutedMethodForAPath) {
  Router router;
  ASSERT_TRUE(router.Add("POST", "/hooks/{tenant}/{connection}", Answer("")).ok());
  EXPECT_EQ(router.AllowedMethods("/hooks/acme/shop"), std::vector<std::string>{"POST"});
  EXPECT_TRUE(router.AllowedMethods("/hooks/acme").empty());
}

}  // namespace
}  // namespace govflow::api
