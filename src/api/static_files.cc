#include "api/static_files.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "api/problem.h"

namespace govflow::api {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndex = "index.html";

// The decoded path's segments, or false when one of them may not be served.
bool SafeSegments(std::string_view path, std::vector<std::string>& out) {
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") return false;
    if (!seg.empty() && seg != ".") {
      if (seg.front() == '.') return false;  // no dot files (.env, .git)
      out.emplace_back(seg);
    }
    start = end + 1;
  }
  return true;
}

bool Within(const fs::path& root, const fs::path& p) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view filename) {
  struct Entry {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Entry kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  const size_t dot = filename.rfind('.');
  if (dot != std::string_view::npos) {
    std::string ext(filename.substr(dot));
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const Entry& e : kTypes) {
      if (e.ext == ext) return e.type;
    }
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(const fs::path& root) {
  std::error_code ec;
  root_ = fs::weakly_canonical(fs::absolute(root, ec), ec);
}

HttpResponse StaticFiles::Serve(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    return Problem(405)
        .Detail("static files are read-only")
        .ToResponse()
        .WithHeader("Allow", "GET, HEAD");
  }
  std::vector<std::string> segments;
  if (!SafeSegments(request.path, segments)) {
    return FieldProblem("path", "must not contain '..', dot files, backslashes or NUL", 400);
  }
  fs::path file = root_;
  for (const std::string& seg : segments) file /= seg;
  std::error_code ec;
  if (segments.empty() || fs::is_directory(file, ec)) file /= kIndex;
  if (!fs::is_regular_file(file, ec)) {
    const bool looks_like_file =
        !segments.empty() && segments.back().find('.') != std::string::npos;
    if (looks_like_file) return Problem(404).Detail("no such file").ToResponse();
    return File(root_ / kIndex, /*is_index=*/true);  // a console route: the app decides
  }
  // Symlinks must not lead outside the root.
  const fs::path real = fs::canonical(file, ec);
  if (ec || !Within(root_, real)) {
    return FieldProblem("path", "outside the console's files", 400);
  }
  return File(real, real.filename() == kIndex);
}

HttpResponse StaticFiles::File(const fs::path& file, bool is_index) const {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Problem(404).Detail("the console is not built (run `make web`)").ToResponse();
  std::ostringstream body;
  body << in.rdbuf();
  HttpResponse response;
  response.status = 200;
  response.body = body.str();
  response.headers.Set("Content-Type", std::string(ContentTypeFor(file.filename().string())));
  response.headers.Set("X-Content-Type-Options", "nosniff");
  const fs::path relative = file.lexically_relative(root_);
  const bool hashed = !relative.empty() && *relative.begin() == "assets";
  if (is_index || !hashed) {
    response.headers.Set("Cache-Control", "no-cache");
  } else {
    // Vite names these by content hash: a new build gets new names.
    response.headers.Set("Cache-Control", "public, max-age=31536000, immutable");
  }
  if (is_index) {
    response.headers.Set("X-Frame-Options", "DENY");
    response.headers.Set("Referrer-Policy", "same-origin");
  }
  return response;
}

}  // namespace govflow::api
