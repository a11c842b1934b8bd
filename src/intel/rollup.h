// The metric rollup: turns runs, exception cases and deliveries into the small tables the
// dashboards read (migration 0012: intel_rollups, intel_latency_bins, intel_open_exceptions).
// Incremental and idempotent: per tenant and source a watermark says how far changes were rolled
// up; each pass re-reads changes since (watermark - lateness), in batches of one transaction
// each, and for every object replaces its previous contribution (intel_contributions) by its
// current one, so re-reading an object changes nothing and a late update (a failed run retried
// to success, a case resolved) moves its counts instead of adding to them. docs/intel.md.
// Thread-safety: the functions are thread-safe. Passes over one tenant at once (threads, or
// nodes sharing PostgreSQL) are serialised batch by batch on the watermark row, so each change
// is counted once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.h"
#include "base/status.h"
#include "governance/access.h"
#include "store/store.h"

namespace govflow::intel {

// What a job's earlier passes rolled up, so that a pass re-reading its lateness window skips what
// it has already seen unchanged: a run at the same (updated_at, state), a delivery at all (a
// delivery never changes after it is recorded). The skip is exact: such an object's contribution
// cannot differ from the stored one. Cases are never skipped (a deadline passing changes a case's
// contribution without changing its row). Entries that fell out of the window are dropped at each
// pass, so the memo holds about one window of objects. Thread-safety: one pass at a time (the
// job loop's thread).
class RollupMemo {
 public:
  bool Seen(const TenantId& tenant, std::string_view kind, std::string_view id, int64_t at,
            std::string_view state) const;
  void Remember(const TenantId& tenant, std::string_view kind, std::string_view id, int64_t at,
                std::string_view state);
  // Drops the tenant's entries changed before `before` (they are outside every later window).
  void ForgetBefore(const TenantId& tenant, int64_t before);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int64_t at = 0;
    std::string state;
  };
  static std::string Key(const TenantId& tenant, std::string_view kind, std::string_view id);
  std::map<std::string, Entry> entries_;  // "tenant\nkind\nid"
};

struct RollupOptions {
  // How late a change may become visible (commit later than its recorded time) and still be
  // counted: each pass re-reads this far behind its watermark.
  std::chrono::microseconds lateness{std::chrono::seconds(60)};
  // Objects per transaction.
  int batch = 500;
  // Optional (the serve job's): skip objects an earlier pass rolled up unchanged.
  RollupMemo* memo = nullptr;
  // Minute buckets older than this are deleted (hour buckets are kept).
  std::chrono::microseconds minute_retention{std::chrono::hours(48)};
};

struct RollupStats {
  int64_t objects_read = 0;     // runs, cases and deliveries looked at
  int64_t objects_changed = 0;  // ... whose contribution changed (new ones included)
  int64_t objects_skipped = 0;  // ... known unchanged from the memo (not loaded or compared)
  int64_t batches = 0;
};

// Rolls up one tenant's changes up to the store clock's now.
Result<RollupStats> RollupTenant(store::Store& store, const TenantId& tenant,
                                 const RollupOptions& options = {});
// Every tenant, one after another; a failing tenant does not stop the others (the first error
// is returned after all were tried).
Result<RollupStats> RollupAllTenants(store::Store& store, const RollupOptions& options = {});

// Labels a storefront connection with the brand it sells (metrics of objects received through
// it carry that brand from the next pass on; earlier ones keep theirs). Needs
// connections.manage; audited (intel.brand_label) in `txn` when it changes anything. An empty
// brand removes the label.
Status SetBrandLabel(store::Txn& txn, const governance::TenantScope& scope,
                     const ConnectionId& connection, std::string_view brand);

struct ConnectionBrand {
  ConnectionId connection;
  std::string kind;   // e.g. "shopify.webhooks"
  std::string label;  // "" when none is set
  std::string brand;  // what metrics of objects received through it carry (ResolveBrand)
};
// Every connection of the tenant with its brand, by connection id. Needs metrics.read.
Result<std::vector<ConnectionBrand>> ListConnectionBrands(store::Txn& txn,
                                                          const governance::TenantScope& scope);

}  // namespace govflow::intel
