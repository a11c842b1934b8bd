// The IN lists of src/intel's batch queries, written with a few fixed lengths. Pure functions;
// safe from any thread.
//
// Why: SQLite keeps one prepared statement per distinct SQL text on each pooled connection for
// the connection's life (src/store/sqlite), and a statement with an IN list of n placeholders
// costs about n * 170 bytes. Written with the exact batch size (1..500), the rollup's three IN
// queries left up to 1,500 statements (about 20 MB each query) behind on every connection that
// ran them: resident memory that grew for minutes under steady load and never came back
// (docs/performance.md, "The 10-minute memory soak"). With lengths rounded up to a power of two
// each query has at most 10 texts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "store/sql.h"

namespace govflow::intel {

// The length an IN list of n values is written with: the smallest power of two >= n (1 for 0).
inline size_t InListLength(size_t n) {
  size_t length = 1;
  while (length < n) length *= 2;
  return length;
}

// Appends `values` to `params`, padded to InListLength(values.size()) by repeating the last
// value (a repeated value does not change what `x IN (...)` matches), and returns the
// "(?, ?, ...)" text of that length. `values` must not be empty.
inline std::string AppendInList(const std::vector<std::string>& values,
                                store::sql::Params& params) {
  const size_t length = InListLength(values.size());
  std::string marks = "(";
  for (size_t i = 0; i < length; ++i) {
    marks += i == 0 ? "?" : ", ?";
    params.emplace_back(values[i < values.size() ? i : values.size() - 1]);
  }
  return marks + ")";
}

}  // namespace govflow::intel
