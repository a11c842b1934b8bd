// The allocator govflow serve runs with (src/cli/allocator.h): jemalloc with two arenas in normal
// builds, glibc under sanitizers; its report and purge work in either.
#include "cli/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace govflow::cli {
namespace {

TEST(AllocatorTest, NormalBuildsAllocateWithJemallocLimitedToTwoArenas) {
#ifdef GOVFLOW_EXPECT_JEMALLOC
  EXPECT_EQ(AllocatorName(), "jemalloc");
  // malloc_conf in allocator.cc; MALLOC_CONF in the environment would override it.
  if (std::getenv("MALLOC_CONF") == nullptr) {
    EXPECT_EQ(AllocatorArenaLimit(), 2u);
  }
#else
  EXPECT_EQ(AllocatorName(), "glibc");
  ConfigureAllocatorForServe();
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    EXPECT_EQ(AllocatorArenaLimit(), 2u);
  }
#endif
}

TEST(AllocatorTest, ReportCountsMemoryInUseAndPurgeKeepsLiveBlocks) {
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 256; ++i) {
    blocks.push_back(std::make_unique<char[]>(64 * 1024));
    blocks.back()[0] = static_cast<char>(i);
  }
  const std::string report = AllocatorReport();
  EXPECT_NE(report.find("allocator=" + std::string(AllocatorName())), std::string::npos) << report;
  const size_t at = report.find("heap_in_use_kb=");
  ASSERT_NE(at, std::string::npos) << report;
  // 16 MB were just allocated and are still held.
  EXPECT_GE(std::stol(report.substr(at + 15)), 16 * 1024) << report;
  blocks.resize(128);
  ReleaseFreeHeap();
  for (int i = 0; i < 128; ++i) EXPECT_EQ(blocks[i][0], static_cast<char>(i));
}

}  // namespace
}  // namespace govflow::cli
