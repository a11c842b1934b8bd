// The engine's periodic background jobs (SLA escalations, approval expiry, retention, audit
// checkpoints, the price publisher): each a named function run every `interval` of the injected
// Clock, one after another on one thread. A job's failure (an error Status, or an exception it
// lets escape) is logged and counted and never stops the loop or the engine; the job simply runs
// again at its next time. Thread-safety: Add before Start; Start/Stop from one thread; stats()
// and Poke() from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace govflow::workflow::runtime {

struct JobStats {
  int64_t runs = 0;      // times the job ran
  int64_t failures = 0;  // runs that returned an error (or threw)
  std::string last_error;
  TimePoint last_run;
};

struct JobLoopOptions {
  // How often the loop looks at the clock, in real time (jobs are due by the Clock).
  std::chrono::milliseconds poll_interval{200};
  // Where failures are reported (default: stderr, one line per failure).
  std::function<void(const std::string& job, const Status& status)> on_failure;
};

class JobLoop {
 public:
  using Job = std::function<Status()>;

  // `clock` must outlive the loop.
  explicit JobLoop(const Clock& clock, JobLoopOptions options = {});
  ~JobLoop();  // Stop()
  JobLoop(const JobLoop&) = delete;
  JobLoop& operator=(const JobLoop&) = delete;

  // A job first due one interval after Start() (or at Start() with `run_at_start`).
  void Add(std::string name, std::chrono::microseconds interval, Job job,
           bool run_at_start = false);
  // The names of the jobs added, in order.
  std::vector<std::string> jobs() const;

  void Start();
  // Lets a running job finish, then joins. Idempotent.
  void Stop();
  // Makes the loop look at the clock now (e.g. after a ManualClock moved).
  void Poke();

  std::map<std::string, JobStats> stats() const;

 private:
  struct Entry {
    std::string name;
    std::chrono::microseconds interval;
    Job job;
    bool run_at_start = false;
    TimePoint due;
  };

  void Loop();

  const Clock& clock_;
  JobLoopOptions options_;
  std::vector<Entry> entries_;  // fixed after Start(); loop thread only afterwards
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                  // GUARDED_BY(mu_)
  bool poked_ = false;                     // GUARDED_BY(mu_)
  std::map<std::string, JobStats> stats_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace govflow::workflow::runtime
