// Runs the govflow binary from tests: to completion (Run) or as a server child (Child) whose
// stdout lines can be awaited. Not thread-safe; one test thread drives each object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace govflow::testing {

struct RunOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `args` (args[0] is the program) with `env` added to the environment; waits for it.
RunOutput RunProgram(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env);

class Child {
 public:
  Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~Child();  // SIGKILL if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Waits for a stdout line starting with `prefix`; returns the rest of it.
  std::optional<std::string> WaitForLine(const std::string& prefix, std::chrono::seconds timeout);
  // Sends `signal` and waits for the exit; returns the exit code (128+sig when killed).
  int Signal(int signal);
  pid_t pid() const { return pid_; }  // e.g. to send a signal without waiting (SIGHUP)

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
};

}  // namespace govflow::testing
