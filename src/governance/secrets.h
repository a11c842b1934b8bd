// Connection secrets at rest: sealed with libsodium crypto_secretbox (XSalsa20-Poly1305) under a
// 32-byte master key that never enters the database (a 0600 file next to an embedded store, or
// the GOVFLOW_MASTER_KEY environment variable for a shared PostgreSQL store). The store only
// ever sees nonce || box. Plain functions; thread-safe (libsodium is initialised once).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::governance {

inline constexpr size_t kMasterKeyBytes = 32;

// A fresh random master key (32 bytes).
Result<std::string> GenerateMasterKey();
// Standard base64 (with padding) of a key, the form kept in master.key and GOVFLOW_MASTER_KEY.
std::string MasterKeyToBase64(std::string_view key);
// Parses base64 text (trailing whitespace ignored). kInvalidArgument "<where>: not the base64 of
// 32 bytes" otherwise.
Result<std::string> MasterKeyFromBase64(std::string_view text, std::string_view where);
// Reads the key file at `path`. When it does not exist and `create` is true, writes a fresh key
// with mode 0600 (O_EXCL: of two processes racing, both end up with the one key written).
// kFailedPrecondition when it does not exist and may not be created.
Result<std::string> LoadMasterKeyFile(const std::filesystem::path& path, bool create);

// nonce (24 random bytes) || secretbox(plaintext). kInvalidArgument for a key that is not 32
// bytes.
Result<std::string> SealSecret(std::string_view key, std::string_view plaintext);
// The plaintext of SealSecret's output. "" opens to "". kPermissionDenied on a wrong key or
// tampered or truncated bytes (never a partial plaintext).
Result<std::string> OpenSecret(std::string_view key, std::string_view sealed);

}  // namespace govflow::governance
