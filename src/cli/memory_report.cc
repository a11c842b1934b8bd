#include "cli/memory_report.h"

#include <sqlite3.h>
#include <stdio.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/allocator.h"

namespace govflow::cli {
namespace {

// A "Name:   123 kB" field of /proc/self/status, in kB; -1 when absent.
long StatusKb(const std::string& status, const std::string& name) {
  const size_t at = status.find("\n" + name + ":");
  if (at == std::string::npos) return -1;
  return std::strtol(status.c_str() + at + name.size() + 2, nullptr, 10);
}

}  // namespace

std::string MemoryReportLine() {
  std::ifstream in("/proc/self/status");
  std::stringstream status;
  status << "\n" << in.rdbuf();
  sqlite3_int64 sqlite_now = 0;
  sqlite3_int64 sqlite_peak = 0;
  sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &sqlite_now, &sqlite_peak, 0);
  std::ostringstream line;
  line << "rss_kb=" << StatusKb(status.str(), "VmRSS")
       << " anon_kb=" << StatusKb(status.str(), "RssAnon") << " " << AllocatorReport()
       << " sqlite_kb=" << sqlite_now / 1024 << " sqlite_peak_kb=" << sqlite_peak / 1024;
  return line.str();
}

std::unique_ptr<MemoryReporter> MemoryReporter::StartFromEnvironment() {
  const char* every = std::getenv("GOVFLOW_MALLOC_STATS");
  if (every == nullptr) return nullptr;
  const long seconds = std::strtol(every, nullptr, 10);
  if (seconds <= 0) return nullptr;
  return std::make_unique<MemoryReporter>(std::chrono::seconds(seconds));
}

MemoryReporter::MemoryReporter(std::chrono::seconds every) {
  thread_ = std::thread([this, every] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
      std::cerr << "govflow memory: " << MemoryReportLine() << std::endl;
    }
  });
}

MemoryReporter::~MemoryReporter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace govflow::cli
