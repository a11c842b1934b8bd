#include "sim/loopback_target.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace govflow::sim {

Result<LoopbackTarget> ParseLoopbackTarget(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgument("target '" + std::string(url) + "' must start with http://");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  LoopbackTarget t;
  t.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (t.target.front() == '?') t.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("target '" + std::string(url) + "' must not carry credentials");
  }
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("bad IPv6 host in target");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':' || after.size() == 1) return InvalidArgument("bad port in target");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return InvalidArgument("empty port in target '" + std::string(url) + "'");
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
      return InvalidArgument("bad port '" + std::string(port) + "' in target");
    }
    t.port = static_cast<uint16_t>(value);
  }
  std::string h(host);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool ipv6 = false;
  if (h == "localhost") {
    t.host = "127.0.0.1";
  } else if (h == "::1") {
    t.host = "::1";
    ipv6 = true;
  } else {
    in_addr addr{};
    if (inet_pton(AF_INET, h.c_str(), &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127) {
      return InvalidArgument("refusing target host '" + std::string(host) +
                             "': only loopback targets (127.0.0.0/8, localhost, ::1) are allowed");
    }
    t.host = h;
  }
  t.host_header = (ipv6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
  return t;
}

}  // namespace govflow::sim
