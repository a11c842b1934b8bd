// What one rolled-up object (a run, an exception case, a delivery) adds to the rollup tables,
// and its stored form, intel_contributions.contribution_json (rollup.h: a pass replaces an
// object's stored contribution by its current one and applies the difference).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "intel/dimensions.h"

namespace govflow::intel {

struct Contribution {
  Dimensions dims;
  std::vector<std::pair<int, int64_t>> counts;         // (counter, at us), +1 each
  std::optional<std::pair<int64_t, int64_t>> latency;  // (at us, latency us)
  std::string open_severity;                           // "" when not an open case
  friend bool operator==(const Contribution&, const Contribution&) = default;
};

// The stored text:
//   {"d":[process,brand,channel,sku_category],"c":[[counter,at],...],"l":[at,us],"o":severity}
// ("l" and "o" only when set), byte for byte as boost::json::serialize writes that object (the
// form earlier versions stored), because a pass compares texts to tell a changed object.
std::string ContributionToJson(const Contribution& c);

// The contribution a stored text holds; nullopt when it is not one. Reads the form
// ContributionToJson writes without building a DOM, and any other JSON (other member order,
// escapes, non-ASCII text, numbers written otherwise) through a full parse, with the same
// result as that parse alone on every input.
std::optional<Contribution> ContributionFromJson(std::string_view text);

}  // namespace govflow::intel
