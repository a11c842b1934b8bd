#include "cli/store_options.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace govflow::cli {
namespace {

constexpr size_t kKeyBytes = crypto_secretbox_KEYBYTES;

Status SodiumInit() {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  return Status::Ok();
}

std::string ToBase64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> KeyFromBase64(std::string_view text, std::string_view where) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string key(kKeyBytes, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != kKeyBytes) {
    return InvalidArgument(std::string(where) + ": not the base64 of 32 bytes");
  }
  return key;
}

}  // namespace

void AddStoreFlags(CLI::App& command, StoreFlags& flags) {
  command.add_option("--data", flags.data_dir,
                     "data directory: embedded SQLite database and master.key");
  command.add_option("--store", flags.store_url, "store URL, e.g. postgresql://user@host:5432/db");
}

Result<std::unique_ptr<store::Store>> OpenStore(const StoreFlags& flags) {
  std::string data_dir = flags.data_dir;
  if (!data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    data_dir = std::filesystem::absolute(data_dir, ec).string();
  }
  auto url = store::ResolveStoreUrl(data_dir, flags.store_url);
  if (!url.ok()) return InvalidArgument("give --data DIR or --store URL");
  store::StoreOptions options;
  options.url = *url;
  return store::Store::Open(options);
}

Result<std::string> LoadMasterKey(const StoreFlags& flags, bool create) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  if (const char* env = std::getenv("GOVFLOW_MASTER_KEY"); env != nullptr && *env != '\0') {
    return KeyFromBase64(env, "GOVFLOW_MASTER_KEY");
  }
  if (flags.data_dir.empty()) {
    return FailedPrecondition(
        "no master key: set GOVFLOW_MASTER_KEY (base64 of 32 bytes) when using --store");
  }
  const std::filesystem::path path = std::filesystem::path(flags.data_dir) / "master.key";
  std::ifstream in(path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    return KeyFromBase64(text.str(), path.string());
  }
  if (!create) {
    return FailedPrecondition("no master key at " + path.string() +
                              " (run `govflow apply` first, or set GOVFLOW_MASTER_KEY)");
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.data_dir, ec);
  std::string key(kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  // O_EXCL: two first applies racing must not each write their own key.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return LoadMasterKey(flags, false);
    return Unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  const std::string text = ToBase64(key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) return Unavailable("cannot write " + path.string());
  return key;
}

Result<std::string> SealSecret(std::string_view key, std::string_view plaintext) {
  GOVFLOW_RETURN_IF_ERROR(SodiumInit());
  if (key.size() != kKeyBytes) return InvalidArgument("master key must be 32 bytes");
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
  if (key.size() != kKeyBytes) return InvalidArgument("master key must be 32 bytes");
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

}  // namespace govflow::cli
