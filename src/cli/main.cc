// govflow: the command-line entry point. Subcommand groups are registered from one explicit table.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace {

struct CommandGroup {
  const char* name;
  void (*register_group)(CLI::App&, govflow::cli::CommandResult&);
};

constexpr CommandGroup kCommandGroups[] = {
    {"expr", govflow::cli::RegisterExprCommands},
    {"apply", govflow::cli::RegisterApplyCommands},
    {"serve", govflow::cli::RegisterServeCommands},
    {"exceptions", govflow::cli::RegisterExceptionsCommands},
    {"demo", govflow::cli::RegisterDemoCommands},
    {"documents", govflow::cli::RegisterDocumentsCommands},
    {"approvals", govflow::cli::RegisterApprovalsCommands},
    {"access", govflow::cli::RegisterAccessCommands},
    {"audit", govflow::cli::RegisterAuditCommands},
    {"retention", govflow::cli::RegisterRetentionCommands},
    {"prices", govflow::cli::RegisterPricesCommands},
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"govflow: governed workflows between storefronts and ERPs"};
  app.require_subcommand(1);
  govflow::cli::CommandResult result;
  for (const CommandGroup& group : kCommandGroups) group.register_group(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return result.exit_code;
}
