#include "connect/settlement.h"

#include <boost/json/object.hpp>

namespace govflow::connect {

void SettleUnknownOutcome(OutboundConnector& connector, const ConnectorCall& original,
                          std::function<void(CallResult<Settlement>)> done) {
  const OperationSpec* spec = nullptr;
  for (const auto& op : connector.operations()) {
    if (op.name == original.operation) spec = &op;
  }
  if (spec == nullptr) {
    done(CallFailure{
        ErrorClass::kValidation, 0, "unknown_operation",
        std::string(connector.type()) + " has no operation '" + original.operation + "'",
        std::nullopt});
    return;
  }
  if (spec->deduplication != Deduplication::kLookupByBusinessKey) {
    done(Settlement{});
    return;
  }
  ConnectorCall lookup{std::string(spec->lookup_operation), original.payload,
                       original.idempotency_key};
  connector.Call(std::move(lookup), [done = std::move(done)](CallResult<boost::json::value> r) {
    if (!r.ok()) {
      done(r.failure());
      return;
    }
    const boost::json::object* o = r.value().if_object();
    const boost::json::value* found = o ? o->if_contains("found") : nullptr;
    if (found == nullptr || !found->is_bool()) {
      done(CallFailure{ErrorClass::kTransient, 0, "unreadable_lookup",
                       "the lookup answered without a boolean 'found'", std::nullopt});
      return;
    }
    Settlement s;
    s.already_applied = found->get_bool();
    if (const auto* m = o->if_contains("matches"); m != nullptr && m->is_int64()) {
      s.matches = static_cast<int>(m->get_int64());
    }
    if (const auto* rec = o->if_contains("record"); rec != nullptr) s.record = *rec;
    done(std::move(s));
  });
}

}  // namespace govflow::connect
