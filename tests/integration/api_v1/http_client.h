// A small blocking HTTP/1.1 client for tests (one request per connection, raw request targets so
// that path-traversal attempts reach the server unchanged). Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace govflow::testing {

struct TestResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of this name (case-insensitive), "" if none.
  std::string Header(std::string_view name) const;
};

// Sends `method target` to 127.0.0.1:port with `headers` ("Name: value") and `body`; status 0
// when the exchange failed.
TestResponse Fetch(uint16_t port, const std::string& method, const std::string& target,
                   const std::vector<std::string>& headers = {}, const std::string& body = "");

}  // namespace govflow::testing
