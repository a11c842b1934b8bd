#include "store/fault_injection.h"

#include "store/deferred_writes.h"

namespace govflow::store::sql {
namespace {

class FaultInjectingTransaction final : public Transaction {
 public:
  FaultInjectingTransaction(FaultInjectingDatabase* db, std::unique_ptr<Transaction> inner)
      : db_(db), inner_(std::move(inner)) {}
  ~FaultInjectingTransaction() override { ForgetDeferredWrites(*this); }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    if (auto fault = db_->Check(FaultInjectingDatabase::Op::kStatement)) return *fault;
    return inner_->Query(sql, params);
  }
  Result<int64_t> Execute(std::string_view sql, const Params& params) override {
    if (auto fault = db_->Check(FaultInjectingDatabase::Op::kStatement)) return *fault;
    return inner_->Execute(sql, params);
  }
  Status ExecuteScript(std::string_view sql) override {
    if (auto fault = db_->Check(FaultInjectingDatabase::Op::kStatement)) return *fault;
    return inner_->ExecuteScript(sql);
  }
  Status Commit() override {
    if (auto fault = db_->Check(FaultInjectingDatabase::Op::kCommit)) {
      (void)inner_->Rollback();
      return *fault;
    }
    Status s = inner_->Commit();
    if (!s.ok()) return s;
    if (auto fault = db_->Check(FaultInjectingDatabase::Op::kCommitLost)) return *fault;
    return s;
  }
  Status Rollback() override { return inner_->Rollback(); }
  Dialect dialect() const override { return inner_->dialect(); }

 private:
  FaultInjectingDatabase* db_;
  std::unique_ptr<Transaction> inner_;
};

}  // namespace

FaultInjectingDatabase::FaultInjectingDatabase(std::unique_ptr<Database> inner)
    : inner_(std::move(inner)) {}

void FaultInjectingDatabase::FailNth(Op op, int64_t nth, Status status, int64_t times) {
  std::lock_guard lock(mu_);
  Fault& f = faults_[Index(op)];
  f.first = calls_[Index(op)] + std::max<int64_t>(1, nth);
  f.last = times <= 0 ? -1 : f.first + times - 1;
  f.status = std::move(status);
}

void FaultInjectingDatabase::Clear() {
  std::lock_guard lock(mu_);
  faults_ = {};
}

int64_t FaultInjectingDatabase::calls(Op op) const {
  std::lock_guard lock(mu_);
  return calls_[Index(op)];
}

std::optional<Status> FaultInjectingDatabase::Check(Op op) {
  std::lock_guard lock(mu_);
  const int64_t call = ++calls_[Index(op)];
  const Fault& f = faults_[Index(op)];
  if (f.first == 0 || call < f.first || (f.last >= 0 && call > f.last)) return std::nullopt;
  return f.status;
}

Result<std::unique_ptr<Transaction>> FaultInjectingDatabase::Begin(TxnMode mode) {
  if (auto fault = Check(Op::kBegin)) return *fault;
  GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> inner, inner_->Begin(mode));
  return std::unique_ptr<Transaction>(new FaultInjectingTransaction(this, std::move(inner)));
}

}  // namespace govflow::store::sql
