// Live updates: server-sent events of new exceptions, approvals and run states.
#include "api/v1/route_support.h"

namespace govflow::api::v1 {

std::span<const Route> EventRoutes() {
  return {};
}

}  // namespace govflow::api::v1
