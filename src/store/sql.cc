#include "store/sql.h"

#include <cassert>
#include <charconv>
#include <filesystem>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "store/deferred_writes.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace govflow::store::sql {

std::string_view DialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite:
      return "sqlite";
    case Dialect::kPostgres:
      return "postgresql";
  }
  return "unknown";
}

int64_t Row::Int(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

double Row::Double(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  if (const auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string Row::Text(size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  if (const auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return "";
}

std::optional<int64_t> Row::OptionalInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptionalText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

Status Transaction::Savepoint(std::string_view name) {
  // Buffered work belongs before the savepoint: write it, so that a ROLLBACK TO is exact.
  GOVFLOW_RETURN_IF_ERROR(FlushDeferredWrites(*this));
  return Execute("SAVEPOINT " + std::string(name)).status();
}

Status Transaction::RollbackToSavepoint(std::string_view name) {
  GOVFLOW_RETURN_IF_ERROR(Execute("ROLLBACK TO SAVEPOINT " + std::string(name)).status());
  ResetDeferredWrites(*this);
  return Status::Ok();
}

// ---- deferred writes (deferred_writes.h) ----

namespace {

struct DeferredEntry {
  std::vector<std::pair<std::string, std::unique_ptr<DeferredWrites>>> writers;
};

// Keyed by the transaction's address. unordered_map nodes stay put while others are added, so an
// entry may be used outside the lock by the transaction's own thread; only that thread erases it.
struct DeferredRegistry {
  std::mutex mu;
  std::unordered_map<const Transaction*, DeferredEntry> entries;  // GUARDED_BY(mu)
};

DeferredRegistry& Registry() {
  static DeferredRegistry* registry = new DeferredRegistry();  // never destroyed: used at exit
  return *registry;
}

DeferredEntry* EntryOf(const Transaction& txn) {
  DeferredRegistry& r = Registry();
  std::lock_guard lock(r.mu);
  auto it = r.entries.find(&txn);
  return it == r.entries.end() ? nullptr : &it->second;
}

}  // namespace

void AllowDeferredWrites(Transaction& txn) {
  DeferredRegistry& r = Registry();
  std::lock_guard lock(r.mu);
  r.entries.try_emplace(&txn);
}

bool DeferredWritesAllowed(const Transaction& txn) {
  return EntryOf(txn) != nullptr;
}

DeferredWrites* FindDeferredWrites(const Transaction& txn, std::string_view key) {
  DeferredEntry* e = EntryOf(txn);
  if (e == nullptr) return nullptr;
  for (auto& [k, w] : e->writers) {
    if (k == key) return w.get();
  }
  return nullptr;
}

DeferredWrites& AddDeferredWrites(Transaction& txn, std::string key,
                                  std::unique_ptr<DeferredWrites> writes) {
  DeferredEntry* e = EntryOf(txn);
  assert(e != nullptr && "AddDeferredWrites on a transaction that does not allow them");
  for (auto& [k, w] : e->writers) {
    if (k == key) {
      w = std::move(writes);
      return *w;
    }
  }
  e->writers.emplace_back(std::move(key), std::move(writes));
  return *e->writers.back().second;
}

Status FlushDeferredWrites(Transaction& txn) {
  DeferredEntry* e = EntryOf(txn);
  if (e == nullptr) return Status::Ok();
  for (auto& [key, w] : e->writers) GOVFLOW_RETURN_IF_ERROR(w->Flush(txn));
  return Status::Ok();
}

void ResetDeferredWrites(const Transaction& txn) {
  DeferredEntry* e = EntryOf(txn);
  if (e == nullptr) return;
  for (auto& [key, w] : e->writers) w->Reset();
}

void ForgetDeferredWrites(const Transaction& txn) {
  DeferredRegistry& r = Registry();
  std::lock_guard lock(r.mu);
  r.entries.erase(&txn);
}

Status Transaction::ReleaseSavepoint(std::string_view name) {
  return Execute("RELEASE SAVEPOINT " + std::string(name)).status();
}

std::string SqliteUrlForDataDir(std::string_view data_dir) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(data_dir), ec);
  if (ec) dir = std::filesystem::path(data_dir);
  return "sqlite://" + (dir.lexically_normal() / "govflow.db").string();
}

std::string ToPostgresPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  char quote = 0;  // inside '...' or "..." when non-zero
  for (char c : sql) {
    if (quote != 0) {
      // A doubled quote ('') closes and reopens, which this toggle handles naturally.
      if (c == quote) quote = 0;
      out.push_back(c);
    } else if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
    } else if (c == '?') {
      out.push_back('$');
      out += std::to_string(next++);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<std::unique_ptr<Database>> Database::Open(std::string_view url,
                                                 const DatabaseOptions& options) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.starts_with(kSqlite)) {
    std::string path(url.substr(kSqlite.size()));
    if (path.empty()) return InvalidArgument("sqlite URL has no path: " + std::string(url));
    return OpenSqliteDatabase(path, options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://") ||
      url.find('=') != std::string_view::npos) {
    return OpenPostgresDatabase(std::string(url), options);
  }
  return InvalidArgument("unsupported database URL (want sqlite:///path or postgresql://...): " +
                         std::string(url));
}

}  // namespace govflow::store::sql
