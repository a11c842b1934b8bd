// The govflow-sim binary's outside contract: the first stdout line of `erp`, the last of
// `shopify`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "integration/sim/http_test_util.h"

namespace govflow::sim {
namespace {

std::string RunAndCapture(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(GovflowSimCliTest, ShopifyPrintsSentAckedLine) {
  testing::TinyReceiver receiver;
  int code = -1;
  std::string out =
      RunAndCapture(std::string(GOVFLOW_SIM_BINARY) +
                        " shopify --target http://127.0.0.1:" + std::to_string(receiver.port()) +
                        "/hooks/acme/shop --secret s --orders 7 --rate 500 --seed 3"
                        " --quiet",
                    &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "sent=7 acked=7\n");
  EXPECT_EQ(receiver.requests().size(), 7u);
}

TEST(GovflowSimCliTest, ShopifyRefusesNonLoopbackTarget) {
  int code = -1;
  RunAndCapture(std::string(GOVFLOW_SIM_BINARY) +
                    " shopify --target http://10.1.2.3/hooks --secret s --orders 1 2>/dev/null",
                &code);
  EXPECT_NE(code, 0);
}

TEST(GovflowSimCliTest, ErpPrintsListeningLineFirstAndServesStats) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execl(GOVFLOW_SIM_BINARY, GOVFLOW_SIM_BINARY, "erp", "--listen", "127.0.0.1:0", "--faults",
          "error=0.05,throttle=0.02,timeout=0.01,latency=2ms..40ms", "--seed", "5",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  close(fds[0]);
  ASSERT_EQ(line.rfind("listening on 127.0.0.1:", 0), 0u) << line;
  std::string port = line.substr(std::string("listening on 127.0.0.1:").size());
  EXPECT_GT(std::stoi(port), 0);
  testing::HttpResult stats = testing::HttpCall("GET", "http://127.0.0.1:" + port + "/_sim/stats");
  EXPECT_EQ(stats.status, 200);
  EXPECT_NE(stats.body.find("\"salesOrders\":0"), std::string::npos);
  EXPECT_NE(stats.body.find("\"duplicateExternalDocumentNumbers\":0"), std::string::npos);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace govflow::sim
