// `govflow apply -f FILE --data DIR | --store URL`: writes the declarative configuration
// (config_file.h) into the store. Prints one line per tenant, connection and workflow and a
// final "applied: N changes" (0 when the store already matched). Exit 1 on any error.
#include <iostream>

#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/store_options.h"

namespace govflow::cli {
namespace {

struct ApplyArgs {
  std::string file;
  StoreFlags store;
};

int RunApply(const ApplyArgs& args) {
  auto config = LoadConfigFile(args.file);
  if (!config.ok()) {
    std::cerr << "govflow apply: " << config.status().message() << "\n";
    return 1;
  }
  auto store = OpenStore(args.store);
  if (!store.ok()) {
    std::cerr << "govflow apply: " << store.status().message() << "\n";
    return 1;
  }
  auto key = LoadMasterKey(args.store, /*create=*/true);
  if (!key.ok()) {
    std::cerr << "govflow apply: " << key.status().message() << "\n";
    return 1;
  }
  auto report = ApplyConfig(**store, *config, *key);
  if (!report.ok()) {
    std::cerr << "govflow apply: " << report.status().message() << "\n";
    return 1;
  }
  for (const std::string& line : report->lines) std::cout << line << "\n";
  std::cout << "applied: " << report->changes << " changes\n";
  return 0;
}

}  // namespace

void RegisterApplyCommands(CLI::App& app, CommandResult& result) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* apply = app.add_subcommand("apply", "apply a declarative configuration file");
  apply->add_option("-f,--file", args->file, "configuration YAML (${NAME} from the environment)")
      ->required();
  AddStoreFlags(*apply, args->store);
  apply->callback([args, &result] { result.exit_code = RunApply(*args); });
}

}  // namespace govflow::cli
