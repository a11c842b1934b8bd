// `govflow expr eval`: evaluates one CEL expression and prints the result as one line of the typed
// JSON of the CEL conformance suite ({"int":"5"}), or {"error":"MESSAGE"} with exit code 1.
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "cli/commands.h"
#include "expr/program.h"
#include "expr/typed_json.h"

namespace govflow::cli {
namespace {

struct ExprEvalArgs {
  std::string expression;
  std::string bindings;       // {"name": TYPED_JSON, ...}
  std::string json_bindings;  // {"name": PLAIN_JSON, ...}
};

void PrintError(std::string_view message) {
  boost::json::object out;
  out["error"] = message;
  std::cout << boost::json::serialize(out) << "\n";
}

// Parses `text` as a JSON object for the option `option`; errors name the option.
Result<boost::json::object> ParseObjectOption(std::string_view option, const std::string& text) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  if (ec) return InvalidArgument(std::string(option) + ": not valid JSON: " + ec.message());
  if (!doc.is_object()) return InvalidArgument(std::string(option) + ": must be a JSON object");
  return std::move(doc.as_object());
}

int RunExprEval(const ExprEvalArgs& args) {
  std::string source = args.expression;
  if (source == "-") {
    source.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }

  expr::Activation activation;
  boost::json::object json_docs;  // must outlive evaluation: bound by reference
  if (!args.bindings.empty()) {
    auto bindings = ParseObjectOption("--bindings", args.bindings);
    if (!bindings.ok()) return PrintError(bindings.status().message()), 1;
    for (const auto& [name, typed] : *bindings) {
      auto value = expr::ValueFromTypedJson(typed);
      if (!value.ok()) {
        PrintError("--bindings: " + std::string(name) + ": " + value.status().message());
        return 1;
      }
      activation.Bind(name, *value);
    }
  }
  if (!args.json_bindings.empty()) {
    auto docs = ParseObjectOption("--json-bindings", args.json_bindings);
    if (!docs.ok()) return PrintError(docs.status().message()), 1;
    json_docs = std::move(*docs);
    for (const auto& [name, doc] : json_docs) activation.BindJson(name, doc);
  }

  auto program = expr::Compile(source);
  if (!program.ok()) return PrintError(program.status().message()), 1;
  expr::Value result = (*program)->Evaluate(activation);
  if (result.is_error()) return PrintError(result.error_message()), 1;
  std::cout << boost::json::serialize(expr::ValueToTypedJson(result)) << "\n";
  return 0;
}

}  // namespace

void RegisterExprCommands(CLI::App& app, CommandResult& result) {
  CLI::App* expr = app.add_subcommand("expr", "Try CEL policy expressions");
  expr->require_subcommand(1);

  auto args = std::make_shared<ExprEvalArgs>();
  CLI::App* eval = expr->add_subcommand(
      "eval", "Evaluate EXPR and print the result as typed JSON ({\"int\":\"5\"})");
  eval->add_option("EXPR", args->expression, "the expression; '-' reads it from standard input")
      ->required();
  eval->add_option("--bindings", args->bindings,
                   "a JSON object of variables in typed JSON: {\"x\": {\"int\": \"5\"}}");
  eval->add_option("--json-bindings", args->json_bindings,
                   "a JSON object of plain JSON documents as variables: {\"order\": {...}}");
  eval->callback([args, &result] { result.exit_code = RunExprEval(*args); });
}

}  // namespace govflow::cli
