// A scripted outbound connector for runtime tests: a fake ERP that creates "sales orders" in
// memory and answers each create according to a script (success, a failure of a given class,
// an unknown outcome with or without the order created, or no answer until released).
// Thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "connect/connector.h"

namespace govflow::workflow::runtime::testing {

enum class Script {
  kSuccess,
  kTransient,
  kThrottled,       // with retry_after
  kMasterData,      // permanent
  kUnknownCreated,  // the order is created but the answer is lost
  kUnknownNothing,  // the request never arrived
  kHangCreated,     // creates, then never answers (until Release)
  // The ERP answers 500 with its own error body (the request is over, outcome unknown), having
  // created the order before failing / having created nothing.
  kAnsweredServerErrorCreated,
  kAnsweredServerErrorNothing,
};

class FakeErpConnector final : public connect::OutboundConnector {
 public:
  std::string_view type() const override { return "erp.fake"; }
  std::span<const connect::OperationSpec> operations() const override;
  std::chrono::milliseconds in_flight_bound() const override { return in_flight_bound_; }
  void Call(connect::ConnectorCall call, connect::CallCallback done) override;

  void Push(Script s) {
    std::lock_guard lock(mu_);
    script_.push_back(s);
  }
  void set_in_flight_bound(std::chrono::milliseconds b) { in_flight_bound_ = b; }
  void set_retry_after(std::chrono::milliseconds r) { retry_after_ = r; }
  int creates() const;                       // create calls received
  int lookups() const;                       // lookup calls received
  int Orders(const std::string& key) const;  // orders stored under a business key
  std::vector<std::string> idempotency_keys() const;
  // Answers hung calls (as a late success).
  void ReleaseHung();

 private:
  mutable std::mutex mu_;
  std::deque<Script> script_;
  std::map<std::string, int> orders_;
  std::vector<std::string> keys_;
  std::vector<connect::CallCallback> hung_;
  int creates_ = 0;
  int lookups_ = 0;
  std::chrono::milliseconds in_flight_bound_{5000};
  std::chrono::milliseconds retry_after_{20000};
};

}  // namespace govflow::workflow::runtime::testing
