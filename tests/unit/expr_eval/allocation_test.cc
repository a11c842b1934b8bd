// Counts heap allocations (by replacing global operator new in this test binary) to prove the
// evaluator's hot path allocates nothing.
#include <atomic>
#include <cstdlib>
#include <new>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "expr/declarations.h"
#include "expr/program.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace govflow::expr {
namespace {

TEST(AllocationTest, EvaluatesJsonPredicatesWithoutHeapAllocation) {
  boost::json::value order = boost::json::parse(
      R"({"total_price":"1874.40","tags":"b2b, net30, wholesale",
          "customer":{"email":"a@example.com"},"line_items":[{"sku":"A","quantity":2}]})");
  Activation activation;
  activation.BindJson("order", order);
  const char* kExpressions[] = {
      "double(order.total_price) > 1000.0 && order.tags.split(', ').exists(t, t == 'wholesale')",
      "order.line_items.all(li, li.quantity > 0.0) && has(order.customer.email)",
      "order.customer.email.endsWith('@example.com') && size(order.line_items) == 1",
  };
  for (const char* source : kExpressions) {
    auto program = Compile(source);
    ASSERT_TRUE(program.ok()) << program.status().ToString();
    ASSERT_TRUE((*program)->Evaluate(activation).bool_value()) << source;
    long before = g_allocations.load();
    for (int i = 0; i < 100; ++i) {
      Value v = (*program)->Evaluate(activation);
      ASSERT_TRUE(v.IsBool() && v.bool_value());
    }
    EXPECT_EQ(g_allocations.load() - before, 0) << source;
  }
}

TEST(CheckedCompileTest, RejectsIllTypedExpressionsWhenDeclarationsAreGiven) {
  TypeEnvironment env = TypeEnvironment::Standard();
  ASSERT_TRUE(env.AddVariable("qty", Type::Int()).ok());
  CompileOptions options;
  options.type_env = &env;
  auto bad = Compile("qty + 'x'", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ERROR: <input>:1:"), std::string::npos);
  auto undeclared = Compile("quantity > 1", options);
  EXPECT_FALSE(undeclared.ok());
  auto good = Compile("qty * 2 > 10", options);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  Activation activation;
  activation.Bind("qty", Value::Int(6));
  EXPECT_TRUE((*good)->Evaluate(activation).bool_value());
  // Without declarations the same text compiles and fails only when run.
  EXPECT_TRUE(Compile("qty + 'x'").ok());
}

}  // namespace
}  // namespace govflow::expr
