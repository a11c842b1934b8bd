// Shared set-up for the exception tests: a tenant with the order-capture workflow published,
// and failed runs with open exception cases taken in by governance (OnExceptionOpened) under a
// given PolicySet. Runs on both stores (GovernanceStoreTest).
#pragma once

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "base/ids.h"
#include "governance/exception_intake.h"
#include "unit/governance/governance_store_test.h"

namespace govflow::testing {

class ExceptionFixture : public GovernanceStoreTest {
 protected:
  static std::string OrderCaptureYaml() {
    std::ifstream in(std::string(GOVFLOW_SOURCE_DIR) + "/templates/workflows/order-capture.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  void SeedTenant(const TenantId& tenant) {
    CreateTenant(tenant);
    InTxn([&](store::Txn& txn) {
      store::WorkflowVersion v;
      v.tenant = tenant;
      v.name = "order-capture";
      v.version = 1;
      v.content_hash = "h1";
      v.source_yaml = OrderCaptureYaml();
      v.published_at = txn.Now();
      return txn.PublishWorkflowVersion(v);
    });
  }

  static std::string Order(int n, std::string_view total, std::string_view customer) {
    boost::json::object o{
        {"id", 1000 + n},
        {"name", "#" + std::to_string(1000 + n)},
        {"email", "c" + std::string(customer) + "@example.com"},
        {"currency", "EUR"},
        {"total_price", std::string(total)},
        {"customer", boost::json::object{{"id", std::string(customer)}}},
        {"line_items", boost::json::array{boost::json::object{
                           {"sku", "SKU-404"}, {"quantity", 1}, {"price", std::string(total)}}}}};
    return boost::json::serialize(o);
  }

  // A run failed at `step` with an open case, taken in under `policies`.
  ExceptionCaseId OpenCase(const TenantId& tenant, const std::string& input_json, std::string step,
                           std::string error_class, std::string message,
                           const governance::PolicySet& policies = {},
                           bool load_published = false) {
    const RunId run(NewUniqueId("run_"));
    const ExceptionCaseId id(NewUniqueId("exc_"));
    InTxn([&](store::Txn& txn) -> Status {
      store::Run r;
      r.tenant = tenant;
      r.id = run;
      r.workflow_name = "order-capture";
      r.workflow_version = 1;
      r.state = store::RunState::kPending;
      r.current_step = step;
      r.input_json = input_json;
      r.context_json = "{}";
      GOVFLOW_RETURN_IF_ERROR(txn.CreateRun(r));
      store::RunUpdate u;
      u.state = store::RunState::kFailed;
      u.current_step = step;
      u.context_json = R"({"steps":{"map_order":{"output":{"customerNumber":"C1"}}},"attempt":1})";
      GOVFLOW_RETURN_IF_ERROR(txn.UpdateRun(tenant, run, 1, u).status());
      store::ExceptionCase c;
      c.tenant = tenant;
      c.id = id;
      c.run = run;
      c.step = step;
      c.error_class = error_class;
      c.message = message;
      c.payload_json = "{\"input\":" + input_json + ",\"steps\":{}}";
      GOVFLOW_RETURN_IF_ERROR(txn.OpenExceptionCase(c));
      GOVFLOW_ASSIGN_OR_RETURN(store::ExceptionCase stored, txn.GetExceptionCase(tenant, id));
      GOVFLOW_ASSIGN_OR_RETURN(store::Run stored_run, txn.GetRun(tenant, run));
      if (load_published) return governance::OnExceptionOpened(txn, stored, stored_run);
      return governance::OnExceptionOpened(txn, stored, stored_run, policies);
    });
    return id;
  }

  static std::string UnknownSku(std::string_view sku) {
    return "The field No. of table Sales Line contains a value (" + std::string(sku) +
           ") that cannot be found in the related table (Item).";
  }
};

}  // namespace govflow::testing
