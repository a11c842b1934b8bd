#include "integration/store/postgres_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace govflow::testing {
namespace {

namespace fs = std::filesystem;

// Runs argv (prefixed with runuser when we are root), stdout/stderr appended to `log`.
// Returns the exit status, or -1 when it could not run.
int RunCommand(std::vector<std::string> argv, const std::string& log) {
  if (geteuid() == 0) {
    argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  }
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

// Starts the guard: a child that sleeps until this process dies (PR_SET_PDEATHSIG), then stops
// the server and deletes `dir` through /bin/sh. Everything it needs is built before fork(), so
// the child only makes system calls. Returns its pid, or -1.
int StartGuard(const std::string& bin, const std::string& dir) {
  std::string stop = bin + "/pg_ctl -D '" + dir + "/data' -m immediate -w stop >/dev/null 2>&1";
  if (geteuid() == 0) stop = "/usr/sbin/runuser -u postgres -- " + stop;
  std::string script = stop + "; rm -rf '" + dir + "'";
  const pid_t parent = getpid();
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, SIGUSR1);
  const pid_t pid = fork();
  if (pid != 0) return pid < 0 ? -1 : pid;
  // The guard. SIGUSR1 arrives when the parent dies; block it so sigwait() receives it.
  sigprocmask(SIG_BLOCK, &wake, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (getppid() == parent) {  // else the parent is already gone: clean up at once
    int received = 0;
    sigwait(&wake, &received);
  }
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
  }
  execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
  _exit(127);
}

std::unique_ptr<PostgresServer>& SharedServer() {
  static std::unique_ptr<PostgresServer> server;
  return server;
}

std::string& SharedError() {
  static std::string error = "PostgresEnvironment was not registered";
  return error;
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  const char* env_bin = std::getenv("GOVFLOW_PG_BIN");
  const std::string bin = env_bin != nullptr ? env_bin : "/usr/lib/postgresql/15/bin";
  if (!fs::exists(bin + "/initdb") || !fs::exists(bin + "/pg_ctl")) {
    return Unavailable("PostgreSQL server binaries not found in " + bin +
                       " (install postgresql-15 or set GOVFLOW_PG_BIN)");
  }
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (uid == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return Unavailable("running as root but there is no 'postgres' user");
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  std::string tmpl = (fs::temp_directory_path() / "govflow-pg-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Unavailable("mkdtemp failed");
  const std::string dir = tmpl;
  if (chown(dir.c_str(), uid, gid) != 0) {
    fs::remove_all(dir);
    return Unavailable("cannot chown " + dir + " to the postgres user");
  }
  const std::string data = dir + "/data";
  const std::string log = dir + "/harness.log";
  if (RunCommand({bin + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--no-instructions"},
                 log) != 0) {
    std::string tail = ReadTail(log);
    fs::remove_all(dir);
    return Unavailable("initdb failed: " + tail);
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = FreeLoopbackPort();
    if (port <= 0) continue;
    const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port) +
                                " -k " + dir +
                                " -c fsync=off -c synchronous_commit=off"
                                " -c full_page_writes=off -c max_connections=200";
    if (RunCommand({bin + "/pg_ctl", "-D", data, "-l", dir + "/server.log", "-w", "-t", "60", "-o",
                    options, "start"},
                   log) == 0) {
      return std::unique_ptr<PostgresServer>(
          new PostgresServer(bin, dir, port, StartGuard(bin, dir)));
    }
  }
  std::string tail = ReadTail(dir + "/server.log");
  fs::remove_all(dir);
  return Unavailable("postgres did not start: " + tail);
}

PostgresServer::~PostgresServer() {
  (void)RunCommand({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"},
                   dir_ + "/harness.log");
  std::error_code ec;
  fs::remove_all(dir_, ec);
  // Done by ourselves: the guard is not needed any more. Dismissed last, so that a process that
  // dies half-way through this destructor still leaves the rest to the guard.
  if (guard_ > 0) {
    kill(guard_, SIGKILL);
    waitpid(guard_, nullptr, 0);
  }
}

Result<std::string> PostgresServer::CreateDatabase() {
  const std::string name =
      "govflow_test_" + std::to_string(getpid()) + "_" + std::to_string(next_db_++);
  const std::string admin =
      "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
  PGconn* conn = PQconnectdb(admin.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    return Unavailable("cannot connect to the test server: " + err);
  }
  PGresult* res = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string err = ok ? "" : PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok) return Unavailable("CREATE DATABASE failed: " + err);
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

void PostgresEnvironment::SetUp() {
  Result<std::unique_ptr<PostgresServer>> server = PostgresServer::Start();
  if (server.ok()) {
    SharedServer() = std::move(server).value();
    SharedError().clear();
  } else {
    SharedError() = server.status().message();
    std::fprintf(stderr, "[ SKIPPING ] PostgreSQL tests: %s\n", SharedError().c_str());
  }
}

void PostgresEnvironment::TearDown() {
  SharedServer().reset();
}

Result<std::string> PostgresEnvironment::FreshDatabaseUrl() {
  if (!SharedServer()) return Unavailable(SharedError());
  return SharedServer()->CreateDatabase();
}

}  // namespace govflow::testing
