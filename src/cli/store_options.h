// Where the CLI's store lives and how its secrets are sealed: `--data DIR` (embedded SQLite in
// DIR, master key in DIR/master.key) or `--store URL` (PostgreSQL; master key from the
// GOVFLOW_MASTER_KEY environment variable). Shared by every command that reads or changes the
// store. Functions are thread-compatible (they touch the file system and the environment).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "governance/secrets.h"
#include "store/store.h"

namespace govflow::cli {

struct StoreFlags {
  std::string data_dir;   // --data DIR
  std::string store_url;  // --store URL
};

// Adds --data and --store to `command`.
void AddStoreFlags(CLI::App& command, StoreFlags& flags);

// Opens the store the flags name (migrations applied). kInvalidArgument when neither is given.
Result<std::unique_ptr<store::Store>> OpenStore(const StoreFlags& flags);

// The 32-byte master key that seals connection secrets. GOVFLOW_MASTER_KEY (base64 of 32 bytes)
// wins when set; otherwise DIR/master.key (base64 text), created with mode 0600 on first use when
// `create` is true. kFailedPrecondition when there is no key and none may be created.
Result<std::string> LoadMasterKey(const StoreFlags& flags, bool create);

// libsodium crypto_secretbox: nonce || box (governance/secrets.h). Open fails with
// kPermissionDenied on a wrong key or tampered bytes.
using governance::OpenSecret;
using governance::SealSecret;

}  // namespace govflow::cli
