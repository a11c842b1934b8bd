// Test support for TLS on loopback: a throwaway self-signed certificate made with OpenSSL's API
// (for 127.0.0.1 and localhost), and a small blocking OpenSSL client that trusts only that
// certificate. Header-only; one TlsClient per test thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace govflow::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- a throwaway certificate ---------------------------------------------------------------

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

inline Key NewKey() {
  return Key(EVP_EC_gen("P-256"));
}

// Self-signed, valid for a day, for 127.0.0.1 and localhost, with `serial`.
inline Cert SelfSigned(EVP_PKEY* key, long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

inline void WritePem(const fs::path& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
}
inline void WritePem(const fs::path& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

// ---- a small TLS client --------------------------------------------------------------------

struct Reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  bool Has(const std::string& header_line) const {
    return head.find("\r\n" + header_line + "\r\n") != std::string::npos;
  }
};

inline int Connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// One TLS connection that trusts only `ca_file` and checks that the certificate is for
// 127.0.0.1. Blocking, with a 5 s receive timeout.
class TlsClient {
 public:
  TlsClient(std::uint16_t port, const fs::path& ca_file, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    if (max_version != 0) {
      SSL_CTX_set_security_level(ctx_, 0);  // let the client offer old versions at all
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, max_version);
    }
    fd_ = Connect(port);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
    if (!connected_) ERR_clear_error();
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return connected_; }
  int version() const { return SSL_version(ssl_); }
  // The serial number of the server's certificate.
  long PeerSerial() const {
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (peer == nullptr) return -1;
    long serial = ASN1_INTEGER_get(X509_get_serialNumber(peer));
    X509_free(peer);
    return serial;
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response framed by Content-Length; nullopt on error or end.
  std::optional<Reply> Read() {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    Reply r;
    r.head = buffer_.substr(0, head_end + 2);
    buffer_.erase(0, head_end + 4);
    r.status = std::stoi(r.head.substr(9, 3));
    size_t length = 0;
    if (size_t at = r.head.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(r.head.substr(at + 16));
    }
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  std::optional<Reply> Request(const std::string& method, const std::string& target,
                               const std::string& body = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!body.empty() || method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    if (!Send(req + "\r\n" + body)) return std::nullopt;
    return Read();
  }

  // Reads everything until the server ends the connection; `clean` tells whether it ended with
  // a TLS close_notify (not a bare TCP close, which a client must treat as truncation).
  std::string ReadToEnd(bool& clean) {
    while (Fill()) {
    }
    clean = last_error_ == SSL_ERROR_ZERO_RETURN;
    std::string all = std::move(buffer_);
    buffer_.clear();
    return all;
  }

 private:
  bool Fill() {
    char chunk[16384];
    int n = SSL_read(ssl_, chunk, sizeof(chunk));
    if (n <= 0) {
      last_error_ = SSL_get_error(ssl_, n);
      ERR_clear_error();
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  int last_error_ = 0;
  std::string buffer_;
};

// Polls `done` for up to 2 s.
inline bool Eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace govflow::testing
