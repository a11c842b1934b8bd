// SimRng: the simulators' one source of randomness, a SplitMix64 generator seeded explicitly so
// that a seed reproduces a run. Also stateless Mix() for decisions keyed by data (e.g. per order).
// Not thread-safe: each simulator owns its generator and uses it from its own thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace govflow::sim {

class SimRng {
 public:
  explicit SimRng(uint64_t seed) : state_(seed) {}

  // One SplitMix64 step of `x`: a good 64-bit hash of an integer.
  static uint64_t Mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  // FNV-1a of `s`, then mixed with `salt`: stable across runs and platforms.
  static uint64_t HashString(std::string_view s, uint64_t salt) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    return Mix(h ^ salt);
  }
  // Maps a 64-bit value to [0, 1).
  static double ToUnit(uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Unit() { return ToUnit(Next()); }
  // Uniform integer in [lo, hi] (inclusive); lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return p > 0 && Unit() < p; }

 private:
  uint64_t state_;
};

}  // namespace govflow::sim
