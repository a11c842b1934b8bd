#include "connect/http/http_client.h"

#include <cctype>

namespace govflow::connect {

std::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string_view TransportErrorName(TransportError error) {
  switch (error) {
    case TransportError::kNone:
      return "none";
    case TransportError::kConnectFailed:
      return "connect_failed";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kConnectionReset:
      return "connection_reset";
    case TransportError::kInvalidRequest:
      return "invalid_request";
    case TransportError::kProtocolError:
      return "protocol_error";
    case TransportError::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool equal = true;
    for (size_t i = 0; i < key.size() && equal; ++i) {
      equal = std::tolower(static_cast<unsigned char>(key[i])) ==
              std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (equal) return &value;
  }
  return nullptr;
}

}  // namespace govflow::connect
