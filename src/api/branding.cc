#include "api/branding.h"

namespace govflow::api {

Result<std::string> NormaliseBranding(std::string_view text) {
  GOVFLOW_ASSIGN_OR_RETURN(Brand brand, ParseBrand(text));
  return BrandJson(brand);
}

BrandingSource::BrandingSource(std::filesystem::path path) : file_(std::move(path)) {}

std::string BrandingSource::Json() {
  return file_.Json();
}

std::string BrandingSource::last_error() {
  return file_.last_error();
}

}  // namespace govflow::api
