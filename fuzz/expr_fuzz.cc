// Fuzzes CEL parse + evaluate: any input must give a value or a clean error, never a crash, a hang,
// undefined behaviour or a leak. The input is the expression; it is evaluated against a small JSON
// order document with a cost budget, as a policy would be.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "expr/program.h"

namespace {

const boost::json::value& OrderDocument() {
  static const boost::json::value doc = boost::json::parse(R"({
    "id": 1001, "total_price": "1499.00", "currency": "EUR", "tags": "retail, wholesale",
    "line_items": [{"sku": "A-1", "quantity": 2, "price": "10.50"},
                   {"sku": "B-2", "quantity": 1, "price": "1478.00"}],
    "customer": {"email": "a@example.com", "tags": ""}, "note": null, "test": false})");
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  govflow::expr::CompileOptions compile_options;
  compile_options.max_expression_length = 4096;
  auto program = govflow::expr::Compile(source, compile_options);
  if (!program.ok()) return 0;
  govflow::expr::Activation activation;
  activation.BindJson("order", OrderDocument());
  activation.Bind("x", govflow::expr::Value::Int(7));
  activation.Bind("s", govflow::expr::Value::String("héllo, wörld"));
  govflow::expr::EvalOptions eval_options;
  eval_options.cost_budget = 100'000;
  govflow::expr::Value result = (*program)->Evaluate(activation, eval_options);
  (void)result.DebugString();
  return 0;
}
