#include "intel/rollup.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "base/canonical_json.h"
#include "governance/audit.h"
#include "intel/contribution.h"
#include "intel/dimensions.h"
#include "intel/in_list.h"
#include "intel/latency_histogram.h"
#include "intel/sku_categories.h"

namespace govflow::intel {
namespace json = boost::json;
namespace sql = store::sql;

namespace {

// The counters of intel_rollups, in column order; latency_count and latency_sum_us follow them.
enum Counter {
  kRunsStarted,
  kRunsSucceeded,
  kRunsFailed,
  kRunsCancelled,
  kExceptionsOpened,
  kSlaMet,
  kSlaBreached,
  kDeliveriesAccepted,
  kDeliveriesRejected,
  kDeliveriesDuplicate,
  kCounters,
};
constexpr std::array<std::string_view, kCounters + 2> kColumns = {
    "runs_started",         "runs_succeeded",      "runs_failed",
    "runs_cancelled",       "exceptions_opened",   "sla_met",
    "sla_breached",         "deliveries_accepted", "deliveries_rejected",
    "deliveries_duplicate", "latency_count",       "latency_sum_us"};
constexpr int kLatencyCount = kCounters;
constexpr int kLatencySum = kCounters + 1;

constexpr int64_t kResolutions[] = {60, 3600};  // seconds

int64_t Micros(TimePoint t) {
  return t.time_since_epoch().count();
}

// Sums of contribution changes, applied to the tables in one go per batch.
class Deltas {
 public:
  explicit Deltas(int64_t minute_cutoff_us) : minute_cutoff_us_(minute_cutoff_us) {}

  void Add(const Contribution& c, int sign) {
    const int dims = DimsId(c.dims);
    for (const int64_t res : kResolutions) {
      for (const auto& [counter, at] : c.counts) {
        if (Skip(res, at)) continue;
        Row(res, at, dims)[counter] += sign;
      }
      if (c.latency) {
        const auto [at, us] = *c.latency;
        if (Skip(res, at)) continue;
        auto& row = Row(res, at, dims);
        row[kLatencyCount] += sign;
        row[kLatencySum] += sign * us;
        bins_[{res, Bucket(res, at), dims, LatencyBin(std::chrono::microseconds(us))}] += sign;
      }
    }
    if (!c.open_severity.empty()) open_[{dims, c.open_severity}] += sign;
  }

  // Rows are written in the order of (resolution, bucket, dimension values[, bin | severity]),
  // whatever order the dimensions were first seen in: every pass touches shared rows in the
  // same order, so passes over two sources of one tenant on two PostgreSQL nodes cannot
  // deadlock on them.
  Status Apply(store::Txn& txn, const TenantId& tenant) const {
    const std::string t = tenant.value();
    static const std::string kRollupUpsert = [] {
      std::string cols, marks, sets;
      for (size_t i = 0; i < kColumns.size(); ++i) {
        cols += ", " + std::string(kColumns[i]);
        marks += ", ?";
        sets += std::string(i == 0 ? "" : ", ") + std::string(kColumns[i]) + " = intel_rollups." +
                std::string(kColumns[i]) + " + excluded." + std::string(kColumns[i]);
      }
      return "INSERT INTO intel_rollups (tenant_id, resolution, bucket_start, process, brand, "
             "channel, sku_category" +
             cols + ") VALUES (?, ?, ?, ?, ?, ?, ?" + marks +
             ") ON CONFLICT (tenant_id, resolution, bucket_start, process, brand, channel, "
             "sku_category) DO UPDATE SET " +
             sets;
    }();
    std::vector<const RowMap::value_type*> rows;
    for (const auto& entry : rows_) rows.push_back(&entry);
    std::sort(rows.begin(), rows.end(), [&](const auto* x, const auto* y) {
      const auto& [xr, xb, xd] = x->first;
      const auto& [yr, yb, yd] = y->first;
      return std::tie(xr, xb, Dims(xd)) < std::tie(yr, yb, Dims(yd));
    });
    for (const auto* entry : rows) {
      const auto& [key, values] = *entry;
      if (std::all_of(values.begin(), values.end(), [](int64_t v) { return v == 0; })) continue;
      const auto& [res, bucket, dims_id] = key;
      const DimKey& dims = Dims(dims_id);
      sql::Params params{t,
                         res,
                         bucket,
                         std::get<0>(dims),
                         std::get<1>(dims),
                         std::get<2>(dims),
                         std::get<3>(dims)};
      for (size_t i = 0; i < kColumns.size(); ++i) params.emplace_back(values[i]);
      GOVFLOW_RETURN_IF_ERROR(txn.sql().Execute(kRollupUpsert, params).status());
    }
    std::vector<const BinMap::value_type*> bins;
    for (const auto& entry : bins_) bins.push_back(&entry);
    std::sort(bins.begin(), bins.end(), [&](const auto* x, const auto* y) {
      const auto& [xr, xb, xd, xbin] = x->first;
      const auto& [yr, yb, yd, ybin] = y->first;
      return std::tie(xr, xb, Dims(xd), xbin) < std::tie(yr, yb, Dims(yd), ybin);
    });
    for (const auto* entry : bins) {
      const auto& [key, n] = *entry;
      if (n == 0) continue;
      const auto& [res, bucket, dims_id, bin] = key;
      const DimKey& dims = Dims(dims_id);
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("INSERT INTO intel_latency_bins (tenant_id, resolution, bucket_start, "
                       "process, brand, channel, sku_category, bin, samples) VALUES (?, ?, ?, ?, "
                       "?, ?, ?, ?, ?) ON CONFLICT (tenant_id, resolution, bucket_start, process, "
                       "brand, channel, sku_category, bin) DO UPDATE SET samples = "
                       "intel_latency_bins.samples + excluded.samples",
                       {t, res, bucket, std::get<0>(dims), std::get<1>(dims), std::get<2>(dims),
                        std::get<3>(dims), int64_t{bin}, n})
              .status());
    }
    std::vector<const OpenMap::value_type*> open;
    for (const auto& entry : open_) open.push_back(&entry);
    std::sort(open.begin(), open.end(), [&](const auto* x, const auto* y) {
      return std::tie(Dims(x->first.first), x->first.second) <
             std::tie(Dims(y->first.first), y->first.second);
    });
    for (const auto* entry : open) {
      const auto& [key, n] = *entry;
      if (n == 0) continue;
      const auto& [dims_id, severity] = key;
      const DimKey& dims = Dims(dims_id);
      GOVFLOW_RETURN_IF_ERROR(
          txn.sql()
              .Execute("INSERT INTO intel_open_exceptions (tenant_id, process, brand, channel, "
                       "sku_category, severity, open_cases) VALUES (?, ?, ?, ?, ?, ?, ?) ON "
                       "CONFLICT (tenant_id, process, brand, channel, sku_category, severity) DO "
                       "UPDATE SET open_cases = intel_open_exceptions.open_cases + "
                       "excluded.open_cases",
                       {t, std::get<0>(dims), std::get<1>(dims), std::get<2>(dims),
                        std::get<3>(dims), severity, n})
              .status());
    }
    return Status::Ok();
  }

 private:
  using DimKey = std::tuple<std::string, std::string, std::string, std::string>;
  // Rows are keyed by a small number standing for the dimension values (their index in
  // dims_): most contributions of a batch share them, and comparing numbers instead of four
  // strings at every lookup was most of Add's cost.
  using RowMap = std::map<std::tuple<int64_t, int64_t, int>, std::array<int64_t, kColumns.size()>>;
  using BinMap = std::map<std::tuple<int64_t, int64_t, int, int>, int64_t>;
  using OpenMap = std::map<std::pair<int, std::string>, int64_t>;

  static int64_t Bucket(int64_t res, int64_t at) {
    const int64_t width = res * 1'000'000;
    int64_t b = at - at % width;
    if (at < 0 && at % width != 0) b -= width;
    return b;
  }
  bool Skip(int64_t res, int64_t at) const { return res == 60 && at < minute_cutoff_us_; }
  std::array<int64_t, kColumns.size()>& Row(int64_t res, int64_t at, int dims) {
    return rows_.try_emplace({res, Bucket(res, at), dims}).first->second;
  }

  int DimsId(const Dimensions& d) {
    const auto view = std::tie(d.process, d.brand, d.channel, d.sku_category);
    if (last_ >= 0 && Dims(last_) == view) return last_;
    auto it = ids_.find(view);
    if (it == ids_.end()) {
      dims_.emplace_back(d.process, d.brand, d.channel, d.sku_category);
      it = ids_.emplace(dims_.back(), static_cast<int>(dims_.size()) - 1).first;
    }
    last_ = it->second;
    return last_;
  }
  const DimKey& Dims(int id) const { return dims_[static_cast<size_t>(id)]; }

  int64_t minute_cutoff_us_;
  std::vector<DimKey> dims_;                // id -> dimension values
  std::map<DimKey, int, std::less<>> ids_;  // dimension values -> id
  int last_ = -1;                           // the id of the last Add's dimensions
  RowMap rows_;
  BinMap bins_;
  OpenMap open_;
};

// object id -> stored contribution, for the ids given.
Result<std::map<std::string, std::string>> LoadContributions(store::Txn& txn,
                                                             const TenantId& tenant,
                                                             std::string_view kind,
                                                             const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  if (ids.empty()) return out;
  sql::Params params{tenant.value(), std::string(kind)};
  const std::string in_list = AppendInList(ids, params);  // a few lengths only: in_list.h
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows, txn.sql().Query("SELECT object_id, contribution_json FROM "
                                      "intel_contributions WHERE tenant_id = ? AND kind = ? AND "
                                      "object_id IN " +
                                          in_list,
                                      params));
  for (const sql::Row& r : rows) out[r.Text(0)] = r.Text(1);
  return out;
}

// One pass over one tenant: the shared state of its batches.
class TenantPass {
 public:
  TenantPass(store::Store& store, TenantId tenant, const RollupOptions& options)
      : store_(store), tenant_(std::move(tenant)), options_(options) {}

  Result<RollupStats> Run() {
    to_ = Micros(store_.clock().Now());
    minute_cutoff_ = to_ - options_.minute_retention.count();
    GOVFLOW_RETURN_IF_ERROR(LoadLabels());
    GOVFLOW_RETURN_IF_ERROR(RollupRuns());
    GOVFLOW_RETURN_IF_ERROR(RollupCases());
    GOVFLOW_RETURN_IF_ERROR(RollupDeliveries());
    GOVFLOW_RETURN_IF_ERROR(Prune());
    // The next pass reads from this one's `to` minus the lateness at the earliest.
    if (options_.memo != nullptr) {
      options_.memo->ForgetBefore(tenant_, to_ - options_.lateness.count());
    }
    return stats_;
  }

 private:
  Status LoadLabels() {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin(sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows rows,
        txn.sql().Query("SELECT connection_id, brand FROM intel_brand_labels WHERE tenant_id = ?",
                        {tenant_.value()}));
    for (const sql::Row& r : rows) labels_[r.Text(0)] = r.Text(1);
    return txn.Rollback();
  }

  // Serialises passes over one (tenant, source): two nodes sharing PostgreSQL would otherwise
  // both read an object's old contribution and both apply the same difference. The lock is the
  // watermark row, taken first in every batch's transaction, so a waiting pass reads the
  // contributions the other one committed and finds nothing left to do. SQLite needs no lock:
  // its write transactions (BEGIN IMMEDIATE) are serialised from their first statement.
  Status Lock(store::Txn& txn, std::string_view source) {
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("INSERT INTO intel_watermarks (tenant_id, source, watermark, updated_at) "
                     "VALUES (?, ?, 0, ?) ON CONFLICT (tenant_id, source) DO NOTHING",
                     {tenant_.value(), std::string(source), to_})
            .status());
    if (txn.dialect() != sql::Dialect::kPostgres) return Status::Ok();
    return txn.sql()
        .Query(
            "SELECT watermark FROM intel_watermarks WHERE tenant_id = ? AND source = ? FOR "
            "UPDATE",
            {tenant_.value(), std::string(source)})
        .status();
  }

  // Where the source's last pass got to, minus the lateness; 0 for a first pass.
  Result<int64_t> From(store::Txn& txn, std::string_view source) {
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows rows, txn.sql().Query("SELECT watermark FROM intel_watermarks WHERE tenant_id = "
                                        "? AND source = ?",
                                        {tenant_.value(), std::string(source)}));
    if (rows.empty()) return int64_t{0};
    return std::max<int64_t>(0, rows[0].Int(0) - options_.lateness.count());
  }

  Status SetWatermark(store::Txn& txn, std::string_view source, int64_t watermark) {
    return txn.sql()
        .Execute(
            "INSERT INTO intel_watermarks (tenant_id, source, watermark, updated_at) VALUES "
            "(?, ?, ?, ?) ON CONFLICT (tenant_id, source) DO UPDATE SET watermark = "
            "excluded.watermark, updated_at = excluded.updated_at",
            {tenant_.value(), std::string(source), watermark, to_})
        .status();
  }

  // Replaces the stored contributions of `fresh` objects (id -> new contribution) and collects
  // the difference into `deltas`. `fresh` holds each id once.
  Status Replace(store::Txn& txn, std::string_view kind,
                 const std::map<std::string, std::string>& old,
                 const std::vector<std::pair<std::string, Contribution>>& fresh, Deltas& deltas) {
    std::vector<std::pair<const std::string*, std::string>> changed;  // id, new text
    for (const auto& [id, c] : fresh) {
      std::string text = ContributionToJson(c);
      auto it = old.find(id);
      if (it != old.end() && it->second == text) continue;
      if (it != old.end()) {
        if (auto before = ContributionFromJson(it->second)) deltas.Add(*before, -1);
      }
      deltas.Add(c, +1);
      ++stats_.objects_changed;
      changed.emplace_back(&id, std::move(text));
    }
    return StoreContributions(txn, kind, changed);
  }

  // Upserts contributions several rows per statement: one statement per object was most of a
  // changed object's SQL cost. Rows go in chunks whose sizes are powers of two up to
  // kRowsPerStatement, so that each connection's statement cache holds a few texts only
  // (in_list.h says why that matters); a chunk never holds one key twice (PostgreSQL refuses
  // an upsert that touches a row twice), since the ids are distinct.
  Status StoreContributions(store::Txn& txn, std::string_view kind,
                            const std::vector<std::pair<const std::string*, std::string>>& rows) {
    static constexpr size_t kRowsPerStatement = 64;
    size_t next = 0;
    while (next < rows.size()) {
      size_t chunk = 1;
      while (chunk * 2 <= std::min(rows.size() - next, kRowsPerStatement)) chunk *= 2;
      std::string text =
          "INSERT INTO intel_contributions (tenant_id, kind, object_id, contribution_json, "
          "updated_at) VALUES ";
      sql::Params params;
      params.reserve(chunk * 5);
      for (size_t i = 0; i < chunk; ++i) {
        const auto& [id, json_text] = rows[next + i];
        text += i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
        params.emplace_back(tenant_.value());
        params.emplace_back(std::string(kind));
        params.emplace_back(*id);
        params.emplace_back(json_text);
        params.emplace_back(to_);
      }
      text +=
          " ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET contribution_json = "
          "excluded.contribution_json, updated_at = excluded.updated_at";
      GOVFLOW_RETURN_IF_ERROR(txn.sql().Execute(text, params).status());
      next += chunk;
    }
    return Status::Ok();
  }

  std::string Brand(const std::string& connection) const {
    auto it = labels_.find(connection);
    return ResolveBrand(it == labels_.end() ? "" : it->second, connection);
  }

  // The dimensions of runs not yet known, from their input and source connection.
  Result<std::map<std::string, Dimensions>> ReadRunDimensions(store::Txn& txn,
                                                              const std::vector<std::string>& ids) {
    std::map<std::string, Dimensions> out;
    if (ids.empty()) return out;
    sql::Params params{tenant_.value()};
    const std::string in_list = AppendInList(ids, params);  // a few lengths only: in_list.h
    GOVFLOW_ASSIGN_OR_RETURN(
        sql::Rows rows,
        txn.sql().Query("SELECT r.run_id, r.workflow_name, i.input_json, d.connection_id FROM runs "
                        "r JOIN run_inputs i ON i.tenant_id = r.tenant_id AND i.run_id = r.run_id "
                        "LEFT JOIN deliveries d ON d.tenant_id = r.tenant_id AND d.delivery_id "
                        "= r.delivery_id WHERE r.tenant_id = ? AND r.run_id IN " +
                            in_list,
                        params));
    // Orders whose top line has no product_type take the category of its SKU.
    std::map<std::string, std::string> sku_of;  // run id -> SKU to look up
    for (const sql::Row& r : rows) {
      Dimensions d;
      d.process = CleanDimension(r.Text(1));
      d.brand = Brand(r.OptionalText(3).value_or(""));
      const OrderDimensions order = ReadOrderDimensions(r.Text(2));
      d.channel = order.channel;
      d.sku_category = order.sku_category;
      if (order.is_order && order.sku_category == kUncategorised && !order.top_sku.empty()) {
        sku_of[r.Text(0)] = order.top_sku;
      }
      out[r.Text(0)] = std::move(d);
    }
    if (!sku_of.empty()) {
      std::set<std::string> unique;
      for (const auto& [run, sku] : sku_of) unique.insert(sku);
      GOVFLOW_ASSIGN_OR_RETURN(
          auto categories,
          LookupSkuCategories(txn, tenant_,
                              std::vector<std::string>(unique.begin(), unique.end())));
      for (const auto& [run, sku] : sku_of) {
        auto it = categories.find(sku);
        if (it != categories.end()) out[run].sku_category = it->second;
      }
    }
    return out;
  }

  Status RollupRuns() {
    int64_t cursor_time = -1;
    std::string cursor_id;
    while (true) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin());
      GOVFLOW_RETURN_IF_ERROR(Lock(txn, "runs"));
      if (cursor_time < 0) {
        GOVFLOW_ASSIGN_OR_RETURN(cursor_time, From(txn, "runs"));
      }
      GOVFLOW_ASSIGN_OR_RETURN(
          sql::Rows rows,
          txn.sql().Query("SELECT run_id, state, created_at, updated_at FROM runs WHERE tenant_id "
                          "= ? AND updated_at <= ? AND (updated_at > ? OR (updated_at = ? AND "
                          "run_id > ?)) ORDER BY updated_at, run_id LIMIT ?",
                          {tenant_.value(), to_, cursor_time, cursor_time, cursor_id,
                           int64_t{options_.batch}}));
      // Rows an earlier pass rolled up at the same time and state need nothing (RollupMemo).
      std::vector<const sql::Row*> todo;
      for (const sql::Row& r : rows) {
        if (options_.memo != nullptr &&
            options_.memo->Seen(tenant_, "run", r.Text(0), r.Int(3), r.Text(1))) {
          ++stats_.objects_skipped;
          continue;
        }
        todo.push_back(&r);
      }
      std::vector<std::string> ids;
      for (const sql::Row* r : todo) ids.push_back(r->Text(0));
      GOVFLOW_ASSIGN_OR_RETURN(auto old, LoadContributions(txn, tenant_, "run", ids));
      std::vector<std::string> unknown;
      std::map<std::string, Dimensions> known;
      for (const std::string& id : ids) {
        auto it = old.find(id);
        std::optional<Contribution> c;
        if (it != old.end()) c = ContributionFromJson(it->second);
        if (c) {
          known[id] = c->dims;
        } else {
          unknown.push_back(id);
        }
      }
      GOVFLOW_ASSIGN_OR_RETURN(auto read, ReadRunDimensions(txn, unknown));
      known.merge(read);
      std::vector<std::pair<std::string, Contribution>> fresh;
      for (const sql::Row* row : todo) {
        const sql::Row& r = *row;
        Contribution c;
        c.dims = known[r.Text(0)];
        const std::string state = r.Text(1);
        const int64_t created = r.Int(2), updated = r.Int(3);
        c.counts.emplace_back(kRunsStarted, created);
        if (state == "succeeded") {
          c.counts.emplace_back(kRunsSucceeded, updated);
          c.latency.emplace(updated, updated - created);
        } else if (state == "failed") {
          c.counts.emplace_back(kRunsFailed, updated);
        } else if (state == "cancelled") {
          c.counts.emplace_back(kRunsCancelled, updated);
        }
        fresh.emplace_back(r.Text(0), std::move(c));
      }
      Deltas deltas(minute_cutoff_);
      GOVFLOW_RETURN_IF_ERROR(Replace(txn, "run", old, fresh, deltas));
      GOVFLOW_RETURN_IF_ERROR(deltas.Apply(txn, tenant_));
      const bool last = static_cast<int64_t>(rows.size()) < options_.batch;
      if (!rows.empty()) {
        cursor_time = rows.back().Int(3);
        cursor_id = rows.back().Text(0);
      }
      GOVFLOW_RETURN_IF_ERROR(SetWatermark(txn, "runs", last ? to_ : cursor_time));
      GOVFLOW_RETURN_IF_ERROR(txn.Commit());
      if (options_.memo != nullptr) {
        for (const sql::Row* r : todo) {
          options_.memo->Remember(tenant_, "run", r->Text(0), r->Int(3), r->Text(1));
        }
      }
      stats_.objects_read += static_cast<int64_t>(rows.size());
      ++stats_.batches;
      if (last) return Status::Ok();
    }
  }

  // A case changed (its row or its governance row) or its resolve clock ran out since `from`.
  Status RollupCases() {
    int64_t from = -1;
    std::string cursor_id;
    while (true) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin());
      GOVFLOW_RETURN_IF_ERROR(Lock(txn, "cases"));
      if (from < 0) {
        GOVFLOW_ASSIGN_OR_RETURN(from, From(txn, "cases"));
      }
      GOVFLOW_ASSIGN_OR_RETURN(
          sql::Rows rows,
          txn.sql().Query(
              "SELECT c.case_id, c.run_id, c.state, c.created_at, c.updated_at, g.severity, "
              "g.resolve_due_at, g.closed_at FROM exception_cases c LEFT JOIN "
              "exception_governance g ON g.tenant_id = c.tenant_id AND g.case_id = c.case_id "
              "WHERE c.tenant_id = ? AND c.case_id > ? AND ((c.updated_at > ? AND c.updated_at "
              "<= ?) OR (g.updated_at > ? AND g.updated_at <= ?) OR (g.closed_at IS NULL AND "
              "c.state <> 'resolved' AND g.resolve_due_at > ? AND g.resolve_due_at <= ?)) "
              "ORDER BY c.case_id LIMIT ?",
              {tenant_.value(), cursor_id, from, to_, from, to_, from, to_,
               int64_t{options_.batch}}));
      std::vector<std::string> ids, runs;
      for (const sql::Row& r : rows) {
        ids.push_back(r.Text(0));
        runs.push_back(r.Text(1));
      }
      GOVFLOW_ASSIGN_OR_RETURN(auto old, LoadContributions(txn, tenant_, "case", ids));
      // A case has its run's dimensions: from the run's contribution (runs were rolled up
      // first), else read from the run.
      GOVFLOW_ASSIGN_OR_RETURN(auto run_contributions,
                               LoadContributions(txn, tenant_, "run", runs));
      std::map<std::string, Dimensions> run_dims;
      std::vector<std::string> unknown;
      for (const std::string& run : runs) {
        auto it = run_contributions.find(run);
        std::optional<Contribution> c;
        if (it != run_contributions.end()) c = ContributionFromJson(it->second);
        if (c) {
          run_dims[run] = c->dims;
        } else {
          unknown.push_back(run);
        }
      }
      GOVFLOW_ASSIGN_OR_RETURN(auto read, ReadRunDimensions(txn, unknown));
      run_dims.merge(read);
      std::vector<std::pair<std::string, Contribution>> fresh;
      for (const sql::Row& r : rows) {
        Contribution c;
        c.dims = run_dims[r.Text(1)];
        const bool resolved = r.Text(2) == "resolved";
        const bool governed = !r.IsNull(6);
        std::optional<int64_t> closed = r.OptionalInt(7);
        if (!closed && resolved) closed = r.Int(4);  // closed by the engine (a retry succeeded)
        c.counts.emplace_back(kExceptionsOpened, r.Int(3));
        if (!closed) c.open_severity = governed ? r.Text(5) : std::string(kNoDimension);
        if (governed) {
          const int64_t due = r.Int(6);
          if (closed) {
            if (*closed <= due) {
              c.counts.emplace_back(kSlaMet, *closed);
            } else {
              c.counts.emplace_back(kSlaBreached, due);
            }
          } else if (due <= to_) {
            c.counts.emplace_back(kSlaBreached, due);
          }
        }
        fresh.emplace_back(r.Text(0), std::move(c));
      }
      Deltas deltas(minute_cutoff_);
      GOVFLOW_RETURN_IF_ERROR(Replace(txn, "case", old, fresh, deltas));
      GOVFLOW_RETURN_IF_ERROR(deltas.Apply(txn, tenant_));
      const bool last = static_cast<int64_t>(rows.size()) < options_.batch;
      if (!rows.empty()) cursor_id = rows.back().Text(0);
      // Cases are paged by id, not time: the watermark moves only once all are read.
      if (last) GOVFLOW_RETURN_IF_ERROR(SetWatermark(txn, "cases", to_));
      GOVFLOW_RETURN_IF_ERROR(txn.Commit());
      stats_.objects_read += static_cast<int64_t>(rows.size());
      ++stats_.batches;
      if (last) return Status::Ok();
    }
  }

  // Deliveries never change once recorded: a known one is skipped.
  Status RollupDeliveries() {
    int64_t cursor_time = -1;
    std::string cursor_id;
    while (true) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin());
      GOVFLOW_RETURN_IF_ERROR(Lock(txn, "deliveries"));
      if (cursor_time < 0) {
        GOVFLOW_ASSIGN_OR_RETURN(cursor_time, From(txn, "deliveries"));
      }
      GOVFLOW_ASSIGN_OR_RETURN(
          sql::Rows rows,
          txn.sql().Query("SELECT delivery_id, connection_id, status, received_at FROM deliveries "
                          "WHERE tenant_id = ? AND received_at <= ? AND (received_at > ? OR "
                          "(received_at = ? AND delivery_id > ?)) ORDER BY received_at, "
                          "delivery_id LIMIT ?",
                          {tenant_.value(), to_, cursor_time, cursor_time, cursor_id,
                           int64_t{options_.batch}}));
      std::vector<const sql::Row*> todo;
      for (const sql::Row& r : rows) {
        if (options_.memo != nullptr &&
            options_.memo->Seen(tenant_, "delivery", r.Text(0), r.Int(3), "")) {
          ++stats_.objects_skipped;
          continue;
        }
        todo.push_back(&r);
      }
      std::vector<std::string> ids;
      for (const sql::Row* r : todo) ids.push_back(r->Text(0));
      GOVFLOW_ASSIGN_OR_RETURN(auto old, LoadContributions(txn, tenant_, "delivery", ids));
      std::vector<std::pair<std::string, Contribution>> fresh;
      for (const sql::Row* row : todo) {
        const sql::Row& r = *row;
        if (old.contains(r.Text(0))) continue;
        Contribution c;
        c.dims.brand = Brand(r.Text(1));
        const std::string status = r.Text(2);
        c.counts.emplace_back(status == "accepted"   ? kDeliveriesAccepted
                              : status == "rejected" ? kDeliveriesRejected
                                                     : kDeliveriesDuplicate,
                              r.Int(3));
        fresh.emplace_back(r.Text(0), std::move(c));
      }
      Deltas deltas(minute_cutoff_);
      GOVFLOW_RETURN_IF_ERROR(Replace(txn, "delivery", old, fresh, deltas));
      GOVFLOW_RETURN_IF_ERROR(deltas.Apply(txn, tenant_));
      const bool last = static_cast<int64_t>(rows.size()) < options_.batch;
      if (!rows.empty()) {
        cursor_time = rows.back().Int(3);
        cursor_id = rows.back().Text(0);
      }
      GOVFLOW_RETURN_IF_ERROR(SetWatermark(txn, "deliveries", last ? to_ : cursor_time));
      GOVFLOW_RETURN_IF_ERROR(txn.Commit());
      if (options_.memo != nullptr) {
        for (const sql::Row* r : todo) {
          options_.memo->Remember(tenant_, "delivery", r->Text(0), r->Int(3), "");
        }
      }
      stats_.objects_read += static_cast<int64_t>(rows.size());
      ++stats_.batches;
      if (last) return Status::Ok();
    }
  }

  Status Prune() {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store_.Begin());
    for (const char* table : {"intel_rollups", "intel_latency_bins"}) {
      GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                  .Execute(std::string("DELETE FROM ") + table +
                                               " WHERE tenant_id = ? AND resolution = 60 AND "
                                               "bucket_start < ?",
                                           {tenant_.value(), minute_cutoff_ - 60'000'000})
                                  .status());
    }
    return txn.Commit();
  }

  store::Store& store_;
  const TenantId tenant_;
  const RollupOptions options_;
  int64_t to_ = 0;
  int64_t minute_cutoff_ = 0;
  std::map<std::string, std::string> labels_;
  RollupStats stats_;
};

}  // namespace

std::string RollupMemo::Key(const TenantId& tenant, std::string_view kind, std::string_view id) {
  std::string key = tenant.value();
  key += '\n';
  key += kind;
  key += '\n';
  key += id;
  return key;
}

bool RollupMemo::Seen(const TenantId& tenant, std::string_view kind, std::string_view id,
                      int64_t at, std::string_view state) const {
  auto it = entries_.find(Key(tenant, kind, id));
  return it != entries_.end() && it->second.at == at && it->second.state == state;
}

void RollupMemo::Remember(const TenantId& tenant, std::string_view kind, std::string_view id,
                          int64_t at, std::string_view state) {
  entries_[Key(tenant, kind, id)] = Entry{at, std::string(state)};
}

void RollupMemo::ForgetBefore(const TenantId& tenant, int64_t before) {
  const std::string prefix = tenant.value() + '\n';
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = it->second.at < before ? entries_.erase(it) : std::next(it);
  }
}

Result<RollupStats> RollupTenant(store::Store& store, const TenantId& tenant,
                                 const RollupOptions& options) {
  return TenantPass(store, tenant, options).Run();
}

Result<RollupStats> RollupAllTenants(store::Store& store, const RollupOptions& options) {
  std::vector<store::Tenant> tenants;
  {
    GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(sql::TxnMode::kReadOnly));
    GOVFLOW_ASSIGN_OR_RETURN(tenants, txn.ListTenants());
  }
  RollupStats total;
  Status first = Status::Ok();
  for (const store::Tenant& t : tenants) {
    Result<RollupStats> one = RollupTenant(store, t.id, options);
    if (!one.ok()) {
      if (first.ok())
        first = Status(one.status().code(), t.id.value() + ": " + one.status().message());
      continue;
    }
    total.objects_read += one->objects_read;
    total.objects_changed += one->objects_changed;
    total.objects_skipped += one->objects_skipped;
    total.batches += one->batches;
  }
  if (!first.ok()) return first;
  return total;
}

Status SetBrandLabel(store::Txn& txn, const governance::TenantScope& scope,
                     const ConnectionId& connection, std::string_view brand) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kConnectionsManage));
  GOVFLOW_RETURN_IF_ERROR(txn.GetConnection(scope.tenant(), connection).status());
  const std::string label = CleanDimension(brand);
  const int64_t now = Micros(txn.Now());
  GOVFLOW_ASSIGN_OR_RETURN(sql::Rows current,
                           txn.sql().Query("SELECT brand FROM intel_brand_labels WHERE tenant_id "
                                           "= ? AND connection_id = ?",
                                           {scope.tenant().value(), connection.value()}));
  // No change, nothing to record.
  if ((current.empty() && label.empty()) || (!current.empty() && current[0].Text(0) == label)) {
    return Status::Ok();
  }
  if (label.empty()) {
    GOVFLOW_RETURN_IF_ERROR(txn.sql()
                                .Execute("DELETE FROM intel_brand_labels WHERE tenant_id = ? AND "
                                         "connection_id = ?",
                                         {scope.tenant().value(), connection.value()})
                                .status());
  } else {
    GOVFLOW_RETURN_IF_ERROR(
        txn.sql()
            .Execute("INSERT INTO intel_brand_labels (tenant_id, connection_id, brand, "
                     "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, connection_id) DO "
                     "UPDATE SET brand = excluded.brand, updated_at = excluded.updated_at",
                     {scope.tenant().value(), connection.value(), label, now})
            .status());
  }
  governance::AuditRecord record;
  record.actor = scope.actor().id;
  record.action = "intel.brand_label";
  record.object_type = "connection";
  record.object_id = connection.value();
  record.after_digest = label.empty() ? "" : Sha256Hex(label);
  record.details_json = json::serialize(json::object{{"brand", label}});
  return governance::AppendAudit(txn, scope.tenant(), record).status();
}

Result<std::vector<ConnectionBrand>> ListConnectionBrands(store::Txn& txn,
                                                          const governance::TenantScope& scope) {
  GOVFLOW_RETURN_IF_ERROR(scope.Require(governance::perm::kMetricsRead));
  GOVFLOW_ASSIGN_OR_RETURN(
      sql::Rows rows,
      txn.sql().Query("SELECT c.connection_id, c.kind, l.brand FROM connections c LEFT JOIN "
                      "intel_brand_labels l ON l.tenant_id = c.tenant_id AND l.connection_id = "
                      "c.connection_id WHERE c.tenant_id = ? ORDER BY c.connection_id",
                      {scope.tenant().value()}));
  std::vector<ConnectionBrand> out;
  for (const sql::Row& r : rows) {
    ConnectionBrand b;
    b.connection = ConnectionId(r.Text(0));
    b.kind = r.Text(1);
    b.label = r.OptionalText(2).value_or("");
    b.brand = ResolveBrand(b.label, b.connection.value());
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace govflow::intel
