// The process's memory allocator, as `govflow serve` configures and reports on it: jemalloc when
// the build links it (GOVFLOW_JEMALLOC, the default), glibc's malloc otherwise (sanitizer builds).
// docs/performance.md ("The allocator") says why. Thread-safe: every function may be called from
// any thread at any time.
#pragma once

#include <string>
#include <string_view>

namespace govflow::cli {

// "jemalloc" or "glibc".
std::string_view AllocatorName();

// How many arenas the allocator spreads threads over: jemalloc's configured narenas (2, see
// allocator.cc), or glibc's M_ARENA_MAX as ConfigureAllocatorForServe set it (0 = glibc's default).
unsigned AllocatorArenaLimit();

// Call once at the start of `govflow serve`, before any other thread exists. glibc: two arenas
// instead of eight per core (unless MALLOC_ARENA_MAX is set). jemalloc is configured when the
// process loads (malloc_conf) and needs nothing here.
void ConfigureAllocatorForServe();

// Hands freed memory back to the system now: jemalloc purges every arena's unused dirty pages,
// glibc trims every arena (malloc_trim). A few milliseconds; for a periodic job.
void ReleaseFreeHeap();

// "allocator=... heap_in_use_kb=... heap_resident_kb=... ..." : the allocator's own view of the
// heap, for the GOVFLOW_MALLOC_STATS diagnostic (memory_report.h).
std::string AllocatorReport();

}  // namespace govflow::cli
