// A sql::Database decorator that fails chosen operations, for tests of what happens when the
// store fails at the Nth begin, statement or commit (once, several times, or for good) — or when a
// commit succeeds but the caller is told it failed (the outcome is unknown to the caller).
// Thread-safe: faults may be armed from any thread while transactions run.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "store/sql.h"

namespace govflow::store::sql {

class FaultInjectingDatabase final : public Database {
 public:
  enum class Op {
    kBegin,       // Begin() fails
    kStatement,   // Query / Execute / ExecuteScript fails without running
    kCommit,      // Commit() fails and the transaction is rolled back
    kCommitLost,  // Commit() succeeds, but the caller gets the error (reply lost)
  };

  explicit FaultInjectingDatabase(std::unique_ptr<Database> inner);

  // The `nth` (1-based, counted from now) call of `op` and the `times - 1` following ones fail
  // with `status`; times = 0 fails from the nth call on, for good.
  void FailNth(Op op, int64_t nth, Status status, int64_t times = 1);
  void Clear();
  // How many times `op` was attempted since construction.
  int64_t calls(Op op) const;

  Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) override;
  Dialect dialect() const override { return inner_->dialect(); }
  std::string DisplayUrl() const override { return inner_->DisplayUrl(); }
  Status Notify(std::string_view channel) override { return inner_->Notify(channel); }
  Result<bool> WaitForNotification(std::string_view channel,
                                   std::chrono::milliseconds timeout) override {
    return inner_->WaitForNotification(channel, timeout);
  }

  // Decides whether this call of `op` fails (used by the wrapped transactions).
  std::optional<Status> Check(Op op);

 private:
  struct Fault {
    int64_t first = 0;  // absolute call number of the first failing call; 0 = none
    int64_t last = 0;   // absolute call number of the last failing call; -1 = for good
    Status status;
  };
  static size_t Index(Op op) { return static_cast<size_t>(op); }

  std::unique_ptr<Database> inner_;
  mutable std::mutex mu_;
  std::array<int64_t, 4> calls_{};  // GUARDED_BY(mu_)
  std::array<Fault, 4> faults_{};   // GUARDED_BY(mu_)
};

}  // namespace govflow::store::sql
