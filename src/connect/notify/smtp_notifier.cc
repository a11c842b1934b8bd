#include <curl/curl.h>

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

}  // namespace

std::string SmtpMessage(const SmtpOptions& options, const Notification& n) {
  std::string msg;
  msg += "From: " + OneLine(options.from) + "\r\n";
  msg += "To: " + OneLine(n.address) + "\r\n";
  msg += "Subject: " + OneLine(n.subject) + "\r\n";
  msg += "Message-ID: <" + OneLine(n.id) + "@govflow>\r\n";
  msg += "X-Govflow-Notification-Id: " + OneLine(n.id) + "\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "\r\n";
  // Body: CRLF line ends. libcurl dot-stuffs lines that start with '.' on the wire (RFC 5321
  // 4.5.2); tests/unit/connect_notify checks that it does.
  size_t pos = 0;
  const std::string& t = n.text;
  while (pos <= t.size()) {
    size_t nl = t.find('\n', pos);
    std::string line = t.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    msg += line + "\r\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
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
  Upload up{SmtpMessage(options_, n), 0};
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
