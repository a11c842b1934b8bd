#include "workflow/runtime/job_loop.h"

#include <exception>
#include <iostream>

namespace govflow::workflow::runtime {

JobLoop::JobLoop(const Clock& clock, JobLoopOptions options)
    : clock_(clock), options_(std::move(options)) {
  if (!options_.on_failure) {
    options_.on_failure = [](const std::string& job, const Status& status) {
      std::cerr << "govflow: job " << job << " failed: " << status.ToString() << std::endl;
    };
  }
}

JobLoop::~JobLoop() {
  Stop();
}

void JobLoop::Add(std::string name, std::chrono::microseconds interval, Job job,
                  bool run_at_start) {
  std::lock_guard lock(mu_);
  stats_[name] = JobStats{};
  entries_.push_back({std::move(name), interval, std::move(job), run_at_start, TimePoint{}});
}

std::vector<std::string> JobLoop::jobs() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.name);
  return out;
}

void JobLoop::Start() {
  const TimePoint now = clock_.Now();
  for (Entry& e : entries_) e.due = e.run_at_start ? now : now + e.interval;
  thread_ = std::thread([this] { Loop(); });
}

void JobLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobLoop::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

std::map<std::string, JobStats> JobLoop::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void JobLoop::Loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || poked_; });
      if (stopping_) return;
      poked_ = false;
    }
    for (Entry& e : entries_) {
      const TimePoint now = clock_.Now();
      if (now < e.due) continue;
      Status status;
      try {
        status = e.job();
      } catch (const std::exception& ex) {
        status = Internal(std::string("uncaught exception: ") + ex.what());
      } catch (...) {
        status = Internal("uncaught exception");
      }
      // The next run is one interval after this one ended (a slow job never piles up).
      e.due = clock_.Now() + e.interval;
      {
        std::lock_guard lock(mu_);
        JobStats& st = stats_[e.name];
        ++st.runs;
        st.last_run = now;
        if (!status.ok()) {
          ++st.failures;
          st.last_error = status.ToString();
        }
      }
      if (!status.ok()) options_.on_failure(e.name, status);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
    }
  }
}

}  // namespace govflow::workflow::runtime
