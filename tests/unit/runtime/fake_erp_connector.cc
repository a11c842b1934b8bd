#include "unit/runtime/fake_erp_connector.h"

#include <array>

namespace govflow::workflow::runtime::testing {
namespace json = boost::json;
namespace {
constexpr std::array<connect::OperationSpec, 2> kOps = {{
    {"create_sales_order", true, connect::Deduplication::kLookupByBusinessKey, "find_sales_orders",
     "externalDocumentNumber"},
    {"find_sales_orders", false, connect::Deduplication::kNotNeeded, "", "externalDocumentNumber"},
}};

connect::CallFailure Failure(connect::ErrorClass c, std::string code) {
  connect::CallFailure f;
  f.error_class = c;
  f.code = std::move(code);
  f.message = "scripted";
  return f;
}
}  // namespace

std::span<const connect::OperationSpec> FakeErpConnector::operations() const {
  return kOps;
}

void FakeErpConnector::Call(connect::ConnectorCall call, connect::CallCallback done) {
  std::string key;
  if (const json::value* k = call.payload.is_object()
                                 ? call.payload.get_object().if_contains("externalDocumentNumber")
                                 : nullptr) {
    if (k->is_string()) key = std::string(k->get_string());
  }
  std::unique_lock lock(mu_);
  if (call.operation == "find_sales_orders") {
    ++lookups_;
    json::object out;
    json::array list;
    if (orders_[key] > 0)
      list.push_back(json::object{{"id", "so-" + key}, {"externalDocumentNumber", key}});
    out["found"] = !list.empty();
    out["salesOrders"] = std::move(list);
    lock.unlock();
    done(json::value(std::move(out)));
    return;
  }
  ++creates_;
  keys_.push_back(call.idempotency_key);
  Script s = Script::kSuccess;
  if (!script_.empty()) {
    s = script_.front();
    script_.pop_front();
  }
  json::value created = json::object{{"id", "so-" + key}, {"externalDocumentNumber", key}};
  switch (s) {
    case Script::kSuccess:
      ++orders_[key];
      lock.unlock();
      return done(created);
    case Script::kTransient:
      lock.unlock();
      return done(Failure(connect::ErrorClass::kTransient, "http_503"));
    case Script::kThrottled: {
      auto f = Failure(connect::ErrorClass::kThrottled, "http_429");
      f.retry_after = retry_after_;
      lock.unlock();
      return done(f);
    }
    case Script::kMasterData:
      lock.unlock();
      return done(Failure(connect::ErrorClass::kMasterData, "Internal_RecordNotFound"));
    case Script::kUnknownCreated:
      ++orders_[key];
      lock.unlock();
      return done(Failure(connect::ErrorClass::kUnknown, "connection_reset"));
    case Script::kUnknownNothing:
      lock.unlock();
      return done(Failure(connect::ErrorClass::kUnknown, "timeout"));
    case Script::kAnsweredServerErrorCreated:
    case Script::kAnsweredServerErrorNothing: {
      if (s == Script::kAnsweredServerErrorCreated) ++orders_[key];
      auto f = Failure(connect::ErrorClass::kUnknown, "Internal_ServerError");
      f.http_status = 500;
      lock.unlock();
      return done(f);
    }
    case Script::kHangCreated:
      ++orders_[key];
      hung_.push_back(
          [done = std::move(done), created](connect::CallResult<json::value>) { done(created); });
      return;
  }
}

int FakeErpConnector::creates() const {
  std::lock_guard lock(mu_);
  return creates_;
}
int FakeErpConnector::lookups() const {
  std::lock_guard lock(mu_);
  return lookups_;
}
int FakeErpConnector::Orders(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = orders_.find(key);
  return it == orders_.end() ? 0 : it->second;
}
std::vector<std::string> FakeErpConnector::idempotency_keys() const {
  std::lock_guard lock(mu_);
  return keys_;
}
void FakeErpConnector::ReleaseHung() {
  std::vector<connect::CallCallback> hung;
  {
    std::lock_guard lock(mu_);
    hung.swap(hung_);
  }
  for (auto& h : hung) h(json::value());
}

}  // namespace govflow::workflow::runtime::testing
