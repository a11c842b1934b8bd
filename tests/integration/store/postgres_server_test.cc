// The throwaway PostgreSQL harness cleans up after itself even when the test process is killed
// (a crash or a ctest timeout): its guard stops the server and deletes its directory.
#include "integration/store/postgres_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace govflow::testing {
namespace {

TEST(PostgresServerTest, AServerWhoseTestProcessIsKilledIsStoppedAndItsDirectoryRemoved) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A test process: starts a server, says where it lives, and waits to be killed.
    close(pipe_fds[0]);
    auto server = PostgresServer::Start();
    const std::string dir = server.ok() ? (*server)->directory() : std::string("-");
    const std::string line = dir + "\n";
    (void)!write(pipe_fds[1], line.data(), line.size());
    server->release();  // never destroyed: this process dies by SIGKILL
    for (;;) pause();
  }
  close(pipe_fds[1]);
  std::string dir;
  char c = 0;
  while (read(pipe_fds[0], &c, 1) == 1 && c != '\n') dir += c;
  close(pipe_fds[0]);
  if (dir.empty() || dir == "-") {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    GTEST_SKIP() << "no PostgreSQL server could be started (postgresql-15 not installed?)";
  }
  ASSERT_TRUE(std::filesystem::exists(dir + "/data/postmaster.pid"));

  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::filesystem::exists(dir) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " outlived its test process";
}

}  // namespace
}  // namespace govflow::testing
