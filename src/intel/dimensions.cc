#include "intel/dimensions.h"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <string>

namespace govflow::intel {
namespace json = boost::json;

namespace {

// Shopify sends money as decimal strings ("19.99"); a number is accepted too. Anything else
// (and a string std::stod rejects) is worth 0.
double MoneyFromString(const std::string& text) {
  try {
    return std::stod(text);
  } catch (...) {
    return 0;
  }
}

// The members of an order that ReadOrderDimensions reads, as a streaming handler of
// boost::json::basic_parser sees them: no DOM is built, and only the strings that matter are
// kept. The result must equal what a DOM parse (json::parse, default options) followed by
// object lookups gives, on every input:
//  - only the root object's own "source_name" / "line_items", and only the direct members
//    "price" / "quantity" / "product_type" / "sku" of the objects that are direct elements of
//    that "line_items" array, count; the same keys deeper down (tax_lines, properties, ...)
//    are ignored;
//  - of duplicate keys the last one wins (boost::json::object keeps the last), so a member is
//    reset whenever its key is seen again, whatever the new value's kind;
//  - a line's value is price x quantity computed when its object closes, with the DOM
//    version's conversions (Money: string via std::stod, numbers, else 0; Quantity: numbers,
//    else 1, absent 1).
// Nesting depth: the root object is level 1, the line_items array level 2, a line object
// level 3 (depth_ counts open containers).
class OrderHandler {
 public:
  // The same limits as boost::json's own DOM handler, so the same inputs are rejected.
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    if (depth_ == 0) {
      root_is_object_ = true;
    } else {
      BeginValue(Kind::kObject);
    }
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    --depth_;
    if (depth_ == 2 && in_line_) EndLine();
    return true;
  }
  bool on_array_begin(json::error_code&) {
    if (depth_ > 0) BeginValue(Kind::kArray);
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth_;
    if (depth_ == 1 && in_lines_) in_lines_ = false;
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (KeyMatters()) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (KeyMatters()) {
      key_.append(s.data(), s.size());
      if (depth_ == 1) {
        root_member_ = key_ == "source_name"  ? Member::kSourceName
                       : key_ == "line_items" ? Member::kLineItems
                                              : Member::kOther;
      } else {
        line_member_ = key_ == "price"          ? Member::kPrice
                       : key_ == "quantity"     ? Member::kQuantity
                       : key_ == "product_type" ? Member::kProductType
                       : key_ == "sku"          ? Member::kSku
                                                : Member::kOther;
      }
      key_.clear();
    }
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    AppendString(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    AppendString(s);
    if (std::string* target = StringTarget()) {
      if (target == &line_price_text_) line_price_ = Price::kString;
      if (target == &line_product_type_) line_has_product_type_ = true;
      if (target == &line_sku_) line_has_sku_ = true;
    } else {
      BeginValue(Kind::kOther);
    }
    string_open_ = false;
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(int64_t i, json::string_view, json::error_code&) {
    Number(static_cast<double>(i));
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, json::error_code&) {
    Number(static_cast<double>(u));
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    Number(d);
    return true;
  }
  bool on_bool(bool, json::error_code&) {
    BeginValue(Kind::kOther);
    return true;
  }
  bool on_null(json::error_code&) {
    BeginValue(Kind::kOther);
    return true;
  }
  // Comments are off in the default options: never called.
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  // The result, once the whole text parsed without error.
  OrderDimensions Result() const {
    OrderDimensions d;
    d.channel = std::string(kNoDimension);
    d.sku_category = std::string(kNoDimension);
    if (!root_is_object_ || !lines_are_array_) return d;
    d.is_order = true;
    d.channel = source_.empty() ? std::string(kNoDimension) : CleanDimension(source_);
    d.sku_category = best_product_type_.empty() ? std::string(kUncategorised)
                                                : CleanDimension(best_product_type_);
    d.top_sku = best_sku_;
    return d;
  }

 private:
  enum class Kind { kObject, kArray, kNumber, kOther };
  enum class Member { kOther, kSourceName, kLineItems, kPrice, kQuantity, kProductType, kSku };
  enum class Price { kAbsent, kString, kNumber, kOther };

  bool InRoot() const { return depth_ == 1 && root_is_object_; }
  bool InLine() const { return depth_ == 3 && in_line_; }
  bool KeyMatters() const { return InRoot() || InLine(); }

  // Where the characters of the string value being read go, if anywhere.
  std::string* StringTarget() {
    if (InRoot() && root_member_ == Member::kSourceName) return &source_;
    if (InLine()) {
      switch (line_member_) {
        case Member::kPrice:
          return &line_price_text_;
        case Member::kProductType:
          return &line_product_type_;
        case Member::kSku:
          return &line_sku_;
        default:
          return nullptr;
      }
    }
    return nullptr;
  }

  void AppendString(json::string_view s) {
    std::string* target = StringTarget();
    if (target == nullptr) return;
    if (!string_open_) {
      // A new value replaces an earlier one of the same key (the last duplicate wins).
      target->clear();
      string_open_ = true;
      if (target == &line_price_text_) line_price_ = Price::kOther;  // until complete
      if (target == &line_product_type_) line_has_product_type_ = false;
      if (target == &line_sku_) line_has_sku_ = false;
    }
    target->append(s.data(), s.size());
  }

  void Number(double value) {
    if (InLine() && line_member_ == Member::kPrice) {
      line_price_ = Price::kNumber;
      line_price_number_ = value;
    } else if (InLine() && line_member_ == Member::kQuantity) {
      line_quantity_is_number_ = true;
      line_quantity_present_ = true;
      line_quantity_ = value;
    } else {
      BeginValue(Kind::kNumber);
    }
  }

  // A value of kind `kind` starts at the current depth (a container's begin, or a scalar that
  // is not captured): records what it means for the member it is the value of.
  void BeginValue(Kind kind) {
    if (InRoot()) {
      if (root_member_ == Member::kSourceName) {
        source_.clear();  // a non-string source_name counts as none
      } else if (root_member_ == Member::kLineItems) {
        // The last line_items member is the one that counts: start over.
        lines_are_array_ = kind == Kind::kArray;
        in_lines_ = lines_are_array_;
        best_value_ = -1;
        best_product_type_.clear();
        best_sku_.clear();
      }
    } else if (depth_ == 2 && in_lines_) {
      if (kind == Kind::kObject) BeginLine();
    } else if (InLine()) {
      switch (line_member_) {
        case Member::kPrice:
          line_price_ = Price::kOther;
          break;
        case Member::kQuantity:
          line_quantity_present_ = true;
          line_quantity_is_number_ = false;
          break;
        case Member::kProductType:
          line_has_product_type_ = false;
          break;
        case Member::kSku:
          line_has_sku_ = false;
          break;
        default:
          break;
      }
    }
  }

  void BeginLine() {
    in_line_ = true;
    line_member_ = Member::kOther;
    line_price_ = Price::kAbsent;
    line_quantity_present_ = false;
    line_quantity_is_number_ = false;
    line_has_product_type_ = false;
    line_has_sku_ = false;
  }

  void EndLine() {
    in_line_ = false;
    double money = 0;
    if (line_price_ == Price::kString) money = MoneyFromString(line_price_text_);
    if (line_price_ == Price::kNumber) money = line_price_number_;
    double quantity = 1;
    if (line_quantity_present_) quantity = line_quantity_is_number_ ? line_quantity_ : 1;
    const double value = money * quantity;
    if (value > best_value_) {
      best_value_ = value;
      if (line_has_product_type_) {
        best_product_type_ = line_product_type_;
      } else {
        best_product_type_.clear();
      }
      if (line_has_sku_) {
        best_sku_ = line_sku_;
      } else {
        best_sku_.clear();
      }
    }
  }

  int depth_ = 0;
  bool root_is_object_ = false;
  bool string_open_ = false;
  std::string key_;  // the key being read, when it may matter
  Member root_member_ = Member::kOther;
  Member line_member_ = Member::kOther;

  std::string source_;
  bool lines_are_array_ = false;  // the last line_items member is an array
  bool in_lines_ = false;         // inside that array (its elements are at depth 2)
  bool in_line_ = false;          // inside one of its object elements (members at depth 3)

  // The line being read.
  Price line_price_ = Price::kAbsent;
  std::string line_price_text_;
  double line_price_number_ = 0;
  bool line_quantity_present_ = false;
  bool line_quantity_is_number_ = false;
  double line_quantity_ = 1;
  bool line_has_product_type_ = false;
  std::string line_product_type_;
  bool line_has_sku_ = false;
  std::string line_sku_;

  // The most valuable line so far (the first of equals).
  double best_value_ = -1;
  std::string best_product_type_;
  std::string best_sku_;
};

}  // namespace

std::string CleanDimension(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 80)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  return out;
}

OrderDimensions ReadOrderDimensions(std::string_view text) {
  // The default options, as json::parse uses them: strict JSON, depth 32, valid UTF-8.
  json::basic_parser<OrderHandler> parser(json::parse_options{});
  json::error_code ec;
  const std::size_t used = parser.write_some(/*more=*/false, text.data(), text.size(), ec);
  if (ec || used < text.size()) {
    OrderDimensions d;
    d.channel = std::string(kNoDimension);
    d.sku_category = std::string(kNoDimension);
    return d;
  }
  return parser.handler().Result();
}

std::string ResolveBrand(std::string_view label, std::string_view connection) {
  if (!label.empty()) return CleanDimension(label);
  if (connection.empty()) return std::string(kNoDimension);
  return CleanDimension(connection);
}

}  // namespace govflow::intel
