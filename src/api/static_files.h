// The console's static files (web/dist, built by Vite): correct content types, no-cache for
// index.html (so a new build is picked up at once), a year's immutable caching for the hashed
// files under /assets/, the single-page-app fallback to index.html for paths that name no file,
// and no way out of the root (".." segments, NUL, backslashes and symlinks leading outside are
// refused). Thread-safe (reads the file system on every request; no state).
#pragma once

#include <filesystem>
#include <string_view>

#include "api/http_types.h"

namespace govflow::api {

// The Content-Type for a file name by its extension ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view filename);

class StaticFiles {
 public:
  // `root`: the directory holding index.html. Made absolute and canonical here.
  explicit StaticFiles(const std::filesystem::path& root);

  // Answers a GET or HEAD for `request.path` (percent-decoded): the file, or index.html for a
  // path whose last segment has no '.' (a console route such as /exceptions/42), 404 for a
  // missing file, 400 for a path that tries to leave the root, 405 for other methods.
  HttpResponse Serve(const HttpRequest& request) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  HttpResponse File(const std::filesystem::path& file, bool is_index) const;
  std::filesystem::path root_;
};

}  // namespace govflow::api
