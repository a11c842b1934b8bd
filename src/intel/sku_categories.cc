#include "intel/sku_categories.h"

#include <boost/json.hpp>
#include <set>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "intel/dimensions.h"
#include "intel/in_list.h"

namespace govflow::intel {

namespace json = boost::json;
namespace sql = store::sql;

namespace {

constexpr size_t kMaxSkuBytes = 100;

}  // namespace

Result<SkuCategoryChange> SetSkuCategories(store::Txn& txn, const governance::TenantScope& scope,
                                           const std::vector<SkuCategory>& items) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kConnectionsManage));
  if (items.size() > kMaxSkuCategoriesPerCall) {
    return InvalidArgument("items: at most " + std::to_string(kMaxSkuCategoriesPerCall) +
                           " entries per call");
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "items[" + std::to_string(i) + "].sku";
    const std::string& sku = items[i].sku;
    if (sku.empty()) return InvalidArgument(where + ": required");
    if (sku.size() > kMaxSkuBytes) {
      return InvalidArgument(where + ": at most " + std::to_string(kMaxSkuBytes) + " bytes");
    }
    if (!seen.insert(sku).second) return InvalidArgument(where + ": \"" + sku + "\" repeats");
  }
  SkuCategoryChange change;
  const TenantId& tenant = scope.tenant();
  const int64_t now = txn.Now().time_since_epoch().count();
  // The current categories, in chunks (bounded IN lists).
  std::map<std::string, std::string> current;
  constexpr size_t kChunk = 500;
  for (size_t from = 0; from < items.size(); from += kChunk) {
    const size_t to = std::min(items.size(), from + kChunk);
    std::vector<std::string> skus;
    for (size_t i = from; i < to; ++i) skus.push_back(items[i].sku);
    GOVFLOW_ASSIGN_OR_RETURN(auto part, LookupSkuCategories(txn, tenant, skus));
    current.merge(part);
  }
  std::string digest_input;
  for (const SkuCategory& item : items) {
    const std::string category = item.category.empty() ? "" : CleanDimension(item.category);
    auto it = current.find(item.sku);
    if ((it == current.end() && category.empty()) ||
        (it != current.end() && it->second == category)) {
      ++change.unchanged;
      continue;
    }
    if (category.empty()) {
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("DELETE FROM intel_sku_categories WHERE tenant_id = ? AND sku = ?",
                       {tenant.value(), item.sku})
              .status());
      ++change.removed;
    } else {
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("INSERT INTO intel_sku_categories (tenant_id, sku, category, updated_at) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, sku) DO UPDATE SET category "
                       "= excluded.category, updated_at = excluded.updated_at",
                       {tenant.value(), item.sku, category, now})
              .status());
      ++change.set;
    }
    digest_input += item.sku + '\t' + category + '\n';
  }
  if (change.set == 0 && change.removed == 0) return change;
  governance::AuditRecord record;
  record.actor = scope.actor().id;
  record.action = "intel.sku_categories";
  record.object_type = "sku_categories";
  record.object_id = tenant.value();
  record.after_digest = Sha256Hex(digest_input);
  record.details_json =
      json::serialize(json::object{{"set", change.set}, {"removed", change.removed}});
  GOVFLOW_RETURN_IF_ERROR(governance::AppendAudit(txn, tenant, record).status());
  return change;
}

Result<std::vector<SkuCategory>> ListSkuCategories(store::Txn& txn,
                                                   const governance::TenantScope& scope,
                                                   const std::string& after_sku, int limit) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kMetricsRead));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT sku, category FROM intel_sku_categories WHERE tenant_id = ? AND sku "
                      "> ? ORDER BY sku LIMIT ?",
                      {scope.tenant().value(), after_sku, int64_t{limit}}));
  std::vector<SkuCategory> out;
  for (const sql::Row& r : rows) out.push_back({r.Text(0), r.Text(1)});
  return out;
}

Result<std::map<std::string, std::string>> LookupSkuCategories(
    store::Txn& txn, const TenantId& tenant, const std::vector<std::string>& skus) {
  std::map<std::string, std::string> out;
  if (skus.empty()) return out;
  sql::Params params{tenant.value()};
  const std::string in_list = AppendInList(skus, params);  // a few lengths only: in_list.h
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT sku, category FROM intel_sku_categories WHERE tenant_id = ? AND sku "
                      "IN " +
                          in_list,
                      params));
  for (const sql::Row& r : rows) out[r.Text(0)] = r.Text(1);
  return out;
}

}  // namespace govflow::intel
