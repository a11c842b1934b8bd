// Password hashing for logins: argon2id through libsodium's crypto_pwhash_str (interactive
// limits: 2 passes over 64 MiB), which returns a self-describing "$argon2id$v=19$m=...,t=...,p=1$
// salt$hash" string with its own random salt. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace govflow::governance {

// kResourceExhausted when the memory for hashing cannot be had.
Result<std::string> HashPassword(std::string_view password);
// True when `password` matches `hash` (constant-time in the hash); false for "" or a malformed
// hash.
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace govflow::governance
