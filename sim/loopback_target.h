// LoopbackTarget: an http:// URL the simulators may send to. Only loopback hosts are allowed
// (127.0.0.0/8, localhost, ::1), so a simulator can never be pointed at a real system.
// A value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::sim {

struct LoopbackTarget {
  std::string host;  // numeric address to connect to: "127.0.0.1" or "::1"
  uint16_t port = 80;
  std::string target;       // origin-form path and query, at least "/"
  std::string host_header;  // "127.0.0.1:8080" (IPv6 in brackets)
};

// Parses "http://HOST[:PORT][/path][?query]". Fails on other schemes, on userinfo, and on any
// host that is not loopback.
Result<LoopbackTarget> ParseLoopbackTarget(std::string_view url);

}  // namespace govflow::sim
