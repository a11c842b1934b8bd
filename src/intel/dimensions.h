// The dimensions every metric carries (process, brand, channel, SKU category) and how they are
// read from a run's input: a Shopify order gives its channel (source_name) and SKU category (the
// product_type of its most valuable line when an app put one there, else the tenant's category of
// that line's SKU, sku_categories.h); the brand comes from the storefront connection.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace govflow::intel {

// "-" stands for "does not apply" (a run whose input is not an order, a delivery's process).
inline constexpr std::string_view kNoDimension = "-";
inline constexpr std::string_view kUncategorised = "uncategorised";

struct Dimensions {
  std::string process = std::string(kNoDimension);  // the workflow's name
  std::string brand = std::string(kNoDimension);
  std::string channel = std::string(kNoDimension);
  std::string sku_category = std::string(kNoDimension);
  friend bool operator==(const Dimensions&, const Dimensions&) = default;
};

// What an order says about itself; `is_order` is false when `json` is not a Shopify order (no
// line_items array), and then channel and sku_category are "-".
struct OrderDimensions {
  bool is_order = false;
  std::string channel;       // source_name ("web", "pos", ...); "-" when absent or empty
  std::string sku_category;  // product_type of the line with the largest price x quantity
                             // (ties: the first such line); "uncategorised" when empty
  // That line's SKU ("" when none): real Shopify order lines carry no product_type, so the
  // rollup looks the category up by it in the tenant's SKU categories (sku_categories.h).
  std::string top_sku;
};
OrderDimensions ReadOrderDimensions(std::string_view json);

// The brand of an object received through `connection` (DESIGN.md: a brand is a storefront of
// the tenant): the connection's brand label when it has one, else the connection id; "-" for an
// object that came through no connection (a run started by hand).
std::string ResolveBrand(std::string_view label, std::string_view connection);

// Dimension values are shown and used as keys: at most 80 bytes, control characters replaced.
std::string CleanDimension(std::string_view value);

}  // namespace govflow::intel
