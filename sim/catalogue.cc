#include "sim/catalogue.h"

#include <cctype>
#include <cstdio>

#include "sim/rng.h"

namespace govflow::sim {
namespace {

struct Product {
  const char* sku_prefix;
  const char* title;
  const char* category;
  int64_t price_cents;
  int grams;
};
struct Variant {
  const char* code;
  const char* title;
};

constexpr Product kProducts[] = {
    {"BEANIE-MER", "Merino Beanie", "ACCESSORY", 2400, 90},
    {"TOTE-CNV", "Canvas Tote Bag", "BAGS", 3200, 350},
    {"TEE-ORG", "Organic Cotton Tee", "APPAREL", 2800, 180},
    {"HOOD-FLC", "Fleece Hoodie", "APPAREL", 6400, 620},
    {"SOCK-WL", "Wool Hiking Socks", "APPAREL", 1800, 110},
    {"MUG-CER", "Ceramic Mug", "KITCHEN", 1600, 400},
    {"BTL-STL", "Steel Water Bottle", "KITCHEN", 2900, 380},
    {"CAP-TRK", "Trucker Cap", "ACCESSORY", 2200, 120},
    {"SHRT-LIN", "Linen Shirt", "APPAREL", 5900, 260},
    {"JKT-RAIN", "Packable Rain Jacket", "OUTERWEAR", 11900, 420},
    {"PACK-DAY", "Everyday Backpack", "BAGS", 8900, 900},
    {"GLV-LTH", "Leather Gloves", "ACCESSORY", 4500, 150},
    {"SCRF-CSH", "Cashmere Scarf", "ACCESSORY", 9800, 200},
    {"CNDL-SOY", "Soy Candle", "HOME", 2600, 450},
    {"BLKT-THR", "Throw Blanket", "HOME", 7400, 1300},
};
constexpr Variant kVariants[] = {
    {"CHA", "Charcoal"}, {"NAV", "Navy"},  {"OLV", "Olive"}, {"SND", "Sand"},
    {"RST", "Rust"},     {"BLK", "Black"}, {"WHT", "White"}, {"SKY", "Sky"},
};

constexpr const char* kFirstNames[] = {
    "Bob",  "Alice", "Maria", "James", "Priya", "Chen", "Fatima", "Lukas", "Sofia", "Omar",
    "Emma", "Noah",  "Aiko",  "Mateo", "Grace", "Ivan", "Leila",  "Tom",   "Nina",  "Diego",
};
constexpr const char* kLastNames[] = {
    "Norman", "Smith",  "Garcia", "Okafor", "Patel",  "Wang",    "Haddad", "Becker",
    "Rossi",  "Khan",   "Brown",  "Kim",    "Tanaka", "Silva",   "Murphy", "Petrov",
    "Nasser", "Jensen", "Novak",  "Lopez",  "Dubois", "Andrade", "Meyer",  "Clarke",
};
struct Place {
  const char* city;
  const char* province;
  const char* province_code;
  const char* zip;
};
constexpr Place kPlaces[] = {
    {"Louisville", "Kentucky", "KY", "40202"}, {"Atlanta", "Georgia", "GA", "31772"},
    {"Portland", "Oregon", "OR", "97205"},     {"Austin", "Texas", "TX", "78701"},
    {"Denver", "Colorado", "CO", "80202"},     {"Boston", "Massachusetts", "MA", "02108"},
    {"Chicago", "Illinois", "IL", "60601"},    {"Seattle", "Washington", "WA", "98101"},
    {"Nashville", "Tennessee", "TN", "37201"}, {"Madison", "Wisconsin", "WI", "53703"},
    {"Phoenix", "Arizona", "AZ", "85004"},     {"Raleigh", "North Carolina", "NC", "27601"},
};
constexpr const char* kStreets[] = {"Chestnut Street", "Market Square", "Station Road",
                                    "Maple Avenue",    "Harbor Lane",   "Elm Drive",
                                    "Cedar Court",     "Main Street"};

constexpr size_t kCustomerCount = 400;
constexpr int64_t kFirstShopifyCustomerId = 7'210'000'000'000;
constexpr int64_t kFirstProductId = 8'120'000'000'000;
constexpr int64_t kFirstVariantId = 45'300'000'000'000;

std::string GuidFor(uint64_t kind, uint64_t index) {
  return FormatGuid(SimRng::Mix(kind * 1'000'003 + index), SimRng::Mix(~(kind + index * 7919)));
}

}  // namespace

std::string FormatGuid(uint64_t hi, uint64_t lo) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

const Catalogue& Catalogue::Default() {
  static const Catalogue* const kCatalogue = new Catalogue();
  return *kCatalogue;
}

Catalogue::Catalogue() {
  size_t product_index = 0;
  for (const Product& p : kProducts) {
    size_t variant_index = 0;
    for (const Variant& v : kVariants) {
      CatalogueItem item;
      item.number = std::string(p.sku_prefix) + "-" + v.code;
      item.product_title = p.title;
      item.variant_title = v.title;
      item.display_name = std::string(p.title) + " - " + v.title;
      item.item_category_code = p.category;
      item.price_cents = p.price_cents;
      item.grams = p.grams;
      item.shopify_product_id = kFirstProductId + static_cast<int64_t>(product_index) * 1000;
      item.shopify_variant_id =
          kFirstVariantId + static_cast<int64_t>(product_index * 100 + variant_index) * 17;
      item.id = GuidFor(1, items_.size());
      items_.push_back(std::move(item));
      ++variant_index;
    }
    ++product_index;
  }

  constexpr size_t kFirst = sizeof kFirstNames / sizeof kFirstNames[0];
  constexpr size_t kLast = sizeof kLastNames / sizeof kLastNames[0];
  constexpr size_t kPlaceCount = sizeof kPlaces / sizeof kPlaces[0];
  constexpr size_t kStreetCount = sizeof kStreets / sizeof kStreets[0];
  for (size_t i = 0; i < kCustomerCount; ++i) {
    CatalogueCustomer c;
    c.shopify_customer_id = kFirstShopifyCustomerId + static_cast<int64_t>(i) * 37;
    c.number = std::to_string(c.shopify_customer_id);
    c.id = GuidFor(2, i);
    c.first_name = kFirstNames[i % kFirst];
    c.last_name = kLastNames[(i / kFirst + i * 7) % kLast];
    std::string local = c.first_name + "." + c.last_name + std::to_string(i);
    for (char& ch : local) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c.email = local + "@mail.example.com";
    char phone[24];
    std::snprintf(phone, sizeof phone, "+1%03zu555%04zu", 200 + (i % 700), i % 10000);
    c.phone = phone;
    const Place& place = kPlaces[(i * 5) % kPlaceCount];
    c.address1 =
        std::string(kStreets[i % kStreetCount]) + " " + std::to_string(10 + (i * 13) % 190);
    c.city = place.city;
    c.province = place.province;
    c.province_code = place.province_code;
    c.zip = place.zip;
    c.country_code = "US";
    c.country = "United States";
    c.blocked = (i % 25) == 24;
    (c.blocked ? blocked_ : active_).push_back(i);
    customers_.push_back(std::move(c));
  }
}

}  // namespace govflow::sim
