#include "governance/audit_signer.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace govflow::governance {
namespace {

Status SodiumInit() {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  return Status::Ok();
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

Result<AuditSigner> AuditSigner::FromSeed(std::string_view seed) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return InvalidArgument("audit signing key: a seed must be 32 bytes, got " +
                           std::to_string(seed.size()));
  }
  AuditSigner signer;
  signer.secret_key_.assign(crypto_sign_SECRETKEYBYTES, '\0');
  signer.public_key_.assign(crypto_sign_PUBLICKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(signer.public_key_.data()),
                           reinterpret_cast<unsigned char*>(signer.secret_key_.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return signer;
}

Result<AuditSigner> AuditSigner::FromBase64Seed(std::string_view text) {
  auto seed = AuditFromBase64(text);
  if (!seed.ok() || seed->size() != crypto_sign_SEEDBYTES) {
    return InvalidArgument("audit signing key: not the base64 of a 32-byte seed");
  }
  Result<AuditSigner> signer = FromSeed(*seed);
  sodium_memzero(seed->data(), seed->size());
  return signer;
}

AuditSigner::AuditSigner(AuditSigner&& other) noexcept
    : secret_key_(std::move(other.secret_key_)), public_key_(std::move(other.public_key_)) {}

AuditSigner& AuditSigner::operator=(AuditSigner&& other) noexcept {
  if (this != &other) {
    if (!secret_key_.empty()) sodium_memzero(secret_key_.data(), secret_key_.size());
    secret_key_ = std::move(other.secret_key_);
    public_key_ = std::move(other.public_key_);
  }
  return *this;
}

AuditSigner::~AuditSigner() {
  if (!secret_key_.empty()) sodium_memzero(secret_key_.data(), secret_key_.size());
}

std::string AuditSigner::PublicKeyBase64() const {
  return AuditBase64(public_key_);
}

std::string AuditSigner::Sign(std::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return sig;
}

Result<AuditSigner> LoadAuditSigner(std::string_view data_dir, bool create) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  const std::string env_name(kAuditSigningKeyEnv);
  if (const char* env = std::getenv(env_name.c_str()); env != nullptr && *env != '\0') {
    auto signer = AuditSigner::FromBase64Seed(env);
    if (!signer.ok()) return InvalidArgument(env_name + ": not the base64 of a 32-byte seed");
    return signer;
  }
  if (data_dir.empty()) {
    return FailedPrecondition("no audit signing key: set " + env_name +
                              " (base64 of a 32-byte Ed25519 seed) when using --store");
  }
  const std::filesystem::path path =
      std::filesystem::path(data_dir) / std::string(kAuditSigningKeyFile);
  if (std::ifstream in(path); in) {
    std::stringstream text;
    text << in.rdbuf();
    auto signer = AuditSigner::FromBase64Seed(text.str());
    if (!signer.ok()) {
      return InvalidArgument(path.string() + ": not the base64 of a 32-byte seed");
    }
    return signer;
  }
  if (!create) {
    return FailedPrecondition("no audit signing key at " + path.string() + " (or set " + env_name +
                              ")");
  }
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    sodium_memzero(seed.data(), seed.size());
    if (errno == EEXIST) return LoadAuditSigner(data_dir, false);
    return Unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::string text = AuditBase64(seed) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(text.data(), text.size());
  Result<AuditSigner> signer = AuditSigner::FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (!written || !synced) return Unavailable("cannot write " + path.string());
  return signer;
}

bool VerifyAuditSignature(std::string_view public_key, std::string_view message,
                          std::string_view signature) {
  if (!SodiumInit().ok()) return false;
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

std::string AuditBase64(std::string_view bytes) {
  (void)SodiumInit();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> AuditFromBase64(std::string_view text) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  text = Trim(text);
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return InvalidArgument("not base64");
  }
  out.resize(len);
  return out;
}

Result<std::string> ParseAuditPublicKey(std::string_view base64) {
  auto key = AuditFromBase64(base64);
  if (!key.ok() || key->size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidArgument("an audit public key is the base64 of 32 bytes");
  }
  return key;
}

}  // namespace govflow::governance
