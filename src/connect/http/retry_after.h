// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date, turned into a wait.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "base/clock.h"

namespace govflow::connect {

// The wait a Retry-After value asks for, measured from `now`. Accepts delay-seconds ("120") and
// the three HTTP-date forms (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", obsolete RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994"). A date in the past
// gives zero. The result is capped at `cap` so that a hostile or broken header cannot park work
// forever. Returns nullopt for anything else (empty, negative, garbage).
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, TimePoint now, std::chrono::milliseconds cap = std::chrono::hours(1));

// Parses an HTTP-date (any of the three forms above) as UTC. nullopt if malformed.
std::optional<TimePoint> ParseHttpDate(std::string_view value);

}  // namespace govflow::connect
