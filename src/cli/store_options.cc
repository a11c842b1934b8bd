#include "cli/store_options.h"

#include <cstdlib>
#include <filesystem>

namespace govflow::cli {

void AddStoreFlags(CLI::App& command, StoreFlags& flags) {
  command.add_option("--data", flags.data_dir,
                     "data directory: embedded SQLite database and master.key");
  command.add_option("--store", flags.store_url, "store URL, e.g. postgresql://user@host:5432/db");
}

Result<std::unique_ptr<store::Store>> OpenStore(const StoreFlags& flags) {
  std::string data_dir = flags.data_dir;
  if (!data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    data_dir = std::filesystem::absolute(data_dir, ec).string();
  }
  auto url = store::ResolveStoreUrl(data_dir, flags.store_url);
  if (!url.ok()) return InvalidArgument("give --data DIR or --store URL");
  store::StoreOptions options;
  options.url = *url;
  return store::Store::Open(options);
}

Result<std::string> LoadMasterKey(const StoreFlags& flags, bool create) {
  if (const char* env = std::getenv("GOVFLOW_MASTER_KEY"); env != nullptr && *env != '\0') {
    return governance::MasterKeyFromBase64(env, "GOVFLOW_MASTER_KEY");
  }
  if (flags.data_dir.empty()) {
    return FailedPrecondition(
        "no master key: set GOVFLOW_MASTER_KEY (base64 of 32 bytes) when using --store");
  }
  return governance::LoadMasterKeyFile(std::filesystem::path(flags.data_dir) / "master.key",
                                       create);
}

}  // namespace govflow::cli
