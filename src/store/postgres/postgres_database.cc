#include "store/postgres/postgres_database.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

#include "store/connection_pool.h"
#include "store/deferred_writes.h"

namespace govflow::store::sql {
namespace {

// Type OIDs from pg_type.h (stable across releases).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Maps an SQLSTATE (and connection health) to a Status code.
Status MapPostgresError(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  std::string message = std::string(what) + ": ";
  const char* err = res != nullptr ? PQresultErrorMessage(res) : nullptr;
  if (err == nullptr || *err == '\0') err = PQerrorMessage(conn);
  message += err;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (!sqlstate.empty()) message += " (sqlstate " + sqlstate + ")";

  if (PQstatus(conn) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03") {
    return Unavailable(std::move(message));
  }
  if (sqlstate == "23505") return AlreadyExists(std::move(message));
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status(StatusCode::kAborted, std::move(message));
  }
  if (sqlstate == "57014") return Status(StatusCode::kDeadlineExceeded, std::move(message));
  if (sqlstate.starts_with("23")) return FailedPrecondition(std::move(message));
  if (sqlstate.starts_with("22") || sqlstate.starts_with("42")) {
    return InvalidArgument(std::move(message));
  }
  if (sqlstate.starts_with("53")) return ResourceExhausted(std::move(message));
  return Internal(std::move(message));
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

// Decodes bytea in the hex output format ("\x0a1b...", the default since PostgreSQL 9.0).
std::string DecodeBytea(const char* text, int length) {
  std::string out;
  if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
    out.reserve(static_cast<size_t>(length - 2) / 2);
    for (int i = 2; i + 1 < length; i += 2) {
      out.push_back(static_cast<char>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1])));
    }
    return out;
  }
  size_t size = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
  if (raw != nullptr) {
    out.assign(reinterpret_cast<const char*>(raw), size);
    PQfreemem(raw);
  }
  return out;
}

Value ReadValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return nullptr;
  const char* text = PQgetvalue(res, row, col);
  const int length = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid:
    case kOidOid: {
      int64_t n = 0;
      std::from_chars(text, text + length, n);
      return n;
    }
    case kBoolOid:
      return static_cast<int64_t>(text[0] == 't' ? 1 : 0);
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      return std::strtod(text, nullptr);
    case kByteaOid:
      return Blob{DecodeBytea(text, length)};
    default:
      return std::string(text, static_cast<size_t>(length));
  }
}

// True for statements that cannot be prepared (anything but SELECT/INSERT/UPDATE/DELETE/WITH/
// VALUES).
bool IsUtilityStatement(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\t' || sql[i] == '('))
    ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++]))));
  }
  return word != "SELECT" && word != "INSERT" && word != "UPDATE" && word != "DELETE" &&
         word != "WITH" && word != "VALUES";
}

class PostgresConnection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  PGconn* get() const { return conn_; }
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Runs one parameterised statement, prepared once per connection (keyed by its text and the
  // kinds of its parameters, which fix the declared types). Text parameters are sent as text,
  // blobs in binary format.
  Result<ResultPtr> Run(std::string_view sql, const Params& params) {
    if (params.empty() && IsUtilityStatement(sql)) {
      // SAVEPOINT, RELEASE, DDL ...: not preparable; the simple protocol takes them as they are.
      ResultPtr res(PQexec(conn_, std::string(sql).c_str()));
      if (res == nullptr) return MapPostgresError(conn_, nullptr, "execute");
      const ExecStatusType st = PQresultStatus(res.get());
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        return MapPostgresError(conn_, res.get(), "execute");
      }
      return res;
    }
    std::vector<std::string> text_storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    std::vector<Oid> types(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        values[i] = nullptr;
      } else if (const auto* n = std::get_if<int64_t>(&v)) {
        text_storage[i] = std::to_string(*n);
        values[i] = text_storage[i].c_str();
        types[i] = kInt8Oid;
      } else if (const auto* d = std::get_if<double>(&v)) {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
        text_storage[i].assign(buf, end);
        values[i] = text_storage[i].c_str();
        types[i] = kFloat8Oid;
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        if (std::memchr(s->data(), '\0', s->size()) != nullptr) {
          return InvalidArgument("text parameter " + std::to_string(i + 1) +
                                 " contains a NUL byte; bind it as a Blob");
        }
        values[i] = s->c_str();
      } else if (const auto* b = std::get_if<Blob>(&v)) {
        values[i] = b->bytes.data();
        lengths[i] = static_cast<int>(b->bytes.size());
        formats[i] = 1;
        types[i] = kByteaOid;
      }
    }
    std::string key(sql);
    key.push_back('\0');
    for (Oid type : types) key += std::to_string(type) + ",";
    auto it = prepared_.find(key);
    if (it == prepared_.end()) {
      std::string name = "govflow_" + std::to_string(prepared_.size());
      ResultPtr prep(PQprepare(conn_, name.c_str(), ToPostgresPlaceholders(sql).c_str(),
                               static_cast<int>(params.size()), types.data()));
      if (prep == nullptr || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
        return MapPostgresError(conn_, prep.get(), "prepare");
      }
      it = prepared_.emplace(std::move(key), std::move(name)).first;
    }
    ResultPtr res(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                                 values.data(), lengths.data(), formats.data(),
                                 /*resultFormat=*/0));
    if (res == nullptr) return MapPostgresError(conn_, nullptr, "execute");
    const ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return MapPostgresError(conn_, res.get(), "execute");
    }
    return res;
  }

  Status Exec(const char* sql) {
    ResultPtr res(PQexec(conn_, sql));
    if (res == nullptr) return MapPostgresError(conn_, nullptr, "exec");
    const ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return MapPostgresError(conn_, res.get(), "exec");
    }
    return Status::Ok();
  }

 private:
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql + param types -> statement name
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PostgresDatabase* owner, std::unique_ptr<PostgresConnection> conn)
      : owner_(owner), conn_(std::move(conn)) {}
  ~PostgresTransaction() override {
    (void)Rollback();
    ForgetDeferredWrites(*this);
  }

  Result<Rows> Query(std::string_view sql, const Params& params) override {
    if (!conn_) return FailedPrecondition("transaction already finished");
    GOVFLOW_ASSIGN_OR_RETURN(ResultPtr res, conn_->Run(sql, params));
    const int nrows = PQntuples(res.get());
    const int ncols = PQnfields(res.get());
    Rows rows;
    rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) values.push_back(ReadValue(res.get(), r, c));
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  Result<int64_t> Execute(std::string_view sql, const Params& params) override {
    if (!conn_) return FailedPrecondition("transaction already finished");
    GOVFLOW_ASSIGN_OR_RETURN(ResultPtr res, conn_->Run(sql, params));
    const char* affected = PQcmdTuples(res.get());
    int64_t n = 0;
    if (affected != nullptr && *affected != '\0') {
      std::from_chars(affected, affected + std::strlen(affected), n);
    }
    return n;
  }

  Status ExecuteScript(std::string_view sql) override {
    if (!conn_) return FailedPrecondition("transaction already finished");
    return conn_->Exec(std::string(sql).c_str());
  }

  Status Commit() override;
  Status Rollback() override;
  Dialect dialect() const override { return Dialect::kPostgres; }

 private:
  void Finish();

  PostgresDatabase* owner_;
  std::unique_ptr<PostgresConnection> conn_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string conninfo, const DatabaseOptions& options)
      : conninfo_(std::move(conninfo)),
        pool_(options.max_connections, options.pool_wait, [this] { return Connect(); }) {}

  Status Init() {
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<PostgresConnection> conn, pool_.Acquire());
    pool_.Release(std::move(conn), true);
    return Status::Ok();
  }

  Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) override {
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<PostgresConnection> conn, pool_.Acquire());
    Status s = conn->Exec(mode == TxnMode::kReadWrite ? "BEGIN" : "BEGIN READ ONLY");
    if (!s.ok()) {
      // A pooled connection may have died while idle (server restart): retry once on a new one.
      const bool healthy = conn->healthy();
      pool_.Release(std::move(conn), healthy);
      if (healthy) return s;
      GOVFLOW_ASSIGN_OR_RETURN(conn, pool_.Acquire());
      s = conn->Exec(mode == TxnMode::kReadWrite ? "BEGIN" : "BEGIN READ ONLY");
      if (!s.ok()) {
        const bool ok = conn->healthy();
        pool_.Release(std::move(conn), ok);
        return s;
      }
    }
    return std::unique_ptr<Transaction>(new PostgresTransaction(this, std::move(conn)));
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  std::string DisplayUrl() const override {
    // Drop a password in "scheme://user:password@host" form.
    std::string url = conninfo_;
    const size_t scheme = url.find("://");
    const size_t at = url.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      const size_t colon = url.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) url.replace(colon, at - colon, ":***");
    }
    return url;
  }

  Status Notify(std::string_view channel) override {
    GOVFLOW_ASSIGN_OR_RETURN(std::unique_ptr<PostgresConnection> conn, pool_.Acquire());
    // Outside a transaction: delivered at once (autocommit).
    Result<ResultPtr> res = conn->Run("SELECT pg_notify(?, '')", {std::string(channel)});
    Release(std::move(conn));
    return res.status();
  }

  Result<bool> WaitForNotification(std::string_view channel,
                                   std::chrono::milliseconds timeout) override {
    std::lock_guard lock(listen_mu_);
    if (listener_ == nullptr || !listener_->healthy()) {
      listener_.reset();
      listening_.clear();
      GOVFLOW_ASSIGN_OR_RETURN(listener_, Connect());
    }
    const std::string name(channel);
    if (!listening_.contains(name)) {
      char* quoted = PQescapeIdentifier(listener_->get(), name.data(), name.size());
      if (quoted == nullptr) return InvalidArgument("bad channel name " + name);
      Status s = listener_->Exec(("LISTEN " + std::string(quoted)).c_str());
      PQfreemem(quoted);
      GOVFLOW_RETURN_IF_ERROR(s);
      listening_.insert(name);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    PGconn* conn = listener_->get();
    for (;;) {
      if (PQconsumeInput(conn) == 0) {
        listener_.reset();
        listening_.clear();
        return Unavailable("lost the LISTEN connection");
      }
      bool hit = false;
      while (PGnotify* n = PQnotifies(conn)) {
        hit = hit || name == n->relname;
        PQfreemem(n);
      }
      if (hit) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd pfd{PQsocket(conn), POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
        return Unavailable("poll on the LISTEN connection failed");
      }
    }
  }

  void Release(std::unique_ptr<PostgresConnection> conn) {
    const bool healthy = conn->healthy();
    pool_.Release(std::move(conn), healthy);
  }

 private:
  Result<std::unique_ptr<PostgresConnection>> Connect() {
    PGconn* raw = PQconnectdb(conninfo_.c_str());
    auto conn = std::make_unique<PostgresConnection>(raw);
    if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
      std::string message = raw != nullptr ? PQerrorMessage(raw) : "out of memory";
      while (!message.empty() && message.back() == '\n') message.pop_back();
      return Unavailable("cannot connect to PostgreSQL at " + DisplayUrl() + ": " + message);
    }
    // Quiet NOTICEs (e.g. "relation already exists, skipping") instead of printing to stderr.
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
    GOVFLOW_RETURN_IF_ERROR(conn->Exec("SET client_min_messages TO warning"));
    return conn;
  }

  const std::string conninfo_;
  ConnectionPool<PostgresConnection> pool_;
  std::mutex listen_mu_;                          // one waiter at a time
  std::unique_ptr<PostgresConnection> listener_;  // GUARDED_BY(listen_mu_)
  std::set<std::string> listening_;               // GUARDED_BY(listen_mu_)
};

void PostgresTransaction::Finish() {
  if (conn_) owner_->Release(std::move(conn_));
}

Status PostgresTransaction::Commit() {
  if (!conn_) return FailedPrecondition("transaction already finished");
  ResultPtr res(PQexec(conn_->get(), "COMMIT"));
  Status s = Status::Ok();
  if (res == nullptr || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    s = MapPostgresError(conn_->get(), res.get(), "commit");
  } else if (const char* tag = PQcmdStatus(res.get()); std::strcmp(tag, "ROLLBACK") == 0) {
    // COMMIT of a transaction that had a failed statement silently rolls back.
    s = Status(StatusCode::kAborted, "commit: transaction was rolled back after an earlier error");
  }
  if (!s.ok() && conn_->healthy() && PQtransactionStatus(conn_->get()) != PQTRANS_IDLE) {
    (void)conn_->Exec("ROLLBACK");
  }
  Finish();
  return s;
}

Status PostgresTransaction::Rollback() {
  if (!conn_) return Status::Ok();
  Status s = Status::Ok();
  if (conn_->healthy() && PQtransactionStatus(conn_->get()) != PQTRANS_IDLE) {
    s = conn_->Exec("ROLLBACK");
  }
  Finish();
  return s;
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const std::string& conninfo,
                                                       const DatabaseOptions& options) {
  auto db = std::make_unique<PostgresDatabase>(conninfo, options);
  GOVFLOW_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace govflow::store::sql
