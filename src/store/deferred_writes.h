// Deferred writes: work that a layer above the store buffers during a transaction and writes in
// one go just before the transaction commits. Governance's audit appends use it inside the group
// committer's batch transaction: each tenant's chain head is read once per batch, and the batch's
// events go in as one multi-row insert with one head update, instead of three statements per event.
//
// Only transactions that opted in (AllowDeferredWrites) take deferred writes: the group
// committer's, which commit through store::Txn::Commit, which flushes them before COMMIT (a bare
// sql::Transaction::Commit would not). Savepoints stay exact: Transaction::Savepoint flushes first,
// so that a ROLLBACK TO undoes written and buffered work alike, and Transaction::
// RollbackToSavepoint then Reset()s every writer, so nothing read or buffered since the savepoint
// survives. Readers of rows a writer may hold back must flush first (governance's audit readers
// do). The state hangs off the transaction in a side table keyed by the transaction's address,
// from AllowDeferredWrites until the transaction object is destroyed (each sql::Transaction
// implementation forgets it in its destructor).
// Thread-safety: these functions are thread-safe; a transaction's writers are used only by the
// thread that owns the transaction.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/sql.h"

namespace govflow::store::sql {

class DeferredWrites {
 public:
  virtual ~DeferredWrites() = default;
  // Writes everything buffered into `txn`; afterwards nothing is buffered. An error fails the
  // transaction's commit.
  virtual Status Flush(Transaction& txn) = 0;
  // The transaction rolled back to a savepoint: drop buffered work and anything cached from reads.
  virtual void Reset() = 0;
};

// Lets `txn` take deferred writes (the group committer does this for its batch transactions).
void AllowDeferredWrites(Transaction& txn);
bool DeferredWritesAllowed(const Transaction& txn);
// The writer registered on `txn` under `key`, or nullptr (also when deferral is not allowed).
DeferredWrites* FindDeferredWrites(const Transaction& txn, std::string_view key);
// Registers `writes` on `txn` under `key` (replacing any) and returns it. Requires
// DeferredWritesAllowed(txn).
DeferredWrites& AddDeferredWrites(Transaction& txn, std::string key,
                                  std::unique_ptr<DeferredWrites> writes);
// Flushes every writer registered on `txn`, in registration order. Ok when there are none.
Status FlushDeferredWrites(Transaction& txn);
// Resets every writer registered on `txn` (after a rollback to a savepoint).
void ResetDeferredWrites(const Transaction& txn);
// Drops `txn`'s entry; called by each Transaction implementation's destructor.
void ForgetDeferredWrites(const Transaction& txn);

}  // namespace govflow::store::sql
