// A hidden diagnostic for memory investigations (docs/performance.md, "The 10-minute memory
// soak"): with GOVFLOW_MALLOC_STATS=SECONDS in the environment, `govflow serve` prints one line of
// resident memory, allocator (allocator.h) and SQLite figures to stderr every SECONDS.
// Thread-safe: MemoryReportLine may be called from any thread; a reporter owns one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace govflow::cli {

// "rss_kb=... anon_kb=... <AllocatorReport()> sqlite_kb=... sqlite_peak_kb=..." for this process,
// now.
std::string MemoryReportLine();

class MemoryReporter {
 public:
  // A reporter when GOVFLOW_MALLOC_STATS holds a positive number of seconds, else nullptr.
  static std::unique_ptr<MemoryReporter> StartFromEnvironment();
  explicit MemoryReporter(std::chrono::seconds every);
  ~MemoryReporter();  // stops and joins the thread
  MemoryReporter(const MemoryReporter&) = delete;
  MemoryReporter& operator=(const MemoryReporter&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace govflow::cli
