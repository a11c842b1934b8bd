#include "cli/allocator.h"

#include <malloc.h>
#include <stdio.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#ifdef GOVFLOW_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>

// Read by jemalloc when the process loads, before main (MALLOC_CONF in the environment is applied
// after it and wins). Two arenas, as glibc got before: each busy thread (HTTP, executor,
// committer, checkpointer, jobs) otherwise gets its own arena and keeps its own free pages; the
// per-thread caches in front of the arenas keep allocation itself uncontended. Measured under the
// e2e load: 0.96 ms of CPU per order with two arenas against 1.10 with jemalloc's default of
// four per core, and 73 MB against 89 MB resident (docs/performance.md, "The allocator").
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf = "narenas:2";
}
#endif

namespace govflow::cli {
namespace {

#ifdef GOVFLOW_WITH_JEMALLOC
// A size_t statistic; 0 when jemalloc does not know it.
size_t JemallocSize(const char* name) {
  size_t value = 0;
  size_t size = sizeof(value);
  if (mallctl(name, &value, &size, nullptr, 0) != 0) return 0;
  return value;
}
#else
unsigned glibc_arena_limit = 0;  // written once, before threads start

// How many malloc arenas glibc has made (one <heap> element each in malloc_info's XML).
int GlibcArenaCount() {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buffer, &size);
  if (out == nullptr) return -1;
  malloc_info(0, out);
  fclose(out);
  int heaps = 0;
  for (const char* p = buffer; (p = std::strstr(p, "<heap nr=")) != nullptr; ++p) ++heaps;
  free(buffer);  // NOLINT(cppcoreguidelines-no-malloc): open_memstream's buffer
  return heaps;
}
#endif

}  // namespace

#ifdef GOVFLOW_WITH_JEMALLOC

std::string_view AllocatorName() {
  return "jemalloc";
}

unsigned AllocatorArenaLimit() {
  unsigned narenas = 0;
  size_t size = sizeof(narenas);
  if (mallctl("opt.narenas", &narenas, &size, nullptr, 0) != 0) return 0;
  return narenas;
}

void ConfigureAllocatorForServe() {}

void ReleaseFreeHeap() {
  // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena gives its unused dirty pages back.
  const std::string name = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  mallctl(name.c_str(), nullptr, nullptr, nullptr, 0);
}

std::string AllocatorReport() {
  // Statistics are a snapshot taken when the epoch advances.
  uint64_t epoch = 1;
  size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
  std::ostringstream out;
  out << "allocator=jemalloc heap_arenas=" << AllocatorArenaLimit()
      << " heap_in_use_kb=" << JemallocSize("stats.allocated") / 1024
      << " heap_active_kb=" << JemallocSize("stats.active") / 1024
      << " heap_resident_kb=" << JemallocSize("stats.resident") / 1024
      << " heap_mapped_kb=" << JemallocSize("stats.mapped") / 1024
      << " heap_retained_kb=" << JemallocSize("stats.retained") / 1024;
  return out.str();
}

#else

std::string_view AllocatorName() {
  return "glibc";
}

unsigned AllocatorArenaLimit() {
  return glibc_arena_limit;
}

void ConfigureAllocatorForServe() {
  // Two arenas instead of glibc's 8 per core: with one arena per busy thread each kept its own
  // free memory, 23-48 MB of a 43-69 MB heap under load (docs/performance.md). MALLOC_ARENA_MAX
  // in the environment still decides when set.
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  mallopt(M_ARENA_MAX, 2);
  glibc_arena_limit = 2;
}

void ReleaseFreeHeap() {
  malloc_trim(0);
}

std::string AllocatorReport() {
  const struct mallinfo2 m = mallinfo2();
  std::ostringstream out;
  out << "allocator=glibc heap_arenas=" << GlibcArenaCount() << " heap_system_kb=" << m.arena / 1024
      << " heap_in_use_kb=" << m.uordblks / 1024 << " heap_free_kb=" << m.fordblks / 1024
      << " mmap_kb=" << m.hblkhd / 1024;
  return out.str();
}

#endif

}  // namespace govflow::cli
