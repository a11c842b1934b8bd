// Dashboards: the partner portfolio and a tenant's overview (src/intel).
#include "api/v1/route_support.h"

namespace govflow::api::v1 {

std::span<const Route> IntelRoutes() {
  return {};
}

}  // namespace govflow::api::v1
