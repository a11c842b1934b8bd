// Price changes: list and request (held for approval by the tenant's matrix). A request without
// `connection` goes to the tenant's only storefront (shopify.admin) connection.
#include "api/v1/route_support.h"
#include "governance/price_changes.h"

namespace govflow::api::v1 {

namespace json = boost::json;
using governance::Principal;
using governance::TenantScope;

namespace {

json::object PriceChangeJson(const governance::PriceChange& c) {
  json::array tasks;
  for (const std::string& t : c.approval_ids) tasks.emplace_back(t);
  json::object o{
      {"id", c.id},
      {"state", governance::PriceChangeStateName(c.state)},
      {"connection", c.connection.value()},
      {"sku", c.sku},
      {"variant_id", c.variant_id},
      {"currency", c.currency},
      {"old_price", c.old_price},
      {"new_price", c.new_price},
      {"percent", c.percent()},
      {"compare_at_price", c.compare_at_price ? json::value(*c.compare_at_price) : nullptr},
      {"reason", c.reason},
      {"requested_by", c.requested_by},
      {"rule", c.rule},
      {"approval_ids", std::move(tasks)},
      {"outcome", c.outcome},
      {"created_at", FormatTime(c.created_at)},
      {"updated_at", FormatTime(c.updated_at)},
      {"released_at", OptionalTime(c.released_at)},
      {"published_at", OptionalTime(c.published_at)},
  };
  return o;
}

// The field a governance validation message names ("... field 'new_price': ..."), else "".
std::string NamedField(std::string_view message) {
  constexpr std::string_view kField = "field '";
  const size_t at = message.find(kField);
  if (at == std::string_view::npos) return {};
  const size_t start = at + kField.size();
  const size_t end = message.find('\'', start);
  return end == std::string_view::npos ? std::string()
                                       : std::string(message.substr(start, end - start));
}

HttpResponse ListPriceChanges(Services& s, const Context& ctx) {
  Result<int> limit = ParseLimit(ctx.request, 100, 1000);
  if (!limit.ok()) return FieldProblem("limit", limit.status().message());
  std::optional<governance::PriceChangeState> state;
  if (auto text = ctx.request.QueryParam("state")) {
    for (auto s :
         {governance::PriceChangeState::kPendingApproval, governance::PriceChangeState::kReleased,
          governance::PriceChangeState::kPublished, governance::PriceChangeState::kRejected,
          governance::PriceChangeState::kFailed}) {
      if (governance::PriceChangeStateName(s) == *text) state = s;
    }
    if (!state) {
      return FieldProblem("state",
                          "one of pending_approval, released, published, rejected, failed");
    }
  }
  std::vector<governance::PriceChange> changes;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    GOVFLOW_ASSIGN_OR_RETURN(changes, governance::ListPriceChanges(txn, *ctx.scope, state, *limit));
    return Status::Ok();
  });
  if (!status.ok()) return FromStatus(status);
  json::array items;
  for (const governance::PriceChange& c : changes) items.emplace_back(PriceChangeJson(c));
  return JsonResponse(200, json::object{{"items", std::move(items)}});
}

HttpResponse RequestPriceChange(Services& s, const Context& ctx) {
  Result<json::object> body = BodyObject(ctx.request);
  if (!body.ok()) return FieldProblem("(body)", body.status().message());
  governance::PriceChangeRequest request;
  struct Text {
    std::string_view name;
    std::string* into;
    bool required;
  };
  std::string connection;
  for (const Text& f :
       {Text{"connection", &connection, false}, Text{"sku", &request.sku, true},
        Text{"old_price", &request.old_price, true}, Text{"new_price", &request.new_price, true},
        Text{"currency", &request.currency, true}, Text{"reason", &request.reason, true}}) {
    Result<std::string> v = OptionalString(*body, f.name);
    if (!v.ok()) return FieldProblem(f.name, v.status().message());
    if (f.required && v->empty()) return FieldProblem(f.name, "required: a string");
    *f.into = std::move(*v);
  }
  if (const json::value* variant = body->if_contains("variant_id")) {
    if (!variant->is_int64() && !variant->is_uint64()) {
      return FieldProblem("variant_id", "must be the storefront's variant id (an integer)");
    }
    request.variant_id = variant->to_number<int64_t>();
  }
  if (const json::value* compare = body->if_contains("compare_at_price")) {
    if (!compare->is_string()) return FieldProblem("compare_at_price", "must be a string");
    request.compare_at_price = std::string(compare->as_string());
  }
  std::optional<governance::PriceChange> change;
  bool connection_ambiguous = false;
  Status status = s.store.Transact([&](store::Txn& txn) -> Status {
    // Without `connection`: the tenant's only storefront (shopify.admin) connection, as the CLI.
    if (connection.empty()) {
      GOVFLOW_ASSIGN_OR_RETURN(
          store::sql::Rows rows,
          txn.sql().Query("SELECT connection_id FROM connections WHERE tenant_id = ? AND kind = "
                          "'shopify.admin' ORDER BY connection_id LIMIT 2",
                          {ctx.scope->tenant().value()}));
      if (rows.size() != 1) {
        connection_ambiguous = true;
        return Status(StatusCode::kInvalidArgument,
                      rows.empty() ? "the tenant has no shopify.admin connection"
                                   : "required: the tenant has several shopify.admin connections");
      }
      connection = rows[0].Text(0);
    }
    request.connection = ConnectionId(connection);
    GOVFLOW_ASSIGN_OR_RETURN(governance::PriceApprovalPolicy policy,
                             governance::TenantPriceApprovalPolicy(txn, ctx.scope->tenant()));
    GOVFLOW_ASSIGN_OR_RETURN(change,
                             governance::RequestPriceChange(txn, *ctx.scope, request, policy));
    return Status::Ok();
  });
  if (!status.ok()) {
    std::string field = connection_ambiguous ? "connection" : NamedField(status.message());
    if (field.empty() && status.code() == StatusCode::kNotFound) field = "connection";
    return FromStatus(status, field);
  }
  return JsonResponse(201, PriceChangeJson(*change));
}

}  // namespace

std::span<const Route> PriceChangeRoutes() {
  static const Route kRoutes[] = {
      {{"GET", "/api/v1/tenants/{tenant}/price-changes", Access::kTenant,
        governance::perm::kApprovalsRead, "price changes, newest first"},
       &ListPriceChanges},
      {{"POST", "/api/v1/tenants/{tenant}/price-changes", Access::kTenant,
        governance::perm::kApprovalsRequest,
        "request a price change: released at once, or held for approval by the tenant's matrix"},
       &RequestPriceChange},
  };
  return kRoutes;
}

}  // namespace govflow::api::v1
