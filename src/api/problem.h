// RFC 9457 problem details (application/problem+json): the one shape of every error body govflow's
// HTTP API sends, naming the offending field where there is one ("invalid-params").
// A Problem is a value; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.h"

namespace govflow::api {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// Builds one problem document. Members left unset are omitted, except `type` (defaults to
// "about:blank") and `title` (defaults to the status's reason phrase), as RFC 9457 section 4.2
// prescribes for about:blank.
//
//   return responder(Problem(422)
//                        .Detail("the order has no line items")
//                        .InvalidParam("line_items", "must not be empty")
//                        .ToResponse());
//
// gives {"type":"about:blank","title":"Unprocessable Content","status":422,
//        "detail":"the order has no line items",
//        "invalid-params":[{"name":"line_items","reason":"must not be empty"}]}
class Problem {
 public:
  explicit Problem(int status) : status_(status) {}

  // A URI reference identifying the problem type, e.g. "urn:govflow:problem:bad-signature".
  Problem& Type(std::string uri) & {
    type_ = std::move(uri);
    return *this;
  }
  Problem& Title(std::string title) & {
    title_ = std::move(title);
    return *this;
  }
  Problem& Detail(std::string detail) & {
    detail_ = std::move(detail);
    return *this;
  }
  Problem& Instance(std::string uri) & {
    instance_ = std::move(uri);
    return *this;
  }
  // One offending input: `name` is the field (a JSON pointer-ish path such as "line_items[0].sku",
  // a header "X-Shopify-Hmac-Sha256", or a query parameter), `reason` says what is wrong.
  Problem& InvalidParam(std::string name, std::string reason) & {
    invalid_params_.emplace_back(std::move(name), std::move(reason));
    return *this;
  }
  // An extension member with a string value (RFC 9457 section 3.2). Names colliding with the
  // standard members are ignored.
  Problem& Extension(std::string name, std::string value) & {
    extensions_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Problem&& Type(std::string uri) && { return std::move(Type(std::move(uri))); }
  Problem&& Title(std::string title) && { return std::move(Title(std::move(title))); }
  Problem&& Detail(std::string detail) && { return std::move(Detail(std::move(detail))); }
  Problem&& Instance(std::string uri) && { return std::move(Instance(std::move(uri))); }
  Problem&& InvalidParam(std::string name, std::string reason) && {
    return std::move(InvalidParam(std::move(name), std::move(reason)));
  }
  Problem&& Extension(std::string name, std::string value) && {
    return std::move(Extension(std::move(name), std::move(value)));
  }

  int status() const { return status_; }
  // The JSON document (one line, members in the order type, title, status, detail, instance,
  // invalid-params, extensions).
  std::string ToJson() const;
  // A response with this status, Content-Type application/problem+json and ToJson() as body.
  HttpResponse ToResponse() const;

 private:
  int status_;
  std::string type_;
  std::string title_;
  std::string detail_;
  std::string instance_;
  std::vector<std::pair<std::string, std::string>> invalid_params_;
  std::vector<std::pair<std::string, std::string>> extensions_;
};

// Shorthand for the common case: one offending field. 400 unless told otherwise.
HttpResponse FieldProblem(std::string_view field, std::string_view reason, int status = 400);

}  // namespace govflow::api
