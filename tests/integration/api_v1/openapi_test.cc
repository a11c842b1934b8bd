// docs/openapi.yaml and the route table (api::v1::Routes()) describe the same API: every route
// is documented with its method, path and permission (x-permission), public routes say
// `security: []`, and the description holds no route the server does not have.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "api/router.h"
#include "api/v1/api.h"
#include "base/clock.h"
#include "store/store.h"

namespace govflow::api::v1 {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

YAML::Node LoadSpec() {
  return YAML::LoadFile(GOVFLOW_OPENAPI_YAML);
}

TEST(OpenApiParity, DocumentIsOpenApi31) {
  YAML::Node spec = LoadSpec();
  EXPECT_TRUE(spec["openapi"].as<std::string>().starts_with("3.1")) << "openapi: 3.1.x";
  EXPECT_TRUE(spec["paths"].IsMap());
}

TEST(OpenApiParity, EveryRouteIsDescribedWithItsPermission) {
  YAML::Node paths = LoadSpec()["paths"];
  for (const RouteSpec& route : Routes()) {
    const std::string where = std::string(route.method) + " " + std::string(route.pattern);
    YAML::Node path = paths[std::string(route.pattern)];
    ASSERT_TRUE(path.IsMap()) << where << " is missing from docs/openapi.yaml";
    YAML::Node op = path[Lower(route.method)];
    ASSERT_TRUE(op.IsMap()) << where << " is missing from docs/openapi.yaml";
    ASSERT_TRUE(op["x-permission"].IsDefined()) << where << " has no x-permission";
    EXPECT_EQ(op["x-permission"].as<std::string>(), std::string(route.permission)) << where;
    const bool documented_public = op["security"].IsSequence() && op["security"].size() == 0;
    EXPECT_EQ(documented_public, route.access == Access::kPublic)
        << where << ": public routes (and only they) declare `security: []`";
    EXPECT_TRUE(op["responses"].IsMap()) << where;
    if (route.access != Access::kPublic) {
      EXPECT_TRUE(op["responses"]["401"].IsDefined()) << where << " documents no 401";
    }
    if (route.access == Access::kTenant) {
      EXPECT_TRUE(op["responses"]["403"].IsDefined()) << where << " documents no 403";
      EXPECT_TRUE(op["responses"]["404"].IsDefined()) << where << " documents no 404";
    }
  }
}

TEST(OpenApiParity, DescribesNoRouteTheServerLacks) {
  std::set<std::pair<std::string, std::string>> routed;
  for (const RouteSpec& route : Routes()) {
    routed.emplace(Lower(route.method), std::string(route.pattern));
  }
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head"};
  for (const auto& path : LoadSpec()["paths"]) {
    const std::string pattern = path.first.as<std::string>();
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (!kMethods.contains(method)) continue;
      EXPECT_TRUE(routed.contains({method, pattern}))
          << method << " " << pattern << " is in docs/openapi.yaml but not in the route table";
    }
  }
}

// The table is what the server serves: AddRoutes registers exactly these routes, once each.
TEST(OpenApiParity, RouterServesExactlyTheTable) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("govflow-openapi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  store::StoreOptions options;
  options.url = "sqlite://" + (dir / "govflow.db").string();
  auto store = store::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Api api(**store, SystemClock::Get(), {});
  Router router;
  ASSERT_TRUE(api.AddRoutes(router).ok());
  std::set<std::pair<std::string, std::string>> table;
  for (const RouteSpec& route : Routes()) {
    table.emplace(std::string(route.method), std::string(route.pattern));
  }
  std::set<std::pair<std::string, std::string>> served;
  for (const RouteInfo& route : router.Routes()) served.emplace(route.method, route.pattern);
  EXPECT_EQ(table.size(), Routes().size()) << "a route appears twice in the table";
  EXPECT_EQ(served, table);
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace govflow::api::v1
