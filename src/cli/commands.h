// Subcommand groups of the govflow binary. Each Register* adds its group to the app; the table in
// main.cc lists them all. Handlers print to stdout/stderr and return the process exit code through
// CommandResult (0 success, 1 the operation failed, 2 bad usage).
#pragma once

#include <CLI/CLI.hpp>

namespace govflow::cli {

// Where a command's exit code goes once CLI11 has run its callback.
struct CommandResult {
  int exit_code = 0;
};

// `govflow expr eval|check ...`: try a CEL expression.
void RegisterExprCommands(CLI::App& app, CommandResult& result);

// `govflow apply -f FILE --data DIR | --store URL`: the declarative configuration.
void RegisterApplyCommands(CLI::App& app, CommandResult& result);

// `govflow serve --data DIR | --store URL --listen HOST:PORT`: the engine.
void RegisterServeCommands(CLI::App& app, CommandResult& result);

// `govflow exceptions list|show|retry`: exception cases.
void RegisterExceptionsCommands(CLI::App& app, CommandResult& result);

// `govflow demo`: server, simulators and a stream of orders in one command.
void RegisterDemoCommands(CLI::App& app, CommandResult& result);

// `govflow documents list|show|draft|diff|submit|approve|publish|promote|rollback|...`.
void RegisterDocumentsCommands(CLI::App& app, CommandResult& result);

// `govflow approvals list|show|approve|reject|delegate|delegations|undelegate|expire`.
void RegisterApprovalsCommands(CLI::App& app, CommandResult& result);

// `govflow partner|tenants|users|teams|roles|tokens ...`: tenancy and access.
void RegisterAccessCommands(CLI::App& app, CommandResult& result);

// `govflow audit verify|export|list|checkpoint|public-key`: the tamper-evident audit trail.
void RegisterAuditCommands(CLI::App& app, CommandResult& result);
// `govflow retention run|hold|release|status|set-rules`: data retention and legal holds.
void RegisterRetentionCommands(CLI::App& app, CommandResult& result);

// `govflow prices request|list|show|publish`: price changes behind the approval gate.
void RegisterPricesCommands(CLI::App& app, CommandResult& result);

}  // namespace govflow::cli
