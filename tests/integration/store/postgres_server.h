// A throwaway PostgreSQL 15 server for tests: initdb into a temporary directory, start on a free
// loopback port (127.0.0.1 only, unix socket inside the temp dir), hand out fresh databases, stop
// and delete everything afterwards. As root, initdb/postgres run as the `postgres` system user.
// A guard process stops the server and deletes its directory if the test process dies without
// doing so itself (a crash, a ctest timeout's SIGKILL), so no server outlives its test.
// Thread-safe: CreateDatabase may be called from several threads. Start() should be called from
// the main thread (the guard watches the thread that started it).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "base/status.h"

namespace govflow::testing {

class PostgresServer {
 public:
  // Starts a server. kUnavailable (with the reason) when the binaries are missing or it fails
  // to start. Binaries come from $GOVFLOW_PG_BIN or /usr/lib/postgresql/15/bin.
  static Result<std::unique_ptr<PostgresServer>> Start();

  // Stops the server (immediate mode) and removes its directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates an empty database and returns its URL: postgresql://postgres@127.0.0.1:PORT/NAME.
  Result<std::string> CreateDatabase();

  int port() const { return port_; }
  const std::string& directory() const { return dir_; }

 private:
  PostgresServer(std::string bin, std::string dir, int port, int guard)
      : bin_(std::move(bin)), dir_(std::move(dir)), port_(port), guard_(guard) {}

  std::string bin_;
  std::string dir_;
  int port_;
  int guard_;  // the guard's pid, or -1 when it could not be started
  std::atomic<int> next_db_{0};
};

// One server for the whole test binary: register with
//   ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);
// then tests call PostgresEnvironment::FreshDatabaseUrl() and GTEST_SKIP() on error.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // A fresh database on the shared server, or why there is no server (binaries absent, ...).
  static Result<std::string> FreshDatabaseUrl();
};

}  // namespace govflow::testing
