// The Ed25519 key that signs audit checkpoints and exports (libsodium crypto_sign_detached), kept
// outside the database so that whoever can write the database still cannot forge a signature.
// The published public key is all an auditor needs. AuditSigner is immutable after construction
// and thread-safe; LoadAuditSigner touches the file system and the environment.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::governance {

// GOVFLOW_AUDIT_SIGNING_KEY: base64 of a 32-byte Ed25519 seed (for --store deployments).
inline constexpr std::string_view kAuditSigningKeyEnv = "GOVFLOW_AUDIT_SIGNING_KEY";
// <data dir>/audit-signing.key: the same, as a text file with mode 0600.
inline constexpr std::string_view kAuditSigningKeyFile = "audit-signing.key";

class AuditSigner {
 public:
  // An Ed25519 key pair from a 32-byte seed. kInvalidArgument for another length.
  static Result<AuditSigner> FromSeed(std::string_view seed);
  // The same from base64 text (surrounding whitespace ignored).
  static Result<AuditSigner> FromBase64Seed(std::string_view text);

  AuditSigner(AuditSigner&& other) noexcept;
  AuditSigner& operator=(AuditSigner&& other) noexcept;
  AuditSigner(const AuditSigner&) = delete;
  AuditSigner& operator=(const AuditSigner&) = delete;
  ~AuditSigner();  // wipes the secret key

  // The raw 32-byte public key and its base64 (the form that is published).
  const std::string& public_key() const { return public_key_; }
  std::string PublicKeyBase64() const;
  // The raw 64-byte detached signature of `message`.
  std::string Sign(std::string_view message) const;

 private:
  AuditSigner() = default;
  std::string secret_key_;  // 64 bytes (seed || public key), libsodium's layout
  std::string public_key_;
};

// The signing key of a govflow installation: GOVFLOW_AUDIT_SIGNING_KEY when set; otherwise
// <data_dir>/audit-signing.key, created with a fresh random seed (mode 0600, O_EXCL so two first
// users agree) when absent and `create` is true. kFailedPrecondition when there is no key and
// none may be created (or data_dir is empty, as with --store).
Result<AuditSigner> LoadAuditSigner(std::string_view data_dir, bool create);

// true iff `signature` (raw 64 bytes) is `public_key`'s (raw 32 bytes) Ed25519 signature of
// `message`. Wrong lengths are simply false.
bool VerifyAuditSignature(std::string_view public_key, std::string_view message,
                          std::string_view signature);

// Standard base64 with padding (RFC 4648 section 4), as used in exports and key files.
std::string AuditBase64(std::string_view bytes);
// Decodes it; surrounding whitespace is ignored. kInvalidArgument when not base64.
Result<std::string> AuditFromBase64(std::string_view text);
// A published public key (base64 of 32 bytes) to raw bytes; kInvalidArgument otherwise.
Result<std::string> ParseAuditPublicKey(std::string_view base64);

}  // namespace govflow::governance
