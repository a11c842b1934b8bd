#include "intel/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace govflow::intel {

namespace {
constexpr double kFirstBoundUs = 1000;  // 1 ms
constexpr double kGrowth = 1.2;
}  // namespace

int64_t LatencyBinUpperBound(int bin) {
  return static_cast<int64_t>(std::llround(kFirstBoundUs * std::pow(kGrowth, bin)));
}

int LatencyBin(std::chrono::microseconds latency) {
  const int64_t us = std::max<int64_t>(0, latency.count());
  if (us <= kFirstBoundUs) return 0;
  int bin = static_cast<int>(
      std::ceil(std::log(static_cast<double>(us) / kFirstBoundUs) / std::log(kGrowth)));
  // Floating point may land one off at a boundary: settle on the bin the bounds say.
  while (bin > 0 && LatencyBinUpperBound(bin - 1) >= us) --bin;
  while (bin < kLatencyBins - 1 && LatencyBinUpperBound(bin) < us) ++bin;
  return std::min(bin, kLatencyBins - 1);
}

std::optional<int64_t> LatencyPercentile(const std::map<int, int64_t>& bins, double q) {
  int64_t total = 0;
  for (const auto& [bin, n] : bins) total += std::max<int64_t>(0, n);
  if (total == 0) return std::nullopt;
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * static_cast<double>(total))));
  int64_t seen = 0;
  for (const auto& [bin, n] : bins) {
    seen += std::max<int64_t>(0, n);
    if (seen >= rank) return LatencyBinUpperBound(bin);
  }
  return LatencyBinUpperBound(bins.rbegin()->first);
}

}  // namespace govflow::intel
