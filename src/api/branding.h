// White-label branding of the console: the partner's product name, logo, favicon, colours and
// support contact, read from a JSON file (<data dir>/branding.json or `serve --branding FILE`)
// and re-read whenever the file changes (mtime or size), so a change needs no rebuild or
// restart. Served as GET /api/v1/branding. Defaults are neutral: no govflow name ever shows.
// Thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "base/branding.h"
#include "base/status.h"

namespace govflow::api {

// The neutral brand used when no file is configured or the file is missing or invalid.
inline constexpr std::string_view kDefaultProductName = kNeutralProductName;

// The rules live in base/branding.h (ParseBrand), shared with the e-mails of lower layers.
// Validates a branding document and returns it normalised (only known members, in a fixed
// order). kInvalidArgument "branding: <member>: <reason>" for: a non-object, a missing or empty
// product_name (at most 80 characters), a colour that is not "#rgb" or "#rrggbb", a URL that is
// neither absolute http(s) nor a path starting with "/", an unknown member.
Result<std::string> NormaliseBranding(std::string_view json);

// Replaces the branding file with `normalised` (NormaliseBranding's output) atomically: written
// to a temporary file in the same directory, flushed, then renamed over `path`, so a
// BrandingSource never reads half a file. kInternal when the directory is not writable.
Status WriteBrandingFile(const std::filesystem::path& path, std::string_view normalised);

class BrandingSource {
 public:
  // `path` "" means no file: always the defaults.
  explicit BrandingSource(std::filesystem::path path);

  // The branding JSON to serve: the file's normalised content when it is present and valid,
  // else the last valid content seen, else the defaults. Checks the file's mtime and size on
  // every call (a stat; cheap) and re-reads it when they changed.
  std::string Json();
  // The problem with the file as last read ("" when it was fine or absent), for logs and tests.
  std::string last_error();

 private:
  BrandingFile file_;
};

}  // namespace govflow::api
