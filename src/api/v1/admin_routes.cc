// Administration: tenants, users, teams, roles, connections, branding.
#include "api/v1/route_support.h"

namespace govflow::api::v1 {

std::span<const Route> AdminRoutes() {
  return {};
}

}  // namespace govflow::api::v1
