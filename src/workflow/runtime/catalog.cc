#include "workflow/runtime/catalog.h"

#include "governance/access.h"
#include "governance/documents/lifecycle.h"
#include "workflow/loader.h"

namespace govflow::workflow::runtime {

Result<int64_t> PublishWorkflow(store::Store& store, const TenantId& tenant,
                                std::string_view yaml_text, std::string_view file_name) {
  GOVFLOW_ASSIGN_OR_RETURN(std::shared_ptr<const WorkflowDefinition> definition,
                           LoadWorkflow(yaml_text, file_name));
  int64_t published = 0;
  Status s = store.Transact([&](store::Txn& txn) -> Status {
    int64_t next = 1;
    auto latest = txn.GetLatestWorkflowVersion(tenant, definition->name());
    if (latest.ok()) {
      if (latest->content_hash == definition->content_hash()) {
        published = latest->version;
        return Status::Ok();
      }
      next = latest->version + 1;
    } else if (latest.status().code() != StatusCode::kNotFound) {
      return latest.status();
    }
    store::WorkflowVersion v;
    v.tenant = tenant;
    v.name = definition->name();
    v.version = next;
    v.content_hash = definition->content_hash();
    v.source_yaml = std::string(yaml_text);
    v.published_at = txn.Now();
    GOVFLOW_RETURN_IF_ERROR(txn.PublishWorkflowVersion(v));
    published = next;
    return Status::Ok();
  });
  GOVFLOW_RETURN_IF_ERROR(s);
  return published;
}

Status Catalog::Activate(const TenantId& tenant, std::string_view name) {
  int64_t version = 0;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
    // A workflow governed as a document runs the version published (or rolled back) to prod;
    // one published directly (`govflow apply`, tests) runs its latest version.
    GOVFLOW_ASSIGN_OR_RETURN(
        std::optional<int64_t> prod,
        governance::documents::ProdWorkflowRuntimeVersion(
            txn, governance::TenantScope::ForSystem(tenant, "runtime"), name));
    if (prod) {
      version = *prod;
    } else {
      GOVFLOW_ASSIGN_OR_RETURN(store::WorkflowVersion latest,
                               txn.GetLatestWorkflowVersion(tenant, name));
      version = latest.version;
    }
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::shared_ptr<const WorkflowDefinition> definition,
                           Get(tenant, name, version));
  std::lock_guard lock(mu_);
  routes_[{tenant.value(), definition->trigger().connection, definition->trigger().topic}] =
      ActiveWorkflow{std::string(name), version, definition};
  return Status::Ok();
}

std::optional<ActiveWorkflow> Catalog::Route(const TenantId& tenant, std::string_view connection,
                                             std::string_view topic) const {
  std::lock_guard lock(mu_);
  auto it =
      routes_.find(std::make_tuple(tenant.value(), std::string(connection), std::string(topic)));
  if (it == routes_.end()) return std::nullopt;
  return it->second;
}

Result<std::shared_ptr<const WorkflowDefinition>> Catalog::Get(const TenantId& tenant,
                                                               std::string_view name,
                                                               int64_t version) {
  auto key = std::make_tuple(tenant.value(), std::string(name), version);
  {
    std::lock_guard lock(mu_);
    auto it = definitions_.find(key);
    if (it != definitions_.end()) return it->second;
  }
  std::string yaml;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(store::sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(store::WorkflowVersion v,
                             txn.GetWorkflowVersion(tenant, name, version));
    yaml = std::move(v.source_yaml);
  }
  GOVFLOW_ASSIGN_OR_RETURN(std::shared_ptr<const WorkflowDefinition> definition,
                           LoadWorkflow(yaml, std::string(name) + "@" + std::to_string(version)));
  std::lock_guard lock(mu_);
  definitions_.emplace(key, definition);
  return definition;
}

void Catalog::AddConnector(const TenantId& tenant, const ConnectionId& connection,
                           std::shared_ptr<connect::Connector> connector) {
  std::lock_guard lock(mu_);
  connectors_[{tenant.value(), connection.value()}] = std::move(connector);
}

std::shared_ptr<connect::Connector> Catalog::FindConnector(const TenantId& tenant,
                                                           std::string_view connection) const {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(std::make_pair(tenant.value(), std::string(connection)));
  return it == connectors_.end() ? nullptr : it->second;
}

}  // namespace govflow::workflow::runtime
