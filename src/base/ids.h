// Strongly typed identifiers (TenantId, RunId, ...) so that a run id can never be passed where a
// tenant id is expected, and a generator for new unique, time-ordered ids.
// Id values are immutable and thread-compatible; NewUniqueId is safe from any thread.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <utility>

namespace govflow {

// An opaque string identifier tagged with what it identifies. Comparable and hashable.
template <typename Tag>
class Id {
 public:
  Id() = default;
  explicit Id(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;

 private:
  std::string value_;
};

using TenantId = Id<struct TenantIdTag>;
using ConnectionId = Id<struct ConnectionIdTag>;
using DeliveryId = Id<struct DeliveryIdTag>;
using RunId = Id<struct RunIdTag>;
using ExceptionCaseId = Id<struct ExceptionCaseIdTag>;

// A new 32-hex-digit id: 64 bits of wall time in microseconds (so ids sort roughly by creation)
// followed by 64 random bits. `prefix` (e.g. "run_") is prepended. Thread-safe: each thread has
// its own generator seeded from std::random_device.
inline std::string NewUniqueId(std::string_view prefix = {}) {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(micros),
                static_cast<unsigned long long>(rng()));
  std::string out(prefix);
  out.append(buf, 32);
  return out;
}

}  // namespace govflow

template <typename Tag>
struct std::hash<govflow::Id<Tag>> {
  size_t operator()(const govflow::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value());
  }
};
