#include "base/branding.h"

#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

namespace govflow {
namespace {

namespace json = boost::json;

bool IsColour(std::string_view s) {
  if (s.size() != 4 && s.size() != 7) return false;
  if (s[0] != '#') return false;
  for (char c : s.substr(1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsUrl(std::string_view s) {
  if (s.starts_with("https://") || s.starts_with("http://")) return true;
  return s.starts_with("/") && !s.starts_with("//");
}

// An inline raster image for the logo or favicon (the console's branding form may paste one):
// base64 PNG, JPEG, GIF, WebP or ICO up to 256 KiB. Not SVG, whose documents may carry script.
bool IsImageDataUrl(std::string_view s) {
  constexpr size_t kMaxDataUrl = 256 * 1024;
  if (s.size() > kMaxDataUrl) return false;
  for (std::string_view type :
       {"data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,",
        "data:image/webp;base64,", "data:image/x-icon;base64,"}) {
    if (!s.starts_with(type)) continue;
    const std::string_view data = s.substr(type.size());
    if (data.empty()) return false;
    for (char c : data) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
        return false;
      }
    }
    return true;
  }
  return false;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

Status Bad(std::string member, std::string reason) {
  return InvalidArgument("branding: " + member + ": " + reason);
}

}  // namespace

Result<Brand> ParseBrand(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Bad("(document)", "not JSON: " + ec.message());
  if (!v.is_object()) return Bad("(document)", "must be a JSON object");
  const json::object& in = v.as_object();
  for (const auto& [key, value] : in) {
    if (key != "product_name" && key != "logo_url" && key != "favicon_url" && key != "colors" &&
        key != "support") {
      return Bad(std::string(key), "unknown member");
    }
  }
  Brand brand;
  const json::value* name = in.if_contains("product_name");
  if (name == nullptr || !name->is_string() || name->as_string().empty() ||
      name->as_string().size() > 80 || HasControl(name->as_string())) {
    return Bad("product_name", "required: a string of 1 to 80 characters");
  }
  brand.product_name = std::string(name->as_string());
  for (auto [member, field] : {std::pair{"logo_url", &brand.logo_url},
                               std::pair{"favicon_url", &brand.favicon_url}}) {
    if (const json::value* url = in.if_contains(member)) {
      if (!url->is_string() ||
          !(IsUrl(url->as_string()) || IsImageDataUrl(url->as_string())) ||
          HasControl(url->as_string())) {
        return Bad(member,
                   "must be an http(s) URL, a path starting with / or a data:image/ URL (png, "
                   "jpeg, gif, webp, x-icon; base64)");
      }
      *field = std::string(url->as_string());
    }
  }
  if (const json::value* colors = in.if_contains("colors")) {
    if (!colors->is_object()) return Bad("colors", "must be an object");
    for (const auto& [key, value] : colors->as_object()) {
      const std::string name_of = "colors." + std::string(key);
      std::string* field = key == "primary"      ? &brand.colors.primary
                           : key == "accent"     ? &brand.colors.accent
                           : key == "background" ? &brand.colors.background
                           : key == "text"       ? &brand.colors.text
                                                 : nullptr;
      if (field == nullptr) {
        return Bad(name_of, "unknown colour (primary, accent, background, text)");
      }
      if (!value.is_string() || !IsColour(value.as_string())) {
        return Bad(name_of, "must be \"#rgb\" or \"#rrggbb\"");
      }
      *field = std::string(value.as_string());
    }
  }
  if (const json::value* support = in.if_contains("support")) {
    if (!support->is_object()) return Bad("support", "must be an object");
    for (const auto& [key, value] : support->as_object()) {
      const std::string name_of = "support." + std::string(key);
      std::string* field = key == "email"   ? &brand.support.email
                           : key == "url"   ? &brand.support.url
                           : key == "phone" ? &brand.support.phone
                                            : nullptr;
      if (field == nullptr) return Bad(name_of, "unknown member (email, url, phone)");
      if (!value.is_string() || value.as_string().size() > 200 || HasControl(value.as_string())) {
        return Bad(name_of, "must be a string of at most 200 characters");
      }
      if (key == "url" && !IsUrl(value.as_string())) return Bad(name_of, "must be an http(s) URL");
      *field = std::string(value.as_string());
    }
  }
  return brand;
}

std::string BrandJson(const Brand& brand) {
  json::object out;
  out["product_name"] = brand.product_name;
  if (!brand.logo_url.empty()) out["logo_url"] = brand.logo_url;
  if (!brand.favicon_url.empty()) out["favicon_url"] = brand.favicon_url;
  json::object colors;
  for (auto [key, value] : {std::pair{"primary", &brand.colors.primary},
                            std::pair{"accent", &brand.colors.accent},
                            std::pair{"background", &brand.colors.background},
                            std::pair{"text", &brand.colors.text}}) {
    if (!value->empty()) colors[key] = *value;
  }
  if (!colors.empty()) out["colors"] = std::move(colors);
  json::object support;
  for (auto [key, value] : {std::pair{"email", &brand.support.email},
                            std::pair{"url", &brand.support.url},
                            std::pair{"phone", &brand.support.phone}}) {
    if (!value->empty()) support[key] = *value;
  }
  if (!support.empty()) out["support"] = std::move(support);
  return json::serialize(out);
}

BrandingFile::BrandingFile(std::filesystem::path path)
    : path_(std::move(path)), json_(BrandJson(brand_)) {}

void BrandingFile::RefreshLocked() {
  if (path_.empty()) return;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec) {
    // No file (yet): the neutral brand, unless a valid file was seen before and then removed.
    if (seen_) {
      seen_ = false;
      brand_ = Brand{};
      json_ = BrandJson(brand_);
      error_.clear();
    }
    return;
  }
  const auto size = std::filesystem::file_size(path_, ec);
  if (ec) return;
  if (seen_ && mtime == mtime_ && size == size_) return;
  std::ifstream in(path_, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  seen_ = true;
  mtime_ = mtime;
  size_ = size;
  Result<Brand> parsed = ParseBrand(buffer.str());
  if (parsed.ok()) {
    brand_ = std::move(*parsed);
    json_ = BrandJson(brand_);
    error_.clear();
  } else {
    error_ = parsed.status().message();
    std::cerr << "govflow: " << path_.string() << ": " << error_
              << " (keeping the previous branding)\n";
  }
}

Brand BrandingFile::Current() {
  std::lock_guard lock(mu_);
  RefreshLocked();
  return brand_;
}

std::string BrandingFile::Json() {
  std::lock_guard lock(mu_);
  RefreshLocked();
  return json_;
}

std::string BrandingFile::last_error() {
  std::lock_guard lock(mu_);
  return error_;
}

}  // namespace govflow
