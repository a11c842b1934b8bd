#include "intel/dimensions.h"

#include <boost/json.hpp>

namespace govflow::intel {
namespace json = boost::json;

namespace {

// Shopify sends money as decimal strings ("19.99"); a number is accepted too.
double Money(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_string()) {
    try {
      return std::stod(std::string(v->as_string()));
    } catch (...) {
      return 0;
    }
  }
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return 0;
}

double Quantity(const json::value* v) {
  if (v == nullptr) return 1;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return 1;
}

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->as_string());
}

}  // namespace

std::string CleanDimension(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 80)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  return out;
}

OrderDimensions ReadOrderDimensions(std::string_view text) {
  OrderDimensions d;
  d.channel = std::string(kNoDimension);
  d.sku_category = std::string(kNoDimension);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return d;
  const json::object& order = v.as_object();
  const json::value* lines = order.if_contains("line_items");
  if (lines == nullptr || !lines->is_array()) return d;
  d.is_order = true;
  const std::string source = StringMember(order, "source_name");
  d.channel = source.empty() ? std::string(kNoDimension) : CleanDimension(source);
  const json::object* best = nullptr;
  double best_value = -1;
  for (const json::value& line : lines->as_array()) {
    if (!line.is_object()) continue;
    const json::object& o = line.as_object();
    const double value = Money(o.if_contains("price")) * Quantity(o.if_contains("quantity"));
    if (value > best_value) {
      best_value = value;
      best = &o;
    }
  }
  std::string category;
  if (best != nullptr) {
    category = StringMember(*best, "product_type");
    d.top_sku = StringMember(*best, "sku");
  }
  d.sku_category = category.empty() ? std::string(kUncategorised) : CleanDimension(category);
  return d;
}

std::string ResolveBrand(std::string_view label, std::string_view connection) {
  if (!label.empty()) return CleanDimension(label);
  if (connection.empty()) return std::string(kNoDimension);
  return CleanDimension(connection);
}

}  // namespace govflow::intel
