#include "cli/config_file.h"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/store_options.h"
#include "connect/registry.h"
#include "governance/directory.h"
#include "workflow/runtime/catalog.h"

namespace govflow::cli {
namespace json = boost::json;
namespace {

std::string Where(std::string_view file, int line, int column) {
  return std::string(file) + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Where(std::string_view file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return Where(file, mark.line + 1, mark.column + 1);
}

// yaml-cpp throws; everything below runs inside ParseConfig's try block.
class Parser {
 public:
  Parser(std::string_view file, std::filesystem::path base_dir)
      : file_(file), base_dir_(std::move(base_dir)) {}

  Status Fail(const YAML::Node& node, const std::string& message) {
    return InvalidArgument(Where(file_, node) + ": " + message);
  }

  // Only `allowed` keys; a misspelt key is an error rather than silently ignored.
  Status CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || key == a;
      if (!ok) {
        std::string expected;
        for (std::string_view a : allowed) {
          expected += (expected.empty() ? "" : ", ") + std::string(a);
        }
        return Fail(kv.first, "unknown key '" + key + "'; expected one of: " + expected);
      }
    }
    return Status::Ok();
  }

  Result<std::string> RequiredString(const YAML::Node& map, const char* key, std::string_view in) {
    const YAML::Node v = map[key];
    if (!v) return Fail(map, std::string(in) + ": expected key '" + key + "'");
    if (!v.IsScalar() || v.Scalar().empty()) {
      return Fail(v, std::string(in) + "." + key + ": expected a non-empty string");
    }
    return v.Scalar();
  }

  // Unquoted scalars that read as integers or booleans become JSON numbers / booleans, so that
  // connector options such as request_timeout_ms keep their type.
  Result<json::value> ToJson(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return json::value(nullptr);
      case YAML::NodeType::Scalar: {
        const std::string& s = node.Scalar();
        if (node.Tag() == "?") {
          if (s == "true") return json::value(true);
          if (s == "false") return json::value(false);
          if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
            char* end = nullptr;
            errno = 0;
            const long long n = std::strtoll(s.c_str(), &end, 10);
            if (errno == 0 && end != nullptr && *end == '\0') return json::value(int64_t{n});
          }
        }
        return json::value(s);
      }
      case YAML::NodeType::Sequence: {
        json::array a;
        for (const auto& item : node) {
          GOVFLOW_ASSIGN_OR_RETURN(json::value v, ToJson(item));
          a.push_back(std::move(v));
        }
        return json::value(std::move(a));
      }
      case YAML::NodeType::Map: {
        json::object o;
        for (const auto& kv : node) {
          GOVFLOW_ASSIGN_OR_RETURN(json::value v, ToJson(kv.second));
          o[kv.first.as<std::string>()] = std::move(v);
        }
        return json::value(std::move(o));
      }
      default:
        return Fail(node, "expected a value");
    }
  }

  Result<ConnectionSpec> Connection(const YAML::Node& node, std::string_view tenant) {
    if (!node.IsMap()) return Fail(node, "expected a connection (a map with id and kind)");
    ConnectionSpec spec;
    spec.where = Where(file_, node);
    GOVFLOW_ASSIGN_OR_RETURN(spec.id, RequiredString(node, "id", "connection"));
    GOVFLOW_ASSIGN_OR_RETURN(spec.kind, RequiredString(node, "kind", "connection"));
    if (connect::FindConnectorType(spec.kind) == nullptr) {
      std::string known;
      for (const auto& t : connect::ConnectorTypes()) {
        known += (known.empty() ? "" : ", ") + std::string(t.name);
      }
      return Fail(node["kind"],
                  "unknown connection kind '" + spec.kind + "'; expected one of: " + known);
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      if (key == "id" || key == "kind") continue;
      GOVFLOW_ASSIGN_OR_RETURN(json::value v, ToJson(kv.second));
      (IsSecretField(key) ? spec.secrets : spec.config)[key] = std::move(v);
    }
    Status valid = connect::ValidateConnectorConfig(spec.kind, MergedConnectorConfig(spec));
    if (!valid.ok()) {
      return InvalidArgument(spec.where + ": connection " + std::string(tenant) + "/" + spec.id +
                             ": " + valid.message());
    }
    return spec;
  }

  Result<WorkflowSpec> Workflow(const YAML::Node& node) {
    WorkflowSpec spec;
    spec.where = Where(file_, node);
    YAML::Node path;
    if (node.IsScalar()) {
      path = node;
    } else if (node.IsMap()) {
      GOVFLOW_RETURN_IF_ERROR(CheckKeys(node, {"path", "inline"}));
      if (node["inline"]) {
        if (!node["inline"].IsScalar()) return Fail(node["inline"], "expected workflow YAML text");
        spec.file_name = std::string(file_) + "#" + Where("line", node["inline"]).substr(5);
        spec.yaml_text = node["inline"].Scalar();
        return spec;
      }
      path = node["path"];
      if (!path) return Fail(node, "workflow: expected key 'path' or 'inline'");
    } else {
      return Fail(node, "expected a workflow path or {path: FILE} or {inline: YAML}");
    }
    if (!path.IsScalar() || path.Scalar().empty()) return Fail(path, "expected a file path");
    std::filesystem::path file = path.Scalar();
    if (file.is_relative()) file = base_dir_ / file;
    std::ifstream in(file);
    if (!in) return Fail(path, "cannot read workflow file " + file.string());
    std::stringstream text;
    text << in.rdbuf();
    spec.file_name = file.lexically_normal().string();
    spec.yaml_text = text.str();
    return spec;
  }

  Result<TenantSpec> Tenant(const YAML::Node& node) {
    if (!node.IsMap()) return Fail(node, "expected a tenant (a map with id)");
    GOVFLOW_RETURN_IF_ERROR(CheckKeys(node, {"id", "name", "connections", "workflows"}));
    TenantSpec spec;
    GOVFLOW_ASSIGN_OR_RETURN(spec.id, RequiredString(node, "id", "tenant"));
    spec.display_name = node["name"] && node["name"].IsScalar() ? node["name"].Scalar() : spec.id;
    if (const YAML::Node list = node["connections"]) {
      if (!list.IsSequence()) return Fail(list, "connections: expected a list");
      std::set<std::string> ids;
      for (const auto& c : list) {
        GOVFLOW_ASSIGN_OR_RETURN(ConnectionSpec conn, Connection(c, spec.id));
        if (!ids.insert(conn.id).second)
          return Fail(c, "duplicate connection id '" + conn.id + "'");
        spec.connections.push_back(std::move(conn));
      }
    }
    if (const YAML::Node list = node["workflows"]) {
      if (!list.IsSequence()) return Fail(list, "workflows: expected a list");
      for (const auto& w : list) {
        GOVFLOW_ASSIGN_OR_RETURN(WorkflowSpec wf, Workflow(w));
        spec.workflows.push_back(std::move(wf));
      }
    }
    return spec;
  }

  Result<ConfigFile> File(const YAML::Node& root) {
    if (!root.IsMap()) return Fail(root, "expected a map with apiVersion, kind and tenants");
    GOVFLOW_RETURN_IF_ERROR(CheckKeys(root, {"apiVersion", "kind", "tenants"}));
    if (const YAML::Node v = root["apiVersion"];
        v && (!v.IsScalar() || v.Scalar() != "govflow/v1")) {
      return Fail(v, "apiVersion: expected govflow/v1");
    }
    if (const YAML::Node k = root["kind"]; k && (!k.IsScalar() || k.Scalar() != "Config")) {
      return Fail(k, "kind: expected Config");
    }
    const YAML::Node tenants = root["tenants"];
    if (!tenants) return Fail(root, "expected key 'tenants'");
    if (!tenants.IsSequence()) return Fail(tenants, "tenants: expected a list");
    ConfigFile config;
    std::set<std::string> ids;
    for (const auto& t : tenants) {
      GOVFLOW_ASSIGN_OR_RETURN(TenantSpec tenant, Tenant(t));
      if (!ids.insert(tenant.id).second) return Fail(t, "duplicate tenant id '" + tenant.id + "'");
      config.tenants.push_back(std::move(tenant));
    }
    return config;
  }

 private:
  std::string file_;
  std::filesystem::path base_dir_;
};

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

bool IsSecretField(std::string_view field) {
  // Credentials of every connector kind: webhook secrets, OAuth client secrets, Admin API tokens.
  return field == "secret" || field == "client_secret" || field == "previous_secrets" ||
         field == "access_token";
}

Result<std::string> SubstituteEnv(std::string_view text, std::string_view file_name,
                                  const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      column += 3;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      size_t end = i + 2;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      if (end == i + 2 || end >= text.size() || text[end] != '}') {
        return InvalidArgument(Where(file_name, line, column) +
                               ": expected ${NAME} with NAME made of letters, digits and '_'");
      }
      const std::string name(text.substr(i + 2, end - i - 2));
      std::optional<std::string> value = lookup(name);
      if (!value) {
        return InvalidArgument(Where(file_name, line, column) + ": environment variable " + name +
                               " is not set");
      }
      out += *value;
      column += static_cast<int>(end + 1 - i);
      i = end + 1;
      continue;
    }
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    out += text[i++];
  }
  return out;
}

Result<ConfigFile> ParseConfig(std::string_view text, std::string_view file_name,
                               const std::filesystem::path& base_dir) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return Parser(file_name, base_dir).File(root);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(Where(file_name, e.mark.line + 1, e.mark.column + 1) + ": " + e.msg);
  }
}

Result<ConfigFile> LoadConfigFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  GOVFLOW_ASSIGN_OR_RETURN(std::string substituted,
                           SubstituteEnv(text.str(), path.string(),
                                         [](std::string_view name) -> std::optional<std::string> {
                                           const char* v = std::getenv(std::string(name).c_str());
                                           if (v == nullptr) return std::nullopt;
                                           return std::string(v);
                                         }));
  return ParseConfig(substituted, path.string(), path.parent_path());
}

boost::json::object MergedConnectorConfig(const ConnectionSpec& spec) {
  json::object merged = spec.config;
  for (const auto& kv : spec.secrets) merged[kv.key()] = kv.value();
  return merged;
}

Result<ApplyReport> ApplyConfig(store::Store& store, const ConfigFile& config,
                                std::string_view master_key) {
  ApplyReport report;
  auto note = [&](std::string line, bool changed) {
    report.lines.push_back(std::move(line));
    if (changed) ++report.changes;
  };
  for (const TenantSpec& t : config.tenants) {
    const TenantId tenant(t.id);
    std::string tenant_outcome;
    GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
      auto existing = txn.GetTenant(tenant);
      tenant_outcome = existing.ok() ? "updated" : "created";
      if (existing.ok() && existing->display_name == t.display_name) {
        tenant_outcome = "unchanged";
        return Status::Ok();
      }
      if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
        return existing.status();
      }
      GOVFLOW_RETURN_IF_ERROR(txn.PutTenant(
          {tenant, t.display_name, existing.ok() ? existing->created_at : store.clock().Now()}));
      // A new tenant gets the default approver roles (pricing_manager, finance_controller), as
      // one made by `govflow tenants create` does.
      if (!existing.ok()) GOVFLOW_RETURN_IF_ERROR(governance::SeedDefaultRoles(txn, tenant));
      return Status::Ok();
    }));
    note("tenant " + t.id + ": " + tenant_outcome, tenant_outcome != "unchanged");

    for (const ConnectionSpec& c : t.connections) {
      const std::string config_json = json::serialize(c.config);
      const std::string secrets_json = c.secrets.empty() ? "" : json::serialize(c.secrets);
      std::string outcome;
      GOVFLOW_RETURN_IF_ERROR(store.Transact([&](store::Txn& txn) -> Status {
        auto existing = txn.GetConnection(tenant, ConnectionId(c.id));
        if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
          return existing.status();
        }
        if (existing.ok() && existing->kind == c.kind && existing->config_json == config_json) {
          auto opened = OpenSecret(master_key, existing->secret_ciphertext);
          if (opened.ok() && *opened == secrets_json) {
            outcome = "unchanged";
            return Status::Ok();
          }
        }
        std::string sealed;
        if (!secrets_json.empty()) {
          GOVFLOW_ASSIGN_OR_RETURN(sealed, SealSecret(master_key, secrets_json));
        }
        const TimePoint now = store.clock().Now();
        outcome = existing.ok() ? "updated" : "created";
        return txn.PutConnection({tenant, ConnectionId(c.id), c.kind, config_json, sealed,
                                  existing.ok() ? existing->created_at : now, now});
      }));
      note("connection " + t.id + "/" + c.id + " (" + c.kind + "): " + outcome,
           outcome != "unchanged");
    }

    for (const WorkflowSpec& w : t.workflows) {
      auto count = [&]() -> Result<int64_t> {
        GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
        GOVFLOW_ASSIGN_OR_RETURN(
            store::sql::Rows rows,
            txn.sql().Query("SELECT COUNT(*) FROM workflow_versions WHERE tenant_id = ?", {t.id}));
        return rows.empty() ? 0 : rows[0].Int(0);
      };
      GOVFLOW_ASSIGN_OR_RETURN(int64_t before, count());
      auto version = workflow::runtime::PublishWorkflow(store, tenant, w.yaml_text, w.file_name);
      if (!version.ok()) {
        return Status(version.status().code(),
                      w.where + ": workflow: " + version.status().message());
      }
      GOVFLOW_ASSIGN_OR_RETURN(int64_t after, count());
      note("workflow " + t.id + " " + w.file_name + ": version " + std::to_string(*version) +
               (after > before ? " published" : " unchanged"),
           after > before);
    }
  }
  return report;
}

Result<std::vector<StoredTenant>> ReadStoredConfig(store::Store& store,
                                                   std::string_view master_key) {
  GOVFLOW_ASSIGN_OR_RETURN(store::Txn txn, store.Begin(store::sql::TxnMode::kReadOnly));
  GOVFLOW_ASSIGN_OR_RETURN(std::vector<store::Tenant> tenants, txn.ListTenants());
  std::vector<StoredTenant> out;
  for (const store::Tenant& t : tenants) {
    StoredTenant st;
    st.id = t.id;
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows ids,
        txn.sql().Query("SELECT connection_id FROM connections WHERE tenant_id = ? ORDER BY 1",
                        {t.id.value()}));
    for (const auto& row : ids) {
      GOVFLOW_ASSIGN_OR_RETURN(store::Connection c,
                               txn.GetConnection(t.id, ConnectionId(row.Text(0))));
      StoredConnection sc;
      sc.id = c.id;
      sc.kind = c.kind;
      boost::system::error_code ec;
      json::value config = json::parse(c.config_json, ec);
      if (ec || !config.is_object()) {
        return Internal("connection " + t.id.value() + "/" + c.id.value() + ": bad config_json");
      }
      sc.config = std::move(config.as_object());
      auto opened = OpenSecret(master_key, c.secret_ciphertext);
      if (!opened.ok()) {
        return Status(opened.status().code(), "connection " + t.id.value() + "/" + c.id.value() +
                                                  ": " + opened.status().message());
      }
      if (!opened->empty()) {
        json::value secrets = json::parse(*opened, ec);
        if (ec || !secrets.is_object()) {
          return Internal("connection " + t.id.value() + "/" + c.id.value() + ": bad secrets");
        }
        for (const auto& kv : secrets.as_object()) sc.config[kv.key()] = kv.value();
      }
      st.connections.push_back(std::move(sc));
    }
    GOVFLOW_ASSIGN_OR_RETURN(
        store::sql::Rows names,
        txn.sql().Query(
            "SELECT DISTINCT name FROM workflow_versions WHERE tenant_id = ? ORDER BY 1",
            {t.id.value()}));
    for (const auto& row : names) st.workflows.push_back(row.Text(0));
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace govflow::cli
