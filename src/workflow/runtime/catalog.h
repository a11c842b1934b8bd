// What the runtime runs and talks to: published workflow versions (compiled once, shared by every
// run of a version, loaded from the store on first use so that recovered runs find the version
// they started on) with the trigger routing of the active ones, and the tenants' connectors.
// Thread-safe (one mutex; lookups are short).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "base/ids.h"
#include "base/status.h"
#include "connect/connector.h"
#include "store/store.h"
#include "workflow/definition.h"

namespace govflow::workflow::runtime {

// Loads and checks `yaml_text` and publishes it as the next version of its workflow for
// `tenant`, unless the latest published version has the same content hash (then that version).
// Returns the version number. Loader errors come back as kInvalidArgument with file:line:column.
Result<int64_t> PublishWorkflow(store::Store& store, const TenantId& tenant,
                                std::string_view yaml_text, std::string_view file_name);

struct ActiveWorkflow {
  std::string name;
  int64_t version = 0;
  std::shared_ptr<const WorkflowDefinition> definition;
};

class Catalog {
 public:
  explicit Catalog(store::Store& store) : store_(store) {}
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Makes the latest published version of `name` the one new deliveries on its trigger
  // (connection, topic) start. kNotFound when nothing is published under that name.
  Status Activate(const TenantId& tenant, std::string_view name);
  // The workflow a delivery on (connection, topic) starts, if any.
  std::optional<ActiveWorkflow> Route(const TenantId& tenant, std::string_view connection,
                                      std::string_view topic) const;
  // A published version, compiled (cached after the first call).
  Result<std::shared_ptr<const WorkflowDefinition>> Get(const TenantId& tenant,
                                                        std::string_view name, int64_t version);

  // Connectors, by the tenant's connection id ("shop", "erp"). Replaces an earlier one.
  void AddConnector(const TenantId& tenant, const ConnectionId& connection,
                    std::shared_ptr<connect::Connector> connector);
  std::shared_ptr<connect::Connector> FindConnector(const TenantId& tenant,
                                                    std::string_view connection) const;

 private:
  store::Store& store_;
  mutable std::mutex mu_;
  // (tenant, name, version) -> definition
  std::map<std::tuple<std::string, std::string, int64_t>,
           std::shared_ptr<const WorkflowDefinition>>
      definitions_;  // GUARDED_BY(mu_)
  // (tenant, connection, topic) -> active workflow
  std::map<std::tuple<std::string, std::string, std::string>, ActiveWorkflow, std::less<>>
      routes_;  // GUARDED_BY(mu_)
  std::map<std::pair<std::string, std::string>, std::shared_ptr<connect::Connector>, std::less<>>
      connectors_;  // GUARDED_BY(mu_)
};

}  // namespace govflow::workflow::runtime
