#include "governance/secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace govflow::governance {
namespace {

static_assert(kMasterKeyBytes == crypto_secretbox_KEYBYTES);

Status SodiumInit() {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  return Status::Ok();
}

}  // namespace

Result<std::string> GenerateMasterKey() {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  std::string key(kMasterKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string MasterKeyToBase64(std::string_view key) {
  std::string out(sodium_base64_ENCODED_LEN(key.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(key.data()),
                    key.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> MasterKeyFromBase64(std::string_view text, std::string_view where) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string key(kMasterKeyBytes, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != kMasterKeyBytes) {
    return InvalidArgument(std::string(where) + ": not the base64 of 32 bytes");
  }
  return key;
}

Result<std::string> LoadMasterKeyFile(const std::filesystem::path& path, bool create) {
  std::ifstream in(path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    return MasterKeyFromBase64(text.str(), path.string());
  }
  if (!create) {
    return FailedPrecondition("no master key at " + path.string() +
                              " (run `govflow apply` first, or set GOVFLOW_MASTER_KEY)");
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  GOVFLOW_ASSIGN_OR_RETURN(std::string key, GenerateMasterKey());
  // O_EXCL: two first uses racing must not each write their own key.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return LoadMasterKeyFile(path, false);
    return Unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  const std::string text = MasterKeyToBase64(key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return Unavailable("cannot write " + path.string());
  return key;
}

Result<std::string> SealSecret(std::string_view key, std::string_view plaintext) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  if (key.size() != kMasterKeyBytes) return InvalidArgument("master key must be 32 bytes");
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, reinterpret_cast<const unsigned char*>(key.data()));
  return out;
}

Result<std::string> OpenSecret(std::string_view key, std::string_view sealed) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  if (key.size() != kMasterKeyBytes) return InvalidArgument("master key must be 32 bytes");
  if (sealed.empty()) return std::string();
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return PermissionDenied("sealed secret is truncated");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t box = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string out(box - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, box, nonce,
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return PermissionDenied("cannot open a sealed secret: wrong master key or corrupted data");
  }
  return out;
}

}  // namespace govflow::governance
