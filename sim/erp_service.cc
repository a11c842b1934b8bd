#include "sim/erp_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <unordered_set>

#include "sim/catalogue.h"
#include "sim/json_writer.h"
#include "sim/shopify_order.h"

namespace govflow::sim {
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxPage = 20000;
constexpr size_t kMaxExternalDocumentNumber = 35;
constexpr double kTaxPercent = 6.0;
constexpr const char* kZeroGuid = "00000000-0000-0000-0000-000000000000";
constexpr const char* kUnitOfMeasureId = "5ca6738a-44e3-ea11-bb43-000d3a2feca1";
constexpr const char* kPaymentTermsId = "0e8b5305-593f-ee11-be74-6045bdc8c285";
constexpr const char* kShipmentMethodId = "774c550b-593f-ee11-be74-6045bdc8c285";
constexpr const char* kTaxAreaId = "90196a90-44e3-ea11-bb43-000d3a2feca1";
constexpr const char* kTaxGroupId = "9f196a90-44e3-ea11-bb43-000d3a2feca1";
constexpr const char* kPaymentMethodId = "3b196a90-44e3-ea11-bb43-000d3a2feca1";

// --- small text helpers -------------------------------------------------------------------------

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Query-string decoding as ASP.NET does it: %XX escapes, and '+' means a space.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParsePairs(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view item = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(PercentDecode(item), "");
    } else {
      out.emplace_back(PercentDecode(item.substr(0, eq)), PercentDecode(item.substr(eq + 1)));
    }
  }
  return out;
}

const std::string* FindPair(const std::vector<std::pair<std::string, std::string>>& pairs,
                            std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string NowIso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

double Round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

// A weak ETag shaped like BC's: W/"JzQ0O...Jyc=" (base64 of a quoted version string).
std::string MakeEtag(uint64_t version_hash) {
  std::string digits = std::to_string(version_hash);
  std::string inner = "'" + std::to_string(digits.size()) + ";" + digits + ";00;'";
  return "W/\"" + Base64(inner) + "\"";
}

// --- the company ---------------------------------------------------------------------------------

struct ErpItem {
  std::string id;
  std::string number;
  std::string display_name;
  std::string category;
  std::string type = "Inventory";
  std::string unit_of_measure = "PCS";
  double unit_price = 0;
  bool blocked = false;
};

struct ErpLine {
  std::string id;
  int sequence = 0;
  int32_t item = -1;        // index into items; -1 for a comment line
  std::string description;  // only kept for comment lines or when it differs from the item's
  double quantity = 0;
  double unit_price = 0;
  double discount_amount = 0;
  std::string shipment_date;
};

// The sales order's settable string properties, in response order.
enum OrderField : uint8_t {
  kCustomerName,
  kBillToName,
  kShipToName,
  kShipToContact,
  kSellToAddressLine1,
  kSellToAddressLine2,
  kSellToCity,
  kSellToCountry,
  kSellToState,
  kSellToPostCode,
  kBillToAddressLine1,
  kBillToAddressLine2,
  kBillToCity,
  kBillToCountry,
  kBillToState,
  kBillToPostCode,
  kShipToAddressLine1,
  kShipToAddressLine2,
  kShipToCity,
  kShipToCountry,
  kShipToState,
  kShipToPostCode,
  kShortcutDimension1Code,
  kShortcutDimension2Code,
  kSalesperson,
  kPhoneNumber,
  kEmail,
  kOrderFieldCount
};
constexpr const char* kOrderFieldNames[kOrderFieldCount] = {"customerName",
                                                            "billToName",
                                                            "shipToName",
                                                            "shipToContact",
                                                            "sellToAddressLine1",
                                                            "sellToAddressLine2",
                                                            "sellToCity",
                                                            "sellToCountry",
                                                            "sellToState",
                                                            "sellToPostCode",
                                                            "billToAddressLine1",
                                                            "billToAddressLine2",
                                                            "billToCity",
                                                            "billToCountry",
                                                            "billToState",
                                                            "billToPostCode",
                                                            "shipToAddressLine1",
                                                            "shipToAddressLine2",
                                                            "shipToCity",
                                                            "shipToCountry",
                                                            "shipToState",
                                                            "shipToPostCode",
                                                            "shortcutDimension1Code",
                                                            "shortcutDimension2Code",
                                                            "salesperson",
                                                            "phoneNumber",
                                                            "email"};

struct ErpOrder {
  std::string id;
  uint64_t number = 0;
  std::string external_document_number;
  uint32_t customer = 0;
  std::string order_date;
  std::string posting_date;
  std::string requested_delivery_date;
  std::string currency_code;
  std::string last_modified;
  double discount_amount = 0;
  bool partial_shipping = true;
  uint64_t version = 0;
  std::vector<std::pair<uint8_t, std::string>> fields;  // only those the caller set
  std::vector<ErpLine> lines;
};

struct ErrorReply {
  int status;
  std::string code;
  std::string message;
};

}  // namespace

struct ErpService::State {
  explicit State(uint64_t seed) : rng(seed) {}

  SimRng rng;
  int burst_remaining = 0;
  // A burst is a rate-limit window, as in Business Central: it ends after Retry-After even if
  // fewer than throttle_burst requests came (a lone client that honours Retry-After is served).
  Clock::time_point burst_until{};
  uint64_t correlation_counter = 0;
  std::vector<ErpItem> items;
  std::unordered_map<std::string, int32_t> item_by_number;
  std::unordered_map<std::string, int32_t> item_by_id;
  std::vector<std::string> customer_blocked;  // BC "blocked" per catalogue customer
  std::unordered_map<std::string, uint32_t> customer_by_number;
  std::unordered_map<std::string, uint32_t> customer_by_id;
  std::deque<ErpOrder> orders;
  std::unordered_map<std::string, uint32_t> order_by_id;
  std::unordered_map<std::string, std::vector<uint32_t>> orders_by_key;
  std::unordered_map<std::string, Clock::time_point> tokens;
  uint64_t next_order_number = 101001;
  ErpStats stats;
};

// --- construction ------------------------------------------------------------------------------

ErpService::ErpService(const ErpSimulatorOptions& options) : options_(options) {
  Reset();
}
ErpService::~ErpService() = default;

void ErpService::Reset() {
  auto tokens = state_ ? std::move(state_->tokens) : decltype(State::tokens){};
  state_ = std::make_unique<State>(options_.seed);
  state_->tokens = std::move(tokens);
  const Catalogue& catalogue = Catalogue::Default();
  for (const CatalogueItem& c : catalogue.items()) {
    ErpItem item;
    item.id = c.id;
    item.number = c.number;
    item.display_name = c.display_name;
    item.category = c.item_category_code;
    item.unit_price = static_cast<double>(c.price_cents) / 100.0;
    auto index = static_cast<int32_t>(state_->items.size());
    state_->item_by_number[item.number] = index;
    state_->item_by_id[item.id] = index;
    state_->items.push_back(std::move(item));
  }
  for (size_t i = 0; i < catalogue.customers().size(); ++i) {
    const CatalogueCustomer& c = catalogue.customers()[i];
    state_->customer_blocked.push_back(c.blocked ? "All" : " ");
    state_->customer_by_number[c.number] = static_cast<uint32_t>(i);
    state_->customer_by_id[c.id] = static_cast<uint32_t>(i);
  }
}

ErpStats ErpService::Stats() const {
  ErpStats s = state_->stats;
  for (const auto& [key, ids] : state_->orders_by_key) {
    if (ids.size() > 1) {
      s.duplicate_examples.push_back(key);
      if (s.duplicate_examples.size() >= 20) break;
    }
  }
  std::sort(s.duplicate_examples.begin(), s.duplicate_examples.end());
  return s;
}

int ErpService::CountSalesOrders(std::string_view key) const {
  auto it = state_->orders_by_key.find(std::string(key));
  return it == state_->orders_by_key.end() ? 0 : static_cast<int>(it->second.size());
}

std::vector<std::pair<std::string, int>> ErpService::SalesOrderCounts() const {
  std::vector<std::pair<std::string, int>> out;
  out.reserve(state_->orders_by_key.size());
  for (const auto& [key, ids] : state_->orders_by_key) {
    out.emplace_back(key, static_cast<int>(ids.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ErpStats::ToJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Member("salesOrders", sales_orders);
  w.Member("salesOrderLines", sales_order_lines);
  w.Member("distinctExternalDocumentNumbers", distinct_external_document_numbers);
  w.Member("duplicateExternalDocumentNumbers", duplicate_external_document_numbers);
  w.Member("requests", requests);
  w.Member("tokensIssued", tokens_issued);
  w.Member("unauthorized", unauthorized);
  w.Member("validationErrors", validation_errors);
  w.Member("unknownItem", unknown_item);
  w.Member("blockedCustomer", blocked_customer);
  w.Member("missingField", missing_field);
  w.Key("faults");
  w.BeginObject();
  w.Member("error500", error_500);
  w.Member("error503", error_503);
  w.Member("error504", error_504);
  w.Member("throttled", throttled);
  w.Member("throttleBursts", throttle_bursts);
  w.Member("timeouts", timeouts);
  w.Member("timeoutsAfterCreate", timeouts_after_create);
  w.Member("delayed", delayed);
  w.Member("unknownItem", injected_unknown_item);
  w.Member("blockedCustomer", injected_blocked_customer);
  w.EndObject();
  w.Key("duplicateExamples");
  w.BeginArray();
  for (const std::string& k : duplicate_examples) w.String(k);
  w.EndArray();
  w.EndObject();
  return out;
}

// --- request handling ---------------------------------------------------------------------------

namespace {

ErpReply JsonReply(int status, std::string body) {
  ErpReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("OData-Version", "4.0");
  return r;
}

// Entra ID (OAuth2) errors have their own flat shape.
ErpReply OAuthError(int status, std::string_view error, std::string_view description) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("error", error);
  w.Member("error_description", description);
  w.Member("error_codes", "");
  w.EndObject();
  ErpReply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = "application/json; charset=utf-8";
  return r;
}

}  // namespace

ErpReply ErpService::Handle(const ErpRequest& request) {
  State& st = *state_;
  ++st.stats.requests;
  std::string_view target = request.target;
  size_t qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  std::string_view query = qmark == std::string_view::npos ? "" : target.substr(qmark + 1);

  if (path.rfind("/_sim/", 0) == 0) return HandleSim(request, path);
  if (path == "/token" || (path.size() > 22 && path.ends_with("/oauth2/v2.0/token"))) {
    return HandleToken(request);
  }
  size_t api = path.find("/api/v2.0");
  if (api != std::string_view::npos) {
    std::string_view rest = path.substr(api + 9);
    if (rest.empty() || rest == "/") return HandleApi(request, "", query);
    if (rest.front() == '/') return HandleApi(request, rest.substr(1), query);
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Member("code", "BadRequest_ResourceNotFound");
  w.Member("message", "Resource not found for the segment '" + std::string(path) + "'.");
  w.EndObject();
  w.EndObject();
  return JsonReply(404, std::move(body));
}

ErpReply ErpService::HandleSim(const ErpRequest& request, std::string_view path) {
  if (path == "/_sim/stats" && request.method == "GET") {
    ErpReply r = JsonReply(200, Stats().ToJson());
    r.content_type = "application/json";
    return r;
  }
  if (path == "/_sim/reset" && request.method == "POST") {
    Reset();
    ErpReply r = JsonReply(200, "{\"reset\":true}");
    r.content_type = "application/json";
    return r;
  }
  if (path == "/_sim/orders" && request.method == "GET") {
    std::string body;
    JsonWriter w(&body);
    w.BeginObject();
    w.Key("externalDocumentNumbers");
    w.BeginObject();
    for (const auto& [key, count] : SalesOrderCounts()) w.Member(key, count);
    w.EndObject();
    w.EndObject();
    ErpReply r = JsonReply(200, std::move(body));
    r.content_type = "application/json";
    return r;
  }
  ErpReply r = JsonReply(404,
                         "{\"error\":{\"code\":\"NotFound\",\"message\":\"no such _sim "
                         "endpoint (GET /_sim/stats, GET /_sim/orders, POST /_sim/reset)\"}}");
  r.content_type = "application/json";
  return r;
}

ErpReply ErpService::HandleToken(const ErpRequest& request) {
  State& st = *state_;
  if (request.method != "POST") {
    return OAuthError(405, "invalid_request",
                      "AADSTS900561: The endpoint only accepts POST requests.");
  }
  auto form = ParsePairs(request.body);
  const std::string* grant = FindPair(form, "grant_type");
  const std::string* client_id = FindPair(form, "client_id");
  const std::string* client_secret = FindPair(form, "client_secret");
  if (grant == nullptr || grant->empty()) {
    return OAuthError(400, "invalid_request",
                      "AADSTS900144: The request body must contain the following parameter: "
                      "'grant_type'.");
  }
  if (*grant != "client_credentials") {
    return OAuthError(400, "unsupported_grant_type",
                      "AADSTS70003: The app requested an unsupported grant type '" + *grant + "'.");
  }
  if (client_id == nullptr || client_id->empty()) {
    return OAuthError(400, "invalid_request",
                      "AADSTS900144: The request body must contain the following parameter: "
                      "'client_id'.");
  }
  if (client_secret == nullptr || client_secret->empty()) {
    return OAuthError(401, "invalid_client",
                      "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is "
                      "required for the 'client_credentials' grant type.");
  }
  if ((!options_.client_id.empty() && *client_id != options_.client_id) ||
      (!options_.client_secret.empty() && *client_secret != options_.client_secret)) {
    return OAuthError(401, "invalid_client",
                      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                      "in the request is the client secret value, not the client secret ID.");
  }
  // Tokens come from their own generator so that issuing one does not shift the fault sequence.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.sim.";
  uint64_t bits = SimRng::Mix(options_.seed ^ 0x70c3e5ULL) ^ SimRng::Mix(++st.stats.tokens_issued);
  for (int i = 0; i < 48; ++i) {
    if (i % 16 == 0) bits = SimRng::Mix(bits + static_cast<uint64_t>(i));
    token.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
  auto now = Clock::now();
  if (st.tokens.size() > 10000) {
    std::erase_if(st.tokens, [now](const auto& kv) { return kv.second <= now; });
  }
  st.tokens[token] = now + options_.token_lifetime;
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("token_type", "Bearer");
  w.Member("expires_in", static_cast<int64_t>(options_.token_lifetime.count()));
  w.Member("ext_expires_in", static_cast<int64_t>(options_.token_lifetime.count()));
  w.Member("access_token", token);
  w.EndObject();
  ErpReply r;
  r.status = 200;
  r.body = std::move(body);
  r.content_type = "application/json; charset=utf-8";
  return r;
}

// --- the API ------------------------------------------------------------------------------------

namespace {

struct Segment {
  std::string_view name;
  std::string_view key;  // without parentheses; empty when absent
  bool has_key = false;
};

std::vector<Segment> SplitPath(std::string_view path) {
  std::vector<Segment> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty()) continue;
    Segment seg;
    size_t open = part.find('(');
    if (open != std::string_view::npos && part.back() == ')') {
      seg.name = part.substr(0, open);
      seg.key = part.substr(open + 1, part.size() - open - 2);
      seg.has_key = true;
    } else {
      seg.name = part;
    }
    out.push_back(seg);
  }
  return out;
}

// Keys may be written id, 'id' or id=... ; the simulator only needs the bare value.
std::string NormaliseKey(std::string_view key) {
  if (key.rfind("id=", 0) == 0) key.remove_prefix(3);
  if (key.size() >= 2 && key.front() == '\'' && key.back() == '\'') {
    key = key.substr(1, key.size() - 2);
  }
  std::string s = PercentDecode(key);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One `property eq literal` of a $filter.
struct FilterTerm {
  std::string property;
  std::string value;
};

// Parses "a eq 'x' and b eq 5". Returns false on anything else.
bool ParseFilter(std::string_view s, std::vector<FilterTerm>* out) {
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < s.size() && s[i] == ' ') ++i;
  };
  auto word = [&]() -> std::string_view {
    skip_spaces();
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\'') ++i;
    return s.substr(start, i - start);
  };
  while (true) {
    FilterTerm term;
    std::string_view prop = word();
    if (prop.empty()) return false;
    term.property = std::string(prop);
    if (word() != "eq") return false;
    skip_spaces();
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (true) {
        if (i >= s.size()) return false;
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            term.value.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        term.value.push_back(s[i++]);
      }
    } else {
      std::string_view literal = word();
      if (literal.empty()) return false;
      term.value = std::string(literal);
    }
    out->push_back(std::move(term));
    skip_spaces();
    if (i >= s.size()) return true;
    if (word() != "and") return false;
  }
}

class Api {
 public:
  Api(ErpService::State& st, const ErpSimulatorOptions& options, const ErpRequest& request,
      std::string_view query)
      : st_(st), options_(options), request_(request), params_(ParsePairs(query)) {}

  ErpReply Route(std::string_view api_path);
  bool created_sales_order() const { return created_sales_order_; }

 private:
  ErpReply Error(int status, std::string_view code, std::string message);
  ErpReply Error(const ErrorReply& e) { return Error(e.status, e.code, e.message); }
  std::string ContextUrl(std::string_view company, std::string_view suffix) const;

  ErpReply ListCompanies();
  ErpReply SalesOrders(std::string_view company, const Segment& seg,
                       const std::vector<Segment>& segs);
  ErpReply CreateSalesOrder(std::string_view company);
  ErpReply ListSalesOrders(std::string_view company);
  ErpReply SalesOrderLines(std::string_view company, const ErpOrder& order, const Segment* line);
  ErpReply Customers(std::string_view company, const Segment& seg);
  ErpReply Items(std::string_view company, const Segment& seg);
  ErpReply CreateItem(std::string_view company);

  void WriteOrder(JsonWriter& w, const ErpOrder& order, bool with_lines) const;
  void WriteLine(JsonWriter& w, const ErpOrder& order, const ErpLine& line) const;
  void WriteCustomer(JsonWriter& w, uint32_t index) const;
  void WriteItem(JsonWriter& w, const ErpItem& item) const;
  bool ExpandLines() const {
    const std::string* e = FindPair(params_, "$expand");
    return e != nullptr && e->find("salesOrderLines") != std::string::npos;
  }
  // $top/$skip window over `total` results; false (and *error) on bad values.
  bool Window(size_t total, size_t* begin, size_t* end, bool* more, ErpReply* error);
  std::string NextLink(std::string_view company, std::string_view set, size_t skip) const;
  // Reads a decimal: a JSON number, or a string when IEEE754Compatible=true was sent.
  bool ReadDecimal(const json::value& v, std::string_view name, double* out, ErrorReply* err) const;

  ErpService::State& st_;
  const ErpSimulatorOptions& options_;
  const ErpRequest& request_;
  std::vector<std::pair<std::string, std::string>> params_;
  bool created_sales_order_ = false;
};

ErpReply Api::Error(int status, std::string_view code, std::string message) {
  ++st_.correlation_counter;
  std::string correlation = FormatGuid(SimRng::Mix(options_.seed ^ st_.correlation_counter),
                                       SimRng::Mix(st_.correlation_counter));
  message += "  CorrelationId:  " + correlation + ".";
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Member("code", code);
  w.Member("message", message);
  w.EndObject();
  w.EndObject();
  ErpReply r = JsonReply(status, std::move(body));
  if (status == 400) ++st_.stats.validation_errors;
  return r;
}

std::string Api::ContextUrl(std::string_view company, std::string_view suffix) const {
  std::string url = "http://";
  url += request_.host.empty() ? std::string_view("127.0.0.1") : request_.host;
  url += "/api/v2.0/$metadata#companies(";
  url += company;
  url += ")/";
  url += suffix;
  return url;
}

ErpReply Api::Route(std::string_view api_path) {
  std::vector<Segment> segs = SplitPath(api_path);
  if (segs.empty() || (segs.size() == 1 && segs[0].name == "companies" && !segs[0].has_key)) {
    if (request_.method != "GET") {
      return Error(405, "BadRequest_MethodNotAllowed",
                   "'" + std::string(request_.method) +
                       "' requests for 'companies' of EdmType 'EntitySet' are not allowed within "
                       "Microsoft Dynamics 365 Business Central OData web services.");
    }
    return ListCompanies();
  }
  if (segs[0].name != "companies" || !segs[0].has_key || segs[0].key.empty()) {
    return Error(404, "BadRequest_ResourceNotFound",
                 "Resource not found for the segment '" + std::string(segs[0].name) + "'.");
  }
  std::string_view company = segs[0].key;
  if (segs.size() == 1) return ListCompanies();
  const Segment& set = segs[1];
  if (set.name == "salesOrders") return SalesOrders(company, set, segs);
  if (segs.size() == 2 && set.name == "customers") return Customers(company, set);
  if (segs.size() == 2 && set.name == "items") return Items(company, set);
  return Error(404, "BadRequest_ResourceNotFound",
               "Resource not found for the segment '" + std::string(set.name) + "'.");
}

ErpReply Api::ListCompanies() {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  std::string ctx = "http://";
  ctx += request_.host.empty() ? std::string_view("127.0.0.1") : request_.host;
  ctx += "/api/v2.0/$metadata#companies";
  w.Member("@odata.context", ctx);
  w.Key("value");
  w.BeginArray();
  w.BeginObject();
  w.Member("id", Catalogue::kCompanyId);
  w.Member("systemVersion", "25.0.23364.23940");
  w.Member("timestamp", int64_t{103488});
  w.Member("name", Catalogue::kCompanyName);
  w.Member("displayName", Catalogue::kCompanyName);
  w.Member("businessProfileId", "");
  w.Member("systemCreatedAt", "2024-10-01T08:00:00Z");
  w.Member("systemCreatedBy", kZeroGuid);
  w.Member("systemModifiedAt", "2024-10-01T08:00:00Z");
  w.Member("systemModifiedBy", kZeroGuid);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return JsonReply(200, std::move(body));
}

bool Api::Window(size_t total, size_t* begin, size_t* end, bool* more, ErpReply* error) {
  size_t top = kMaxPage, skip = 0;
  for (auto [name, out] : {std::pair<const char*, size_t*>{"$top", &top}, {"$skip", &skip}}) {
    const std::string* v = FindPair(params_, name);
    if (v == nullptr) continue;
    size_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size()) {
      *error = Error(400, "BadRequest",
                     "Invalid value '" + *v + "' for the query option '" + name + "'.");
      return false;
    }
    *out = n;
  }
  size_t page = std::min(top, kMaxPage);
  *begin = std::min(skip, total);
  *end = std::min(total, *begin + page);
  *more = top > kMaxPage && *end < total;
  return true;
}

std::string Api::NextLink(std::string_view company, std::string_view set, size_t skip) const {
  std::string url = "http://";
  url += request_.host;
  url += "/api/v2.0/companies(";
  url += company;
  url += ")/";
  url += set;
  url += "?$skip=" + std::to_string(skip);
  for (const auto& [k, v] : params_) {
    if (k == "$skip" || k == "$top") continue;
    url += "&" + k + "=";
    for (char c : v) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
        url.push_back(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        url += buf;
      }
    }
  }
  return url;
}

// --- salesOrders ---

ErpReply Api::SalesOrders(std::string_view company, const Segment& seg,
                          const std::vector<Segment>& segs) {
  if (!seg.has_key) {
    if (segs.size() != 2) {
      return Error(404, "BadRequest_ResourceNotFound",
                   "Resource not found for the segment '" + std::string(segs[2].name) + "'.");
    }
    if (request_.method == "POST") return CreateSalesOrder(company);
    if (request_.method == "GET") return ListSalesOrders(company);
    return Error(405, "BadRequest_MethodNotAllowed",
                 "'" + std::string(request_.method) +
                     "' requests for 'salesOrders' of EdmType 'EntitySet' are not allowed.");
  }
  auto it = st_.order_by_id.find(NormaliseKey(seg.key));
  if (it == st_.order_by_id.end()) {
    return Error(404, "Internal_RecordNotFound",
                 "The Sales Header does not exist. Identification fields and values: Id='" +
                     std::string(seg.key) + "'");
  }
  const ErpOrder& order = st_.orders[it->second];
  if (segs.size() >= 3) {
    if (segs[2].name != "salesOrderLines" || segs.size() > 3) {
      return Error(404, "BadRequest_ResourceNotFound",
                   "Resource not found for the segment '" + std::string(segs[2].name) + "'.");
    }
    return SalesOrderLines(company, order, segs[2].has_key ? &segs[2] : nullptr);
  }
  if (request_.method != "GET") {
    return Error(405, "BadRequest_MethodNotAllowed",
                 "'" + std::string(request_.method) +
                     "' requests for 'salesOrder' are not supported by the simulator.");
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("@odata.context", ContextUrl(company, "salesOrders/$entity"));
  WriteOrder(w, order, ExpandLines());
  w.EndObject();
  ErpReply r = JsonReply(200, std::move(body));
  r.headers.emplace_back("ETag", MakeEtag(order.version));
  return r;
}

ErpReply Api::ListSalesOrders(std::string_view company) {
  std::vector<uint32_t> matches;
  const std::vector<uint32_t>* selected = nullptr;
  bool all = true;
  if (const std::string* filter = FindPair(params_, "$filter")) {
    std::vector<FilterTerm> terms;
    if (!ParseFilter(*filter, &terms)) {
      return Error(400, "BadRequest_NotFound", "Bad Request - Error in query syntax.");
    }
    for (const FilterTerm& t : terms) {
      if (t.property != "externalDocumentNumber" && t.property != "number" && t.property != "id" &&
          t.property != "customerNumber" && t.property != "orderDate") {
        return Error(400, "BadRequest_NotFound",
                     "Could not find a property named '" + t.property +
                         "' on type 'Microsoft.NAV.salesOrder'.");
      }
    }
    all = false;
    // Use the business-key index when the filter names it; check every term on each candidate.
    std::vector<uint32_t> candidates;
    const FilterTerm* key_term = nullptr;
    for (const FilterTerm& t : terms) {
      if (t.property == "externalDocumentNumber") key_term = &t;
    }
    if (key_term != nullptr) {
      auto it = st_.orders_by_key.find(key_term->value);
      if (it != st_.orders_by_key.end()) candidates = it->second;
    } else {
      candidates.resize(st_.orders.size());
      for (uint32_t i = 0; i < candidates.size(); ++i) candidates[i] = i;
    }
    const auto& customers = Catalogue::Default().customers();
    for (uint32_t idx : candidates) {
      const ErpOrder& o = st_.orders[idx];
      bool ok = true;
      for (const FilterTerm& t : terms) {
        if (t.property == "externalDocumentNumber") {
          ok = o.external_document_number == t.value;
        } else if (t.property == "number") {
          ok = std::to_string(o.number) == t.value;
        } else if (t.property == "id") {
          ok = o.id == NormaliseKey(t.value);
        } else if (t.property == "customerNumber") {
          ok = customers[o.customer].number == t.value;
        } else if (t.property == "orderDate") {
          ok = o.order_date == t.value;
        }
        if (!ok) break;
      }
      if (ok) matches.push_back(idx);
    }
    selected = &matches;
  }
  size_t total = all ? st_.orders.size() : selected->size();
  size_t begin = 0, end = 0;
  bool more = false;
  ErpReply error;
  if (!Window(total, &begin, &end, &more, &error)) return error;
  const bool lines = ExpandLines();
  std::string body;
  body.reserve(256 + (end - begin) * 1500);
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("@odata.context", ContextUrl(company, "salesOrders"));
  w.Key("value");
  w.BeginArray();
  for (size_t i = begin; i < end; ++i) {
    const ErpOrder& o = st_.orders[all ? i : (*selected)[i]];
    w.BeginObject();
    WriteOrder(w, o, lines);
    w.EndObject();
  }
  w.EndArray();
  if (more) w.Member("@odata.nextLink", NextLink(company, "salesOrders", end));
  w.EndObject();
  return JsonReply(200, std::move(body));
}

ErpReply Api::SalesOrderLines(std::string_view company, const ErpOrder& order,
                              const Segment* line) {
  if (request_.method != "GET") {
    return Error(405, "BadRequest_MethodNotAllowed",
                 "'" + std::string(request_.method) +
                     "' requests for 'salesOrderLines' are not supported by the simulator; "
                     "send the lines inline when creating the salesOrder.");
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  if (line != nullptr) {
    std::string key = NormaliseKey(line->key);
    for (const ErpLine& l : order.lines) {
      if (l.id == key) {
        w.Member("@odata.context",
                 ContextUrl(company, "salesOrders(" + order.id + ")/salesOrderLines/$entity"));
        WriteLine(w, order, l);
        w.EndObject();
        return JsonReply(200, std::move(body));
      }
    }
    return Error(404, "Internal_RecordNotFound",
                 "The Sales Line does not exist. Identification fields and values: Id='" +
                     std::string(line->key) + "'");
  }
  w.Member("@odata.context", ContextUrl(company, "salesOrders(" + order.id + ")/salesOrderLines"));
  w.Key("value");
  w.BeginArray();
  for (const ErpLine& l : order.lines) {
    w.BeginObject();
    WriteLine(w, order, l);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonReply(200, std::move(body));
}

bool Api::ReadDecimal(const json::value& v, std::string_view name, double* out,
                      ErrorReply* err) const {
  if (v.is_double()) {
    *out = v.get_double();
    return true;
  }
  if (v.is_int64()) {
    *out = static_cast<double>(v.get_int64());
    return true;
  }
  if (v.is_uint64()) {
    *out = static_cast<double>(v.get_uint64());
    return true;
  }
  if (v.is_string() &&
      request_.content_type.find("IEEE754Compatible=true") != std::string_view::npos) {
    std::string_view s = v.get_string();
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size()) {
      *out = d;
      return true;
    }
  }
  std::string shown = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  *err = {400, "BadRequest",
          "Cannot convert the literal '" + shown +
              "' to the expected type 'Edm.Decimal' for "
              "property '" +
              std::string(name) + "'."};
  return false;
}

ErpReply Api::CreateSalesOrder(std::string_view company) {
  json::error_code ec;
  json::value parsed = json::parse(request_.body, ec);
  if (ec || !parsed.is_object()) {
    return Error(400, "BadRequest", "Invalid Request Body");
  }
  const json::object& obj = parsed.get_object();
  ErpOrder order;
  std::string customer_number, customer_id;
  const json::array* lines_in = nullptr;
  ErrorReply err{};
  auto string_value = [&](const json::value& v, std::string_view key, std::string* out) {
    if (v.is_null()) return true;
    if (!v.is_string()) {
      err = {400, "BadRequest",
             "Cannot convert a primitive value to the expected type 'Edm.String' for property '" +
                 std::string(key) + "'."};
      return false;
    }
    *out = std::string(v.get_string());
    return true;
  };
  for (const auto& kv : obj) {
    std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (key.rfind("@odata.", 0) == 0) continue;
    bool ok = true;
    if (key == "externalDocumentNumber") {
      ok = string_value(v, key, &order.external_document_number);
    } else if (key == "orderDate" || key == "postingDate" || key == "requestedDeliveryDate") {
      std::string date;
      ok = string_value(v, key, &date);
      if (ok && !date.empty() && !IsDate(date)) {
        err = {400, "BadRequest",
               "Cannot convert the literal '" + date + "' to the expected type 'Edm.Date'."};
        ok = false;
      }
      (key == "orderDate"     ? order.order_date
       : key == "postingDate" ? order.posting_date
                              : order.requested_delivery_date) = date;
    } else if (key == "customerNumber") {
      ok = string_value(v, key, &customer_number);
    } else if (key == "customerId") {
      ok = string_value(v, key, &customer_id);
    } else if (key == "currencyCode") {
      ok = string_value(v, key, &order.currency_code);
    } else if (key == "discountAmount") {
      ok = ReadDecimal(v, key, &order.discount_amount, &err);
    } else if (key == "partialShipping") {
      if (!v.is_bool()) {
        err = {400, "BadRequest",
               "Cannot convert a primitive value to the expected type 'Edm.Boolean'."};
        ok = false;
      } else {
        order.partial_shipping = v.get_bool();
      }
    } else if (key == "salesOrderLines") {
      if (!v.is_array()) {
        err = {400, "BadRequest",
               "A node of type 'StartObject' was read from the JSON reader when trying to read "
               "the start of an entity set; expected 'StartArray' for 'salesOrderLines'."};
        ok = false;
      } else {
        lines_in = &v.get_array();
      }
    } else if (key == "billToCustomerId" || key == "billToCustomerNumber" || key == "currencyId" ||
               key == "paymentTermsId" || key == "shipmentMethodId") {
      std::string ignored;
      ok = string_value(v, key, &ignored);
    } else if (key == "id" || key == "number" || key == "status" ||
               key == "totalAmountExcludingTax" || key == "totalTaxAmount" ||
               key == "totalAmountIncludingTax" || key == "lastModifiedDateTime" ||
               key == "fullyShipped" || key == "pricesIncludeTax" ||
               key == "discountAppliedBeforeTax") {
      // Read-only properties: BC ignores them on insert.
    } else {
      size_t f = 0;
      while (f < kOrderFieldCount && key != kOrderFieldNames[f]) ++f;
      if (f == kOrderFieldCount) {
        err = {400, "BadRequest",
               "The property '" + std::string(key) +
                   "' does not exist on type 'Microsoft.NAV.salesOrder'. Make sure to only use "
                   "property names that are defined by the type."};
        ok = false;
      } else {
        std::string s;
        ok = string_value(v, key, &s);
        if (ok) order.fields.emplace_back(static_cast<uint8_t>(f), std::move(s));
      }
    }
    if (!ok) return Error(err);
  }

  if (order.external_document_number.size() > kMaxExternalDocumentNumber) {
    return Error(400, "Application_StringExceededLength",
                 "The length of the string is " +
                     std::to_string(order.external_document_number.size()) +
                     ", but it must be less than or equal to 35 characters. Value: " +
                     order.external_document_number);
  }
  // Data faults are keyed by the business key, so every retry of an order meets the same fault.
  const std::string& fault_key = order.external_document_number.empty()
                                     ? std::string(request_.body)
                                     : order.external_document_number;
  const bool inject_unknown_item =
      options_.faults.unknown_item > 0 &&
      SimRng::ToUnit(SimRng::HashString(fault_key, options_.seed ^ 0x17e3ULL)) <
          options_.faults.unknown_item;
  const bool inject_blocked =
      options_.faults.blocked_customer > 0 &&
      SimRng::ToUnit(SimRng::HashString(fault_key, options_.seed ^ 0xb10cULL)) <
          options_.faults.blocked_customer;

  // Customer.
  if (customer_number.empty() && customer_id.empty()) {
    ++st_.stats.missing_field;
    return Error(400, "Application_DialogException",
                 "A customerNumber or a customerID must be provided.");
  }
  uint32_t customer = 0;
  if (!customer_id.empty()) {
    auto it = st_.customer_by_id.find(NormaliseKey(customer_id));
    if (it == st_.customer_by_id.end()) {
      return Error(400, "Internal_RecordNotFound",
                   "The Customer does not exist. Identification fields and values: Id='" +
                       customer_id + "'");
    }
    customer = it->second;
  } else {
    auto it = st_.customer_by_number.find(customer_number);
    if (it == st_.customer_by_number.end()) {
      return Error(400, "Internal_InvalidTableRelation",
                   "The field Sell-to Customer No. of table Sales Header contains a value (" +
                       customer_number + ") that cannot be found in the related table (Customer).");
    }
    customer = it->second;
  }
  const CatalogueCustomer& cust = Catalogue::Default().customers()[customer];
  if (st_.customer_blocked[customer] != " " || inject_blocked) {
    ++st_.stats.blocked_customer;
    if (st_.customer_blocked[customer] == " ") ++st_.stats.injected_blocked_customer;
    return Error(400, "Application_FieldValidationException",
                 "Blocked must be equal to ' '  in Customer: No.=" + cust.number +
                     ". Current value is 'All'.");
  }
  order.customer = customer;

  // Lines.
  if (lines_in != nullptr) {
    int sequence = 10000;
    bool injected_unknown_done = false;
    for (const json::value& lv : *lines_in) {
      if (!lv.is_object()) return Error(400, "BadRequest", "Invalid Request Body");
      ErpLine line;
      line.sequence = sequence;
      sequence += 10000;
      std::string line_type, item_number, item_id, description;
      bool has_quantity = false, has_price = false;
      double discount_percent = 0;
      for (const auto& kv : lv.get_object()) {
        std::string_view key = kv.key();
        const json::value& v = kv.value();
        bool ok = true;
        if (key.rfind("@odata.", 0) == 0) continue;
        if (key == "lineType") {
          ok = string_value(v, key, &line_type);
        } else if (key == "lineObjectNumber") {
          ok = string_value(v, key, &item_number);
        } else if (key == "itemId") {
          ok = string_value(v, key, &item_id);
        } else if (key == "description") {
          ok = string_value(v, key, &description);
        } else if (key == "quantity") {
          ok = ReadDecimal(v, key, &line.quantity, &err);
          has_quantity = ok;
        } else if (key == "unitPrice") {
          ok = ReadDecimal(v, key, &line.unit_price, &err);
          has_price = ok;
        } else if (key == "discountAmount") {
          ok = ReadDecimal(v, key, &line.discount_amount, &err);
        } else if (key == "discountPercent") {
          ok = ReadDecimal(v, key, &discount_percent, &err);
        } else if (key == "shipmentDate") {
          ok = string_value(v, key, &line.shipment_date);
        } else if (key == "sequence") {
          if (v.is_int64()) line.sequence = static_cast<int>(v.get_int64());
        } else if (key == "description2" || key == "unitOfMeasureId" ||
                   key == "unitOfMeasureCode" || key == "taxCode" || key == "itemVariantId" ||
                   key == "locationId" || key == "accountId") {
          std::string ignored;
          ok = string_value(v, key, &ignored);
        } else if (key == "invoiceQuantity" || key == "shipQuantity") {
          double ignored = 0;
          ok = ReadDecimal(v, key, &ignored, &err);
        } else {
          err = {400, "BadRequest",
                 "The property '" + std::string(key) +
                     "' does not exist on type 'Microsoft.NAV.salesOrderLine'. Make sure to only "
                     "use property names that are defined by the type."};
          ok = false;
        }
        if (!ok) return Error(err);
      }
      if (line_type.empty()) {
        line_type = (item_number.empty() && item_id.empty()) ? "Comment" : "Item";
      }
      if (line_type == "Comment") {
        line.description = description;
        line.quantity = 0;
        line.unit_price = 0;
        order.lines.push_back(std::move(line));
        continue;
      }
      if (line_type != "Item") {
        return Error(400, "Application_EvaluateException",
                     "The value \"" + line_type +
                         "\" cannot be evaluated into type Option (the simulator supports the "
                         "line types Item and Comment).");
      }
      if (item_number.empty() && item_id.empty()) {
        ++st_.stats.missing_field;
        return Error(400, "BadRequest_RequiredParamNotProvided",
                     "Field 'lineObjectNumber' must not be blank or empty.");
      }
      int32_t item = -1;
      if (!item_id.empty()) {
        auto it = st_.item_by_id.find(NormaliseKey(item_id));
        if (it != st_.item_by_id.end()) item = it->second;
      } else {
        auto it = st_.item_by_number.find(item_number);
        if (it != st_.item_by_number.end()) item = it->second;
      }
      if (item >= 0 && inject_unknown_item && !injected_unknown_done) {
        injected_unknown_done = true;
        ++st_.stats.injected_unknown_item;
        item = -1;
      }
      if (item < 0) {
        ++st_.stats.unknown_item;
        return Error(400, "Internal_InvalidTableRelation",
                     "The field No. of table Sales Line contains a value (" +
                         (item_number.empty() ? item_id : item_number) +
                         ") that cannot be found in the related table (Item).");
      }
      const ErpItem& it = st_.items[static_cast<size_t>(item)];
      if (it.blocked) {
        return Error(400, "Application_FieldValidationException",
                     "Blocked must be equal to 'No'  in Item: No.=" + it.number +
                         ". Current value is 'Yes'.");
      }
      if (!has_quantity) {
        ++st_.stats.missing_field;
        return Error(400, "BadRequest_RequiredParamNotProvided",
                     "Field 'quantity' must not be blank or empty.");
      }
      if (line.quantity < 0) {
        return Error(400, "Application_FieldValidationException",
                     "Quantity must be positive in Sales Line: Document Type=Order.");
      }
      line.item = item;
      if (!has_price) line.unit_price = it.unit_price;
      if (discount_percent > 0 && line.discount_amount == 0) {
        line.discount_amount = Round2(line.quantity * line.unit_price * discount_percent / 100.0);
      }
      if (!description.empty() && description != it.display_name) line.description = description;
      order.lines.push_back(std::move(line));
    }
  }

  // Commit.
  uint32_t index = static_cast<uint32_t>(st_.orders.size());
  uint64_t h = SimRng::Mix(options_.seed * 31 + index);
  order.id = FormatGuid(h, SimRng::Mix(h ^ 0x0de7ULL));
  order.number = st_.next_order_number++;
  order.version = SimRng::Mix(h + 1) % 100000000000000000ULL;
  order.last_modified = NowIso();
  if (order.order_date.empty()) order.order_date = order.last_modified.substr(0, 10);
  if (order.posting_date.empty()) order.posting_date = order.order_date;
  if (order.requested_delivery_date.empty()) order.requested_delivery_date = "0001-01-01";
  if (order.currency_code.empty()) order.currency_code = "USD";
  for (size_t i = 0; i < order.lines.size(); ++i) {
    order.lines[i].id = FormatGuid(SimRng::Mix(h + 7 + i), SimRng::Mix(h ^ (0x11 + i)));
  }
  st_.order_by_id[order.id] = index;
  if (!order.external_document_number.empty()) {
    auto& ids = st_.orders_by_key[order.external_document_number];
    ids.push_back(index);
    if (ids.size() == 1) ++st_.stats.distinct_external_document_numbers;
    if (ids.size() == 2) ++st_.stats.duplicate_external_document_numbers;
  }
  ++st_.stats.sales_orders;
  st_.stats.sales_order_lines += order.lines.size();
  st_.orders.push_back(std::move(order));
  created_sales_order_ = true;
  const ErpOrder& stored = st_.orders.back();

  std::string body;
  body.reserve(2048);
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("@odata.context", ContextUrl(company, "salesOrders/$entity"));
  WriteOrder(w, stored, lines_in != nullptr);
  w.EndObject();
  ErpReply r = JsonReply(201, std::move(body));
  r.headers.emplace_back("ETag", MakeEtag(stored.version));
  std::string location = "http://";
  location += request_.host;
  location += "/api/v2.0/companies(";
  location += company;
  location += ")/salesOrders(" + stored.id + ")";
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

void Api::WriteOrder(JsonWriter& w, const ErpOrder& o, bool with_lines) const {
  const CatalogueCustomer& c = Catalogue::Default().customers()[o.customer];
  const std::string* fields[kOrderFieldCount] = {};
  for (const auto& [f, value] : o.fields) fields[f] = &value;
  const std::string display_name = c.first_name + " " + c.last_name;
  auto field = [&](OrderField f, std::string_view fallback) {
    w.Member(kOrderFieldNames[f], fields[f] != nullptr ? std::string_view(*fields[f]) : fallback);
  };
  double excl = 0, tax = 0;
  for (const ErpLine& l : o.lines) {
    double amount = Round2(l.quantity * l.unit_price - l.discount_amount);
    excl += amount;
    tax += Round2(amount * kTaxPercent / 100.0);
  }
  excl = Round2(excl - o.discount_amount);
  tax = Round2(tax);

  w.Member("@odata.etag", MakeEtag(o.version));
  w.Member("id", o.id);
  w.Member("number", std::to_string(o.number));
  w.Member("externalDocumentNumber", o.external_document_number);
  w.Member("orderDate", o.order_date);
  w.Member("postingDate", o.posting_date);
  w.Member("customerId", c.id);
  w.Member("customerNumber", c.number);
  field(kCustomerName, display_name);
  field(kBillToName, display_name);
  w.Member("billToCustomerId", c.id);
  w.Member("billToCustomerNumber", c.number);
  field(kShipToName, display_name);
  field(kShipToContact, display_name);
  field(kSellToAddressLine1, c.address1);
  field(kSellToAddressLine2, "");
  field(kSellToCity, c.city);
  field(kSellToCountry, c.country_code);
  field(kSellToState, c.province_code);
  field(kSellToPostCode, c.zip);
  field(kBillToAddressLine1, c.address1);
  field(kBillToAddressLine2, "");
  field(kBillToCity, c.city);
  field(kBillToCountry, c.country_code);
  field(kBillToState, c.province_code);
  field(kBillToPostCode, c.zip);
  field(kShipToAddressLine1, c.address1);
  field(kShipToAddressLine2, "");
  field(kShipToCity, c.city);
  field(kShipToCountry, c.country_code);
  field(kShipToState, c.province_code);
  field(kShipToPostCode, c.zip);
  field(kShortcutDimension1Code, "");
  field(kShortcutDimension2Code, "");
  w.Member("currencyId", kZeroGuid);
  w.Member("currencyCode", o.currency_code);
  w.Member("pricesIncludeTax", false);
  w.Member("paymentTermsId", kPaymentTermsId);
  w.Member("shipmentMethodId", kShipmentMethodId);
  field(kSalesperson, "");
  w.Member("partialShipping", o.partial_shipping);
  w.Member("requestedDeliveryDate", o.requested_delivery_date);
  w.Member("discountAmount", o.discount_amount);
  w.Member("discountAppliedBeforeTax", false);
  w.Member("totalAmountExcludingTax", excl);
  w.Member("totalTaxAmount", tax);
  w.Member("totalAmountIncludingTax", Round2(excl + tax));
  w.Member("fullyShipped", false);
  w.Member("status", "Draft");
  w.Member("lastModifiedDateTime", o.last_modified);
  field(kPhoneNumber, c.phone);
  field(kEmail, c.email);
  if (with_lines) {
    w.Key("salesOrderLines");
    w.BeginArray();
    for (const ErpLine& l : o.lines) {
      w.BeginObject();
      WriteLine(w, o, l);
      w.EndObject();
    }
    w.EndArray();
  }
}

void Api::WriteLine(JsonWriter& w, const ErpOrder& o, const ErpLine& l) const {
  const ErpItem* item = l.item >= 0 ? &st_.items[static_cast<size_t>(l.item)] : nullptr;
  double amount = Round2(l.quantity * l.unit_price - l.discount_amount);
  double tax = item != nullptr ? Round2(amount * kTaxPercent / 100.0) : 0;
  w.Member("@odata.etag", MakeEtag(o.version + static_cast<uint64_t>(l.sequence)));
  w.Member("id", l.id);
  w.Member("documentId", o.id);
  w.Member("sequence", l.sequence);
  w.Member("itemId", item != nullptr ? std::string_view(item->id) : kZeroGuid);
  w.Member("accountId", kZeroGuid);
  w.Member("lineType", item != nullptr ? "Item" : "Comment");
  w.Member("lineObjectNumber", item != nullptr ? std::string_view(item->number) : "");
  w.Member("description", !l.description.empty() || item == nullptr
                              ? std::string_view(l.description)
                              : std::string_view(item->display_name));
  w.Member("description2", "");
  w.Member("unitOfMeasureId", item != nullptr ? kUnitOfMeasureId : kZeroGuid);
  w.Member("unitOfMeasureCode", item != nullptr ? std::string_view(item->unit_of_measure) : "");
  w.Member("quantity", l.quantity);
  w.Member("unitPrice", l.unit_price);
  w.Member("discountAmount", l.discount_amount);
  w.Member("discountPercent", amount + l.discount_amount > 0
                                  ? Round2(l.discount_amount * 100.0 / (amount + l.discount_amount))
                                  : 0.0);
  w.Member("discountAppliedBeforeTax", false);
  w.Member("amountExcludingTax", amount);
  w.Member("taxCode", item != nullptr ? "TAXABLE" : "");
  w.Member("taxPercent", item != nullptr ? kTaxPercent : 0.0);
  w.Member("totalTaxAmount", tax);
  w.Member("amountIncludingTax", Round2(amount + tax));
  w.Member("invoiceDiscountAllocation", 0);
  w.Member("netAmount", amount);
  w.Member("netTaxAmount", tax);
  w.Member("netAmountIncludingTax", Round2(amount + tax));
  w.Member("shipmentDate", l.shipment_date.empty() ? std::string_view(o.order_date)
                                                   : std::string_view(l.shipment_date));
  w.Member("shippedQuantity", 0);
  w.Member("invoicedQuantity", 0);
  w.Member("invoiceQuantity", l.quantity);
  w.Member("shipQuantity", l.quantity);
  w.Member("itemVariantId", kZeroGuid);
  w.Member("locationId", kZeroGuid);
}

// --- customers and items ---

void Api::WriteCustomer(JsonWriter& w, uint32_t index) const {
  const CatalogueCustomer& c = Catalogue::Default().customers()[index];
  w.Member("@odata.etag", MakeEtag(SimRng::Mix(index + 17) % 100000000000ULL));
  w.Member("id", c.id);
  w.Member("number", c.number);
  w.Member("displayName", c.first_name + " " + c.last_name);
  w.Member("type", "Person");
  w.Member("addressLine1", c.address1);
  w.Member("addressLine2", "");
  w.Member("city", c.city);
  w.Member("state", c.province_code);
  w.Member("country", c.country_code);
  w.Member("postalCode", c.zip);
  w.Member("phoneNumber", c.phone);
  w.Member("email", c.email);
  w.Member("website", "");
  w.Member("salespersonCode", "");
  w.Member("balanceDue", 0);
  w.Member("creditLimit", 0);
  w.Member("taxLiable", true);
  w.Member("taxAreaId", kTaxAreaId);
  w.Member("taxAreaDisplayName", c.city + ", " + c.province_code);
  w.Member("taxRegistrationNumber", "");
  w.Member("currencyId", kZeroGuid);
  w.Member("currencyCode", "USD");
  w.Member("paymentTermsId", kPaymentTermsId);
  w.Member("shipmentMethodId", kShipmentMethodId);
  w.Member("paymentMethodId", kPaymentMethodId);
  w.Member("blocked", st_.customer_blocked[index]);
  w.Member("lastModifiedDateTime", "2026-06-30T08:00:00Z");
}

void Api::WriteItem(JsonWriter& w, const ErpItem& item) const {
  w.Member("@odata.etag", MakeEtag(SimRng::HashString(item.number, 5) % 100000000000ULL));
  w.Member("id", item.id);
  w.Member("number", item.number);
  w.Member("displayName", item.display_name);
  w.Member("displayName2", "");
  w.Member("type", item.type);
  w.Member("itemCategoryId", kZeroGuid);
  w.Member("itemCategoryCode", item.category);
  w.Member("blocked", item.blocked);
  w.Member("gtin", "");
  w.Member("inventory", 100);
  w.Member("unitPrice", item.unit_price);
  w.Member("priceIncludesTax", false);
  w.Member("unitCost", Round2(item.unit_price * 0.55));
  w.Member("taxGroupId", kTaxGroupId);
  w.Member("taxGroupCode", "TAXABLE");
  w.Member("baseUnitOfMeasureId", kUnitOfMeasureId);
  w.Member("baseUnitOfMeasureCode", item.unit_of_measure);
  w.Member("generalProductPostingGroupCode", "RETAIL");
  w.Member("inventoryPostingGroupCode", "RESALE");
  w.Member("lastModifiedDateTime", "2026-06-30T08:00:00Z");
}

ErpReply Api::Customers(std::string_view company, const Segment& seg) {
  const auto& customers = Catalogue::Default().customers();
  if (seg.has_key) {
    auto it = st_.customer_by_id.find(NormaliseKey(seg.key));
    if (it == st_.customer_by_id.end()) {
      return Error(404, "Internal_RecordNotFound",
                   "The Customer does not exist. Identification fields and values: Id='" +
                       std::string(seg.key) + "'");
    }
    if (request_.method == "PATCH") {
      json::error_code ec;
      json::value v = json::parse(request_.body, ec);
      if (ec || !v.is_object()) return Error(400, "BadRequest", "Invalid Request Body");
      for (const auto& kv : v.get_object()) {
        if (kv.key() != "blocked" || !kv.value().is_string()) {
          return Error(400, "BadRequest",
                       "The simulator only lets PATCH change a customer's 'blocked' (a string).");
        }
        std::string b(kv.value().get_string());
        if (b != " " && b != "Ship" && b != "Invoice" && b != "All") {
          return Error(400, "Application_EvaluateException",
                       "The value \"" + b + "\" cannot be evaluated into type Option.");
        }
        st_.customer_blocked[it->second] = b;
      }
    } else if (request_.method != "GET") {
      return Error(405, "BadRequest_MethodNotAllowed",
                   "'" + std::string(request_.method) +
                       "' requests for 'customer' are not supported by the simulator.");
    }
    std::string body;
    JsonWriter w(&body);
    w.BeginObject();
    w.Member("@odata.context", ContextUrl(company, "customers/$entity"));
    WriteCustomer(w, it->second);
    w.EndObject();
    return JsonReply(200, std::move(body));
  }
  if (request_.method != "GET") {
    return Error(405, "BadRequest_MethodNotAllowed",
                 "'" + std::string(request_.method) +
                     "' requests for 'customers' are not supported by the simulator.");
  }
  std::vector<FilterTerm> terms;
  if (const std::string* filter = FindPair(params_, "$filter")) {
    if (!ParseFilter(*filter, &terms)) {
      return Error(400, "BadRequest_NotFound", "Bad Request - Error in query syntax.");
    }
  }
  std::vector<uint32_t> matches;
  for (uint32_t i = 0; i < customers.size(); ++i) {
    const CatalogueCustomer& c = customers[i];
    bool ok = true;
    for (const FilterTerm& t : terms) {
      if (t.property == "number") {
        ok = c.number == t.value;
      } else if (t.property == "email") {
        ok = IEquals(c.email, t.value);
      } else if (t.property == "id") {
        ok = c.id == NormaliseKey(t.value);
      } else if (t.property == "displayName") {
        ok = c.first_name + " " + c.last_name == t.value;
      } else if (t.property == "blocked") {
        ok = st_.customer_blocked[i] == t.value;
      } else {
        return Error(400, "BadRequest_NotFound",
                     "Could not find a property named '" + t.property +
                         "' on type 'Microsoft.NAV.customer'.");
      }
      if (!ok) break;
    }
    if (ok) matches.push_back(i);
  }
  size_t begin = 0, end = 0;
  bool more = false;
  ErpReply error;
  if (!Window(matches.size(), &begin, &end, &more, &error)) return error;
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("@odata.context", ContextUrl(company, "customers"));
  w.Key("value");
  w.BeginArray();
  for (size_t i = begin; i < end; ++i) {
    w.BeginObject();
    WriteCustomer(w, matches[i]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonReply(200, std::move(body));
}

ErpReply Api::CreateItem(std::string_view company) {
  json::error_code ec;
  json::value v = json::parse(request_.body, ec);
  if (ec || !v.is_object()) return Error(400, "BadRequest", "Invalid Request Body");
  ErpItem item;
  ErrorReply err{};
  for (const auto& kv : v.get_object()) {
    std::string_view key = kv.key();
    const json::value& value = kv.value();
    if (key == "number" || key == "displayName" || key == "type" || key == "itemCategoryCode" ||
        key == "baseUnitOfMeasureCode") {
      if (!value.is_string()) {
        return Error(400, "BadRequest",
                     "Cannot convert a primitive value to the expected type 'Edm.String' for "
                     "property '" +
                         std::string(key) + "'.");
      }
      std::string s(value.get_string());
      if (key == "number") item.number = s;
      if (key == "displayName") item.display_name = s;
      if (key == "type") item.type = s;
      if (key == "itemCategoryCode") item.category = s;
      if (key == "baseUnitOfMeasureCode") item.unit_of_measure = s;
    } else if (key == "unitPrice") {
      if (!ReadDecimal(value, key, &item.unit_price, &err)) return Error(err);
    } else if (key == "blocked") {
      if (!value.is_bool()) {
        return Error(400, "BadRequest",
                     "Cannot convert a primitive value to the expected type 'Edm.Boolean'.");
      }
      item.blocked = value.get_bool();
    } else if (key.rfind("@odata.", 0) != 0) {
      return Error(400, "BadRequest",
                   "The property '" + std::string(key) +
                       "' does not exist on type 'Microsoft.NAV.item' (or is not settable in the "
                       "simulator).");
    }
  }
  if (item.number.empty()) {
    ++st_.stats.missing_field;
    return Error(400, "BadRequest_RequiredParamNotProvided",
                 "Field 'number' must not be blank or empty.");
  }
  if (item.number.size() > 20) {
    return Error(400, "Application_StringExceededLength",
                 "The length of the string is " + std::to_string(item.number.size()) +
                     ", but it must be less than or equal to 20 characters. Value: " + item.number);
  }
  if (st_.item_by_number.count(item.number) != 0) {
    return Error(
        400, "Internal_EntityWithSameKeyExists",
        "The Item already exists. Identification fields and values: No.='" + item.number + "'");
  }
  auto index = static_cast<int32_t>(st_.items.size());
  item.id = FormatGuid(SimRng::HashString(item.number, options_.seed),
                       SimRng::Mix(static_cast<uint64_t>(index)));
  st_.item_by_number[item.number] = index;
  st_.item_by_id[item.id] = index;
  st_.items.push_back(std::move(item));
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("@odata.context", ContextUrl(company, "items/$entity"));
  WriteItem(w, st_.items.back());
  w.EndObject();
  return JsonReply(201, std::move(body));
}

ErpReply Api::Items(std::string_view company, const Segment& seg) {
  if (seg.has_key) {
    if (request_.method != "GET") {
      return Error(405, "BadRequest_MethodNotAllowed",
                   "'" + std::string(request_.method) +
                       "' requests for 'item' are not supported by the simulator.");
    }
    auto it = st_.item_by_id.find(NormaliseKey(seg.key));
    if (it == st_.item_by_id.end()) {
      return Error(404, "Internal_RecordNotFound",
                   "The Item does not exist. Identification fields and values: Id='" +
                       std::string(seg.key) + "'");
    }
    std::string body;
    JsonWriter w(&body);
    w.BeginObject();
    w.Member("@odata.context", ContextUrl(company, "items/$entity"));
    WriteItem(w, st_.items[static_cast<size_t>(it->second)]);
    w.EndObject();
    return JsonReply(200, std::move(body));
  }
  if (request_.method == "POST") return CreateItem(company);
  if (request_.method != "GET") {
    return Error(405, "BadRequest_MethodNotAllowed",
                 "'" + std::string(request_.method) +
                     "' requests for 'items' are not supported by the simulator.");
  }
  std::vector<FilterTerm> terms;
  if (const std::string* filter = FindPair(params_, "$filter")) {
    if (!ParseFilter(*filter, &terms)) {
      return Error(400, "BadRequest_NotFound", "Bad Request - Error in query syntax.");
    }
  }
  std::vector<size_t> matches;
  for (size_t i = 0; i < st_.items.size(); ++i) {
    const ErpItem& item = st_.items[i];
    bool ok = true;
    for (const FilterTerm& t : terms) {
      if (t.property == "number") {
        ok = item.number == t.value;
      } else if (t.property == "id") {
        ok = item.id == NormaliseKey(t.value);
      } else if (t.property == "displayName") {
        ok = item.display_name == t.value;
      } else if (t.property == "itemCategoryCode") {
        ok = item.category == t.value;
      } else {
        return Error(
            400, "BadRequest_NotFound",
            "Could not find a property named '" + t.property + "' on type 'Microsoft.NAV.item'.");
      }
      if (!ok) break;
    }
    if (ok) matches.push_back(i);
  }
  size_t begin = 0, end = 0;
  bool more = false;
  ErpReply error;
  if (!Window(matches.size(), &begin, &end, &more, &error)) return error;
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Member("@odata.context", ContextUrl(company, "items"));
  w.Key("value");
  w.BeginArray();
  for (size_t i = begin; i < end; ++i) {
    w.BeginObject();
    WriteItem(w, st_.items[matches[i]]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return JsonReply(200, std::move(body));
}

}  // namespace

ErpReply ErpService::HandleApi(const ErpRequest& request, std::string_view api_path,
                               std::string_view query) {
  State& st = *state_;
  const FaultSpec& f = options_.faults;
  // Three draws per API request, whatever happens, so that a seed fixes the fault sequence.
  const double u_fault = st.rng.Unit();
  const double u_kind = st.rng.Unit();
  const double u_latency = st.rng.Unit();
  std::chrono::microseconds delay{0};
  if (f.latency_max.count() > 0) {
    delay = f.latency_min + std::chrono::microseconds(static_cast<int64_t>(
                                (f.latency_max - f.latency_min).count() * u_latency));
    ++st.stats.delayed;
  }
  Api api(st, options_, request, query);
  auto fault_reply = [&](int status, std::string_view code, std::string_view message) {
    ErpReply r = JsonReply(status, "");
    JsonWriter w(&r.body);
    w.BeginObject();
    w.Key("error");
    w.BeginObject();
    w.Member("code", code);
    w.Member("message", message);
    w.EndObject();
    w.EndObject();
    r.delay = delay;
    return r;
  };

  const Clock::time_point now = Clock::now();
  if (st.burst_remaining > 0 && now >= st.burst_until) st.burst_remaining = 0;
  if (st.burst_remaining > 0 || u_fault < f.throttle) {
    if (st.burst_remaining > 0) {
      --st.burst_remaining;
    } else {
      ++st.stats.throttle_bursts;
      st.burst_remaining = static_cast<int>(u_kind * f.throttle_burst);
      if (st.burst_remaining >= f.throttle_burst) st.burst_remaining = f.throttle_burst - 1;
      st.burst_until = now + std::chrono::seconds(f.retry_after_seconds);
    }
    ++st.stats.throttled;
    ErpReply r = fault_reply(429, "Application_TooManyRequests",
                             "Too many requests reached.  Actual (101). Maximum (100).");
    r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
    return r;
  }
  if (u_fault < f.throttle + f.error) {
    if (u_kind < 0.25) {
      ++st.stats.error_500;
      return fault_reply(500, "Internal_ServerError",
                         "Cannot establish a connection to the SQL Server/Database.");
    }
    if (u_kind < 0.75) {
      ++st.stats.error_503;
      ErpReply r = fault_reply(503, "Internal_ServiceUnavailable",
                               "The request waited too long in the queue and was not processed. "
                               "Service Temporarily Unavailable.");
      r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
      return r;
    }
    ++st.stats.error_504;
    return fault_reply(504, "Internal_GatewayTimeout",
                       "The request exceeded the maximum execution time and was aborted. "
                       "Gateway Timeout.");
  }
  const bool timeout = u_fault < f.throttle + f.error + f.timeout;
  const bool after_create = timeout && u_kind < f.timeout_after_create;
  if (timeout && !after_create) {
    ++st.stats.timeouts;
    ErpReply r;
    r.action = ErpReply::Action::kHoldAndClose;
    r.hold = f.timeout_hold;
    return r;
  }

  // Authentication (after the gateway's faults, as with the real service's front door).
  std::string_view auth = request.authorization;
  bool authorised = false;
  if (auth.size() > 7 && IEquals(auth.substr(0, 7), "Bearer ")) {
    auto it = st.tokens.find(std::string(auth.substr(7)));
    authorised = it != st.tokens.end() && it->second > Clock::now();
  }
  ErpReply reply;
  if (!authorised) {
    ++st.stats.unauthorized;
    reply = fault_reply(401, "Authentication_InvalidCredentials",
                        "The server has rejected the client credentials.");
    reply.headers.emplace_back(
        "WWW-Authenticate",
        "Bearer authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
        "error=\"invalid_token\"");
  } else {
    reply = api.Route(api_path);
    reply.delay = delay;
  }
  if (timeout) {
    ++st.stats.timeouts;
    if (api.created_sales_order()) ++st.stats.timeouts_after_create;
    ErpReply r;
    r.action = ErpReply::Action::kHoldAndClose;
    r.hold = f.timeout_hold;
    return r;
  }
  return reply;
}

}  // namespace govflow::sim
