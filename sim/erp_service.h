// ErpService: the Business Central API v2.0 behaviour of the ERP simulator, without the HTTP
// plumbing: one request in, one reply out (or an instruction to hold and drop the connection).
// Holds the in-memory company (customers, items, sales orders), the tokens, the counters and the
// seeded fault generator. Not thread-safe: ErpSimulator serialises calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/erp_simulator.h"
#include "sim/fault_spec.h"
#include "sim/rng.h"

namespace govflow::sim {

struct ErpRequest {
  std::string_view method;         // "GET", "POST", ...
  std::string_view target;         // origin-form: path and query
  std::string_view authorization;  // the Authorization header, or empty
  std::string_view content_type;
  std::string_view body;
  std::string_view host;  // Host header, for @odata.context URLs
};

struct ErpReply {
  enum class Action {
    kRespond,       // send status/body after `delay`
    kHoldAndClose,  // send nothing; close the connection after `hold`
  };
  Action action = Action::kRespond;
  int status = 200;
  std::string body;
  std::string content_type = "application/json; odata.metadata=minimal; odata.streaming=true";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::microseconds delay{0};
  std::chrono::milliseconds hold{0};
};

class ErpService {
 public:
  explicit ErpService(const ErpSimulatorOptions& options);
  ~ErpService();

  ErpReply Handle(const ErpRequest& request);

  ErpStats Stats() const;
  int CountSalesOrders(std::string_view external_document_number) const;
  std::vector<std::pair<std::string, int>> SalesOrderCounts() const;
  void Reset();

  struct State;  // the company and counters; defined in erp_service.cc

 private:
  ErpReply HandleApi(const ErpRequest& request, std::string_view api_path, std::string_view query);
  ErpReply HandleToken(const ErpRequest& request);
  ErpReply HandleSim(const ErpRequest& request, std::string_view path);

  ErpSimulatorOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace govflow::sim
