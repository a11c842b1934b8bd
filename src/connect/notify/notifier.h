// Notifier: how govflow tells people about something that needs them (an SLA breach escalated,
// later alerts): one interface, with a webhook implementation (HTTP POST of a JSON body signed
// with HMAC-SHA256) and an e-mail implementation (SMTP through libcurl), and a router that picks
// one by channel. Send is synchronous and bounded by the implementation's timeout; callers are
// background jobs. E-mails are in the partner's brand (base/branding.h): its product name in the
// subject and sender, a text part and an HTML part in its colours, logo and support contact.
// Implementations are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/branding.h"
#include "base/status.h"

namespace govflow::connect::notify {

struct Notification {
  // Deterministic per notice (e.g. "<tenant>/<case>/<clock>/<level>"): sent as
  // X-Govflow-Notification-Id / in the Message-ID, so receivers can drop a repeat.
  std::string id;
  std::string channel;  // "webhook" or "email"
  std::string address;  // URL or e-mail address
  // One line, without any product name: the e-mail adds the partner's ("[Northwind Ops] ...").
  std::string subject;
  std::string text;  // plain text for people (the e-mail body; its HTML part shows the same)
  std::string json;  // a JSON object for machines (the webhook body)
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // OK once the receiver accepted the notice (webhook: a 2xx answer; SMTP: the server accepted
  // the message). kUnavailable when it could not be delivered (try again later),
  // kInvalidArgument when the notice itself is unusable (bad address, unknown channel).
  virtual Status Send(const Notification& notification) = 0;
};

struct WebhookOptions {
  // HMAC-SHA256 key: the header X-Govflow-Signature is "sha256=" + hex(HMAC(key, body)).
  // Empty: no signature header.
  std::string signing_key;
  std::chrono::milliseconds timeout{10'000};
};

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(WebhookOptions options) : options_(std::move(options)) {}
  Status Send(const Notification& notification) override;

 private:
  WebhookOptions options_;
};

// hex(HMAC-SHA256(key, body)), as the webhook signs (exposed for receivers' tests).
std::string WebhookSignature(std::string_view key, std::string_view body);

struct SmtpOptions {
  std::string url;       // "smtp://host:port" (or smtps://)
  std::string from;      // envelope and From: address (shown under the brand's product name)
  std::string username;  // optional AUTH
  std::string password;
  std::chrono::milliseconds timeout{15'000};
  // The partner's brand, asked for each message (e.g. BrandingFile::Current, so an edited
  // branding.json shows in the next e-mail); nullptr = the neutral brand. Thread-safe.
  std::function<Brand()> brand;
};

class SmtpNotifier final : public Notifier {
 public:
  explicit SmtpNotifier(SmtpOptions options) : options_(std::move(options)) {}
  Status Send(const Notification& notification) override;

 private:
  SmtpOptions options_;
};

// The RFC 5322 message SmtpNotifier sends, in `brand`: From: "<product name>" <from>; Subject:
// "[<product name>] <subject>" (RFC 2047-encoded when not ASCII); Message-ID <id@<from's
// domain>>; a multipart/alternative body of the text and a simple HTML rendering of it (header
// bar in the primary colour with the logo when logo_url is absolute, support contact in the
// footer), both UTF-8 quoted-printable. CRLF line ends. Exposed for tests.
std::string SmtpMessage(const SmtpOptions& options, const Brand& brand,
                        const Notification& notification);
// The two bodies of that message, before transfer encoding.
std::string EmailText(const Brand& brand, const Notification& notification);
std::string EmailHtml(const Brand& brand, const Notification& notification);

// Dispatches by Notification::channel. Channels without a notifier give kInvalidArgument.
class RoutingNotifier final : public Notifier {
 public:
  void Route(std::string channel, Notifier* notifier) { routes_[std::move(channel)] = notifier; }
  Status Send(const Notification& notification) override;

 private:
  std::map<std::string, Notifier*> routes_;  // not owned; set up before use
};

}  // namespace govflow::connect::notify
