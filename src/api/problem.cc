#include "api/problem.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace govflow::api {

std::string Problem::ToJson() const {
  boost::json::object doc;
  doc["type"] = type_.empty() ? std::string("about:blank") : type_;
  doc["title"] = title_.empty() ? std::string(ReasonPhrase(status_)) : title_;
  doc["status"] = status_;
  if (!detail_.empty()) doc["detail"] = detail_;
  if (!instance_.empty()) doc["instance"] = instance_;
  if (!invalid_params_.empty()) {
    boost::json::array params;
    for (const auto& [name, reason] : invalid_params_) {
      params.push_back(boost::json::object{{"name", name}, {"reason", reason}});
    }
    doc["invalid-params"] = std::move(params);
  }
  for (const auto& [name, value] : extensions_) {
    if (doc.contains(name)) continue;  // never shadow a standard member
    doc[name] = value;
  }
  return boost::json::serialize(doc);
}

HttpResponse Problem::ToResponse() const {
  HttpResponse r;
  r.status = status_;
  r.headers.Set("Content-Type", std::string(kProblemContentType));
  r.body = ToJson();
  return r;
}

HttpResponse HttpResponse::Problem(int status, std::string_view detail) {
  return api::Problem(status).Detail(std::string(detail)).ToResponse();
}

HttpResponse FieldProblem(std::string_view field, std::string_view reason, int status) {
  std::string detail = "invalid field '";
  detail.append(field).append("': ").append(reason);
  return api::Problem(status)
      .Detail(std::move(detail))
      .InvalidParam(std::string(field), std::string(reason))
      .ToResponse();
}

}  // namespace govflow::api
