// CEL evaluation benchmarks over a realistic ~3 KB Shopify orders/create payload:
//  - the approval condition a partner typically writes (target: < 300 ns, no heap allocation);
//  - the field mapping that turns the order into a Business Central sales order (target: < 5 us).
// Heap allocations per evaluation are counted by replacing global operator new and reported as
// the "allocs/eval" counter. Results are recorded in docs/performance.md.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <boost/json.hpp>

#include "expr/program.h"

namespace {

std::atomic<uint64_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// A Shopify order as the orders/create webhook delivers it (money as strings, tags as one
// comma-separated string), about 3 KB.
constexpr const char* kShopifyOrder = R"({
  "id": 5731240165532, "admin_graphql_api_id": "gid://shopify/Order/5731240165532",
  "name": "#4821", "order_number": 4821, "email": "purchasing@northwind-outfitters.example",
  "created_at": "2026-11-27T09:14:52-05:00", "processed_at": "2026-11-27T09:14:51-05:00",
  "currency": "USD", "presentment_currency": "USD", "financial_status": "paid",
  "fulfillment_status": null, "confirmed": true, "test": false, "taxes_included": false,
  "total_price": "1874.40", "subtotal_price": "1736.00", "total_tax": "138.40",
  "total_discounts": "24.00", "total_weight": 18400, "source_name": "web",
  "tags": "b2b, net30, wholesale", "note": "Deliver to loading dock B",
  "customer": {"id": 7012331184284, "email": "purchasing@northwind-outfitters.example",
    "first_name": "Dana", "last_name": "Okafor", "phone": "+16175550142",
    "tags": "wholesale", "currency": "USD", "state": "enabled", "verified_email": true},
  "billing_address": {"first_name": "Dana", "last_name": "Okafor", "company": "Northwind Outfitters",
    "address1": "200 Harbor Way", "address2": "Suite 4", "city": "Boston", "province": "Massachusetts",
    "province_code": "MA", "zip": "02210", "country": "United States", "country_code": "US",
    "phone": "+16175550142"},
  "shipping_address": {"first_name": "Dana", "last_name": "Okafor", "company": "Northwind Outfitters",
    "address1": "200 Harbor Way", "address2": "Dock B", "city": "Boston", "province": "Massachusetts",
    "province_code": "MA", "zip": "02210", "country": "United States", "country_code": "US",
    "phone": "+16175550142"},
  "discount_codes": [{"code": "B2B-FALL", "amount": "24.00", "type": "fixed_amount"}],
  "shipping_lines": [{"id": 4711, "title": "Freight", "code": "FREIGHT", "price": "0.00",
    "source": "shopify", "carrier_identifier": null}],
  "line_items": [
    {"id": 13630009458844, "variant_id": 44390114836636, "product_id": 8112730226844,
     "sku": "TRL-PACK-45-GRN", "title": "Trail Pack 45L", "variant_title": "Forest Green",
     "vendor": "Northwind", "quantity": 12, "price": "89.00", "total_discount": "12.00",
     "grams": 1400, "requires_shipping": true, "taxable": true, "fulfillable_quantity": 12,
     "tax_lines": [{"title": "MA State Tax", "price": "66.00", "rate": 0.0625}]},
    {"id": 13630009491612, "variant_id": 44390114902172, "product_id": 8112730259612,
     "sku": "CMP-STOVE-2B", "title": "Camp Stove Two Burner", "variant_title": "Default",
     "vendor": "Northwind", "quantity": 4, "price": "149.00", "total_discount": "8.00",
     "grams": 2200, "requires_shipping": true, "taxable": true, "fulfillable_quantity": 4,
     "tax_lines": [{"title": "MA State Tax", "price": "36.75", "rate": 0.0625}]},
    {"id": 13630009524380, "variant_id": 44390114967708, "product_id": 8112730292380,
     "sku": "HDLMP-300", "title": "Headlamp 300 lm", "variant_title": "Black",
     "vendor": "Lumen", "quantity": 20, "price": "24.00", "total_discount": "4.00",
     "grams": 90, "requires_shipping": true, "taxable": true, "fulfillable_quantity": 20,
     "tax_lines": [{"title": "MA State Tax", "price": "29.75", "rate": 0.0625}]}
  ],
  "payment_gateway_names": ["shopify_payments"],
  "client_details": {"browser_ip": "203.0.113.7", "accept_language": "en-US",
    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15"}
})";

constexpr const char* kApprovalCondition =
    "double(order.total_price) > 1000.0 && "
    "order.tags.split(', ').exists(t, t == 'wholesale')";

// Shopify order -> Business Central salesOrder (API v2.0) with inline salesOrderLines.
constexpr const char* kSalesOrderMapping = R"({
  'externalDocumentNumber': 'SHOP-' + string(int(order.id)),
  'customerNumber': 'C-' + string(int(order.customer.id)),
  'orderDate': order.created_at.substring(0, 10),
  'currencyCode': order.currency,
  'email': order.email,
  'shipToName': order.shipping_address.first_name + ' ' + order.shipping_address.last_name,
  'shipToAddressLine1': order.shipping_address.address1,
  'shipToCity': order.shipping_address.city,
  'shipToState': order.shipping_address.province_code,
  'shipToPostCode': order.shipping_address.zip,
  'shipToCountry': order.shipping_address.country_code,
  'discountAmount': double(order.total_discounts),
  'salesOrderLines': order.line_items.map(li, {
    'lineType': 'Item',
    'lineObjectNumber': li.sku,
    'description': li.title,
    'quantity': li.quantity,
    'unitPrice': double(li.price),
    'discountAmount': double(li.total_discount)
  })
})";

struct Fixture {
  boost::json::value order = boost::json::parse(kShopifyOrder);
  govflow::expr::Activation activation;
  Fixture() { activation.BindJson("order", order); }
};

std::shared_ptr<const govflow::expr::Program> MustCompile(const char* source) {
  auto program = govflow::expr::Compile(source);
  if (!program.ok()) {
    std::fprintf(stderr, "compile failed: %s\n", program.status().message().c_str());
    std::abort();
  }
  return *program;
}

void RunEvaluation(benchmark::State& state, const char* source, bool expect_true) {
  Fixture fixture;
  auto program = MustCompile(source);
  {
    govflow::expr::Value warm = program->Evaluate(fixture.activation);
    if (warm.is_error() || (expect_true && !(warm.IsBool() && warm.bool_value()))) {
      std::fprintf(stderr, "unexpected result: %s\n", warm.DebugString().c_str());
      std::abort();
    }
  }
  uint64_t allocations_before = g_allocations.load();
  for (auto _ : state) {
    govflow::expr::Value result = program->Evaluate(fixture.activation);
    benchmark::DoNotOptimize(result);
  }
  state.counters["allocs/eval"] = benchmark::Counter(
      static_cast<double>(g_allocations.load() - allocations_before) /
      static_cast<double>(state.iterations()));
  state.SetLabel(std::to_string(std::strlen(kShopifyOrder)) + " byte order");
}

void BM_ApprovalConditionOverShopifyOrder(benchmark::State& state) {
  RunEvaluation(state, kApprovalCondition, /*expect_true=*/true);
}
BENCHMARK(BM_ApprovalConditionOverShopifyOrder);

void BM_MapShopifyOrderToSalesOrder(benchmark::State& state) {
  RunEvaluation(state, kSalesOrderMapping, /*expect_true=*/false);
}
BENCHMARK(BM_MapShopifyOrderToSalesOrder);

void BM_CompileApprovalCondition(benchmark::State& state) {
  for (auto _ : state) {
    auto program = govflow::expr::Compile(kApprovalCondition);
    benchmark::DoNotOptimize(program);
  }
}
BENCHMARK(BM_CompileApprovalCondition);

}  // namespace

BENCHMARK_MAIN();
