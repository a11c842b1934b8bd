// Catalogue: the fixed master data both simulators agree on, so that the orders the Shopify
// simulator sends can be posted to the ERP simulator. It does not depend on any seed.
//   - ERP item number == Shopify line item SKU (and unitPrice == the variant's price).
//   - ERP customer number == the Shopify customer id in decimal; emails are equal too.
//   - Some customers are blocked in the ERP (blocked == "All"); the Shopify simulator only uses
//     them when asked to (--blocked-customer).
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace govflow::sim {

struct CatalogueItem {
  std::string id;             // ERP GUID
  std::string number;         // ERP item number == Shopify SKU (at most 20 characters)
  std::string display_name;   // "Merino Beanie - Charcoal"
  std::string product_title;  // Shopify line item title: "Merino Beanie"
  std::string variant_title;  // Shopify variant title: "Charcoal"
  int64_t price_cents = 0;    // Shopify price and ERP unitPrice
  int grams = 0;
  int64_t shopify_product_id = 0;
  int64_t shopify_variant_id = 0;
  std::string item_category_code;
};

struct CatalogueCustomer {
  std::string id;      // ERP GUID
  std::string number;  // ERP customer number == decimal Shopify customer id
  int64_t shopify_customer_id = 0;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string phone;
  std::string address1;
  std::string city;
  std::string province;
  std::string province_code;
  std::string zip;
  std::string country_code;  // "US"
  std::string country;       // "United States"
  bool blocked = false;      // ERP blocked == "All"
};

class Catalogue {
 public:
  // The process-wide catalogue (built once, on first use).
  static const Catalogue& Default();

  const std::vector<CatalogueItem>& items() const { return items_; }
  const std::vector<CatalogueCustomer>& customers() const { return customers_; }
  // Indexes into customers(), split by ERP blocked state.
  const std::vector<size_t>& active_customers() const { return active_; }
  const std::vector<size_t>& blocked_customers() const { return blocked_; }

  // The ERP company every path may name; the simulator accepts any company id, this is the one it
  // lists at GET /api/v2.0/companies.
  static constexpr const char* kCompanyId = "4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1";
  static constexpr const char* kCompanyName = "CRONUS USA, Inc.";

 private:
  Catalogue();
  std::vector<CatalogueItem> items_;
  std::vector<CatalogueCustomer> customers_;
  std::vector<size_t> active_;
  std::vector<size_t> blocked_;
};

// A GUID string (lowercase 8-4-4-4-12) made from 128 bits.
std::string FormatGuid(uint64_t hi, uint64_t lo);

}  // namespace govflow::sim
