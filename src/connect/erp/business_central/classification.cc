#include "connect/erp/business_central/classification.h"

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <cctype>

#include "connect/http/retry_after.h"

namespace govflow::connect::business_central {
namespace {

using EC = ErrorClass;
using TE = TransportError;

// clang-format off
constexpr std::array<ClassificationRule, 30> kRules = {{
  // transport              reached  status      code prefix                     message            create             read              Retry-After
  // ---- no HTTP answer -------------------------------------------------------------------------
  {TE::kConnectFailed,      false,   0, 0,       "", "",                                             EC::kTransient,    EC::kTransient,   false, "never connected: nothing was sent"},
  {TE::kInvalidRequest,     false,   0, 0,       "", "",                                             EC::kValidation,   EC::kValidation,  false, "the request could not be started (bad URL)"},
  {TE::kCancelled,          false,   0, 0,       "", "",                                             EC::kTransient,    EC::kTransient,   false, "shut down before sending"},
  {TE::kTimeout,            true,    0, 0,       "", "",                                             EC::kUnknown,      EC::kTransient,   false, "sent, no answer in time: BC may have created it"},
  {TE::kConnectionReset,    true,    0, 0,       "", "",                                             EC::kUnknown,      EC::kTransient,   false, "sent, connection broke: BC may have created it"},
  {TE::kProtocolError,      true,    0, 0,       "", "",                                             EC::kUnknown,      EC::kTransient,   false, "sent, garbled answer: BC may have created it"},
  {TE::kCancelled,          true,    0, 0,       "", "",                                             EC::kUnknown,      EC::kTransient,   false, "sent, then shut down"},
  {TE::kTimeout,            false,   0, 0,       "", "",                                             EC::kTransient,    EC::kTransient,   false, "timed out before sending"},
  {TE::kConnectionReset,    false,   0, 0,       "", "",                                             EC::kTransient,    EC::kTransient,   false, "broke before sending"},
  {TE::kProtocolError,      false,   0, 0,       "", "",                                             EC::kTransient,    EC::kTransient,   false, "failed before sending"},
  // ---- 4xx: about the request or the data -----------------------------------------------------
  {TE::kNone,               false,   400, 499,   "Authentication_", "",                              EC::kAuth,         EC::kAuth,        false, "credentials rejected"},
  {TE::kNone,               false,   400, 499,   "Authorization_", "",                               EC::kAuth,         EC::kAuth,        false, "identity lacks permission"},
  {TE::kNone,               false,   400, 401,   "invalid_client", "",                               EC::kAuth,         EC::kAuth,        false, "token endpoint: wrong client id/secret"},
  {TE::kNone,               false,   400, 401,   "unauthorized_client", "",                          EC::kAuth,         EC::kAuth,        false, "token endpoint: client not allowed"},
  {TE::kNone,               false,   400, 400,   "Internal_RecordNotFound", "",                      EC::kMasterData,   EC::kMasterData,  false, "a referenced record (item, customer) does not exist"},
  {TE::kNone,               false,   400, 400,   "Internal_InvalidTableRelation", "",                EC::kMasterData,   EC::kMasterData,  false, "a value is not in the related master table"},
  {TE::kNone,               false,   400, 400,   "Internal_DataNotFoundFilter", "",                  EC::kMasterData,   EC::kMasterData,  false, "no master record within the filter"},
  {TE::kNone,               false,   400, 400,   "BadRequest_NotFound", "does not exist",            EC::kMasterData,   EC::kMasterData,  false, "unknown item or customer reported as not found"},
  {TE::kNone,               false,   400, 400,   "Application_FieldValidationException", "",         EC::kMasterData,   EC::kMasterData,  false, "TestField on a master record: blocked customer/item, missing posting group"},
  {TE::kNone,               false,   400, 400,   "Internal_EntityWithSameKeyExists", "",             EC::kConflict,     EC::kConflict,    false, "a record with the same key exists"},
  {TE::kNone,               false,   400, 400,   "", "",                                             EC::kValidation,   EC::kValidation,  false, "malformed request or invalid field values"},
  {TE::kNone,               false,   401, 401,   "", "",                                             EC::kAuth,         EC::kAuth,        false, "token rejected (after one refresh)"},
  {TE::kNone,               false,   403, 403,   "", "",                                             EC::kAuth,         EC::kAuth,        false, "not permitted"},
  {TE::kNone,               false,   404, 404,   "", "",                                             EC::kNotFound,     EC::kNotFound,    false, "company or resource does not exist"},
  {TE::kNone,               false,   408, 408,   "", "",                                             EC::kUnknown,      EC::kTransient,   false, "BC cancelled the session after it started: settle by lookup"},
  {TE::kNone,               false,   409, 409,   "", "",                                             EC::kConflict,     EC::kConflict,    false, "conflict (Request_EntityChanged)"},
  {TE::kNone,               false,   429, 429,   "", "",                                             EC::kThrottled,    EC::kThrottled,   true,  "rate limit: wait Retry-After"},
  // ---- 5xx ------------------------------------------------------------------------------------
  // A 500, 502 or 504 can come after BC (or a gateway in front of it) already ran the request, so
  // a create that got one is settled by lookup before it is sent again. A 503 is BC refusing the
  // request at its queue, before running it.
  {TE::kNone,               false,   500, 502,   "", "",                                             EC::kUnknown,      EC::kTransient,   false, "server error: BC may have created it; settle by lookup"},
  {TE::kNone,               false,   503, 503,   "", "",                                             EC::kTransient,    EC::kTransient,   true,  "queue full / service unavailable: BC did not run it"},
  {TE::kNone,               false,   504, 504,   "", "",                                             EC::kUnknown,      EC::kTransient,   true,  "gateway timeout: BC may have created it; settle by lookup"},
}};
// clang-format on

// Rows for statuses the table does not name (kept apart so the table stays readable).
constexpr ClassificationRule kOtherClientError = {TE::kNone,
                                                  false,
                                                  400,
                                                  499,
                                                  "",
                                                  "",
                                                  EC::kValidation,
                                                  EC::kValidation,
                                                  false,
                                                  "other 4xx: the request is not acceptable"};
constexpr ClassificationRule kOtherServerError = {
    TE::kNone, false, 500, 599, "", "", EC::kUnknown, EC::kTransient, false,
    "other 5xx: BC may have created it; settle by lookup"};
constexpr ClassificationRule kUnexpectedStatus = {
    TE::kNone,    false,
    100,          399,
    "",           "",
    EC::kUnknown, EC::kTransient,
    false,        "1xx/3xx final status: not a BC answer; settle by lookup"};

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

bool Matches(const ClassificationRule& rule, const HttpResponse& r, const RemoteError& e) {
  if (r.error != TE::kNone) {
    return rule.transport == r.error && rule.requires_reached == r.may_have_reached_server;
  }
  if (rule.transport != TE::kNone) return false;
  if (r.status < rule.status_min || r.status > rule.status_max) return false;
  if (!rule.code_prefix.empty() && e.code.rfind(rule.code_prefix, 0) != 0) return false;
  return ContainsIgnoreCase(e.message, rule.message_contains);
}

}  // namespace

RemoteError ParseRemoteError(std::string_view body) {
  RemoteError out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return out;
  const boost::json::object& o = v.get_object();
  const boost::json::value* error = o.if_contains("error");
  if (error == nullptr) return out;
  if (error->is_object()) {
    const auto& e = error->get_object();
    if (const auto* c = e.if_contains("code"); c != nullptr && c->is_string()) {
      out.code = std::string(c->get_string());
    }
    if (const auto* m = e.if_contains("message"); m != nullptr && m->is_string()) {
      out.message = std::string(m->get_string());
    }
  } else if (error->is_string()) {
    out.code = std::string(error->get_string());
    if (const auto* d = o.if_contains("error_description"); d != nullptr && d->is_string()) {
      out.message = std::string(d->get_string());
    }
  }
  return out;
}

std::span<const ClassificationRule> ClassificationTable() {
  return kRules;
}

std::optional<CallFailure> Classify(const HttpResponse& response, RequestKind kind, TimePoint now) {
  if (response.error == TE::kNone && response.status >= 200 && response.status <= 299) {
    return std::nullopt;
  }
  const RemoteError remote =
      response.error == TE::kNone ? ParseRemoteError(response.body) : RemoteError{};
  const ClassificationRule* rule = nullptr;
  for (const auto& row : kRules) {
    if (Matches(row, response, remote)) {
      rule = &row;
      break;
    }
  }
  if (rule == nullptr) {
    if (response.error != TE::kNone) {
      rule = &kRules[0];  // unreachable: every transport error has rows
    } else if (response.status >= 400 && response.status <= 499) {
      rule = &kOtherClientError;
    } else if (response.status >= 500) {
      rule = &kOtherServerError;
    } else {
      rule = &kUnexpectedStatus;
    }
  }
  CallFailure f;
  f.error_class = kind == RequestKind::kCreate ? rule->for_create : rule->for_read;
  f.http_status = response.error == TE::kNone ? response.status : 0;
  if (response.error != TE::kNone) {
    f.code = std::string(TransportErrorName(response.error));
    f.message = response.error_message;
  } else {
    f.code = remote.code;
    f.message = remote.message.empty() ? std::string(rule->why) : remote.message;
  }
  if (rule->honour_retry_after) {
    if (const std::string* ra = response.FindHeader("Retry-After")) {
      f.retry_after = ParseRetryAfter(*ra, now);
    }
  }
  return f;
}

}  // namespace govflow::connect::business_central
