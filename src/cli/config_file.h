// The declarative configuration of `govflow apply -f FILE`: tenants, their connections (with
// secrets, sealed before they reach the store) and the workflows to publish. `${NAME}` anywhere
// in the file is replaced from the environment first. Errors name file:line:column and what was
// expected. Applying is idempotent: what is already stored as written is left untouched.
// Thread-compatible: plain functions over values; ApplyConfig uses the (thread-safe) Store.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace govflow::cli {

struct ConnectionSpec {
  std::string id;
  std::string kind;             // a registered connector type, e.g. "shopify.webhooks"
  boost::json::object config;   // non-secret fields, stored as config_json
  boost::json::object secrets;  // secret fields (kSecretFields), stored sealed
  std::string where;            // "file:line:column" of the entry, for messages
};

struct WorkflowSpec {
  std::string file_name;  // the workflow file (or "<config>#inline") for loader messages
  std::string yaml_text;
  std::string where;
};

struct TenantSpec {
  std::string id;
  std::string display_name;
  std::vector<ConnectionSpec> connections;
  std::vector<WorkflowSpec> workflows;
};

struct ConfigFile {
  std::vector<TenantSpec> tenants;
};

// Connector config fields that are secrets: sealed in the store, never printed.
bool IsSecretField(std::string_view field);

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Replaces every ${NAME} (NAME: letters, digits, '_') with lookup(NAME). "$${" stays a literal
// "${". kInvalidArgument "FILE:LINE:COL: environment variable NAME is not set" for a missing one.
Result<std::string> SubstituteEnv(std::string_view text, std::string_view file_name,
                                  const EnvLookup& lookup);

// Parses substituted text. Workflow paths are relative to `base_dir`. Checks each connection's
// config with its connector type (errors prefixed with the entry's file:line:column).
Result<ConfigFile> ParseConfig(std::string_view text, std::string_view file_name,
                               const std::filesystem::path& base_dir);

// Reads `path`, substitutes from the process environment and parses.
Result<ConfigFile> LoadConfigFile(const std::filesystem::path& path);

// The whole connector config: config plus decrypted secrets.
boost::json::object MergedConnectorConfig(const ConnectionSpec& spec);

struct ApplyReport {
  std::vector<std::string> lines;  // "tenant acme: created", "connection acme/shop: unchanged"...
  int changes = 0;                 // 0 when the store already matched the file
};

// Writes the file's content into the store. Secrets are sealed with `master_key`.
Result<ApplyReport> ApplyConfig(store::Store& store, const ConfigFile& config,
                                std::string_view master_key);

// What `govflow serve` builds from the store: each tenant's connections (secrets opened) and the
// names of its published workflows.
struct StoredConnection {
  ConnectionId id;
  std::string kind;
  boost::json::object config;  // config_json merged with the opened secrets
};
struct StoredTenant {
  TenantId id;
  std::vector<StoredConnection> connections;
  std::vector<std::string> workflows;
};
Result<std::vector<StoredTenant>> ReadStoredConfig(store::Store& store,
                                                   std::string_view master_key);

}  // namespace govflow::cli
