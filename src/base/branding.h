// The partner's brand (DESIGN.md section 2): product name, logo, favicon, colours and support
// contact, as read from branding.json (<data dir>/branding.json or `serve --branding FILE`).
// Here in base so that every layer that speaks to people (the console's API, e-mails) reads the
// same rules. Brand and the parse functions are values/pure; BrandingFile is thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow {

// The neutral product name used when no brand is configured: never "govflow".
inline constexpr std::string_view kNeutralProductName = "Console";

struct Brand {
  std::string product_name{kNeutralProductName};
  std::string logo_url;     // "" = none; absolute http(s), a path starting with "/" or a
                            // base64 data:image/ URL (png, jpeg, gif, webp, x-icon)
  std::string favicon_url;  // same
  struct Colors {
    std::string primary, accent, background, text;  // "" = not set; else "#rgb" / "#rrggbb"
  } colors;
  struct Support {
    std::string email, url, phone;  // "" = not set
  } support;
};

// Parses and validates a branding document. kInvalidArgument naming the member ("branding:
// <member>: <reason>") for: a non-object, a missing or empty product_name (at most 80
// characters, no control characters), a colour that is not "#rgb" or "#rrggbb", a URL that is
// neither absolute http(s) nor a path starting with "/", an unknown member.
Result<Brand> ParseBrand(std::string_view json);

// The normalised JSON of a brand: only the members that are set, in a fixed order
// (product_name, logo_url, favicon_url, colors{primary, accent, background, text},
// support{email, url, phone}).
std::string BrandJson(const Brand& brand);

// branding.json on disk, re-read whenever its mtime or size changes (a stat per call; cheap),
// so a change needs no restart. A broken file keeps the last good brand (a typo must not
// unbrand every screen and e-mail); a removed file goes back to the neutral brand.
class BrandingFile {
 public:
  // `path` "" means no file: always the neutral brand.
  explicit BrandingFile(std::filesystem::path path);

  Brand Current();
  // BrandJson(Current()), cached.
  std::string Json();
  // The problem with the file as last read ("" when it was fine or absent), for logs and tests.
  std::string last_error();

 private:
  void RefreshLocked();  // REQUIRES mu_

  const std::filesystem::path path_;
  std::mutex mu_;
  std::filesystem::file_time_type mtime_{};  // guarded by mu_
  std::uintmax_t size_ = 0;                  // guarded by mu_
  bool seen_ = false;                        // guarded by mu_
  Brand brand_;                              // guarded by mu_
  std::string json_;                         // guarded by mu_
  std::string error_;                        // guarded by mu_
};

}  // namespace govflow
