#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "connect/notify/notifier.h"

namespace govflow::connect::notify {
namespace {

struct Upload {
  std::string data;
  size_t pos = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t n = std::min(size * nitems, up->data.size() - up->pos);
  std::memcpy(buffer, up->data.data() + up->pos, n);
  up->pos += n;
  return n;
}

// Header values are one line: CR/LF would let a subject inject headers.
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A header's text as is when ASCII, else RFC 2047 encoded-words of whole UTF-8 characters
// (at most 45 bytes each, so every encoded line stays under 78 characters).
std::string HeaderText(std::string_view text) {
  const std::string line = OneLine(text);
  if (IsAscii(line)) return line;
  std::string out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = std::min(line.size(), pos + 45);
    // Never split a character: back up to the start of one (not a 10xxxxxx byte).
    while (end < line.size() && end > pos + 1 &&
           (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(line).substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

// The From display name: a quoted string when ASCII (quotes and backslashes escaped).
std::string DisplayName(std::string_view name) {
  const std::string line = OneLine(name);
  if (!IsAscii(line)) return HeaderText(line);
  std::string out = "\"";
  for (char c : line) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Quoted-printable (RFC 2045 6.7) of UTF-8 text with "\n" or "\r\n" line ends: CRLF hard line
// breaks, soft breaks before 76 characters, '=' and bytes outside printable ASCII escaped, and
// trailing white space escaped. A line's leading '.' is left for SMTP's dot-stuffing.
std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {  // every line, the last one ended by CRLF whether or not it was
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t width = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      std::string piece;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
        piece = std::string(1, static_cast<char>(c));
      } else {
        piece = {'=', kHex[c >> 4], kHex[c & 15]};
      }
      if (width + piece.size() > 75) {
        out += "=\r\n";
        width = 0;
      }
      out += piece;
      width += piece.size();
    }
    out += "\r\n";
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool IsAbsoluteUrl(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

// Black or white, whichever reads better on `background` ("#rgb" / "#rrggbb").
std::string_view ReadableOn(std::string_view background) {
  auto hex = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c))
               ? c - '0'
               : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
  };
  double rgb[3];
  for (int i = 0; i < 3; ++i) {
    rgb[i] = background.size() == 4 ? hex(background[1 + i]) * 17
                                    : hex(background[1 + 2 * i]) * 16 + hex(background[2 + 2 * i]);
  }
  const double luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
  return luminance > 0.6 ? "#111111" : "#ffffff";
}

std::string Or(const std::string& value, std::string_view fallback) {
  return value.empty() ? std::string(fallback) : value;
}

// "Support: help@x · https://x/help · +1 555" (what is set), or "".
std::string SupportLine(const Brand& brand) {
  std::string parts;
  for (const std::string* p : {&brand.support.email, &brand.support.url, &brand.support.phone}) {
    if (p->empty()) continue;
    if (!parts.empty()) parts += " \xC2\xB7 ";
    parts += *p;
  }
  return parts.empty() ? "" : "Support: " + parts;
}

std::string Domain(std::string_view address) {
  size_t at = address.rfind('@');
  std::string domain = at == std::string_view::npos ? "" : OneLine(address.substr(at + 1));
  for (char c : domain) {
    if (c == '>' || c == '<' || c == ' ') return "localhost";
  }
  return domain.empty() ? "localhost" : domain;
}

constexpr std::string_view kBoundary = "=_alternative_0";  // "=_" never occurs in QP text

}  // namespace

std::string EmailText(const Brand& brand, const Notification& n) {
  std::string text = n.text;
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += "\n-- \n" + brand.product_name + "\n";
  if (std::string support = SupportLine(brand); !support.empty()) text += support + "\n";
  return text;
}

std::string EmailHtml(const Brand& brand, const Notification& n) {
  const std::string primary = Or(brand.colors.primary, "#1f2937");
  const std::string accent = Or(brand.colors.accent, primary);
  const std::string background = Or(brand.colors.background, "#f4f4f5");
  const std::string text_colour = Or(brand.colors.text, "#1f2937");
  const std::string name = HtmlEscape(brand.product_name);
  std::string html;
  html += "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + HtmlEscape(n.subject) +
          "</title></head>\n";
  html += "<body style=\"margin:0;padding:0;background:" + background + ";color:" + text_colour +
          ";font-family:Arial,Helvetica,sans-serif\">\n";
  html += "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\n";
  html += "<tr><td style=\"background:" + primary + ";color:" + std::string(ReadableOn(primary)) +
          ";padding:16px 24px\">";
  // A logo in an e-mail needs an absolute URL: a path would resolve against nothing.
  if (IsAbsoluteUrl(brand.logo_url)) {
    html += "<img src=\"" + HtmlEscape(brand.logo_url) + "\" alt=\"" + name +
            "\" height=\"32\" style=\"vertical-align:middle;border:0;margin-right:12px\">";
  }
  html +=
      "<strong style=\"font-size:18px;vertical-align:middle\">" + name + "</strong></td></tr>\n";
  html += "<tr><td style=\"padding:24px\">\n<h1 style=\"font-size:18px;margin:0 0 16px\">" +
          HtmlEscape(n.subject) + "</h1>\n";
  html +=
      "<pre style=\"font-family:Menlo,Consolas,monospace;font-size:13px;white-space:pre-wrap;"
      "margin:0\">" +
      HtmlEscape(n.text) + "</pre>\n</td></tr>\n";
  html += "<tr><td style=\"padding:16px 24px;border-top:4px solid " + accent +
          ";font-size:12px\">" + name;
  const Brand::Support& s = brand.support;
  if (!s.email.empty() || !s.url.empty() || !s.phone.empty()) {
    html += " &middot; Support:";
    if (!s.email.empty()) {
      html += " <a href=\"mailto:" + HtmlEscape(s.email) + "\" style=\"color:" + text_colour +
              "\">" + HtmlEscape(s.email) + "</a>";
    }
    if (!s.url.empty()) {
      html += IsAbsoluteUrl(s.url)
                  ? " <a href=\"" + HtmlEscape(s.url) + "\" style=\"color:" + text_colour + "\">" +
                        HtmlEscape(s.url) + "</a>"
                  : " " + HtmlEscape(s.url);
    }
    if (!s.phone.empty()) html += " " + HtmlEscape(s.phone);
  }
  html += "</td></tr>\n</table>\n</body></html>\n";
  return html;
}

std::string SmtpMessage(const SmtpOptions& options, const Brand& brand, const Notification& n) {
  std::string msg;
  msg += "From: " + DisplayName(brand.product_name) + " <" + OneLine(options.from) + ">\r\n";
  msg += "To: " + OneLine(n.address) + "\r\n";
  msg += "Subject: " + HeaderText("[" + brand.product_name + "] " + n.subject) + "\r\n";
  msg += "Message-ID: <" + OneLine(n.id) + "@" + Domain(options.from) + ">\r\n";
  // For receivers that drop repeats (the same id as the webhook's header).
  msg += "X-Govflow-Notification-Id: " + OneLine(n.id) + "\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: multipart/alternative; boundary=\"" + std::string(kBoundary) + "\"\r\n";
  msg += "\r\n";
  // libcurl dot-stuffs lines that start with '.' on the wire (RFC 5321 4.5.2);
  // tests/unit/connect_notify checks that it does.
  for (auto [type, body] : {std::pair{"text/plain", EmailText(brand, n)},
                            std::pair{"text/html", EmailHtml(brand, n)}}) {
    msg += "--" + std::string(kBoundary) + "\r\n";
    msg += std::string("Content-Type: ") + type + "; charset=utf-8\r\n";
    msg += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    msg += QuotedPrintable(body);
  }
  msg += "--" + std::string(kBoundary) + "--\r\n";
  return msg;
}

Status SmtpNotifier::Send(const Notification& n) {
  if (n.address.find('@') == std::string::npos ||
      n.address.find_first_of("\r\n<>") != std::string::npos) {
    return InvalidArgument("not an e-mail address: " + n.address);
  }
  if (options_.url.empty()) return FailedPrecondition("no SMTP server configured");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  Upload up{SmtpMessage(options_, options_.brand ? options_.brand() : Brand{}, n), 0};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + n.address + ">").c_str());
  const std::string from = "<" + options_.from + ">";
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Unavailable("smtp " + options_.url + ": " + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

}  // namespace govflow::connect::notify
