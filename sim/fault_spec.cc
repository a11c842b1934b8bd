#include "sim/fault_spec.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace govflow::sim {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<double> ParseProbability(std::string_view key, std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return InvalidArgument("fault spec: '" + std::string(key) + "' wants a number in [0,1], got '" +
                           std::string(text) + "'");
  }
  if (v < 0 || v > 1) {
    return InvalidArgument("fault spec: '" + std::string(key) + "' must be in [0,1], got '" +
                           std::string(text) + "'");
  }
  return v;
}

Result<int> ParsePositiveInt(std::string_view key, std::string_view text) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 1) {
    return InvalidArgument("fault spec: '" + std::string(key) +
                           "' wants a positive integer, got '" + std::string(text) + "'");
  }
  return v;
}

std::string FormatDuration(std::chrono::microseconds d) {
  auto us = d.count();
  if (us % 1'000'000 == 0 && us != 0) return std::to_string(us / 1'000'000) + "s";
  if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  return std::to_string(us) + "us";
}

std::string FormatDouble(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

Result<std::chrono::microseconds> ParseDuration(std::string_view text) {
  text = Trim(text);
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || v < 0) {
    return InvalidArgument("bad duration '" + std::string(text) + "' (want e.g. 40ms, 2s, 250us)");
  }
  std::string_view unit(ptr, text.data() + text.size() - ptr);
  double scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1000;
  } else if (unit == "us") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1'000'000;
  } else {
    return InvalidArgument("bad duration unit in '" + std::string(text) + "' (us, ms or s)");
  }
  return std::chrono::microseconds(std::llround(v * scale));
}

Result<FaultSpec> FaultSpec::Parse(std::string_view spec) {
  FaultSpec out;
  spec = Trim(spec);
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("fault spec: expected key=value, got '" + std::string(item) + "'");
    }
    std::string_view key = Trim(item.substr(0, eq));
    std::string_view value = Trim(item.substr(eq + 1));
    if (key == "error") {
      GOVFLOW_ASSIGN_OR_RETURN(out.error, ParseProbability(key, value));
    } else if (key == "throttle") {
      GOVFLOW_ASSIGN_OR_RETURN(out.throttle, ParseProbability(key, value));
    } else if (key == "throttle_burst") {
      GOVFLOW_ASSIGN_OR_RETURN(out.throttle_burst, ParsePositiveInt(key, value));
    } else if (key == "retry_after") {
      GOVFLOW_ASSIGN_OR_RETURN(out.retry_after_seconds, ParsePositiveInt(key, value));
    } else if (key == "timeout") {
      GOVFLOW_ASSIGN_OR_RETURN(out.timeout, ParseProbability(key, value));
    } else if (key == "timeout_after_create") {
      GOVFLOW_ASSIGN_OR_RETURN(out.timeout_after_create, ParseProbability(key, value));
    } else if (key == "timeout_hold") {
      GOVFLOW_ASSIGN_OR_RETURN(auto hold, ParseDuration(value));
      out.timeout_hold = std::chrono::duration_cast<std::chrono::milliseconds>(hold);
    } else if (key == "latency") {
      size_t dots = value.find("..");
      if (dots == std::string_view::npos) {
        GOVFLOW_ASSIGN_OR_RETURN(out.latency_min, ParseDuration(value));
        out.latency_max = out.latency_min;
      } else {
        GOVFLOW_ASSIGN_OR_RETURN(out.latency_min, ParseDuration(value.substr(0, dots)));
        GOVFLOW_ASSIGN_OR_RETURN(out.latency_max, ParseDuration(value.substr(dots + 2)));
        if (out.latency_max < out.latency_min) {
          return InvalidArgument("fault spec: latency range '" + std::string(value) +
                                 "' has its upper bound below its lower bound");
        }
      }
    } else if (key == "unknown_item") {
      GOVFLOW_ASSIGN_OR_RETURN(out.unknown_item, ParseProbability(key, value));
    } else if (key == "blocked_customer") {
      GOVFLOW_ASSIGN_OR_RETURN(out.blocked_customer, ParseProbability(key, value));
    } else {
      return InvalidArgument(
          "fault spec: unknown key '" + std::string(key) +
          "' (known: error, throttle, throttle_burst, retry_after, timeout, timeout_after_create, "
          "timeout_hold, latency, unknown_item, blocked_customer)");
    }
  }
  if (out.error + out.throttle + out.timeout > 1.0) {
    return InvalidArgument("fault spec: error + throttle + timeout must not exceed 1");
  }
  return out;
}

std::string FaultSpec::ToString() const {
  std::string s =
      "error=" + FormatDouble(error) + ",throttle=" + FormatDouble(throttle) +
      ",throttle_burst=" + std::to_string(throttle_burst) +
      ",retry_after=" + std::to_string(retry_after_seconds) + ",timeout=" + FormatDouble(timeout) +
      ",timeout_after_create=" + FormatDouble(timeout_after_create) +
      ",timeout_hold=" + FormatDuration(timeout_hold) + ",latency=" + FormatDuration(latency_min) +
      ".." + FormatDuration(latency_max) + ",unknown_item=" + FormatDouble(unknown_item) +
      ",blocked_customer=" + FormatDouble(blocked_customer);
  return s;
}

}  // namespace govflow::sim
