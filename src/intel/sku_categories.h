// The SKU -> category map of a tenant (master data for the dashboards' SKU-category dimension).
// Shopify order lines carry a SKU but no product type, so an order's category is looked up here
// by the SKU of its most valuable line (dimensions.h). Typically loaded from the ERP's item
// categories. Functions run in the caller's transaction; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::intel {

struct SkuCategory {
  std::string sku;
  std::string category;  // "" in SetSkuCategories removes the SKU's entry
};

// At most this many entries per SetSkuCategories call.
inline constexpr size_t kMaxSkuCategoriesPerCall = 5000;

// Sets (or, with an empty category, removes) the categories of the given SKUs. Needs
// connections.manage (the same as brand labels: it shapes what the tenant's metrics say).
// kInvalidArgument naming the entry ("items[3].sku") for an empty or over-long SKU, a duplicate
// SKU, or more than kMaxSkuCategoriesPerCall entries; nothing changes then. Audited
// (intel.sku_categories: how many set and removed, and a digest of the entries) when anything
// changed. Runs rolled up before the change keep the category they were counted under.
struct SkuCategoryChange {
  int64_t set = 0;
  int64_t removed = 0;
  int64_t unchanged = 0;
};
Result<SkuCategoryChange> SetSkuCategories(store::Txn& txn, const governance::TenantScope& scope,
                                           const std::vector<SkuCategory>& items);

// One page of the map ordered by SKU, after `after_sku` ("" = from the start). Needs
// metrics.read.
Result<std::vector<SkuCategory>> ListSkuCategories(store::Txn& txn,
                                                   const governance::TenantScope& scope,
                                                   const std::string& after_sku, int limit);

// The categories of `skus` (those that have one), for the rollup; no permission check (the
// rollup is a system job of the tenant).
Result<std::map<std::string, std::string>> LookupSkuCategories(
    store::Txn& txn, const TenantId& tenant, const std::vector<std::string>& skus);

}  // namespace govflow::intel
