#include "connect/erp/business_central/classification.h"

#include <gtest/gtest.h>

namespace govflow::connect::business_central {
namespace {

using std::chrono::milliseconds;
const TimePoint kNow{std::chrono::seconds(784111777)};  // Sun, 06 Nov 1994 08:49:37 GMT

HttpResponse Status(int status, std::string code = "", std::string message = "",
                    HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.may_have_reached_server = true;
  r.headers = std::move(headers);
  if (!code.empty()) {
    r.body = R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
  }
  return r;
}

HttpResponse Transport(TransportError e, bool reached) {
  HttpResponse r;
  r.error = e;
  r.may_have_reached_server = reached;
  r.error_message = "detail";
  return r;
}

struct Row {
  const char* name;
  HttpResponse response;
  ErrorClass create;
  ErrorClass read;
};

// The brief's table, row by row.
TEST(ClassificationTest, EveryRowOfTheOutcomeTable) {
  const std::vector<Row> rows = {
      {"unknown item", Status(400, "Internal_RecordNotFound", "The Item does not exist."),
       ErrorClass::kMasterData, ErrorClass::kMasterData},
      {"unknown item as BadRequest_NotFound",
       Status(400, "BadRequest_NotFound", "The Item does not exist. Identification: No.='X'"),
       ErrorClass::kMasterData, ErrorClass::kMasterData},
      {"query syntax BadRequest_NotFound",
       Status(400, "BadRequest_NotFound", "Bad Request - Error in query syntax."),
       ErrorClass::kValidation, ErrorClass::kValidation},
      {"unknown customer number",
       Status(400, "Internal_InvalidTableRelation", "cannot be found in the related table"),
       ErrorClass::kMasterData, ErrorClass::kMasterData},
      {"blocked customer",
       Status(400, "Application_FieldValidationException", "Blocked must be equal to ' '"),
       ErrorClass::kMasterData, ErrorClass::kMasterData},
      {"missing customer", Status(400, "Application_DialogException", "A customerNumber..."),
       ErrorClass::kValidation, ErrorClass::kValidation},
      {"bad body", Status(400, "BadRequest", "Invalid Request Body"), ErrorClass::kValidation,
       ErrorClass::kValidation},
      {"too long", Status(400, "Application_StringExceededLength", "length 57"),
       ErrorClass::kValidation, ErrorClass::kValidation},
      {"duplicate key", Status(400, "Internal_EntityWithSameKeyExists", "already exists"),
       ErrorClass::kConflict, ErrorClass::kConflict},
      {"400 without body", Status(400), ErrorClass::kValidation, ErrorClass::kValidation},
      {"401", Status(401, "Authentication_InvalidCredentials", "rejected"), ErrorClass::kAuth,
       ErrorClass::kAuth},
      {"403", Status(403, "Authorization_NoPermission", "no"), ErrorClass::kAuth,
       ErrorClass::kAuth},
      {"token invalid_client",
       [] {
         HttpResponse r = Status(401);
         r.body = R"({"error":"invalid_client","error_description":"AADSTS7000215"})";
         return r;
       }(),
       ErrorClass::kAuth, ErrorClass::kAuth},
      {"404", Status(404, "BadRequest_ResourceNotFound", "no company"), ErrorClass::kNotFound,
       ErrorClass::kNotFound},
      {"408", Status(408), ErrorClass::kUnknown, ErrorClass::kTransient},
      {"409", Status(409, "Request_EntityChanged", "changed"), ErrorClass::kConflict,
       ErrorClass::kConflict},
      {"422 (other 4xx)", Status(422), ErrorClass::kValidation, ErrorClass::kValidation},
      {"429", Status(429, "Application_TooManyRequests", "slow"), ErrorClass::kThrottled,
       ErrorClass::kThrottled},
      // A create that got a 500/502/504 may have happened: settled by lookup, never re-sent blind.
      {"500", Status(500, "Internal_ServerError", "sql"), ErrorClass::kUnknown,
       ErrorClass::kTransient},
      {"502", Status(502), ErrorClass::kUnknown, ErrorClass::kTransient},
      {"503", Status(503, "Internal_ServiceUnavailable", "queue"), ErrorClass::kTransient,
       ErrorClass::kTransient},
      {"504", Status(504, "Internal_GatewayTimeout", "aborted"), ErrorClass::kUnknown,
       ErrorClass::kTransient},
      {"599 (other 5xx)", Status(599), ErrorClass::kUnknown, ErrorClass::kTransient},
      {"302", Status(302), ErrorClass::kUnknown, ErrorClass::kTransient},
      {"connect failed", Transport(TransportError::kConnectFailed, false), ErrorClass::kTransient,
       ErrorClass::kTransient},
      {"timeout after sending", Transport(TransportError::kTimeout, true), ErrorClass::kUnknown,
       ErrorClass::kTransient},
      {"timeout before sending", Transport(TransportError::kTimeout, false), ErrorClass::kTransient,
       ErrorClass::kTransient},
      {"reset after sending", Transport(TransportError::kConnectionReset, true),
       ErrorClass::kUnknown, ErrorClass::kTransient},
      {"reset before sending", Transport(TransportError::kConnectionReset, false),
       ErrorClass::kTransient, ErrorClass::kTransient},
      {"garbled answer", Transport(TransportError::kProtocolError, true), ErrorClass::kUnknown,
       ErrorClass::kTransient},
      {"bad url", Transport(TransportError::kInvalidRequest, false), ErrorClass::kValidation,
       ErrorClass::kValidation},
      {"cancelled after sending", Transport(TransportError::kCancelled, true), ErrorClass::kUnknown,
       ErrorClass::kTransient},
  };
  for (const Row& row : rows) {
    auto c = Classify(row.response, RequestKind::kCreate, kNow);
    auto r = Classify(row.response, RequestKind::kRead, kNow);
    ASSERT_TRUE(c.has_value()) << row.name;
    ASSERT_TRUE(r.has_value()) << row.name;
    EXPECT_EQ(ErrorClassName(c->error_class), ErrorClassName(row.create)) << row.name;
    EXPECT_EQ(ErrorClassName(r->error_class), ErrorClassName(row.read)) << row.name;
  }
}

TEST(ClassificationTest, TwoHundredsAreSuccess) {
  EXPECT_EQ(Classify(Status(200), RequestKind::kRead, kNow), std::nullopt);
  EXPECT_EQ(Classify(Status(201), RequestKind::kCreate, kNow), std::nullopt);
  EXPECT_EQ(Classify(Status(204), RequestKind::kCreate, kNow), std::nullopt);
}

TEST(ClassificationTest, CarriesCodeMessageAndStatus) {
  auto f = Classify(Status(400, "Internal_RecordNotFound", "The Item does not exist."),
                    RequestKind::kCreate, kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->http_status, 400);
  EXPECT_EQ(f->code, "Internal_RecordNotFound");
  EXPECT_EQ(f->message, "The Item does not exist.");
  auto t = Classify(Transport(TransportError::kTimeout, true), RequestKind::kCreate, kNow);
  EXPECT_EQ(t->http_status, 0);
  EXPECT_EQ(t->code, "timeout");
}

TEST(ClassificationTest, HonoursRetryAfterSecondsOn429And503And504) {
  for (int status : {429, 503, 504}) {
    auto f = Classify(Status(status, "", "", {{"Retry-After", "7"}}), RequestKind::kCreate, kNow);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->retry_after, milliseconds(7000)) << status;
  }
}

TEST(ClassificationTest, HonoursRetryAfterHttpDate) {
  auto f = Classify(Status(429, "", "", {{"retry-after", "Sun, 06 Nov 1994 08:50:07 GMT"}}),
                    RequestKind::kRead, kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->retry_after, milliseconds(30'000));
}

TEST(ClassificationTest, IgnoresRetryAfterWhereTheTableDoesNotHonourIt) {
  auto f = Classify(Status(500, "", "", {{"Retry-After", "7"}}), RequestKind::kRead, kNow);
  EXPECT_EQ(f->retry_after, std::nullopt);
  auto g = Classify(Status(429, "", "", {{"Retry-After", "later"}}), RequestKind::kRead, kNow);
  EXPECT_EQ(g->error_class, ErrorClass::kThrottled);
  EXPECT_EQ(g->retry_after, std::nullopt);
}

TEST(ClassificationTest, EveryTableRowExplainsItself) {
  for (const auto& rule : ClassificationTable()) EXPECT_FALSE(rule.why.empty());
}

TEST(ParseRemoteErrorTest, ReadsBusinessCentralAndOAuthShapes) {
  auto bc = ParseRemoteError(R"({"error":{"code":"BadRequest","message":"m"}})");
  EXPECT_EQ(bc.code, "BadRequest");
  EXPECT_EQ(bc.message, "m");
  auto oauth = ParseRemoteError(R"({"error":"invalid_client","error_description":"d"})");
  EXPECT_EQ(oauth.code, "invalid_client");
  EXPECT_EQ(oauth.message, "d");
  EXPECT_EQ(ParseRemoteError("<html>").code, "");
}

}  // namespace
}  // namespace govflow::connect::business_central
