// Run latency as a log-scale histogram: bin i holds latencies in (Bound(i-1), Bound(i)], with
// Bound(i) = 1 ms x 1.2^i, so bins from the rollup tables add up over any window and dimension
// filter, and a percentile read from them is at most 20% above the true value (never below).
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

namespace govflow::intel {

// 1.2^110 ms is about 5 days; longer latencies go to the last bin.
inline constexpr int kLatencyBins = 111;

// The bin of a latency (negative latencies count as 0).
int LatencyBin(std::chrono::microseconds latency);
// The upper bound of bin `bin`, in microseconds.
int64_t LatencyBinUpperBound(int bin);

// The q-quantile (0 < q <= 1) of the samples in `bins` (bin -> count; counts <= 0 ignored) as
// the upper bound of the bin holding the ceil(q x total)-th smallest sample; nullopt when there
// are no samples.
std::optional<int64_t> LatencyPercentile(const std::map<int, int64_t>& bins, double q);

}  // namespace govflow::intel
