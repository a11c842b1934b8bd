#include "integration/cli_engine/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace govflow::testing {
namespace {

[[noreturn]] void Exec(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  _exit(127);
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

RunOutput RunProgram(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env) {
  char out_path[] = "/tmp/govflow-cli-outXXXXXX";
  char err_path[] = "/tmp/govflow-cli-errXXXXXX";
  const int out_fd = ::mkstemp(out_path);
  const int err_fd = ::mkstemp(err_path);
  RunOutput r;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    Exec(args, env);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out_fd);
  ::close(err_fd);
  r.exit_code = ExitCode(status);
  r.out = Slurp(out_path);
  r.err = Slurp(err_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return r;
}

Child::Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  int fds[2];
  if (::pipe(fds) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    Exec(args, env);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
}

Child::~Child() {
  if (pid_ > 0) Signal(SIGKILL);
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::optional<std::string> Child::WaitForLine(const std::string& prefix,
                                              std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    size_t start = 0;
    for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buffer_.substr(start, nl - start);
      if (line.rfind(prefix, 0) == 0) {
        buffer_.erase(0, nl + 1);
        return line.substr(prefix.size());
      }
    }
    buffer_.erase(0, start);
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[4096];
      const ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  return std::nullopt;
}

int Child::Signal(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return ExitCode(status);
}

}  // namespace govflow::testing
