#include "api/branding.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

namespace govflow::api {

Result<std::string> NormaliseBranding(std::string_view text) {
  GOVFLOW_ASSIGN_OR_RETURN(Brand brand, ParseBrand(text));
  return BrandJson(brand);
}

Status WriteBrandingFile(const std::filesystem::path& path, std::string_view normalised) {
  std::error_code ec;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::filesystem::create_directories(dir, ec);
  // Unique per process and call: two concurrent writers never share a temporary file.
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path temp =
      dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << normalised;
    out.flush();
    if (!out) return Internal("cannot write " + temp.string());
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    return Internal("cannot replace " + path.string());
  }
  return Status::Ok();
}

BrandingSource::BrandingSource(std::filesystem::path path) : file_(std::move(path)) {}

std::string BrandingSource::Json() {
  return file_.Json();
}

std::string BrandingSource::last_error() {
  return file_.last_error();
}

}  // namespace govflow::api
