#include "api/branding.h"

#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

namespace govflow::api {
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

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

Status Bad(std::string member, std::string reason) {
  return InvalidArgument("branding: " + member + ": " + reason);
}

std::string DefaultJson() {
  json::object o;
  o["product_name"] = kDefaultProductName;
  return json::serialize(o);
}

}  // namespace

Result<std::string> NormaliseBranding(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Bad("(document)", "not JSON: " + ec.message());
  if (!v.is_object()) return Bad("(document)", "must be a JSON object");
  const json::object& in = v.as_object();
  json::object out;
  for (const auto& [key, value] : in) {
    if (key != "product_name" && key != "logo_url" && key != "favicon_url" && key != "colors" &&
        key != "support") {
      return Bad(std::string(key), "unknown member");
    }
  }
  const json::value* name = in.if_contains("product_name");
  if (name == nullptr || !name->is_string() || name->as_string().empty() ||
      name->as_string().size() > 80 || HasControl(name->as_string())) {
    return Bad("product_name", "required: a string of 1 to 80 characters");
  }
  out["product_name"] = *name;
  for (const char* member : {"logo_url", "favicon_url"}) {
    if (const json::value* url = in.if_contains(member)) {
      if (!url->is_string() || !IsUrl(url->as_string()) || HasControl(url->as_string())) {
        return Bad(member, "must be an http(s) URL or a path starting with /");
      }
      out[member] = *url;
    }
  }
  if (const json::value* colors = in.if_contains("colors")) {
    if (!colors->is_object()) return Bad("colors", "must be an object");
    json::object c;
    for (const auto& [key, value] : colors->as_object()) {
      const std::string name_of = "colors." + std::string(key);
      if (key != "primary" && key != "accent" && key != "background" && key != "text") {
        return Bad(name_of, "unknown colour (primary, accent, background, text)");
      }
      if (!value.is_string() || !IsColour(value.as_string())) {
        return Bad(name_of, "must be \"#rgb\" or \"#rrggbb\"");
      }
      c[key] = value;
    }
    out["colors"] = std::move(c);
  }
  if (const json::value* support = in.if_contains("support")) {
    if (!support->is_object()) return Bad("support", "must be an object");
    json::object s;
    for (const auto& [key, value] : support->as_object()) {
      const std::string name_of = "support." + std::string(key);
      if (key != "email" && key != "url" && key != "phone") {
        return Bad(name_of, "unknown member (email, url, phone)");
      }
      if (!value.is_string() || value.as_string().size() > 200 || HasControl(value.as_string())) {
        return Bad(name_of, "must be a string of at most 200 characters");
      }
      if (key == "url" && !IsUrl(value.as_string())) return Bad(name_of, "must be an http(s) URL");
      s[key] = value;
    }
    out["support"] = std::move(s);
  }
  return json::serialize(out);
}

BrandingSource::BrandingSource(std::filesystem::path path)
    : path_(std::move(path)), json_(DefaultJson()) {}

std::string BrandingSource::Json() {
  std::lock_guard lock(mu_);
  if (path_.empty()) return json_;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec) {
    // No file (yet): the defaults, unless a valid file was seen before and then removed.
    if (seen_) {
      seen_ = false;
      json_ = DefaultJson();
      error_.clear();
    }
    return json_;
  }
  const auto size = std::filesystem::file_size(path_, ec);
  if (ec) return json_;
  if (seen_ && mtime == mtime_ && size == size_) return json_;
  std::ifstream in(path_, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  seen_ = true;
  mtime_ = mtime;
  size_ = size;
  Result<std::string> normalised = NormaliseBranding(buffer.str());
  if (normalised.ok()) {
    json_ = *normalised;
    error_.clear();
  } else {
    // Keep serving the last good brand; a typo must not unbrand every screen.
    error_ = normalised.status().message();
    std::cerr << "govflow: " << path_.string() << ": " << error_
              << " (keeping the previous branding)\n";
  }
  return json_;
}

std::string BrandingSource::last_error() {
  std::lock_guard lock(mu_);
  return error_;
}

}  // namespace govflow::api
