#include "api/probes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <optional>

namespace govflow::api {
namespace {

HttpResponse Probe(const Router& router, std::string method, std::string_view path) {
  HttpRequest request;
  request.method = std::move(method);
  EXPECT_TRUE(ParseTarget(path, request));
  std::optional<HttpResponse> out;
  router.Dispatch(request, Responder([&](HttpResponse r) { out = std::move(r); }));
  return out.value_or(HttpResponse::Empty(0));
}

TEST(ProbesTest, HealthzIsAlwaysOkAndReadyzFollowsTheCheck) {
  std::atomic<bool> ready{false};
  Router router;
  ASSERT_TRUE(AddProbeRoutes(router, [&]() -> Status {
                if (ready.load()) return Status::Ok();
                return Unavailable("store migrations running");
              }).ok());
  HttpResponse health = Probe(router, "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.headers.Get("Content-Type"), "application/json");

  HttpResponse not_ready = Probe(router, "GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.headers.Get("Content-Type"), "application/problem+json");
  auto doc = boost::json::parse(not_ready.body);
  EXPECT_EQ(doc.at("detail").as_string(), "store migrations running");
  EXPECT_EQ(doc.at("reason").as_string(), "UNAVAILABLE");

  ready = true;
  EXPECT_EQ(Probe(router, "GET", "/readyz").status, 200);
  EXPECT_EQ(Probe(router, "HEAD", "/readyz").status, 200);
}

TEST(ProbesTest, RefusesAMissingCheckAndDoubleRegistration) {
  Router router;
  EXPECT_EQ(AddProbeRoutes(router, nullptr).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(AddProbeRoutes(router, [] { return Status::Ok(); }).ok());
  EXPECT_EQ(AddProbeRoutes(router, [] { return Status::Ok(); }).code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace govflow::api
